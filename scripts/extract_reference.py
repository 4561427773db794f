"""Copy the reference figures the model uses from params/sources/reference into params/population.

Run from the project root: ``python scripts/extract_reference.py [REFERENCE_DIR]``. The cities
are those of ``params/cities/*.yaml`` (matched to the census by their ``name_zh``). The
outputs are committed, so the model never reads outside ``params/``; this script is how they
were made, and re-running it must reproduce them byte for byte.

* ``census2020_age_sex.csv``: county × sex × 5-year age group (45–49 … 85+) population of the
  2020 census, for the five cities; and ``census2020_counties.csv``: county totals, urban and
  rural population, households (with one and two members 65+), the population 15+ by sex, and
  the long-form sample of the 15+ by sex with its married and widowed counts. Source: the
  county table of the 2020 census, ``simlib.params.census.county_census(2020)``
  (population/census/county_2020.parquet, built by scripts/build_census.py from Lei Dong,
  "census", GitHub leiii/census, census_county_2020_v1.xlsx, MIT; from the Tabulation on the
  2020 Population Census by County).
* ``census2020_single_year.csv``: China's population by single year of age (45 … 99, 100 =
  100+) and sex, 2020 census yearbook table 6-4 (average population Nov 2019 – Oct 2020):
  the shape that splits each county's 5-year groups into single years.
* ``wpp2024_mx.csv``: central death rates for ages 40+ by sex and 5-year period. Source:
  reference/wpp2024_china_mx5.csv (UN WPP 2024, CC BY 3.0 IGO, via PPgp/wpp2024 mxM5/mxF5).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pandas as pd


def city_keys(params: Path = Path("params")) -> dict[str, str]:
    """Chinese city name → key, from every ``params/cities/<key>.yaml``."""
    import yaml

    out = {}
    for f in sorted((params / "cities").glob("*.yaml")):
        out[yaml.safe_load(f.read_text(encoding="utf-8"))["name_zh"]] = f.stem
    return out


AGE_STARTS = (45, 50, 55, 60, 65, 70, 75, 80, 85)
#: Units the census lists without a 区划代码: the key they keep in params.
NO_CODE_KEYS = {"山西大同经济开发区": "datong-kfq"}


def _age_column(sex_zh: str, start: int) -> str:
    return f"{sex_zh}_85岁以上" if start == 85 else f"{sex_zh}_{start}到{start + 4}岁"


def main(reference: Path, out: Path) -> None:
    """Write the extracted tables into ``out``."""
    from simlib.params.census import county_census

    keys = city_keys()
    age_rows, county_rows = [], []
    for r in county_census(2020, params_dir=Path("params")).to_dict("records"):
        name = r["区县"]
        # a county-level city (孝义市 under 吕梁市) is matched by its own name, as one county
        city = keys.get(r["市"]) or keys.get(name)
        if city is None:
            continue  # another city
        code = NO_CODE_KEYS[name] if pd.isna(r["区划代码"]) else r["区划代码"]
        county_rows.append(
            {
                "city": city,
                "county": code,
                "county_zh": name,
                "population": int(r["人口数_合计"]),
                "urban": int(r["城镇人口"]),
                "rural": int(r["乡村人口"]),
                "family_households": int(r["家庭户数"]),
                "one_person_households": int(r["一人户数"]),
                "households_with_65plus": int(r["有65岁及以上老年人口的户数"]),
                "households_one_65plus": int(r["有一个老人"]),
                "households_two_65plus": int(r["有二个老人"]),
                "pop15_male": _pop15(r, "男"),
                "pop15_female": _pop15(r, "女"),
                "sample15_male": int(r["十五岁以上人口_男"]),
                "sample15_female": int(r["十五岁以上人口_女"]),
                "married_male": int(r["有配偶_男"]),
                "married_female": int(r["有配偶_女"]),
                "widowed_male": int(r["丧偶_男"]),
                "widowed_female": int(r["丧偶_女"]),
            }
        )
        for sex, sex_zh in (("male", "男"), ("female", "女")):
            for start in AGE_STARTS:
                age_rows.append(
                    {
                        "city": city,
                        "county": code,
                        "sex": sex,
                        "age_start": start,
                        "count": int(r[_age_column(sex_zh, start)]),
                    }
                )
    _write(out / "census2020_counties.csv", county_rows)
    _write(out / "census2020_age_sex.csv", age_rows)
    mx = [
        m
        for m in csv.DictReader((reference / "wpp2024_china_mx5.csv").open(encoding="utf-8"))
        if int(m["age_start"]) >= 40
    ]
    _write(out / "wpp2024_mx.csv", mx)
    single = list(
        csv.DictReader((reference / "census2020_single_year_age.csv").open(encoding="utf-8"))
    )
    _write(out / "census2020_single_year.csv", [r for r in single if int(r["age"]) >= 45])


def _pop15(r: dict, sex_zh: str) -> int:
    """Census population of one sex aged 15+ (sum of the 5-year age columns from 15)."""
    starts = range(15, 85, 5)
    total = sum(int(r[_age_column(sex_zh, a)]) for a in starts)
    return total + int(r[f"{sex_zh}_85岁以上"])


def _write(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":
    ref = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("params/sources/reference")
    main(ref, Path("params/population"))

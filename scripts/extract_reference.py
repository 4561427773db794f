"""Copy the reference figures the model uses from params/sources/reference into params/population.

Run from the project root: ``python scripts/extract_reference.py [REFERENCE_DIR]``. The cities
are those of ``params/cities/*.yaml`` (their rows found by their county codes, through
:func:`simlib.params.census.city_rows`, which the loader also uses for a city not in these
files). The outputs are committed, so the model never reads outside ``params/``; this script
is how they were made, and re-running it must reproduce them byte for byte.

* ``census2020_age_sex.csv``: county × sex × 5-year age group (45–49 … 85+) population of the
  2020 census, for the five cities; and ``census2020_counties.csv``: county totals, urban and
  rural population, households (with one and two members 65+), the population 15+ by sex, and
  the long-form sample of the 15+ by sex with its married and widowed counts. Source: the
  county table of the 2020 census, ``simlib.params.census.county_census(2020)``
  (population/census/county_2020.parquet, built by scripts/build_census.py from Lei Dong,
  "census", GitHub leiii/census, census_county_2020_v1.xlsx, MIT; from the Tabulation on the
  2020 Population Census by County).
* ``census2020_single_year.csv``: China's population by single year of age (44 … 99, 100 =
  100+) and sex, 2020 census yearbook table 6-4 (average population Nov 2019 – Oct 2020):
  the shape that splits each county's 5-year groups into single years.
* ``census2010_single_year.csv``: the same for the 2010 census (average population Nov 2009 –
  Oct 2010, 《中国2010年人口普查资料》 table 6-4), from
  reference/census_mortality_single_age.csv: the back-cast's single-year shape.
* ``census2010_census_day.csv``: China's population by single year of age (34 … 99, 100 =
  100+) and sex on census day, 1 November 2010 (《中国2010年人口普查资料》 table 3-1), from
  reference/census2010_census_day_single_year.csv: the back-cast's single-year shape, and,
  carried ten years, the 2020 base's for ages 45–84
  (``simlib.population.synthesis.census_day_shape``).
* ``wpp2024_mx.csv``: central death rates for ages 40+ by sex and 5-year period. Source:
  reference/wpp2024_china_mx5.csv (UN WPP 2024, CC BY 3.0 IGO, via PPgp/wpp2024 mxM5/mxF5).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pandas as pd


def main(reference: Path, out: Path) -> None:
    """Write the extracted tables into ``out``."""
    from simlib.params.census import city_rows
    from simlib.params.cities import load_context
    from simlib.params.tree import city_keys, read_tree

    tree = read_tree(Path("params"))
    frames = []
    for city in city_keys(tree):
        ctx = load_context(tree, city)
        frames.append(city_rows(tree, city, ctx.counties, tree.where(f"cities/{city}.yaml")))
    frames.sort(key=lambda f: f[1]["county"].iloc[0])  # census order: by the first code
    _write(out / "census2020_counties.csv", pd.concat([f[1] for f in frames]).to_dict("records"))
    _write(out / "census2020_age_sex.csv", pd.concat([f[0] for f in frames]).to_dict("records"))
    mx = [
        m
        for m in csv.DictReader((reference / "wpp2024_china_mx5.csv").open(encoding="utf-8"))
        if int(m["age_start"]) >= 40
    ]
    _write(out / "wpp2024_mx.csv", mx)
    single = list(
        csv.DictReader((reference / "census2020_single_year_age.csv").open(encoding="utf-8"))
    )
    _write(out / "census2020_single_year.csv", [r for r in single if int(r["age"]) >= 44])
    deaths = csv.DictReader((reference / "census_mortality_single_age.csv").open(encoding="utf-8"))
    single10 = [
        {"age": r["age"], "male": r["avg_pop_male"], "female": r["avg_pop_female"]}
        for r in deaths
        if r["census_year"] == "2010" and r["area_type"] == "total" and int(r["age"]) >= 44
    ]
    _write(out / "census2010_single_year.csv", single10)
    day10 = csv.DictReader(
        (reference / "census2010_census_day_single_year.csv").open(encoding="utf-8")
    )
    _write(out / "census2010_census_day.csv", [r for r in day10 if int(r["age"]) >= 34])


def _write(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":
    ref = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("params/sources/reference")
    main(ref, Path("params/population"))

"""The county census tables of 2020 and 2010 (simlib.params.census).

Expected totals are the census figures as published (and as the workbook's own province and
national rows give them), not sums computed by the code under test.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from simlib.core.errors import ParamError
from simlib.params.census import (
    COLUMNS_2010_TO_2020,
    FILES,
    age_column,
    city_rows,
    county_census,
)
from simlib.params.cities import load_context
from simlib.params.demography import load_census
from simlib.params.tree import city_keys, read_tree

ROOT = Path(__file__).resolve().parents[1]
FIVE = {"大同市": "datong", "长治市": "changzhi", "晋城市": "jincheng", "濮阳市": "puyang"}


def test_2020_counties_add_up_to_the_published_totals():
    t = county_census(2020)
    assert t[["区划代码"]].dropna().duplicated().sum() == 0, "a county code is listed twice"
    # 山西省 7th census bulletin: 34 915 616 residents.
    assert t.loc[t["省"] == "山西省", "人口数_合计"].sum() == 34_915_616
    # The 31 provinces: 1 409 778 724 (the national figure 1 411 778 724 less 2 000 000
    # servicemen), plus 2 333 residents of 西沙/南沙/中沙群岛 that the workbook lists as units
    # but not in 海南省's row (params/population/census/README.md).
    assert t["人口数_合计"].sum() == 1_409_778_724 + 2_333
    assert not t["区县"].isin(["全国", "市辖区", "省直辖县级行政区划"]).any(), "a total row kept"


def test_2010_counties_add_up_to_the_published_totals():
    t = county_census(2010)
    # 山西省 6th census bulletin: 35 712 101; 31 provinces: 1 332 810 869.
    assert t.loc[t["省"] == "山西省", "合计"].sum() == 35_712_101
    assert t["合计"].sum() == 1_332_810_869
    # 2010 counties under their 2010 names: 大同市 had 城区, 矿区, 南郊区, 大同县 (11 units).
    datong = county_census(2010, prefecture="大同市")
    assert {"城区", "矿区", "南郊区", "大同县"} <= set(datong["区县"])
    assert len(datong) == 11


def test_every_mapped_2010_column_exists_in_both_tables():
    c10, c20 = set(county_census(2010).columns), set(county_census(2020).columns)
    assert set(COLUMNS_2010_TO_2020) <= c10
    assert set(COLUMNS_2010_TO_2020.values()) <= c20
    # the age groups of both tables are mapped one to one
    for sex in ("男", "女"):
        assert COLUMNS_2010_TO_2020[age_column(2010, sex, 85)] == age_column(2020, sex, 85)


def _reference_rows() -> list[dict]:
    """The five-city filter of the same workbook, kept as a byte copy of the shared file."""
    path = ROOT / "params/sources/reference/census2020_counties.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    return [r for r in rows if r["区县"] != r["市"]]  # drop the city total rows


def test_the_five_cities_rows_equal_the_shared_extract_in_every_column():
    ref = _reference_rows()
    t = county_census(2020)
    by_name = {(r["市"], r["区县"]): r for r in t.to_dict("records")}
    assert len(ref) == 38  # 11 大同 + 12 长治 + 6 晋城 + 1 孝义 + 8 濮阳
    for r in ref:
        got = by_name[(r["市"], r["区县"])]
        for col, text in r.items():
            if col in ("省", "市", "区县"):
                assert got[col] == text
            elif text == "":
                assert pd.isna(got[col]), (r["区县"], col)
            elif col == "区划代码":
                assert got[col] == str(int(float(text))), r["区县"]
            else:
                assert float(got[col]) == pytest.approx(float(text), rel=1e-12), (r["区县"], col)


def test_the_model_inputs_are_the_census_table_unchanged():
    """params/population/census2020_*.csv are county_census(2020) rows, value for value."""
    t = county_census(2020)
    t = t[t["市"].isin(FIVE) | (t["区县"] == "孝义市")].copy()
    t["key"] = t["区划代码"].fillna("datong-kfq")  # the one uncoded unit of the five
    t = t.set_index("key")
    counties = pd.read_csv(ROOT / "params/population/census2020_counties.csv", dtype=str)
    for r in counties.to_dict("records"):
        row = t.loc[r["county"]]
        assert row["区县"] == r["county_zh"]
        assert int(r["population"]) == row["人口数_合计"]
        assert int(r["urban"]) == row["城镇人口"]
        assert int(r["households_with_65plus"]) == row["有65岁及以上老年人口的户数"]
        assert int(r["widowed_female"]) == row["丧偶_女"]
        assert int(r["sample15_male"]) == row["十五岁以上人口_男"]
    ages = pd.read_csv(ROOT / "params/population/census2020_age_sex.csv", dtype={"county": str})
    assert len(ages) == 38 * 2 * 9
    for r in ages.to_dict("records"):
        sex_zh = "男" if r["sex"] == "male" else "女"
        assert r["count"] == t.loc[r["county"], age_column(2020, sex_zh, r["age_start"])]


def test_rows_derived_by_county_code_equal_the_committed_inputs():
    """The loader's path for a new city (city_rows) gives the five cities' committed rows."""
    tree = read_tree()
    census = load_census(tree)
    for city in city_keys(tree):
        ctx = load_context(tree, city)
        age_sex, counties = city_rows(tree, city, ctx.counties, city)
        want_a, want_c = census.city(city)
        for got, want in ((age_sex, want_a), (counties, want_c)):
            pd.testing.assert_frame_equal(
                got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False
            )


def test_a_county_code_not_in_the_census_is_named():
    tree = read_tree()
    with pytest.raises(ParamError, match="code 140299 .*not a county of the 2020 census"):
        city_rows(tree, "x", {140299: {"name_zh": "某区", "name_en": "X"}}, "cities/x.yaml")
    with pytest.raises(ParamError, match="code 140212 is 新荣区 in the 2020 census, not 平城区"):
        city_rows(tree, "x", {140212: {"name_zh": "平城区", "name_en": "X"}}, "cities/x.yaml")


def test_prefecture_by_name_short_name_and_county_level_city():
    taiyuan = county_census(2020, prefecture="太原市")
    # 10 coded districts/counties + 山西转型综合改革示范区 (no code)
    assert len(taiyuan) == 11
    assert taiyuan["区划代码"].isna().sum() == 1
    assert county_census(2020, prefecture="太原").equals(taiyuan)
    xiaoyi = county_census(2020, prefecture="孝义市")
    assert xiaoyi["区划代码"].tolist() == ["141181"] and xiaoyi["市"].iloc[0] == "吕梁市"


def test_unknown_ambiguous_or_unshipped_is_a_clear_error():
    with pytest.raises(ParamError, match="no prefecture '太原县'.*did you mean '太原市'"):
        county_census(2020, prefecture="太原县")
    with pytest.raises(ParamError, match="ambiguous"):
        county_census(2020, prefecture="黄")  # 黄山市, 黄冈市, 黄南藏族自治州
    with pytest.raises(ParamError, match="allowed: 2020, 2010"):
        county_census(2015)


def test_the_tables_are_part_of_the_params_hash():
    tree = read_tree()
    assert set(FILES.values()) <= set(tree.digests)

"""The county tables of China's 2020 and 2010 censuses, for every prefecture.

Both tables are package data under ``params/population/census/`` (``county_2020.parquet``,
``county_2010.parquet``), read only through the params tree (so a run's params hash covers
them). Source: Lei Dong, open dataset "census" (GitHub leiii/census, ``data/census/
census_county_2020_v1.xlsx`` from the 7th census yearbook by county, and
``census_county_2010_v1.xlsx`` from the 6th census yearbook by county), MIT licence, copy in
``params/population/census/LICENSE``. ``scripts/build_census.py`` rebuilds the Parquet files
from the xlsx files and says exactly what it changes (row selection, key columns, no value).

One row per county-level unit (district, county, county-level city, banner, and the
development zones the census lists without a code), never a total row. Columns:

* keys: ``区划代码`` (6-digit administrative code as text, as the census lists it; missing
  (NA, test with ``isna()``) for units listed without one, e.g. 山西大同经济开发区), ``省``
  (province), ``市`` (prefecture; a municipality's name for its districts; a county-level
  unit directly under its province, such as 济源市 or 仙桃市, is its own ``市``), ``区县``
  (the unit);
* 2020 (149 value columns, names as in the workbook): population (``人口数_合计``/``_男``/
  ``_女``, persons), sex ratio (``性别比（女=100）``), minority share (%), ``城镇人口``/
  ``乡村人口``/``城区人口`` (persons), family households and their size and generations
  (households, persons), population by sex and age group (``男_0岁``, ``男_1到4岁``,
  ``男_5到9岁`` … ``男_80到84岁``, ``男_85岁以上``, and ``女_…``; persons), age shares (%),
  households with members 65+ (``有65岁及以上老年人口的户数``, ``有一个老人``,
  ``有二个老人``, ``有三个及以上老人``; households), residents registered elsewhere, education
  by sex (persons 3+; average years), illiteracy, occupation and industry (long form,
  persons), marital status of the 15+ by sex (long-form sample, ``十五岁以上人口_男``,
  ``有配偶_男``, ``丧偶_男`` …; persons in the sample), fertility of women 15–64, housing
  (long form). Integers are whole persons or households; shares are per cent.
* 2010 (167 value columns, the 6th census yearbook's headers without line breaks): the
  same topics under the 2010 names (``合计``, ``男``, ``女``, ``0岁（男）``,
  ``5-9岁（男）`` … ``85岁及以上（男）``, ``未婚-男`` …), plus ``户籍人口``, the 2010
  non-agricultural share, birth, death and natural growth rates (‰), in-migrants by origin,
  the non-working population by reason and the 2010 industry classification. The counties
  are those of 2010 (e.g. 大同市 城区, 矿区, 南郊区, 大同县 before the 2018 redistricting), with
  2010 codes and names.

:data:`COLUMNS_2010_TO_2020` maps each 2010 column to the 2020 column that counts the same
thing; columns not in it have no 2020 counterpart of the same definition (occupation and
industry classes changed in 2015; 2020 adds pre-school education and splits the other housing
sources).

A county-level city under a prefecture (孝义市 under 吕梁市) is found by its own name:
``county_census(2020, prefecture="孝义市")`` returns its one row.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pandas as pd

from simlib.core.errors import ParamError
from simlib.params.tree import ParamTree, read_tree

#: Census years shipped, and their Parquet file under the params tree.
FILES = {
    2020: "population/census/county_2020.parquet",
    2010: "population/census/county_2010.parquet",
}
#: The key columns of both tables, in order.
KEYS = ("区划代码", "省", "市", "区县")
#: Age groups of both tables (start ages); 85 is open (85+).
AGE_STARTS = (0, 1, *range(5, 90, 5))


def age_column(year: int, sex_zh: str, start: int) -> str:
    """The column of one sex and age group.

    Args:
        year: 2020 or 2010.
        sex_zh: ``"男"`` or ``"女"``.
        start: The group's first age (one of :data:`AGE_STARTS`; 85 is 85+), years.

    Returns:
        E.g. ``"男_60到64岁"`` (2020) or ``"60-64岁（男）"`` (2010).
    """
    end = {0: 0, 1: 4}.get(start, start + 4)
    if year == 2020:
        if start == 85:
            return f"{sex_zh}_85岁以上"
        return f"{sex_zh}_0岁" if start == 0 else f"{sex_zh}_{start}到{end}岁"
    if start == 85:
        return f"85岁及以上（{sex_zh}）"
    return f"0岁（{sex_zh}）" if start == 0 else f"{start}-{end}岁（{sex_zh}）"


def _same_columns() -> dict[str, str]:
    same = {k: k for k in KEYS}
    same.update(
        {
            "合计": "人口数_合计",
            "男": "人口数_男",
            "女": "人口数_女",
            "性别比（女=100）": "性别比（女=100）",
            "少数民族人口比重（%）": "少数民族人口比重（%）",
            "城镇人口": "城镇人口",
            "乡村人口": "乡村人口",
            "户数": "家庭户数",
            "人口数": "家庭户人口数",
            "户规模（人/户）": "户规模",
            "一人户": "一人户数",
            "一代户": "一代户数",
            "二代户": "二代户数",
            "三代户": "三代户数",
            "四代以上户": "四代以上户数",
            "0-14岁（%）": "人口比重_0-14岁",
            "15-64岁（%）": "人口比重_15-64岁",
            "65岁及以上（%）": "人口比重_65岁及以上",
            "15-49岁育龄妇女（%）": "人口比重_15-49岁育龄妇女",
            "有65岁及以上老年人口的户数（户）-合计": "有65岁及以上老年人口的户数",
            "有65岁及以上老年人口的户数（户）-有一个老人": "有一个老人",
            "有65岁及以上老年人口的户数（户）-有二个老人": "有二个老人",
            "有65岁及以上老年人口的户数（户）-有三个及以上老人": "有三个及以上老人",
            "平均受教育年限（年）-合计": "平均受教育年限_合计",
            "15岁及以上文盲人口-合计": "15岁及以上文盲人口",
            "文盲人口占15岁及以上人口比重（%）-合计": "文盲占15岁及以上人口比重",
            "15岁及以上人口-合计": "十五岁以上人口",
            "15-64岁妇女-平均活产子女数": "15-64岁妇女平均活产子女数",
            "15-64岁妇女-平均存活子女数": "15-64岁妇女平均存活子女数",
            "各种职业人口总计": "各种职业人口总计",
            "各种行业人口总计": "各种行业人口总计",
            "全部数据-家庭户": "家庭户户数",
            "长表数据-家庭户": "家庭户户数_长表",
            "平均每户住房间数（间/户）": "平均每户住房间数",
            "人均住房建筑面积（平方米/人）": "人均住房建筑面积",
            "住房内有无管道自来水-有": "住房內有管道自来水",
            "住房内有无厨房-有": "住房內有厨房",
            "住房内有无厕所-有": "住房內有厕所",
            "住房内有无洗澡设施-有": "住房内有洗澡设施",
            "住房来源-租赁": "住房来源_租赁",
            "住房来源-自建": "住房来源_自建",
            "住房来源-购买": "住房来源_购买",
        }
    )
    for sex in ("男", "女"):
        for start in AGE_STARTS:
            same[age_column(2010, sex, start)] = age_column(2020, sex, start)
        for level, new in (
            ("未上过学", "未上过学"),
            ("小学", "小学"),
            ("初中", "初中"),
            ("高中", "高中"),
            ("大学专科", "大学专科"),
            ("大学本科及以上", "本科及以上"),
        ):
            same[f"{level}-{sex}"] = f"{new}_{sex}"
        same[f"平均受教育年限（年）-{sex}"] = f"平均受教育年限_{sex}"
        same[f"15岁及以上文盲人口-{sex}"] = f"15岁及以上文盲人口_{sex}"
        same[f"文盲人口占15岁及以上人口比重（%）-{sex}"] = f"文盲占15岁及以上人口比重_{sex}"
        same[f"15岁及以上人口-{sex}"] = f"十五岁以上人口_{sex}"
    for status in ("未婚", "有配偶", "离婚", "丧偶"):
        same[f"{status}-小计"] = status
        for sex in ("男", "女"):
            same[f"{status}-{sex}"] = f"{status}_{sex}"
    return same


#: 2010 column → the 2020 column of the same definition (keys included). Age groups, sex,
#: urban/rural, households (with members 65+), education of the 6+ (2020: 3+, with
#: pre-school apart), illiteracy, marital status of the long-form 15+, fertility, housing.
COLUMNS_2010_TO_2020: dict[str, str] = _same_columns()


def census_table(tree: ParamTree, year: int) -> pd.DataFrame:
    """The whole county table of one census year from a params tree.

    Args:
        tree: The params tree (:func:`simlib.params.tree.read_tree`).
        year: 2020 or 2010.

    Returns:
        One row per county (a copy: callers may change it).

    Raises:
        ParamError: If ``year`` is not shipped or the file is missing or unreadable.
    """
    if year not in FILES:
        raise ParamError(
            f"census year {year!r}: no county table; allowed: {', '.join(map(str, FILES))}"
        )
    df = tree.parquet(FILES[year])
    missing = [k for k in KEYS if k not in df.columns]
    if missing:
        raise ParamError(f"{tree.where(FILES[year])}: missing key columns {missing}")
    return df


def prefecture_rows(table: pd.DataFrame, name: str, where: str = "census") -> pd.DataFrame:
    """The county rows of one prefecture (or one county-level city) of a census table.

    Matching, in order: ``市`` equal to ``name``; ``市`` equal to ``name`` + ``市``; the one
    ``市`` that starts with ``name`` (``"恩施"`` → 恩施土家族苗族自治州); the one ``区县``
    equal to ``name`` or ``name`` + ``市`` that is a city (孝义市).

    Args:
        table: A table from :func:`census_table`.
        name: The prefecture's Chinese name, with or without 市.
        where: How errors name the table.

    Returns:
        Its county rows, in the table's order.

    Raises:
        ParamError: If no prefecture matches (with a did-you-mean) or several do.
    """
    if not isinstance(name, str) or not name.strip():
        raise ParamError(f"{where}: expected a prefecture name (e.g. '太原市'), got {name!r}")
    name = name.strip()
    cities = table["市"]
    for candidate in (name, name + "市"):
        hit = table[cities == candidate]
        if len(hit):
            return hit
    starts = sorted({c for c in cities.unique() if c.startswith(name)})
    if len(starts) == 1:
        return table[cities == starts[0]]
    county = table[table["区县"].isin([name, name + "市"]) & table["区县"].str.endswith("市")]
    if len(county) == 1 and not starts:
        return county
    if len(starts) > 1 or len(county) > 1:
        options = starts or [f"{r.省}{r.市}{r.区县}" for r in county.itertuples()]
        raise ParamError(f"{where}: prefecture {name!r} is ambiguous: {', '.join(options)}")
    names = sorted(set(cities) | set(table.loc[table["区县"].str.endswith("市"), "区县"]))
    raise ParamError(f"{where}: no prefecture {name!r}{_suggest(name, names)}")


def _suggest(name: str, names: list[str]) -> str:
    """``"; did you mean '太原市'?"`` for up to three close names, compared without 市.

    Short names of two or three characters that differ by one character have a similarity
    of 0.5, hence the cutoff.
    """
    short = {n.removesuffix("市"): n for n in names}
    close = difflib.get_close_matches(name.removesuffix("市"), list(short), n=3, cutoff=0.5)
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(short[c]) for c in close) + "?"


def county_census(
    year: int, *, prefecture: str | None = None, params_dir: str | Path | None = None
) -> pd.DataFrame:
    """China's county census table of 2020 or 2010, whole or for one prefecture.

    Args:
        year: 2020 (7th census) or 2010 (6th census).
        prefecture: A prefecture's Chinese name (``"太原市"`` or ``"太原"``), or a
            county-level city's (``"孝义市"``); the 2010 table uses 2010 names. None for
            every county of China.
        params_dir: The params tree to read (the bundled one by default).

    Returns:
        One row per county: ``区划代码``, ``省``, ``市``, ``区县`` and the table's columns (see
        the module docstring; counts in persons or households, shares in per cent). Whole
        numbers are ``Int64``, missing values ``<NA>``.

    Raises:
        ParamError: On an unshipped year, or an unknown (did-you-mean) or ambiguous
            prefecture.

    Example:
        >>> county_census(2020, prefecture="太原市")[["区划代码", "区县", "人口数_合计"]].head(2)
             区划代码   区县  人口数_合计
        0  140105  小店区  1139798
        1  140106  迎泽区   592747
    """
    tree = read_tree(params_dir)
    table = census_table(tree, year)
    if prefecture is not None:
        table = prefecture_rows(table, prefecture, f"county_census({year})")
    return table.reset_index(drop=True)


#: The model's census inputs (``params/population/census2020_*.csv`` columns): county
#: table column → the 2020 census column it is, persons or households.
MODEL_COLUMNS = {
    "population": "人口数_合计",
    "urban": "城镇人口",
    "rural": "乡村人口",
    "family_households": "家庭户数",
    "one_person_households": "一人户数",
    "households_with_65plus": "有65岁及以上老年人口的户数",
    "households_one_65plus": "有一个老人",
    "households_two_65plus": "有二个老人",
    "sample15_male": "十五岁以上人口_男",
    "sample15_female": "十五岁以上人口_女",
    "married_male": "有配偶_男",
    "married_female": "有配偶_女",
    "widowed_male": "丧偶_男",
    "widowed_female": "丧偶_女",
}
#: The model's 5-year age groups (start ages; 85 is 85+).
MODEL_AGE_STARTS = (45, 50, 55, 60, 65, 70, 75, 80, 85)


def city_rows(
    tree: ParamTree, city: str, counties: dict[int | str, dict[str, str]], where: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A city's census inputs, derived from the 2020 county table by its county codes.

    Each county of the city file is found by its 区划代码 (an int), or, for a unit the census
    lists without a code (a text key such as ``datong-kfq``), by its ``name_zh``; its
    ``name_zh`` must be the census 区县. Rows come in the census table's order.

    Args:
        tree: The params tree.
        city: The city key.
        counties: The city file's counties (code or text key → ``name_zh``, ``name_en``).
        where: How errors name the city file.

    Returns:
        ``(age_sex, counties)`` with the columns of ``population/census2020_age_sex.csv``
        (city, county, sex, age_start, count: persons) and
        ``population/census2020_counties.csv`` (city, county, county_zh, the columns of
        :data:`MODEL_COLUMNS`, and pop15_male/female: the 15+ population, the sum of the age
        groups from 15, persons).

    Raises:
        ParamError: If a county is not in the census, its name differs, or a value it needs
            is missing.
    """
    table = census_table(tree, 2020)
    found: dict[int, int | str] = {}
    for key, names in counties.items():
        name = names["name_zh"]
        if isinstance(key, int) and not isinstance(key, bool):
            hit = table.index[table["区划代码"] == f"{key:06d}"]
            if not len(hit):
                same = table.loc[table["区县"] == name, "区划代码"].dropna().tolist()
                hint = f"; the census lists {name} as {', '.join(same)}" if same else ""
                raise ParamError(
                    f"{where}: counties: code {key} ({name}) is not a county of the 2020 "
                    f"census (county_census(2020)){hint}"
                )
            if table.at[hit[0], "区县"] != name:
                raise ParamError(
                    f"{where}: counties: code {key} is {table.at[hit[0], '区县']} in the 2020 "
                    f"census, not {name}"
                )
        else:
            hit = table.index[table["区划代码"].isna() & (table["区县"] == name)]
            if len(hit) != 1:
                raise ParamError(
                    f"{where}: counties: {key!r} ({name}): the 2020 census lists "
                    f"{len(hit)} units named {name} without a code (need exactly one)"
                )
        found[int(hit[0])] = key
    age_rows, county_rows = [], []
    for i in sorted(found):
        r, key = table.loc[i], str(found[i])

        def value(col: str, r=r, key=key) -> int:
            v = r[col]
            if pd.isna(v) or v < 0:
                raise ParamError(
                    f"{where}: county {key} ({r['区县']}): the 2020 census has no count "
                    f"{col!r} (got {v!r})"
                )
            return int(v)

        row = {"city": city, "county": key, "county_zh": r["区县"]}
        row.update({k: value(col) for k, col in MODEL_COLUMNS.items()})
        for sex, sex_zh in (("male", "男"), ("female", "女")):
            row[f"pop15_{sex}"] = sum(
                value(age_column(2020, sex_zh, a)) for a in AGE_STARTS if a >= 15
            )
            for start in MODEL_AGE_STARTS:
                count = value(age_column(2020, sex_zh, start))
                age_rows.append(
                    {"city": city, "county": key, "sex": sex, "age_start": start, "count": count}
                )
        county_rows.append(row)
    order = ["city", "county", "county_zh", *list(MODEL_COLUMNS)[:8], "pop15_male"]
    order += ["pop15_female", *list(MODEL_COLUMNS)[8:]]
    return pd.DataFrame(age_rows), pd.DataFrame(county_rows)[order]

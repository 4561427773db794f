"""Census and mortality tables (``params/population/*.csv``), validated row by row.

* ``census2020_age_sex.csv``: residents by city, county, sex and 5-year age group (45+,
  85+ open), from the 2020 census county tabulation;
* ``census2020_counties.csv``: county totals (population, urban, households);
* ``wpp2024_mx.csv``: WPP 2024 central death rates by sex, 5-year age group and period.

:func:`load_mortality` turns the rates into a single-year table ``mx[sex, age, year]``:
log-linear interpolation between 5-year age-group midpoints and between period midpoints,
held flat beyond the last group (100+) and period. Rates become one-year probabilities only
through :func:`simlib.core.units.rate_to_prob`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simlib.core.errors import ParamError
from simlib.core.reader import Column
from simlib.core.units import rate_to_prob
from simlib.params.census import city_rows
from simlib.params.cities import CityContext
from simlib.params.tree import ParamTree, remembered

#: Highest single year of age the model holds (everyone older is kept at this age).
MAX_AGE = 110
#: Sex labels in code order (as :data:`simlib.core.people.SCHEMA` "sex").
SEXES = ("male", "female")
#: Calendar years the mortality table covers.
FIRST_YEAR, LAST_YEAR = 2000, 2050
#: Age groups of the census table (start ages); the last is open (85+).
CENSUS_AGE_STARTS = (45, 50, 55, 60, 65, 70, 75, 80, 85)

AGE_SEX = (
    Column("city"),
    Column("county"),
    Column("sex", labels=SEXES),
    Column("age_start", "int", lo=0, hi=120),
    Column("count", "int", lo=0),
)
COUNTIES = (
    Column("city"),
    Column("county"),
    Column("county_zh"),
    Column("population", "int", lo=1),
    Column("urban", "int", lo=0),
    Column("rural", "int", lo=0),
    Column("family_households", "int", lo=0),
    Column("one_person_households", "int", lo=0),
    Column("households_with_65plus", "int", lo=0),
    Column("households_one_65plus", "int", lo=0),
    Column("households_two_65plus", "int", lo=0),
    Column("pop15_male", "int", lo=0),
    Column("pop15_female", "int", lo=0),
    Column("sample15_male", "int", lo=1),
    Column("sample15_female", "int", lo=1),
    Column("married_male", "int", lo=0),
    Column("married_female", "int", lo=0),
    Column("widowed_male", "int", lo=0),
    Column("widowed_female", "int", lo=0),
)
SINGLE_YEAR = (
    Column("age", "int", lo=0, hi=100),
    Column("male", "int", lo=1),
    Column("female", "int", lo=1),
)
WPP = (
    Column("sex", labels=SEXES),
    Column("age_start", "int", lo=0, hi=120),
    Column("open_ended", required=False),
    Column("period"),
    Column("mx", "float", lo=0, hi=10),
)


class _Table:
    """A dataclass field holding a table, given out as a copy-on-write copy.

    The table is kept under ``_<name>``; reading the field gives ``table.copy(deep=False)``
    (pandas copies no data until the copy is changed, and then changes only the copy).
    """

    def __init__(self, required: bool = False) -> None:
        self.required = required

    def __set_name__(self, owner: type, name: str) -> None:
        self.key = f"_{name}"

    def __get__(self, obj: Any, owner: type | None = None) -> pd.DataFrame | None:
        if obj is None:  # the dataclass asks for the field's default
            if self.required:
                raise AttributeError(self.key)
            return None
        table = obj.__dict__[self.key]
        return None if table is None else table.copy(deep=False)

    def __set__(self, obj: Any, table: pd.DataFrame | None) -> None:
        obj.__dict__[self.key] = table  # by __init__ only: the dataclass is frozen


@dataclass(frozen=True)
class Census:
    """The census tables.

    Attributes:
        age_sex: city, county, sex, age_start, count.
        counties: city, county, county_zh, population, urban, rural, households.
        single_year: China's population by single year of age (44 … 99, 100 = 100+) and
            sex (2020 census, average population of the census year): carried to census day
            (:func:`simlib.population.synthesis.census_day_single_year`), the shape of the
            single-year split of the 5-year groups where no census-day table exists.
        census_day: China's population by single year of age and sex on the census's own
            day (the census yearbook's table 3-1), where params holds it (2010), else None.
        earlier_census_day: The census-day table of the census ten years before (2010 for
            the 2020 census), carried ten years on to give the census-day shape of the
            cohorts it counted (:func:`simlib.population.synthesis.census_day_shape`).

    A loaded census is shared by every run (:func:`~simlib.params.tree.remembered`) and a
    pandas table cannot be made read-only, so each attribute gives a copy-on-write copy of
    the table it keeps (:class:`_Table`: no data is copied until the caller changes its
    copy, and then only that copy changes).
    """

    age_sex: pd.DataFrame = _Table(required=True)
    counties: pd.DataFrame = _Table(required=True)
    single_year: pd.DataFrame | None = _Table()
    census_day: pd.DataFrame | None = _Table()
    earlier_census_day: pd.DataFrame | None = _Table()

    def city(self, city: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The rows of one city: ``(age_sex, counties)`` (new tables, the caller's own)."""
        return (
            self._age_sex[self._age_sex["city"] == city],  # kept tables: a filter is new
            self._counties[self._counties["city"] == city],
        )

    def widowed(self, city: str, counties: list[str]) -> np.ndarray:
        """Widowed persons per county and sex ``[county, sex]``.

        The long-form share of the 15+ times the 15+ population (all widowed taken as 45+).
        """
        _, cty = self.city(city)
        cty = cty.set_index("county").loc[counties]
        out = np.zeros((len(counties), 2))
        for s, sex in enumerate(("male", "female")):
            share = cty[f"widowed_{sex}"] / cty[f"sample15_{sex}"]
            out[:, s] = (share * cty[f"pop15_{sex}"]).to_numpy()
        return out

    def shares(self, city: str) -> tuple[float, float]:
        """Female and urban shares of a city's census population aged 45+.

        The urban share weights each county's all-age urban share by its 45+ population (the
        census table gives urban/rural for all ages only).

        Returns:
            ``(female_share, urban_share)``.
        """
        tab, cty = self.city(city)
        female = tab.loc[tab["sex"] == "female", "count"].sum() / tab["count"].sum()
        n45 = tab.groupby("county")["count"].sum()
        cty = cty.set_index("county").loc[n45.index]
        urban = float((n45 * cty["urban"] / cty["population"]).sum() / n45.sum())
        return float(female), urban


@remembered
def load_census(tree: ParamTree, context: CityContext | None = None) -> Census:
    """Load and cross-check the census tables.

    A city the two tables do not hold (any prefecture added by its city file alone) gets its
    rows from China's 2020 county table by its county codes
    (:func:`simlib.params.census.city_rows`); the five bundled cities' rows in the tables
    are the same values, written by ``scripts/extract_reference.py``.

    Args:
        tree: The params tree.
        context: The city whose rows must be present (derived from the county table if the
            tables lack them); None loads the tables as they are.

    Raises:
        ParamError: On a malformed value (row named), an age group outside
            :data:`CENSUS_AGE_STARTS`, a duplicated cell, urban + rural ≠ population, or a
            county of the age table missing from the county table.
    """
    rel_a, rel_c = "population/census2020_age_sex.csv", "population/census2020_counties.csv"
    age_sex = tree.csv(rel_a, AGE_SEX)
    counties = tree.csv(rel_c, COUNTIES)
    if context is not None and not (counties["city"] == context.city).any():
        where = tree.where(f"cities/{context.city}.yaml")
        more_a, more_c = city_rows(tree, context.city, context.counties, where)
        age_sex = pd.concat([age_sex, more_a.astype(age_sex.dtypes.to_dict())], ignore_index=True)
        counties = pd.concat(
            [counties, more_c.astype(counties.dtypes.to_dict())], ignore_index=True
        )
    bad = ~age_sex["age_start"].isin(CENSUS_AGE_STARTS)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ParamError(
            f"{tree.where(rel_a)}: line {i + 2}: age_start {age_sex['age_start'].iloc[i]}; "
            f"allowed: {', '.join(map(str, CENSUS_AGE_STARTS))}"
        )
    dup = age_sex.duplicated(["city", "county", "sex", "age_start"])
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise ParamError(f"{tree.where(rel_a)}: line {i + 2}: the same cell is listed twice")
    if counties.duplicated(["city", "county"]).any():
        raise ParamError(f"{tree.where(rel_c)}: a county is listed twice")
    for sex in ("male", "female"):
        over = counties[f"married_{sex}"] + counties[f"widowed_{sex}"] > counties[f"sample15_{sex}"]
        if over.any():
            i = int(np.flatnonzero(over)[0])
            raise ParamError(
                f"{tree.where(rel_c)}: line {i + 2}: married + widowed {sex} exceed the sample"
            )
    mism = counties["urban"] + counties["rural"] != counties["population"]
    if mism.any():
        i = int(np.flatnonzero(mism)[0])
        raise ParamError(f"{tree.where(rel_c)}: line {i + 2}: urban + rural != population")
    known = set(zip(counties["city"], counties["county"], strict=True))
    for i, key in enumerate(zip(age_sex["city"], age_sex["county"], strict=True)):
        if key not in known:
            raise ParamError(
                f"{tree.where(rel_a)}: line {i + 2}: county {key[1]} of {key[0]} is not in "
                f"{tree.where(rel_c)}"
            )
    rel_s = "population/census2020_single_year.csv"
    single = tree.csv(rel_s, SINGLE_YEAR) if rel_s in tree else None
    if single is not None:
        ages = single["age"].to_numpy()
        if not (np.diff(ages) == 1).all() or ages[0] > CENSUS_AGE_STARTS[0] - 1 or ages[-1] != 100:
            raise ParamError(
                f"{tree.where(rel_s)}: ages must run one by one from at most "
                f"{CENSUS_AGE_STARTS[0] - 1} to 100 (= 100+; the age below the youngest "
                "carries the census-day shape)"
            )
    return Census(
        age_sex, counties, single, load_census_day(tree, 2020), load_census_day(tree, 2010)
    )


@dataclass(frozen=True)
class Mortality:
    """Single-year central death rates.

    Attributes:
        mx: Array ``[sex, age, year - FIRST_YEAR]`` of deaths per person-year; read-only
            (a view of the array given, ``flags.writeable`` False), also once unpickled:
            every run shares a loaded table.
    """

    mx: np.ndarray

    def __post_init__(self) -> None:
        if self.mx.flags.writeable:
            mx = self.mx.view()
            mx.flags.writeable = False
            object.__setattr__(self, "mx", mx)

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)  # unpickled: numpy does not pickle the flag
        self.__post_init__()

    def rate(self, sex: np.ndarray, age: np.ndarray, year: int) -> np.ndarray:
        """Death rate per person-year for each person in calendar ``year``.

        Args:
            sex: Sex codes (0 male, 1 female).
            age: Age in completed years (clipped to :data:`MAX_AGE`).
            year: Calendar year (clipped to the table).

        Returns:
            mx per person.
        """
        y = min(max(year, FIRST_YEAR), LAST_YEAR) - FIRST_YEAR
        return self.mx[sex, np.minimum(age, MAX_AGE), y]

    def life_expectancy(self, sex: int, age: int, year: int) -> float:
        """Period life expectancy at ``age`` from the single-year table of ``year``.

        Deaths within a year of age are taken to happen at mid-year, matching how the model
        counts person-years. The open end at :data:`MAX_AGE` keeps its rate until everyone
        has died.

        Args:
            sex: 0 male, 1 female.
            age: Starting age (years).
            year: Calendar year of the period table.

        Returns:
            Expected remaining years of life.
        """
        mx = self.mx[sex, age:, min(max(year, FIRST_YEAR), LAST_YEAR) - FIRST_YEAR]
        q = rate_to_prob(mx)
        lx = np.concatenate([[1.0], np.cumprod(1 - q)[:-1]])
        years = lx * (1 - q / 2)
        tail = lx[-1] * (1 - q[-1]) / mx[-1]  # open end: constant hazard
        return float(years.sum() + tail)


def _log_interp(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    return np.exp(np.interp(x, xp, np.log(fp)))


@remembered
def load_mortality(tree: ParamTree) -> Mortality:
    """Build the single-year mortality table from ``params/population/wpp2024_mx.csv``.

    Raises:
        ParamError: On a malformed row, a non-positive rate, a bad period label or a
            missing cell of the sex × age × period grid.
    """
    rel = "population/wpp2024_mx.csv"
    df = tree.csv(rel, WPP)
    if (df["mx"] <= 0).any():
        i = int(np.flatnonzero(df["mx"] <= 0)[0])
        raise ParamError(f"{tree.where(rel)}: line {i + 2}: mx must be > 0")
    start = pd.to_numeric(df["period"].str.slice(0, 4), errors="coerce")
    if start.isna().any() or not df["period"].str.fullmatch(r"\d{4}-\d{4}").all():
        raise ParamError(f"{tree.where(rel)}: period must read YYYY-YYYY")
    df["period_mid"] = start + 2.5
    ages = np.arange(MAX_AGE + 1) + 0.5  # single-year midpoints
    years = np.arange(FIRST_YEAR, LAST_YEAR + 1) + 0.5
    mx = np.empty((2, MAX_AGE + 1, len(years)))
    for s, sex in enumerate(SEXES):
        sub = df[df["sex"] == sex]
        try:
            table = sub.pivot(index="age_start", columns="period_mid", values="mx").sort_index()
        except ValueError:
            raise ParamError(
                f"{tree.where(rel)}: {sex}: an age × period cell is repeated"
            ) from None
        if table.isna().any().any() or table.empty:
            raise ParamError(f"{tree.where(rel)}: {sex}: the age × period grid has gaps")
        group_mid = table.index.to_numpy() + 2.5
        by_age = np.stack(
            [_log_interp(ages, group_mid, table[c].to_numpy()) for c in table.columns], axis=1
        )
        period_mid = table.columns.to_numpy(dtype=float)
        for a in range(MAX_AGE + 1):
            mx[s, a] = _log_interp(years, period_mid, by_age[a])
    return Mortality(mx)


def load_single_year(tree: ParamTree, year: int) -> pd.DataFrame:
    """China's single-year table of a census year (average population of the census year).

    Args:
        tree: The params tree.
        year: 2020 or 2010 (``population/census<year>_single_year.csv``).

    Returns:
        age (the first age … 99, 100 = 100+), male, female (persons).

    Raises:
        ParamError: If the file is missing or malformed, or its ages do not run one by one
            from at most 44 to 100.
    """
    rel = f"population/census{year}_single_year.csv"
    single = tree.csv(rel, SINGLE_YEAR)
    ages = single["age"].to_numpy()
    if not (np.diff(ages) == 1).all() or ages[0] > CENSUS_AGE_STARTS[0] - 1 or ages[-1] != 100:
        raise ParamError(
            f"{tree.where(rel)}: ages must run one by one from at most "
            f"{CENSUS_AGE_STARTS[0] - 1} to 100 (= 100+)"
        )
    return single


def load_census_day(tree: ParamTree, year: int) -> pd.DataFrame | None:
    """China's population by single year of age on census day (table 3-1), if params has it.

    ``population/census<year>_census_day.csv`` (age … 99, 100 = 100+; male, female): the 2010
    census's table 3-1 is there; the 2020 census's is not (not found in the reference
    material; :func:`simlib.population.synthesis.census_day_shape` then derives the shape).

    Args:
        tree: The params tree.
        year: The census year.

    Returns:
        age, male, female (persons on 1 November of ``year``), or None when the file is absent.

    Raises:
        ParamError: If the file is malformed, or its ages do not run one by one from at most
            34 to 100.
    """
    rel = f"population/census{year}_census_day.csv"
    if rel not in tree:
        return None
    table = tree.csv(rel, SINGLE_YEAR)
    ages = table["age"].to_numpy()
    first = CENSUS_AGE_STARTS[0] - 11  # the ages of 2020's 45+ ten years earlier, and one more
    if not (np.diff(ages) == 1).all() or ages[0] > first or ages[-1] != 100:
        raise ParamError(
            f"{tree.where(rel)}: ages must run one by one from at most {first} to 100 (= 100+)"
        )
    return table


def census_of_year(tree: ParamTree, year: int, city: str, prefecture: str) -> Census:
    """A city's census tables built from China's county table of ``year`` (the back-cast's 2010).

    The county table (:func:`simlib.params.census.county_census`) gives the residents by
    county, sex and 5-year age group, urban and rural population, households and the
    long-form marital status of the 15+; the single-year shape is the year's
    (:func:`load_single_year`). Columns follow :data:`COUNTIES` (the 15+ population summed
    from the age groups; the long-form 15+ as ``sample15``).

    Args:
        tree: The params tree.
        year: 2010 or 2020.
        city: City key (the ``city`` column).
        prefecture: The prefecture or county-level city as the table names it (``"大同市"``).

    Returns:
        The :class:`Census` of the city's counties in that year's boundaries.
    """
    from simlib.params.census import age_column, county_census

    rows = county_census(year, prefecture=prefecture, params_dir=tree.root)

    def col(name2010: str, name2020: str) -> pd.Series:
        return pd.to_numeric(rows[name2010 if year == 2010 else name2020]).astype("int64")

    county = rows["区划代码"].astype(str)
    age_rows, cty = [], pd.DataFrame({"city": city, "county": county, "county_zh": rows["区县"]})
    cty["population"] = col("合计", "人口数_合计")
    cty["urban"] = col("城镇人口", "城镇人口")
    # a county that is all urban has no rural figure (missing, not 0)
    rural = pd.to_numeric(rows["乡村人口"])
    cty["rural"] = rural.fillna(cty["population"] - cty["urban"]).astype("int64")
    cty["family_households"] = col("户数", "家庭户数")
    cty["one_person_households"] = col("一人户", "一人户数")
    h65 = "有65岁及以上老年人口的户数（户）"
    cty["households_with_65plus"] = col(f"{h65}-合计", "有65岁及以上老年人口的户数")
    cty["households_one_65plus"] = col(f"{h65}-有一个老人", "有一个老人")
    cty["households_two_65plus"] = col(f"{h65}-有二个老人", "有二个老人")
    for sex, zh in (("male", "男"), ("female", "女")):
        pop15 = sum(
            pd.to_numeric(rows[age_column(year, zh, a)]).astype("int64")
            for a in (15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85)
        )
        cty[f"pop15_{sex}"] = pop15
        cty[f"sample15_{sex}"] = col(f"15岁及以上人口-{zh}", f"十五岁以上人口_{zh}")
        cty[f"married_{sex}"] = col(f"有配偶-{zh}", f"有配偶_{zh}")
        cty[f"widowed_{sex}"] = col(f"丧偶-{zh}", f"丧偶_{zh}")
        for start in CENSUS_AGE_STARTS:
            n = pd.to_numeric(rows[age_column(year, zh, start)]).astype("int64")
            age_rows.append(
                pd.DataFrame(
                    {"city": city, "county": county, "sex": sex, "age_start": start, "count": n}
                )
            )
    age_sex = pd.concat(age_rows, ignore_index=True)
    return Census(
        age_sex,
        cty.reset_index(drop=True),
        load_single_year(tree, year),
        load_census_day(tree, year),
        load_census_day(tree, year - 10),
    )

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

import numpy as np
import pandas as pd

from simlib.core.errors import ParamError
from simlib.core.reader import Column
from simlib.core.units import rate_to_prob
from simlib.params.census import city_rows
from simlib.params.cities import CityContext
from simlib.params.tree import ParamTree

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


@dataclass(frozen=True)
class Census:
    """The census tables.

    Attributes:
        age_sex: city, county, sex, age_start, count.
        counties: city, county, county_zh, population, urban, rural, households.
        single_year: China's population by single year of age (45 … 99, 100 = 100+) and
            sex (2020 census): the shape of the single-year split of the 5-year groups.
    """

    age_sex: pd.DataFrame
    counties: pd.DataFrame
    single_year: pd.DataFrame | None = None

    def city(self, city: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The rows of one city: ``(age_sex, counties)``."""
        return (
            self.age_sex[self.age_sex["city"] == city],
            self.counties[self.counties["city"] == city],
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
        if not (np.diff(ages) == 1).all() or ages[0] > CENSUS_AGE_STARTS[0] or ages[-1] != 100:
            raise ParamError(
                f"{tree.where(rel_s)}: ages must run one by one from at most "
                f"{CENSUS_AGE_STARTS[0]} to 100 (= 100+)"
            )
    return Census(age_sex, counties, single)


@dataclass(frozen=True)
class Mortality:
    """Single-year central death rates.

    Attributes:
        mx: Array ``[sex, age, year - FIRST_YEAR]`` of deaths per person-year.
    """

    mx: np.ndarray

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

"""Synthetic base-year populations from the 2020 census.

:func:`synthesize` builds one agent per resident aged 45+ at the census (or a sample of them,
with weights) for every county of a city:

1. County × sex × 5-year age counts come from the census table (ages on census day,
   1 November 2020).
2. Each 5-year group (and 85+, up to :data:`~simlib.params.demography.MAX_AGE`) is split into
   single years in proportion to China's population by single year of age on census day
   (:func:`census_day_shape`: the census's table 3-1 where params holds it (2010); for 2020,
   whose table 3-1 is not in the reference material, the 2010 table 3-1 carried ten years
   on at ages 45–84 and, from 85, the census year's average population carried half a year
   (:func:`census_day_single_year`); the 1959–61 birth dip and the 1962–63 rebound included;
   100+ by life-table survivorship) (:func:`single_year_weights`). At full scale the split is a
   deterministic largest-remainder apportionment, so every census cell is reproduced exactly;
   at a sample fraction ``f`` each cell gets ``floor(n f)`` agents plus one with probability
   ``frac(n f)`` and weight ``1/f``.
3. Residence (urban) is drawn from the county's urban share.

**Dates.** A model year's state refers to its last day, 31 December (年末), the date of the
statistical bulletins' stocks; a step from year ``t`` to ``t + 1`` covers the flows of
calendar year ``t + 1``. :func:`to_year_end` carries the census-day agents over the
:data:`LEAD_IN` of two months to 31 December 2020 (deaths at the 2020 period rates, and the
birthdays of November and December), which is the state of simulated year 2020. Then every
process draws its base-year states from its own stream, in process order.
"""

from __future__ import annotations

import hashlib
import pickle
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simlib.core import people
from simlib.core.errors import ParamError
from simlib.core.people import SCHEMA, Schema
from simlib.core.units import rate_to_prob
from simlib.params.demography import CENSUS_AGE_STARTS, FIRST_YEAR, MAX_AGE, Census, Mortality

#: WPP period whose life table shapes the single-year split of the census groups.
SPLIT_PERIOD_YEAR = 2017
#: Calendar year of the base population (the census of 1 November 2020, carried to 31 December).
BASE_YEAR = 2020
#: Years from the census day (1 November) to the reference date of a model year (31 December).
LEAD_IN = 2 / 12
#: Years from the middle of the census year (Nov 2019 – Oct 2020) to the census day: the
#: yearbook's average population of the census year is the population about 1 May 2020.
MID_YEAR_TO_CENSUS = 0.5


def census_day_single_year(
    single_year: pd.DataFrame, mortality: Mortality, year: int = BASE_YEAR
) -> pd.DataFrame:
    """China's population by single year of age on census day (1 November of ``year``), derived.

    The census yearbook's single-year table (6-4) gives the *average population* of the census
    year, 1 November 2019 – 31 October 2020, i.e. about the population on 1 May 2020. Half a
    year later, on census day, the persons then aged ``a - 1`` whose birthday fell in May –
    October are aged ``a``: with births spread evenly over the year,
    ``N(a) = (P(a) + P(a - 1)) / 2 × exp(-mx(a) / 2)``, and the open group
    ``N(100+) = (P(100+) + P(99) / 2) × exp(-mx(100) / 2)`` (``mx`` the period rate of the
    census year).
    Only the shape within each census 5-year group is used, so the level of the survival
    factor hardly matters; its slope over the ages of a group does (up to 3 % within 85–89).
    The 2020 census-day table itself (yearbook table 3-1) is not in the reference files; this
    derivation is the fallback of :func:`census_day_shape` where no census-day table reaches.

    Args:
        single_year: age (the first age at least one below the youngest needed; 100 = 100+),
            male, female: average population of the census year (persons).
        mortality: Mortality (the half-year survival).
        year: The census year (2020; 2010 for the back-cast).

    Returns:
        age (from the table's second age to 100 = 100+), male, female: persons on census day.
    """
    t = single_year.set_index("age").sort_index()
    ages = t.index.to_numpy()[1:]
    out = {"age": ages}
    for s, sex in enumerate(("male", "female")):
        p = t[sex].to_numpy(dtype=float)
        n = (p[1:] + p[:-1]) / 2
        n[-1] = p[-1] + p[-2] / 2  # 100+: everyone already 100+, and half of the 99s
        surv = np.exp(-mortality.mx[s, ages, year - FIRST_YEAR] * MID_YEAR_TO_CENSUS)
        out[sex] = n * surv
    return pd.DataFrame(out)


#: Ages (on census day) whose single-year shape is the earlier census's census-day table carried
#: ten years on, where the census's own is missing: the 2020 census's 45-84 were the 2010
#: census's 35-74 (its table 3-1), the same cohorts on the same day of the year. From 85 on,
#: the carried cohorts fall short of the 2020 census's own groups (0.92 of its 85-89 men, 0.51
#: of its 95-99; age reporting and old-age death rates), so the derived shape stays there.
CARRIED_AGES = (45, 84)


def census_day_shape(census: Census, mortality: Mortality, year: int = BASE_YEAR) -> pd.DataFrame:
    """China's population by single year of age on census day: the shape of the split.

    In order of preference:

    1. the census's own table of ages on census day (yearbook table 3-1), where params holds
       it (:attr:`Census.census_day`: 2010);
    2. for the ages :data:`CARRIED_AGES`, the census ten years earlier's table 3-1 carried ten
       years on (:attr:`Census.earlier_census_day`): a person aged ``a − 10`` on 1 November
       2010 is aged ``a`` on 1 November 2020, so the cohorts (the 1959–61 dip, the 1962–63
       rebound, month by month) sit on the right census-day ages, times ten years of the
       life table's survival (``exp(−Σ mx)``, China's period rates of 2011–2020);
    3. elsewhere (and when no earlier table exists), :func:`census_day_single_year`: the
       average population of the census year carried half a year to census day. Measured on
       2010, where table 3-1 exists, this derivation misplaces up to 1.9 points of a 5-year
       group's share at 45–54 (the famine cohorts; age 49 +18 %) and up to 2.8 at 95–99.

    The table 3-1 of the 2020 census (the census-day ages the issue asks for) is not in the
    reference material: neither Lei Dong's county tables (leiii/census), nor
    ``params/sources/reference`` (table 6-4's average population, tables 1-5/1-7's 5-year
    groups), nor the public code and pages searched (``docs/architecture.md``, Dates).

    Args:
        census: The census tables.
        mortality: The mortality table.
        year: The census year.

    Returns:
        age (45 … 100 = 100+), male, female: persons on census day (levels differ between
        the sources; only the shape within each 5-year group is used).
    """
    if census.census_day is not None:
        t = census.census_day
        return t[t["age"] >= CENSUS_AGE_STARTS[0]].reset_index(drop=True)
    if census.single_year is None:
        raise ParamError("the census has no single-year table (population/census*_single_year.csv)")
    out = census_day_single_year(census.single_year, mortality, year).set_index("age")
    if census.earlier_census_day is not None:
        early = census.earlier_census_day.set_index("age")
        lo, hi = CARRIED_AGES
        for s, sex in enumerate(("male", "female")):
            for a in range(lo, hi + 1):
                k = np.arange(10)
                hazard = mortality.mx[s, a - 10 + k, year - 9 + k - FIRST_YEAR].sum()
                out.loc[a, sex] = float(early.loc[a - 10, sex]) * float(np.exp(-hazard))
    return out.reset_index()


def single_year_weights(
    mortality: Mortality, sex: int, start: int, stop: int, single_year=None
) -> np.ndarray:
    """Shares of a census age group ``[start, stop]`` falling on each single year of age.

    With a census-day single-year table (:func:`census_day_single_year`), the shares follow
    China's population by single year of age on 1 November 2020: the 1959–1961 birth dip, the
    1962–1963 boom and age heaping are kept, so cohorts enter the 60+ and 65+ groups in the
    right years. Ages
    100+ (one census count) are split by life-table survivorship ``l(x)``, as is every group
    when the table is absent (the stationary population within the group, from the
    :data:`SPLIT_PERIOD_YEAR` period table).

    Args:
        mortality: The mortality table.
        sex: 0 male, 1 female.
        start: First age of the group.
        stop: Last age of the group (inclusive).
        single_year: A single-year table on census day (age, male, female), or None.

    Returns:
        Shares summing to 1, one per age ``start..stop``.
    """
    q = rate_to_prob(mortality.mx[sex, start:stop, SPLIT_PERIOD_YEAR - 2000])
    lx = np.concatenate([[1.0], np.cumprod(1 - q)])
    if single_year is None:
        return lx / lx.sum()
    counts = single_year.set_index("age")["male" if sex == 0 else "female"]
    ages = np.arange(start, stop + 1)
    w = np.array([float(counts.get(a, 0.0)) if a < 100 else 0.0 for a in ages])
    top = ages >= 100
    if top.any():  # the census's 100+ spread over 100..stop by survivorship
        w[top] = float(counts.get(100, 0.0)) * lx[top] / lx[top].sum()
    return w / w.sum()


def apportion(n: int, weights: np.ndarray) -> np.ndarray:
    """Largest-remainder apportionment of ``n`` over ``weights`` (exact total)."""
    exact = n * weights
    base = np.floor(exact).astype(np.int64)
    short = n - base.sum()
    if short:
        order = np.argsort(-(exact - base), kind="stable")
        base[order[:short]] += 1
    return base


@dataclass
class Population:
    """A city's agents: the person columns plus model bookkeeping columns.

    Attributes:
        cols: Person table (schema columns) plus ``county`` (index into ``counties``),
            ``weight`` (persons per agent), ``alive`` and ``death_year``.
        counties: County keys (区划代码 as text) in index order.
        sample: Sample fraction the agents represent.
        schema: The person attributes.
    """

    cols: dict[str, np.ndarray]
    counties: list[str]
    sample: float
    schema: Schema = field(default_factory=lambda: SCHEMA)

    def __len__(self) -> int:
        return len(self.cols["age"])

    def copy(self) -> Population:
        """A deep copy (replications and scenarios start from the same base population)."""
        return Population(
            {k: v.copy() for k, v in self.cols.items()},
            list(self.counties),
            self.sample,
            self.schema,
        )

    def to_frame(self) -> pd.DataFrame:
        """All agents as a readable DataFrame (labels for categories, county codes)."""
        df = people.to_frame(self.cols, self.schema)
        df["county"] = pd.Categorical.from_codes(self.cols["county"], self.counties)
        return df

    def person(self, i: int) -> dict[str, Any]:
        """One agent as a readable record."""
        return self.to_frame().iloc[i].to_dict()


def synthesize(
    census: Census,
    mortality: Mortality,
    city: str,
    counties: list[str],
    rng: np.random.Generator,
    sample: float = 1.0,
    schema: Schema = SCHEMA,
    census_year: int = BASE_YEAR,
) -> Population:
    """Build a city's residents aged 45+ on census day, 1 November 2020 (age, sex, county, urban).

    :func:`to_year_end` then carries them to the model's base date (31 December 2020), and the
    processes draw every other state (:meth:`ProcessSet` ``init``).

    Args:
        census: Census tables.
        mortality: Mortality (shapes the single-year split).
        city: City key.
        counties: County keys in the city file's order (agents are created in this order).
        rng: The synthesis stream.
        sample: Fraction of persons represented by agents, in (0, 1].
        schema: Person attributes.
        census_year: The census's year (the single-year shape's half-year survival).

    Returns:
        The :class:`Population`.

    Raises:
        ParamError: For a city without census rows or a sample outside (0, 1].
    """
    if not 0 < sample <= 1:
        raise ParamError(f"sample must lie in (0, 1], got {sample}")
    cells, urban_share = census_cells(census, mortality, city, counties, census_year)
    ages, sexes, cidx = [], [], []
    for county, s, start, stop, n, w in cells:
        if sample == 1:
            k = apportion(int(n), w)
        else:
            expected = n * sample
            m = int(np.floor(expected)) + int(rng.random() < expected - np.floor(expected))
            k = rng.multinomial(m, w)
        a = np.repeat(np.arange(start, stop + 1), k)
        ages.append(a)
        sexes.append(np.full(a.size, s))
        cidx.append(np.full(a.size, county))
    n = sum(a.size for a in ages)
    cols = people.empty(n, schema)
    cols["age"][:] = np.concatenate(ages)
    cols["sex"][:] = np.concatenate(sexes)
    cols["county"] = np.concatenate(cidx).astype(np.int16)
    cols["weight"] = np.full(n, 1.0 / sample, dtype=np.float32)
    cols["alive"] = np.ones(n, dtype=bool)
    cols["death_year"] = np.zeros(n, dtype=np.int16)
    cols["urban"][:] = rng.random(n) < urban_share[cols["county"]]
    return Population(cols, list(counties), sample, schema)


def content_digest(*objs) -> bytes:
    """SHA-256 of the objects' pickle: the key of what is derived from them once per content.

    Any changed value changes the pickle, so something derived from other parameters is
    never reused (equal tables pickled differently would only be derived again).
    """
    return hashlib.sha256(pickle.dumps(objs, protocol=5)).digest()


class ByContent:
    """Results derived from parameters, kept by a key of their content (:func:`content_digest`).

    A handful are kept; the least recently used is dropped first. Different content gives
    another key, so a result is never served for other parameters.

    Args:
        size: Results kept.
    """

    def __init__(self, size: int = 16):
        self.size, self._kept = size, OrderedDict()

    def get(self, key: tuple, make: Callable[[], Any]) -> Any:
        """The result kept under ``key``, or ``make()`` kept under it."""
        if key in self._kept:
            self._kept.move_to_end(key)
            return self._kept[key]
        out = self._kept[key] = make()
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return out

    def clear(self) -> None:
        """Forget every result."""
        self._kept.clear()


#: What :func:`census_cells` derived (a handful of cities).
_CELLS = ByContent()


def census_cells(
    census: Census, mortality: Mortality, city: str, counties: list[str], census_year: int
) -> tuple[tuple, np.ndarray]:
    """The census cells :func:`synthesize` draws agents from, computed once per content.

    What is the same in every run of a city whatever its seed, sample or health parameters
    (a sensitivity design builds hundreds of models from one census): each census cell's
    county index, sex, first and last single age, count and single-year shares
    (:func:`census_day_shape`, :func:`single_year_weights`), in the order agents are created,
    and each county's urban share. Kept by the content of the census and the mortality
    (:func:`content_digest`), the city, its counties and the census year; the arrays are
    read-only.

    Returns:
        ``(cells, urban_share)``: cells as ``(county, sex, start, stop, count, shares)``.

    Raises:
        ParamError: For a city without census rows.
    """
    key = (content_digest(census, mortality), city, tuple(counties), census_year)
    return _CELLS.get(key, lambda: _census_cells(census, mortality, city, counties, census_year))


def _census_cells(census, mortality, city, counties, census_year) -> tuple[tuple, np.ndarray]:
    tab, county_tab = census.city(city)
    if tab.empty:
        raise ParamError(f"no census rows for city {city!r} in params/population")
    single = None
    if census.single_year is not None or census.census_day is not None:
        single = census_day_shape(census, mortality, census_year)
    index = {c: i for i, c in enumerate(counties)}
    tab = tab.assign(_order=tab["county"].map(index)).sort_values("_order", kind="stable")
    cells = []
    for (county, sex, start), n in tab.set_index(["county", "sex", "age_start"])["count"].items():
        s = 0 if sex == "male" else 1
        stop = start + 4 if start < CENSUS_AGE_STARTS[-1] else MAX_AGE
        w = single_year_weights(mortality, s, start, stop, single)
        w.flags.writeable = False
        cells.append((index[county], s, start, stop, n, w))
    share = county_tab.set_index("county").loc[counties]
    urban_share = (share["urban"] / share["population"]).to_numpy()
    urban_share.flags.writeable = False
    return tuple(cells), urban_share


def to_year_end(
    pop: Population,
    mortality: Mortality,
    rng: np.random.Generator,
    year: int = BASE_YEAR,
    years: float = LEAD_IN,
) -> Population:
    """Carry census-day agents to the reference date of model year 2020, 31 December (in place).

    Over the :data:`LEAD_IN` (1 November – 31 December 2020) each agent dies with probability
    ``1 - exp(-mx × 2/12)`` (WPP period rate of 2020, by sex and age; marked dead with
    ``death_year`` 2020, never removed), and a survivor has a birthday (age + 1, held at
    :data:`~simlib.params.demography.MAX_AGE`) with probability 2/12, births being spread
    evenly over the year. ``year`` and ``years`` carry the living over another span the same
    way (the back-cast: from 1 November 2010, and the last ten months to 1 November 2020).
    Nobody enters: the agents are the census's residents aged 45+, so
    the youngest single year (45 at year-end) holds the 10/12 of its cohort born before
    November.

    Args:
        pop: Census-day agents (:func:`synthesize`).
        mortality: The mortality table.
        rng: The synthesis stream (after :func:`synthesize` drew from it).
        year: Calendar year of the span (its death rates; the deaths' ``death_year``).
        years: Length of the span (years, at most 1).

    Returns:
        ``pop``, now at 31 December 2020 (or ``years`` later).
    """
    c = pop.cols
    n = len(pop)
    u = rng.random((2, n))
    q = 1 - np.exp(-mortality.rate(c["sex"], c["age"], year) * years)
    died = c["alive"] & (u[0] < q)
    c["alive"][died] = False
    c["death_year"][died] = year
    birthday = c["alive"] & (u[1] < years)
    c["age"][birthday] = np.minimum(c["age"][birthday] + 1, MAX_AGE)
    return pop

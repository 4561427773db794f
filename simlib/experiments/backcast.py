"""A back-cast: the 2010 census carried to 2020 by the model's dynamics, against the 2020 census.

The way the Future Elderly Model validates: each city's residents aged 45+ on census day
(1 November 2010) are built from the 2010 county census table exactly as the 2020 base is
from the 2020 table (:func:`simlib.params.demography.census_of_year`; single years from the
2010 census-day shape), carried two months to 31 December 2010, run through every yearly
process for 2011–2019 with the WPP period death rates of each calendar year, and carried the
last ten months to 1 November 2020 (deaths at the 2020 rates and birthdays). They are then
the census's residents aged 55+ of 2020, and are compared with the 2020 census, county ×
sex × 5-year age group and the 60+ and 80+ totals, each against a tolerance stated before
the first run (:data:`TOLERANCES`), with its reason.

What the model leaves out is what the tolerances are for: the model is closed (no migration
of the 45+, ``net_migration`` 0), China's death rates stand for each city's, age reporting
at the oldest ages differs between censuses, and county boundaries changed between the two
censuses (大同 2018: 城区, 矿区, 南郊区 and 大同县 became 平城区, 云冈区 and 云州区; 长治 2018:
城区 and 郊区 became 潞州区, 长治县, 屯留县 and 潞城市 became districts). Counties whose code
and name are the same in both tables are compared one by one; the others of a city are
pooled (``"<city>: boundary change"``). Only census counts and period death rates enter:
nothing after 2020 is used.

The assistance prevalence trends (evidence from 2021 on) are off in the back-cast; the ADL
onset trend (evidence 1998–2014) runs from 2010.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simlib.params import load_inputs, read_tree
from simlib.params.demography import CENSUS_AGE_STARTS, census_of_year
from simlib.population.processes import Context, ProcessSet, schema_of
from simlib.population.streams import Streams
from simlib.population.synthesis import LEAD_IN, synthesize, to_year_end

#: The census the back-cast starts from and the one it is compared with.
START, END = 2010, 2020
#: Age groups compared in 2020 (the 45+ of 2010 are 55+ ten years on).
COMPARED_STARTS = tuple(a for a in CENSUS_AGE_STARTS if a >= 55)

#: Relative tolerances, stated before the first run, and why.
TOLERANCES = {
    "city_cell_55_79": (
        0.10,
        "city × sex × 5-year group, 55-79: the model is closed (no migration of the 45+), "
        "China's death rates stand for the city's, and the two censuses' coverage differs",
    ),
    "city_cell_80_84": (
        0.15,
        "city × sex, 80-84: as above, and the oldest ages' death rates and age reporting",
    ),
    "city_cell_85plus": (
        0.25,
        "city × sex, 85+: age heaping and exaggeration at the oldest ages in both censuses, "
        "and ten years of national old-age death rates standing for the city's",
    ),
    "county_cell": (
        0.20,
        "county × sex × 5-year group: as for the city, plus moves between a city's counties "
        "(older people follow children into the districts), which the city totals net out",
    ),
    "city_60plus": (
        0.06,
        "city 60+ total: the model is closed and uses national death rates",
    ),
    "city_80plus": (
        0.15,
        "city 80+ total: old-age mortality and age reporting",
    ),
}


def _tolerance(level: str, start: int) -> tuple[str, float, str]:
    if level == "county":
        key = "county_cell"
    elif start >= 85:
        key = "city_cell_85plus"
    elif start >= 80:
        key = "city_cell_80_84"
    else:
        key = "city_cell_55_79"
    return (key, *TOLERANCES[key])


@dataclass
class Backcast:
    """One city's back-cast.

    Attributes:
        city: City key.
        cells: ``unit, sex, age_start, model, census`` (persons on 1 November 2020; ``unit``
            a county code, or ``"<city>: boundary change"`` for pooled counties).
        sample: Sample fraction.
        seed: Seed.
    """

    city: str
    cells: pd.DataFrame
    sample: float
    seed: int


#: Counties whose code and name are unchanged but whose ground changed: 濮阳's two zones of
#: 2020 (河南濮阳工业园区 410971, 濮阳经济技术开发区 410972) were carved out of counties the
#: table does not name, taken here as 华龙区, 濮阳县 and 范县, which are pooled with them.
POOLED = {"puyang": ("410902", "410928", "410926")}


def _units(c2010: pd.DataFrame, c2020: pd.DataFrame, city: str) -> tuple[dict, dict]:
    """County code → comparison unit, for each year (unchanged counties alone, others pooled)."""
    key10 = dict(zip(c2010["county"], c2010["county_zh"], strict=True))
    key20 = dict(zip(c2020["county"], c2020["county_zh"], strict=True))
    same = {k for k in key10 if key20.get(k) == key10[k]} - set(POOLED.get(city, ()))
    pooled = f"{city}: boundary change"
    return (
        {k: (k if k in same else pooled) for k in key10},
        {k: (k if k in same else pooled) for k in key20},
    )


def run_backcast(city: str, sample: float = 0.1, seed: int = 1) -> Backcast:
    """Build a city's 2010 census population, run it to 1 November 2020, count it.

    Args:
        city: City key.
        sample: Fraction of persons represented by agents, in (0, 1].
        seed: Seed of every stream.

    Returns:
        The :class:`Backcast` (model and 2020 census counts by unit, sex and age group).
    """
    scenario = {
        "description": "back-cast 2010-2020: assistance trends (evidence from 2021) off",
        "health": {"dibao_prevalence_trend": 0.0, "tekun_prevalence_trend": 0.0},
    }
    schema = schema_of()
    inputs = load_inputs(city, scenario, schema=schema)
    tree = read_tree()
    prefecture = str(inputs.context.name_zh)
    census10 = census_of_year(tree, START, city, prefecture)
    counties10 = list(census10.counties["county"])
    mortality = inputs.mortality
    streams = Streams(seed)
    rng = streams.base("population")
    pop = synthesize(census10, mortality, city, counties10, rng, sample, schema, START)
    to_year_end(pop, mortality, rng, START, LEAD_IN)
    female, urban = census10.shares(city)
    ctx = Context(
        inputs.health, mortality, female, urban, START, census10.widowed(city, counties10)
    )
    procs = ProcessSet(ctx)
    cols = pop.cols
    for p in procs:
        p.init(cols, streams.base(p.name))
    for year in range(START, END - 1):  # steps into 2011 … 2019
        for p in procs:
            p.step(cols, year, streams.get(p.name, year))
    to_year_end(pop, mortality, streams.get("population", END), END, 1 - LEAD_IN)

    age_sex20 = inputs.census.city(city)[0]
    counties20 = inputs.census.city(city)[1]
    unit10, unit20 = _units(census10.counties, counties20, city)
    alive = cols["alive"]
    start = np.minimum(cols["age"] // 5 * 5, CENSUS_AGE_STARTS[-1])
    model = (
        pd.DataFrame(
            {
                "unit": np.asarray([unit10[c] for c in counties10])[cols["county"][alive]],
                "sex": np.where(cols["sex"][alive] == 0, "male", "female"),
                "age_start": start[alive],
                "model": cols["weight"][alive].astype(float),
            }
        )
        .groupby(["unit", "sex", "age_start"])["model"]
        .sum()
    )
    census = (
        age_sex20.assign(unit=age_sex20["county"].astype(str).map(unit20))
        .groupby(["unit", "sex", "age_start"])["count"]
        .sum()
        .rename("census")
    )
    cells = pd.concat([model, census], axis=1).fillna(0.0).reset_index()
    cells = cells[cells["age_start"].isin(COMPARED_STARTS)].reset_index(drop=True)
    return Backcast(city, cells, sample, seed)


def backcast_comparison(runs: list[Backcast]) -> pd.DataFrame:
    """Every compared figure of the back-casts against the 2020 census, with its tolerance.

    Args:
        runs: One :class:`Backcast` per city.

    Returns:
        city, level (``city``, ``county`` or ``total``), unit, sex, age (group or ``60+`` /
        ``80+``), model, census (persons, 1 November 2020), ratio, tolerance (relative),
        within, key and reason.
    """
    rows = []
    for b in runs:
        c = b.cells
        by_city = c.groupby(["sex", "age_start"])[["model", "census"]].sum()
        for (sex, a), r in by_city.iterrows():
            key, tol, why = _tolerance("city", a)
            rows.append((b.city, "city", b.city, sex, _label(a), r.model, r.census, tol, key, why))
        for (unit, sex, a), r in (
            c.groupby(["unit", "sex", "age_start"])[["model", "census"]].sum().iterrows()
        ):
            if unit.endswith("boundary change") or c["unit"].nunique() > 1:
                key, tol, why = _tolerance("county", a)
                rows.append(
                    (b.city, "county", unit, sex, _label(a), r.model, r.census, tol, key, why)
                )
        for label, lo, key in (("60+", 60, "city_60plus"), ("80+", 80, "city_80plus")):
            m = c[c["age_start"] >= lo]
            tol, why = TOLERANCES[key]
            rows.append(
                (
                    b.city,
                    "total",
                    b.city,
                    "both",
                    label,
                    m.model.sum(),
                    m.census.sum(),
                    tol,
                    key,
                    why,
                )
            )
    out = pd.DataFrame(
        rows,
        columns=[
            "city",
            "level",
            "unit",
            "sex",
            "age",
            "model",
            "census",
            "tolerance",
            "key",
            "reason",
        ],
    )
    out["ratio"] = out["model"] / out["census"]
    out["within"] = (out["ratio"] - 1).abs() <= out["tolerance"]
    return out


def _label(start: int) -> str:
    return f"{start}+" if start >= CENSUS_AGE_STARTS[-1] else f"{start}-{start + 4}"

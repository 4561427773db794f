"""Checks of the synthetic population and its dynamics against their sources (notebook 02)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simlib.core import people
from simlib.model.reporters import AGE_GROUP_LABELS, age_group_index
from simlib.params import load_inputs
from simlib.params.demography import FIRST_YEAR, MAX_AGE, Mortality
from simlib.population.calibration import adl_prevalence
from simlib.population.processes import Context, ProcessSet
from simlib.population.streams import Streams


def census_comparison(model) -> pd.DataFrame:
    """Base-year agents (weighted) against the census, by county (persons 45+).

    Args:
        model: A fresh :class:`~simlib.model.model.ElderCareModel` (base year).

    Returns:
        county, county_zh, census, synthetic, difference (persons).
    """
    age_sex, counties = model.inputs.census.city(model.city)
    census = age_sex.groupby("county")["count"].sum()
    pop = model.population
    synth = (
        pd.Series(pop.cols["weight"]).groupby(np.asarray(pop.counties)[pop.cols["county"]]).sum()
    )
    names = counties.set_index("county")["county_zh"]
    out = pd.DataFrame({"census": census, "synthetic": synth.reindex(census.index)})
    out.insert(0, "county_zh", names.reindex(census.index))
    out["difference"] = out["synthetic"] - out["census"]
    return out.reset_index().rename(columns={"index": "county"})


def adl_prevalence_comparison(model) -> pd.DataFrame:
    """Disability prevalence by age group: simulated now vs the sourced target curve."""
    c = model.population.cols
    alive = c["alive"]
    female, _ = model.inputs.census.shares(model.city)
    section = model.inputs.health.section("adl")
    target = adl_prevalence(section, c["age"], c["sex"], female)
    grp = age_group_index(c["age"])
    df = pd.DataFrame(
        {
            "age_group": np.asarray(AGE_GROUP_LABELS)[grp[alive]],
            "simulated": (c["adl_level"][alive] > 0).astype(float) * c["weight"][alive],
            "target": target[alive] * c["weight"][alive],
            "persons": c["weight"][alive],
        }
    )
    g = df.groupby("age_group", sort=False)[["simulated", "target", "persons"]].sum()
    out = pd.DataFrame(
        {
            "simulated": g["simulated"] / g["persons"],
            "target": g["target"] / g["persons"],
            "persons": g["persons"],
        }
    )
    return out.reindex([a for a in AGE_GROUP_LABELS if a in out.index]).reset_index()


def life_expectancy_check(sex: int, age: int, n: int = 20_000, seed: int = 1, year: int = 2020):
    """A closed cohort run through the model's processes vs the period life table.

    Mortality is held at ``year``'s table; a death in a step counts half a year.

    Args:
        sex: 0 male, 1 female.
        age: Starting age.
        n: Cohort size.
        seed: Seed for states and dynamics.
        year: Period of the life table.

    Returns:
        ``{"simulated", "life_table", "mc_se"}`` in years.
    """
    inputs = load_inputs("datong")
    mort = inputs.mortality
    y = year - FIRST_YEAR
    fixed = Mortality(np.repeat(mort.mx[:, :, y : y + 1], mort.mx.shape[2], axis=2))
    procs = ProcessSet(Context(inputs.health, fixed, 0.5, 0.5, year))
    cols = people.empty(n)
    cols["age"][:] = age
    cols["sex"][:] = sex
    cols.update(
        county=np.zeros(n, np.int16),
        weight=np.ones(n, np.float32),
        alive=np.ones(n, bool),
        death_year=np.zeros(n, np.int16),
    )
    streams = Streams(seed)
    for p in procs:
        p.init(cols, streams.base(p.name))
    lifetime = np.zeros(n)
    for k in range(2 * MAX_AGE):
        before = cols["alive"].copy()
        for p in procs:
            p.step(cols, year + k, streams.get(p.name, year + k))
        lifetime[before & ~cols["alive"]] = k + 0.5
        if not cols["alive"].any():
            break
    else:
        raise RuntimeError(f"cohort not extinct after {2 * MAX_AGE} years")
    return {
        "simulated": float(lifetime.mean()),
        "life_table": mort.life_expectancy(sex, age, year),
        "mc_se": float(lifetime.std(ddof=1) / np.sqrt(n)),
    }

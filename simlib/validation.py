"""Checks of the synthetic population and its dynamics against their sources (notebook 02)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simlib import people
from simlib.calibration import adl_prevalence
from simlib.demography import FIRST_YEAR, MAX_AGE, Mortality, load_mortality
from simlib.dynamics import Rates, Streams, step_year
from simlib.population import (
    Population,
    assign_base_states,
    census_shares,
    load_census,
    load_health,
)
from simlib.reporters import AGE_GROUP_LABELS, age_group_index


def census_comparison(model) -> pd.DataFrame:
    """Base-year agents (weighted) against the census, by county (persons 45+).

    Args:
        model: An :class:`~simlib.model.ElderCareModel` before or after running (the base
            year is read from the people's ages at death or now, so pass a fresh model).

    Returns:
        county, census, synthetic, difference (persons).
    """
    age_sex, counties = load_census()
    census = age_sex[age_sex["city"] == model.city.key].groupby("county")["count"].sum()
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
    female, _ = census_shares(model.city.key)
    target = adl_prevalence(model.health, c["age"], c["sex"], female)
    grp = age_group_index(c["age"])
    df = pd.DataFrame(
        {
            "age_group": np.asarray(AGE_GROUP_LABELS)[grp[alive]],
            "simulated": (c["adl_level"][alive] > 0).astype(float),
            "target": target[alive],
            "w": c["weight"][alive],
        }
    )
    g = df.groupby("age_group", sort=False)
    out = pd.DataFrame(
        {
            "simulated": g.apply(
                lambda d: np.average(d.simulated, weights=d.w), include_groups=False
            ),
            "target": g.apply(lambda d: np.average(d.target, weights=d.w), include_groups=False),
            "persons": g["w"].sum(),
        }
    )
    return out.reindex([a for a in AGE_GROUP_LABELS if a in out.index]).reset_index()


def life_expectancy_check(sex: int, age: int, n: int = 20_000, seed: int = 1, year: int = 2020):
    """A closed cohort run through the model's dynamics vs the period life table.

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
    health, mort = load_health(), load_mortality()
    y = year - FIRST_YEAR
    fixed = Mortality(np.repeat(mort.mx[:, :, y : y + 1], mort.mx.shape[2], axis=2))
    rates = Rates.build(health, fixed, year, female_share=0.5, urban_share=0.5)
    cols = people.empty(n)
    cols["age"][:] = age
    cols["sex"][:] = sex
    cols.update(
        county=np.zeros(n, np.int16),
        weight=np.ones(n, np.float32),
        alive=np.ones(n, bool),
        death_year=np.zeros(n, np.int16),
    )
    assign_base_states(cols, health, np.random.default_rng(seed), rates.adl, 0.5)
    pop = Population(cols, ["cohort"], 1.0)
    streams = Streams(seed)
    lifetime = np.zeros(n)
    for k in range(2 * MAX_AGE):
        before = pop.cols["alive"].copy()
        step_year(pop, year + k, health, fixed, rates, streams)
        lifetime[before & ~pop.cols["alive"]] = k + 0.5
        if not pop.cols["alive"].any():
            break
    else:
        raise RuntimeError(f"cohort not extinct after {2 * MAX_AGE} years")
    return {
        "simulated": float(lifetime.mean()),
        "life_table": mort.life_expectancy(sex, age, year),
        "mc_se": float(lifetime.std(ddof=1) / np.sqrt(n)),
    }

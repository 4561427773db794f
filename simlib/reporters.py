"""Named DataCollector reporters: what the model records every year.

Each reporter takes the model and returns a number or a tidy DataFrame. They are plain
functions (no lambdas) so they can be tested and pickled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simlib import people
from simlib.demography import MAX_AGE
from simlib.population import CENSUS_AGE_STARTS

if TYPE_CHECKING:  # pragma: no cover
    from simlib.model import ElderCareModel

#: Person attributes counted by :func:`state_counts`, each by its levels, in the joint
#: groups they are counted in (products of levels kept small).
STATE_GROUPS = (
    ("adl_level", "care_level", "tekun_mode"),
    ("assistance", "living", "in_institution"),
    ("hypertension", "diabetes", "pension"),
)
STATE_VARS = tuple(v for g in STATE_GROUPS for v in g)

_GROUP_OF_AGE = np.searchsorted(np.asarray(CENSUS_AGE_STARTS), np.arange(MAX_AGE + 1), "right") - 1
AGE_GROUP_LABELS = tuple(
    f"{a}-{a + 4}" if a < CENSUS_AGE_STARTS[-1] else f"{a}+" for a in CENSUS_AGE_STARTS
)


def age_group_index(age: np.ndarray) -> np.ndarray:
    """Index into :data:`AGE_GROUP_LABELS` for each age (−1 below 45)."""
    return _GROUP_OF_AGE[np.minimum(age, MAX_AGE)]


def n_alive(model: ElderCareModel) -> float:
    """Persons alive (weighted)."""
    c = model.population.cols
    return float(c["weight"][c["alive"]].sum())


def n_dead(model: ElderCareModel) -> float:
    """Persons who have died since the base year (weighted)."""
    c = model.population.cols
    return float(c["weight"][~c["alive"]].sum())


def n_agents(model: ElderCareModel) -> int:
    """Agents alive (unweighted)."""
    return int(model.population.cols["alive"].sum())


def _levels(name: str) -> tuple[str, ...]:
    attr = people.SCHEMA[name]
    if attr.kind == "category":
        return attr.labels
    if attr.kind == "bool":
        return ("false", "true")
    return tuple(str(i) for i in range(attr.lo, attr.hi + 1))


def state_counts(model: ElderCareModel) -> pd.DataFrame:
    """Alive persons by county × age group × sex × level of each state variable.

    Returns:
        Tidy DataFrame with columns year, county, age_group, sex, variable, level, persons
        (weighted), zero cells omitted.
    """
    pop = model.population
    c = pop.cols
    n_c, n_g = len(pop.counties), len(AGE_GROUP_LABELS)
    cells = n_c * n_g * 2
    # The dead go to one extra "sink" cell, so no column is copied to drop them.
    base = (c["county"].astype(np.int32) * n_g + age_group_index(c["age"])) * 2 + c["sex"]
    base[~c["alive"]] = cells
    uniform = c["weight"].min() == c["weight"].max()
    w = None if uniform else c["weight"]
    scale = float(c["weight"][0]) if uniform else 1.0
    frames = []
    # Variables are counted in small joint groups (one bincount per group over every agent)
    # and the joint table is then summed down to each variable's margin.
    for group in STATE_GROUPS:
        sizes = [len(_levels(v)) for v in group]
        key = base.astype(np.int64)
        for var, size in zip(group, sizes, strict=True):
            key = key * size + c[var]
        joint = np.bincount(key, weights=w, minlength=(cells + 1) * int(np.prod(sizes)))
        joint = joint.reshape(cells + 1, *sizes)[:cells] * scale
        for k, var in enumerate(group):
            levels = _levels(var)
            other = tuple(1 + j for j in range(len(group)) if j != k)
            counts = joint.sum(axis=other).ravel()  # [cell, level]
            nz = np.flatnonzero(counts)
            lev = nz % len(levels)
            rest = nz // len(levels)
            frames.append(
                pd.DataFrame(
                    {
                        "county": np.asarray(pop.counties)[rest // (n_g * 2)],
                        "age_group": np.asarray(AGE_GROUP_LABELS)[(rest // 2) % n_g],
                        "sex": np.asarray(people.SCHEMA["sex"].labels)[rest % 2],
                        "variable": var,
                        "level": np.asarray(levels)[lev],
                        "persons": counts[nz],
                    }
                )
            )
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "year", model.year)
    return out


def current_year(model: ElderCareModel) -> int:
    """Calendar year of the model's state."""
    return int(model.year)


#: The model-level reporters every run collects.
MODEL_REPORTERS = {
    "year": current_year,
    "alive": n_alive,
    "dead": n_dead,
    "agents": n_agents,
    "states": state_counts,
}

"""Named DataCollector reporters: what the model records every year.

Each reporter takes the model and returns a number or a tidy DataFrame. They are plain
functions (no lambdas) so they can be tested and pickled. Besides population counts, the
outcome totals (enrolment, cost, FTE, beds) are model reporters, so ``mesa.batch_run`` over
:class:`~simlib.model.model.ElderCareModel` returns them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simlib.params.demography import CENSUS_AGE_STARTS, MAX_AGE

_GROUP_OF_AGE = np.searchsorted(np.asarray(CENSUS_AGE_STARTS), np.arange(MAX_AGE + 1), "right") - 1
AGE_GROUP_LABELS = tuple(
    f"{a}-{a + 4}" if a < CENSUS_AGE_STARTS[-1] else f"{a}+" for a in CENSUS_AGE_STARTS
)


def age_group_index(age: np.ndarray) -> np.ndarray:
    """Index into :data:`AGE_GROUP_LABELS` for each age (−1 below 45)."""
    return _GROUP_OF_AGE[np.minimum(age, MAX_AGE)]


def n_alive(model) -> float:
    """Persons alive (weighted)."""
    c = model.population.cols
    return float(c["weight"][c["alive"]].sum())


def n_dead(model) -> float:
    """Persons who have died since the base year (weighted)."""
    c = model.population.cols
    return float(c["weight"][~c["alive"]].sum())


def n_agents(model) -> int:
    """Agents alive (unweighted)."""
    return int(model.population.cols["alive"].sum())


def current_year(model) -> int:
    """Calendar year of the model's state."""
    return int(model.year)


def levels(attr) -> tuple[str, ...]:
    """The labels of an attribute's levels (categories, false/true, or the integers)."""
    if attr.kind == "category":
        return attr.labels
    if attr.kind == "bool":
        return ("false", "true")
    return tuple(str(i) for i in range(attr.lo, attr.hi + 1))


def state_counts(model) -> pd.DataFrame:
    """Alive persons by county × age group × sex × level of each state variable.

    The variables are those the processes report (``Process.reported``), counted jointly per
    process (one weighted bincount over every agent per process) and then summed down to
    each variable's margin.

    Returns:
        Tidy DataFrame with columns year, county, age_group, sex, variable, level, persons
        (weighted), zero cells omitted.
    """
    pop = model.population
    c = pop.cols
    schema = pop.schema
    n_c, n_g = len(pop.counties), len(AGE_GROUP_LABELS)
    cells = n_c * n_g * 2
    # The dead go to one extra "sink" cell, so no column is copied to drop them.
    base = (c["county"].astype(np.int32) * n_g + age_group_index(c["age"])) * 2 + c["sex"]
    base[~c["alive"]] = cells
    uniform = c["weight"].min() == c["weight"].max()
    w = None if uniform else c["weight"]
    scale = float(c["weight"][0]) if uniform else 1.0
    frames = []
    for group in model.state_groups:
        sizes = [len(levels(schema[v])) for v in group]
        key = base.astype(np.int64)
        lo = [schema[v].lo if schema[v].kind == "int" else 0 for v in group]
        for var, size, low in zip(group, sizes, lo, strict=True):
            key = key * size + (c[var] - low)
        joint = np.bincount(key, weights=w, minlength=(cells + 1) * int(np.prod(sizes)))
        joint = joint.reshape(cells + 1, *sizes)[:cells] * scale
        for k, var in enumerate(group):
            labels = levels(schema[var])
            other = tuple(1 + j for j in range(len(group)) if j != k)
            counts = joint.sum(axis=other).ravel()  # [cell, level]
            nz = np.flatnonzero(counts)
            lev = nz % len(labels)
            rest = nz // len(labels)
            frames.append(
                pd.DataFrame(
                    {
                        "county": np.asarray(pop.counties)[rest // (n_g * 2)],
                        "age_group": np.asarray(AGE_GROUP_LABELS)[(rest // 2) % n_g],
                        "sex": np.asarray(schema["sex"].labels)[rest % 2],
                        "variable": var,
                        "level": np.asarray(labels)[lev],
                        "persons": counts[nz],
                    }
                )
            )
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "year", model.year)
    return out


def _total(model, measure: str) -> float:
    frame = model.ledger.frames[-1]
    return float(frame.loc[frame["measure"] == measure, "value"].sum())


def enrolled(model) -> float:
    """Enrolments this year (person-items, all items)."""
    return _total(model, "enrolled")


def cost_yuan(model) -> float:
    """Service-list cost this year, yuan (constant prices)."""
    return _total(model, "cost_yuan")


def fte(model) -> float:
    """Full-time staff for in-kind services this year."""
    return _total(model, "fte")


def institution_beds(model) -> float:
    """Institution beds in use through the list this year."""
    return _total(model, "beds:institution_bed")


#: The model-level reporters every run collects.
MODEL_REPORTERS = {
    "year": current_year,
    "alive": n_alive,
    "dead": n_dead,
    "agents": n_agents,
    "enrolled": enrolled,
    "cost_yuan": cost_yuan,
    "fte": fte,
    "institution_beds": institution_beds,
    "states": state_counts,
}

"""Named DataCollector reporters: what the model records every year.

Each reporter takes the model and returns a number or a tidy DataFrame. They are plain
functions (no lambdas) so they can be tested and pickled. Besides population counts, the
outcome totals (enrolment, cost, FTE, beds) are model reporters, so ``mesa.batch_run`` over
:class:`~simlib.model.model.ElderCareModel` returns them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simlib.core.jit import engine, kernel
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

    The variables are those the processes report (``Process.reported``). One pass over the
    agents adds each living agent's weight to its (county, age group, sex) row, at the
    column of each variable's level (a numba kernel, or numpy ``bincount``s).

    Returns:
        Tidy DataFrame with columns year, county, age_group, sex, variable, level, persons
        (weighted), zero cells omitted.
    """
    pop = model.population
    c = pop.cols
    schema = pop.schema
    variables = [v for group in model.state_groups for v in group]
    labels = [levels(schema[v]) for v in variables]
    offsets = np.cumsum([0, *(len(x) for x in labels)])
    lows = np.array([schema[v].lo if schema[v].kind == "int" else 0 for v in variables])
    n_c, n_g = len(pop.counties), len(AGE_GROUP_LABELS)
    cols = tuple(
        c[v].view(np.int8) if c[v].dtype == np.bool_ else c[v].astype(np.int8, copy=False)
        for v in variables
    )
    if engine() == "numba":
        table = _count_kernel()(
            c["alive"],
            c["county"],
            c["age"],
            _GROUP_OF_AGE.astype(np.int8),
            c["sex"],
            cols,
            offsets,
            lows,
            c["weight"],
            n_c * n_g * 2,
        )
    else:
        table = _count_numpy(c, cols, offsets, lows, n_c * n_g * 2)
    frames = []
    for k, var in enumerate(variables):
        counts = table[:, offsets[k] : offsets[k + 1]].ravel()  # [cell, level]
        nz = np.flatnonzero(counts)
        lev = nz % len(labels[k])
        rest = nz // len(labels[k])
        frames.append(
            pd.DataFrame(
                {
                    "county": np.asarray(pop.counties)[rest // (n_g * 2)],
                    "age_group": np.asarray(AGE_GROUP_LABELS)[(rest // 2) % n_g],
                    "sex": np.asarray(schema["sex"].labels)[rest % 2],
                    "variable": var,
                    "level": np.asarray(labels[k])[lev],
                    "persons": counts[nz],
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "year", model.year)
    return out


def _cell_of(c) -> np.ndarray:
    """Each agent's (county, age group, sex) row; the dead and the under-45s are −1."""
    n_g = len(AGE_GROUP_LABELS)
    grp = age_group_index(c["age"])
    cell = (c["county"].astype(np.int64) * n_g + grp) * 2 + c["sex"]
    cell[~c["alive"] | (grp < 0)] = -1
    return cell


def _count_numpy(c, cols, offsets, lows, n_cells) -> np.ndarray:
    cell = _cell_of(c)
    keep = cell >= 0
    w = c["weight"][keep].astype(np.float64)
    table = np.zeros((n_cells, offsets[-1]))
    for k, col in enumerate(cols):
        width = offsets[k + 1] - offsets[k]
        idx = cell[keep] * width + (col[keep].astype(np.int64) - lows[k])
        block = np.bincount(idx, weights=w, minlength=n_cells * width)
        table[:, offsets[k] : offsets[k + 1]] = block.reshape(n_cells, width)
    return table


@kernel
def _count_kernel(alive, county, age, group_of_age, sex, cols, offsets, lows, weight, n_cells):
    n_g = 0
    for g in group_of_age:
        n_g = max(n_g, g + 1)
    table = np.zeros((n_cells, offsets[-1]))
    top = group_of_age.shape[0] - 1
    for i in range(alive.shape[0]):
        if not alive[i]:
            continue
        g = group_of_age[min(age[i], top)]
        if g < 0:
            continue
        row = (county[i] * n_g + g) * 2 + sex[i]
        w = weight[i]
        k = 0
        for col in cols:
            table[row, offsets[k] + col[i] - lows[k]] += w
            k += 1
    return table


def _total(model, measure: str) -> float:
    return model.ledger.total(measure)


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

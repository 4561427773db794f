"""Named DataCollector reporters: what the model records every year.

Each reporter takes the model and returns a number or a tidy DataFrame. They are plain
functions (no lambdas) so they can be tested and pickled. Besides population counts, the
outcome totals (enrolment, cost, FTE, beds) are model reporters, so ``mesa.batch_run`` over
:class:`~simlib.model.model.ElderCareModel` returns them (for every year but the final one
with Mesa 3.3.1: see the model's docstring).
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
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
    return float(weight_sums(model.population.cols)[1])


def n_dead(model) -> float:
    """Persons who have died since the base year (weighted)."""
    return float(weight_sums(model.population.cols)[0])


def weight_sums(c) -> np.ndarray:
    """Weighted persons dead and alive: ``[dead, alive]``, float64.

    The sums of each group's weights added in float64 in agent order (numpy's ``bincount``).
    The numba kernel counts instead, and multiplies the count by the weight when each group
    shares one weight (the living always do; the dead too without migration): adding ``k``
    copies of a float32 weight in float64 is exact for ``k < 2**29``, so this is the same
    number to the last bit. Otherwise it adds the weights in agent order, as ``bincount``.
    """
    if engine() == "numba":
        return _weight_sums_kernel()(c["alive"], c["weight"])
    return np.bincount(c["alive"].view(np.int8), weights=c["weight"], minlength=2)


@kernel
def _weight_sums_kernel(alive, weight):
    n = alive.shape[0]
    out = np.zeros(2)
    first_alive = first_dead = -1
    for i in range(n):
        if alive[i]:
            first_alive = i if first_alive < 0 else first_alive
        elif first_dead < 0:
            first_dead = i
        if first_alive >= 0 and first_dead >= 0:
            break
    w_alive = weight[first_alive] if first_alive >= 0 else weight.dtype.type(0)
    w_dead = weight[first_dead] if first_dead >= 0 else weight.dtype.type(0)
    n_alive = 0
    other = 0  # a weight unlike its group's first: then add in agent order
    flags = alive.view(np.uint8)
    for i in range(n):  # branch-free integer work: vectorised
        a = np.int64(flags[i])
        n_alive += a
        other |= (a & np.int64(weight[i] != w_alive)) | ((1 - a) & np.int64(weight[i] != w_dead))
    if other == 0:
        out[1] = np.float64(n_alive) * np.float64(w_alive)
        out[0] = np.float64(n - n_alive) * np.float64(w_dead)
        return out
    for i in range(n):
        out[np.int64(alive[i])] += np.float64(weight[i])
    return out


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


@dataclass(frozen=True)
class StateTable:
    """One year's state counts as an array (what the DataCollector keeps; see :class:`Collector`).

    Attributes:
        year: Calendar year of the state.
        counties: County keys in index order.
        sexes: Sex labels in code order.
        variables: The counted person columns.
        labels: Level labels of each variable.
        table: Weighted persons, float64 ``[county × age group × sex, levels of all variables]``
            (rows ordered county, then age group, then sex; columns variable by variable).
    """

    year: int
    counties: tuple[str, ...]
    sexes: tuple[str, ...]
    variables: tuple[str, ...]
    labels: tuple[tuple[str, ...], ...]
    table: np.ndarray

    def frame(self) -> pd.DataFrame:
        """The tidy DataFrame :func:`state_counts` returns (zero cells omitted)."""
        n_g = len(AGE_GROUP_LABELS)
        sexes = np.asarray(self.sexes)
        frames = []
        start = 0
        for var, labels in zip(self.variables, self.labels, strict=True):
            counts = self.table[:, start : start + len(labels)].ravel()  # [cell, level]
            start += len(labels)
            nz = np.flatnonzero(counts)
            lev = nz % len(labels)
            rest = nz // len(labels)
            frames.append(
                pd.DataFrame(
                    {
                        "county": np.asarray(self.counties)[rest // (n_g * 2)],
                        "age_group": np.asarray(AGE_GROUP_LABELS)[(rest // 2) % n_g],
                        "sex": sexes[rest % 2],
                        "variable": var,
                        "level": np.asarray(labels)[lev],
                        "persons": counts[nz],
                    }
                )
            )
        out = pd.concat(frames, ignore_index=True)
        out.insert(0, "year", self.year)
        return out


def state_table(model) -> StateTable:
    """Alive persons by county × age group × sex × level of each state variable, as an array.

    The variables are those the processes report (``Process.reported``). One pass over the
    agents adds each living agent's weight to its (county, age group, sex) row, at the
    column of each variable's level (a numba kernel, or numpy ``bincount``s).

    Returns:
        The year's :class:`StateTable`.
    """
    pop = model.population
    c = pop.cols
    schema = pop.schema
    variables = tuple(v for group in model.state_groups for v in group)
    labels = tuple(levels(schema[v]) for v in variables)
    offsets = np.cumsum([0, *(len(x) for x in labels)])
    lows = np.array([schema[v].lo if schema[v].kind == "int" else 0 for v in variables])
    n_cells = len(pop.counties) * len(AGE_GROUP_LABELS) * 2
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
            n_cells,
        )
    else:
        table = _count_numpy(c, cols, offsets, lows, n_cells)
    return StateTable(
        int(model.year),
        tuple(pop.counties),
        tuple(schema["sex"].labels),
        variables,
        labels,
        table,
    )


def state_counts(model) -> pd.DataFrame:
    """Alive persons by county × age group × sex × level of each state variable.

    The counts of :func:`state_table` as a tidy table. The model's :class:`Collector` keeps
    the yearly arrays and builds these tables only when read (``model.states()``,
    ``datacollector.model_vars["states"]``, ``mesa.batch_run``).

    Returns:
        Tidy DataFrame with columns year, county, age_group, sex, variable, level, persons
        (weighted), zero cells omitted.
    """
    return state_table(model).frame()


#: Collected as a :class:`StateTable`, turned into the DataFrame when read.
state_counts.deferred = (state_table, StateTable.frame)


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

#: The reporters of a model that only records its path (``outcomes=False``): no list.
PATH_REPORTERS = {k: MODEL_REPORTERS[k] for k in ("year", "alive", "dead", "agents")}


class Collector(mesa.DataCollector):
    """Mesa's DataCollector, keeping *deferred* reporters' values as arrays until read.

    A model reporter with a ``deferred = (record, value)`` attribute (:func:`state_counts`)
    is collected as ``record(model)``, a compact snapshot, and turned into its value with
    ``value(snapshot)`` only when :attr:`model_vars` is read, which
    :meth:`get_model_vars_dataframe`, ``model.states()`` and ``mesa.batch_run`` do. What they
    read is what the plain DataCollector would hold: ``value(record(model))`` is the
    reporter's own result. Other reporters are collected as Mesa collects them. A deferred
    reporter given to a plain ``mesa.DataCollector`` still works, as the plain function.

    Args:
        model_reporters: Name → reporter, as for ``mesa.DataCollector``.
        **kwargs: The other ``mesa.DataCollector`` arguments (agent reporters, tables).
    """

    def __init__(self, model_reporters=None, **kwargs):
        self._pending: dict[str, list] = {}
        super().__init__(model_reporters=model_reporters, **kwargs)
        #: Deferred reporters: name → (record, value).
        self.deferred = {
            name: r.deferred
            for name, r in self.model_reporters.items()
            if getattr(r, "deferred", None) is not None
        }
        self._pending = {name: [] for name in self.deferred}

    @property
    def model_vars(self) -> dict[str, list]:
        """Each reporter's values, one per collection (deferred values built on first read)."""
        for name, records in self._pending.items():
            if records:
                value = self.deferred[name][1]
                self._vars[name].extend(value(r) for r in records)
                records.clear()
        return self._vars

    @model_vars.setter
    def model_vars(self, value: dict[str, list]) -> None:
        self._vars = value

    def collect(self, model) -> None:
        """Collect every reporter; deferred ones as their compact records."""
        regular = self.model_reporters
        self.model_reporters = {k: v for k, v in regular.items() if k not in self.deferred}
        pending, self._pending = self._pending, {}  # Mesa's collect reads model_vars
        try:
            super().collect(model)
        finally:
            self.model_reporters = regular
            self._pending = pending
        for name, (record, _) in self.deferred.items():
            self._pending[name].append(record(model))

    def get_model_vars_dataframe(self, columns=None) -> pd.DataFrame:
        """The model reporters' values as a DataFrame, one row per collection.

        Args:
            columns: Only these reporters (None: all). A deferred reporter not asked for is
                not built.
        """
        if columns is None:
            return super().get_model_vars_dataframe()
        built = self.model_vars if set(columns) & set(self.deferred) else self._vars
        return pd.DataFrame({c: built[c] for c in columns})

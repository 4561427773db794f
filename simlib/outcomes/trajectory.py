"""A population trajectory: what every policy evaluation needs, recorded once per simulation.

Policy does not feed back into the population's dynamics: the processes read the census,
the life table and the health parameters, never the list, take-up, prices or targets
(``docs/performance.md``, *Where policy meets the dynamics*). A city's population path for
one seed, replication, sample and set of dynamics parameters is therefore the same under
every list, and a list can be evaluated on a stored path instead of a new simulation.

A :class:`Trajectory` holds, for each simulated year (the base year included):

* the living agents grouped into *fine cells* — equal values of every person attribute of
  the schema, age in single years — with the weighted persons per fine cell × county
  (``agents``, × the year's weight), listed in order of first appearance among the agents;
* each agent's fine cell (``fid``, −1 once dead), which the one-off benefits (paid the first
  year a person is eligible) and the household benefits (a couple's members, read through the
  static ``spouse`` links) need;
* the living agents' common weight.

Fine cells are numbered once for the whole trajectory (``cells`` holds each one's
attributes), so one list's cells are a function of the fine cells: :func:`replay` maps them
onto the cells the model's own :class:`~simlib.outcomes.ledger.Ledger` would form, in the
same order, with the same persons (exact: every living agent carries the same float32
weight, so every count is an exact multiple of it), and evaluates the list through the same
:meth:`~simlib.outcomes.ledger.Ledger.aggregate`. The result equals the model's outcomes to
the last bit; ``tests/test_trajectory.py`` checks it for every kind of scenario.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simlib.core.jit import engine, kernel
from simlib.outcomes.cells import (
    BLOCK,
    Members,
    block_keys,
    key_columns,
    once_sums_on_path,
    pack,
    probe,
    widths,
)
from simlib.outcomes.households import household_sums_on_path
from simlib.outcomes.ledger import Ledger, YearView, cells_total
from simlib.outcomes.quota import served_persons_on_path
from simlib.rules.conditions import PersonTable

#: The oldest single year of age a fine cell tells apart (the schema's upper bound).
MAX_AGE = 120
#: Single years of age as their own key (older ages counted as :data:`MAX_AGE`).
_AGES = np.arange(MAX_AGE + 1, dtype=np.int8)


class TrajectoryUnsupported(ValueError):
    """The population cannot be stored as a trajectory (the living's weights differ)."""


def fine_attributes(schema: Mapping) -> tuple[str, ...]:
    """The attributes a fine cell is keyed on: every schema attribute but age, in order."""
    return tuple(a for a in schema if a != "age")


def _cardinality(a) -> int:
    if a.kind == "category":
        return len(a.labels)
    if a.kind == "bool":
        return 2
    return int(a.hi) + 1


@dataclass
class Trajectory:
    """One simulated population path (see the module docstring).

    Attributes:
        city: Population city.
        counties: County keys, in index order.
        years: Calendar years recorded (the base year first).
        attrs: Attributes of the fine cells besides ``age``.
        cells: Per year, per attribute (and ``age``), its value in each fine cell of that
            year (the columns' dtypes); fine cells in order of first appearance.
        agents: Per year, agents per fine cell × county ``[fine cells, counties]`` (int32);
            persons are agents × the year's weight, exactly. A path read from disk holds
            them as :class:`SparseAgents` (each year's built when first read).
        fid: ``[years, agents]``: each agent's fine cell in each year (−1: dead), int32.
        weight: Per year, the living agents' common weight (persons per agent, float32).
        county: County index of each agent (int16).
        spouse: Each agent's spouse (−1, −2: none), int32; fixed after the base year.
        key: The dynamics key it was stored under (empty when not stored).
        members: Per year, the living agents listed by fine cell (an index built from
            ``fid``, each year's list when first needed, not stored on disk): the one-off
            and household sums visit the agents of eligible fine cells only.
        distinct: The fine cells of all years numbered once (built when the trajectory is
            made; numba only): a list's cells are merged once per path, not once per year.
        lists: The cells of the lists last evaluated on the path (:class:`ListCache`; not
            stored on disk, not pickled).
    """

    city: str
    counties: tuple[str, ...]
    years: tuple[int, ...]
    attrs: tuple[str, ...]
    cells: tuple[dict[str, np.ndarray], ...]
    agents: tuple[np.ndarray, ...]
    fid: np.ndarray
    weight: np.ndarray
    county: np.ndarray
    spouse: np.ndarray
    key: str = ""
    members: tuple[Members, ...] = field(default=(), compare=False, repr=False)
    distinct: Distinct | None = field(default=None, compare=False, repr=False)
    lists: ListCache = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.lists is None:
            self.lists = ListCache()
        if len(self.members) != len(self.years):
            self.members = tuple(
                Members.build(self.fid[t], self.agents[t], listed=False)
                for t in range(len(self.years))
            )
        if self.distinct is None and engine() == "numba":
            self.distinct = Distinct.build(self.cells, ("age", *self.attrs))

    @property
    def n_agents(self) -> int:
        """Agents (alive or dead)."""
        return int(self.fid.shape[1])

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays (bytes)."""
        arrays = [self.fid, self.weight, self.county, self.spouse]
        if isinstance(self.agents, SparseAgents):
            held_agents = self.agents.nbytes
        else:
            held_agents = sum(a.nbytes for a in self.agents)
        arrays += [v for c in self.cells for v in c.values()]
        if self.distinct is not None:
            arrays += [*self.distinct.gid, *self.distinct.cells.values()]
        held = sum(m.nbytes for m in self.members) + self.lists.nbytes + held_agents
        return int(sum(a.nbytes for a in arrays)) + held

    def equals(self, other: Trajectory) -> bool:
        """Whether two trajectories are the same path, array for array, to the last bit."""
        head = (self.city, self.counties, self.years, self.attrs)
        if head != (other.city, other.counties, other.years, other.attrs):
            return False
        pairs = [
            (self.fid, other.fid),
            (self.weight, other.weight),
            (self.county, other.county),
            (self.spouse, other.spouse),
            *zip(self.agents, other.agents, strict=True),
        ]
        for a, b in zip(self.cells, other.cells, strict=True):
            if a.keys() != b.keys():
                return False
            pairs += [(a[k], b[k]) for k in a]
        return all(x.dtype == y.dtype and np.array_equal(x, y) for x, y in pairs)

    def attribute_counts(self, attributes: list[str]) -> pd.DataFrame:
        """Weighted persons per year × county × the given attributes (distributional views).

        Args:
            attributes: Person attributes (``age`` for single years of age).

        Returns:
            Tidy rows ``year, county, <attributes…>, persons`` (persons > 0 only).
        """
        out = []
        for t, year in enumerate(self.years):
            frame = pd.DataFrame({a: self.cells[t][a] for a in attributes})
            for c, name in enumerate(self.counties):
                persons = self.agents[t][:, c] * np.float64(self.weight[t])
                f = frame.assign(persons=persons)
                g = f.groupby(attributes, sort=True)["persons"].sum().reset_index()
                g.insert(0, "county", name)
                g.insert(0, "year", year)
                out.append(g[g["persons"] > 0])
        return pd.concat(out, ignore_index=True)

    def view(self, t: int, plan, groups: tuple[str, ...] = ()) -> YearView:
        """Year ``t``'s living population as the ledger sees it under a list's ``plan``.

        The cells are those the model's ledger forms: equal values of the plan's attributes
        and age band, numbered by first appearance among the agents, each represented by
        its first agent, with the same weighted persons (exact sums of multiples of one
        float32 weight). With ``groups`` (:mod:`simlib.outcomes.groups`) persons are counted
        per county × group, each agent's group computed from its fine cell (and, for the
        household type, its spouse's), as the model's ledger does from its columns.

        A list's cells depend only on what its plan keys them on (:func:`plan_key`), so they
        are kept on the path (:class:`ListCache`): a list, or a variant of it changing
        amounts, take-up, prices or targets, finds them there the next time.
        """
        cell, first, table, total, _ = self.lists.year(self, t, plan)
        county = self.county
        if groups:
            county, n_slots = self.slots(t, groups)
            fid = self.fid[t]
            living = fid >= 0
            slot_cell = np.append(cell, -1).astype(np.int64)[fid[living]] * n_slots
            slot_cell += county[living]
            n = np.bincount(slot_cell, minlength=len(first) * n_slots)
            summed = n.reshape(len(first), n_slots).astype(np.float64)
            total = path_total(summed, self.weight[t])
        return PathView(PersonTable(table), total, self, t, cell, county)

    def list_cells(self, t: int, plan) -> tuple:
        """Year ``t``'s cells under ``plan`` from its own fine cells (not cached).

        What :class:`ListCache` falls back on without the distinct fine cells (the numpy
        engine); with them it counts a year's cells by :meth:`Distinct.year_totals`.

        Returns:
            ``(cell, first, summed)`` as :func:`merge_cells`: each fine cell's cell, each
            cell's first fine cell, ``[cells, counties]`` agents (float64).
        """
        fine = self.cells[t]
        return merge_cells(
            fine["age"], plan.bands, key_columns(fine, plan.attrs), plan.bits, self.agents[t]
        )

    def slots(self, t: int, groups: tuple[str, ...]) -> tuple[np.ndarray, int]:
        """Each agent's county × group slot in year ``t``, and the number of slots.

        As :func:`simlib.outcomes.groups.slots` computes them from the model's columns:
        each agent's attributes read through its fine cell (the dead's: a fine cell of
        zeros, as no count reads them).
        """
        from simlib.outcomes.groups import n_groups, slots

        fid = self.fid[t]
        fine = self.cells[t]

        def per_agent(name):
            return np.append(fine[name], np.zeros(1, fine[name].dtype))[fid]

        cols = {a: per_agent(a) for a in fine}
        cols |= {"alive": fid >= 0, "spouse": self.spouse, "county": self.county}
        return slots(cols, groups), len(self.counties) * n_groups(groups)


class SparseAgents(Sequence):
    """A path's agents per fine cell × county, each year built from its index when read.

    ``agents[t]`` is the ``[fine cells, counties]`` int32 array of year ``t``, built from
    the nonzero entries of ``members[t]`` the first time it is read and kept. A replay
    (numba engine) never reads it: it works from the nonzero entries.

    Args:
        members: Per year, the index (:class:`~simlib.outcomes.cells.Members`).
        n_counties: Counties.
    """

    def __init__(self, members: tuple[Members, ...], n_counties: int):
        self._members, self._n_c = members, n_counties
        self._built: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self._members)

    def __getitem__(self, t):
        if isinstance(t, slice):
            return tuple(self[i] for i in range(len(self))[t])
        t = range(len(self))[t]
        out = self._built.get(t)
        if out is None:
            m = self._members[t]
            out = np.zeros((m.start.size - 1, self._n_c), np.int32)
            out[m.nz_cell, m.nz_county] = m.nz_agents
            self._built[t] = out
        return out

    @property
    def nbytes(self) -> int:
        """Memory held by the years built so far (bytes)."""
        return int(sum(a.nbytes for a in self._built.values()))


def plan_key(plan) -> tuple:
    """What a list's cells are keyed on: its attributes, age bands and key widths.

    Lists that read the same attributes and age thresholds (a list and its variants in
    amounts, take-up, prices or targets; often a city's list in every period) have equal
    cells on a path.
    """
    bands = np.ascontiguousarray(plan.bands).tobytes()
    return tuple(plan.attrs), bands, np.ascontiguousarray(plan.bits).tobytes()


class ListCache:
    """A path's cells under the lists evaluated on it, the most recently used kept.

    Per list key (:func:`plan_key`, and the engine): the distinct fine cells' cells
    (:meth:`Distinct.merge`) and, per year, the year's cells (:meth:`Trajectory.list_cells`),
    their evaluation table's columns and the per-county sums (:func:`path_total`): about
    30 MB a list for Datong at full scale to 2035. Derived data, so it is not pickled.
    Nothing writes into it: each view wraps the columns in a new table.
    """

    #: Lists kept per path.
    SIZE = 3

    def __init__(self):
        self._lists: OrderedDict[tuple, dict] = OrderedDict()

    def __getstate__(self) -> dict:
        return {"_lists": OrderedDict()}

    def _entry(self, plan) -> dict:
        key = (plan_key(plan), engine())
        entry = self._lists.get(key)
        if entry is None:
            entry = self._lists[key] = {"merged": None, "years": {}}
            while len(self._lists) > self.SIZE:
                self._lists.popitem(last=False)
        self._lists.move_to_end(key)
        return entry

    def merged(self, traj: Trajectory, plan) -> tuple[np.ndarray, int]:
        """The distinct fine cells' cells under ``plan`` (:meth:`Distinct.merge`)."""
        entry = self._entry(plan)
        if entry["merged"] is None:
            entry["merged"] = traj.distinct.merge(plan)
        return entry["merged"]

    def year(self, traj: Trajectory, t: int, plan) -> tuple:
        """``(cell, first, table columns, total, bytes held)`` of year ``t`` under ``plan``."""
        entry = self._entry(plan)
        hit = entry["years"].get(t)
        if hit is None:
            fine, w = traj.cells[t], traj.weight[t]
            if traj.distinct is not None and engine() == "numba":  # counted in one pass
                cell, first, whole, persons = traj.distinct.year_totals(
                    t, self.merged(traj, plan), traj.members[t], len(traj.counties), w
                )
                total, sums = path_total(None, w, whole, persons), (whole, persons)
            else:
                cell, first, summed = traj.list_cells(t, plan)
                total = path_total(summed, w)
                sums = (summed, summed)  # the agents, and path_total's persons from them
            table = {a: fine[a][first] for a in (*plan.attrs, "age")}
            held = cell.nbytes + first.nbytes + sum(a.nbytes for a in (*sums, *table.values()))
            hit = (cell, first, table, total, held)
            entry["years"][t] = hit
        return hit

    def clear(self) -> None:
        """Forget every list's cells."""
        self._lists.clear()

    def __len__(self) -> int:
        return len(self._lists)

    @property
    def nbytes(self) -> int:
        """Memory held (bytes)."""
        out = 0
        for entry in self._lists.values():
            if entry["merged"] is not None:
                out += entry["merged"][0].nbytes
            out += sum(year[-1] for year in entry["years"].values())
        return out


def path_total(agents: np.ndarray | None, weight, whole=None, persons=None) -> Callable:
    """The ledger's per-county sums (:func:`~simlib.outcomes.ledger.cells_total`) on a path.

    Equal to the last bit, faster for masks: the persons of a cell are whole agents × one
    float32 weight, so a masked total (a sum of such multiples, some two million agents at
    most) is exact in float64 in any order, and equals the whole agents' sum × the weight,
    which a small kernel adds in integers, county by county (branch-free over the cells,
    so that it vectorises). Amounts (``values``) are added by the model's own matrix
    product.

    Args:
        agents: ``[cells, counties]`` whole agents (float64); None when ``whole`` and
            ``persons`` are given.
        weight: The living's common weight (persons per agent, a float32 value).
        whole: The ``[counties, cells]`` whole agents (int32), if already counted.
        persons: The ``[cells, counties]`` persons (whole agents × the weight), likewise.
    """
    w = np.float64(weight)
    by_product = cells_total(agents * w if persons is None else persons)  # exact
    numba = engine() == "numba"
    whole = [] if whole is None else [whole]  # [counties, cells] int32, made when first needed

    def total(values=None, mask=None):
        if values is None and numba and mask.dtype == np.bool_:
            if not whole:
                whole.append(_whole_kernel()(agents))
            return _masked_kernel()(mask.view(np.uint8), whole[0]) * w
        return by_product(values, mask)

    return total


@kernel
def _whole_kernel(agents):
    # [cells, counties] whole agents (float64) as [counties, cells] int32 (exact)
    n, n_c = agents.shape
    out = np.empty((n_c, n), np.int32)
    for i in range(n):
        for c in range(n_c):
            out[c, i] = np.int32(agents[i, c])
    return out


@kernel
def _masked_kernel(mask, whole):
    # integer sums (exact in any order), one county at a time, branch-free: vectorised
    n_c, n = whole.shape
    out = np.zeros(n_c)
    for c in range(n_c):
        acc = np.int64(0)
        row = whole[c]
        for i in range(n):
            acc += row[i] * np.int64(mask[i])
        out[c] = acc
    return out


class _PerAgent:
    """A per-agent column of a stored path, read through each agent's fine cell where indexed.

    ``column[idx]`` is ``values[fid[idx]]`` (the dead's fine cell −1 reads ``values[-1]``);
    ``numpy.asarray(column)`` gives the whole column.
    """

    def __init__(self, values: np.ndarray, fid: np.ndarray):
        self._values, self._fid = values, fid

    @property
    def size(self) -> int:
        return int(self._fid.size)

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, idx):
        return self._values[self._fid[idx]]

    def __array__(self, dtype=None, copy=None):
        out = self._values[self._fid]
        return out if dtype is None else out.astype(dtype)


class _Weight:
    """The living's common weight as a per-agent column (indexed by arrays of agents)."""

    def __init__(self, weight: np.float32, n: int):
        self._w, self.size = weight, n

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, idx):
        return np.full(np.shape(idx), self._w, np.float32)

    def __array__(self, dtype=None, copy=None):
        return np.full(self.size, self._w, dtype or np.float32)


class PathView(YearView):
    """A trajectory year's view: one-off and household sums read agents through fine cells."""

    def __init__(self, table, total, traj: Trajectory, t: int, cell: np.ndarray, county):
        super().__init__(table, total, None, {})
        self._traj, self._t, self._cell, self._county = traj, t, cell, county

    def agent_rows(self) -> np.ndarray:
        """Per agent, its row in the table (−1 for the dead)."""
        return np.append(self._cell, -1)[self._traj.fid[self._t]]

    def agent_column(self, name: str):
        """Per agent, a column as the model's would hold it, read where indexed.

        The dead read a zero; ``row`` is each agent's row (−1 for the dead). Read through
        the fine cells only where indexed (:class:`_PerAgent`).
        """
        tr, t = self._traj, self._t
        if name == "county":
            return self._county
        if name == "spouse":
            return tr.spouse
        if name == "weight":
            return _Weight(np.float32(tr.weight[t]), tr.n_agents)
        if name == "row":
            return _PerAgent(np.append(self._cell, -1), tr.fid[t])
        fine = tr.cells[t][name]
        return _PerAgent(np.append(fine, np.zeros(1, fine.dtype)), tr.fid[t])

    def once_sums(self, eligible, values, got, n_counties: int) -> np.ndarray:
        """One-off amounts (:func:`~simlib.outcomes.cells.once_sums_on_path`)."""
        tr, t = self._traj, self._t
        return once_sums_on_path(
            tr.fid[t],
            tr.members[t],
            self._cell,
            eligible,
            values,
            got,
            self._county,
            tr.weight[t],
            n_counties,
        )

    def served_persons(self, eligible, served, got, n_counties: int):
        """A quota item's persons and households served (:func:`~.served_persons_on_path`)."""
        tr, t = self._traj, self._t
        return served_persons_on_path(
            tr.fid[t],
            self._cell,
            tr.cells[t]["in_institution"],
            eligible,
            served,
            tr.spouse,
            self._county,
            tr.weight[t],
            got,
            n_counties,
        )

    def household_sums(self, eligible, values, once, received, n_counties: int, marked=False):
        """Household sums (:func:`~simlib.outcomes.households.household_sums_on_path`)."""
        tr, t = self._traj, self._t
        return household_sums_on_path(
            tr.fid[t],
            tr.members[t],
            self._cell,
            tr.cells[t]["in_institution"],
            eligible,
            values,
            once,
            received,
            tr.spouse,
            self._county,
            tr.weight[t],
            n_counties,
            marked,
        )


class Recorder:
    """Records a model's population year by year into a :class:`Trajectory`.

    Args:
        city: Population city.
        counties: County keys, in index order.
        schema: The person schema (fine cells are keyed on all its attributes).
        n_agents: Agents in the population.
        n_years: Years that will be recorded (the base year included).
    """

    def __init__(self, city: str, counties: list[str], schema: Mapping, n_agents: int, n_years):
        self.city = city
        self.counties = tuple(counties)
        self.attrs = fine_attributes(schema)
        cards = [MAX_AGE + 1] + [_cardinality(schema[a]) for a in self.attrs]
        self.bits = widths(cards)
        self.fid = np.full((n_years, n_agents), -1, np.int32)
        self.years: list[int] = []
        self.cells: list[dict[str, np.ndarray]] = []
        self.agents: list[np.ndarray] = []
        self.weight: list[np.float32] = []
        self._table_bits = 17
        self.county = self.spouse = None

    def record(self, cols: dict[str, np.ndarray], year: int) -> None:
        """Record the living population of ``year`` (the state the ledger evaluates).

        One pass over the agents (:func:`fine_cells`) checks their common weight, numbers
        their fine cells and counts the agents per fine cell × county, writing each agent's
        fine cell straight into the path's ``fid``.
        """
        t = len(self.years)
        if t == 0:
            self.county = cols["county"].copy()
            self.spouse = cols["spouse"].copy()
        w, rep, agents, self._table_bits = fine_cells(
            cols["alive"],
            cols["age"],
            key_columns(cols, self.attrs),
            self.bits,
            cols["county"],
            cols["weight"],
            len(self.counties),
            self.fid[t],
            self._table_bits,
        )
        self.years.append(int(year))
        self.cells.append({a: cols[a][rep] for a in ("age", *self.attrs)})
        self.agents.append(agents)
        self.weight.append(np.float32(w))

    def trajectory(self, key: str = "") -> Trajectory:
        """The recorded trajectory (the years recorded so far)."""
        t = len(self.years)
        return Trajectory(
            city=self.city,
            counties=self.counties,
            years=tuple(self.years),
            attrs=self.attrs,
            cells=tuple(self.cells),
            agents=tuple(self.agents),
            fid=self.fid[:t],
            weight=np.array(self.weight, np.float32),
            county=self.county,
            spouse=self.spouse,
            key=key,
        )


def fine_cells(alive, age, keys, bits, county, weight, n_counties, fid, table_bits=17):
    """The living agents' fine cells, counted in whole agents, in one pass.

    A fine cell is an equal age (single years, capped at :data:`MAX_AGE`) and equal values
    of every key column; fine cells are numbered in order of first appearance among the
    agents, as :func:`~simlib.outcomes.cells.group` numbers cells. Counting agents (int32)
    instead of summing their float32 weights gives the same numbers: every living agent
    carries the same weight (checked here), and ``k`` such weights add up in float64 to
    exactly ``k`` times the weight (a float32 has 24 significant bits, ``k`` < 2**29).

    Args:
        alive: Which agents are alive.
        age: Age per agent (years).
        keys: int8 key columns (values below ``2 ** bits``).
        bits: Bits of the age and of each key column (:func:`~simlib.outcomes.cells.widths`).
        county: County index per agent (int16).
        weight: Persons per agent.
        n_counties: Number of counties.
        fid: Output, per agent: its fine cell (−1: dead), int32, written in place.
        table_bits: First hash-table size in bits (doubled until the cells fit half full).

    Returns:
        ``(weight, rep, agents, table_bits)``: the living agents' common weight (persons
        per agent), each fine cell's first agent, the ``[fine cells, counties]`` living
        agents (int32), and the table size to start from next year.

    Raises:
        TrajectoryUnsupported: If the living agents' weights differ (or none lives).
    """
    if engine() == "numpy":
        w = common_weight(alive, weight)
        if w is None:
            raise TrajectoryUnsupported(_UNEQUAL)
        idx = np.flatnonzero(alive)
        ages = np.minimum(age[idx], MAX_AGE).astype(np.int8)
        key = pack((ages, *(k[idx] for k in keys)), bits)
        _, first, inv = np.unique(key, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")  # numbered by first appearance
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        cell = rank[inv.reshape(-1)]
        fid[:] = -1
        fid[idx] = cell
        slot = cell.astype(np.int64) * n_counties + county[idx]
        agents = np.bincount(slot, minlength=order.size * n_counties).astype(np.int32)
        bits_next = int(np.ceil(np.log2(order.size + 1))) + 1
        return w, idx[first[order]], agents.reshape(order.size, n_counties), bits_next
    run = _fine_kernel()
    widths_ = np.asarray(bits, np.int64)
    while True:
        ok, w, rep, agents = run(
            alive, age, _AGES, keys, widths_, county, weight, n_counties, fid, table_bits
        )
        if ok == 1:
            return float(w), rep, agents, int(np.ceil(np.log2(len(rep) + 1))) + 1
        if ok == 0:
            raise TrajectoryUnsupported(_UNEQUAL)
        table_bits += 2


_UNEQUAL = "the living agents' weights differ, so cells cannot be summed exactly"


@kernel
def _fine_kernel(alive, age, ages, keys, widths, county, weight, n_c, fid, bits):
    # As cells._group_kernel (per block: the keys, then the hash look-ups in agent order),
    # single years of age its first key column, with the weights checked equal and whole
    # agents counted. ok: 1 done, 0 weights differ (or none lives), -1 table too small.
    n = alive.shape[0]
    cap = 1 << bits
    limit = cap // 2
    table_key = np.full(cap, -1, np.int64)
    table_id = np.empty(cap, np.int32)
    rep = np.empty(limit + 1, np.int64)
    counts = np.zeros((n_c, limit + 1), np.int32)  # county-major: a county touches one row
    u = 0
    shift = np.uint64(64 - bits)
    buf = np.empty(BLOCK, np.int64)
    w0 = weight[0]
    found = False
    for start in range(0, n, BLOCK):
        m = min(BLOCK, n - start)
        block_keys(buf, age, ages, keys, widths, start, m)  # single years of age, to 120
        for t in range(m):
            i = start + t
            if not alive[i]:
                fid[i] = -1
                continue
            if not found:
                w0 = weight[i]
                found = True
            elif weight[i] != w0:
                return 0, w0, rep[:0].copy(), np.zeros((0, n_c), np.int32)
            c, new = probe(table_key, table_id, buf[t], u, shift, cap - 1)
            if new:
                rep[u] = i
                u += 1
            if u > limit:  # more than half full: the caller retries with a larger table
                return -1, w0, rep[:0].copy(), np.zeros((0, n_c), np.int32)
            fid[i] = c
            counts[county[i], c] += 1
    if not found:
        return 0, w0, rep[:0].copy(), np.zeros((0, n_c), np.int32)
    return 1, w0, rep[:u].copy(), counts[:, :u].T.copy()


def merge_cells(age, bands, keys, bits, counts):
    """Merge fine cells of equal list key into cells numbered by first appearance.

    A fine cell's key under a list is its age band and the list's attributes, packed as
    :func:`~simlib.outcomes.cells.pack` packs an agent's (the numba kernel packs and merges
    in one pass).

    Args:
        age: Per fine cell (in order of first appearance among the agents), its age.
        bands: Age band of each single year of age.
        keys: int8 key columns per fine cell.
        bits: Bits of the age band and of each key column.
        counts: ``[fine cells, counties]`` agents (whole numbers).

    Returns:
        ``(cell, first, summed)``: each fine cell's cell (int32), each cell's first fine
        cell, and the ``[cells, counties]`` agents as float64 (exact sums of whole numbers).
    """
    if engine() == "numba" and age.shape[0]:
        nz_cell, nz_county = np.nonzero(counts)
        nz = (nz_cell, nz_county, counts[nz_cell, nz_county])
        return _merged(age, bands, keys, bits, nz, counts.shape[1])
    band = bands[np.minimum(age, bands.size - 1)]
    key = pack((band, *keys), bits)
    _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    cell = rank[inv].astype(np.int32)
    summed = np.zeros((order.size, counts.shape[1]))
    np.add.at(summed, cell, counts.astype(np.float64))
    return cell, first[order].astype(np.int64), summed


def _merged(age, bands, keys, bits, nz, n_c: int, table_bits: int = 0):
    """:func:`merge_cells` in numba, ``nz`` the nonzero counts ``(cell, county, agents)``.

    ``table_bits`` is the hash table's first size (0: room for every fine cell), doubled
    twice until the cells fit at most half full.
    """
    n = age.shape[0]
    stacked = np.empty((len(keys), n), np.int8)
    for j, k in enumerate(keys):
        stacked[j] = k
    widths = np.asarray(bits, np.int64)
    tb = max(4, table_bits or int(np.ceil(np.log2(n + 1))) + 1)
    while True:
        cell, first, summed, ok = _merge_kernel()(age, bands, stacked, widths, *nz, n_c, tb)
        if ok:
            return cell, first, summed
        tb += 2


@dataclass
class Distinct:
    """The distinct fine cells of all a trajectory's years, numbered once.

    A fine cell (every attribute, single year of age) recurs from year to year: Datong's
    path to 2035 has 1.3 million yearly fine cells but 380,000 distinct ones. A list's
    cells are then found once per path and list (:meth:`merge`), and each year only numbers
    them by first appearance (:meth:`year`), without a hash table.

    Attributes:
        gid: Per year, each fine cell's distinct fine cell (int32).
        cells: Per attribute (and ``age``), its value in each distinct fine cell.
    """

    gid: tuple[np.ndarray, ...]
    cells: dict[str, np.ndarray]

    @classmethod
    def build(cls, cells: tuple[dict[str, np.ndarray], ...], names: tuple[str, ...]):
        """Number the fine cells of every year (``names``: age first, then attributes)."""
        if not cells:
            return None
        cols = {a: np.concatenate([c[a] for c in cells]) for a in names}
        top = [int(cols[a].max(initial=0)) for a in names]
        bits = [max(1, int(np.ceil(np.log2(m + 2)))) for m in top]
        if sum(bits) > 62 or top[0] > MAX_AGE:
            return None
        keys = key_columns(cols, list(names[1:]))
        empty = (np.zeros(0, np.int32), np.zeros(0, np.int16), np.zeros(0, np.int32))
        # a fine cell recurs from year to year (Datong to 2035: 380,000 distinct of 1.3
        # million): a table sized for a quarter of them (enlarged if need be) is smaller
        # and faster than one with room for all
        tb = int(np.ceil(np.log2(cols["age"].size / 4 + 1))) + 1
        gid, first, _ = _merged(cols["age"], _AGES, keys, bits, empty, 0, tb)
        bounds = np.cumsum([0, *(len(c["age"]) for c in cells)])
        per_year = tuple(gid[bounds[t] : bounds[t + 1]] for t in range(len(cells)))
        return cls(per_year, {a: cols[a][first] for a in names})

    def merge(self, plan) -> tuple[np.ndarray, int]:
        """Each distinct fine cell's cell under a list's plan (in no particular order)."""
        c = self.cells
        empty = (np.zeros(0, np.int32), np.zeros(0, np.int16), np.zeros(0, np.int32))
        # a list has far fewer cells than fine cells (Datong: some 28,000 of 380,000), and
        # a table that fits in cache is faster: start at a quarter, enlarged if need be
        n = c["age"].size
        tb = int(np.ceil(np.log2(n / 4 + 1))) + 1
        cell, first, _ = _merged(
            c["age"], plan.bands, key_columns(c, plan.attrs), plan.bits, empty, 0, tb
        )
        return cell, len(first)

    def year_totals(self, t: int, merged, members: Members, n_c: int, weight) -> tuple:
        """Year ``t``'s cells from the plan's :meth:`merge`, with what :func:`path_total` reads.

        Returns:
            ``(cell, first, whole, persons)``: each fine cell's cell and each cell's first
            fine cell as :func:`merge_cells` numbers them, the ``[counties, cells]`` whole
            agents (int32) and the ``[cells, counties]`` persons (whole agents × ``weight``,
            float64), counted in one pass.
        """
        cell, n_cells = merged
        nz = (members.nz_cell, members.nz_county, members.nz_agents)
        return _number_kernel()(cell, self.gid[t], n_cells, *nz, n_c, np.float64(weight))


@kernel
def _number_kernel(gcell, gid, n_cells, nz_cell, nz_county, nz_agents, n_c, w):
    # the year's cells numbered by first appearance among its fine cells, as the hash in
    # _merge_kernel numbers them, by direct look-up of each distinct cell's cell; then the
    # whole agents per county × cell (integers: exact in any order) and the persons
    # per cell × county (whole agents × the weight, exact), as path_total reads them
    n = gid.shape[0]
    local = np.full(n_cells, -1, np.int32)
    cell = np.empty(n, np.int32)
    first = np.empty(min(n, n_cells), np.int64)
    u = 0
    for i in range(n):
        g = gcell[gid[i]]
        c = local[g]
        if c < 0:
            c = np.int32(u)
            local[g] = c
            first[u] = i
            u += 1
        cell[i] = c
    whole = np.zeros((n_c, u), np.int32)
    for e in range(nz_cell.shape[0]):
        whole[nz_county[e], cell[nz_cell[e]]] += nz_agents[e]
    persons = np.empty((u, n_c))
    for i in range(u):
        for c in range(n_c):
            persons[i, c] = np.float64(whole[c, i]) * w
    return cell, first[:u].copy(), whole, persons


@kernel
def _merge_kernel(age, bands, keys, widths, nz_cell, nz_county, nz_agents, n_c, bits):
    # the fine cells' keys, one key column at a time (as the grouping kernel builds an
    # agent's), then the cells (open addressing, numbered by first appearance), then the sums
    n = age.shape[0]
    top = bands.shape[0] - 1
    key = np.empty(n, np.int64)
    for i in range(n):
        key[i] = bands[min(age[i], top)]
    for j in range(keys.shape[0]):
        w = widths[j + 1]
        for i in range(n):
            key[i] = (key[i] << w) | np.int64(keys[j, i])
    cap = 1 << bits
    limit = cap // 2
    shift = np.uint64(64 - bits)
    table_key = np.full(cap, -1, np.int64)
    table_id = np.empty(cap, np.int32)
    cell = np.empty(n, np.int32)
    first = np.empty(limit + 1, np.int64)
    u = 0
    for i in range(n):
        c, new = probe(table_key, table_id, key[i], u, shift, cap - 1)
        if new:
            first[u] = i
            u += 1
        if u > limit:  # more than half full: the caller retries with a larger table
            return cell, first[:0].copy(), np.zeros((0, n_c)), False
        cell[i] = c
    summed = np.zeros((u, n_c))  # sums of whole numbers: exact in any order
    for e in range(nz_cell.shape[0]):
        summed[cell[nz_cell[e]], nz_county[e]] += nz_agents[e]
    return cell, first[:u].copy(), summed, True


def replay(
    traj: Trajectory, inputs, end_year: int | None = None, groups: tuple[str, ...] = ()
) -> Ledger:
    """Evaluate a run's policy (its inputs' lists and outcome parameters) on a trajectory.

    Args:
        traj: The population path.
        inputs: The run's inputs; their dynamics must be those the trajectory was
            simulated with (the caller's key ensures it, :mod:`simlib.experiments.trajectories`).
        end_year: Last year evaluated (the trajectory's last by default).
        groups: Groupings of persons to aggregate by besides the county
            (:data:`simlib.outcomes.groups.GROUPINGS`).

    Returns:
        A :class:`~simlib.outcomes.ledger.Ledger` holding every year's records, equal to
        the model's own ledger under these inputs.
    """
    ledger = Ledger(inputs, list(traj.counties), groups=tuple(groups))
    for _ in replaying(traj, ledger, end_year):
        pass
    return ledger


def replaying(traj: Trajectory, ledger: Ledger, end_year: int | None = None):
    """Evaluate ``ledger``'s inputs on a trajectory year by year, as the model steps.

    Yields each year's index ``t`` once the ledger holds its records (and, for a ledger
    made with ``per_person=True``, each agent's benefit value, as in the model).

    Args:
        traj: The population path.
        ledger: A new ledger over the trajectory's counties.
        end_year: Last year evaluated (the trajectory's last by default).
    """
    for t, year in enumerate(traj.years):
        if end_year is not None and year > end_year:
            break
        period = ledger.inputs.policy(year)
        plan = ledger.plan(period)
        ledger.start_received(plan, traj.n_agents)
        view = traj.view(t, plan, ledger.groups)
        ledger.years.append(ledger.aggregate(period, year, view))
        yield t


def common_weight(alive: np.ndarray, weight: np.ndarray) -> float | None:
    """The weight every living agent carries, or None when they differ (or none lives)."""
    if engine() == "numba":
        ok, w = _common_weight_kernel()(alive, weight)
        return float(w) if ok else None
    w = weight[alive]
    if w.size == 0 or w.min() != w.max():
        return None
    return float(w[0])


@kernel
def _common_weight_kernel(alive, weight):
    w0 = weight[0]
    found = False
    for i in range(alive.shape[0]):
        if alive[i]:
            if not found:
                w0 = weight[i]
                found = True
            elif weight[i] != w0:
                return False, w0
    return found, w0

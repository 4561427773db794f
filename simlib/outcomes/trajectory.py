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

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simlib.core.jit import engine, kernel
from simlib.outcomes.cells import group, key_columns, once_sums_on_path, pack, widths
from simlib.outcomes.households import household_sums_on_path
from simlib.outcomes.ledger import Ledger, YearView, cells_total
from simlib.rules.conditions import PersonTable

#: The oldest single year of age a fine cell tells apart (the schema's upper bound).
MAX_AGE = 120


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
            persons are agents × the year's weight, exactly.
        fid: ``[years, agents]``: each agent's fine cell in each year (−1: dead), int32.
        weight: Per year, the living agents' common weight (persons per agent, float32).
        county: County index of each agent (int16).
        spouse: Each agent's spouse (−1, −2: none), int32; fixed after the base year.
        key: The dynamics key it was stored under (empty when not stored).
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

    @property
    def n_agents(self) -> int:
        """Agents (alive or dead)."""
        return int(self.fid.shape[1])

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays (bytes)."""
        arrays = [self.fid, self.weight, self.county, self.spouse, *self.agents]
        arrays += [v for c in self.cells for v in c.values()]
        return int(sum(a.nbytes for a in arrays))

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
        """
        fine = self.cells[t]
        band = plan.bands[np.minimum(fine["age"], plan.bands.size - 1)]
        key = pack((band, *key_columns(fine, plan.attrs)), plan.bits)
        cell, first, summed = merge_cells(key, self.agents[t])
        county = self.county
        if groups:
            county, n_slots = self._slots(t, groups)
            fid = self.fid[t]
            living = fid >= 0
            slot_cell = np.append(cell, -1)[fid[living]] * n_slots + county[living]
            n = np.bincount(slot_cell, minlength=len(first) * n_slots)
            summed = n.reshape(len(first), n_slots).astype(np.float64)
        summed *= np.float64(self.weight[t])  # exact: whole agents × one float32 weight
        table = PersonTable({a: fine[a][first] for a in (*plan.attrs, "age")})
        return PathView(table, cells_total(summed), self, t, cell, county)

    def _slots(self, t: int, groups: tuple[str, ...]) -> tuple[np.ndarray, int]:
        """Each agent's county × group slot in year ``t``, and the number of slots."""
        from simlib.outcomes.groups import n_groups, slots

        fid = self.fid[t]
        fine = self.cells[t]

        def per_agent(name):
            return np.append(fine[name], np.zeros(1, fine[name].dtype))[fid]

        cols = {a: per_agent(a) for a in fine}
        cols |= {"alive": fid >= 0, "spouse": self.spouse, "county": self.county}
        return slots(cols, groups), len(self.counties) * n_groups(groups)


class PathView(YearView):
    """A trajectory year's view: one-off and household sums read agents through fine cells."""

    def __init__(self, table, total, traj: Trajectory, t: int, cell: np.ndarray, county):
        super().__init__(table, total, None, {})
        self._traj, self._t, self._cell, self._county = traj, t, cell, county

    def agent_rows(self) -> np.ndarray:
        """Per agent, its row in the table (−1 for the dead)."""
        return np.append(self._cell, -1)[self._traj.fid[self._t]]

    def once_sums(self, eligible, values, got, n_counties: int) -> np.ndarray:
        """One-off amounts (:func:`~simlib.outcomes.cells.once_sums_on_path`)."""
        tr, t = self._traj, self._t
        return once_sums_on_path(
            tr.fid[t], self._cell, eligible, values, got, self._county, tr.weight[t], n_counties
        )

    def household_sums(self, eligible, values, once, received, n_counties: int):
        """Household sums (:func:`~simlib.outcomes.households.household_sums_on_path`)."""
        tr, t = self._traj, self._t
        return household_sums_on_path(
            tr.fid[t],
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
        self.bands = np.arange(MAX_AGE + 1, dtype=np.int8)
        self.fid = np.full((n_years, n_agents), -1, np.int32)
        self.years: list[int] = []
        self.cells: list[dict[str, np.ndarray]] = []
        self.agents: list[np.ndarray] = []
        self.weight: list[np.float32] = []
        self._table_bits = 17
        self.county = self.spouse = None

    def record(self, cols: dict[str, np.ndarray], year: int) -> None:
        """Record the living population of ``year`` (the state the ledger evaluates)."""
        t = len(self.years)
        w = common_weight(cols["alive"], cols["weight"])
        if w is None:
            raise TrajectoryUnsupported(
                "the living agents' weights differ, so cells cannot be summed exactly"
            )
        if t == 0:
            self.county = cols["county"].copy()
            self.spouse = cols["spouse"].copy()
        cells = group(
            cols["alive"],
            cols["age"],
            self.bands,
            key_columns(cols, self.attrs),
            self.bits,
            cols["county"],
            cols["weight"],
            len(self.counties),
            self._table_bits,
        )
        self._table_bits = int(np.ceil(np.log2(len(cells) + 1))) + 1
        self.fid[t] = cells.cid
        self.years.append(int(year))
        self.cells.append({a: cols[a][cells.rep] for a in ("age", *self.attrs)})
        self.agents.append(whole_agents(cells.counts, w))
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


def whole_agents(counts: np.ndarray, weight: float) -> np.ndarray:
    """Agents per cell × county from weighted persons (int32; exact, else an error).

    Raises:
        TrajectoryUnsupported: If a count is not a whole multiple of the weight.
    """
    n = np.rint(counts / np.float64(weight)).astype(np.int32)
    if not np.array_equal(n * np.float64(weight), counts):
        raise TrajectoryUnsupported("weighted persons are not whole multiples of the weight")
    return n


def merge_cells(key: np.ndarray, counts: np.ndarray):
    """Merge fine cells of equal ``key`` into cells numbered by first appearance.

    Args:
        key: Per fine cell (in order of first appearance among the agents), its packed key.
        counts: ``[fine cells, counties]`` agents (whole numbers).

    Returns:
        ``(cell, first, summed)``: each fine cell's cell, each cell's first fine cell, and
        the ``[cells, counties]`` agents as float64 (exact sums of whole numbers).
    """
    if engine() == "numba" and key.size:
        bits = max(4, int(np.ceil(np.log2(key.size + 1))) + 1)
        return _merge_kernel()(key, counts, bits)
    _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    cell = rank[inv].astype(np.int64)
    summed = np.zeros((order.size, counts.shape[1]))
    np.add.at(summed, cell, counts.astype(np.float64))
    return cell, first[order].astype(np.int64), summed


@kernel
def _merge_kernel(key, counts, bits):
    # two passes: the cells (open addressing, numbered by first appearance), then the sums
    n = key.shape[0]
    cap = 1 << bits
    shift = np.uint64(64 - bits)
    golden = np.uint64(0x9E3779B97F4A7C15)
    table_key = np.full(cap, -1, np.int64)
    table_id = np.empty(cap, np.int64)
    cell = np.empty(n, np.int64)
    first = np.empty(n, np.int64)
    u = 0
    for i in range(n):
        k = key[i]
        h = np.int64((np.uint64(k) * golden) >> shift)
        while True:
            tk = table_key[h]
            if tk == k:
                c = table_id[h]
                break
            if tk == -1:
                table_key[h] = k
                table_id[h] = u
                first[u] = i
                c = u
                u += 1
                break
            h = (h + 1) & (cap - 1)
        cell[i] = c
    summed = np.zeros((u, counts.shape[1]))
    for i in range(n):
        c = cell[i]
        for j in range(counts.shape[1]):
            summed[c, j] += counts[i, j]
    return cell, first[:u].copy(), summed


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
    for t, year in enumerate(traj.years):
        if end_year is not None and year > end_year:
            break
        period = inputs.policy(year)
        plan = ledger.plan(period)
        ledger.start_received(plan, traj.n_agents)
        ledger.years.append(ledger.aggregate(period, year, traj.view(t, plan, ledger.groups)))
    return ledger


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

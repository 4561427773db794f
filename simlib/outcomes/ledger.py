"""From eligibility to enrolment, visit workload, facility demand and fiscal cost.

Each year, :class:`Ledger` evaluates the list in force (the run's :class:`~simlib.params.Inputs`
give the policy of each year) on the living population and aggregates, per item × county,
weighted by persons:

* ``eligible`` persons and ``enrolled`` = eligible × take-up (expected value);
* every benefit component's measures (:mod:`simlib.rules.benefits`): ``cash_yuan`` and
  ``once_yuan`` (one-off cash, paid the first year a person is eligible), ``units:<unit>``,
  staff ``minutes`` and ``service_yuan``, ``beds:<kind>`` and ``bed_yuan`` — all × take-up;
* ``fte`` = minutes / 60 / the run's hours per full-time post;
* ``cost_yuan`` = the sum of the components' costs (zero for pension items: they are
  reported for enrolment only, apart from the service-list budget).

And per county: persons alive aged 60+, 65+, 80+ (``pop60`` …), ``covered60`` (persons 60+
eligible for at least one cash benefit or placement) and ``pop75_urban`` (urban residents
75+, the base of Puyang's 100:1 public-welfare post rule).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simlib.core.units import ONE_OFF, fte
from simlib.rules.benefits import Cash, Placement
from simlib.rules.conditions import PersonTable

#: Ages at which population denominators are reported.
POP_AGES = (60, 65, 80)
#: 老年人 (the lists count from 60).
OLD_AGE = 60
#: Puyang's public-welfare post rule counts service users 75+ of urban community
#: institutions (sources/documents/puyang.txt, 二(五)18: 75周岁以上服务对象).
POST_RULE_MIN_AGE = 75


class Ledger:
    """Yearly outcome aggregation for one model run (see the module docstring).

    Two engines give the same numbers: ``cells`` (the default) evaluates the list once per
    cell of agents with equal attributes (:mod:`simlib.outcomes.cells`); ``persons``
    evaluates it on every living agent (the plain reference the tests compare with).

    Args:
        inputs: The run's inputs (policy by year: list and outcome parameters).
        counties: County keys of the population, in index order.
        engine: ``cells`` or ``persons``.
        groups: Groupings of persons (:data:`simlib.outcomes.groups.GROUPINGS`) to aggregate
            by besides the county: each row then also names its group(s).
        per_person: Keep each agent's benefit value of the last recorded year
            (:attr:`person_yuan`), for who-gains comparisons.
    """

    def __init__(
        self,
        inputs,
        counties: list[str],
        engine: str = "cells",
        groups: tuple[str, ...] = (),
        per_person: bool = False,
    ):
        from simlib.outcomes.groups import check_groups, n_groups

        if engine not in ("cells", "persons"):
            raise ValueError(f"engine must be cells or persons, got {engine!r}")
        self.inputs = inputs
        self.counties = counties
        self.engine = engine
        self.groups = check_groups(groups)
        #: Aggregation slots: county × group combination (the counties with no groups).
        self.n_slots = len(counties) * n_groups(self.groups)
        self.per_person = per_person
        #: Per agent, the expected yuan per year of the non-pension items' benefits it
        #: received in the last recorded year (× take-up; see :meth:`_person_values`).
        self.person_yuan: np.ndarray | None = None
        #: Per item with one-off benefits: who has already received them (by agent index).
        self.received: dict[str, np.ndarray] = {}
        #: Per collected year: (year, item ids, measures, values [records × counties]).
        self.years: list[tuple[int, list[str], list[str], np.ndarray]] = []
        self._plans: dict[int, _Plan] = {}
        self._table_bits = 16

    def collect(self, cols: dict[str, np.ndarray], year: int) -> pd.DataFrame:
        """Aggregate the outcomes of ``year`` (:meth:`record`) and return its tidy rows."""
        self.record(cols, year)
        return self._frame(*self.years[-1])

    def record(self, cols: dict[str, np.ndarray], year: int) -> None:
        """Aggregate the outcomes of ``year`` for the living population (kept in :attr:`years`).

        Args:
            cols: The population's columns (all agents; the dead are skipped).
            year: Calendar year of the state.
        """
        from simlib.outcomes.groups import slots

        period = self.inputs.policy(year)
        n = len(cols["alive"])
        for item_id in self._plan(period, cols).once:
            self.received.setdefault(item_id, np.zeros(n, np.int8))
        if self.groups:  # aggregate by county × group: the slot stands for the county
            cols = {**cols, "county": slots(cols, self.groups)}
        if self.engine == "cells":
            table, total, first_of = self._cells(period, cols)
        else:
            table, total, first_of = self._persons(cols)
        self._cols = cols
        self.years.append(self._aggregate(period, year, table, total, first_of))

    def _plan(self, period, cols) -> _Plan:
        key = id(period)
        if key not in self._plans:
            self._plans[key] = _Plan.of(period.services, self.inputs.schema)
        return self._plans[key]

    def _persons(self, cols):
        alive_idx = np.flatnonzero(cols["alive"])
        table = _AliveView(cols, alive_idx)
        self._row = np.full(cols["alive"].size, -1, np.int64)
        self._row[alive_idx] = np.arange(alive_idx.size)
        total = county_summer(table["county"], table["weight"], self.n_slots)

        def first_of(item_id: str, eligible: np.ndarray) -> np.ndarray:
            got = self.received[item_id]
            first = eligible & (got[alive_idx] == 0)
            got[alive_idx[eligible]] = 1
            return first

        return table, total, first_of

    def _cells(self, period, cols):
        from simlib.outcomes.cells import group, key_columns, mark

        plan = self._plan(period, cols)
        keys = key_columns(cols, plan.attrs) + tuple(self.received[i] for i in plan.once)
        cells = group(
            cols["alive"],
            cols["age"],
            plan.bands,
            keys,
            plan.bits,
            cols["county"],
            cols["weight"],
            self.n_slots,
            self._table_bits,
        )
        self._row = cells.cid
        # next year's hash table: this year's cells at most half full (a smaller table stays
        # in cache; the kernel retries with a larger one if the cells outgrow it)
        self._table_bits = int(np.ceil(np.log2(len(cells) + 1))) + 1
        table = PersonTable({a: cols[a][cells.rep] for a in (*plan.attrs, "age")})
        for i, item_id in enumerate(plan.once):
            table[f"_received_{i}"] = self.received[item_id][cells.rep]

        def total(values=None, mask=None):
            x = mask if values is None else values
            if values is not None and mask is not None:
                x = np.where(mask, values, 0.0)
            return cells.sum(x)

        def first_of(item_id: str, eligible: np.ndarray) -> np.ndarray:
            got_cell = table[f"_received_{plan.once.index(item_id)}"]
            mark(self.received[item_id], eligible, cells.cid)
            return eligible & (got_cell == 0)

        return table, total, first_of

    def _aggregate(self, period, year, table, total, first_of) -> pd.DataFrame:
        p = period.outcomes
        n_c = self.n_slots
        records: list[tuple[str, str, np.ndarray]] = []
        covered = np.zeros(len(table["age"]), dtype=bool)
        yuan = np.zeros(len(table["age"])) if self.per_person else None
        for r in period.services.evaluate(table, year):
            item = r.item
            if item.benefit.of_kind(Cash) or item.benefit.of_kind(Placement):
                covered |= r.eligible
            take = p.take_up_for(item.family, year)
            n_elig = total(mask=r.eligible)
            rec = {"eligible": n_elig, "enrolled": n_elig * take}
            first = None
            if item.benefit.household:
                amounts = self._household(item, r, rec, take)
            else:
                first = first_of(item.id, r.eligible) if any(a.once for _, a in r.parts) else None
                amounts = [
                    total(a.values * first if a.once else a.values) * take for _, a in r.parts
                ]
            if yuan is not None and not item.pension:
                yuan += _row_yuan(item, r, first, take, p)
            cost = np.zeros(n_c)
            for (comp, _), n in zip(r.parts, amounts, strict=True):
                for name, v in comp.measures(n, p).items():
                    if name == "cost_yuan":
                        cost = cost + v
                    else:
                        rec[name] = rec[name] + v if name in rec else v
            if "minutes" in rec:
                rec["fte"] = fte(rec["minutes"], p.fte_hours)
            if not item.pension:
                rec["cost_yuan"] = cost
            records += [(item.id, m, v) for m, v in rec.items()]
        age = table["age"]
        for a in POP_AGES:
            records.append(("", f"pop{a}", total(mask=age >= a)))
        records.append(("", "covered60", total(mask=covered & (age >= OLD_AGE))))
        urban_old = (age >= POST_RULE_MIN_AGE) & (table["urban"] != 0)
        records.append(("", f"pop{POST_RULE_MIN_AGE}_urban", total(mask=urban_old)))
        values = np.empty((len(records), n_c))
        for i, r in enumerate(records):
            values[i] = r[2]
        if yuan is not None:
            self.person_yuan = np.where(self._row >= 0, yuan[np.maximum(self._row, 0)], 0.0)
        return year, [r[0] for r in records], [r[1] for r in records], values

    def _household(self, item, r, rec: dict, take: float) -> list[np.ndarray]:
        """Household items: eligible households and amounts once per household."""
        from simlib.outcomes.households import household_sums

        once = np.array([a.once for _, a in r.parts], dtype=bool)
        values = (
            np.column_stack([a.values for _, a in r.parts])
            if r.parts
            else np.zeros((len(r.eligible), 0))
        )
        households, sums = household_sums(
            self._row,
            r.eligible,
            values,
            once,
            self.received.get(item.id) if once.any() else None,
            self._cols,
            self.n_slots,
        )
        rec["households"] = households
        rec["enrolled_households"] = households * take
        return [sums[j] * take for j in range(len(r.parts))]

    def _frame(self, year, items, measures, values) -> pd.DataFrame:
        from simlib.outcomes.groups import labels

        n_c = self.n_slots
        per_county = n_c // len(self.counties)
        cols = {
            "year": year,
            "county": np.tile(
                np.repeat(np.asarray(self.counties, dtype=object), per_county), len(items)
            ),
        }
        for g, labs in labels(self.groups).items():
            cols[g] = np.tile(labs, len(items) * len(self.counties))
        cols |= {
            "item_id": np.repeat(items, n_c),
            "measure": np.repeat(measures, n_c),
            "value": values.ravel(),
        }
        return pd.DataFrame(cols)

    def total(self, measure: str, year_index: int = -1) -> float:
        """A measure summed over items and counties in one collected year (the last)."""
        _, _, measures, values = self.years[year_index]
        rows = [i for i, m in enumerate(measures) if m == measure]
        return float(values[rows].sum()) if rows else 0.0

    def table(self) -> pd.DataFrame:
        """All collected years as one tidy DataFrame."""
        return pd.concat([self._frame(*y) for y in self.years], ignore_index=True)


def _row_yuan(item, r, first, take: float, prices) -> np.ndarray:
    """Per row of the evaluation table, the expected yuan of one item's benefit (× take-up).

    A person's value is what the item's components cost for that person: cash as paid,
    services at their unit cost, beds at their cost per bed-year. One-off cash counts in the
    year it is first received. Household benefits count each eligible member's own amount
    (recurring components only: whose household received a one-off benefit is decided per
    household), so the persons' values of a household item can exceed its cost.
    """
    out = np.zeros(len(r.eligible))
    for comp, a in r.parts:
        if a.once and first is None:
            continue
        n = np.where(r.eligible, np.broadcast_to(a.values, out.shape), 0.0)
        if a.once:
            n = n * first
        out += comp.measures(n * take, prices).get("cost_yuan", 0.0)
    return out


@dataclass(frozen=True)
class _Plan:
    """What the cells of one list are keyed on.

    Attributes:
        attrs: Person attributes the list's rules read (and ``urban``), excluding age.
        age_edges: Ages at which a rule or a reported population changes.
        once: Items with one-off benefits (their received flags are key columns too).
        bits: Bits of each key column (age band, attributes, received flags).
    """

    attrs: tuple[str, ...]
    age_edges: np.ndarray
    bands: np.ndarray
    once: tuple[str, ...]
    bits: np.ndarray

    @classmethod
    def of(cls, services, schema) -> _Plan:
        from simlib.outcomes.cells import age_bands, widths
        from simlib.rules.conditions import Range

        attrs: set[str] = {"urban"}
        edges: set[int] = {*POP_AGES, OLD_AGE, POST_RULE_MIN_AGE}
        once: list[str] = []
        for item in services.items:
            conds = [m.eligibility for m in item.parts]
            conds += [c.when for m in item.parts for c in m.benefit.components]
            for cond in conds:
                for leaf in cond.leaves():
                    attr = getattr(leaf, "attr", None)
                    if attr is None:
                        continue
                    if attr == "age" and isinstance(leaf, Range):
                        edges |= {
                            e
                            for e in (leaf.lo, None if leaf.hi is None else leaf.hi + 1)
                            if e is not None
                        }
                    elif attr != "age":
                        attrs.add(attr)
            if any(
                c.per == ONE_OFF
                for m in item.parts
                for c in m.benefit.components
                if hasattr(c, "per")
            ):
                once.append(item.id)
        names = tuple(sorted(attrs))
        age_edges = np.array(sorted(edges), dtype=np.int16)
        cards = [len(age_edges) + 1]
        for n in names:
            a = schema[n]
            cards.append(
                len(a.labels) if a.kind == "category" else 2 if a.kind == "bool" else a.hi + 1
            )
        cards += [2] * len(once)
        return cls(names, age_edges, age_bands(age_edges), tuple(once), widths(cards))


class _AliveView(PersonTable):
    """The living agents' columns, each gathered on first use (rules touch only a few)."""

    def __init__(self, cols: dict[str, np.ndarray], alive_idx: np.ndarray):
        super().__init__()
        self._cols = cols
        self._idx = alive_idx

    def __missing__(self, name: str) -> np.ndarray:
        value = np.take(self._cols[name], self._idx)
        self[name] = value
        return value


def county_summer(county: np.ndarray, weight: np.ndarray, n_c: int):
    """A function summing (optionally masked) per-person values by county, weighted.

    Agents are created county by county and the living keep that order, and every agent of
    a run carries the same weight (``1 / sample``, scaled alike by migration). Then a
    county's sum is one ``np.add.reduceat`` over its contiguous block times the weight — no
    copies or fancy indexing. Otherwise it falls back to a weighted ``bincount``.
    """
    uniform = weight.size == 0 or weight.min() == weight.max()
    contiguous = county.size == 0 or bool(np.all(county[1:] >= county[:-1]))
    if uniform and contiguous:
        w0 = float(weight[0]) if weight.size else 0.0
        starts = np.searchsorted(county, np.arange(n_c))
        ends = np.append(starts[1:], county.size)
        empty = starts == ends
        safe = np.minimum(starts, max(county.size - 1, 0))

        def by_county(values=None, mask=None):
            x = mask if values is None else values
            if values is not None and mask is not None:
                x = np.where(mask, values, 0.0)
            if county.size == 0:
                return np.zeros(n_c)
            sums = np.add.reduceat(x, safe, dtype=np.float64)
            sums[empty] = 0.0
            return sums * w0

        return by_county
    county = county.astype(np.int64)
    w = weight.astype(np.float64)

    def by_county_slow(values=None, mask=None):
        weights = w if values is None else w * values
        if mask is not None:
            return np.bincount(county[mask], weights=weights[mask], minlength=n_c)
        return np.bincount(county, weights=weights, minlength=n_c)

    return by_county_slow

"""From eligibility to enrolment, visit workload, facility demand and fiscal cost.

Each year, :class:`Ledger` evaluates the list in force (the run's :class:`~simlib.params.Inputs`
give the policy of each year) on the living population and aggregates, per item × county,
weighted by persons:

* ``eligible`` persons and ``enrolled`` = eligible × take-up (expected value);
* every benefit component's measures (:mod:`simlib.rules.benefits`): ``cash_yuan`` and
  ``once_yuan`` (one-off cash, paid the first year a person is eligible), ``units:<unit>``,
  staff ``minutes`` and ``service_yuan``, ``beds:<kind>`` and ``bed_yuan`` — all × take-up;
* ``fte`` = minutes / 60 / the run's hours per full-time post;
* ``cost_yuan`` = the public cost: the sum of the components' costs borne by the public
  payers (zero for pension items: they are reported for enrolment only, apart from the
  service-list budget);
* ``payer_yuan:<payer>`` = the components' costs by payer (:mod:`simlib.rules.funding`:
  the item's funding shares, or a kind's own split): ``central``, ``provincial``, ``city``
  and ``insurance`` sum to ``cost_yuan``; ``person`` (co-payments) lies outside it. Rows
  for the payers the item's funding names (and any a kind adds), none for pension items
  and items with no countable benefit.

And per county: persons alive aged 60+, 65+, 80+ (``pop60`` …), ``covered60`` (persons 60+
eligible for at least one benefit of a kind that ``covers``: cash or a placement) and
``pop75_urban`` (urban residents 75+, the base of Puyang's 100:1 public-welfare post rule).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simlib.core.units import ONE_OFF, fte
from simlib.rules.conditions import PersonTable
from simlib.rules.funding import MEASURE as PAYER_MEASURE
from simlib.rules.funding import PAYERS, PUBLIC

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
        #: Per quota item evaluated so far (the first year serves the programme's earlier
        #: years), the agents served so far, ascending (those with ``received`` 1).
        self._quota_served: dict[str, np.ndarray] = {}
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
        plan = self.plan(period)
        self.start_received(plan, len(cols["alive"]))
        if self.groups:  # aggregate by county × group: the slot stands for the county
            cols = {**cols, "county": slots(cols, self.groups)}
        if self.engine == "cells":
            view = self._cells(plan, cols)
        else:
            view = self._persons(cols)
        self.years.append(self.aggregate(period, year, view))

    def plan(self, period) -> _Plan:
        """What the cells of a period's list are keyed on (computed once per period)."""
        key = id(period)
        if key not in self._plans:
            self._plans[key] = _Plan.of(period.services, self.inputs.schema)
        return self._plans[key]

    def start_received(self, plan: _Plan, n: int) -> None:
        """Create the (empty) received flags of the plan's one-off items not seen yet."""
        for item_id in plan.once:
            if item_id not in self.received:  # (setdefault would allocate every year)
                self.received[item_id] = np.zeros(n, np.int8)

    def _persons(self, cols) -> YearView:
        alive_idx = np.flatnonzero(cols["alive"])
        table = _AliveView(cols, alive_idx)
        row = np.full(cols["alive"].size, -1, np.int64)
        row[alive_idx] = np.arange(alive_idx.size)
        total = county_summer(table["county"], table["weight"], self.n_slots)
        return YearView(table, total, row, cols)

    def _cells(self, plan: _Plan, cols) -> YearView:
        from simlib.outcomes.cells import group, key_columns

        cells = group(
            cols["alive"],
            cols["age"],
            plan.bands,
            key_columns(cols, plan.attrs),
            plan.bits,
            cols["county"],
            cols["weight"],
            self.n_slots,
            self._table_bits,
        )
        # next year's hash table: this year's cells at most half full (a smaller table stays
        # in cache; the kernel retries with a larger one if the cells outgrow it)
        self._table_bits = int(np.ceil(np.log2(len(cells) + 1))) + 1
        table = PersonTable({a: cols[a][cells.rep] for a in (*plan.attrs, "age")})
        return YearView(table, cells_total(cells.counts), cells.cid, cols)

    def aggregate(self, period, year, view: YearView) -> tuple:
        """The outcome records of one year from a view of its living population.

        The model's ledger and a replay on a stored trajectory
        (:mod:`simlib.outcomes.trajectory`) both call this with equal views, so their
        numbers are equal to the last bit.

        Args:
            period: The policy in force.
            year: Calendar year of the state.
            view: The evaluation table, per-county sums, and each agent's row.

        Returns:
            ``(year, item ids, measures, values [records × counties])``.
        """
        table, total = view.table, _once_per_mask(view.total)
        p = period.outcomes
        n_c = self.n_slots
        records: list[tuple[str, str, np.ndarray]] = []
        covered = np.zeros(len(table["age"]), dtype=bool)
        yuan = np.zeros(len(table["age"])) if self.per_person else None
        once_yuan = None  # per agent: one-off benefits received for the first time
        for r in period.services.evaluate(table, year):
            item = r.item
            if any(c.covers for c in item.benefit.components):
                covered |= r.eligible
            take = p.take_up_for(item.family, year)
            quota = p.quota_for(item.family, self.inputs.city)
            if quota is not None:
                take = 1.0  # the quota, not a share, decides who is served
            n_elig = total(mask=r.eligible)
            rec = {"eligible": n_elig, "enrolled": n_elig * take}
            if quota is not None:
                amounts = self._quota(item, r, rec, view, quota, year, p)
            elif item.benefit.household:
                amounts = self._household(item, r, rec, take, view)
            else:
                once = [j for j, (_, a) in enumerate(r.parts) if a.once]
                if once and yuan is not None:
                    once_yuan = self._once_yuan(item, r, once, take, p, view, once_yuan)
                if once:
                    firsts = view.once_sums(
                        r.eligible,
                        np.column_stack([r.parts[j][1].values for j in once]),
                        self.received[item.id],
                        n_c,
                    )
                amounts = [
                    (firsts[once.index(j)] if a.once else _amount_total(total, a, r, n_elig)) * take
                    for j, (_, a) in enumerate(r.parts)
                ]
            if yuan is not None and not item.pension:
                yuan += _row_yuan(item, r, None, take, p)  # recurring: one-offs per agent
            extras: dict[str, np.ndarray] = {}  # a kind's further per-person amounts
            if not item.benefit.household:
                for _, a in r.parts:
                    for name, v in (a.extra or {}).items():
                        n = total(v) * take
                        extras[name] = extras[name] + n if name in extras else n
            cost = np.zeros(n_c)
            # payers of an item that gives something countable (none for a fee waiver)
            payers = {q: np.zeros(n_c) for q in item.funding.payers} if r.parts else {}
            for (comp, _), n in zip(r.parts, amounts, strict=True):
                gross = np.zeros(n_c)
                for name, v in comp.measures(n, p).items():
                    if name == "cost_yuan":
                        gross = v
                    else:
                        rec[name] = rec[name] + v if name in rec else v
                split = comp.payers(n, gross, p, item.funding)
                cost = cost + _public(split, n_c)
                for q, v in split.items():
                    payers[q] = payers[q] + v if q in payers else v
            for name, v in extras.items():
                if name.startswith(PAYER_MEASURE):  # a payer's amount the kind computes
                    q = name[len(PAYER_MEASURE) :]  # (a voucher's co-payment: the bill's rest)
                    payers[q] = payers[q] + v if q in payers else v
                    if q in PUBLIC:
                        cost = cost + v
                else:
                    rec[name] = v
            if "minutes" in rec:
                rec["fte"] = fte(rec["minutes"], p.fte_hours)
            if not item.pension:
                rec["cost_yuan"] = cost
                for q in PAYERS:
                    if q in payers:
                        rec[PAYER_MEASURE + q] = payers[q]
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
            row = view.agent_rows()
            self.person_yuan = np.where(row >= 0, yuan[np.maximum(row, 0)], 0.0)
            if once_yuan is not None:
                self.person_yuan += once_yuan
        return year, [r[0] for r in records], [r[1] for r in records], values

    def _once_yuan(self, item, r, once, take, prices, view, acc) -> np.ndarray:
        """Per agent, the yuan of an item's one-offs first received this year, added to ``acc``.

        Who-gains values (× take-up); called before the marks are set.
        """
        row = view.agent_rows()
        got = self.received[item.id]
        first = (row >= 0) & r.eligible[np.maximum(row, 0)] & (got == 0)
        acc = np.zeros(row.size) if acc is None else acc
        for j in once:
            comp, a = r.parts[j]
            per_row = comp.measures(a.values * take, prices).get("cost_yuan", 0.0)
            acc += np.where(first, np.broadcast_to(per_row, r.eligible.shape)[row], 0.0)
        return acc

    def _household(self, item, r, rec: dict, take: float, view: YearView, marked=False):
        """Household items: eligible households and amounts once per household.

        With ``marked``, also the agents whose households were marked as served
        (:func:`~simlib.outcomes.households.household_sums`).
        """
        once = np.array([a.once for _, a in r.parts], dtype=bool)
        values = (
            np.column_stack([a.values for _, a in r.parts])
            if r.parts
            else np.zeros((len(r.eligible), 0))
        )
        out = view.household_sums(
            r.eligible,
            values,
            once,
            self.received.get(item.id) if once.any() else None,
            self.n_slots,
            marked=marked,
        )
        households, sums = out[0], out[1]
        rec["households"] = households
        rec["enrolled_households"] = households * take
        amounts = [sums[j] * take for j in range(len(r.parts))]
        return (amounts, out[2]) if marked else amounts

    def _quota(self, item, r, rec: dict, view: YearView, quota, year: int, p) -> list:
        """A quota item: this year's capacity served among the eligible households.

        The household sums mark every eligible household at home not served before; the
        quota (:func:`~simlib.outcomes.quota.allocate`) keeps the marks of those it serves
        and clears the others'. In the first year the item is evaluated, the households of
        the programme's earlier years (:func:`quota_before`) are served first, uncounted
        (``quota_before``: as many as the eligible households then at home allow).
        ``enrolled`` counts the eligible persons, and ``enrolled_households`` their
        households, served so far.
        """
        from simlib.core.errors import ParamError
        from simlib.outcomes.quota import allocate

        once = np.array([a.once for _, a in r.parts], dtype=bool)
        if not item.benefit.household or not once.any():
            raise ParamError(
                f"params/outcomes.yaml: quota.by_family.{item.family}: item {item.id} gives no "
                "one-off household benefit; only those can be delivered as a yearly quota"
            )
        got = self.received[item.id]
        amounts, new = self._household(item, r, rec, 1.0, view, marked=True)
        names = ("spouse", "weight", "county", "adl_level", "age")  # what allocate reads
        cols = {n: view.agent_column(n) for n in names}
        rows = view.agent_column("row")  # indexed only where needed (a stored path's is lazy)
        values = np.column_stack([np.broadcast_to(a.values, r.eligible.shape) for _, a in r.parts])
        mine = np.where(r.eligible[rows[new], None], values[rows[new]], 0.0)
        city = self.inputs.city
        first = item.id not in self._quota_served
        before = quota_before(quota, city, year) if first else 0.0
        capacity = quota.capacity(city, year)
        served, sums, rec["quota_before"] = allocate(
            new, cols, mine, once, capacity, p.quota_rule, self.n_slots, before=before
        )
        got[new] = 0
        got[served] = 1
        # every agent with got == 1 (new ones are never among those served before)
        so_far = self._quota_served.get(item.id, new[:0])
        so_far = self._quota_served[item.id] = np.sort(np.concatenate([so_far, served]))
        rec["enrolled"], rec["enrolled_households"] = view.served_persons(
            r.eligible, so_far, got, self.n_slots
        )
        return [sums[j] if once[j] else amounts[j] for j in range(len(once))]

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


def _public(split: Mapping[str, np.ndarray], n_c: int) -> np.ndarray:
    """The public payers' sum of a component's split (its ``cost_yuan``), in payer order.

    One public payer (most items) gives its amount itself, so the cost of an item paid by
    one payer alone is bit for bit its gross cost.
    """
    parts = [split[q] for q in PUBLIC if q in split]
    if not parts:
        return np.zeros(n_c)
    out = parts[0]
    for v in parts[1:]:
        out = out + v
    return out


def quota_before(quota, city: str, year: int) -> float:
    """Households a quota served in its years before ``year`` (the item's first evaluated).

    Args:
        quota: The family's :class:`~simlib.params.outcomes.Quota`.
        city: Population city.
        year: First year the item is evaluated (its list in force).

    Returns:
        The capacity of the programme's years from ``quota.first`` to ``year − 1``.
    """
    return float(sum(quota.capacity(city, y) for y in range(quota.first, year)))


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


@dataclass
class YearView:
    """One year's living population as the ledger evaluates it.

    Attributes:
        table: The evaluation table: one row per cell (or per living agent), the attributes
            the list reads and ``age``.
        total: ``total(values=None, mask=None)`` → per-county weighted sums over the rows.
        row: Per agent, its row in ``table`` (−1 for the dead).
        cols: Per-agent columns the one-off and household sums read (``county``,
            ``weight``, ``spouse``, ``alive``, ``in_institution``).
    """

    table: PersonTable
    total: Callable
    row: np.ndarray | None
    cols: Mapping[str, np.ndarray]

    def agent_rows(self) -> np.ndarray:
        """Per agent, its row in ``table`` (−1 for the dead)."""
        return self.row

    def agent_column(self, name: str) -> np.ndarray:
        """Per agent, a column of the population.

        ``county`` is the aggregation slot; ``row`` the agent's row in the table (−1: dead).
        """
        return self.row if name == "row" else self.cols[name]

    def once_sums(self, eligible, values, got, n_counties: int) -> np.ndarray:
        """One-off amounts of first receipts (:func:`~simlib.outcomes.cells.once_sums`)."""
        from simlib.outcomes.cells import once_sums

        c = self.cols
        return once_sums(self.row, eligible, values, got, c["county"], c["weight"], n_counties)

    def household_sums(self, eligible, values, once, received, n_counties: int, marked=False):
        """Eligible households and amounts (:func:`~simlib.outcomes.households.household_sums`)."""
        from simlib.outcomes.households import household_sums

        c = self.cols
        return household_sums(self.row, eligible, values, once, received, c, n_counties, marked)

    def served_persons(self, eligible, served, got, n_counties: int):
        """A quota item's persons and households served (:func:`~.quota.served_persons`).

        ``got`` (the agents' served flags) is for a stored path's kernel; here the rows and
        columns of the population say everything.
        """
        from simlib.outcomes.quota import served_persons

        return served_persons(self.agent_column("row"), eligible, served, self.cols, n_counties)


def _once_per_mask(total: Callable) -> Callable:
    """``total`` summing each mask once in one aggregation.

    A mask is the same array object when items share a memoised condition. The masks seen
    are held, so no id is reused while it lives.
    """
    seen: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def once(values=None, mask=None):
        if values is not None or mask is None:
            return total(values, mask)
        hit = seen.get(id(mask))
        if hit is None:
            hit = seen[id(mask)] = (mask, total(mask=mask))
        return hit[1]

    return once


def _amount_total(total: Callable, a, r, n_elig: np.ndarray) -> np.ndarray:
    """Per-county sum of a recurring amount: a flat one as its value × the persons it reaches.

    The persons are an exact sum (whole agents × one weight), so a flat amount's total does
    not depend on the order of the cells: the same bits from the model's cells, a stored
    path's and the per-person engine (the eligible persons ``n_elig`` when it reaches them all).
    """
    if a.flat is None:
        return total(a.values)
    value, on = a.flat
    return (n_elig if on is r.eligible else total(mask=on)) * value


def cells_total(counts: np.ndarray) -> Callable:
    """Per-county sums of per-cell values over a ``[cells, counties]`` table of persons."""

    def total(values=None, mask=None):
        x = mask if values is None else values
        if values is not None and mask is not None:
            x = np.where(mask, values, 0.0)
        return np.asarray(x, dtype=np.float64) @ counts

    return total


@dataclass(frozen=True)
class _Plan:
    """What the cells of one list are keyed on.

    Attributes:
        attrs: Person attributes the list's rules read (and ``urban``), excluding age.
        age_edges: Ages at which a rule or a reported population changes.
        once: Items with one-off benefits (who received them is tracked per agent,
            :func:`~simlib.outcomes.cells.once_sums`, not in the cells' key).
        bits: Bits of each key column (age band, then the attributes).
    """

    attrs: tuple[str, ...]
    age_edges: np.ndarray
    bands: np.ndarray
    once: tuple[str, ...]
    bits: np.ndarray

    @classmethod
    def of(cls, services, schema) -> _Plan:
        from simlib.outcomes.cells import age_bands, widths

        attrs: set[str] = {"urban"}
        edges: set[int] = {*POP_AGES, OLD_AGE, POST_RULE_MIN_AGE}
        once: list[str] = []
        for item in services.items:
            item_attrs, item_edges, item_once = _item_keys(item)
            attrs |= item_attrs
            edges |= item_edges
            if item_once:
                once.append(item.id)
        names = tuple(sorted(attrs))
        age_edges = np.array(sorted(edges), dtype=np.int16)
        cards = [len(age_edges) + 1]
        for n in names:
            a = schema[n]
            cards.append(
                len(a.labels) if a.kind == "category" else 2 if a.kind == "bool" else a.hi + 1
            )
        return cls(names, age_edges, age_bands(age_edges), tuple(once), widths(cards))


#: :func:`_item_keys` of the items seen last (by identity; the item is held, so its id is
#: not reused while it is here). A list's periods share most of their items.
_ITEM_KEYS: dict[int, tuple] = {}


def _item_keys(item) -> tuple[frozenset, frozenset, bool]:
    """What an item's rules read: attributes besides age, age edges, whether one-off."""
    hit = _ITEM_KEYS.get(id(item))
    if hit is not None and hit[0] is item:
        return hit[1]
    from simlib.rules.conditions import Range

    attrs: set[str] = set()
    edges: set[int] = set()
    conds = [m.eligibility for m in item.parts]
    conds += [c.when for m in item.parts for c in m.benefit.components]
    attrs.update(a for m in item.parts for c in m.benefit.components for a in c.reads())
    for cond in conds:
        for leaf in cond.leaves():
            attr = getattr(leaf, "attr", None)
            if attr is None:
                continue
            if attr == "age" and isinstance(leaf, Range):
                edges |= {
                    e for e in (leaf.lo, None if leaf.hi is None else leaf.hi + 1) if e is not None
                }
            elif attr != "age":
                attrs.add(attr)
    once = any(
        c.per == ONE_OFF for m in item.parts for c in m.benefit.components if hasattr(c, "per")
    )
    out = (frozenset(attrs), frozenset(edges), once)
    if len(_ITEM_KEYS) >= 4096:
        _ITEM_KEYS.clear()
    _ITEM_KEYS[id(item)] = (item, out)
    return out


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

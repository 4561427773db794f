"""Results of a run: tidy tables with honest intervals, paired comparisons, plots.

Every interval is computed the same way: aggregate each replication first (sum over the
items, counties or departments asked for), then describe the replication totals —

* ``value``: the mean over replications;
* ``lower``, ``upper``: the 2.5 % and 97.5 % quantiles of the replication totals (the
  Monte-Carlo spread of one realisation); NaN with one replication;
* ``se``: the Monte-Carlo standard error of the mean (sd / √reps; NaN with one replication);
* ``reps``: how many replications the row rests on.

Fewer than :data:`MIN_REPS` replications give a warning: with 2–5 the "95 %" quantiles are
about the minimum and maximum. Paired differences between two runs with the same seed
(:meth:`Result.compare`) have their own intervals: common random numbers make them far
narrower than either run's.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simlib.core.errors import ParamError, ParamTypeError, did_you_mean
from simlib.core.paths import shown_in
from simlib.outcomes.measures import is_known, is_money, unit_of

#: Quantiles of the replication distribution reported as the 95 % interval.
INTERVAL = (0.025, 0.975)
#: Replications below which an interval is flagged as resting on too few.
MIN_REPS = 10
#: Columns results may be grouped by.
GROUPS = ("year", "county", "item_id", "family", "department_zh", "spending_zh", "programme")
#: Measures that count persons within an item (summed over items: person-items).
PER_ITEM = ("eligible", "enrolled")
#: 万元 per yuan, for readable money.
WAN = 1e-4


def describe(per_rep: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean, 95 % quantile interval, Monte-Carlo SE and replication count of replication totals.

    Args:
        per_rep: One row per group × replication with a ``value`` column.
        by: Grouping columns.

    Returns:
        ``by`` columns, value, lower, upper, se, reps.
    """
    g = per_rep.groupby(by, sort=True)["value"] if by else per_rep.assign(_=0).groupby("_")["value"]
    out = g.mean().rename("value").to_frame()
    n = g.count()
    out["lower"] = g.quantile(INTERVAL[0]).where(n > 1)
    out["upper"] = g.quantile(INTERVAL[1]).where(n > 1)
    out["se"] = (g.std(ddof=1) / np.sqrt(n)).where(n > 1)
    out["reps"] = n.astype(int)
    out = out.reset_index()
    return out.drop(columns=["_"]) if not by else out


def group_columns(rows: pd.DataFrame) -> list[str]:
    """The groupings of persons (:mod:`simlib.outcomes.groups`) the rows are aggregated by."""
    from simlib.outcomes.groups import GROUPINGS

    return [g for g in GROUPINGS if g in rows.columns]


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Describe each (year, city, county, [groups], item, measure) row across replications."""
    keys = ["year", "city", "county", *group_columns(rows), "item_id", "measure"]
    return describe(rows, keys)


def _unit(measure: str, by: list[str]) -> str:
    """A measure's unit, as summed over everything but ``by``."""
    if measure in PER_ITEM and "item_id" not in by:
        return "person-items"
    return unit_of(measure)


def warn_reps(n: int, what: str = "interval", stacklevel: int = 4) -> None:
    """Warn when an interval rests on fewer than :data:`MIN_REPS` reps."""
    if n < MIN_REPS:
        detail = "no interval exists" if n == 1 else "its 95 % bounds are about the min and max"
        warnings.warn(
            f"this {what} rests on {n} replication{'s' if n != 1 else ''} ({detail}); "
            f"use reps >= {MIN_REPS} for published intervals",
            UserWarning,
            stacklevel=stacklevel,
        )


@dataclass
class Result:
    """Outcomes of a run: tidy tables, honest intervals, comparisons and plots.

    Attributes:
        table: Summary rows: year, city, county, item_id, measure, value, lower, upper, se,
            reps.
        reps: Every replication's rows (with ``rep``).
        meta: What was run: city, scenario, list_city, seed, sample, reps, end_year,
            simlib version, times.
        inputs: The run's inputs (:class:`simlib.params.Inputs`): every derived output
            reads its parameters from here (None for a result read from disk whose params
            changed since).
    """

    table: pd.DataFrame
    reps: pd.DataFrame
    meta: dict = field(default_factory=dict)
    inputs: Any = None
    _warned: set = field(default_factory=set, init=False, repr=False, compare=False)

    def _warn_reps(self, n: int, what: str = "interval") -> None:
        """Warn about too few replications once per result (not once per table)."""
        if what not in self._warned:
            self._warned.add(what)
            warn_reps(n, what)

    @classmethod
    def from_reps(cls, rows: pd.DataFrame, meta: dict, inputs: Any = None) -> Result:
        """A result from replication rows (summarised here)."""
        return cls(summarise(rows), rows, meta, inputs)

    def __repr__(self) -> str:
        m = self.meta
        return (
            f"Result({m.get('city')} · {shown_in(str(m.get('scenario')))}"
            + (
                f" · list {m['list_city']}"
                if m.get("list_city") not in (None, m.get("city"))
                else ""
            )
            + f", sample {m.get('sample')}, {self.n_reps} reps, seed {m.get('seed')}, "
            f"{int(self.reps['year'].min())}–{int(self.reps['year'].max())})"
        )

    @property
    def n_reps(self) -> int:
        """Number of replications."""
        return int(self.reps["rep"].nunique())

    @property
    def label(self) -> str:
        """One line stating what the numbers rest on (for tables and figures)."""
        m = self.meta
        return (
            f"{m.get('city')} · {shown_in(str(m.get('scenario')))} · sample {m.get('sample')} · "
            f"{self.n_reps} reps · seed {m.get('seed')} · simlib {m.get('simlib_version', '?')} · "
            f"params {str(m.get('params_sha256', '?'))[:10]}"
        )

    # ------------------------------------------------------------------ checks

    def _measure(self, measure: str) -> pd.DataFrame:
        if not isinstance(measure, str):
            raise ParamTypeError(f"measure: expected a measure name, got {measure!r}")
        r = self.reps[self.reps["measure"] == measure]
        if r.empty:
            known = sorted(self.reps["measure"].unique())
            years = f"{int(self.reps['year'].min())}–{int(self.reps['year'].max())}"
            if is_known(measure):
                raise ParamError(
                    f"no {measure!r} in this result: it is a measure, but no item of the list "
                    f"in force in {years} produces it (a list not yet in force, or none of "
                    f"its items gives it); measures here: {', '.join(known)}"
                )
            raise ParamError(
                f"no measure {measure!r} in this result{did_you_mean(measure, known)}; "
                f"measures: {', '.join(known)}"
            )
        return r

    def _year(self, year) -> int:
        """``year`` if this result holds it, else a clear error (never an empty table)."""
        if isinstance(year, bool) or not isinstance(year, (int, np.integer)):
            raise ParamTypeError(f"year: expected a calendar year (int), got {year!r}")
        years = sorted(int(y) for y in self.reps["year"].unique())
        if int(year) not in years:
            raise ParamError(f"year: {year} is not in this result; it holds {years[0]}–{years[-1]}")
        return int(year)

    @property
    def groups(self) -> list[str]:
        """The groupings of persons this run was aggregated by (``run(groups=...)``)."""
        return group_columns(self.reps)

    def _by(self, by) -> list[str]:
        from simlib.outcomes.groups import GROUPINGS

        if isinstance(by, str):
            by = (by,)
        if not isinstance(by, Iterable):
            raise ParamTypeError(f"by: expected a column name or a tuple of them, got {by!r}")
        by = list(by)
        allowed = (*GROUPS, *self.groups)
        for b in by:
            if b in GROUPINGS and b not in allowed:
                raise ParamError(
                    f"by: this run was not aggregated by {b!r}; run it with "
                    f"groups=({b!r},) (CLI: --groups {b}) to read results by it"
                )
            if b not in allowed:
                every = (*GROUPS, *GROUPINGS)
                raise ParamError(
                    f"by: unknown column {b!r}{did_you_mean(b, every)}; "
                    f"allowed: {', '.join(every)} (groupings of persons need run(groups=...))"
                )
        return by

    def _with_items(self, r: pd.DataFrame, by: list[str]) -> pd.DataFrame:
        """Add item family, department, spending or programme columns the grouping needs."""
        need = [b for b in by if b in ("family", "department_zh", "spending_zh", "programme")]
        if not need:
            return r
        fill = {"spending_zh": "not stated", "programme": "list"}
        return r.merge(self.items()[["item_id", *need]], on="item_id", how="left").fillna(
            {n: fill.get(n, "(none)") for n in need}
        )

    # ------------------------------------------------------------------ tables

    def per_rep(self, measure: str, by=("year",)) -> pd.DataFrame:
        """A measure summed over everything but ``by``, per replication."""
        by = self._by(by)
        r = self._with_items(self._measure(measure), by)
        return r.groupby([*by, "rep"], sort=True)["value"].sum().reset_index()

    def totals(self, measure: str, by=("year",)) -> pd.DataFrame:
        """A measure summed over items and counties (or as ``by`` says), with its interval.

        Args:
            measure: e.g. ``"cost_yuan"``, ``"enrolled"``, ``"fte"``,
                ``"beds:institution_bed"`` (:mod:`simlib.outcomes.measures`).
            by: Grouping column(s): ``year``, ``county``, ``item_id``, ``family``,
                ``department_zh``, ``spending_zh``, ``programme`` (``list`` for the list's own
                items, else the programme's name), and the groupings of persons the run
                was made with (``run(groups=...)``: ``age5``, ``sex``, ``urban``,
                ``assistance``, ``care_level``, ``living``, ``household``).

        Returns:
            ``by`` columns, value (mean over reps), lower, upper, se, reps, unit. Summed over
            items, ``eligible`` and ``enrolled`` count person-items (a person in two items
            counts twice), and the unit says so.
        """
        from simlib.outcomes.groups import in_order

        by = self._by(by)
        out = describe(self.per_rep(measure, by), by)
        self._warn_reps(self.n_reps)
        out["unit"] = _unit(measure, by)
        return in_order(out, by)

    def fte(self, by=("year",)) -> pd.DataFrame:
        """Staff full-time equivalents for in-kind services, at the run's hours per FTE."""
        return self.totals("fte", by)

    def per_older_resident(self, measure: str = "cost_yuan", age: int = 60, by=("year",)):
        """A measure per resident aged ``age``+ (ratio of replication totals, then described).

        Args:
            measure: The numerator measure.
            age: 60, 65 or 80.
            by: ``year`` and/or ``county``.

        Returns:
            ``by`` columns, value, lower, upper, se, reps, unit.
        """
        from simlib.outcomes.ledger import POP_AGES

        allowed = ", ".join(map(str, POP_AGES))
        if isinstance(age, bool) or not isinstance(age, (int, np.integer)):
            raise ParamTypeError(f"age: expected an integer ({allowed}), got {age!r}")
        if age not in POP_AGES:
            raise ParamError(
                f"age: no count of residents aged {age}+ exists; the results count residents "
                f"aged {allowed} and over (allowed: {allowed})"
            )
        by = self._by(by)
        if set(by) - {"year", "county"}:
            raise ParamError("per_older_resident: by may hold year and county only")
        num = self.per_rep(measure, by).set_index([*by, "rep"])["value"]
        den = self.per_rep(f"pop{age}", by).set_index([*by, "rep"])["value"]
        ratio = (num / den.where(den > 0)).rename("value").reset_index().dropna()
        out = describe(ratio, by)
        self._warn_reps(self.n_reps)
        out["unit"] = f"{unit_of(measure)} per person {age}+"
        return out

    def items(self) -> pd.DataFrame:
        """The items this run applied: id, names, family, department, spending, programme.

        ``funding`` says who pays (shares by payer; "(default)" or "(assumed)" when flagged);
        ``programme`` is ``list`` for the list's own items, else the programme's name.
        """
        if self.inputs is None:
            raise ParamError(
                "this result has no inputs (it was read from disk and the params changed "
                "since); re-run it to group by item attributes"
            )
        vocab = self.inputs.vocabulary
        rows = []
        for period in self.inputs.periods:
            for it in period.services.items:
                dept_zh, dept_en = vocab.department(it.lead_department_zh[0])
                rows.append(
                    {
                        "item_id": it.id,
                        "name_zh": it.name_zh,
                        "name_en": it.name_en,
                        "family": it.family or "(none)",
                        "department_zh": dept_zh,
                        "department_en": dept_en,
                        "spending_zh": it.spending_zh or "not stated",
                        "funding": it.funding.describe(),
                        "programme": it.programme or "list",
                    }
                )
        return pd.DataFrame(rows).drop_duplicates("item_id")

    def by_department(self, year: int, measure: str = "cost_yuan") -> pd.DataFrame:
        """A measure in ``year`` by lead department (first named), summed per replication."""
        year = self._year(year)
        t = self.totals(measure, ("year", "department_zh"))
        t = t[t["year"] == year].drop(columns="year")
        names = self.items().drop_duplicates("department_zh").set_index("department_zh")
        t.insert(1, "department_en", t["department_zh"].map(names["department_en"]))
        return t.sort_values("value", ascending=False, ignore_index=True)

    def by_spending(self, year: int, measure: str = "cost_yuan") -> pd.DataFrame:
        """A measure in ``year`` by the spending responsibility (支出责任) the list names.

        Only Puyang's list states who pays; items without it are "not stated".
        """
        year = self._year(year)
        t = self.totals(measure, ("year", "spending_zh"))
        return t[t["year"] == year].drop(columns="year").reset_index(drop=True)

    def by_payer(self, by=("year",)) -> pd.DataFrame:
        """Costs by payer (支出责任) with intervals: who pays ``cost_yuan``, and co-payments.

        Each payer's ``payer_yuan:<payer>`` (:mod:`simlib.rules.funding`) is summed per
        replication over everything but ``by`` and described like :meth:`totals`. The
        public payers (central, provincial, city, insurance) sum to ``cost_yuan``; ``person``
        (co-payments) is outside it. Shares rest on each item's funding: Puyang's list's own
        column, elsewhere flagged defaults (``params/funding.yaml``).

        Args:
            by: Grouping column(s), as for :meth:`totals`.

        Returns:
            ``payer``, ``payer_zh``, ``payer_en``, ``by`` columns, value (yuan, mean over
            reps), lower, upper, se, reps, unit, and ``share``: the payer's mean over the
            mean ``cost_yuan`` of its group (the public payers' shares sum to 1).
        """
        from simlib.rules.funding import MEASURE, PAYER_NAMES, PAYERS

        by = self._by(by)
        have = set(self.reps["measure"].unique())
        payers = [p for p in PAYERS if MEASURE + p in have]
        if not payers:
            raise ParamError(
                "no costs by payer in this result (payer_yuan:… measures): it was run by a "
                "simlib without them, or no item of its list has a cost; re-run it"
            )
        cost = self.totals("cost_yuan", by)[[*by, "value"]].rename(columns={"value": "_cost"})
        frames = []
        for p in payers:
            t = self.totals(MEASURE + p, by)
            t.insert(0, "payer_en", PAYER_NAMES[p][1])
            t.insert(0, "payer_zh", PAYER_NAMES[p][0])
            t.insert(0, "payer", p)
            frames.append(t)
        out = pd.concat(frames, ignore_index=True)
        out = out.merge(cost, on=by, how="left") if by else out.assign(_cost=cost["_cost"][0])
        out["share"] = out["value"] / out.pop("_cost").where(lambda x: x != 0)
        return out

    def compare(self, other: Result, measure: str = "cost_yuan", by=("year",)) -> pd.DataFrame:
        """Paired differences ``self − other`` per replication, with their own interval.

        Both runs must share city, seed, sample and replications, so that replication ``r``
        of each rests on the same population draw (common random numbers).

        Args:
            other: The run compared against (e.g. the baseline).
            measure: The measure.
            by: Grouping column(s).

        Returns:
            ``by`` columns, value (mean difference), lower, upper, se, reps, unit,
            ``relative`` (difference / other's mean) and ``distinguishable`` (the interval
            of the difference excludes zero).
        """
        if not isinstance(other, Result):
            raise ParamTypeError(f"compare: expected a Result, got {type(other).__name__}")
        for k in ("city", "seed", "sample", "end_year"):
            if self.meta.get(k) != other.meta.get(k):
                raise ParamError(
                    f"compare: the runs differ in {k} ({self.meta.get(k)!r} vs "
                    f"{other.meta.get(k)!r}); paired differences need the same population draws"
                )
        reps = sorted(set(self.reps["rep"]) & set(other.reps["rep"]))
        if not reps:
            raise ParamError("compare: the runs share no replication")
        by = self._by(by)
        a = self.per_rep(measure, by).set_index([*by, "rep"])["value"]
        b = other.per_rep(measure, by).set_index([*by, "rep"])["value"]
        diff = a.sub(b, fill_value=0.0).rename("value").reset_index()
        diff = diff[diff["rep"].isin(reps)]
        out = describe(diff, by)
        self._warn_reps(len(reps), "difference")
        base = describe(b.reset_index(), by)[[*by, "value"]].rename(columns={"value": "_base"})
        out = out.merge(base, on=by, how="left")
        out["relative"] = out["value"] / out.pop("_base").where(lambda x: x != 0)
        out["distinguishable"] = (out["lower"] > 0) | (out["upper"] < 0)
        out["unit"] = _unit(measure, by)
        from simlib.outcomes.groups import in_order

        return in_order(out, by)

    def readable(self, measure: str, by=("year",)) -> pd.DataFrame:
        """:meth:`totals` for a reader: money in 万元, rounded, with the unit named."""
        t = self.totals(measure, by)
        if is_money(measure):
            for c in ("value", "lower", "upper", "se"):
                t[c] = t[c] * WAN
            t["unit"] = "万元 (10k yuan)"
        return t.round({"value": 1, "lower": 1, "upper": 1, "se": 2})

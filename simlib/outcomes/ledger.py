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

import numpy as np
import pandas as pd

from simlib.core.units import fte
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

    Args:
        inputs: The run's inputs (policy by year: list and outcome parameters).
        counties: County keys of the population, in index order.
    """

    def __init__(self, inputs, counties: list[str]):
        self.inputs = inputs
        self.counties = counties
        #: Per item with one-off benefits: who has already received them (by agent index).
        self.received: dict[str, np.ndarray] = {}
        self.frames: list[pd.DataFrame] = []

    def collect(self, cols: dict[str, np.ndarray], year: int) -> pd.DataFrame:
        """Aggregate the outcomes of ``year`` for the living population.

        Args:
            cols: The population's columns (all agents; the dead are skipped).
            year: Calendar year of the state.

        Returns:
            The year's tidy rows (also kept in :attr:`frames`).
        """
        period = self.inputs.policy(year)
        p = period.outcomes
        alive_idx = np.flatnonzero(cols["alive"])
        table = _AliveView(cols, alive_idx)
        by_county = county_summer(table["county"], table["weight"], len(self.counties))
        n_c = len(self.counties)
        records: list[tuple[str, str, np.ndarray]] = []
        covered = np.zeros(len(alive_idx), dtype=bool)
        for r in period.services.evaluate(table, year):
            item = r.item
            if item.benefit.of_kind(Cash) or item.benefit.of_kind(Placement):
                covered |= r.eligible
            take = p.take_up_for(item.family, year)
            n_elig = by_county(mask=r.eligible)
            rec = {"eligible": n_elig, "enrolled": n_elig * take}
            first = None
            if any(a.once for _, a in r.parts):
                got = self.received.setdefault(item.id, np.zeros(len(cols["alive"]), bool))
                first = r.eligible & ~got[alive_idx]
                got[alive_idx[r.eligible]] = True
            cost = np.zeros(n_c)
            for comp, amount in r.parts:
                values = amount.values * first if amount.once else amount.values
                n = by_county(values) * take
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
            records.append(("", f"pop{a}", by_county(mask=age >= a)))
        records.append(("", "covered60", by_county(mask=covered & (age >= OLD_AGE))))
        urban_old = (age >= POST_RULE_MIN_AGE) & (table["urban"] != 0)
        records.append(("", f"pop{POST_RULE_MIN_AGE}_urban", by_county(mask=urban_old)))
        frame = pd.DataFrame(
            {
                "year": year,
                "county": np.tile(np.asarray(self.counties, dtype=object), len(records)),
                "item_id": np.repeat([r[0] for r in records], n_c),
                "measure": np.repeat([r[1] for r in records], n_c),
                "value": np.concatenate(
                    [np.broadcast_to(np.asarray(r[2], dtype=np.float64), (n_c,)) for r in records]
                ),
            }
        )
        self.frames.append(frame)
        return frame

    def table(self) -> pd.DataFrame:
        """All collected years as one tidy DataFrame."""
        return pd.concat(self.frames, ignore_index=True)


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

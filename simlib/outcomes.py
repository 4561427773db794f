"""From eligibility to enrolment, visit workload, facility demand and fiscal cost.

Each year, :class:`Ledger` evaluates the city's list on the living population
(:func:`simlib.services.evaluate`) and aggregates, per item × county, weighted by persons:

* ``eligible`` persons and ``enrolled`` = eligible × take-up (expected value);
* ``cash_yuan`` recurring cash and ``once_yuan`` one-off cash (paid the first year a person
  is eligible), both × take-up;
* ``units:<unit>`` in-kind units per year (one-off units the first eligible year) × take-up;
* ``beds:<placement>`` placements (persons placed, by kind: ``institution_bed``,
  ``priority_admission`` …) × take-up;
* ``minutes`` of staff time (units × (minutes per unit + travel for home units));
* ``service_yuan`` (units × unit cost) and ``bed_yuan`` (beds × cost per bed-year);
* ``cost_yuan`` = cash + once + service + bed (pension items are kept at zero: they are
  reported for enrolment only, apart from the service-list budget).

And per county: persons alive aged 60+, 65+, 80+ (``pop60`` …) for per-capita figures, and
``covered60``: persons 60+ eligible for at least one cash benefit or placement (the
targeted support; universal in-kind services such as health checks are left out), and
``pop75_urban`` (urban residents 75+, the base of Puyang's 100:1 public-welfare post rule).
Parameters: ``params/outcomes.yaml`` (take-up, minutes, costs), with scenario overrides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from simlib.params import PARAMS_DIR, City, ParamError, _keys, read_quantity, read_yaml
from simlib.population import OLD_AGE
from simlib.rules import PersonTable
from simlib.services import evaluate

#: Ages at which population denominators are reported.
POP_AGES = (60, 65, 80)
#: Puyang's public-welfare post rule counts service users 75+ of urban community
#: institutions (seeds/003_eebc846a4c178876.txt, 二(五)18: 75周岁以上服务对象).
POST_RULE_MIN_AGE = 75


@dataclass
class OutcomeParams:
    """Validated ``params/outcomes.yaml`` (plus scenario overrides of take-up)."""

    price_year: int
    ramp_start_year: int
    take_up_default: float
    take_up: dict[str, float]
    minutes: dict[str, float]
    travel_minutes: float
    home_units: tuple[str, ...]
    fte_hours: float
    unit_cost: dict[str, float]
    bed_cost: dict[str, float]
    #: Scenario take-up schedules: family → (target share, target year).
    take_up_targets: dict[str, tuple[float, int]] = field(default_factory=dict)

    def take_up_for(self, family: str | None, year: int) -> float:
        """Take-up of an item family in ``year`` (baseline, or ramped to a scenario target).

        Args:
            family: Item family (None → default).
            year: Calendar year.

        Returns:
            Share enrolled among the eligible, in [0, 1].
        """
        base = self.take_up.get(family or "", self.take_up_default)
        if family not in self.take_up_targets:
            return base
        target, by = self.take_up_targets[family]
        if year >= by:
            return target
        if year <= self.ramp_start_year:
            return base
        return base + (target - base) * (year - self.ramp_start_year) / (by - self.ramp_start_year)


def _values(entry: dict, where: str, lo: float | None = 0) -> dict[str, float]:
    e = _keys(entry, where, {"unit", "values"}, {"description"})
    return {
        k: float(read_quantity({**q, "unit": e["unit"]}, f"{where}.{k}", lo=lo).value)
        for k, q in e["values"].items()
    }


@cache
def load_outcome_params(params_dir: Path = PARAMS_DIR) -> OutcomeParams:
    """Load and validate ``params/outcomes.yaml``.

    Raises:
        ParamError: Naming file and key, on any invalid entry or an unknown unit, family or
            placement.
    """
    from simlib.params import vocabulary

    where = "params/outcomes.yaml"
    raw = _keys(
        read_yaml(params_dir / "outcomes.yaml"),
        where,
        {
            "price_year",
            "ramp_start_year",
            "take_up",
            "minutes_per_unit",
            "travel_minutes",
            "home_units",
            "fte_hours_per_year",
            "unit_cost_yuan",
            "bed_cost_yuan_per_year",
        },
    )
    vocab = vocabulary(params_dir)
    tu = _keys(
        raw["take_up"], f"{where}: take_up", {"unit", "default", "by_family"}, {"description"}
    )
    default = read_quantity(
        {**tu["default"], "unit": "share"}, f"{where}: take_up.default", lo=0, hi=1
    ).value
    take_up = {}
    for fam, q in tu["by_family"].items():
        if fam not in vocab["families"]:
            raise ParamError(
                f"{where}: take_up.by_family.{fam}: unknown family; allowed: "
                f"{', '.join(vocab['families'])}"
            )
        take_up[fam] = float(
            read_quantity(
                {**q, "unit": "share"}, f"{where}: take_up.by_family.{fam}", lo=0, hi=1
            ).value
        )
    minutes = _values(raw["minutes_per_unit"], f"{where}: minutes_per_unit")
    unit_cost = _values(raw["unit_cost_yuan"], f"{where}: unit_cost_yuan")
    for name, table in (("minutes_per_unit", minutes), ("unit_cost_yuan", unit_cost)):
        missing = set(vocab["units"]) - set(table)
        if missing:
            raise ParamError(f"{where}: {name} lacks unit(s) {sorted(missing)}")
    bed_cost = _values(raw["bed_cost_yuan_per_year"], f"{where}: bed_cost_yuan_per_year")
    if set(vocab["placements"]) - set(bed_cost):
        raise ParamError(
            f"{where}: bed_cost_yuan_per_year lacks "
            f"{sorted(set(vocab['placements']) - set(bed_cost))}"
        )
    home = _keys(raw["home_units"], f"{where}: home_units", {"units"}, {"description"})["units"]
    if set(home) - set(vocab["units"]):
        raise ParamError(f"{where}: home_units: unknown {sorted(set(home) - set(vocab['units']))}")
    return OutcomeParams(
        price_year=int(read_quantity(raw["price_year"], f"{where}: price_year").value),
        ramp_start_year=int(
            read_quantity(raw["ramp_start_year"], f"{where}: ramp_start_year").value
        ),
        take_up_default=float(default),
        take_up=take_up,
        minutes=minutes,
        travel_minutes=float(
            read_quantity(raw["travel_minutes"], f"{where}: travel_minutes", lo=0).value
        ),
        home_units=tuple(home),
        fte_hours=float(
            read_quantity(raw["fte_hours_per_year"], f"{where}: fte_hours_per_year", lo=1).value
        ),
        unit_cost=unit_cost,
        bed_cost=bed_cost,
    )


class Ledger:
    """Yearly outcome aggregation for one model run (see the module docstring).

    Args:
        city: The city whose list is applied (for cross-city transfer, another city's).
        counties: County keys of the population, in index order.
        params: Outcome parameters.
    """

    def __init__(self, city: City, counties: list[str], params: OutcomeParams):
        self.city = city
        self.counties = counties
        self.params = params
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
        p = self.params
        alive_idx = np.flatnonzero(cols["alive"])
        table = _AliveView(cols, alive_idx)
        by_county = _county_summer(table["county"], table["weight"], len(self.counties))
        n_c = len(self.counties)

        records: list[tuple[str, str, np.ndarray]] = []
        covered = np.zeros(len(alive_idx), dtype=bool)
        for r in evaluate(self.city, table, year):
            if r.item.benefit.cash or r.item.benefit.placement:
                covered |= r.eligible
            item = r.item
            take = p.take_up_for(item.family, year)
            elig = r.eligible
            n_elig = by_county(mask=elig)
            rec = [("eligible", n_elig), ("enrolled", n_elig * take)]
            cash = (
                by_county(r.yuan_per_year) * take if item.benefit.cash else None
            )  # 0 if not eligible
            minutes = np.zeros(n_c)
            service = np.zeros(n_c)
            first = None
            if r.yuan_once.any() or r.units_once:
                got = self.received.setdefault(item.id, np.zeros(len(cols["alive"]), bool))
                first = elig & ~got[alive_idx]
                got[alive_idx[elig]] = True
            for unit, per_year in list(r.units.items()) + [
                (u, v * first) for u, v in r.units_once.items()
            ]:
                n_units = by_county(per_year) * take
                rec.append((f"units:{unit}", n_units))
                travel = p.travel_minutes if unit in p.home_units else 0.0
                minutes += n_units * (p.minutes[unit] + travel)
                service += n_units * p.unit_cost[unit]
            once = by_county(r.yuan_once * first) * take if first is not None else None
            beds = bed_yuan = None
            if item.benefit.placement is not None:
                beds = by_county(mask=r.placement) * take
                bed_yuan = beds * p.bed_cost[item.benefit.placement]
            if cash is not None:
                rec.append(("cash_yuan", cash))
            if once is not None and once.any():
                rec.append(("once_yuan", once))
            if beds is not None:
                rec += [(f"beds:{item.benefit.placement}", beds), ("bed_yuan", bed_yuan)]
            if minutes.any():
                rec.append(("minutes", minutes))
            if service.any():
                rec.append(("service_yuan", service))
            if not item.pension:
                total = sum(x for x in (cash, once, bed_yuan) if x is not None) + service
                rec.append(("cost_yuan", np.broadcast_to(total, (n_c,))))
            records += [(item.id, m, v) for m, v in rec]
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
                "value": np.concatenate([np.asarray(r[2], dtype=np.float64) for r in records]),
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


def _county_summer(county: np.ndarray, weight: np.ndarray, n_c: int):
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


def fte(minutes: float | np.ndarray, params: OutcomeParams) -> float | np.ndarray:
    """Full-time equivalents of staff for ``minutes`` of work per year."""
    return np.asarray(minutes) / 60.0 / params.fte_hours

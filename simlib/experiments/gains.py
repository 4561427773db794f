"""Who gains from a reform: gainers, losers and the average gain per person, by group.

PolicyEngine's first answer to a reform is its distributional impact; this is simlib's.
:func:`who_gains` ages one population per replication and applies **both** lists to the same
persons every year (the population does not depend on the policy: common random numbers;
the population's stored path when :func:`simlib.run` keeps one, else a simulation), so
each person's benefit under the reform can be set beside the same person's under the
baseline. A person's benefit value is the expected yuan per year of what the non-pension
items give them (cash as paid, services at unit cost, beds at cost per bed-year, × take-up;
:func:`simlib.outcomes.ledger._row_yuan`). Per group and replication it counts

* ``persons`` — persons aged ``min_age``+ alive (weighted);
* ``gainers`` / ``losers`` — persons whose value rises / falls by more than
  :data:`TOLERANCE` yuan a year;
* ``gain_yuan`` — the sum of the persons' changes (yuan per year), and ``base_yuan``,
  ``reform_yuan`` — the sums of their values;

and :meth:`Gains.summary` describes them as every result is described (per replication first,
then mean, 95 % interval, SE, reps), with the shares and the average gain per person as
ratios of each replication's totals.

Example:
    >>> g = simlib.who_gains("datong", "my_reform.yaml", by="age5", reps=10, sample=0.05)
    >>> g.table(2030)       # one row per age group: persons, gainers, losers, average gain
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simlib.core.checks import number
from simlib.core.errors import ParamError, checked_arguments
from simlib.experiments.result import WAN, describe, warn_reps
from simlib.outcomes.groups import GROUPINGS, check_groups, in_order, labels, n_groups, slots

#: A change in a person's benefit value smaller than this (yuan a year) is no change.
TOLERANCE = 0.01
#: Counted measures (sums over persons, per group and replication).
COUNTS = ("persons", "gainers", "losers", "gain_yuan", "base_yuan", "reform_yuan")
#: Measures that are ratios of a replication's counts: numerator, denominator.
RATIOS = {
    "gainer_share": ("gainers", "persons"),
    "loser_share": ("losers", "persons"),
    "gain_per_person": ("gain_yuan", "persons"),
}
#: Units of every measure.
UNITS = {
    "persons": "persons",
    "gainers": "persons",
    "losers": "persons",
    "gain_yuan": "yuan per year",
    "base_yuan": "yuan per year",
    "reform_yuan": "yuan per year",
    "gainer_share": "share",
    "loser_share": "share",
    "gain_per_person": "yuan per person per year",
}


#: 老年人: the lists count from 60.
OLD_AGE = 60


def youngest(inputs) -> int:
    """The youngest lower age bound of any item of any period's list (years; 120 if none)."""
    from simlib.rules.conditions import Range

    lows = [
        leaf.lo
        for period in inputs.periods
        for item in period.services.items
        for part in item.parts
        for leaf in part.eligibility.leaves()
        if getattr(leaf, "attr", None) == "age" and isinstance(leaf, Range) and leaf.lo is not None
    ]
    return int(min(lows, default=120))


def tally(
    base_yuan: np.ndarray,
    reform_yuan: np.ndarray,
    slot: np.ndarray,
    weight: np.ndarray,
    counted: np.ndarray,
    n_slots: int,
    tolerance: float = TOLERANCE,
) -> dict[str, np.ndarray]:
    """Per slot, persons, gainers, losers and the sums of the values and their changes.

    Args:
        base_yuan: Per agent, the benefit value under the baseline (yuan per year).
        reform_yuan: Per agent, under the reform (yuan per year).
        slot: Per agent, its slot (county × group).
        weight: Persons per agent.
        counted: Which agents count (alive and old enough).
        n_slots: Number of slots.
        tolerance: Changes up to this (yuan per year) are no change.

    Returns:
        Measure of :data:`COUNTS` → per-slot weighted sums.
    """
    idx = np.flatnonzero(counted)
    s = slot[idx].astype(np.int64)
    w = weight[idx].astype(np.float64)
    b = base_yuan[idx]
    r = reform_yuan[idx]
    d = r - b

    def add(x):
        return np.bincount(s, weights=w * x, minlength=n_slots)

    return {
        "persons": add(np.ones_like(d)),
        "gainers": add(d > tolerance),
        "losers": add(d < -tolerance),
        "gain_yuan": add(d),
        "base_yuan": add(b),
        "reform_yuan": add(r),
    }


def ratios(per_rep: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The ratio measures (:data:`RATIOS`) of each replication's counts.

    Args:
        per_rep: Columns ``keys``, ``rep``, ``measure``, ``value`` (the counts).
        keys: The grouping columns.

    Returns:
        Rows of the same form for the ratio measures (NaN-free: a group without persons
        has no ratio and no row).
    """
    wide = per_rep.pivot_table(
        index=[*keys, "rep"], columns="measure", values="value", aggfunc="sum"
    )
    out = []
    for name, (num, den) in RATIOS.items():
        v = (wide[num] / wide[den].where(wide[den] > 0)).rename("value").dropna()
        out.append(v.reset_index().assign(measure=name))
    return pd.concat(out, ignore_index=True)


@dataclass
class Gains:
    """Who gains from a reform (see the module docstring).

    Attributes:
        reps: Per replication: year, county, the groupings, measure (:data:`COUNTS`), value.
        meta: City, reform and baseline names, seed, sample, reps, end year, groupings.
    """

    reps: pd.DataFrame
    meta: dict = field(default_factory=dict)
    _warned: bool = field(default=False, init=False, repr=False, compare=False)

    @property
    def groups(self) -> list[str]:
        """The groupings of persons the counts are kept by."""
        return [g for g in GROUPINGS if g in self.reps.columns]

    @property
    def n_reps(self) -> int:
        """Number of replications."""
        return int(self.reps["rep"].nunique())

    @property
    def label(self) -> str:
        """One line stating what the numbers rest on."""
        m = self.meta
        return (
            f"{m.get('city')} · {m.get('reform')} vs {m.get('baseline')} · persons "
            f"{m.get('min_age')}+ · sample {m.get('sample')} · {self.n_reps} reps · "
            f"seed {m.get('seed')}"
        )

    def summary(self, by=None, year: int | None = None) -> pd.DataFrame:
        """Every measure by ``by`` (and year), with its interval.

        Args:
            by: Groupings (and/or ``county``) to keep; all of the run's groupings by default.
            year: Keep one year (all years by default).

        Returns:
            Columns year, ``by``, measure, value, lower, upper, se, reps, unit.
        """
        by = self._keys(by)
        rows = self.reps
        if year is not None:
            rows = rows[rows["year"] == self._year(year)]
        keys = ["year", *by]
        per = rows.groupby([*keys, "rep", "measure"], sort=False)["value"].sum().reset_index()
        per = pd.concat([per, ratios(per, keys)], ignore_index=True)
        out = describe(per, [*keys, "measure"])
        if not self._warned:  # once per result, not once per table
            self._warned = True
            warn_reps(self.n_reps, "who-gains interval", stacklevel=3)
        out["unit"] = out["measure"].map(UNITS)
        return in_order(out, keys)

    def table(self, year: int, by=None, zh: bool = False) -> pd.DataFrame:
        """A reader's table for ``year``: one row per group and a row for everyone.

        Args:
            year: Calendar year.
            by: One grouping (the run's first by default).
            zh: Chinese group labels.

        Returns:
            Columns: the group, persons, gainers, losers, gainers %, losers %, average gain
            (yuan per person per year) with its 95 % interval, and the total gain (万元 a
            year) with its interval — means over replications (``reps``).
        """
        by = self._keys(by)
        if len(by) != 1:
            raise ParamError("table: give one grouping (by='age5'); summary() takes several")
        g = by[0]
        parts = [self.summary(by, year), self.summary([], year).assign(**{g: "all"})]
        s = pd.concat(parts, ignore_index=True).set_index([g, "measure"])
        order = [*s.index.get_level_values(0).unique()]
        out = pd.DataFrame(index=pd.Index(order, name=g))
        out["persons"] = s.xs("persons", level="measure")["value"]
        out["gainers"] = s.xs("gainers", level="measure")["value"]
        out["losers"] = s.xs("losers", level="measure")["value"]
        out["gainers %"] = 100 * s.xs("gainer_share", level="measure")["value"]
        out["losers %"] = 100 * s.xs("loser_share", level="measure")["value"]
        per = s.xs("gain_per_person", level="measure")
        out["gain per person (yuan/yr)"] = per["value"]
        out["lower"] = per["lower"]
        out["upper"] = per["upper"]
        tot = s.xs("gain_yuan", level="measure")
        out["total gain (万元/yr)"] = tot["value"] * WAN
        out["total lower"] = tot["lower"] * WAN
        out["total upper"] = tot["upper"] * WAN
        out["reps"] = tot["reps"]
        out = out[out["persons"] > 0]  # groups below min_age, or empty
        if zh and g in GROUPINGS:
            gr = GROUPINGS[g]
            zh_of = dict(zip(gr.labels, gr.labels_zh, strict=True)) | {"all": "合计"}
            out.index = out.index.map(zh_of)
            out.index.name = gr.name_zh
        return out.reset_index()

    def _keys(self, by) -> list[str]:
        if by is None:
            return self.groups
        by = [by] if isinstance(by, str) else list(by)
        for b in by:
            if b not in (*self.groups, "county"):
                raise ParamError(
                    f"by: these counts are not kept by {b!r}; they are kept by "
                    f"{', '.join([*self.groups, 'county'])} (who_gains(by=...) sets the groupings)"
                )
        return by

    def _year(self, year) -> int:
        years = sorted(int(y) for y in self.reps["year"].unique())
        if year not in years:
            raise ParamError(
                f"year: {year} is not in these counts; they hold {years[0]}–{years[-1]}"
            )
        return int(year)


@checked_arguments
def who_gains(
    city: str,
    reform: Any,
    baseline: Any = "baseline",
    *,
    by=("age5",),
    reps: int = 1,
    sample: float = 0.01,
    seed: int = 1,
    end_year: int = 2035,
    years=None,
    min_age: int | None = None,
    list_city: str | None = None,
    params_dir: str | Path | None = None,
    progress: bool = False,
) -> Gains:
    """Who gains and who loses under ``reform`` compared with ``baseline``, by group.

    Args:
        city: Population city.
        reform: The reform: a scenario name, a YAML path, a dict, a Scenario, or a list of
            them applied in order (a stack, as :func:`simlib.run` takes).
        baseline: What it is compared with (``"baseline"`` by default; a stack too, e.g.
            ``"targets_2025"`` when the reform is stacked on it).
        by: Groupings of persons (:data:`simlib.outcomes.groups.GROUPINGS`).
        reps: Replications; intervals need 10 or more.
        sample: Fraction of persons represented by agents, in (0, 1].
        seed: Base seed (the same as a :func:`simlib.run` of either scenario).
        end_year: Last simulated year.
        years: Years to count (every year from the first list in force by default).
        min_age: Count persons of this age and over (years). By default 60 (老年人), or
            the youngest age bound of an item of either list if lower (a reform that
            lowers an age to 55 counts the 55-year-olds it reaches).
        list_city: Apply this city's lists (policy transfer).
        params_dir: A params directory.
        progress: Show a progress bar over replications.

    Returns:
        The :class:`Gains`.

    Raises:
        ParamError: On an unknown city, scenario or grouping, or invalid years.
    """
    from simlib.experiments.run import resolve_scenario, specs

    groups = check_groups(by)
    if min_age is not None:
        min_age = int(number(min_age, "min_age", lo=0, hi=120, integer=True))
    kw = {"sample": sample, "seed": seed, "end_year": end_year, "list_city": list_city}
    resolved = {}
    inputs = {}
    for role, scen in (("reform", reform), ("baseline", baseline)):
        resolved[role], _ = resolve_scenario(city, scen, params_dir=params_dir, **kw)
    todo, inputs["reform"] = specs(city, resolved["reform"], reps=reps, params_dir=params_dir, **kw)
    _, inputs["baseline"] = specs(city, resolved["baseline"], params_dir=params_dir, **kw)
    if min_age is None:
        min_age = min(OLD_AGE, *(youngest(i) for i in inputs.values()))
    keep = None if years is None else {int(y) for y in np.atleast_1d(years)}
    it = todo
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(todo, desc=f"{inputs['reform'].city} · who gains", unit="rep")
    frames = [_rep(spec, inputs, groups, keep, min_age).assign(rep=spec.rep) for spec in it]
    out = pd.concat(frames, ignore_index=True)
    if keep is None:  # from the first year any list is in force
        active = out[(out["measure"] != "persons") & (out["value"] != 0)]
        first = int(active["year"].min()) if len(active) else int(out["year"].max())
        out = out[out["year"] >= first].reset_index(drop=True)
    meta = {
        "city": inputs["reform"].city,
        "reform": inputs["reform"].scenario.name,
        "baseline": inputs["baseline"].scenario.name,
        "seed": seed,
        "sample": float(sample),
        "reps": len(todo),
        "end_year": end_year,
        "groups": list(groups),
        "min_age": min_age,
    }
    return Gains(out, meta)


def _rep(spec, inputs, groups, keep, min_age) -> pd.DataFrame:
    """One replication, on its stored population path when it can be kept, else simulated.

    The path is the one :func:`simlib.run` keeps for the reform's dynamics (a run of the
    reform or the baseline with the same seed, sample and end year has simulated it
    already); both lists are replayed on it, with the numbers of a simulation.
    """
    from simlib.experiments import trajectories
    from simlib.experiments.wiring import build_model
    from simlib.outcomes.trajectory import TrajectoryUnsupported

    if trajectories.enabled():
        try:
            traj = trajectories.trajectory_for(spec, inputs["reform"])
        except TrajectoryUnsupported:
            traj = None
        if traj is not None:
            return _on_path(traj, spec.end_year, inputs, groups, keep, min_age)
    return _one(build_model(spec, inputs["reform"]), inputs, groups, keep, min_age)


def _on_path(traj, end_year, inputs, groups, keep, min_age) -> pd.DataFrame:
    """:func:`_one` on a stored path: both lists replayed, each agent read by its fine cell."""
    from simlib.outcomes.ledger import Ledger
    from simlib.outcomes.trajectory import replaying

    counties = list(traj.counties)
    n_s = len(counties) * n_groups(groups)
    ledgers = {
        role: Ledger(inputs[role], counties, per_person=True) for role in ("reform", "baseline")
    }
    last = _last_year(end_year, keep)
    steps = [replaying(traj, led, last) for led in ledgers.values()]
    rows = []
    for year in (y for y in traj.years if y <= last):
        _values_in(ledgers, year, keep)
        t = [next(step) for step in steps][0]
        if keep is not None and year not in keep:
            continue
        fid = traj.fid[t]
        age = np.append(traj.cells[t]["age"], 0)[fid]
        t_ = tally(
            ledgers["baseline"].person_yuan,
            ledgers["reform"].person_yuan,
            traj.slots(t, groups)[0],
            np.full(fid.size, traj.weight[t], np.float32),  # the living's (only they count)
            (fid >= 0) & (age >= min_age),
            n_s,
        )
        rows.append((year, t_))
    return _frame(rows, counties, groups)


def _one(model, inputs, groups, keep, min_age) -> pd.DataFrame:
    """One replication: both lists applied to the model's persons every year, tallied."""
    from simlib.outcomes.ledger import Ledger

    counties = model.ledger.counties
    n_s = len(counties) * n_groups(groups)
    ledgers = {
        role: Ledger(inputs[role], counties, per_person=True) for role in ("reform", "baseline")
    }
    model.ledger = ledgers["reform"]  # the model's own yearly records, with values
    cols = model.population.cols
    last = _last_year(model.end_year, keep)
    _values_in(ledgers, model.year, keep)
    ledgers["reform"].record(cols, model.year)
    rows = []
    while True:
        ledgers["baseline"].record(cols, model.year)
        if keep is None or model.year in keep:
            t = tally(
                ledgers["baseline"].person_yuan,
                ledgers["reform"].person_yuan,
                slots(cols, groups),
                cols["weight"],
                cols["alive"] & (cols["age"] >= min_age),
                n_s,
            )
            rows.append((model.year, t))
        if model.year >= last:
            break
        _values_in(ledgers, model.year + 1, keep)  # before the step records the next year
        model.step()
    return _frame(rows, counties, groups)


def _last_year(end_year: int, keep) -> int:
    """The last year to evaluate: the run's end, or the last year counted if earlier.

    A year's values depend on the years before it only (one-off benefits on who received
    them before), never on later years.
    """
    return end_year if keep is None else min(end_year, max(keep))


def _values_in(ledgers: dict, year: int, keep) -> None:
    """Keep each person's value (``per_person``) only in the years counted.

    The other years are still evaluated (one-off benefits need who received them), but
    without the per-person values, which cost as much again as the year's totals.
    """
    for led in ledgers.values():
        led.per_person = keep is None or year in keep


def _frame(rows, counties, groups) -> pd.DataFrame:
    """Tidy rows of the yearly tallies: year, county, groupings, measure, value."""
    per_county = n_groups(groups)
    n_s = len(counties) * per_county
    base = {"county": np.repeat(np.asarray(counties, dtype=object), per_county)}
    for g, labs in labels(groups).items():
        base[g] = np.tile(labs, len(counties))
    frames = []
    for year, t in rows:
        for m in COUNTS:
            frames.append(pd.DataFrame({"year": year, **base, "measure": m, "value": t[m]}))
    out = pd.concat(frames, ignore_index=True)
    assert len(out) == len(rows) * len(COUNTS) * n_s
    return out

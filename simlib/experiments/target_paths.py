"""Target-driven scenarios: from an alternative target to the path that meets it.

A scenario may state alternative targets (``targets: {datong.visit_rate_2025: {value: 0.8}}``,
``{puyang.home_adaptations_2025: {value: 3800, year: 2027}}``). :func:`derive` turns each
target the model can measure into a take-up path of the item family it is about, then the run
reports what meeting it takes (enrolment, visits and FTE, beds, yuan — by year, county,
department and spending level, against the baseline with :meth:`Result.compare`).

* **Share targets** (a visit rate, coverage, 集中供养 of the willing): enrolled / eligible is
  the family's take-up, so take-up ramps linearly from ``ramp_start_year`` to the target
  value in the target year and stays there.
* **Count targets** (home adaptations, carers trained, home-care visits, cumulative to the
  target year): units are linear in take-up (take-up is an expected value and one-off
  benefits go to the newly eligible whatever the take-up), so one pilot replication at full
  take-up gives the units each year would deliver, ``potential[y]``, and the take-up ``t``
  reached by the target year with the same linear ramp solves ``Σ potential[y] · take[y](t)
  = target`` exactly. A ``t`` above 1 means the list's eligible group cannot supply the
  target: take-up is capped at 1 and the shortfall reported.
* A target naming a ``reading`` (the group the body names) is met under that reading.

Other measures (bed floors per county, posts per 100 users) are capacity or staffing rules,
not take-up: their projected values are reported by :func:`evaluate_targets`, not driven.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from simlib.core.errors import ParamError
from simlib.experiments.spec import RunSpec, scenario_spec
from simlib.experiments.wiring import run_one
from simlib.outcomes.targets import MEASURES
from simlib.params import load_inputs
from simlib.params.scenarios import Scenario, read_scenario
from simlib.params.tree import read_tree
from simlib.population.processes import schema_of

#: Measures a target can drive, and how.
SHARE = ("share",)
COUNT = ("count",)


def derive(
    city: str,
    scenario,
    *,
    sample: float,
    seed: int,
    end_year: int,
    list_city: str | None = None,
    params_dir=None,
    processes: tuple[str, ...] = (),
    overrides: dict[str, float] | None = None,
) -> tuple[Scenario, pd.DataFrame]:
    """The scenario with a take-up path for each of its alternative targets.

    Args:
        city: Population city.
        scenario: A scenario (name, path, dict or Scenario) with ``targets``.
        sample: Sample of the pilot runs (as the run's).
        seed: Seed of the pilot runs (as the run's; replication 0).
        end_year: Last simulated year.
        list_city: Whose list is applied.
        params_dir: A params directory.
        processes: The run's experimental processes (references, as in ``RunSpec``).
        overrides: The run's assumption values (the pilot runs use them too).

    Returns:
        ``(scenario, paths)``: the scenario with the derived take-up schedules (and
        readings), and one row per target: target_id, measure, family, year, value,
        take_up (reached by the target year), feasible, note.
    """
    tree = read_tree(params_dir)
    scen = read_scenario(scenario, tree)
    if not scen.targets:
        return scen, pd.DataFrame()
    pilot_spec = RunSpec(
        city=city,
        seed=seed,
        sample=sample,
        end_year=end_year,
        list_city=list_city,
        params_dir=str(params_dir) if params_dir else None,
        processes=tuple(processes),
        overrides=tuple(sorted((overrides or {}).items())),
    )
    inputs = load_inputs(
        city,
        scen,
        list_city=list_city,
        params_dir=params_dir,
        overrides=overrides,
        schema=schema_of(pilot_spec.process_classes()),
    )
    take_up = dict(scen.take_up)
    definitions = dict(scen.definitions)
    # the pilot runs are replication 0 of the run's own settings, under a pilot scenario
    rows = []
    for t in inputs.targets:
        if t.id not in scen.targets:
            continue
        row = {
            "target_id": t.id,
            "measure": t.measure,
            "year": t.year,
            "value": t.value,
            "family": None,
            "take_up": np.nan,
            "feasible": None,
            "note": "",
        }
        if t.measure is None or t.measure not in MEASURES:
            row["note"] = t.unmeasured or "no measure in the model"
            rows.append(row)
            continue
        if t.year > end_year:
            raise ParamError(f"target {t.id}: its year {t.year} is after the run's end {end_year}")
        family, kind = MEASURES[t.measure]
        if kind == "auto":
            kind = "share" if t.unit == "share" else "count"
        row["family"] = family
        definitions.update(dict(t.reading))
        if kind == "share":
            take_up[family] = (float(t.value), t.year)
            row.update(
                take_up=float(t.value),
                feasible=True,
                note="take-up (enrolled / eligible) ramps to the target value",
            )
        elif kind == "count":
            t_needed, note = _solve_count(scen, family, t, take_up, definitions, pilot_spec, inputs)
            take_up[family] = (min(t_needed, 1.0), t.year)
            row.update(take_up=min(t_needed, 1.0), feasible=t_needed <= 1.0, note=note)
        else:
            row["note"] = (
                "a capacity or staffing rule, not a take-up: see evaluate_targets for what it takes"
            )
        rows.append(row)
    # the derived scenario is itself a valid scenario (a run's identity and a sweep re-read
    # it); which take-up each target gave is in the result's meta["target_paths"]
    content = {
        **scen.content,
        "take_up": {f: {"target": v, "year": y} for f, (v, y) in take_up.items()},
        "definitions": definitions,
    }
    derived = dataclasses.replace(scen, take_up=take_up, definitions=definitions, content=content)
    return derived, pd.DataFrame(rows)


def _solve_count(scen, family, t, take_up, definitions, pilot_spec, inputs) -> tuple[float, str]:
    """Take-up reached by the target year that delivers the target's cumulative units.

    One pilot run (``pilot_spec``: the run's city, seed, sample, end year, list and params)
    at full take-up of ``family`` gives the units the eligible group could take each year;
    the take-up ramp is then solved in closed form.
    """
    pilot = dataclasses.replace(
        scen,
        take_up={**take_up, family: (1.0, 2020)},
        definitions=definitions,
        targets={},
        content={
            **{k: v for k, v in scen.content.items() if k != "targets"},
            "description": f"pilot at full take-up of {family}",
            "take_up": {
                **{f: {"target": v, "year": y} for f, (v, y) in take_up.items()},
                family: {"target": 1.0, "year": 2020},
            },
            "definitions": definitions,
        },
    )
    name, content = scenario_spec(pilot)
    rows = run_one(dataclasses.replace(pilot_spec, scenario=name, scenario_content=content))
    items = {it.id for p in inputs.periods for it in p.services.items if it.family == family}
    units = rows[rows["item_id"].isin(items) & rows["measure"].str.startswith("units:")]
    potential = units.groupby("year")["value"].sum()
    p = inputs.outcomes
    y0, big_y = p.ramp_start_year, t.year
    base = p.take_up.get(family, p.take_up_default)
    a = b = 0.0
    for year, pot in potential.items():
        if year > big_y:
            continue
        if year <= y0 or big_y <= y0:
            a += pot * base
        elif year < big_y:
            f = (year - y0) / (big_y - y0)
            a += pot * base * (1 - f)
            b += pot * f
        else:
            b += pot
    if b <= 0:
        return np.inf, "the list gives no units of this family before the target year"
    needed = (t.value - a) / b
    if needed > 1:
        most = a + b
        return needed, (
            f"infeasible: at full take-up the list's eligible group gives "
            f"{most:,.0f} by {big_y}, short of {t.value:,.0f}"
        )
    if needed < base:
        return max(needed, base), "met with the baseline take-up"
    return needed, f"take-up reaches {needed:.3f} by {big_y} on a linear ramp from {y0}"

"""The one scenario preparation every entry point shares: a spec → what its run needs.

:func:`run`, cached runs, sweeps (every backend), sensitivity samples and the command line
all call :func:`prepare` on each spec before anything runs or is written. It

* validates the spec's city, list city, scenario and overrides exactly as a run would (the
  processes check their parameters too), and refuses a sample too small to place one agent
  in every county;
* derives the take-up paths that meet a scenario's alternative ``targets:``
  (:func:`simlib.experiments.target_paths.derive`), so a sweep runs what :func:`run` runs;
* makes the spec self-contained: a scenario read from a file, a dict or a derived scenario
  travels as its content (``RunSpec.scenario_content``), so a worker never re-reads a file
  that may have been edited meanwhile;
* gives the run's identity (:func:`simlib.experiments.spec.run_id`): its spec with that
  content, the params hash, the scenario's content hash and the simlib version;
* collects what a user must hear before the run (:func:`scenario_notes`, targets the list
  cannot meet), said once by the caller.

Replications of one spec share one preparation (kept for the session, keyed by the spec
without its replication number, the params hash and the scenario's content hash).
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from collections import OrderedDict
from dataclasses import dataclass

import pandas as pd

from simlib.core.errors import ParamError
from simlib.experiments.spec import RunSpec, run_id
from simlib.params import Inputs, load_inputs

#: Prepared specs of this session, by (spec without rep, params hash, scenario hash); the
#: most recent :data:`KEEP` (a sensitivity design prepares one spec per sample).
_PREPARED: OrderedDict[tuple, Prepared] = OrderedDict()
KEEP = 64


@dataclass(frozen=True)
class Prepared:
    """A spec ready to run.

    Attributes:
        spec: The spec with its scenario as content (derived take-up paths included).
        inputs: Its inputs, loaded and checked.
        paths: One row per alternative target (empty without ``targets:``), as
            :func:`simlib.experiments.target_paths.derive` returns them.
        run_id: The run's identity (16 hex digits).
        notes: What a user must hear before the run, one line each: the scenario's notes
            (:func:`scenario_notes`) and each target the list cannot meet.
            :func:`prepare` says nothing; its callers say these once (``run``, the CLI,
            :func:`prepare_all` for sweeps), as warnings.
    """

    spec: RunSpec
    inputs: Inputs
    paths: pd.DataFrame
    run_id: str
    notes: tuple[str, ...] = ()

    @property
    def scenario_hash(self) -> str:
        """SHA-256 of the scenario's content as run (derived take-up paths included)."""
        return self.inputs.scenario.hash


def check_sample_size(inputs: Inputs, sample: float) -> None:
    """Refuse a sample that puts fewer than one agent (expected) in some county.

    Args:
        inputs: The run's inputs (census of the city).
        sample: Fraction of persons represented by agents.

    Raises:
        ParamError: Naming the smallest county and the smallest sample that places one
            agent in it.
    """
    tab, _ = inputs.census.city(inputs.city)
    per_county = tab.groupby("county")["count"].sum()
    if per_county.empty:
        return
    smallest = per_county.idxmin()
    n = float(per_county.min())
    if n * sample < 1:
        raise ParamError(
            f"sample {sample:g} gives {n * sample:.3g} agents in {inputs.city}'s smallest "
            f"county {smallest} ({n:,.0f} residents aged 45+); use a sample of at least "
            f"{1 / n:.2g}"
        )


def prepare(spec: RunSpec) -> Prepared:
    """Validate a spec, derive its scenario's target paths and give its identity.

    Args:
        spec: A run (any replication; replications share one preparation).

    Returns:
        The :class:`Prepared` run, its ``spec`` with the same replication number.

    Raises:
        ParamError: On an unknown city, list city, scenario or target, invalid parameters,
            a target year after the run's end, or a sample below one agent per county.
    """
    from simlib.experiments.target_paths import derive
    from simlib.experiments.wiring import inputs_for
    from simlib.outcomes.groups import check_groups
    from simlib.params import read_scenario, read_tree
    from simlib.params.tree import check_city
    from simlib.population.processes import ProcessSet, context_for

    tree = read_tree(spec.params_dir)
    city = check_city(spec.city, tree)
    list_city = check_city(spec.list_city, tree, "list city") if spec.list_city else None
    spec = dataclasses.replace(
        spec,
        city=city,
        list_city=list_city if list_city != city else None,
        groups=check_groups(spec.groups),
    )
    scen = read_scenario(spec.scenario_arg(), tree)
    key = (dataclasses.replace(spec, rep=0), tree.hash, scen.hash)
    done = _PREPARED.get(key)
    if done is not None:
        _PREPARED.move_to_end(key)
    else:
        derived, paths = derive(
            spec.city,
            scen,
            sample=spec.sample,
            seed=spec.seed,
            end_year=spec.end_year,
            list_city=spec.list_city,
            params_dir=spec.params_dir,
            processes=spec.processes,
            overrides=dict(spec.overrides),
        )
        base = dataclasses.replace(spec, rep=0)
        if spec.scenario_content is not None or not _bundled(spec.scenario, tree) or len(paths):
            content = json.dumps(derived.content, sort_keys=True, default=str)
            base = dataclasses.replace(base, scenario_content=content)
        inputs = inputs_for(base)
        # the processes check their parameters and declarations before any run
        ProcessSet(context_for(inputs), base.process_classes())
        check_sample_size(inputs, spec.sample)
        notes = (*scenario_notes(inputs, spec.end_year), *_infeasible(inputs.city, paths))
        rid = run_id(base, tree.hash, inputs.scenario.hash)
        done = Prepared(base, inputs, paths, rid, tuple(dict.fromkeys(notes)))
        _PREPARED[key] = done
        # a prepared spec prepares to itself (run(cache=) hands its specs to a sweep)
        _PREPARED[(base, tree.hash, inputs.scenario.hash)] = done
        while len(_PREPARED) > KEEP:
            _PREPARED.popitem(last=False)
    if spec.rep == 0:
        return done
    rep = dataclasses.replace(done.spec, rep=spec.rep)
    return dataclasses.replace(done, spec=rep, run_id=run_id(rep, tree.hash, done.scenario_hash))


def scenario_notes(inputs: Inputs, end_year: int) -> list[str]:
    """What a user must hear about a scenario before a run: one readable line each.

    * a change, take-up ramp or target dated after the run's end year (it changes nothing
      in this run);
    * a change to another city's list than the one this run applies;
    * a value set outside its documented range (allowed, and recorded in the manifest);
    * a scenario that changes nothing in this run: every year's list, outcome parameters,
      health parameters and targets equal the baseline's.

    Args:
        inputs: The run's inputs.
        end_year: The run's last year.

    Returns:
        The messages (empty for the baseline and for a scenario that says nothing odd).
    """
    from simlib.population.synthesis import BASE_YEAR

    scen = inputs.scenario
    if scen.name == "baseline" and not scen.changes and not scen.take_up and not scen.targets:
        return []
    where = scen.origin
    out = []
    for ch in scen.changes:
        what = ch.target or ch.selector
        if ch.start is not None and ch.start > end_year:
            out.append(
                f"{where}: {ch.label} ({what}) holds from {ch.start}, after this run's end "
                f"year {end_year}: it changes nothing here (run to end_year={ch.start} or later)"
            )
        city = what.split(".")[0]
        if ch.selector in ("item", "add_item", "remove_item") and city != inputs.list_city:
            out.append(
                f"{where}: {ch.label} changes {city}'s list ({what}), but this run applies "
                f"{inputs.list_city}'s: it changes nothing here"
            )
    for fam, (_, year) in scen.take_up.items():
        if year > end_year:
            out.append(
                f"{where}: take_up.{fam} reaches its target in {year}, after this run's end "
                f"year {end_year}"
            )
    for tid, (_, year) in scen.targets.items():
        if year is not None and year > end_year:
            out.append(
                f"{where}: target {tid} is dated {year}, after this run's end year {end_year}"
            )
    for o in inputs.out_of_range:
        lo, value, hi = (
            f"{v:,}" if isinstance(v, (int, float)) else str(v)
            for v in (o["range"][0], o["value"], o["range"][1])
        )  # numbers or dates
        out.append(
            f"{o['change']}: {o['path']} = {value} is outside its documented range "
            f"[{lo}, {hi}] (allowed in a scenario; recorded in the manifest)"
        )
    if not inputs.overrides and not scen.targets:  # a stated target drives provision
        base = load_inputs(
            inputs.city,
            "baseline",
            list_city=inputs.list_city,
            params_dir=inputs.params_dir or None,
            schema=inputs.schema,
        )
        same = (
            inputs.health == base.health
            and inputs.targets == base.targets
            and all(
                inputs.policy(y).services == base.policy(y).services
                and inputs.policy(y).outcomes == base.policy(y).outcomes
                for y in range(BASE_YEAR, end_year + 1)
            )
        )
        if same:
            out.append(
                f"{where}: scenario {scen.name!r} changes nothing in a run of {inputs.city} to "
                f"{end_year}: every year's list and parameters equal the baseline's"
            )
    return out


def _bundled(scenario: str, tree) -> bool:
    from simlib.params.scenarios import list_scenarios

    return isinstance(scenario, str) and scenario in list_scenarios(tree)


def _infeasible(city: str, paths: pd.DataFrame) -> list[str]:
    """One line per target the list cannot meet."""
    if not len(paths) or "feasible" not in paths:
        return []
    bad = paths[paths["feasible"].eq(False)]
    return [f"{city}: target {r.target_id} cannot be met: {r.note}" for r in bad.itertuples()]


def prepare_all(specs: list[RunSpec]) -> list[Prepared]:
    """:func:`prepare` each spec (replications share one preparation); say their notes once.

    Raises:
        ParamError: As :func:`prepare`, or if the specs read different params trees.
    """
    out = [prepare(s) for s in specs]
    if len({p.inputs.params_hash for p in out}) > 1:
        raise ParamError("the specs read different params directories; sweep them apart")
    for line in dict.fromkeys(n for p in out for n in p.notes):
        warnings.warn(line, UserWarning, stacklevel=3)
    return out

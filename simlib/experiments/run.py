"""One function wires a run; :func:`run` runs replications into a :class:`Result`.

>>> res = simlib.run("datong", "targets_2025", reps=10, sample=0.01, seed=1)
>>> res.totals("cost_yuan")      # year, value, lower, upper, se, reps, unit
>>> res.compare(simlib.run("datong", reps=10, sample=0.01, seed=1), "cost_yuan")

Replication ``r`` of seed ``s`` uses the streams of ``SeedSequence(s, spawn_key=(r,))``, so
every scenario run with the same seed shares common random numbers: the populations are
identical draw for draw, and a difference between scenarios is the policy's, not noise.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from simlib.core.checks import number
from simlib.core.errors import ParamError, ParamTypeError, checked_arguments
from simlib.experiments.prepare import Prepared, prepare, scenario_notes  # noqa: F401 - API
from simlib.experiments.result import Result
from simlib.experiments.spec import RunSpec, scenario_spec, version
from simlib.experiments.wiring import run_one
from simlib.model.model import check_end_year, check_sample
from simlib.params import Inputs
from simlib.params.scenarios import Scenario
from simlib.population.processes import Process, process_ref


def check_reps(reps) -> int:
    """``reps`` if it is a positive integer, else a clear error."""
    if isinstance(reps, bool) or not isinstance(reps, (int, np.integer)):
        raise ParamTypeError(f"reps: expected a positive integer, got {reps!r}")
    if reps < 1:
        raise ParamError(f"reps must be ≥ 1, got {reps}")
    return int(reps)


def process_refs(processes) -> tuple[str, ...]:
    """References of a run's experimental processes (classes or references), checked."""
    if isinstance(processes, (str, type)):
        processes = (processes,)
    return tuple(process_ref(p) for p in processes)


def check_seed(seed) -> int:
    """``seed`` if it is a non-negative integer, else a clear error."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParamTypeError(f"seed: expected a non-negative integer, got {seed!r}")
    return int(seed)


def specs(
    city: str,
    scenario: str | Path | Mapping | Scenario = "baseline",
    *,
    reps: int = 1,
    sample: float = 0.01,
    seed: int = 1,
    end_year: int = 2035,
    list_city: str | None = None,
    params_dir: str | Path | None = None,
    processes: Sequence[type[Process] | str] = (),
    groups=(),
) -> tuple[list[RunSpec], Inputs]:
    """Prepared specs of ``reps`` replications, and their inputs (loaded once, checked).

    The scenario is prepared as for every entry point (:func:`prepared`: every check,
    targets → take-up paths, the scenario carried as content); what a user must hear about
    it (:func:`scenario_notes`, infeasible targets) is said as warnings.
    """
    reps = check_reps(reps)
    prep = prepared(
        city,
        scenario,
        sample=sample,
        seed=seed,
        end_year=end_year,
        list_city=list_city,
        params_dir=params_dir,
        processes=processes,
        groups=groups,
    )
    return [dataclasses.replace(prep.spec, rep=r) for r in range(reps)], prep.inputs


def prepared(
    city: str,
    scenario: str | Path | Mapping | Scenario = "baseline",
    *,
    sample: float = 0.01,
    seed: int = 1,
    end_year: int = 2035,
    list_city: str | None = None,
    params_dir: str | Path | None = None,
    processes: Sequence[type[Process] | str] = (),
    groups=(),
) -> Prepared:
    """A run's arguments checked and prepared (:func:`simlib.experiments.prepare.prepare`).

    Args:
        city: As for :func:`run` (and every argument below).
        scenario: A name, path, dict, Scenario or a list of them (a stack).
        sample: Fraction of persons represented by agents.
        seed: Base seed.
        end_year: Last simulated year.
        list_city: Whose list is applied.
        params_dir: A params directory.
        processes: Experimental processes.
        groups: Groupings of persons.

    Returns:
        Replication 0's :class:`~simlib.experiments.prepare.Prepared` spec; its notes are
        said as warnings.
    """
    from simlib.outcomes.groups import check_groups

    groups = check_groups(groups)
    scenario = as_scenario(scenario, params_dir)
    check_sample(sample)
    check_end_year(end_year)
    seed = check_seed(seed)
    name, content = scenario_spec(scenario)
    base = RunSpec(
        city=city,
        scenario=name,
        seed=seed,
        sample=float(sample),
        end_year=int(end_year),
        list_city=list_city,
        scenario_content=content,
        params_dir=str(params_dir) if params_dir is not None else None,
        processes=process_refs(processes),
        groups=groups,
    )
    prep = prepare(base)
    for line in prep.notes:
        warnings.warn(line, UserWarning, stacklevel=3)
    return prep


_prepare_run = prepared  # run()'s keyword ``prepared`` shadows the function


@checked_arguments
def run(
    city: str,
    scenario: str | Path | Mapping | Scenario = "baseline",
    *,
    reps: int = 1,
    sample: float = 0.01,
    seed: int = 1,
    end_year: int = 2035,
    list_city: str | None = None,
    progress: bool = False,
    params_dir: str | Path | None = None,
    cache: str | Path | None = None,
    backend: str = "serial",
    workers: int = 2,
    target_rse: float | None = None,
    max_reps: int = 100,
    processes: Sequence[type[Process] | str] = (),
    groups=(),
    prepared: Prepared | None = None,
    scenarios: Sequence | None = None,
) -> Result | dict[str, Result]:
    """Run ``reps`` replications of a city under a scenario (or several).

    Args:
        city: Population city (``"datong"``, ``"大同"``).
        scenario: Scenario name in ``params/scenarios/``, a path to a YAML file anywhere, a
            dict, or a :class:`~simlib.params.scenarios.Scenario` — or a list of them,
            applied in order (``["targets_2025", "my_reform.yaml"]``: a stack, whose
            conflicts are reported; :func:`simlib.params.scenarios.stack`).
        reps: Replications (independent streams); intervals need 10 or more.
        sample: Fraction of persons represented by agents, in (0, 1].
        seed: Base seed.
        end_year: Last simulated year (the base year is the census year 2020).
        list_city: Apply this city's list instead of the city's own (policy transfer).
        progress: Show a progress bar over replications.
        params_dir: A params directory (the bundled one by default).
        cache: A folder of finished runs (a sweep folder): runs with the same identity
            (spec, params hash, scenario content, version) are read, not recomputed.
        backend: ``serial`` (default), ``processes`` or ``dask``: where replications run.
            The numbers are the same on any backend and worker count.
        workers: Worker processes for ``processes`` or ``dask``.
        target_rse: If given (a fraction, e.g. 0.01), replications are added after the
            first ``reps`` until every headline total (:data:`PRECISION_MEASURES` by year)
            has a Monte-Carlo relative standard error at most this, or ``max_reps`` is
            reached (a warning says so). Replication ``r`` is the same whichever number is
            run, so the result equals ``run(reps=n)`` for the ``n`` reached.
        max_reps: The most replications ``target_rse`` may add up to.
        processes: Experimental processes (classes, or ``module:Class`` /
            ``path/to/file.py:Class`` references): each replaces the built-in process of
            its ``name``, or is appended after them. They are part of the run's identity:
            a cache never mixes their runs with the default model's.
        groups: Groupings of persons to aggregate by besides the county
            (:data:`simlib.outcomes.groups.GROUPINGS`: ``age5``, ``sex``, ``urban``,
            ``assistance``, ``care_level``, ``living``, ``household``), so that tables
            can be read by them: ``res.totals("cost_yuan", by=("year", "age5"))``.
        prepared: The run already prepared from these arguments (:func:`prepared`, which
            checks them and says the scenario's notes), so that it is not prepared again:
            the CLI prepares first, to check the output folder before computing. A
            sample, seed, end year, list city or groups given that differ from its own are
            an error.
        scenarios: Several scenarios (each a name, path, dict, Scenario or stack) instead
            of ``scenario``: each replication's population path is simulated once and
            every scenario evaluated on it (scenarios that change the dynamics, such as
            ``health:``, simulate their own). Returns a dict of results keyed by
            scenario (its name or path as given, a dict's ``name`` or ``description``).

    Returns:
        The :class:`Result`, which keeps the run's inputs (with ``scenarios``: a dict of
        them, in the order given).

    Raises:
        ParamError: On an unknown city or scenario, or invalid years, reps or sample.
    """
    reps = check_reps(reps)
    if scenarios is not None:
        kw = {
            "reps": reps,
            "sample": sample,
            "seed": seed,
            "end_year": end_year,
            "list_city": list_city,
            "progress": progress,
            "params_dir": params_dir,
            "cache": cache,
            "backend": backend,
            "workers": workers,
            "target_rse": target_rse,
            "max_reps": max_reps,
            "processes": processes,
            "groups": groups,
        }
        return _run_scenarios(city, scenario, prepared, scenarios, kw)
    if target_rse is not None:
        target_rse = float(number(target_rse, "target_rse", unit="share"))
        if not 0 < target_rse < 1:
            raise ParamError(f"target_rse must lie in (0, 1), got {target_rse}")
        max_reps = max(check_reps(max_reps), reps)
    if prepared is not None:
        prep = _check_prepared(prepared, sample, seed, end_year, list_city, groups)
    else:
        prep = _prepare_run(
            city,
            scenario,
            sample=sample,
            seed=seed,
            end_year=end_year,
            list_city=list_city,
            params_dir=params_dir,
            processes=processes,
            groups=groups,
        )
    inputs, paths = prep.inputs, prep.paths
    todo = [dataclasses.replace(prep.spec, rep=r) for r in range(reps)]
    started = dt.datetime.now(dt.UTC)
    rows = _execute(todo, inputs, cache, backend, workers, progress, prep.notes)
    while target_rse is not None:
        worst = worst_rse(rows)  # infinite with one replication
        if worst <= target_rse or len(todo) >= max_reps:
            break
        if len(todo) < 2:
            need = 2
        else:  # the se falls as 1/sqrt(reps): ask for what the target needs, plus 10 %
            need = int(np.ceil(1.1 * len(todo) * (worst / target_rse) ** 2))
        more = [
            dataclasses.replace(prep.spec, rep=r)
            for r in range(min(max(need, len(todo) + 1), max_reps))
        ]
        rows = pd.concat(
            [rows, _execute(more[len(todo) :], inputs, cache, backend, workers, progress, ())],
            ignore_index=True,
        )
        todo = more
    if target_rse is not None and worst > target_rse:
        warnings.warn(
            f"{inputs.city}: a headline total's relative standard error is "
            f"{100 * worst:.2f} % after max_reps={max_reps} replications, above "
            f"the target {100 * target_rse:g} %",
            UserWarning,
            stacklevel=2,
        )
    return _result(todo, rows, inputs, paths, started, target_rse)


def _result(todo, rows, inputs, paths, started, target_rse=None) -> Result:
    """The :class:`Result` of a run's replications ``todo`` and their ``rows``."""
    meta = {
        **todo[0].fields(),
        "reps": len(todo),
        "simlib_version": version(),
        "params_sha256": inputs.params_hash,
        "started": started.isoformat(),
        "finished": dt.datetime.now(dt.UTC).isoformat(),
    }
    if target_rse is not None:
        meta["target_rse"] = target_rse
    meta.pop("rep")
    meta["groups"] = list(meta.get("groups") or ())
    if paths is not None and len(paths):
        meta["target_paths"] = paths.to_dict("records")
    return Result.from_reps(rows, meta, inputs)


def scenario_label(scenario, i: int = 0) -> str:
    """How results of several scenarios are keyed (``i``: its place in the list).

    A name or path as given, a dict's ``name`` or ``description``, a Scenario's name, a
    stack's parts joined by `` + ``.
    """
    if isinstance(scenario, Scenario):
        return scenario.name
    if isinstance(scenario, Mapping):
        return str(scenario.get("name") or scenario.get("description") or f"scenario {i + 1}")
    if isinstance(scenario, (list, tuple)):
        return " + ".join(scenario_label(s, i) for s in scenario)
    return str(scenario)


def _run_scenarios(city, scenario, prepared, scenarios, kw) -> dict[str, Result]:
    """:func:`run` with ``scenarios``: each replication's path simulated once, then replayed.

    Serially, replications are the outer loop and scenarios the inner one, so a path is
    used by every scenario while it is the one most recently kept in memory; through a
    folder or another backend, each scenario is a run whose workers share the paths on
    disk. Either way the numbers are those of separate runs.
    """
    if isinstance(scenarios, (str, bytes, Path, Mapping, Scenario)) or not len(scenarios):
        raise ParamTypeError(
            "scenarios: expected a non-empty list of scenarios (names, paths, dicts, "
            f"Scenarios or stacks), got {scenarios!r}"
        )
    if scenario != "baseline" or prepared is not None:
        raise ParamError("run(): give either scenario (or prepared) or scenarios, not both")
    labels = [scenario_label(s, i) for i, s in enumerate(scenarios)]
    twice = sorted({x for x in labels if labels.count(x) > 1})
    if twice:
        raise ParamError(f"scenarios: {', '.join(twice)} given twice; results are keyed by it")
    serial = kw["cache"] is None and kw["backend"] == "serial" and kw["target_rse"] is None
    if not serial:
        return {
            label: run(city, as_scenario(s, kw["params_dir"]), **kw)
            for label, s in zip(labels, scenarios, strict=True)
        }
    prep_kw = {k: kw[k] for k in ("sample", "seed", "end_year", "list_city", "params_dir")}
    preps = [
        _prepare_run(
            city,
            as_scenario(s, kw["params_dir"]),
            processes=kw["processes"],
            groups=kw["groups"],
            **prep_kw,
        )
        for s in scenarios
    ]
    started = dt.datetime.now(dt.UTC)
    todo = {
        i: [dataclasses.replace(p.spec, rep=r) for r in range(kw["reps"])]
        for i, p in enumerate(preps)
    }
    rows: dict[int, list[pd.DataFrame]] = {i: [] for i in todo}
    steps = [(r, i) for r in range(kw["reps"]) for i in todo]
    if kw["progress"]:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc=f"{preps[0].inputs.city} · {len(preps)} scenarios", unit="run")
    for r, i in steps:
        rows[i].append(run_one(todo[i][r], preps[i].inputs))
    return {
        label: _result(
            todo[i], pd.concat(rows[i], ignore_index=True), preps[i].inputs, preps[i].paths, started
        )
        for i, label in enumerate(labels)
    }


def _check_prepared(prep, sample, seed, end_year, list_city, groups) -> Prepared:
    """``prep``, if the settings given to :func:`run` are its own (defaults are not given)."""
    from simlib.outcomes.groups import check_groups

    if not isinstance(prep, Prepared):
        raise ParamTypeError(
            f"run(prepared=…): expected what prepared() returns, got {type(prep).__name__}"
        )
    spec = prep.spec
    given = {
        "sample": (sample, 0.01, spec.sample),
        "seed": (seed, 1, spec.seed),
        "end_year": (end_year, 2035, spec.end_year),
        "list_city": (list_city, None, spec.list_city),
        "groups": (check_groups(groups), (), tuple(spec.groups or ())),
    }
    for name, (value, default, own) in given.items():
        if value != default and value != own:
            raise ParamError(
                f"run(prepared=…): {name}={value!r} differs from the prepared run's {own!r}"
            )
    return prep


#: The totals whose precision ``run(target_rse=…)`` controls (the reports' headlines).
PRECISION_MEASURES = ("pop60", "covered60", "enrolled", "fte", "beds:institution_bed", "cost_yuan")


def worst_rse(rows: pd.DataFrame) -> float:
    """The largest Monte-Carlo RSE (a fraction) of the :data:`PRECISION_MEASURES` totals.

    Each measure is summed per year and replication; the RSE of a year's mean is its
    sd / sqrt(reps) / mean (years where the mean is 0 are skipped). Infinite with fewer
    than two replications.
    """
    sel = rows[rows["measure"].isin(PRECISION_MEASURES)]
    per = sel.groupby(["measure", "year", "rep"])["value"].sum()
    g = per.groupby(["measure", "year"])
    n = g.count()
    if n.empty or n.min() < 2:
        return float("inf")
    mean = g.mean()
    rse = (g.std(ddof=1) / np.sqrt(n) / mean.abs()).where(mean != 0)
    return float(rse.max()) if rse.notna().any() else 0.0


def _execute(todo, inputs, cache, backend, workers, progress, notes=()) -> pd.DataFrame:
    """The rows of the given replications (serial, or through a sweep folder).

    ``notes`` were said already: the sweep does not say them again.
    """
    if cache is not None or backend != "serial":
        import tempfile

        from simlib.experiments.sweep import failures, sweep
        from simlib.experiments.trajectories import shared_in

        with tempfile.TemporaryDirectory(prefix="simlib-run-") as tmp, warnings.catch_warnings():
            for line in notes:
                warnings.filterwarnings("ignore", message=re.escape(line))
            out = cache if cache is not None else Path(tmp) / "runs"
            # the workers share the population paths: each dynamics simulated once
            with shared_in(Path(cache if cache is not None else tmp) / "_trajectories"):
                rows = sweep(todo, out, backend=backend, workers=workers, progress=progress)
            failed = failures(out)
        if failed:
            last = failed[0]["error"].strip().splitlines()[-1]
            where = f"; see {Path(cache) / '_failures.jsonl'}" if cache is not None else ""
            raise RuntimeError(
                f"{len(failed)} of {len(todo)} replications failed (first: {last}){where}"
            )
        from simlib.outcomes.groups import GROUPINGS

        keep = (*_ROW_COLUMNS, *GROUPINGS)
        return rows.drop(columns=[c for c in rows.columns if c not in keep])
    it = todo
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(todo, desc=f"{inputs.city} · {todo[0].scenario}", unit="rep")
    return pd.concat([run_one(s, inputs) for s in it], ignore_index=True)


def as_scenario(scenario, params_dir=None):
    """A list of scenarios as one stacked :class:`Scenario`; anything else unchanged."""
    if isinstance(scenario, (list, tuple)):
        from simlib.params import read_scenario, read_tree

        return read_scenario(list(scenario), read_tree(params_dir))
    return scenario


def resolve_scenario(
    city: str,
    scenario,
    *,
    sample: float,
    seed: int,
    end_year: int,
    list_city: str | None = None,
    params_dir=None,
    processes=(),
):
    """The scenario a run applies: alternative targets turned into take-up paths.

    Args:
        city: Population city.
        scenario: A name, path, dict or Scenario.
        sample: The run's sample (the target paths' pilot runs use it).
        seed: The run's seed.
        end_year: The run's last year.
        list_city: Whose list is applied.
        params_dir: A params directory.
        processes: Experimental processes.

    Returns:
        ``(scenario, paths)``: the scenario to run, and the derived target paths (None
        when the scenario states no targets and was given by name).
    """
    if isinstance(scenario, (str, bytes)) and not _has_targets(scenario, params_dir):
        return scenario, None
    from simlib.experiments.target_paths import derive

    return derive(
        city,
        scenario,
        sample=sample,
        seed=seed,
        end_year=end_year,
        list_city=list_city,
        params_dir=params_dir,
        processes=process_refs(processes),
    )


def _has_targets(scenario, params_dir) -> bool:
    """Whether a named or file scenario states alternative targets."""
    from simlib.params import read_scenario, read_tree

    return bool(read_scenario(scenario, read_tree(params_dir)).targets)


_ROW_COLUMNS = ("year", "city", "county", "item_id", "measure", "value", "rep")

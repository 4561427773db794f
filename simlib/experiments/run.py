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
from simlib.experiments.spec import RunSpec, run_id, scenario_spec, version
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
    lists: Sequence[str] | None = None,
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
            Through a cache or the ``processes`` or ``dask`` backend, a worker evaluates
            every scenario of a replication on its path, read once.
        lists: Several list cities (policy transfer): ``scenario`` is also evaluated
            under each of these cities' lists on the same paths, keyed by the list city
            as given (the city itself: its own list), beside any ``scenarios`` (which apply
            ``list_city``'s): ``run("datong", lists=simlib.CITIES)`` evaluates every
            city's list on Datong's population, one path per replication.

    Returns:
        The :class:`Result`, which keeps the run's inputs (with ``scenarios`` or
        ``lists``: a dict of them, the scenarios then the lists, in the order given).

    Raises:
        ParamError: On an unknown city, list city or scenario, invalid years, reps or
            sample, or a key given twice in ``scenarios`` and ``lists``.
    """
    reps = check_reps(reps)
    if target_rse is not None:
        target_rse = float(number(target_rse, "target_rse", unit="share"))
        if not 0 < target_rse < 1:
            raise ParamError(f"target_rse must lie in (0, 1), got {target_rse}")
        max_reps = max(check_reps(max_reps), reps)
    how = {
        "reps": reps,
        "cache": cache,
        "backend": backend,
        "workers": workers,
        "progress": progress,
        "target_rse": target_rse,
        "max_reps": max_reps,
    }
    if scenarios is not None or lists is not None:
        if scenario != "baseline" and scenarios is not None or prepared is not None:
            raise ParamError(
                "run(): give either scenario (or prepared) or scenarios, not both "
                "(lists= runs scenario under each list)"
            )
        labels, preps = _prepare_several(
            city,
            scenario,
            scenarios,
            lists,
            sample=sample,
            seed=seed,
            end_year=end_year,
            list_city=list_city,
            params_dir=params_dir,
            processes=processes,
            groups=groups,
        )
        return dict(zip(labels, _run_prepared(preps, **how), strict=True))
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
    return _run_prepared([prep], **how)[0]


def _run_prepared(
    preps: list[Prepared], *, reps, cache, backend, workers, progress, target_rse, max_reps
) -> list[Result]:
    """The results of prepared runs, executed together (:func:`_execute`).

    With ``target_rse``, each run's replications are added as :func:`run` says, the runs
    still short of the target executed together again.
    """
    started = dt.datetime.now(dt.UTC)
    given = preps
    # runs whose numbers are another's (a scenario that changes nothing in this city) are
    # evaluated once, and their rows shared (their results keep their own inputs and names)
    first = _first_equal(preps)
    preps = [p for i, p in enumerate(given) if first[i] == i]
    todo = [[dataclasses.replace(p.spec, rep=r) for r in range(reps)] for p in preps]
    notes = tuple(dict.fromkeys(n for p in given for n in p.notes))
    rows = _execute(todo, preps, cache, backend, workers, progress, notes)
    worst = [float("inf")] * len(preps)
    while target_rse is not None:
        more: list[list[RunSpec]] = []
        for i, p in enumerate(preps):
            worst[i] = worst_rse(rows[i])  # infinite with one replication
            n = len(todo[i])
            if worst[i] <= target_rse or n >= max_reps:
                more.append([])
                continue
            if n < 2:
                need = 2
            else:  # the se falls as 1/sqrt(reps): ask for what the target needs, plus 10 %
                need = int(np.ceil(1.1 * n * (worst[i] / target_rse) ** 2))
            upto = min(max(need, n + 1), max_reps)
            more.append([dataclasses.replace(p.spec, rep=r) for r in range(n, upto)])
        if not any(more):
            break
        extra = _execute(more, preps, cache, backend, workers, progress, notes)
        for i, m in enumerate(more):
            if m:
                rows[i] = pd.concat([rows[i], extra[i]], ignore_index=True)
                todo[i] = todo[i] + m
    for i, p in enumerate(preps):
        if target_rse is not None and worst[i] > target_rse:
            warnings.warn(
                f"{p.inputs.city}: a headline total's relative standard error is "
                f"{100 * worst[i]:.2f} % after max_reps={max_reps} replications, above "
                f"the target {100 * target_rse:g} %",
                UserWarning,
                stacklevel=4,
            )
    kept = [i for i in first if first[i] == i]  # the runs executed, in the order of preps
    out = []
    for i, p in enumerate(given):
        k = kept.index(first[i])
        done = [dataclasses.replace(p.spec, rep=s.rep) for s in todo[k]]
        out.append(_result(done, rows[k], p.inputs, p.paths, started, target_rse))
    return out


def _used(period):
    """A period's outcome parameters without the take-up of families no item of it has."""
    families = {it.family for it in period.services.items}
    o = period.outcomes
    return dataclasses.replace(
        o,
        take_up={f: v for f, v in o.take_up.items() if f in families},
        take_up_targets={f: v for f, v in o.take_up_targets.items() if f in families},
    )


def _first_equal(preps: list[Prepared]) -> dict[int, int]:
    """For each prepared run, the first of ``preps`` whose numbers are its own.

    Two runs give the same rows when they differ in nothing but their scenario's name and
    content and that content changes nothing they evaluate: the same spec otherwise, the
    same population path (dynamics), and in every year to the end the same list, outcome
    parameters (but the take-up of families the list has no item of) and targets
    (``ltci_jincheng_pilot`` in another city than Jincheng).
    """
    from simlib.experiments.trajectories import dynamics_key
    from simlib.population.synthesis import BASE_YEAR

    def same(a: Prepared, b: Prepared) -> bool:
        plain = {"scenario": "", "scenario_content": None}
        if dataclasses.replace(a.spec, **plain) != dataclasses.replace(b.spec, **plain):
            return False
        ia, ib = a.inputs, b.inputs
        if (ia.city, ia.list_city, ia.params_hash, ia.overrides, ia.targets) != (
            ib.city,
            ib.list_city,
            ib.params_hash,
            ib.overrides,
            ib.targets,
        ) or dynamics_key(a.spec, ia) != dynamics_key(b.spec, ib):
            return False
        return all(
            ia.policy(y).services == ib.policy(y).services
            and _used(ia.policy(y)) == _used(ib.policy(y))
            for y in range(BASE_YEAR, a.spec.end_year + 1)
        )

    first: dict[int, int] = {}
    for i, p in enumerate(preps):
        first[i] = next((j for j in first if first[j] == j and same(preps[j], p)), i)
    return first


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


def _prepare_several(
    city, scenario, scenarios, lists, *, list_city, params_dir, processes, groups, **kw
) -> tuple[list[str], list[Prepared]]:
    """The labels and prepared runs of :func:`run` with ``scenarios`` or ``lists``.

    Every scenario with ``list_city`` (the city's own list by default), then ``scenario``
    under each list of ``lists`` (keyed by the list city).
    """
    from simlib.params import read_tree
    from simlib.params.tree import check_city

    entries = []  # (label, scenario, list city)
    if scenarios is not None:
        if isinstance(scenarios, (str, bytes, Path, Mapping, Scenario)) or not len(scenarios):
            raise ParamTypeError(
                "scenarios: expected a non-empty list of scenarios (names, paths, dicts, "
                f"Scenarios or stacks), got {scenarios!r}"
            )
        entries += [(scenario_label(s, i), s, list_city) for i, s in enumerate(scenarios)]
    if lists is not None:
        if isinstance(lists, (str, bytes, Mapping)) or not len(lists):
            raise ParamTypeError(
                f"lists: expected a non-empty list of city keys or names, got {lists!r}"
            )
        tree = read_tree(params_dir)
        for lst in lists:
            if not isinstance(lst, str):
                raise ParamTypeError(f"lists: expected city keys or names, got {lst!r}")
            key = check_city(lst, tree, "list city")  # names the list and the cities allowed
            entries.append((lst, scenario, key))
    labels = [label for label, _, _ in entries]
    twice = sorted({x for x in labels if labels.count(x) > 1})
    if twice:
        raise ParamError(
            f"scenarios and lists: {', '.join(twice)} given twice; results are keyed by it"
        )
    preps = [
        _prepare_run(
            city,
            as_scenario(s, params_dir),
            list_city=lst,
            params_dir=params_dir,
            processes=processes,
            groups=groups,
            **kw,
        )
        for _, s, lst in entries
    ]
    return labels, preps


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


def _path_of(spec: RunSpec) -> tuple:
    """What runs that may share a population path have in common (a sweep's ``together``)."""
    return (spec.city, spec.seed, spec.rep, spec.sample, spec.end_year, spec.processes)


def _execute(todo, preps, cache, backend, workers, progress, notes=()) -> list[pd.DataFrame]:
    """The rows of each run's replications ``todo[i]`` (serial, or through a sweep folder).

    Replications are the outer loop and runs the inner one: each replication's population
    path is read or simulated once and every run evaluated on it while it is in memory.
    Through a folder (``cache``, or another backend than ``serial``) the runs are one
    sweep whose tasks are the replications, each evaluating every run on its path in one
    worker. ``notes`` were said already: the sweep does not say them again.
    """
    if cache is None and backend == "serial":
        steps = [(r, i) for r in range(max(map(len, todo))) for i in range(len(todo))]
        steps = [(r, i) for r, i in steps if r < len(todo[i])]
        if progress and steps:
            from tqdm.auto import tqdm

            what = todo[0][0].scenario if len(todo) == 1 else f"{len(todo)} runs"
            steps = tqdm(steps, desc=f"{preps[0].inputs.city} · {what}", unit="run")
        rows: list[list[pd.DataFrame]] = [[] for _ in todo]
        for r, i in steps:
            rows[i].append(run_one(todo[i][r], preps[i].inputs))
        return [pd.concat(x, ignore_index=True) if x else pd.DataFrame() for x in rows]
    import tempfile

    from simlib.experiments.sweep import failures, sweep_prepared
    from simlib.experiments.trajectories import shared_in
    from simlib.outcomes.groups import GROUPINGS

    # each replication of a prepared run, prepared (runs two entries share: once)
    ready = list(
        {s: _replication(p, s) for t, p in zip(todo, preps, strict=True) for s in t}.values()
    )
    specs = [p.spec for p in ready]
    with tempfile.TemporaryDirectory(prefix="simlib-run-") as tmp, warnings.catch_warnings():
        for line in notes:
            warnings.filterwarnings("ignore", message=re.escape(line))
        out = cache if cache is not None else Path(tmp) / "runs"
        # the workers share the population paths: each dynamics simulated once
        with shared_in(Path(cache if cache is not None else tmp) / "_trajectories"):
            rows = sweep_prepared(
                ready, out, backend=backend, workers=workers, progress=progress, together=_path_of
            )
        failed = failures(out)
    if failed:
        last = failed[0]["error"].strip().splitlines()[-1]
        where = f"; see {Path(cache) / '_failures.jsonl'}" if cache is not None else ""
        raise RuntimeError(
            f"{len(failed)} of {len(specs)} replications failed (first: {last}){where}"
        )
    rid = {p.spec: p.run_id for p in ready}
    keep = (*_ROW_COLUMNS, *GROUPINGS)
    by_run = dict(tuple(rows.groupby("run_id", sort=False)))
    return [
        pd.concat([by_run[rid[s]] for s in t], ignore_index=True).drop(
            columns=[c for c in rows.columns if c not in keep]
        )
        if t
        else pd.DataFrame()
        for t in todo
    ]


def _replication(prep: Prepared, spec: RunSpec) -> Prepared:
    """A replication ``spec`` of a prepared run, prepared as :func:`prepare` would give it.

    Its identity is computed here rather than by preparing each replication again (which
    re-reads and hashes the params tree: some 7 ms a replication, hundreds per notebook).
    """
    if spec == prep.spec:
        return prep
    if dataclasses.replace(spec, rep=prep.spec.rep) != prep.spec:
        raise ValueError(f"{spec} is not a replication of {prep.spec}")
    rid = run_id(spec, prep.inputs.params_hash, prep.scenario_hash)
    return dataclasses.replace(prep, spec=spec, run_id=rid)


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

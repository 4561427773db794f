"""Batch runs over a grid (scenarios × cities × replications × parameter samples).

Each run is a :class:`RunSpec`; :func:`execute` turns one spec into its outcome rows and
depends on nothing but the spec, so the result is the same bit for bit whatever backend or
worker count runs it. :func:`sweep` runs the specs on a backend and writes each finished run
as it completes::

    out/runs/run_id=<id>/part.parquet     one partition per run (written, then renamed)
    out/failures.jsonl                    one line per failed run: its spec and the error

A sweep that is interrupted resumes where it stopped: runs whose partition exists are not
run again, and a run is never written twice. A failed run is reported with its parameters
and does not stop the others.

Backends: ``serial``; ``processes`` (local processes); ``dask`` (``dask.distributed``: a
``Client`` address such as a dask-jobqueue SLURM cluster's scheduler, or a ``LocalCluster``
started for the sweep).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
import traceback
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simlib.params import CITIES, ParamError

BACKENDS = ("serial", "processes", "dask")


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep.

    Attributes:
        city: Population city.
        scenario: Scenario name.
        rep: Replication number.
        seed: Base seed.
        sample: Sample fraction.
        end_year: Last simulated year.
        list_city: Whose list is applied (None: the city's own).
        overrides: Assumption values, as sorted ``(key, value)`` pairs
            (keys of :func:`simlib.assumptions.registry`).
    """

    city: str
    scenario: str = "baseline"
    rep: int = 0
    seed: int = 1
    sample: float = 0.01
    end_year: int = 2035
    list_city: str | None = None
    overrides: tuple[tuple[str, float], ...] = ()

    @property
    def run_id(self) -> str:
        """A stable 16-hex-digit identifier of the spec."""
        text = json.dumps(dataclasses.asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def grid(
    cities: Iterable[str],
    scenarios: Iterable[str] = ("baseline",),
    reps: int = 1,
    samples: Iterable[dict[str, float]] = ({},),
    **common,
) -> list[RunSpec]:
    """Every combination of cities × scenarios × replications × parameter samples.

    Args:
        cities: City keys.
        scenarios: Scenario names.
        reps: Replications per combination.
        samples: Assumption overrides, one dict per parameter sample.
        **common: Other :class:`RunSpec` fields (seed, sample, end_year, list_city).

    Returns:
        The specs.
    """
    return [
        RunSpec(city=c, scenario=s, rep=r, overrides=tuple(sorted(o.items())), **common)
        for c in cities
        for s in scenarios
        for o in samples
        for r in range(reps)
    ]


def execute(spec: RunSpec) -> pd.DataFrame:
    """Run one spec and return its outcome rows, tagged with ``run_id`` and ``rep``."""
    from simlib import assumptions
    from simlib.model import ElderCareModel
    from simlib.params import load_city
    from simlib.runner import rep_seed
    from simlib.scenarios import apply_health, apply_outcomes, build_services, load_scenario

    if spec.city not in CITIES:
        raise ParamError(f"unknown city {spec.city!r}; available: {', '.join(CITIES)}")
    scenario = load_scenario(spec.scenario)
    services, health, params = assumptions.apply(
        build_services(scenario, spec.list_city or spec.city),
        dict(spec.overrides),
        apply_health(scenario),
        apply_outcomes(scenario),
    )
    model = ElderCareModel(
        load_city(spec.city),
        sample=spec.sample,
        end_year=spec.end_year,
        rng=rep_seed(spec.seed, spec.rep),
        health=health,
        services=services,
        outcome_params=params,
    )
    out = model.run().outcomes()
    out["rep"] = spec.rep
    out["run_id"] = spec.run_id
    return out


def _safe_execute(spec: RunSpec):
    try:
        return spec, execute(spec), None
    except Exception as err:  # noqa: BLE001 - reported with the spec, the sweep goes on
        return spec, None, f"{type(err).__name__}: {err}\n{traceback.format_exc(limit=3)}"


def _partition(out: Path, run_id: str) -> Path:
    return out / "runs" / f"run_id={run_id}"


def done_ids(out: str | Path) -> set[str]:
    """Run ids whose partition is complete in ``out``."""
    runs = Path(out) / "runs"
    if not runs.exists():
        return set()
    return {p.name.split("=", 1)[1] for p in runs.iterdir() if (p / "part.parquet").exists()}


def _write(out: Path, spec: RunSpec, frame: pd.DataFrame) -> None:
    final = _partition(out, spec.run_id)
    tmp = Path(tempfile.mkdtemp(prefix=".run-", dir=out / "runs"))
    try:
        frame.drop(columns=["run_id"]).to_parquet(tmp / "part.parquet", index=False)
        (tmp / "spec.json").write_text(json.dumps(dataclasses.asdict(spec)))
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def _fail(out: Path, spec: RunSpec, error: str) -> None:
    with (out / "failures.jsonl").open("a", encoding="utf-8") as f:
        f.write(
            json.dumps({"run_id": spec.run_id, "spec": dataclasses.asdict(spec), "error": error})
            + "\n"
        )


def _results(backend: str, todo: list[RunSpec], workers: int, client):
    if backend == "serial":
        for spec in todo:
            yield _safe_execute(spec)
    elif backend == "processes":
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_safe_execute, s) for s in todo]
            for fut in as_completed(futures):
                yield fut.result()
    else:
        from dask.distributed import Client, LocalCluster
        from dask.distributed import as_completed as dask_completed

        own = None
        if client is None:
            own = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
            client = Client(own)
        elif isinstance(client, str):
            client = Client(client)
        try:
            futures = client.map(_safe_execute, todo, pure=False)
            for fut in dask_completed(futures):
                yield fut.result()
        finally:
            if own is not None:
                client.close()
                own.close()


def sweep(
    specs: list[RunSpec],
    out: str | Path,
    backend: str = "serial",
    workers: int = 2,
    client=None,
    progress: bool = False,
) -> pd.DataFrame:
    """Run every spec not yet done in ``out`` and return all completed runs' rows.

    Args:
        specs: The runs.
        out: Output folder (created; reused to resume).
        backend: ``serial``, ``processes`` or ``dask``.
        workers: Worker processes (``processes``, or a LocalCluster for ``dask``).
        client: For ``dask``: a ``distributed.Client`` or a scheduler address; None starts
            a LocalCluster with ``workers`` workers.
        progress: Show a progress bar.

    Returns:
        Rows of every completed run in ``specs`` (columns of
        :meth:`simlib.model.ElderCareModel.outcomes` plus rep and run_id), in spec order.

    Raises:
        ParamError: On an unknown backend or duplicate specs.
    """
    if backend not in BACKENDS:
        raise ParamError(f"unknown backend {backend!r}; allowed: {', '.join(BACKENDS)}")
    ids = [s.run_id for s in specs]
    if len(set(ids)) != len(ids):
        raise ParamError("the sweep lists the same run twice")
    out = Path(out)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    done = done_ids(out)
    todo = [s for s in specs if s.run_id not in done]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(specs), initial=len(specs) - len(todo), desc="runs", unit="run")
    for spec, frame, error in _results(backend, todo, workers, client):
        if error is None:
            _write(out, spec, frame)
        else:
            _fail(out, spec, error)
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    return load(out, specs)


def load(out: str | Path, specs: list[RunSpec] | None = None) -> pd.DataFrame:
    """Read the completed runs of a sweep folder (only ``specs``' runs, in their order)."""
    out = Path(out)
    have = done_ids(out)
    ids = [s.run_id for s in specs] if specs is not None else sorted(have)
    frames = [
        pd.read_parquet(_partition(out, i) / "part.parquet").assign(run_id=i)
        for i in ids
        if i in have
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def failures(out: str | Path) -> list[dict]:
    """The failed runs recorded in a sweep folder."""
    path = Path(out) / "failures.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]

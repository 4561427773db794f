"""Simulate once, evaluate any policy: population trajectories kept in memory and on disk.

A run's outcomes depend on its *dynamics* (city, seed, replication, sample, end year, the
health, mortality and census parameters, the person schema, the processes and their code)
and on its *policy* (lists, programmes, take-up, minutes, prices, targets). Policy never
feeds back into the dynamics (``docs/performance.md``), so :func:`outcome_rows` simulates a
dynamics once (:func:`trajectory_for`), keeps the path (:class:`~simlib.outcomes.trajectory.
Trajectory`) under its :func:`dynamics_key`, and evaluates every policy on it; the rows are
those of a full simulation to the last bit (``tests/test_trajectory.py``).

Where paths are kept:

* in memory, the most recently used up to ``SIMLIB_TRAJECTORY_MEMORY`` megabytes (1500 by
  default; 0 keeps none);
* on disk, when a folder is set (:func:`configure` or ``SIMLIB_TRAJECTORY_DIR``; the report
  keeps them in its run cache, a run through a sweep folder in its ``_trajectories``): one
  folder per key with ``agents.parquet`` (each agent's fine cell by year, county, spouse),
  ``cells.parquet`` (each year's fine cells: attributes and agents per county) and
  ``meta.json``, written atomically, manifest last.

``SIMLIB_TRAJECTORIES=0`` turns the whole mechanism off (every run simulates with its own
ledger, as before).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import pickle
import shutil
import tempfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pandas as pd

from simlib.experiments.spec import RunSpec, version
from simlib.outcomes.trajectory import Trajectory, TrajectoryUnsupported, replay
from simlib.params import Inputs
from simlib.population.processes import process_digest
from simlib.population.streams import rep_seed

#: Modules whose code shapes a trajectory: a change in any gives new keys.
DYNAMICS_CODE = (
    "population",
    "core/people.py",
    "core/jit.py",
    "model/model.py",
    "outcomes/cells.py",
    "outcomes/trajectory.py",
)

#: The environment variable naming the folder of stored paths.
DIR_ENV = "SIMLIB_TRAJECTORY_DIR"

_MEMORY: OrderedDict[str, Trajectory] = OrderedDict()
_SETTINGS: dict[str, object] = {}
_CODE_HASH: list[str] = []
_INPUT_HASHES: dict[int, tuple[Inputs, str]] = {}


def enabled() -> bool:
    """Whether runs go through stored trajectories (``SIMLIB_TRAJECTORIES`` not ``0``)."""
    return os.environ.get("SIMLIB_TRAJECTORIES", "1") != "0"


def configure(directory: str | Path | None = None, memory_mb: float | None = None) -> None:
    """Where trajectories are kept: a disk folder and the memory budget.

    Args:
        directory: Folder of stored trajectories (created when first written); None: back
            to the default (``SIMLIB_TRAJECTORY_DIR`` if set, else memory only).
        memory_mb: Most megabytes of trajectories kept in memory (least recently used
            dropped first).
    """
    if directory is None:
        _SETTINGS.pop("directory", None)
    else:
        _SETTINGS["directory"] = Path(directory)
    if memory_mb is not None:
        _SETTINGS["memory_mb"] = float(memory_mb)
    _trim()


def directory() -> Path | None:
    """The folder trajectories are stored in (None: memory only)."""
    if "directory" in _SETTINGS:
        return _SETTINGS["directory"]
    env = os.environ.get(DIR_ENV)
    return Path(env) if env else None


@contextlib.contextmanager
def shared_in(folder: str | Path):
    """Within the block, store paths in ``folder`` unless a folder is already set.

    Set through the environment, so worker processes started in the block (a sweep's
    ``processes`` backend) share the paths too.
    """
    if directory() is not None:
        yield
        return
    os.environ[DIR_ENV] = str(folder)
    try:
        yield
    finally:
        os.environ.pop(DIR_ENV, None)


def _memory_bytes() -> float:
    mb = _SETTINGS.get("memory_mb", float(os.environ.get("SIMLIB_TRAJECTORY_MEMORY", 1500)))
    return float(mb) * 1e6


def clear_memory() -> None:
    """Drop every trajectory kept in memory."""
    _MEMORY.clear()


def code_hash() -> str:
    """Hash of the source of the modules a trajectory depends on (:data:`DYNAMICS_CODE`)."""
    if not _CODE_HASH:
        root = Path(__file__).resolve().parents[1]
        h = hashlib.sha256()
        for part in DYNAMICS_CODE:
            p = root / part
            files = sorted(p.rglob("*.py")) if p.is_dir() else [p]
            for f in files:
                h.update(str(f.relative_to(root)).encode())
                h.update(f.read_bytes())
        _CODE_HASH.append(h.hexdigest())
    return _CODE_HASH[0]


def _dynamics_inputs_hash(inputs: Inputs) -> str:
    """Hash of what the processes and the synthesis read from the inputs."""
    hit = _INPUT_HASHES.get(id(inputs))
    if hit is not None and hit[0] is inputs:
        return hit[1]
    from simlib.population.processes import context_for

    ctx = context_for(inputs)
    parts = (
        inputs.city,
        tuple(str(c) for c in inputs.context.counties),
        inputs.census.city(inputs.city),
        inputs.mortality,
        ctx,
        sorted((k, repr(v)) for k, v in inputs.schema.items()),
    )
    digest = hashlib.sha256(pickle.dumps(parts, protocol=5)).hexdigest()
    if len(_INPUT_HASHES) > 256:
        _INPUT_HASHES.clear()
    _INPUT_HASHES[id(inputs)] = (inputs, digest)
    return digest


def dynamics_key(spec: RunSpec, inputs: Inputs) -> str:
    """The identity of a run's population path (24 hex digits).

    Its parts: city, seed, replication, sample, end year, the processes run (a spec's
    ``processes`` when it has them, and their source files' hash), the content of
    everything the synthesis and the processes read (census, mortality, health parameters,
    counties, schema), the simlib version and the source of the dynamics' modules. Lists,
    take-up, prices, minutes and targets are not parts: they never change the path.
    """
    text = json.dumps(
        {
            "city": inputs.city,
            "seed": spec.seed,
            "rep": spec.rep,
            "sample": float(spec.sample),
            "end_year": spec.end_year,
            "processes": list(spec.processes),
            "process_sources": process_digest(spec.processes),
            "inputs": _dynamics_inputs_hash(inputs),
            "version": version(),
            "code": code_hash(),
        },
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def trajectory_for(spec: RunSpec, inputs: Inputs) -> Trajectory:
    """The population path of a run: from memory, from disk, or simulated and kept.

    Raises:
        TrajectoryUnsupported: If the population cannot be kept as a path.
    """
    key = dynamics_key(spec, inputs)
    if key in _MEMORY:
        _MEMORY.move_to_end(key)
        return _MEMORY[key]
    folder = directory()
    traj = read(folder / key) if folder is not None else None
    if traj is None:
        traj = simulate(spec, inputs, key)
        if folder is not None:
            write(traj, folder / key)
    _keep(key, traj)
    return traj


def simulate(spec: RunSpec, inputs: Inputs, key: str = "") -> Trajectory:
    """Simulate a run's population and record its path (no list evaluated)."""
    from simlib.model.model import ElderCareModel

    model = ElderCareModel(
        inputs=inputs,
        sample=spec.sample,
        end_year=spec.end_year,
        rng=rep_seed(spec.seed, spec.rep),
        processes=spec.process_classes(),
        record=True,
        outcomes=False,
    )
    model.run()
    return dataclasses.replace(model.trajectory(), key=key)


@contextlib.contextmanager
def read_once(specs: set[RunSpec]):
    """Within the block, these runs simulate with their own ledger (no path kept).

    For runs whose path no other run reads (a design's samples of health parameters):
    recording and storing it would cost more than it saves. The rows are the same to the
    last bit (``tests/test_trajectory.py``). Forked workers started in the block inherit
    the set.
    """
    _ONCE.update(specs)
    try:
        yield
    finally:
        _ONCE.difference_update(specs)


#: Runs whose paths no other run reads (:func:`read_once`).
_ONCE: set[RunSpec] = set()


def outcome_rows(spec: RunSpec, inputs: Inputs) -> pd.DataFrame | None:
    """A run's outcome rows evaluated on its stored path.

    None: the path cannot be kept, or no other run reads it (:func:`read_once`); the
    caller then simulates with the model's own ledger.
    """
    if spec in _ONCE:
        return None
    try:
        traj = trajectory_for(spec, inputs)
    except TrajectoryUnsupported:
        return None
    out = replay(traj, inputs, spec.end_year, spec.groups).table()
    out.insert(1, "city", inputs.city)
    return out


def _keep(key: str, traj: Trajectory) -> None:
    _MEMORY[key] = traj
    _MEMORY.move_to_end(key)
    _trim()


def _trim() -> None:
    budget = _memory_bytes()
    while _MEMORY and sum(t.nbytes for t in _MEMORY.values()) > budget:
        _MEMORY.popitem(last=False)


# ------------------------------------------------------------------------------- on disk


def write(traj: Trajectory, folder: Path) -> Path:
    """Store a trajectory in ``folder`` (atomically: a temporary folder renamed, meta last)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = Path(folder)
    if (folder / "meta.json").exists():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        agents = {str(y): traj.fid[t] for t, y in enumerate(traj.years)}
        agents["county"] = traj.county
        agents["spouse"] = traj.spouse
        pq.write_table(pa.table(agents), tmp / "agents.parquet", compression="zstd")
        frames = []
        for t, year in enumerate(traj.years):
            cols = {"year": np.full(len(traj.agents[t]), year, np.int16)}
            cols.update(traj.cells[t])
            for c in range(traj.agents[t].shape[1]):
                cols[f"n{c}"] = traj.agents[t][:, c]
            frames.append(pa.table(cols))
        pq.write_table(pa.concat_tables(frames), tmp / "cells.parquet", compression="zstd")
        meta = {
            "key": traj.key,
            "city": traj.city,
            "counties": list(traj.counties),
            "years": list(traj.years),
            "attrs": list(traj.attrs),
            "weight": [float(w) for w in traj.weight],
            "agents": traj.n_agents,
            "simlib_version": version(),
        }
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        try:
            os.replace(tmp, folder)
        except OSError:  # another process stored it first
            pass
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return folder


def read(folder: Path) -> Trajectory | None:
    """A stored trajectory, or None when absent or incomplete."""
    import pyarrow.parquet as pq

    folder = Path(folder)
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        agents = pq.read_table(folder / "agents.parquet")
        cells = pq.read_table(folder / "cells.parquet")
    except (OSError, ValueError):
        return None
    years = tuple(int(y) for y in meta["years"])
    weight = np.array(meta["weight"], np.float32)
    fid = np.empty((len(years), meta["agents"]), np.int32)
    for t, y in enumerate(years):
        fid[t] = agents.column(str(y)).to_numpy()
    attrs = tuple(meta["attrs"])
    n_c = len(meta["counties"])
    columns = {
        # copies: arrow's arrays are read-only, which numba would compile kernels anew for
        name: np.array(cells.column(name).to_numpy(zero_copy_only=False))
        for name in cells.column_names
    }
    bounds = np.searchsorted(columns["year"], np.array([*years, years[-1] + 1]))
    n = np.column_stack([columns[f"n{c}"] for c in range(n_c)]).astype(np.int32)
    tables, agents_per = [], []
    for t in range(len(years)):
        part = slice(bounds[t], bounds[t + 1])
        tables.append({a: columns[a][part] for a in ("age", *attrs)})
        agents_per.append(np.ascontiguousarray(n[part]))
    return Trajectory(
        city=meta["city"],
        counties=tuple(meta["counties"]),
        years=years,
        attrs=attrs,
        cells=tuple(tables),
        agents=tuple(agents_per),
        fid=fid,
        weight=weight,
        county=np.array(agents.column("county").to_numpy()),
        spouse=np.array(agents.column("spouse").to_numpy()),
        key=meta["key"],
    )

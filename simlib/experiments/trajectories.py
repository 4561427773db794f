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
  folder per key with ``arrays.bin`` (the path's arrays and its indexes, raw, read back
  memory-mapped: reading a path costs a small fraction of simulating it, and processes
  reading one path share its pages) and ``meta.json`` (what the arrays are and where they
  lie), written atomically, manifest last (:func:`write`, :func:`read`).

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
from simlib.outcomes.cells import Members
from simlib.outcomes.trajectory import (
    Distinct,
    SparseAgents,
    Trajectory,
    TrajectoryUnsupported,
    replay,
)
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
        traj = _longer(spec, inputs, folder)
        if traj is not None:
            key = traj.key
    if traj is None:
        traj = simulate(spec, inputs, key)
        if folder is not None:
            write(traj, folder / key)
    _keep(key, traj)
    return traj


def _longer(spec: RunSpec, inputs: Inputs, folder: Path | None) -> Trajectory | None:
    """A kept path of the same dynamics to a later end year (in memory first, then on disk).

    Its first years are this run's path: a year's dynamics never read the years after it,
    so a path simulated to 2025 equals the first years of one simulated to 2035 (tested);
    the caller evaluates it to its own end year only.
    """
    from simlib.model.model import LAST_YEAR

    keys = [
        dynamics_key(dataclasses.replace(spec, end_year=e), inputs)
        for e in range(spec.end_year + 1, LAST_YEAR + 1)
    ]
    for k in keys:
        if k in _MEMORY:
            _MEMORY.move_to_end(k)
            return _MEMORY[k]
    for k in keys if folder is not None else ():
        if (folder / k).is_dir():
            traj = read(folder / k)
            if traj is not None:
                return traj
    return None


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

#: The storage format of a path on disk; a folder in another format is not read.
FORMAT = 2

#: Byte alignment of each array in ``arrays.bin``.
_ALIGN = 64

#: The dtypes an array in ``arrays.bin`` may have.
_DTYPES = frozenset({"|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8", "<f4", "<f8"})


class StoredPathError(ValueError):
    """A stored path's files are damaged (the message names the file and what is wrong)."""


def _arrays(traj: Trajectory) -> dict[str, np.ndarray]:
    """The arrays stored for a trajectory, the per-year ones concatenated over the years.

    Left out, because they are quickly rebuilt from what is stored: the agents per fine
    cell × county (from their nonzero entries) and the agents listed by fine cell (from
    ``fid``, when first needed: :meth:`~simlib.outcomes.cells.Members.ordered`).
    """
    names = ("age", *traj.attrs)
    out = {
        "fid": traj.fid,
        "weight": np.asarray(traj.weight, np.float32),
        "county": traj.county,
        "spouse": traj.spouse,
        "cell_bounds": np.cumsum([0, *(len(a) for a in traj.agents)], dtype=np.int64),
    }
    for a in names:
        out[f"cell.{a}"] = _concat([c[a] for c in traj.cells], None)
    m = traj.members
    out["m.nz_bounds"] = np.cumsum([0, *(len(x.nz_cell) for x in m)], dtype=np.int64)
    for part, dtype in (
        ("start", np.int64),
        ("nz_cell", np.int32),
        ("nz_county", np.int16),
        ("nz_agents", np.int32),
    ):
        out[f"m.{part}"] = _concat([getattr(x, part) for x in m], dtype)
    if traj.distinct is not None:
        out["d.gid"] = _concat(traj.distinct.gid, np.int32)
        for a in names:
            out[f"d.{a}"] = traj.distinct.cells[a]
    return out


def _concat(parts, dtype) -> np.ndarray:
    if not parts:
        return np.zeros(0, dtype or np.int8)
    return np.ascontiguousarray(np.concatenate(parts))


def write(traj: Trajectory, folder: Path) -> Path:
    """Store a trajectory in ``folder``, atomically (a temporary folder renamed, meta last).

    The folder holds ``arrays.bin`` (the arrays of the path and of its indexes, raw,
    64-byte aligned, read back memory-mapped; see :func:`_arrays`) and ``meta.json`` (the
    path's description and where each array lies in ``arrays.bin``), written last. A
    folder holding no path of this format (an earlier format, no ``meta.json``) is
    replaced.
    """
    folder = Path(folder)
    if _stored_format(folder) == FORMAT:
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        layout, offset = {}, 0
        with open(tmp / "arrays.bin", "wb") as f:
            for name, arr in _arrays(traj).items():
                arr = np.ascontiguousarray(arr)
                pad = -offset % _ALIGN
                f.write(b"\0" * pad)
                offset += pad
                layout[name] = {"dtype": arr.dtype.str, "shape": list(arr.shape), "offset": offset}
                f.write(memoryview(arr.reshape(-1)).cast("B"))
                offset += arr.nbytes
        meta = {
            "format": FORMAT,
            "key": traj.key,
            "city": traj.city,
            "counties": list(traj.counties),
            "years": list(traj.years),
            "attrs": list(traj.attrs),
            "agents": traj.n_agents,
            "simlib_version": version(),
            "bytes": offset,
            "arrays": layout,
        }
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        _replace(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return folder


def _stored_format(folder: Path) -> int | None:
    """The format of the path stored in ``folder`` (None: none stored)."""
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta.get("format", 1) if isinstance(meta, dict) else None


def _replace(tmp: Path, folder: Path) -> None:
    """Move a finished folder into place.

    A folder already there that holds no path of this format (an earlier format's, or one
    whose ``meta.json`` is gone) is moved aside and deleted first: writers only ever
    rename finished folders into place, so it is not one being written.
    """
    if folder.exists() and _stored_format(folder) != FORMAT:
        old = Path(tempfile.mkdtemp(prefix=f".{folder.name}-old-", dir=folder.parent))
        try:
            os.replace(folder, old / "path")
        except OSError:
            pass
        shutil.rmtree(old, ignore_errors=True)
    try:
        os.replace(tmp, folder)
    except OSError:  # another process stored it first
        pass


def read(folder: Path) -> Trajectory | None:
    """A stored trajectory, or None when absent, unfinished or in an earlier format.

    The arrays are memory-mapped copy-on-write (pages are read when first touched and
    shared by every process reading the path; nothing is ever written back).

    Raises:
        StoredPathError: If ``meta.json`` or ``arrays.bin`` is damaged (not JSON, an array
            out of bounds or of a dtype not stored, a file of another size than written).
    """
    folder = Path(folder)
    meta_file, data_file = folder / "meta.json", folder / "arrays.bin"
    try:
        text = meta_file.read_text(encoding="utf-8")
    except OSError:
        return None
    try:
        meta = json.loads(text)
    except ValueError as err:
        raise StoredPathError(f"{meta_file}: not valid JSON ({err}); delete {folder}") from err
    if not isinstance(meta, dict) or meta.get("format", 1) != FORMAT:
        return None
    try:
        arrays = _mapped(data_file, meta)
        return _trajectory(meta, arrays)
    except StoredPathError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as err:
        raise StoredPathError(
            f"{meta_file}: {type(err).__name__}: {err}; a stored path needs the keys of "
            f"format {FORMAT}; delete {folder}"
        ) from err


def _mapped(data_file: Path, meta: dict) -> dict[str, np.ndarray]:
    """The arrays of ``arrays.bin`` as views of one copy-on-write memory map."""
    try:
        size = data_file.stat().st_size
    except OSError as err:
        raise StoredPathError(f"{data_file}: missing ({err}); delete {data_file.parent}") from err
    if size != meta["bytes"]:
        raise StoredPathError(
            f"{data_file}: {size} bytes, but meta.json says {meta['bytes']} were written "
            f"(truncated or overwritten); delete {data_file.parent}"
        )
    buf = np.memmap(data_file, np.uint8, mode="c") if size else np.zeros(0, np.uint8)
    out = {}
    for name, a in meta["arrays"].items():
        dtype, shape, offset = a["dtype"], tuple(int(n) for n in a["shape"]), int(a["offset"])
        if dtype not in _DTYPES:
            raise StoredPathError(
                f"{data_file}: array {name!r} has dtype {dtype!r}; allowed: {sorted(_DTYPES)}"
            )
        nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
        if offset < 0 or offset + nbytes > size or min(shape, default=0) < 0:
            raise StoredPathError(
                f"{data_file}: array {name!r} ({shape}, {dtype} at byte {offset}) lies "
                f"outside the file's {size} bytes; delete {data_file.parent}"
            )
        out[name] = np.ndarray(shape, dtype, buffer=buf, offset=offset)
    return out


def _trajectory(meta: dict, arr: dict[str, np.ndarray]) -> Trajectory:
    """A trajectory (with its indexes) from its stored arrays."""
    years = tuple(int(y) for y in meta["years"])
    attrs = tuple(meta["attrs"])
    names = ("age", *attrs)
    n_y, n = len(years), int(meta["agents"])
    if arr["fid"].shape != (n_y, n) or arr["cell_bounds"].shape != (n_y + 1,):
        raise ValueError(f"fid is {arr['fid'].shape}, cell_bounds {arr['cell_bounds'].shape}")
    cb, zb = arr["cell_bounds"].tolist(), arr["m.nz_bounds"].tolist()
    n_c = len(meta["counties"])
    cells, members, gid = [], [], []
    for t in range(n_y):
        part, nz = slice(cb[t], cb[t + 1]), slice(zb[t], zb[t + 1])
        cells.append({a: arr[f"cell.{a}"][part] for a in names})
        m = Members(
            order=None,
            start=arr["m.start"][cb[t] + t : cb[t + 1] + t + 1],
            n=n,
            nz_cell=arr["m.nz_cell"][nz],
            nz_county=arr["m.nz_county"][nz],
            nz_agents=arr["m.nz_agents"][nz],
            fid=arr["fid"][t],
        )
        members.append(m)
        if "d.gid" in arr:
            gid.append(arr["d.gid"][part])
    distinct = Distinct(tuple(gid), {a: arr[f"d.{a}"] for a in names}) if gid else None
    return Trajectory(
        city=meta["city"],
        counties=tuple(meta["counties"]),
        years=years,
        attrs=attrs,
        cells=tuple(cells),
        agents=SparseAgents(tuple(members), n_c),
        fid=arr["fid"],
        weight=arr["weight"],
        county=arr["county"],
        spouse=arr["spouse"],
        key=meta["key"],
        members=tuple(members),
        distinct=distinct,
    )

"""Batch runs over a grid (cities × scenarios × replications × parameter samples), on disk.

Each run is a :class:`~simlib.experiments.spec.RunSpec`; :func:`execute` turns one spec into
its outcome rows and depends on nothing but the spec and the params files, so the result is
the same bit for bit whatever backend or worker count runs it. :func:`sweep` writes each
finished run as it completes, as a standard Hive-partitioned Parquet dataset::

    out/run_id=<id>/part-0.parquet    one partition per run; every row carries the spec's
                                      fields, the scenario's content hash, the params hash
                                      and the simlib version
    out/_specs/<id>.json              the run's spec and identity, written when the run is
                                      planned; its row count and the partition's SHA-256
                                      added when it is written (the record has a checksum)
    out/_sweep.json                   the folder's identity: params hash, simlib version
    out/_failures.jsonl               failed runs: spec and error (cleared by a later success)
    out/_lock                         held while a sweep writes

``pd.read_parquet(out)`` and ``pyarrow.dataset.dataset(out)`` read it directly (files starting
with ``_`` or ``.`` are ignored). A run's id covers its spec, the params hash, the scenario's
content and the simlib version, so changed parameters never reuse old results; resuming into
a folder made with other parameters is refused (or, with ``overwrite=True``, the runs simlib
recorded there are removed: never a file it did not write). Every spec is prepared first
(:func:`simlib.experiments.prepare.prepare`: checks, targets → take-up paths), so a sweep
runs exactly what :func:`simlib.run` runs. A partition is written under a temporary name and
renamed; a run counts as done only when its partition's SHA-256 is the one its spec file
records, so a run killed mid-write, a truncated or a bit-flipped file is recomputed on resume,
and named by :func:`verify` (``load_results`` refuses it). A full disk stops the sweep with
one line, keeping the runs finished so far. Two sweeps into one folder are refused (a lock).
Worker processes exit when the sweep that started them dies.

Backends: ``serial``; ``processes`` (local processes: forked on Linux, so a plain script
needs no ``if __name__ == "__main__":`` guard there; elsewhere Python starts each worker by
re-importing the script, which must then keep its runs under that guard, and a missing guard
is reported as such); ``dask`` (``dask.distributed``: a
``Client``, a scheduler address such as a dask-jobqueue SLURM cluster's, or a
``LocalCluster`` started for the sweep; install ``simlib[distributed]``).
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import shutil
import tempfile
import threading
import traceback
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pandas as pd

from simlib.core.errors import ParamError, StoreError, did_you_mean, write_error
from simlib.core.reader import sha256
from simlib.experiments.spec import RunSpec, version

BACKENDS = ("serial", "processes", "dask")


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
        scenarios: Scenario names or paths.
        reps: Replications per combination.
        samples: Assumption overrides, one dict per parameter sample.
        **common: Other :class:`RunSpec` fields (seed, sample, end_year, list_city,
            processes).

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


def identities(specs: list[RunSpec]) -> tuple[list[str], str]:
    """Run ids of the specs and the params hash they use (checked to be one tree).

    Each spec is prepared as a run would be (:func:`simlib.experiments.prepare.prepare`).

    Raises:
        ParamError: On an unknown city, scenario or target, invalid parameters, or specs
            that read different params directories.
    """
    from simlib.experiments.prepare import prepare_all

    prepared = prepare_all(specs)
    return [p.run_id for p in prepared], prepared[0].inputs.params_hash if prepared else ""


def execute(spec: RunSpec, params_hash: str | None = None) -> pd.DataFrame:
    """Run one spec and return its outcome rows, with the spec's fields as columns.

    Args:
        spec: The run (prepared: its scenario as content, take-up paths included).
        params_hash: The params hash the sweep expects (a run refuses other params).
    """
    from simlib.experiments.wiring import inputs_for, run_one

    inputs = _HELD.get(spec)  # prepared by the sweep that runs it (serial, forked workers)
    if inputs is None:
        inputs = inputs_for(spec)
    if params_hash is not None and inputs.params_hash != params_hash:
        raise ParamError(
            "the params files changed during the sweep (hash "
            f"{inputs.params_hash[:12]} != {params_hash[:12]}); start it again"
        )
    out = run_one(spec, inputs)
    fields = spec.fields()
    for k in ("scenario", "list_city", "seed", "sample", "end_year", "overrides", "processes"):
        out[k] = fields[k]
    out["scenario_sha256"] = inputs.scenario.hash
    out["params_sha256"] = inputs.params_hash
    out["simlib_version"] = version()
    return out


#: The inputs of the specs the running sweep prepared, by spec: its serial runs and its
#: forked workers (which inherit them) run on them instead of loading each spec's inputs
#: again (a sensitivity design has one set per point). Spawned workers load their own.
_HELD: dict[RunSpec, object] = {}


def _safe_execute(spec: RunSpec, params_hash: str | None):
    try:
        return spec, execute(spec, params_hash), None
    except Exception as err:  # noqa: BLE001 - reported with the spec, the sweep goes on
        return spec, None, f"{type(err).__name__}: {err}\n{traceback.format_exc(limit=3)}"


def _safe_execute_all(specs: list[RunSpec], params_hash: str | None):
    """:func:`_safe_execute` of several runs, one after the other in one worker."""
    return [_safe_execute(s, params_hash) for s in specs]


#: Not empty once this process has run a task itself (``processes``: its forked workers
#: then start with the run's modules imported and its kernels loaded).
_WARM: list[bool] = []


def _batches(specs: list[RunSpec], together) -> list[list[RunSpec]]:
    """The specs in tasks: one each, or those with equal ``together(spec)`` in one, in order."""
    if together is None:
        return [[s] for s in specs]
    out: dict[object, list[RunSpec]] = {}
    for s in specs:
        out.setdefault(together(s), []).append(s)
    return list(out.values())


# --------------------------------------------------------------------------- the folder


class _Lock:
    """An exclusive lock on ``out/_lock`` (refuses a second sweep into one folder)."""

    def __init__(self, out: Path):
        self.path = out / "_lock"
        self.fd = None

    def __enter__(self):
        import fcntl

        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(self.fd, 64, 0).decode(errors="replace").strip() or "?"
            os.close(self.fd)
            raise ParamError(
                f"{self.path.parent}: another sweep (pid {holder}) is writing into this folder; "
                "wait for it to finish or use another folder"
            ) from None
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, str(os.getpid()).encode(), 0)
        return self

    def __exit__(self, *exc):
        import fcntl

        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def _partition(out: Path, rid: str) -> Path:
    return out / f"run_id={rid}"


def _spec_file(out: Path, rid: str) -> Path:
    return out / "_specs" / f"{rid}.json"


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (read in 1 MiB blocks)."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sealed(record: dict) -> dict:
    """``record`` with a ``checksum``: SHA-256 of its canonical JSON (the other keys)."""
    body = {k: v for k, v in record.items() if k != "checksum"}
    text = json.dumps(body, sort_keys=True, default=str, ensure_ascii=False)
    return {**body, "checksum": sha256(text.encode())}


def intact(record: object) -> bool:
    """Whether a record read back still has the checksum :func:`sealed` gave it."""
    return isinstance(record, dict) and sealed(record).get("checksum") == record.get("checksum")


def check_out_dir(out: str | Path, create: bool = True) -> Path:
    """An output folder that exists or can be created and is writable, checked before any work.

    Args:
        out: The folder.
        create: Create it (else only check that it could be: its nearest existing parent is
            a writable folder).

    Raises:
        ParamError: If ``out`` is a file, cannot be created or is not writable.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ParamError(f"--out {out}: exists and is not a folder")
    if not create:
        parent = out
        while not parent.exists():
            parent = parent.parent
        if not parent.is_dir():
            raise ParamError(f"--out {out}: {parent} is not a folder")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise ParamError(f"--out {out}: cannot write there (permission denied)")
        return out
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=out, prefix=".probe-", delete=True)
        probe.close()
    except OSError as err:
        raise ParamError(f"--out {out}: cannot write there ({err.strerror or err})") from None
    return out


#: The least free space (bytes) a run or sweep needs in its output folder to start: a full
#: disk is refused before any work (a disk that fills up later stops with one line).
MIN_FREE = 1 << 20


def check_free(out: str | Path, need: int | None = None) -> None:
    """Refuse an output folder whose file system has less than ``need`` bytes free.

    Args:
        out: The folder (or, if it does not exist yet, where it would be made).
        need: Bytes needed (:data:`MIN_FREE` by default).

    Raises:
        ParamError: Naming the folder, the free and the needed space (MiB).
    """
    need = MIN_FREE if need is None else need
    where = Path(out)
    while not where.exists():
        where = where.parent
    free = shutil.disk_usage(where).free
    if free < need:
        raise ParamError(
            f"--out {out}: only {free / 2**20:.1f} MiB free there, at least "
            f"{need / 2**20:.1f} MiB needed; free some space or choose another --out"
        )


def _read_record(f: Path) -> dict | None:
    try:
        record = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if intact(record) else None


def verify(
    out: str | Path, ids: Iterable[str] | None = None
) -> tuple[set[str], list[tuple[str, str, str]]]:
    """Check every run a sweep folder records against its checksums.

    Args:
        out: A sweep folder.
        ids: Check only these runs (those the folder records); None: every run. A
            notebook's folder holds the runs of all its designs, and each design reads
            its own (0.3 ms a run checked).

    Returns:
        ``(done, problems)``: the ids of complete runs (spec record intact, partition's
        SHA-256 as recorded), and one ``(file, run_id, what)`` per run that is planned but
        not finished, damaged or missing.
    """
    out = Path(out)
    specs = out / "_specs"
    done, problems = set(), []
    if not specs.is_dir():
        return done, problems
    if ids is None:
        records = sorted(specs.glob("*.json"))
    else:
        records = [f for f in (specs / f"{i}.json" for i in sorted(set(ids))) if f.is_file()]
    for f in records:
        rid = f.stem
        part = _partition(out, rid) / "part-0.parquet"
        record = _read_record(f)
        if record is None:
            problems.append((str(f), rid, "its spec record is damaged"))
        elif record.get("run_id") != rid:
            problems.append((str(f), rid, "its spec record names another run"))
        elif "sha256" not in record:
            problems.append((str(part), rid, "planned, never finished"))
        elif not part.is_file():
            problems.append((str(part), rid, "its partition is missing"))
        elif file_sha256(part) != record["sha256"]:
            problems.append((str(part), rid, "its partition is damaged (checksum mismatch)"))
        else:
            done.add(rid)
    return done, problems


def done_ids(out: str | Path, ids: Iterable[str] | None = None) -> set[str]:
    """Run ids (of ``ids``, or all) whose partition is complete (:func:`verify`)."""
    return verify(out, ids)[0]


#: What a sweep writes in its folder (everything else there is left alone).
_OWN_FILES = ("_sweep.json", "_failures.jsonl")


def _own_partition(p: Path) -> bool:
    """A folder that holds nothing but what a sweep writes into a partition."""
    return p.is_dir() and not p.is_symlink() and {c.name for c in p.iterdir()} <= {"part-0.parquet"}


def own_folder(p: Path) -> bool:
    """Whether ``p`` is a folder holding nothing but what a sweep writes."""
    if not p.is_dir() or p.is_symlink():
        return False
    for c in p.iterdir():
        if c.name in (*_OWN_FILES, "_lock") or c.name.startswith(".tmp-"):
            continue
        if c.name == "_specs" and all(f.suffix == ".json" for f in c.iterdir()):
            continue
        if c.name.startswith("run_id=") and _own_partition(c):
            continue
        if c.name in ("trajectories", "_trajectories") and c.is_dir():  # population paths
            continue
        return False
    return True


def _clear_own(out: Path) -> None:
    """Remove the runs simlib recorded in ``out`` (never a file it did not write)."""
    specs = out / "_specs"
    recorded = [f for f in specs.glob("*.json")] if specs.is_dir() else []
    for f in recorded:
        part = _partition(out, f.stem)
        if _own_partition(part):
            shutil.rmtree(part)
        f.unlink()
    for p in out.glob("run_id=*"):
        if _own_partition(p):  # a partition whose record was never written (killed)
            shutil.rmtree(p)
    for name in _OWN_FILES:
        (out / name).unlink(missing_ok=True)
    if specs.is_dir() and not any(specs.iterdir()):
        specs.rmdir()


def _identity(out: Path) -> dict | None:
    """The folder's ``_sweep.json`` (None if absent); a damaged one is an error."""
    ident = out / "_sweep.json"
    if not ident.is_file():
        return None
    try:
        have = json.loads(ident.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        have = None
    if not isinstance(have, dict):
        raise StoreError(
            f"{ident}: damaged (not the JSON a sweep writes); use a new folder, or "
            "overwrite=True (--overwrite) to clear the runs simlib recorded there"
        )
    return have


def _prepare(out: Path, params_hash: str, overwrite: bool) -> None:
    """Check or create the folder's identity; remove leftovers of killed writes."""
    ident = out / "_sweep.json"
    want = {"params_sha256": params_hash, "simlib_version": version()}
    try:
        have = _identity(out)
    except StoreError:
        if not overwrite:
            raise
        have = {}
    if have is not None:
        same = {k: have.get(k) for k in want} == want
        if not same and not overwrite:
            raise ParamError(
                f"{out} holds runs made with params {str(have.get('params_sha256'))[:12]} and "
                f"simlib {have.get('simlib_version')}; these runs use params {params_hash[:12]} "
                f"and simlib {version()}. Use a new folder, or overwrite=True (--overwrite) to "
                "remove those runs (simlib removes only what it wrote) and run again"
            )
        if not same:
            _clear_own(out)
    (out / "_specs").mkdir(exist_ok=True)
    _atomic_text(ident, json.dumps({**want, "created": dt.datetime.now(dt.UTC).isoformat()}))
    for p in out.glob(".tmp-*"):
        if _own_partition(p):
            shutil.rmtree(p)
    done = done_ids(out)
    for p in out.glob("run_id=*"):  # partitions of runs that never completed
        if p.name.split("=", 1)[1] not in done and _own_partition(p):
            shutil.rmtree(p)


def _plan(out: Path, spec: RunSpec, rid: str) -> None:
    """Record a run before it starts (a run planned but not finished is never silent)."""
    f = _spec_file(out, rid)
    if _read_record(f) is None:
        record = {"run_id": rid, "spec": spec.as_dict(), "simlib_version": version()}
        _atomic_text(f, json.dumps(sealed(record), default=str))


def _write(out: Path, spec: RunSpec, rid: str, frame: pd.DataFrame) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=out))
    try:
        frame.to_parquet(tmp / "part-0.parquet", index=False)
        digest = file_sha256(tmp / "part-0.parquet")
        final = _partition(out, rid)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    record = {
        "run_id": rid,
        "spec": spec.as_dict(),
        "rows": len(frame),
        "sha256": digest,
        "simlib_version": version(),
    }
    _atomic_text(_spec_file(out, rid), json.dumps(sealed(record), default=str))


def _fail(out: Path, spec: RunSpec, rid: str, error: str) -> None:
    with (out / "_failures.jsonl").open("a", encoding="utf-8") as f:
        f.write(
            json.dumps({"run_id": rid, "spec": spec.as_dict(), "error": error}, default=str) + "\n"
        )


def failures(out: str | Path) -> list[dict]:
    """The failed runs of a sweep folder that have not succeeded since."""
    path = Path(out) / "_failures.jsonl"
    if not path.exists():
        return []
    done = done_ids(out)
    lines = []
    for x in path.read_text(encoding="utf-8").splitlines():
        try:
            lines.append(json.loads(x))
        except ValueError:
            continue  # a line cut short by a kill or a full disk
    latest = {f["run_id"]: f for f in lines if isinstance(f, dict) and "run_id" in f}
    return [f for rid, f in latest.items() if rid not in done]


def _prune_failures(out: Path) -> None:
    path = out / "_failures.jsonl"
    if path.exists():
        keep = failures(out)
        _atomic_text(path, "".join(json.dumps(f, default=str) + "\n" for f in keep))


# --------------------------------------------------------------------------- backends


def _watch_parent(parent: int) -> None:
    """Exit this worker when the process that started it is gone (no orphan workers)."""
    import time

    def watch():
        while True:
            if os.getppid() != parent:
                os._exit(1)
            time.sleep(0.5)

    threading.Thread(target=watch, daemon=True).start()


def _process_context():
    """How worker processes start: forked on Linux, the platform's default elsewhere.

    Forking copies the parent as it is, so a worker never re-imports the user's script: a
    plain script without an ``if __name__ == "__main__":`` guard works. The start method is
    chosen here, not inherited, because importing ``mesa.batchrunner`` sets the global one to
    "spawn" (Mesa 3.3). macOS and Windows keep their default ("spawn"), under which the
    guard is needed; :func:`_results` says so when it is missing.
    """
    import sys

    if sys.platform == "linux":
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context(None if sys.platform == "win32" else "spawn")


#: Said when worker processes die at start-up where Python re-imports the user's script.
MAIN_GUARD = (
    "the worker processes stopped as they started. With backend='processes' outside Linux, "
    "Python starts each worker by re-importing your script, so a script must keep its runs "
    'under `if __name__ == "__main__":` (notebooks need nothing); or use backend="serial"'
)


def _results(
    backend: str,
    todo: list[tuple[RunSpec, str]],
    workers: int,
    client,
    params_hash,
    together=None,
):
    batches = _batches([s for s, _ in todo], together)
    if backend == "serial":
        for batch in batches:
            for spec in batch:
                yield _safe_execute(spec, params_hash)
    elif backend == "processes":
        ctx = _process_context()
        if batches and not _WARM and ctx.get_start_method() == "fork":
            # the first task runs here: its modules and compiled kernels are then loaded
            # once, and every worker forked later inherits them (else each worker of each
            # sweep loads them again: 1.3-2 s of CPU a pool at full scale)
            yield from _safe_execute_all(batches.pop(0), params_hash)
            _WARM.append(True)
            if not batches:
                return
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=ctx,
            initializer=_watch_parent,
            initargs=(os.getpid(),),
        ) as pool:
            futures = [pool.submit(_safe_execute_all, b, params_hash) for b in batches]
            try:
                for fut in as_completed(futures):
                    yield from fut.result()
            except BrokenProcessPool as err:
                if ctx.get_start_method() == "fork":
                    raise
                raise ParamError(MAIN_GUARD) from err
    else:
        try:
            from dask.distributed import Client, LocalCluster
            from dask.distributed import as_completed as dask_completed
        except ImportError:
            raise ParamError(
                "backend 'dask' needs dask.distributed: pip install 'simlib[distributed]'"
            ) from None
        own = None
        if client is None:
            own = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
            client = Client(own)
        elif isinstance(client, str):
            client = Client(client)
        try:
            futures = client.map(_safe_execute_all, batches, params_hash=params_hash, pure=False)
            for fut in dask_completed(futures):
                yield from fut.result()
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
    overwrite: bool = False,
    together=None,
) -> pd.DataFrame:
    """Run every spec not yet done in ``out`` and return all of the specs' rows.

    Args:
        specs: The runs.
        out: Output folder (created; reused to resume).
        backend: ``serial``, ``processes`` or ``dask``.
        workers: Worker processes (``processes``, or a LocalCluster for ``dask``).
        client: For ``dask``: a ``distributed.Client`` or a scheduler address; None starts
            a LocalCluster with ``workers`` workers.
        progress: Show a progress bar.
        overwrite: Clear a folder made with other params or another simlib version.
        together: A function of a spec: runs it gives equal values run one after the other
            in one worker (in the order given), so that runs sharing a population path
            read it once (``lambda s: s.rep`` for several scenarios of one city); None: each
            run is a task of its own.

    Returns:
        Rows of every completed run in ``specs``, in spec order (outcome columns, the spec's
        fields, ``run_id``).

    Raises:
        ParamError: On an unknown backend, duplicate specs, a folder of other parameters,
            or a folder another sweep is writing.
    """
    if backend not in BACKENDS:
        raise ParamError(
            f"unknown backend {backend!r}{did_you_mean(backend, BACKENDS)}; "
            f"allowed: {', '.join(BACKENDS)}"
        )
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ParamError(f"workers must be a positive integer, got {workers!r}")
    from simlib.experiments.prepare import prepare_all

    return sweep_prepared(
        prepare_all(list(specs)),
        out,
        backend=backend,
        workers=workers,
        client=client,
        progress=progress,
        overwrite=overwrite,
        together=together,
    )


def sweep_prepared(
    prepared: list,
    out: str | Path,
    backend: str = "serial",
    workers: int = 2,
    client=None,
    progress: bool = False,
    overwrite: bool = False,
    params_hash: str | None = None,
    together=None,
    columns: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """:func:`sweep` of specs already prepared (:func:`simlib.experiments.prepare.prepare_all`).

    A caller that needs the run ids before the sweep (a sensitivity design) prepares each
    spec once, here and for the runs: the runs use the prepared inputs. A run prepared
    without its inputs (``inputs`` None: a design point known by its identity only) loads
    them where it runs, in the sweep's workers.

    Args:
        prepared: The :class:`~simlib.experiments.prepare.Prepared` runs.
        out: Output folder (created; reused to resume).
        backend: ``serial``, ``processes`` or ``dask``.
        workers: Worker processes.
        client: For ``dask``: a client or a scheduler address.
        progress: Show a progress bar.
        overwrite: Clear a folder made with other params or another simlib version.
        params_hash: The params hash the runs use (by default the first run's inputs').
        together: As for :func:`sweep`.
        columns: Return only these columns of the rows (and ``run_id``); None: all.

    Returns:
        As :func:`sweep`.
    """
    if backend not in BACKENDS:
        raise ParamError(
            f"unknown backend {backend!r}{did_you_mean(backend, BACKENDS)}; "
            f"allowed: {', '.join(BACKENDS)}"
        )
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ParamError(f"workers must be a positive integer, got {workers!r}")
    specs = [p.spec for p in prepared]
    ids = [p.run_id for p in prepared]
    if params_hash is None:
        params_hash = prepared[0].inputs.params_hash if prepared else ""
    if len(set(ids)) != len(ids):
        raise ParamError("the sweep lists the same run twice")
    check_out_dir(out, create=False)
    check_free(out)
    out = check_out_dir(out)
    with _Lock(out):
        try:
            _prepare(out, params_hash, overwrite)
            done = done_ids(out, ids)
            todo = [(p.spec, i) for p, i in zip(prepared, ids, strict=True) if i not in done]
            for spec, rid in todo:
                _plan(out, spec, rid)
        except OSError as err:
            raise write_error(out, "the sweep's records", err) from None
        by_spec = {s: i for s, i in todo}
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(specs), initial=len(specs) - len(todo), desc="runs", unit="run")
        _HELD.update((p.spec, p.inputs) for p in prepared if p.inputs is not None)
        try:
            for spec, frame, error in _results(
                backend, todo, workers, client, params_hash, together
            ):
                rid = by_spec[spec]
                try:
                    if error is None:
                        _write(out, spec, rid, frame)
                    else:
                        _fail(out, spec, rid, error)
                except OSError as err:
                    n = len(done_ids(out))
                    raise write_error(
                        out, f"run {rid} ({n} of {len(ids)} runs are saved; resume later)", err
                    ) from None
                if bar is not None:
                    bar.update()
        finally:
            _HELD.clear()
            if bar is not None:
                bar.close()
        try:
            _prune_failures(out)
        except OSError as err:
            raise write_error(out, "_failures.jsonl", err) from None
    return load(out, ids, columns)


def load(
    out: str | Path, ids: list[str] | None = None, columns: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """Read the completed, verified runs of a sweep folder (only ``ids``' runs, in order).

    Args:
        out: A sweep folder.
        ids: The runs (all complete ones by default).
        columns: Only these columns (and ``run_id``); None: all. A design's analysis
            reads a few: every row also carries its spec, whose ``overrides`` text (a
            design point's every assumption, some 6 kB) was most of a run's bytes in memory.
    """
    out = Path(out)
    have = done_ids(out, ids)
    ids = [i for i in (ids if ids is not None else sorted(have)) if i in have]
    frames = [_read_partition(out, i, columns).assign(run_id=i) for i in ids]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _read_partition(out: Path, rid: str, columns: tuple[str, ...] | None = None) -> pd.DataFrame:
    """One run's rows (only ``columns`` if given), read as one Parquet file.

    ``pyarrow.parquet.ParquetFile`` reads the file alone; ``pd.read_parquet`` on a path
    inside ``run_id=…`` goes through the dataset API (partition discovery), about ten
    times the CPU for the same frame (50 against 5 ms a run; a notebook reads hundreds).
    """
    import pyarrow.parquet as pq

    with pq.ParquetFile(_partition(out, rid) / "part-0.parquet") as f:
        return f.read(columns=None if columns is None else list(columns)).to_pandas()

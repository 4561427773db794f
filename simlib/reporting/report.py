"""The main job (``make run``): every notebook executed, at full scale, into a report folder.

The report holds:

* ``index.html``: what the report rests on (sample, replications, seed, simlib version,
  params hash), the precision of its headline figures, links to everything below;
* ``html/`` and ``notebooks/``: each notebook executed with the report's settings injected
  into its ``parameters`` cell (papermill-style), rendered with figures embedded, titled with
  the notebook's own title and linked to the index and to the previous and next pages
  (``no_input=True``, ``--no-input``: a reader's version, without the code cells);
* ``tables/``: every table a notebook showed (CSV, with provenance columns);
* ``figures/``: every figure a notebook saved (PNG);
* ``provenance.json``: the settings, versions and timings, machine-readable.

By default the report is built at full scale (``sample=1.0``: one agent per resident) with
:data:`FULL` replications, enough for a Monte-Carlo relative standard error of at most 1 %
on every headline figure; the builder prints the largest one. Runs are kept in a cache
(``results/report-runs/<version>-<params hash>``), so a second build with the same code
and parameters re-reads them, and a changed parameter or version can never reuse them.

The folder is built in a temporary directory next to the target and moved into place only
when every notebook succeeded, so a failed run leaves any previous report untouched.
"""

from __future__ import annotations

import ast
import datetime as dt
import html
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from simlib.reporting.page import REPORT_ENV

#: The report's settings: full scale, at least 10 replications, and more where a headline
#: total's Monte-Carlo relative standard error would exceed 1 % (``run(target_rse=…)``).
FULL = {"sample": 1.0, "reps": 10, "seed": 1, "target_rse": 0.01}
#: Analyses whose cost grows with the number of runs, at a stated smaller scale (each
#: notebook prints these settings on its page, with the precision they reach). Keys are
#: notebook stems. Notebook 06 (a point of health parameters simulates, the others
#: replay): 4 Morris trajectories (384 points; 6 before), 24 Latin-hypercube draws × 4
#: replications (each draw a population of its own simulated to 2035: 96 simulations;
#: 24 × the report's 10 = 240 before, 40 % of the page's CPU), a Sobol base sample of 32
#: (384 points; 128 before: half-widths about twice as wide).
EXTRA = {
    "06_uncertainty": {
        "sa_sample": 0.5,
        "trajectories": 4,
        "lhs_n": 24,
        "lhs_reps": 4,
        "sobol_n": 32,
    },
}
#: The environment variable naming the folder of stored population paths
#: (:mod:`simlib.experiments.trajectories`); the report keeps them in its run cache.
TRAJECTORY_ENV = "SIMLIB_TRAJECTORY_DIR"
#: Where runs are cached between builds (one sub-folder per simlib version and params hash).
CACHE_ROOT = Path("results") / "report-runs"
#: Baseline runs made before any notebook starts, in parallel over the build's workers:
#: every population path the notebooks share is then simulated once, and each notebook
#: replays on it. Per entry: the notebook whose run folder keeps the runs (its own calls
#: read them back), the end year (or the name of the notebook's parameter that sets it),
#: and whether the report's ``target_rse`` applies (the projection adds replications where
#: a headline total needs them, and every later run of the same dynamics replays them).
#: Every page that simulates runs to 2035, so these paths serve them all.
PREPARE = (("02_population_and_validation", 2035, True),)
#: Notebooks that read another's runs: they run after it, in its run folder.
AFTER = {"03_projection_2020_2035": "02_population_and_validation"}
#: Notebooks that start while the :data:`PREPARE` paths are being simulated, in the slot
#: the prepared phase leaves (it counts as one of the build's slots), with the cities whose
#: prepared paths they read: the phase simulates those cities first. 01 simulates nothing;
#: 06's analyses run at its own ``sa_sample``, and its one run at the report's sample
#: (Xiaoyi's headline) comes after its screening and propagation. A notebook listed here
#: that reached a path before it was stored would simulate it itself, to the same numbers:
#: only time is at stake.
EARLY = {"01_service_lists": (), "06_uncertainty": ("xiaoyi",)}
#: CPU seconds each notebook took at the report's settings (the last full build measured:
#: a fresh clone of ``daf4f25``, 2026-12-07, docs/performance.md "The build"; a previous
#: report's ``provenance.json`` is used instead when there is one): the build starts the
#: longest first, so that the cores stay busy to the end.
EXPECTED_SECONDS = {
    "00_quickstart": 16,
    "01_service_lists": 15,
    "02_population_and_validation": 69,
    "03_projection_2020_2035": 19,
    "04_targets_2025": 49,
    "05_cross_city": 77,
    "06_uncertainty": 129,
    "07_your_scenario": 33,
    "08_programmes": 58,
}


def declared_parameters(nb) -> dict[str, object]:
    """The names and default values the notebook's ``parameters`` cell assigns.

    Raises:
        ValueError: When no cell is tagged ``parameters`` or it is not plain assignments.
    """
    cell = next((c for c in nb.cells if "parameters" in c.metadata.get("tags", [])), None)
    if cell is None:
        raise ValueError("the notebook has no cell tagged 'parameters'")
    out = {}
    for node in ast.parse(cell.source).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            raise ValueError(f"parameters cell: only NAME = literal lines, got {ast.unparse(node)}")
        out[node.targets[0].id] = ast.literal_eval(node.value)
    return out


def settings_for(stem: str, declared: dict, common: dict) -> dict:
    """The settings injected into one notebook.

    Those of ``common`` and :data:`EXTRA` that the notebook declares: a notebook never
    receives a name it does not use.
    """
    wanted = {**common, **EXTRA.get(stem, {})}
    return {k: v for k, v in wanted.items() if k in declared}


def headline_precision(tables: Path) -> pd.DataFrame:
    """Every headline figure the notebooks saved, with its RSE (a fraction), worst first."""
    frames = []
    for path in sorted(tables.glob("*__headline*.csv")):
        t = pd.read_csv(path)
        if "rse" in t.columns:
            frames.append(t.assign(table=path.stem))
    if not frames:
        return pd.DataFrame(columns=["table", "rse"])
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values("rse", ascending=False, ignore_index=True)


def build_report(
    out: str | Path = "report",
    sample: float | None = None,
    reps: int | None = None,
    seed: int | None = None,
    notebook_dir: Path | None = None,
    backend: str = "processes",
    workers: int = 2,
    cache: str | Path | None = None,
    target_rse: float | None | str = "auto",
    no_input: bool = False,
) -> Path:
    """Execute every notebook with the report's settings and write the report folder.

    Args:
        out: Report folder (replaced when the build succeeds; refused before any work if it
            holds anything a report did not write, is a file, is not writable or its disk
            has less than :data:`REPORT_MIN_FREE` bytes free).
        sample: Sample of the headline runs (:data:`FULL` by default: 1.0).
        reps: Replications of the headline runs (:data:`FULL` by default).
        seed: Base seed (:data:`FULL` by default).
        notebook_dir: Folder of the paired notebooks (``notebooks/`` by default).
        backend: Where replications run (``serial``, ``processes``, ``dask``).
        workers: Worker processes.
        cache: Run cache folder (default under :data:`CACHE_ROOT`, keyed by version and
            params hash).
        target_rse: Replications are added to the headline runs until each headline total's
            relative standard error is at most this (a fraction). ``"auto"``: the
            :data:`FULL` value when neither ``sample`` nor ``reps`` is given, else none (a
            quick look at a smaller size keeps its replications).
        no_input: Render the pages without their code cells (a reader's version); the
            executed notebooks in ``notebooks/`` keep their code.

    Returns:
        Path of ``index.html``.

    Raises:
        ParamError: On bad settings or an unusable ``out`` (before any work).
        StoreError: If the report cannot be written (a full disk): nothing half-written
            is kept and a previous report stays as it was.
    """
    from tqdm.auto import tqdm

    import simlib
    from simlib.experiments.run import check_reps, check_seed
    from simlib.model.model import check_sample
    from simlib.params import read_tree
    from simlib.reporting.notebooks import NOTEBOOK_DIR, pairs

    common = {
        "sample": check_sample(FULL["sample"] if sample is None else sample),
        "reps": check_reps(FULL["reps"] if reps is None else reps),
        "seed": check_seed(FULL["seed"] if seed is None else seed),
    }
    if target_rse == "auto":
        target_rse = FULL["target_rse"] if sample is None and reps is None else None
    common["target_rse"] = target_rse
    tree_hash = read_tree().hash
    key = f"{simlib.__version__}-{tree_hash[:12]}"
    out = check_report_out(out)
    previous = _previous_seconds(out)
    if cache is None:
        cache = CACHE_ROOT / key
        if CACHE_ROOT.exists():  # runs of other versions or params can never be reused
            for old in CACHE_ROOT.iterdir():
                if old.name != key and _own_cache(old):  # never what simlib did not write
                    shutil.rmtree(old, ignore_errors=True)
    cache = Path(cache).resolve()
    cache.mkdir(parents=True, exist_ok=True)
    notebook_dir = Path(notebook_dir or NOTEBOOK_DIR)
    pages = [py.stem for py, _ in pairs(notebook_dir)]
    slots = max(1, min(int(workers), len(pages))) if pages else 1
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".report-", dir=out.parent))
    started = dt.datetime.now(dt.UTC)
    set_paths = False
    try:
        for sub in ("notebooks", "html", "tables", "figures"):
            (tmp / sub).mkdir()
        os.environ[REPORT_ENV] = str(tmp)  # inherited by the notebook kernels
        # every notebook, kernel and worker shares the population paths: each dynamics is
        # simulated once for the whole build, every list and take-up evaluated on it
        set_paths = TRAJECTORY_ENV not in os.environ
        if set_paths:
            os.environ[TRAJECTORY_ENV] = str(cache / "trajectories")
        jobs = []
        for chain in _chains(pages):
            folder = cache / chain[0]  # a run folder per chain: chains run side by side
            jobs.append(
                [
                    (
                        stem,
                        notebook_dir,
                        _injected(notebook_dir, stem, common, folder, backend, workers),
                        tmp,
                        pages,
                        no_input,
                    )
                    for stem in chain
                ]
            )
        entries = [p for p in PREPARE if p[0] in pages]
        soon = [c for stem in pages for c in EARLY.get(stem, ())]
        first = (_prepare, (entries, notebook_dir, common, cache, backend, workers, soon))
        jobs = longest_first(jobs, {**EXPECTED_SECONDS, **previous})
        early = [i for i, job in enumerate(jobs) if all(j[0] in EARLY for j in job)]
        begun = time.perf_counter()
        done, prep = {}, {"runs": [], "seconds": 0.0, "cpu_seconds": 0.0}
        with tqdm(total=len(pages), desc=f"notebooks ({slots} at a time)", unit="nb") as bar:
            for kind, payload in run_side_by_side(jobs, slots, first if entries else None, early):
                if kind == "first":
                    prep = payload
                    continue
                done[payload[0]] = payload
                bar.update()
        elapsed = time.perf_counter() - begun
        rows = [done[s][:4] for s in pages]  # the fixed page order
        cpu = {s: done[s][4] for s in pages}
        precision = headline_precision(tmp / "tables")
        worst = 100 * float(precision["rse"].max()) if len(precision) else float("nan")
        meta = {
            **{k: common[k] for k in ("sample", "reps", "target_rse", "seed")},
            "simlib_version": simlib.__version__,
            "params_sha256": tree_hash,
            "started": started.isoformat(),
            "finished": dt.datetime.now(dt.UTC).isoformat(),
            "python": platform.python_version(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "backend": backend,
            "workers": workers,
            "notebooks_at_a_time": slots,
            "prepared_paths": prep,
            "early_notebooks": [s for s in EARLY if s in pages] if prep["runs"] else [],
            "elapsed_seconds": round(elapsed, 1),
            "headline_figures": int(len(precision)),
            # what the headline tables rest on: target_rse may add replications to some runs
            "headline_reps": _reps_range(precision),
            "headline_max_rse_percent": worst,
            "notebooks": {
                s: {"seconds": round(sec, 1), "cpu_seconds": round(cpu[s], 1), "settings": st}
                for s, _, sec, st in rows
            },
        }
        (tmp / "provenance.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        tables = sorted(p.stem for p in (tmp / "tables").glob("*.csv"))
        (tmp / "index.html").write_text(_index(rows, tables, meta, precision), encoding="utf-8")
        _record_files(tmp)
        check_report_out(out)  # again: the folder may have changed during the build
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except OSError as err:
        import errno

        from simlib.core.errors import write_error

        if err.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES):
            raise
        raise write_error(out, "the report", err) from None
    finally:
        os.environ.pop(REPORT_ENV, None)
        if set_paths:
            os.environ.pop(TRAJECTORY_ENV, None)
        if tmp.exists():
            shutil.rmtree(tmp)
    print(timing_table(rows, cpu, prep, elapsed, slots))
    print(_precision_line(meta, precision))
    print(f"report written to {out / 'index.html'}")
    return out / "index.html"


class NotebookFailed(RuntimeError):
    """A notebook of the report failed (the message names it and the failing cell's error)."""


def _chains(pages: list[str]) -> list[list[str]]:
    """The notebooks grouped into what runs one after the other (:data:`AFTER`), in order."""
    chains: dict[str, list[str]] = {}
    for stem in pages:
        first = AFTER.get(stem)
        if first in pages:
            chains[first].append(stem)
        else:
            chains[stem] = [stem]
    return list(chains.values())


def longest_first(jobs: list[list[tuple]], expected: dict[str, float]) -> list[list[tuple]]:
    """Chains of notebooks, the longest expected first (a notebook not listed: 60 s).

    Started in this order on ``slots`` cores, the last to finish are short ones, so the
    cores stay busy until the end (longest processing time first).
    """
    return sorted(jobs, key=lambda job: -sum(expected.get(j[0], 60.0) for j in job))


def _injected(notebook_dir: Path, stem: str, common: dict, folder: Path, backend, workers):
    """The settings injected into one notebook (its run folder relative to the notebooks)."""
    import jupytext

    nb = jupytext.read(notebook_dir / f"{stem}.py")
    # relative to the notebook's folder (the kernel's working folder), never the builder's
    # absolute path: the page shows it
    wanted = {
        **common,
        "cache": os.path.relpath(folder, notebook_dir.resolve()),
        "backend": backend,
        "workers": workers,
    }
    return settings_for(stem, declared_parameters(nb), wanted)


def _prepare(
    entries, notebook_dir: Path, common: dict, cache: Path, backend, workers, soon=()
) -> dict:
    """The :data:`PREPARE` runs (every city's baseline), in parallel over the workers.

    The cities in ``soon`` (read by the :data:`EARLY` notebooks) first, then the others.

    Returns:
        What was done: ``runs`` (city × end year), ``seconds`` and ``cpu_seconds`` (this
        process and its finished workers).
    """
    done = {"runs": [], "seconds": 0.0, "cpu_seconds": 0.0}
    if not entries:
        return done
    import jupytext

    import simlib
    from simlib.experiments import trajectories

    # every path must land on disk for the notebooks' kernels: one this process found in
    # memory (a build started from a session that ran the same dynamics) would not be
    # written (the phase runs in a process of its own: the builder keeps its memory)
    trajectories.clear_memory()
    start, cpu_start = time.perf_counter(), _own_cpu() + _children_cpu()
    for stem, end_year, with_rse in entries:
        if isinstance(end_year, str):  # the notebook's own parameter
            nb = jupytext.read(notebook_dir / f"{stem}.py")
            end_year = declared_parameters(nb)[end_year]
        for city in sorted(simlib.CITIES, key=lambda c: c not in soon):  # a stable sort
            print(f"preparing the baseline paths: {city} to {end_year}", flush=True)
            simlib.run(
                city,
                "baseline",
                sample=common["sample"],
                reps=common["reps"],
                seed=common["seed"],
                end_year=int(end_year),
                cache=cache / stem,
                backend=backend,
                workers=workers,
                target_rse=common["target_rse"] if with_rse else None,
                progress=True,
            )
            done["runs"].append(f"{city} to {end_year}")
    done["seconds"] = round(time.perf_counter() - start, 1)
    done["cpu_seconds"] = round(_own_cpu() + _children_cpu() - cpu_start, 1)
    return done


def run_side_by_side(jobs: list[list[tuple]], slots: int, first=None, early=()):
    """Execute the notebooks, ``slots`` chains at a time, each in its own process.

    A chain's notebooks run one after the other in one process; chains start in the order
    given. ``first`` (a function and its arguments: the prepared phase) runs in a process
    of its own from the start and takes one slot until it returns; meanwhile only the
    chains whose index is in ``early`` start, the others wait for it. Yields
    ``("first", what it returned)`` when it has returned and ``("row", (stem, title,
    wall s, settings, CPU s))`` as each notebook finishes. When a notebook or ``first``
    fails, the others are stopped (their kernels too) and :class:`NotebookFailed` is
    raised, naming it.
    """
    import multiprocessing
    import queue as queues

    # forked where possible: a spawned process would import the builder's modules again
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    results = ctx.Queue()
    pending = list(enumerate(jobs))
    running: dict[int, object] = {}
    gone: dict[int, int] = {}
    names = {i: job[0][0] for i, job in enumerate(jobs)}
    if first is not None:  # index -1: the prepared phase
        p = ctx.Process(target=_first_main, args=(*first, results), daemon=False)
        p.start()
        running[-1] = p
        names[-1] = "the prepared phase"
    try:
        while pending or running:
            free = slots - len(running)
            ready = [(i, job) for i, job in pending if -1 not in running or i in early]
            for i, job in ready[: max(0, free)]:
                pending.remove((i, job))
                p = ctx.Process(target=_chain_main, args=(i, job, results), daemon=False)
                p.start()
                running[i] = p
            try:
                i, kind, payload = results.get(timeout=1.0)
            except queues.Empty:
                dead = [i for i, p in running.items() if not p.is_alive() and p.exitcode != 0]
                if dead:  # its last words may still be on their way: wait up to 5 s
                    gone[dead[0]] = gone.get(dead[0], 0) + 1
                    if gone[dead[0]] > 5:
                        code = running[dead[0]].exitcode
                        raise NotebookFailed(
                            f"the process executing {names[dead[0]]} died (exit code {code})"
                        ) from None
                continue
            if kind in ("row", "first"):
                yield kind, payload
            elif kind == "done":
                running.pop(i).join()
            else:
                raise NotebookFailed(payload)
    finally:
        for p in running.values():  # stop the others: their kernels and workers too
            p.terminate()
        for p in running.values():
            p.join(30)
            if p.is_alive():
                p.kill()
        results.close()


def _first_main(fn, args, results) -> None:
    """The prepared phase's process: run ``fn(*args)``, report what it returned."""
    import sys

    try:
        results.put((-1, "first", fn(*args)))
        results.put((-1, "done", None))
    except BaseException as err:  # noqa: BLE001 - reported to the builder, which stops
        results.put((-1, "error", f"the prepared phase failed: {type(err).__name__}: {err}"))
        sys.exit(1)


def _chain_main(i: int, job: list[tuple], results) -> None:
    """A worker: execute a chain's notebooks, report each, stop its kernel when terminated."""
    import signal
    import sys

    clients: list = []

    def stop(*_):
        for client in clients:
            km = getattr(client, "km", None)
            pgid = getattr(getattr(km, "provisioner", None), "pgid", None)
            if pgid:
                try:
                    os.killpg(pgid, signal.SIGKILL)
                except OSError:
                    pass
        os._exit(1)

    signal.signal(signal.SIGTERM, stop)
    try:
        for args in job:
            results.put((i, "row", _execute_page(*args, clients=clients)))
        results.put((i, "done", None))
    except BaseException as err:  # noqa: BLE001 - reported to the builder, which stops
        text = str(err) if isinstance(err, NotebookFailed) else f"{type(err).__name__}: {err}"
        results.put((i, "error", text[:20000]))
        sys.exit(1)


def _execute_page(stem, notebook_dir, injected, tmp, pages, no_input, clients=None):
    """Execute one notebook and write its executed copy and page into the build folder."""
    import jupytext
    import nbformat
    from nbconvert import HTMLExporter

    from simlib.reporting.notebooks import execute

    start, cpu_start = time.perf_counter(), _children_cpu()
    nb = jupytext.read(Path(notebook_dir) / f"{stem}.py")
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    try:
        execute(nb, notebook_dir, parameters=injected, clients=clients)
    except Exception as err:
        import re

        text = re.sub(r"\x1b\[[0-9;]*m", "", str(err))  # the traceback's colours
        raise NotebookFailed(f"notebook {stem} failed: {text}") from None
    nbformat.write(nb, Path(tmp) / "notebooks" / f"{stem}.ipynb")
    title = page_title(nb, stem)
    exporter = HTMLExporter(exclude_input=no_input, exclude_input_prompt=no_input)
    body, _ = exporter.from_notebook_node(
        with_navigation(nb, stem, pages, no_input), resources={"metadata": {"name": title}}
    )
    (Path(tmp) / "html" / f"{stem}.html").write_text(body, encoding="utf-8")
    shown = {k: v for k, v in injected.items() if k not in ("cache", "backend", "workers")}
    return (stem, title, time.perf_counter() - start, shown, _children_cpu() - cpu_start)


def _previous_seconds(out: Path) -> dict[str, float]:
    """CPU seconds per notebook in the report a previous build wrote to ``out`` (if any)."""
    try:
        meta = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
        return {s: float(v["cpu_seconds"]) for s, v in meta["notebooks"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _own_cache(folder: Path) -> bool:
    """A report's run cache: run folders (one per notebook) and the stored paths."""
    from simlib.experiments.sweep import own_folder

    if own_folder(folder):  # a cache of the earlier layout (one run folder)
        return True
    if not folder.is_dir() or folder.is_symlink():
        return False
    return all((c.name == "trajectories" and c.is_dir()) or own_folder(c) for c in folder.iterdir())


def page_title(nb, stem: str) -> str:
    """A page's title: its first Markdown heading ("03 · Baseline projections …"), else its stem."""
    for c in nb.cells:
        if c.cell_type == "markdown" and c.source.strip():
            return c.source.strip().splitlines()[0].lstrip("# ").strip() or stem
    return stem


def with_navigation(nb, stem: str, pages: list[str], no_input: bool = False):
    """A copy of an executed notebook with links to the index and its neighbours, top and end.

    Args:
        nb: The executed notebook (left unchanged).
        stem: Its name.
        pages: Every page's name, in the report's order.
        no_input: Whether the page is rendered without code (then it says where the code is).
    """
    import copy

    import nbformat

    i = pages.index(stem)
    links = ["[↑ report index](../index.html)"]
    if i > 0:
        links.insert(0, f"[← {pages[i - 1]}]({pages[i - 1]}.html)")
    if i + 1 < len(pages):
        links.append(f"[{pages[i + 1]} →]({pages[i + 1]}.html)")
    bar = " · ".join(links)
    if no_input:
        bar += f" · code: [{stem}.ipynb](../notebooks/{stem}.ipynb)"
    out = copy.deepcopy(nb)
    out.cells.insert(0, nbformat.v4.new_markdown_cell(bar))
    out.cells.append(nbformat.v4.new_markdown_cell(bar))
    return out


def _own_cpu() -> float:
    """CPU seconds of this process."""
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _children_cpu() -> float:
    """CPU seconds of the finished child processes (notebook kernels and their workers)."""
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timing_table(rows, cpu: dict[str, float], prep=None, elapsed=None, slots: int = 1) -> str:
    """The build's time per notebook, as a Markdown table (wall and CPU seconds).

    Args:
        rows: ``(stem, title, wall seconds, settings)`` per notebook, in page order.
        cpu: CPU seconds per notebook (its kernel and the kernel's finished workers).
        prep: The prepared baseline runs (:func:`_prepare`'s record), shown as a first row.
        elapsed: Wall seconds from the start of the prepared phase (or of the first
            notebook) to the last notebook's end: they run ``slots`` at a time, the
            :data:`EARLY` ones beside the prepared phase, so less than the sum of the rows.
        slots: Notebooks run at a time (the prepared phase counting as one).

    Returns:
        The table, with a total row (and the elapsed time when given).
    """
    lines = ["| notebook | wall s | CPU s |", "|---|---:|---:|"]
    wall, total = 0.0, sum(cpu.values())
    if prep and prep.get("runs"):
        lines.append(
            f"| (baseline paths: {len(prep['runs'])} city × end-year runs) | "
            f"{prep['seconds']:.1f} | {prep['cpu_seconds']:.1f} |"
        )
        wall += prep["seconds"]
        total += prep["cpu_seconds"]
    for stem, _, sec, _ in rows:
        lines.append(f"| {stem} | {sec:.1f} | {cpu.get(stem, float('nan')):.1f} |")
    wall += sum(r[2] for r in rows)
    lines.append(f"| **total** | **{wall:.1f}** | **{total:.1f}** |")
    if elapsed is not None:
        lines.append(
            f"\nThe notebooks ran {slots} at a time, the prepared phase counting as one: "
            f"{elapsed:.1f} s of wall time from the first start to the last end, "
            f"{total / elapsed if elapsed else 0:.2f} cores busy on average."
        )
    return "\n".join(lines)


def _reps_range(precision: pd.DataFrame) -> list[int] | None:
    """Fewest and most replications behind the headline figures (None if not recorded)."""
    if "reps" not in precision.columns or precision["reps"].isna().all():
        return None
    return [int(precision["reps"].min()), int(precision["reps"].max())]


def _precision_line(meta: dict, precision: pd.DataFrame) -> str:
    """The headline figures' precision, against the build's own aim.

    The aim is the build's ``target_rse``, else the :data:`FULL` one.
    """
    if not len(precision):
        return "no headline table was saved"
    top = precision.iloc[0]
    aim = 100 * (meta.get("target_rse") or FULL["target_rse"])
    verdict = "within" if meta["headline_max_rse_percent"] <= aim else "ABOVE"
    lo, hi = meta.get("headline_reps") or (meta["reps"], meta["reps"])
    reps = f"{lo}" if lo == hi else f"{lo}–{hi}"
    return (
        f"{meta['headline_figures']} headline figures at sample {meta['sample']}, "
        f"{reps} reps: largest Monte-Carlo RSE {100 * top['rse']:.2f} % "
        f"({top.get('measure', '')}, {top.get('year', '')}, {top['table']}), {verdict} the "
        f"{aim:g} % aim"
    )


def _index(rows, tables: list[str], meta: dict, precision: pd.DataFrame) -> str:
    items = "\n".join(
        f'<li><a href="html/{s}.html">{html.escape(t)}</a> '
        f'(<a href="notebooks/{s}.ipynb">ipynb</a>, {sec:.0f} s; '
        f"{html.escape(', '.join(f'{k} {v}' for k, v in st.items()))})</li>"
        for s, t, sec, st in rows
    )
    tabs = "\n".join(f'<li><a href="tables/{t}.csv">{t}.csv</a></li>' for t in tables)
    settings = "\n".join(
        f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(str(meta[k]))}</td></tr>"
        for k in (
            "sample",
            "reps",
            "target_rse",
            "headline_reps",
            "seed",
            "simlib_version",
            "params_sha256",
            "started",
            "finished",
            "machine",
        )
    )
    worst = precision.head(5)
    prec = "\n".join(
        f"<tr><td>{html.escape(str(r.get('table', '')))}</td>"
        f"<td>{html.escape(str(r.get('measure', '')))}</td><td>{r.get('year', '')}</td>"
        f"<td>{100 * r['rse']:.2f} %</td></tr>"
        for _, r in worst.iterrows()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>simlib report</title>
<style>body{{font-family:sans-serif;max-width:54em;margin:2em auto;line-height:1.5}}
td{{padding:0 1em 0 0}}</style>
</head><body>
<h1>simlib report — basic elderly care service systems of five cities</h1>
<p>Every notebook executed with the settings below injected into its parameters cell.
Every table and figure states the sample, replications and seed it rests on; prose
numbers are computed by the notebooks. Items trace to the service lists in
<code>params/</code>.</p>
<h2>Settings</h2><table>{settings}</table>
<h2>Precision of the headline figures</h2>
<p>{html.escape(_precision_line(meta, precision))}. Largest relative standard errors:</p>
<table><tr><th>table</th><th>measure</th><th>year</th><th>RSE</th></tr>{prec}</table>
<h2>Notebooks</h2><ol>{items}</ol>
<h2>Result tables</h2><ul>{tabs}</ul>
</body></html>
"""


#: The least free space (bytes) a report build needs next to its folder (a full-scale
#: report with its figures and executed notebooks takes about 20 MiB).
REPORT_MIN_FREE = 64 << 20

#: The record of what a build wrote into a report folder: only those files may be replaced.
OWN_RECORD = ".simlib-report.json"


def _files(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if not p.is_dir() or p.is_symlink()
    )


def _record_files(folder: Path) -> None:
    """Write :data:`OWN_RECORD`: every file the build wrote (with a checksum)."""
    from simlib.experiments.sweep import sealed

    record = sealed({"files": [f for f in _files(folder) if f != OWN_RECORD]})
    (folder / OWN_RECORD).write_text(json.dumps(record, indent=1), encoding="utf-8")


def check_report_out(out: str | Path) -> Path:
    """A report folder that a build may write, checked before any work.

    ``out`` may be absent, an empty folder, or a report a build wrote (every file in it is
    one :data:`OWN_RECORD` lists): a build never deletes a file it did not write.

    Args:
        out: The report folder.

    Returns:
        ``out``, resolved.

    Raises:
        ParamError: If ``out`` is a file, holds files a report did not write, or it (or the
            folder it would be made in) is not writable or has too little free space.
    """
    from simlib.core.errors import ParamError
    from simlib.experiments.sweep import check_free, check_out_dir, intact

    out = Path(out).resolve()
    check_out_dir(out, create=False)
    parent = out.parent
    while not parent.exists():
        parent = parent.parent
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ParamError(f"--out {out}: cannot write in {parent} (permission denied)")
    check_free(out, REPORT_MIN_FREE)
    if out.is_dir() and any(out.iterdir()):
        try:
            record = json.loads((out / OWN_RECORD).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = None
        listed = set(record["files"]) if intact(record) and "files" in record else set()
        foreign = [f for f in _files(out) if f != OWN_RECORD and f not in listed]
        if foreign:
            shown = ", ".join(foreign[:3]) + (" …" if len(foreign) > 3 else "")
            raise ParamError(
                f"--out {out}: holds files a report build did not write ({shown}); a build "
                "replaces the whole folder, so move them or choose another --out"
            )
    return out

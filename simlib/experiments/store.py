"""Runs on disk: written atomically with the manifest last, never overwritten silently, read back.

A run folder holds ``summary.parquet`` / ``summary.csv`` (value, lower, upper, se, reps),
``reps.parquet`` (every replication) and ``manifest.json`` (what was run: spec, simlib
version, params hash, the scenario's full content and hash, times). It is written under a
temporary name (manifest last) and renamed into place, so a killed write never looks
complete; an existing run is replaced only with ``overwrite=True``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import pandas as pd

from simlib.core.errors import ParamError
from simlib.core.paths import portable
from simlib.experiments.sweep import check_out_dir


def run_name(meta: dict) -> str:
    """Folder name of a run: ``<city>_<scenario>[_list-…][_proc-…][_by-…]_seed<seed>``.

    ``_list-<city>`` names a transferred list, ``_by-<groups>`` the groupings of persons.

    A run with experimental processes gets a ``_proc-`` part (a hash of their references),
    so its folder never replaces or passes for the default model's.
    """
    scen = Path(str(meta["scenario"])).stem
    name = f"{meta['city']}_{scen}"
    if meta.get("list_city") and meta["list_city"] != meta["city"]:
        name += f"_list-{meta['list_city']}"
    if meta.get("processes"):
        import hashlib

        name += f"_proc-{hashlib.sha256(str(meta['processes']).encode()).hexdigest()[:8]}"
    if meta.get("groups"):  # a run kept by groups of persons is another table
        name += "_by-" + "-".join(meta["groups"])
    return name + f"_seed{meta['seed']}"


def save(result, out: str | Path, overwrite: bool = False) -> Path:
    """Write a run into ``out/<run_name>/`` (:func:`write_run`); ``simlib.save(res, "results")``."""
    return write_run(result, out, overwrite)


def write_run(result, out: str | Path, overwrite: bool = False) -> Path:
    """Write a run into ``out/<run_name>/`` (see the module docstring).

    Args:
        result: A :class:`~simlib.experiments.result.Result`.
        out: Parent folder.
        overwrite: Replace an existing run of the same name.

    Returns:
        The run folder.

    Raises:
        ParamError: If the run exists and ``overwrite`` is False.
    """
    out = check_out_dir(out)
    name = run_name(result.meta)
    final = out / name
    if final.exists() and not overwrite:
        old = _manifest_line(final)
        raise ParamError(f"{final} exists ({old}); use another --out, or --overwrite to replace it")
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=out))
    try:
        result.table.to_parquet(tmp / "summary.parquet", index=False)
        result.table.to_csv(tmp / "summary.csv", index=False)
        result.reps.to_parquet(tmp / "reps.parquet", index=False)
        manifest = {**result.meta}  # paths relative to the project or ~ (core.paths)
        if result.inputs is not None:
            manifest["inputs"] = result.inputs.manifest()
        (tmp / "manifest.json").write_text(
            json.dumps(portable(manifest), indent=2, ensure_ascii=False, default=str),
            encoding="utf-8",
        )
        if final.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".old-{name}-", dir=out))
            os.replace(final, trash / name)
            os.replace(tmp, final)
            shutil.rmtree(trash)
        else:
            os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return final


def _manifest_line(folder: Path) -> str:
    try:
        m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        return f"sample {m.get('sample')}, {m.get('reps')} reps, made {m.get('finished', '?')}"
    except (OSError, ValueError):
        return "no readable manifest"


def load_results(path: str | Path):
    """Read a run folder or a sweep folder back into results.

    Args:
        path: A run folder (``manifest.json`` + ``reps.parquet``) or a sweep folder.

    Returns:
        A :class:`~simlib.experiments.result.Result` for a run folder, or for a sweep folder
        holding one (city, scenario, list, sample, seed, end year); otherwise a dict of
        label → Result. Each result keeps its inputs when the params it was made with are
        still the ones on disk (else ``inputs`` is None, with a warning).

    Raises:
        ParamError: If the folder is neither.
    """
    from simlib.experiments.result import Result
    from simlib.outcomes.groups import GROUPINGS

    path = Path(path)
    if (path / "manifest.json").is_file() and (path / "reps.parquet").is_file():
        meta = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        rows = pd.read_parquet(path / "reps.parquet")
        return Result.from_reps(rows, meta, _inputs(meta))
    if (path / "_sweep.json").is_file():
        from simlib.experiments.sweep import load

        rows = load(path)
        if rows.empty:
            raise ParamError(f"{path}: the sweep holds no finished run")
        keys = ["city", "scenario", "list_city", "sample", "seed", "end_year", "overrides"]
        out = {}
        for k, g in rows.groupby(keys, sort=True):
            meta = dict(zip(keys, k, strict=True))
            meta["reps"] = int(g["rep"].nunique())
            meta["simlib_version"] = str(g["simlib_version"].iloc[0])
            meta["params_sha256"] = str(g["params_sha256"].iloc[0])
            label = f"{meta['city']}·{Path(str(meta['scenario'])).stem}·list {meta['list_city']}"
            if meta["overrides"] != "{}":
                label += f"·{meta['overrides']}"
            groups = [c for c in GROUPINGS if c in g.columns and g[c].notna().any()]
            body = g[["year", "city", "county", *groups, "item_id", "measure", "value", "rep"]]
            out[label] = Result.from_reps(body.reset_index(drop=True), meta, _inputs(meta))
        return next(iter(out.values())) if len(out) == 1 else out
    raise ParamError(f"{path}: not a run folder (manifest.json + reps.parquet) or a sweep folder")


def _inputs(meta: dict):
    """The run's inputs if the params on disk are still those it used, else None."""
    from simlib.params import load_inputs

    recorded = meta.get("params_sha256") or (meta.get("inputs") or {}).get("params_sha256")
    scen = (meta.get("inputs") or {}).get("scenario", {}).get("content") or meta.get("scenario")
    try:
        inputs = load_inputs(
            meta["city"],
            scen,
            list_city=meta.get("list_city"),
            params_dir=meta.get("params_dir"),
        )
    except ParamError as err:
        warnings.warn(f"cannot reload this run's inputs ({err})", UserWarning, stacklevel=3)
        return None
    if recorded and inputs.params_hash != recorded:
        warnings.warn(
            "the params changed since this run was made; its rows are read as stored, but "
            "outputs that need its parameters (targets, departments) are unavailable",
            UserWarning,
            stacklevel=3,
        )
        return None
    return inputs

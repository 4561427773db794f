"""Runs on disk: written atomically with the manifest last, never overwritten silently, read back.

A run folder holds ``summary.parquet`` / ``summary.csv`` (value, lower, upper, se, reps),
``reps.parquet`` (every replication) and ``manifest.json`` (what was run: spec, simlib
version, params hash, the scenario's full content and hash, times, the SHA-256 of each
file, and a checksum of the manifest itself). It is written under a temporary name
(manifest last) and renamed into place, so a killed write or a full disk never leaves a
half-written run; an existing run is replaced only with ``overwrite=True``, and only if the
folder holds nothing but what simlib wrote there. :func:`load_results` verifies every
checksum and refuses a damaged, edited or partial store, naming the file and the run.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import pandas as pd

from simlib.core.errors import ParamError, StoreError, write_error
from simlib.core.paths import portable
from simlib.core.spreadsheet import safe_frame
from simlib.experiments.sweep import check_out_dir, file_sha256, intact, sealed

#: The files of a run folder (all written by :func:`write_run`).
RUN_FILES = ("summary.parquet", "summary.csv", "reps.parquet", "manifest.json")


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
    if final.exists():
        check_own(final, RUN_FILES, "a run folder")
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=out))
    try:
        result.table.to_parquet(tmp / "summary.parquet", index=False)
        safe_frame(result.table).to_csv(tmp / "summary.csv", index=False)
        result.reps.to_parquet(tmp / "reps.parquet", index=False)
        manifest = {**result.meta}  # paths relative to the project or ~ (core.paths)
        if result.inputs is not None:
            manifest["inputs"] = result.inputs.manifest()
        manifest = portable(manifest)
        manifest["files"] = {f: file_sha256(tmp / f) for f in RUN_FILES[:3]}
        (tmp / "manifest.json").write_text(
            json.dumps(sealed(manifest), indent=2, ensure_ascii=False, default=str),
            encoding="utf-8",
        )
        if final.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".old-{name}-", dir=out))
            os.replace(final, trash / name)
            os.replace(tmp, final)
            shutil.rmtree(trash)
        else:
            os.replace(tmp, final)
    except OSError as err:
        raise write_error(out, f"run {name}", err) from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return final


def check_own(folder: Path, names, what: str) -> None:
    """Refuse to replace ``folder`` if it holds anything but ``names`` (what simlib wrote).

    Raises:
        ParamError: Naming the folder and the first few files simlib did not write.
    """
    others = sorted(p.name for p in folder.iterdir() if p.name not in names)
    if others:
        shown = ", ".join(others[:3]) + (" …" if len(others) > 3 else "")
        raise ParamError(
            f"{folder}: holds files simlib did not write ({shown}); it is not {what} simlib "
            "can replace. Move them, or choose another --out"
        )


def _manifest_line(folder: Path) -> str:
    try:
        m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        return f"sample {m.get('sample')}, {m.get('reps')} reps, made {m.get('finished', '?')}"
    except (OSError, ValueError):
        return "no readable manifest"


def load_results(path: str | Path, partial: bool = False):
    """Read a run folder or a sweep folder back into results, verifying every checksum.

    Args:
        path: A run folder (``manifest.json`` + ``reps.parquet``) or a sweep folder.
        partial: For a sweep folder, return the runs that are complete (with a warning
            naming the others) instead of refusing a store with runs planned but not
            finished, damaged or missing.

    Returns:
        A :class:`~simlib.experiments.result.Result` for a run folder, or for a sweep folder
        holding one run group (city, scenario content, list, sample, seed, end year,
        overrides); otherwise a dict of label → Result (labels unique; two scenarios with
        one name are told apart by their content hash). Each result keeps its inputs when
        the params it was made with are still the ones on disk (else ``inputs`` is None,
        with a warning).

    Raises:
        StoreError: If a file is damaged, edited or missing (naming the file and the run),
            or a sweep is partial and ``partial`` is False.
        ParamError: If the folder is neither.
    """
    from simlib.experiments.result import Result
    from simlib.outcomes.groups import GROUPINGS

    path = Path(path)
    if (path / "manifest.json").is_file() and (path / "reps.parquet").is_file():
        meta = _verified_manifest(path)
        try:
            rows = pd.read_parquet(path / "reps.parquet")
        except Exception as err:  # noqa: BLE001 - pyarrow raises its own kinds
            raise StoreError(f"{path / 'reps.parquet'}: unreadable ({err})") from None
        cities = set(rows["city"].astype(str)) if "city" in rows else set()
        if cities != {str(meta.get("city"))}:
            raise StoreError(
                f"{path / 'manifest.json'}: city {meta.get('city')!r} does not match the "
                f"rows' {sorted(cities)}"
            )
        return Result.from_reps(rows, meta, _inputs(meta))
    if (path / "_sweep.json").is_file():
        from simlib.experiments.sweep import _identity, load, verify

        _identity(path)
        _, problems = verify(path)
        if problems:
            listed = "; ".join(f"{f} (run {rid}: {what})" for f, rid, what in problems[:3])
            more = f" and {len(problems) - 3} more" if len(problems) > 3 else ""
            if not partial:
                raise StoreError(
                    f"{path}: {len(problems)} runs are not complete: {listed}{more}; run the "
                    "sweep again to redo them, or load_results(partial=True) for the others"
                )
            warnings.warn(
                f"{path}: {len(problems)} runs left out: {listed}{more}", UserWarning, stacklevel=2
            )
        rows = load(path)
        if rows.empty:
            raise ParamError(f"{path}: the sweep holds no finished run")
        keys = ["city", "scenario", "list_city", "sample", "seed", "end_year", "overrides"]
        keys += ["processes"] if "processes" in rows else []
        ident = ["scenario_sha256", "params_sha256", "simlib_version"]
        for k in ident:
            if k not in rows:
                rows[k] = ""
        parts = list(rows.groupby(keys + ident, sort=True))
        labels = [_label(dict(zip(keys, k, strict=False))) for k, _ in parts]
        out = {}
        for (k, g), label in zip(parts, labels, strict=True):
            meta = dict(zip(keys + ident, k, strict=True))
            if labels.count(label) > 1:  # one name, different content: say which
                label += f"·{meta['scenario']}·{str(meta['scenario_sha256'])[:8]}"
            meta["reps"] = int(g["rep"].nunique())
            spec = _spec_of(path, str(g["run_id"].iloc[0]))
            meta.update({k: spec.get(k) for k in ("scenario_content", "params_dir")})
            by = [c for c in GROUPINGS if c in g.columns and g[c].notna().any()]
            body = g[["year", "city", "county", *by, "item_id", "measure", "value", "rep"]]
            out[label] = Result.from_reps(body.reset_index(drop=True), meta, _inputs(meta))
        return next(iter(out.values())) if len(out) == 1 else out
    raise ParamError(f"{path}: not a run folder (manifest.json + reps.parquet) or a sweep folder")


def _spec_of(path: Path, rid: str) -> dict:
    """The spec a sweep folder recorded for run ``rid`` (verified before)."""
    from simlib.experiments.sweep import _read_record, _spec_file

    return (_read_record(_spec_file(path, rid)) or {}).get("spec") or {}


def _label(meta: dict) -> str:
    label = f"{meta['city']}·{Path(str(meta['scenario'])).stem}·list {meta['list_city']}"
    if meta["overrides"] != "{}":
        label += f"·{meta['overrides']}"
    return label


def _verified_manifest(path: Path) -> dict:
    """A run folder's manifest, checked: readable, unedited, its files as recorded."""
    mf = path / "manifest.json"
    try:
        meta = json.loads(mf.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise StoreError(f"{mf}: damaged, not readable JSON ({err})") from None
    if not isinstance(meta, dict):
        raise StoreError(f"{mf}: damaged, not a manifest")
    if "checksum" in meta or "files" in meta:  # runs written before checksums have neither
        if not intact(meta):
            raise StoreError(f"{mf}: edited or damaged (its checksum does not match)")
        for name, digest in (meta.get("files") or {}).items():
            f = path / name
            if not f.is_file():
                raise StoreError(f"{f}: missing (run {path.name})")
            if file_sha256(f) != digest:
                raise StoreError(f"{f}: damaged (checksum mismatch; run {path.name})")
    meta.pop("checksum", None)
    meta.pop("files", None)
    from simlib.params import read_tree
    from simlib.params.tree import check_city

    try:
        check_city(meta.get("city"), read_tree(meta.get("params_dir")))
    except ParamError as err:
        raise StoreError(f"{mf}: {err}") from None
    return meta


def _inputs(meta: dict):
    """The run's inputs if the params on disk are still those it used, else None."""
    from simlib.params import load_inputs

    recorded = meta.get("params_sha256") or (meta.get("inputs") or {}).get("params_sha256")
    scen = (meta.get("inputs") or {}).get("scenario", {}).get("content") or meta.get("scenario")
    if meta.get("scenario_content"):  # the scenario as run (derived take-up paths included)
        scen = json.loads(meta["scenario_content"])
    over = meta.get("overrides") or {}
    try:
        inputs = load_inputs(
            meta["city"],
            scen,
            list_city=meta.get("list_city"),
            params_dir=meta.get("params_dir"),
            overrides=json.loads(over) if isinstance(over, str) else dict(over),
        )
    except (ParamError, ValueError) as err:
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

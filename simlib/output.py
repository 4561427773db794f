"""Writing results to disk: Parquet and CSV plus a manifest, atomically."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import simlib
from simlib.params import PARAMS_DIR


def params_hash(params_dir: Path = PARAMS_DIR) -> str:
    """SHA-256 over every file under ``params/`` (path and bytes), in sorted order."""
    h = hashlib.sha256()
    for p in sorted(params_dir.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(params_dir)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def write_run(result, out: str | Path) -> Path:
    """Write a run into ``out/<city>_<scenario>_seed<seed>/``.

    Files: ``summary.parquet`` and ``.csv`` (value, lower, upper), ``reps.parquet`` (every
    replication) and ``manifest.json`` (simlib version, params hash, scenario, seed, sample,
    reps, start and end times). The folder is written under a temporary name and renamed
    when complete, so an interrupted write leaves nothing half-written.

    Returns:
        The run folder.
    """
    m = result.meta
    name = f"{m['city']}_{m['scenario']}"
    if m.get("list_city") and m["list_city"] != m["city"]:
        name += f"_list-{m['list_city']}"
    name += f"_seed{m['seed']}"
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    final = out / name
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=out))
    try:
        result.table.to_parquet(tmp / "summary.parquet", index=False)
        result.table.to_csv(tmp / "summary.csv", index=False)
        result.reps.to_parquet(tmp / "reps.parquet", index=False)
        manifest = {**m, "simlib_version": simlib.__version__, "params_sha256": params_hash()}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return final

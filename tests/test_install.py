"""The wheel installs into a fresh virtual environment and works there, away from the repo.

Issue #15: a package that installs and works anywhere. The test builds the wheel from a copy
of the sources, creates a new venv in a temporary folder (no ``--system-site-packages``: the
dependencies are installed from the package index, so pyproject's dependency list is tested
too), installs the wheel, and runs the common tasks from an empty folder. The parameters
must then come from ``simlib/data`` inside the installed package, not from ``params/``.

The new venv is made and the wheel installed with uv when this environment has it (``make``
installs with it: the same resolution from the same index, hard-linked out of uv's cache in
a few seconds where pip took some 30 s), else with pip. Deselect it with ``-m "not install"``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.install

#: What the installed package must do, run from an empty folder in the new venv.
CHECK = r"""
import json, sys
from pathlib import Path
import simlib
from simlib.params.tree import default_params_dir

pkg = Path(simlib.__file__).resolve().parent
data = default_params_dir().resolve()
cat = simlib.catalogue()
ex = simlib.explain("datong", {"age": 85, "assistance": "低保"}, 2025)
res = simlib.run("xiaoyi", sample=0.01, end_year=2022)
print(json.dumps({
    "prefix": str(Path(sys.prefix).resolve()),
    "package": str(pkg),
    "params": str(data),
    "catalogue_rows": len(cat),
    "catalogue_cities": sorted(set(cat["city"])),
    "catalogue_zh": cat["name_zh"].iloc[0],
    "explain_rows": len(ex),
    "explain_text": str(ex),
    "run_rows": len(res.table),
    "run_years": sorted(int(y) for y in set(res.table["year"])),
}, ensure_ascii=False))
"""


def _env() -> dict[str, str]:
    """The environment for the new venv's processes: nothing pointing back at the repo."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONNOUSERSITE"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def _run(args, cwd: Path, timeout: float) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
    )
    assert proc.returncode == 0, (
        f"{' '.join(map(str, args))} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n"
        f"{proc.stderr[-3000:]}"
    )
    return proc


def _sources(dest: Path) -> Path:
    """A copy of what pyproject.toml builds from, so no build/ or egg-info lands in the repo.

    That is pyproject.toml, the readme and license files, and the folders the packages
    come from (``simlib/``, and ``params/`` for ``simlib.data``).
    """
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project, tool = pyproject["project"], pyproject["tool"]["setuptools"]
    files = ["pyproject.toml", project["readme"], *project.get("license-files", [])]
    folders = {p.split(".")[0] for p in tool["packages"]} | set(tool["package-dir"].values())
    folders = {f for f in folders if (ROOT / f).is_dir()}
    dest.mkdir()
    for name in files:
        shutil.copy2(ROOT / name, dest / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")
    for folder in sorted(folders):
        shutil.copytree(ROOT / folder, dest / folder, ignore=ignore)
    return dest


def _build_wheel(src: Path, out: Path) -> Path:
    # Offline with the setuptools of this environment when it is recent enough (dev extra);
    # otherwise pip fetches the build requirements into an isolated build environment.
    offline = int(version("setuptools").split(".")[0]) >= 77
    args = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", out, src]
    if offline:
        args.insert(4, "--no-build-isolation")
    _run(args, cwd=src, timeout=300)
    (wheel,) = out.glob("simlib-*.whl")
    return wheel


def _bin(venv: Path, name: str) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / name


def test_wheel_installs_and_runs_outside_the_repository(tmp_path):
    t0 = time.perf_counter()
    wheel = _build_wheel(_sources(tmp_path / "src"), tmp_path / "dist")

    # The wheel carries every params file as simlib/data/…
    names = set(zipfile.ZipFile(wheel).namelist())
    params = ROOT / "params"
    for p in params.rglob("*"):
        if p.is_file() and not p.name.startswith("."):
            rel = p.relative_to(params).as_posix()
            assert f"simlib/data/{rel}" in names, f"params/{rel} is not in the wheel"
    assert not any(n.startswith(("params/", "tests/", "notebooks/")) for n in names)

    venv = tmp_path / "venv"
    python = _bin(venv, "python")
    if importlib.util.find_spec("uv") is not None:
        _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path, timeout=120)
        uv = [sys.executable, "-m", "uv", "pip", "install", "--quiet", "--python", python]
        _run([*uv, wheel], cwd=tmp_path, timeout=600)
    else:
        _run([sys.executable, "-m", "venv", venv], cwd=tmp_path, timeout=120)
        _run([python, "-m", "pip", "install", "--quiet", wheel], cwd=tmp_path, timeout=600)
    installed = time.perf_counter() - t0

    work = tmp_path / "work"
    work.mkdir()
    out = json.loads(_run([python, "-c", CHECK], cwd=work, timeout=300).stdout.splitlines()[-1])
    prefix, package, data = Path(out["prefix"]), Path(out["package"]), Path(out["params"])
    assert package.is_relative_to(prefix), f"simlib imported from {package}, not the new venv"
    assert not package.is_relative_to(ROOT)
    assert data == package / "data", f"params read from {data}, not the installed package"
    assert (data / "cities" / "datong.yaml").is_file()
    assert out["catalogue_rows"] > 100
    assert out["catalogue_cities"] == ["changzhi", "datong", "jincheng", "puyang", "xiaoyi"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in out["catalogue_zh"])
    assert out["explain_rows"] > 0 and "大同" in out["explain_text"]
    assert out["run_rows"] > 0 and out["run_years"][-1] == 2022

    # The command line, both as `python -m simlib` and as the installed `simlib` script.
    listing = _run([python, "-m", "simlib", "list"], cwd=work, timeout=120).stdout
    assert "datong" in listing and "baseline" in listing
    script = _run([_bin(venv, "simlib"), "--help"], cwd=work, timeout=120).stdout
    assert "usage" in script.lower()

    took = time.perf_counter() - t0
    print(f"build + venv + install {installed:.1f} s; whole test {took:.1f} s")

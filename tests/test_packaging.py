"""The project's own files: dependency lists agree, notebooks match their twins, docs are true.

Also: the wheel's package list and data (issue #15), ``import simlib`` staying light, and the
Excel, Stata and CSV exports of every table simlib returns.
"""

import datetime
import functools
import json
import re
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import simlib
from simlib.core import people
from simlib.reporting import export
from simlib.reporting.notebooks import out_of_sync, pairs

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _spec(s: str) -> tuple[str, str]:
    m = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(\[[^\]]*\])?\s*(.*)", s)
    return m.group(1).lower().replace("_", "-"), m.group(3).replace(" ", "")


def _extra(name: str, seen: tuple[str, ...] = ()) -> dict[str, str]:
    """An extra's requirements, with ``simlib[a,b]`` self-references expanded."""
    out = {}
    for s in PYPROJECT["project"]["optional-dependencies"][name]:
        m = re.match(r"\s*simlib\s*\[([^\]]*)\]", s)
        if m:
            for sub in m.group(1).split(","):
                assert sub.strip() not in (*seen, name), f"extras {name} and {sub} refer in a loop"
                out.update(_extra(sub.strip(), (*seen, name)))
        else:
            out.update([_spec(s)])
    return out


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = PYPROJECT["project"]
    pip = dict(_spec(s) for s in project["dependencies"])
    for extra in project["optional-dependencies"]:
        pip.update(_extra(extra))
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = dict(_spec(s) for s in env["dependencies"] if isinstance(s, str))
    conda.pop("pip")
    (pip_section,) = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    conda.update(_spec(s) for s in pip_section if not s.startswith("-"))
    assert "-e ." in pip_section, "environment.yml must install simlib itself (pip: -e .)"
    assert not any(s.startswith("--no-deps") for s in pip_section), "pip rejects it in a list"
    assert conda.pop("python") == ">=" + project["requires-python"].removeprefix(">=")
    assert conda == pip


def test_every_dependency_is_bounded_and_dev_holds_every_extra():
    project = PYPROJECT["project"]
    extras = project["optional-dependencies"]
    specs = [*project["dependencies"], *(s for e in extras.values() for s in e)]
    for s in specs:
        if s.startswith("simlib["):
            continue
        name, bounds = _spec(s)
        assert ">=" in bounds, f"{s}: no lower bound"
        if name != "setuptools":  # a build tool: any newer release builds the wheel
            assert "<" in bounds, f"{s}: no upper bound"
    dev = _extra("dev")
    for extra in extras:
        assert _extra(extra).items() <= dev.items(), f"dev lacks the extra {extra}"


def test_pyproject_lists_every_package_of_simlib():
    tool = PYPROJECT["tool"]["setuptools"]
    listed = set(tool["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "simlib").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert listed - found == {"simlib.data"}, "pyproject.toml lists packages that do not exist"
    assert tool["package-dir"]["simlib.data"] == "params"
    assert not (ROOT / "simlib" / "data").exists(), "simlib/data would shadow params/"


def test_package_data_carries_every_params_file():
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["simlib.data"]
    params = ROOT / "params"
    shipped = {p for pat in patterns for p in params.glob(pat) if p.is_file()}
    every = {p for p in params.rglob("*") if p.is_file() and not p.name.startswith(".")}
    missing = sorted(str(p.relative_to(params)) for p in every - shipped)
    assert missing == [], "add their suffixes to package-data of simlib.data in pyproject.toml"


def test_editable_checkout_reads_the_repository_params():
    from simlib.params.tree import default_params_dir

    if Path(simlib.__file__).resolve().parent != ROOT / "simlib":
        pytest.skip("simlib is not imported from this checkout")
    assert default_params_dir().resolve() == ROOT / "params"


# ------------------------------------------------------------------ import cost

#: Packages that `import simlib` and `python -m simlib --help` must not load.
HEAVY = ("matplotlib", "seaborn", "scipy", "dask", "distributed", "SALib", "mesa", "pyarrow")
_LOADED = (
    "import json, sys\n"
    f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))"
)


def _loaded_after(code: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\n" + _LOADED],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_import_simlib_loads_no_heavy_package():
    assert _loaded_after("import simlib") == []


def test_cli_help_loads_no_heavy_package():
    code = (
        "import runpy, sys\n"
        "sys.argv = ['simlib', '--help']\n"
        "try:\n"
        "    runpy.run_module('simlib', run_name='__main__', alter_sys=True)\n"
        "except SystemExit as e:\n"
        "    assert e.code in (0, None), e.code\n"
    )
    assert _loaded_after(code) == []


# ------------------------------------------------------------------ exports

CJK = re.compile(r"[\u4e00-\u9fff]")


@functools.cache
def _result():
    return simlib.run("xiaoyi", sample=0.01, end_year=2025)


def _totals() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # one replication: no interval
        return _result().totals("cost_yuan")


#: Every kind of table simlib returns, built on first use (one failing does not hide others).
TABLES = {
    "catalogue": lambda: simlib.catalogue(),
    "explain": lambda: simlib.explain("datong", {"age": 85}, 2025),
    "run_table": lambda: _result().table,
    "run_totals": _totals,
    "standards": lambda: simlib.standards(2025),
}


@functools.cache
def _table(name: str) -> pd.DataFrame:
    return TABLES[name]()


def _text(v) -> str:
    """A cell as the exports write text: missing → "", containers → JSON."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return ""
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, sort_keys=True)
    return str(v)


def _assert_round_trip(orig: pd.DataFrame, back: pd.DataFrame, names: dict | None = None):
    orig = pd.DataFrame(orig)
    assert len(back) == len(orig)
    names = names or {c: c for c in orig.columns}
    assert list(back.columns) == [names[c] for c in orig.columns]
    for col in orig.columns:
        o, b = orig[col], back[names[col]]
        if pd.api.types.is_bool_dtype(o):
            assert b.astype(int).tolist() == o.astype(int).tolist(), col
        elif pd.api.types.is_numeric_dtype(o):
            np.testing.assert_allclose(b.astype(float), o.astype(float), equal_nan=True)
        elif pd.api.types.is_datetime64_any_dtype(o):
            assert pd.to_datetime(b).tolist() == o.tolist(), col
        else:
            assert [_text(v) for v in b] == [_text(v) for v in o], col


def _text_columns(df: pd.DataFrame) -> dict[str, type]:
    return {
        c: str
        for c in df.columns
        if not pd.api.types.is_numeric_dtype(df[c])
        and not pd.api.types.is_datetime64_any_dtype(df[c])
    }


def _check_chinese(name: str, orig: pd.DataFrame, back: pd.DataFrame, names=None):
    zh = [c for c in orig.columns if orig[c].map(lambda v: bool(CJK.search(_text(v)))).any()]
    if name in ("catalogue", "explain", "standards"):
        assert zh, f"{name}: expected Chinese text to check"
    for c in zh:
        assert back[(names or {}).get(c, c)].map(_text).tolist() == orig[c].map(_text).tolist()


@pytest.mark.parametrize("name", list(TABLES))
def test_to_csv_round_trips_every_table(name, tmp_path):
    orig = _table(name)
    p = export.to_csv(orig, tmp_path / f"{name}.csv")
    assert not p.read_bytes().startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(p, dtype=_text_columns(orig), keep_default_na=False, na_values=[""])
    _assert_round_trip(orig, back)
    _check_chinese(name, orig, back)
    q = export.to_csv(orig, tmp_path / f"{name}_excel.csv", excel=True)
    assert q.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with a BOM
    _assert_round_trip(orig, pd.read_csv(q, encoding="utf-8-sig", dtype=_text_columns(orig)))


@pytest.mark.parametrize("name", list(TABLES))
def test_to_stata_round_trips_every_table(name, tmp_path):
    orig = _table(name)
    p = export.to_stata(orig, tmp_path / f"{name}.dta")
    assert p.read_bytes()[:50].startswith(b"<stata_dta><header><release>118</release>")
    back = pd.read_stata(p, convert_categoricals=False)
    names = export.stata_names(orig.columns)
    _assert_round_trip(orig, back, names)
    _check_chinese(name, orig, back, names)


def test_to_stata_makes_names_valid_and_keeps_them_as_labels(tmp_path):
    df = pd.DataFrame(
        {
            "指标": ["人口"],
            "a b": [1],
            "1x": [True],
            "x" * 40: [1.5],
            "long": [2],
            "when": [datetime.date(2025, 1, 1)],
        }
    )
    p = export.to_stata(df, tmp_path / "t.dta", data_label="导出测试")
    with pd.io.stata.StataReader(p) as reader:
        back = reader.read()
        labels = reader.variable_labels()
        assert reader.data_label == "导出测试"
    assert list(back.columns) == ["v1", "a_b", "_1x", "x" * 32, "long_", "when"]
    assert labels["v1"] == "指标" and labels["a_b"] == "a b" and labels["x" * 32] == "x" * 40
    assert back["v1"].tolist() == ["人口"] and back["_1x"].tolist() == [1]
    assert back["when"].tolist() == [pd.Timestamp("2025-01-01")]


@pytest.mark.parametrize("name", list(TABLES))
def test_to_excel_round_trips_every_table(name, tmp_path):
    pytest.importorskip("openpyxl")
    orig = _table(name)
    p = export.to_excel(orig, tmp_path / f"{name}.xlsx")
    back = pd.read_excel(p, engine="openpyxl", dtype=_text_columns(orig))
    _assert_round_trip(orig, back)
    _check_chinese(name, orig, back)


def test_to_excel_writes_one_sheet_per_table(tmp_path):
    pytest.importorskip("openpyxl")
    some = {name: _table(name) for name in ("catalogue", "explain", "standards")}
    p = export.to_excel({"清单/catalogue": some["catalogue"], **some}, tmp_path / "all.xlsx")
    sheets = pd.read_excel(p, sheet_name=None, engine="openpyxl")
    assert list(sheets) == ["清单_catalogue", *some]
    assert sheets["清单_catalogue"]["name_zh"].tolist() == some["catalogue"]["name_zh"].tolist()
    assert sheets["standards"]["person_zh"].tolist() == some["standards"]["person_zh"].tolist()


def test_exports_are_reachable_from_the_facade():
    assert simlib.export.to_stata is export.to_stata


# ------------------------------------------------------------------ the project's files


def test_every_notebook_has_its_py_percent_twin_in_sync():
    assert pairs(), "no notebooks found"
    assert out_of_sync() == [], "run: make notebooks-sync"


def test_person_schema_doc_lists_every_attribute_and_label():
    doc = (ROOT / "docs" / "person_schema.md").read_text(encoding="utf-8")
    for name, attr in people.SCHEMA.items():
        assert f"`{name}`" in doc, name
        for label in attr.labels:
            assert label in doc, (name, label)


def test_every_top_level_folder_has_a_readme():
    for folder in ("simlib", "notebooks", "params", "tests", "docs", "benchmarks", "scripts"):
        assert (ROOT / folder / "README.md").exists(), folder

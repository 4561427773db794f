"""The notebooks keep their conventions (notebooks/README.md); the report builder works.

The notebooks themselves are executed by ``make test`` under nbval (``pytest notebooks
--nbval-lax``); these tests check what nbval cannot: that papermill can read every
parameters cell, that nothing a reader might change is hard-coded after it, that every
simulating notebook takes the report's settings, and that the report injects them.
"""

from __future__ import annotations

import ast
import json
import re
import types

import jupytext
import nbformat
import pandas as pd
import pytest

import simlib
from simlib.reporting.notebooks import NOTEBOOK_DIR, pairs
from simlib.reporting.page import PROVENANCE, REPORT_ENV, Page, replications
from simlib.reporting.report import EXTRA, declared_parameters, settings_for

NOTEBOOKS = [py for py, _ in pairs()]
#: Names a simulating notebook must declare, so the report can set them.
RUN_SETTINGS = ("sample", "reps", "seed", "cache", "backend", "workers")


def _code(nb, after_parameters: bool = True) -> str:
    cells = nb.cells
    i = next(i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", []))
    return "\n".join(c.source for c in cells[i + 1 :] if c.cell_type == "code")


@pytest.mark.parametrize("py", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_papermill_reads_the_parameters_cell(py):
    papermill = pytest.importorskip("papermill")
    found = papermill.inspect_notebook(str(py.with_suffix(".ipynb")))
    declared = declared_parameters(jupytext.read(py))
    assert set(found) == set(declared), "papermill and the report disagree on the parameters"
    for name, info in found.items():
        assert info["default"] not in (None, ""), name


@pytest.mark.parametrize("py", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_city_is_hard_coded_after_the_parameters_cell(py):
    code = _code(jupytext.read(py))
    for city in simlib.CITIES:
        assert not re.search(rf"[\"']{city}[\"'.]", code), f"{py.name} names {city!r}"


@pytest.mark.parametrize("py", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_simulating_notebooks_take_the_report_settings(py):
    nb = jupytext.read(py)
    code = _code(nb)
    declared = declared_parameters(nb)
    if "simlib.run(" in code or "run(" in code and "runs" in code:
        missing = [n for n in RUN_SETTINGS if n not in declared]
        assert not missing, f"{py.name} runs the model but does not declare {missing}"
    for name in EXTRA.get(py.stem, {}):
        assert name in declared, f"the report sets {name!r}, which {py.name} does not declare"


@pytest.mark.parametrize("py", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_notebook_opens_a_page_and_ends_with_a_computed_summary(py):
    nb = jupytext.read(py)
    code = _code(nb)
    assert "Page(" in code
    md = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert md[0].startswith(f"# {py.stem[:2]} ·"), "first cell: '# NN · title'"
    assert any("Summary of findings" in m for m in md)
    # the summary's numbers are formatted by code: no digits typed into markdown cells
    # after the parameters cell other than years and item numbers
    summary = next(i for i, c in enumerate(nb.cells) if "Summary of findings" in c.source)
    assert "page.say(" in "".join(c.source for c in nb.cells[summary:] if c.cell_type == "code")


@pytest.mark.parametrize("py", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_some_output_is_checked_by_nbval(py):
    nb = jupytext.read(py)
    assert any(c.source.startswith("# NBVAL_CHECK_OUTPUT") for c in nb.cells), py.name


def test_parameters_cell_must_be_plain_assignments():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = f(1)", metadata={"tags": ["parameters"]})]
    with pytest.raises(ValueError):
        declared_parameters(nb)
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    with pytest.raises(ValueError, match="no cell tagged"):
        declared_parameters(nb)


def test_a_notebook_receives_only_the_settings_it_declares():
    common = {"sample": 1.0, "reps": 10, "seed": 1, "cache": "/c"}
    assert settings_for("01_x", {"year": 2025}, common) == {}
    got = settings_for("00_x", {"sample": 0.02, "reps": 2, "city": "a"}, common)
    assert got == {"sample": 1.0, "reps": 10}


def test_page_saves_tables_with_provenance_and_refuses_nan_in_prose(tmp_path, monkeypatch):
    monkeypatch.setenv(REPORT_ENV, str(tmp_path))
    page = Page("99_test", sample=0.5, reps=3, seed=7, show=False)
    page.table(pd.DataFrame({"x": [1.5]}), "t", "caption")
    saved = pd.read_csv(tmp_path / "tables" / "99_test__t.csv")
    assert list(saved.columns) == ["x", *PROVENANCE]
    assert saved.loc[0, "sample"] == 0.5 and saved.loc[0, "reps"] == 3
    assert saved.loc[0, "params_sha256"] == simlib.params.read_tree().hash
    with pytest.raises(ValueError, match="NaN"):
        page.say("{v:.1f}", v=float("nan"))


def _run(city: str, n: int):
    """A stand-in for a Result: what Page reads of one (its meta and replications)."""
    meta = {"city": city, "sample": 1.0, "seed": 1, "simlib_version": simlib.__version__}
    return types.SimpleNamespace(meta=meta, n_reps=n)


def test_a_table_states_the_replications_it_rests_on_not_the_pages_request(tmp_path, monkeypatch):
    """target_rse gave Xiaoyi 29 replications where the page asked for 10 (issue 28)."""
    monkeypatch.setenv(REPORT_ENV, str(tmp_path))
    page = Page("99_test", sample=1.0, reps=10, seed=1, target_rse=0.01, show=False)
    runs = {
        "datong": _run("datong", 10),
        "xiaoyi": _run("xiaoyi", 29),
        "puyang": _run("puyang", 10),
    }
    # a table with its own reps column: kept as it is, and the caption states it
    heads = pd.DataFrame({"city": list(runs), "value": [1.0, 2.0, 3.0], "reps": [10, 29, 10]})
    page.table(heads, "headline", "caption", source=runs["datong"])
    saved = pd.read_csv(tmp_path / "tables" / "99_test__headline.csv")
    assert saved["reps"].tolist() == [10, 29, 10], "the table's own reps were overwritten"
    shown = page.provenance(runs)["reps"]
    assert shown == "10–29 reps (xiaoyi 29, the others 10)", shown
    # a table from one run without a reps column: that run's count, not the page's 10
    page.table(pd.DataFrame({"x": [1.5]}), "one", source=runs["xiaoyi"])
    assert pd.read_csv(tmp_path / "tables" / "99_test__one.csv").loc[0, "reps"] == 29
    assert "29 reps" in page.rests_on(runs["xiaoyi"])
    # runs of different replications behind a table with no reps column: refused
    with pytest.raises(ValueError, match="reps' column"):
        page.table(pd.DataFrame({"x": [1.5]}), "mixed", source=runs)
    # on a page whose runs may add replications, a table must say what it rests on
    with pytest.raises(ValueError, match="say what it rests on"):
        page.table(pd.DataFrame({"x": [1.5]}), "bare")
    page.table(pd.DataFrame({"x": [1.5]}), "lists", source="params")
    assert pd.read_csv(tmp_path / "tables" / "99_test__lists.csv")["reps"].isna().all()


def test_replications_are_worded_for_prose():
    assert replications({"a": 10, "b": 10}) == "10 replications"
    assert replications({"a": 10, "b": 29}) == "10–29 replications (b 29, the other 10)"
    assert replications(_run("xiaoyi", 3), "reps") == "3 reps"


def test_report_injects_settings_and_records_them(tmp_path, capsys):
    """A two-notebook report: settings injected, provenance written, RSE read back."""
    folder = tmp_path / "nbs"
    folder.mkdir()
    text = (
        "# %% [markdown]\n# # 00 · toy\n\n"
        '# %% tags=["parameters"]\nsample = 0.5\nreps = 2\nseed = 1\ncache = None\n'
        'backend = "serial"\nworkers = 1\n\n'
        "# %%\nimport pandas as pd\nfrom simlib.reporting.page import Page\n"
        "page = Page('00_toy', sample=sample, reps=reps, seed=seed)\nprint(cache)\n"
        "page.table(pd.DataFrame({'measure': ['m'], 'year': [2025], 'rse': [0.005 / reps]}),"
        " 'headline')\n"
    )
    (folder / "00_toy.py").write_text(text, encoding="utf-8")
    (folder / "01_plain.py").write_text(
        '# %% [markdown]\n# # 01 · plain\n\n# %% tags=["parameters"]\nyear = 2025\n\n'
        "# %%\nprint(year)\n",
        encoding="utf-8",
    )
    from simlib.reporting.report import build_report

    index = build_report(
        tmp_path / "report",
        sample=0.25,
        reps=4,
        seed=3,
        notebook_dir=folder,
        backend="serial",
        workers=1,
        cache=tmp_path / "cache",
        no_input=True,
    )
    out = index.parent
    meta = json.loads((out / "provenance.json").read_text())
    # the build prints its time per notebook (wall and CPU), and records both
    printed = capsys.readouterr().out
    assert "| notebook | wall s | CPU s |" in printed and "| 00_toy |" in printed
    assert meta["notebooks"]["00_toy"]["cpu_seconds"] >= 0
    assert meta["sample"] == 0.25 and meta["reps"] == 4 and meta["seed"] == 3
    assert meta["notebooks"]["00_toy"]["settings"] == {"sample": 0.25, "reps": 4, "seed": 3}
    assert meta["notebooks"]["01_plain"]["settings"] == {}
    assert meta["headline_max_rse_percent"] == pytest.approx(0.125)  # 0.5 / 4 reps
    assert meta["headline_reps"] == [4, 4]  # read from the saved table, not the setting
    table = pd.read_csv(out / "tables" / "00_toy__headline.csv")
    assert table.loc[0, "reps"] == 4 and table.loc[0, "sample"] == 0.25
    assert "0.25" in (out / "index.html").read_text(encoding="utf-8")
    executed = nbformat.read(out / "notebooks" / "00_toy.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert ast.literal_eval(injected[0].source.split("sample = ")[1].split("\n")[0]) == 0.25
    # a reader's page: its own title, no code, links to the index and its neighbour
    page = (out / "html" / "00_toy.html").read_text(encoding="utf-8")
    assert "<title>00 · toy</title>" in page
    assert "import pandas" not in page and "import pandas" in str(executed.cells)
    assert page.count('href="../index.html"') == 2 and 'href="01_plain.html"' in page
    assert 'href="00_toy.html"' in (out / "html" / "01_plain.html").read_text(encoding="utf-8")
    # the builder's machine stays out: the cache is injected relative to the notebooks' folder
    # (each notebook its own run folder in it: notebooks run side by side)
    assert "cache = '../cache/00_toy'" in injected[0].source, injected[0].source
    for f in (out / "html" / "00_toy.html", out / "notebooks" / "00_toy.ipynb", out / "index.html"):
        assert str(tmp_path) not in f.read_text(encoding="utf-8"), f


def test_precision_line_states_the_replications_and_aim_of_its_own_build():
    from simlib.reporting.report import _precision_line

    precision = pd.DataFrame(
        {
            "table": ["t", "t"],
            "measure": ["m", "m"],
            "year": [2025, 2030],
            "rse": [0.015, 0.002],
            "reps": [29, 10],
        }
    )
    meta = {
        "headline_figures": 2,
        "sample": 1.0,
        "reps": 10,
        "target_rse": 0.02,
        "headline_reps": [10, 29],
        "headline_max_rse_percent": 1.5,
    }
    line = _precision_line(meta, precision)
    # more replications than the minimum setting were run, and the build asked for 2 %
    assert "10–29 reps" in line and "within the 2 % aim" in line
    line = _precision_line({**meta, "target_rse": None}, precision)
    assert "ABOVE the 1 % aim" in line  # no target of its own: the full report's 1 %


def test_a_failed_report_leaves_the_previous_one(tmp_path):
    folder = tmp_path / "nbs"
    folder.mkdir()
    (folder / "00_bad.py").write_text(
        '# %% [markdown]\n# # 00 · bad\n\n# %% tags=["parameters"]\nx = 1\n\n# %%\n1 / 0\n',
        encoding="utf-8",
    )
    old = tmp_path / "report"
    old.mkdir()
    (old / "index.html").write_text("old", encoding="utf-8")
    from simlib.reporting.report import build_report

    with pytest.raises(Exception):  # noqa: B017 - nbclient's CellExecutionError
        build_report(old, notebook_dir=folder, backend="serial", cache=tmp_path / "c")
    assert (old / "index.html").read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report-")] == []


def test_notebook_dir_is_the_repository_folder():
    assert NOTEBOOK_DIR.name == "notebooks" and (NOTEBOOK_DIR / "README.md").exists()


def test_timing_table_lists_each_notebook_and_the_total():
    from simlib.reporting.report import timing_table

    rows = [("01_a", "A", 12.0, {}), ("02_b", "B", 30.5, {})]
    text = timing_table(rows, {"01_a": 10.0, "02_b": 55.0})
    assert "| 01_a | 12.0 | 10.0 |" in text and "| 02_b | 30.5 | 55.0 |" in text
    assert "| **total** | **42.5** | **65.0** |" in text  # 12 + 30.5; 10 + 55

"""Outputs never carry the builder's machine: paths relative to the project or under ``~``."""

from __future__ import annotations

import json
from pathlib import Path

import simlib
from simlib.core.paths import PROJECT, portable, shown, shown_in


def test_a_path_is_worded_relative_to_the_working_folder_the_project_or_home(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert shown(tmp_path / "reform.yaml") == "reform.yaml"
    assert shown("rel/x.yaml") == "rel/x.yaml"  # already relative: as given
    assert shown(PROJECT / "params" / "scenarios" / "x.yaml") == "params/scenarios/x.yaml"
    assert shown(Path.home() / "reforms" / "x.yaml") in ("~/reforms/x.yaml", "reforms/x.yaml")
    assert shown(PROJECT / "notebooks" / "s" / "x.yaml", PROJECT) == "notebooks/s/x.yaml"
    label = shown_in(f"datong · {tmp_path / 'a.yaml'} · sample 0.1")
    assert label == "datong · a.yaml · sample 0.1", label
    assert portable({"a": [str(tmp_path / "b")], "n": 1}) == {"a": ["b"], "n": 1}


def test_a_run_of_a_scenario_file_shows_and_saves_no_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reform.yaml").write_text(
        'description: allowance 100\nchanges:\n  - item: xiaoyi.1\n    set: {"name_en": "x"}\n',
        encoding="utf-8",
    )
    res = simlib.run("xiaoyi", "reform.yaml", sample=0.01, reps=1, end_year=2021)
    where = str(tmp_path)
    assert where not in res.label and where not in repr(res), res.label
    folder = simlib.save(res, "results")
    text = (folder / "manifest.json").read_text(encoding="utf-8")
    assert where not in text, [ln for ln in text.splitlines() if where in ln]
    assert json.loads(text)["scenario"] == "reform.yaml"
    back = simlib.load_results(folder)  # the content in the manifest reloads the inputs
    assert back.inputs is not None


def test_a_pages_warnings_name_no_file_of_the_machine_that_ran_it():
    import warnings

    from simlib.reporting.page import Page

    before = warnings.formatwarning
    try:
        Page("99_test", sample=0.1, reps=2, seed=1, show=False)
        fmt = warnings.formatwarning
        inside = str(PROJECT / "simlib" / "reporting" / "tables.py")
        for where in (inside, "/tmp/ipykernel_4242/1234.py"):  # simlib, a notebook cell
            text = fmt("rests on 2 replications", UserWarning, where, 47)
            assert text == "UserWarning: rests on 2 replications\n", text
        other = fmt("x", UserWarning, "/elsewhere/mod.py", 3)
        assert "/elsewhere/mod.py:3" in other  # other packages keep the default format
    finally:
        warnings.formatwarning = before

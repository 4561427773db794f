"""The report build's orchestration: notebooks side by side, prepared paths, failures.

Toy notebooks (a few lines each) stand in for the real ones, so each test takes seconds.
"""

from __future__ import annotations

import json
import os
import time

import pandas as pd
import pytest

from simlib.reporting import report


def _toy(folder, stem, body, params="x = 1\ncache = None\nbackend = 'serial'\nworkers = 1\n"):
    (folder / f"{stem}.py").write_text(
        f'# %% [markdown]\n# # {stem[:2]} · {stem}\n\n# %% tags=["parameters"]\n{params}\n'
        f"# %%\n{body}\n",
        encoding="utf-8",
    )


def test_chains_keep_a_reader_after_the_notebook_it_reads(monkeypatch):
    monkeypatch.setattr(report, "AFTER", {"03_c": "01_a"})
    assert report._chains(["00_x", "01_a", "02_b", "03_c"]) == [
        ["00_x"],
        ["01_a", "03_c"],
        ["02_b"],
    ]
    # the notebook read is absent (a folder of other notebooks): the reader runs alone
    assert report._chains(["02_b", "03_c"]) == [["02_b"], ["03_c"]]


def test_longest_chains_start_first():
    jobs = [[("00_a",)], [("01_b",), ("02_c",)], [("03_d",)], [("04_e",)]]
    expected = {"00_a": 10, "01_b": 50, "02_c": 60, "03_d": 100}
    order = [[j[0] for j in job] for job in report.longest_first(jobs, expected)]
    # 01_b + 02_c = 110 > 03_d 100 > 04_e (not listed: 60) > 00_a 10
    assert order == [["01_b", "02_c"], ["03_d"], ["04_e"], ["00_a"]]


def test_notebooks_run_side_by_side_and_the_report_keeps_page_order(tmp_path, capsys):
    folder = tmp_path / "nbs"
    folder.mkdir()
    stamps = tmp_path / "stamps"
    stamps.mkdir()
    for stem in ("00_one", "01_two", "02_three"):
        # each notebook notes when it ran; both of the first two wait for the other to start
        body = (
            "import os, time, pathlib\n"
            f"d = pathlib.Path({str(stamps)!r})\n"
            f"(d / '{stem}.start').write_text(str(time.time()))\n"
            "t = time.time()\n"
            "while len(list(d.glob('*.start'))) < 2 and time.time() - t < 60:\n"
            "    time.sleep(0.1)\n"
            f"(d / '{stem}.end').write_text(str(time.time()))\n"
            "print(workers)"
        )
        _toy(folder, stem, body)
    index = report.build_report(
        tmp_path / "report",
        notebook_dir=folder,
        backend="serial",
        workers=2,
        cache=tmp_path / "cache",
        reps=2,
    )
    meta = json.loads((index.parent / "provenance.json").read_text())
    assert list(meta["notebooks"]) == ["00_one", "01_two", "02_three"]  # the page order
    assert meta["notebooks_at_a_time"] == 2
    # two notebooks overlapped: one started before the other ended
    t = {p.name: float(p.read_text()) for p in stamps.iterdir()}
    overlaps = [
        (a, b)
        for a in ("00_one", "01_two", "02_three")
        for b in ("00_one", "01_two", "02_three")
        if a < b and t[f"{a}.start"] < t[f"{b}.end"] and t[f"{b}.start"] < t[f"{a}.end"]
    ]
    assert overlaps, t
    html = index.read_text(encoding="utf-8")
    assert html.index("00_one") < html.index("01_two") < html.index("02_three")
    # each notebook its own run folder (two sweeps never write into one folder at once)
    for stem in ("00_one", "01_two", "02_three"):
        nb = (index.parent / "notebooks" / f"{stem}.ipynb").read_text(encoding="utf-8")
        assert f"cache = '../cache/{stem}'" in nb
    printed = capsys.readouterr().out
    assert "| 01_two |" in printed and "2 at a time" in printed


def test_a_failing_notebook_stops_the_others_and_leaves_the_previous_report(tmp_path):
    folder = tmp_path / "nbs"
    folder.mkdir()
    pid = tmp_path / "kernel.pid"
    _toy(
        folder,
        "00_slow",
        f"import os, time\nopen({str(pid)!r}, 'w').write(str(os.getpid()))\ntime.sleep(300)",
    )
    _toy(folder, "01_bad", "import time\ntime.sleep(3)\n1 / 0")
    old = tmp_path / "report"
    old.mkdir()
    (old / "index.html").write_text("old", encoding="utf-8")
    report._record_files(old)  # a report a build wrote (else the build is refused at once)
    start = time.perf_counter()
    with pytest.raises(
        report.NotebookFailed, match="(?s)notebook 01_bad failed.*ZeroDivisionError"
    ):
        report.build_report(
            old, notebook_dir=folder, backend="serial", workers=2, cache=tmp_path / "c", reps=2
        )
    assert time.perf_counter() - start < 120  # not the slow notebook's 300 s
    assert (old / "index.html").read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report-")] == []
    # the slow notebook's kernel was stopped with it
    kernel = int(pid.read_text())
    for _ in range(50):
        try:
            os.kill(kernel, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"kernel {kernel} still runs")


def test_prepared_paths_are_simulated_once_and_read_by_the_notebooks(tmp_path, monkeypatch):
    import simlib

    folder = tmp_path / "nbs"
    folder.mkdir()
    params = (
        "sample = 0.01\nreps = 2\nseed = 1\ncache = None\nbackend = 'serial'\nworkers = 1\n"
        "year = 2021\n"
    )
    body = (
        "import simlib\n"
        "res = simlib.run('xiaoyi', sample=sample, reps=reps, seed=seed, end_year=year,"
        " cache=cache, backend=backend, workers=workers)\n"
        f"res.reps.to_pickle({str(tmp_path / 'reps.pkl')!r})"
    )
    _toy(folder, "00_reader", body, params)
    _toy(folder, "01_early", "print('reads the prepared xiaoyi paths')")
    monkeypatch.setattr(report, "PREPARE", (("00_reader", "year", False),))
    monkeypatch.setattr(report, "EARLY", {"01_early": ("xiaoyi",)})
    # the same run made alone, serially, without stored paths; its paths stay in this
    # process's memory, and the prepared phase must still write them to disk
    alone = simlib.run("xiaoyi", sample=0.01, reps=2, seed=1, end_year=2021)
    report.build_report(
        tmp_path / "report",
        sample=0.01,
        reps=2,
        notebook_dir=folder,
        backend="processes",
        workers=2,
        cache=tmp_path / "cache",
    )
    meta = json.loads((tmp_path / "report" / "provenance.json").read_text())
    assert len(meta["prepared_paths"]["runs"]) == len(simlib.CITIES)
    # the city an early notebook reads is prepared first, the others in their order
    others = [f"{c} to 2021" for c in simlib.CITIES if c != "xiaoyi"]
    assert meta["prepared_paths"]["runs"] == ["xiaoyi to 2021", *others]
    # one path per city and replication, to the notebook's year: the notebook made none
    paths = [p for p in (tmp_path / "cache" / "trajectories").iterdir() if p.is_dir()]
    assert len([p for p in paths if not p.name.startswith(".")]) == 2 * len(simlib.CITIES)
    # the same numbers as the run made alone
    got = pd.read_pickle(tmp_path / "reps.pkl")
    cols = [c for c in alone.reps.columns if c != "run_id"]
    assert len(got) and got[cols].reset_index(drop=True).equals(
        alone.reps[cols].reset_index(drop=True)
    )


def _slow_prepare(entries, notebook_dir, common, cache, backend, workers, soon):
    """A prepared phase that lasts until the early notebook has started (60 s at most)."""
    stamps = cache.parent / "stamps"
    t = time.time()
    while not (stamps / "00_early.start").exists() and time.time() - t < 60:
        time.sleep(0.1)
    (stamps / "prepared").write_text(str(time.time()))
    return {"runs": ["toy to 2021"], "seconds": 1.0, "cpu_seconds": 0.5}


def test_early_notebooks_start_beside_the_prepared_phase_and_the_others_wait(
    tmp_path, monkeypatch, capsys
):
    folder = tmp_path / "nbs"
    folder.mkdir()
    stamps = tmp_path / "stamps"
    stamps.mkdir()
    for stem in ("00_early", "01_late", "02_late"):
        body = (
            "import pathlib, time\n"
            f"d = pathlib.Path({str(stamps)!r})\n"
            f"(d / '{stem}.start').write_text(str(time.time()))\n"
            f"(d / '{stem}.saw').write_text(str((d / 'prepared').exists()))"
        )
        _toy(folder, stem, body)
    monkeypatch.setattr(report, "PREPARE", (("01_late", 2021, False),))
    monkeypatch.setattr(report, "EARLY", {"00_early": ()})
    monkeypatch.setattr(report, "_prepare", _slow_prepare)
    # the late ones are expected longer: started first, were they not held back
    monkeypatch.setattr(report, "EXPECTED_SECONDS", {"00_early": 1, "01_late": 50, "02_late": 40})
    report.build_report(
        tmp_path / "report",
        notebook_dir=folder,
        backend="serial",
        workers=2,
        cache=tmp_path / "cache",
        reps=2,
    )
    saw = {p.stem: p.read_text() for p in stamps.glob("*.saw")}
    # the early notebook ran while the phase lasted (it waits for it); the others after
    assert saw == {"00_early": "False", "01_late": "True", "02_late": "True"}
    assert float((stamps / "00_early.start").read_text()) < float((stamps / "prepared").read_text())
    meta = json.loads((tmp_path / "report" / "provenance.json").read_text())
    assert meta["prepared_paths"]["runs"] == ["toy to 2021"]
    assert meta["early_notebooks"] == ["00_early"]
    printed = capsys.readouterr().out
    assert "| (baseline paths: 1 city × end-year runs) | 1.0 | 0.5 |" in printed

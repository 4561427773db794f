"""Sweeps: identical on every backend, resumable after a kill, failures reported; Morris."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pandas as pd

from simlib.sensitivity import morris
from simlib.sweep import RunSpec, failures, grid, sweep

SPECS = grid(["xiaoyi"], ["baseline", "targets_2025"], reps=2, sample=0.01, end_year=2024)


def _canon(df):
    return df.sort_values(["run_id", "year", "county", "item_id", "measure"]).reset_index(drop=True)


def test_serial_and_two_worker_dask_cluster_give_identical_results(tmp_path):
    serial = sweep(SPECS, tmp_path / "serial", backend="serial")
    dask = sweep(SPECS, tmp_path / "dask", backend="dask", workers=2)
    assert len(serial) and serial.run_id.nunique() == len(SPECS)
    pd.testing.assert_frame_equal(_canon(serial), _canon(dask))  # bit for bit


def test_processes_backend_matches_serial(tmp_path):
    serial = sweep(SPECS[:2], tmp_path / "a", backend="serial")
    procs = sweep(SPECS[:2], tmp_path / "b", backend="processes", workers=2)
    pd.testing.assert_frame_equal(_canon(serial), _canon(procs))


def test_a_killed_sweep_resumes_without_redoing_or_duplicating(tmp_path):
    out = tmp_path / "sweep"
    specs = grid(["xiaoyi"], ["baseline"], reps=6, sample=0.01, end_year=2030)
    code = textwrap.dedent(f"""
        from simlib.sweep import grid, sweep
        sweep(grid(["xiaoyi"], ["baseline"], reps=6, sample=0.01, end_year=2030), {str(out)!r})
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    runs = out / "runs"
    deadline = time.time() + 120
    while time.time() < deadline:
        done = [p for p in runs.glob("run_id=*")] if runs.exists() else []
        if len(done) >= 2:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    first = {p.name: p.stat().st_mtime_ns for p in runs.glob("run_id=*")}
    assert 1 <= len(first) < len(specs), "the kill should land mid-sweep"
    rows = sweep(specs, out)
    assert rows.run_id.nunique() == len(specs)
    key = ["run_id", "year", "county", "item_id", "measure"]
    assert not rows.duplicated(key).any()  # every run once, none doubled
    for name, mtime in first.items():  # finished runs were not redone
        assert (runs / name).stat().st_mtime_ns == mtime
    assert not list(runs.glob(".run-*")), "no half-written partitions left"


def test_a_failed_run_is_reported_and_the_others_complete(tmp_path):
    bad = RunSpec(city="xiaoyi", sample=0.01, end_year=2022, overrides=(("health:nope", 1.0),))
    good = RunSpec(city="xiaoyi", sample=0.01, end_year=2022)
    rows = sweep([bad, good], tmp_path)
    assert set(rows.run_id) == {good.run_id}
    (fail,) = failures(tmp_path)
    assert fail["spec"]["overrides"] == [["health:nope", 1.0]]
    assert "unknown assumption key" in fail["error"]


def test_morris_ranks_the_cost_drivers():
    keys = ["outcomes:unit_cost.visit", "outcomes:fte_hours", "outcomes:minutes.visit"]
    m = morris("xiaoyi", "cost_yuan", 2025, keys=keys, trajectories=4, sample=0.01)
    by = m.set_index("key").mu_star
    # FTE hours and minutes change workload, never cost: their effect is exactly zero
    assert by["outcomes:fte_hours"] == 0 and by["outcomes:minutes.visit"] == 0
    assert by["outcomes:unit_cost.visit"] > 0
    assert m.key.iloc[0] == "outcomes:unit_cost.visit"


def test_sobol_attributes_cost_variance_to_the_parameter_that_moves_it():
    from simlib.sensitivity import sobol

    keys = ["outcomes:unit_cost.visit", "outcomes:fte_hours"]
    s = sobol("xiaoyi", keys, "cost_yuan", 2025, n=8, sample=0.005).set_index("key")
    # FTE hours never enter cost: its total index is zero up to estimator noise
    assert s.loc["outcomes:unit_cost.visit", "ST"] > 0.5
    assert abs(s.loc["outcomes:fte_hours", "ST"]) < 0.05

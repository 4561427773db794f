"""A run ending earlier is evaluated on a kept path of the same dynamics ending later.

A year's dynamics never read the years after it, so the first years of a path simulated to
2029 are the path simulated to 2026; a run to 2026 replayed on the longer path must give the
numbers of a run to 2026 simulating with its own ledger, to the last bit, from memory and
from disk.
"""

import warnings

import simlib
from simlib.experiments import trajectories

KW = {"sample": 0.02, "seed": 5, "reps": 1}
SCENARIO = "harmonised"  # one-off and household items from 2024: their history counts


def test_a_shorter_run_replays_a_longer_path_with_its_own_numbers(tmp_path, monkeypatch):
    simulated = []
    real = trajectories.simulate
    monkeypatch.setattr(
        trajectories, "simulate", lambda *a, **k: simulated.append(a[0].end_year) or real(*a, **k)
    )
    runs = tmp_path / "runs"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # one replication
        trajectories.clear_memory()
        simlib.run("xiaoyi", SCENARIO, end_year=2029, cache=runs, **KW)  # keeps the path
        in_memory = simlib.run("xiaoyi", SCENARIO, end_year=2026, **KW)
        trajectories.clear_memory()
        on_disk = simlib.run("xiaoyi", SCENARIO, end_year=2026, cache=runs, **KW)
        assert simulated == [2029]  # the shorter runs simulated nothing
        monkeypatch.setenv("SIMLIB_TRAJECTORIES", "0")
        alone = simlib.run("xiaoyi", SCENARIO, end_year=2026, **KW)
    assert alone.reps["year"].max() == 2026
    assert in_memory.reps.equals(alone.reps)
    assert on_disk.reps.equals(alone.reps)

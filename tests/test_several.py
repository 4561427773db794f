"""Several scenarios and lists in one call: each replication's path read once, same numbers.

``simlib.run(city, scenarios=[...], lists=[...])`` evaluates every scenario and every
transferred list on each replication's population path; through a run folder and worker
processes each replication is one task that reads its path once. The results must be those
of separate runs to the last bit, whatever the backend.
"""

import warnings

import pytest

import simlib
from simlib.experiments import trajectories

CITY, SAMPLE, SEED, END = "xiaoyi", 0.02, 3, 2022
KW = {"reps": 2, "sample": SAMPLE, "seed": SEED, "end_year": END}
SCENARIOS = ["baseline", "harmonised", "broad_hardship"]
LISTS = ["xiaoyi", "datong", "puyang"]


def separate(scenario="baseline", list_city=None, **kw):
    """The run made alone, serially (the reference)."""
    trajectories.clear_memory()
    return simlib.run(CITY, scenario, list_city=list_city, **KW, **kw)


def assert_same(several, label, alone):
    assert several[label].reps.equals(alone.reps), f"{label}: rows differ from a separate run"
    assert several[label].n_reps == alone.n_reps
    assert several[label].meta["scenario"] == alone.meta["scenario"]
    assert several[label].meta["list_city"] == alone.meta["list_city"]


def test_scenarios_and_lists_in_one_call_equal_separate_runs_bit_for_bit(tmp_path):
    trajectories.clear_memory()
    serial = simlib.run(CITY, scenarios=SCENARIOS, lists=LISTS[1:], **KW)
    trajectories.clear_memory()
    pooled = simlib.run(
        CITY,
        scenarios=SCENARIOS,
        lists=LISTS,
        cache=tmp_path / "runs",
        backend="processes",
        workers=2,
        **KW,
    )
    assert list(serial) == [*SCENARIOS, *LISTS[1:]]
    assert list(pooled) == [*SCENARIOS, *LISTS]  # scenarios first, then lists, as given
    for s in SCENARIOS:
        alone = separate(s)
        assert_same(serial, s, alone)
        assert_same(pooled, s, alone)
    for lst in LISTS[1:]:
        alone = separate(list_city=lst)
        assert_same(serial, lst, alone)
        assert_same(pooled, lst, alone)
    # the own list is the city's own run (the same run, once in the folder)
    assert_same(pooled, "xiaoyi", separate())


def test_a_worker_reads_each_replications_path_once_for_all_scenarios(tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    simlib.run(CITY, cache=runs, **KW)  # the paths, stored in the folder's _trajectories
    log = tmp_path / "reads.txt"
    real = trajectories.read

    def counted(folder):
        with open(log, "a", encoding="utf-8") as f:  # the forked workers append here too
            f.write(f"{folder.name}\n")
        return real(folder)

    monkeypatch.setattr(trajectories, "read", counted)
    trajectories.clear_memory()
    several = simlib.run(
        CITY, scenarios=SCENARIOS[1:], lists=LISTS[1:], cache=runs, backend="processes", **KW
    )
    reads = log.read_text(encoding="utf-8").split()
    assert len(several) == 4
    # 2 replications: one read each, not one per scenario and list (8)
    assert sorted(set(reads)) == sorted(reads) and len(reads) == KW["reps"], reads


def test_target_rse_adds_replications_per_scenario_as_separate_runs_do():
    kw = {"target_rse": 0.002, "max_reps": 3}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the RSE stays above 0.2 % at 3 reps
        trajectories.clear_memory()
        several = simlib.run(CITY, scenarios=SCENARIOS[:2], lists=["datong"], **KW, **kw)
        for s in SCENARIOS[:2]:
            assert_same(several, s, separate(s, **kw))
        assert_same(several, "datong", separate(list_city="datong", **kw))
    assert several["baseline"].n_reps == 3  # the target was not reached: max_reps ran


def test_a_bad_list_city_is_refused_before_any_run(tmp_path):
    runs = tmp_path / "runs"
    with pytest.raises(simlib.ParamError, match=r"unknown list city 'datnog'.*datong"):
        simlib.run(CITY, lists=["xiaoyi", "datnog"], cache=runs, **KW)
    assert not runs.exists()  # nothing written
    with pytest.raises(simlib.ParamError, match="lists: expected a non-empty list"):
        simlib.run(CITY, lists="datong", **KW)
    with pytest.raises(simlib.ParamError, match="datong given twice"):
        simlib.run(CITY, lists=["datong", "datong"], **KW)
    with pytest.raises(simlib.ParamError, match="not both"):
        simlib.run(CITY, "harmonised", scenarios=["baseline"], lists=["datong"], **KW)


def test_a_scenario_that_changes_nothing_here_is_evaluated_once(monkeypatch):
    """Jincheng's insurance pilot changes nothing in Xiaoyi: its rows are the baseline's,
    evaluated once, while its result keeps its own name (and a scenario that changes
    something is evaluated on its own)."""
    from simlib.experiments import run as run_module

    calls = []
    real = run_module.run_one
    monkeypatch.setattr(
        run_module,
        "run_one",
        lambda spec, inputs=None: calls.append(spec.scenario) or real(spec, inputs),
    )
    trajectories.clear_memory()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "changes nothing in a run of xiaoyi"
        kw = {**KW, "end_year": 2025}  # the pilot's programme is in force from 2024
        names = ["baseline", "ltci_jincheng_pilot", "harmonised"]
        several = simlib.run(CITY, scenarios=names, **kw)
        assert sorted(calls) == ["baseline"] * 2 + ["harmonised"] * 2
        for s in names:
            trajectories.clear_memory()
            assert_same(several, s, simlib.run(CITY, s, **kw))
    assert not several["harmonised"].reps.equals(several["baseline"].reps)

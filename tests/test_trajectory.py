"""Simulate once, evaluate any policy: a stored path gives a full run's numbers to the last bit.

Every kind of scenario that changes only policy (lists, programmes' definitions, take-up,
minutes, prices, targets, the list of another city, assumption overrides of outcome
parameters) is evaluated on a path recorded under the baseline and compared, bit for bit,
with a full simulation under that scenario; the full simulation's own path is compared with
the baseline's, which is the check that policy does not feed back into the dynamics. A
scenario that changes the dynamics gets another key, so its path is simulated.
"""

import dataclasses
import os
import pickle
import re

import numpy as np
import pytest

import simlib
from simlib.experiments import trajectories
from simlib.experiments.spec import RunSpec
from simlib.model.model import ElderCareModel
from simlib.outcomes import cells as cells_mod
from simlib.outcomes import households as households_mod
from simlib.outcomes.trajectory import Trajectory, TrajectoryUnsupported, replay
from simlib.params import load_inputs

CITY, SAMPLE, SEED, END = "jincheng", 0.02, 5, 2031

#: Policy-only scenarios, one per kind of change.
POLICY = {
    "lists: harmonised": "harmonised",
    "programmes: a broader definition": "broad_hardship",
    "take-up: targets late": "targets_slow",
    "programmes: LTCI pays first, then the 2026 voucher": "ltci_jincheng_pilot",
    "targets: the 2025 targets": "targets_2025",
    "lists: an item changed from 2026, one added, one removed": {
        "description": "amount and eligibility changed from 2026",
        "changes": [
            {"item": "jincheng.16", "from": 2026, "set": {"benefit.cash[0].yuan": 1000}},
            {
                "item": "jincheng.24",
                "set": {"eligibility": {"all": [{"attr": "age", "min": 70}]}},
            },
            {"remove_item": "jincheng.27"},
        ],
    },
    "minutes and prices": {
        "description": "other minutes and prices",
        "outcomes": {"fte_hours": 1800, "travel_minutes": 35},
        "changes": [{"outcomes": None, "set": {"unit_cost_yuan.values.visit.value": 65}}],
    },
    "quota: the baseline (home adaptation by a yearly quota)": "baseline",
    "quota: another rule and capacity": {
        "description": "oldest first, a larger quota",
        "changes": [
            {
                "outcomes": None,
                "set": {
                    "quota.rule.value": "oldest_first",
                    "quota.by_family.home_adaptation.by_city.jincheng.value": 1400,
                },
            }
        ],
    },
    "take-up: a dict": {
        "description": "more visits",
        "take_up": {"caring_visits": {"target": 0.95, "year": 2026}},
    },
}


def _spec(**kw) -> RunSpec:
    return RunSpec(city=CITY, seed=SEED, sample=SAMPLE, end_year=END, **kw)


def _full(inputs) -> ElderCareModel:
    """A full simulation under ``inputs`` that also records its path."""
    from simlib.population.streams import rep_seed

    return ElderCareModel(
        inputs=inputs, sample=SAMPLE, end_year=END, rng=rep_seed(SEED, 0), record=True
    ).run()


@pytest.fixture(scope="module")
def baseline_path() -> Trajectory:
    return _full(load_inputs(CITY)).trajectory()


def _replayed(path, inputs):
    out = replay(path, inputs).table()
    out.insert(1, "city", inputs.city)
    return out


@pytest.mark.parametrize("scenario", list(POLICY.values()), ids=list(POLICY))
def test_policy_on_a_stored_path_equals_a_full_run_bit_for_bit(baseline_path, scenario):
    inputs = load_inputs(CITY, scenario)
    full = _full(inputs)
    # the dynamics did not see the policy: the scenario's own path is the baseline's
    assert full.trajectory().equals(baseline_path)
    expected = full.outcomes()
    got = _replayed(baseline_path, inputs)
    assert got.equals(expected)  # every row, every value, to the last bit


def test_another_citys_list_on_a_stored_path_equals_a_full_run(baseline_path):
    inputs = load_inputs(CITY, list_city="datong")
    full = _full(inputs)
    assert full.trajectory().equals(baseline_path)
    assert _replayed(baseline_path, inputs).equals(full.outcomes())


def test_overrides_of_outcome_parameters_on_a_stored_path(baseline_path):
    over = {"outcomes:take_up.default": 0.5, "outcomes:unit_cost.visit": 55.0}
    inputs = load_inputs(CITY, overrides=over)
    full = _full(inputs)
    assert full.trajectory().equals(baseline_path)
    assert _replayed(baseline_path, inputs).equals(full.outcomes())
    base = load_inputs(CITY)
    assert trajectories.dynamics_key(_spec(), inputs) == trajectories.dynamics_key(_spec(), base)


def test_a_dynamics_change_gets_another_key_and_another_path(baseline_path):
    base = load_inputs(CITY)
    health = load_inputs(CITY, {"description": "faster exit", "health": {"dibao_exit": 0.2}})
    over = load_inputs(CITY, overrides={"health:net_migration": 0.01})
    key = trajectories.dynamics_key
    assert key(_spec(), health) != key(_spec(), base)
    assert key(_spec(), over) != key(_spec(), base)
    for k in ({"seed": SEED + 1}, {"rep": 1}):  # replication and seed are parts too
        assert key(dataclasses.replace(_spec(), **k), base) != key(_spec(), base)
    assert key(dataclasses.replace(_spec(), sample=0.03), base) != key(_spec(), base)
    assert not _full(health).trajectory().equals(baseline_path)  # the change is real


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_a_path_stored_on_disk_reads_back_equal(baseline_path, tmp_path, monkeypatch, engine):
    monkeypatch.setenv("SIMLIB_ENGINE", engine)
    folder = trajectories.write(dataclasses.replace(baseline_path, key="k"), tmp_path / "k")
    assert sorted(p.name for p in folder.iterdir()) == ["arrays.bin", "meta.json"]
    back = trajectories.read(folder)
    assert back is not None and back.equals(baseline_path)  # every array, to the last bit
    assert back.key == "k" and back.n_agents == baseline_path.n_agents
    # the indexes stored (or rebuilt when first asked for) are the recorded path's
    for t, (m, w) in enumerate(zip(back.members, baseline_path.members, strict=True)):
        assert m.order is None  # listed only when first needed
        fid = baseline_path.fid[t]
        living = np.flatnonzero(fid >= 0)  # by fine cell, each cell's in agent order
        by_hand = living[np.argsort(fid[living], kind="stable")]
        assert np.array_equal(m.ordered(), by_hand) and m.ordered().dtype == np.int32
        for part in ("start", "nz_cell", "nz_county", "nz_agents"):
            assert np.array_equal(getattr(m, part), getattr(w, part))
    d, w = back.distinct, baseline_path.distinct
    assert (d is None) == (w is None)
    if d is not None:
        assert all(np.array_equal(a, b) for a, b in zip(d.gid, w.gid, strict=True))
        assert all(np.array_equal(d.cells[k], w.cells[k]) for k in w.cells)
    # the arrays are writable (numba compiles no read-only variant), nothing goes to disk
    before = (folder / "arrays.bin").read_bytes()
    back.fid[0, 0] = -7
    assert (folder / "arrays.bin").read_bytes() == before
    back = trajectories.read(folder)
    inputs = load_inputs(CITY, "harmonised")
    assert _replayed(back, inputs).equals(_replayed(baseline_path, inputs))


def test_an_unfinished_or_old_write_is_not_read(baseline_path, tmp_path):
    path = dataclasses.replace(baseline_path, key="k")
    assert trajectories.read(tmp_path / "absent") is None
    folder = trajectories.write(path, tmp_path / "k")
    (folder / "meta.json").unlink()  # a write that never finished is not a path
    assert trajectories.read(folder) is None
    trajectories.write(path, folder)  # and the next write replaces it
    assert trajectories.read(folder).equals(baseline_path)
    # a writer stopped before its rename leaves only its temporary folder: nothing is read
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    # a path stored in the earlier format (Parquet files, meta without "format") is not
    # read, and the next write replaces it
    old = tmp_path / "old"
    old.mkdir()
    (old / "meta.json").write_text('{"key": "k", "agents": 3}', encoding="utf-8")
    (old / "agents.parquet").write_bytes(b"PAR1")
    assert trajectories.read(old) is None
    trajectories.write(path, old)
    assert sorted(p.name for p in old.iterdir()) == ["arrays.bin", "meta.json"]
    assert trajectories.read(old).equals(baseline_path)


def test_a_damaged_stored_path_gives_a_clear_error(baseline_path, tmp_path):
    import json

    folder = trajectories.write(dataclasses.replace(baseline_path, key="k"), tmp_path / "k")
    data, meta = folder / "arrays.bin", folder / "meta.json"
    written = data.read_bytes()
    with open(data, "r+b") as f:  # truncated
        f.truncate(len(written) - 100)
    with pytest.raises(trajectories.StoredPathError, match="arrays.bin.*bytes.*meta.json"):
        trajectories.read(folder)
    data.unlink()
    with pytest.raises(trajectories.StoredPathError, match="arrays.bin: missing"):
        trajectories.read(folder)
    data.write_bytes(written)
    good = meta.read_text(encoding="utf-8")
    m = json.loads(good)
    m["arrays"]["fid"]["offset"] = m["bytes"]  # an array beyond the file's end
    meta.write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(trajectories.StoredPathError, match="'fid'.*outside the file"):
        trajectories.read(folder)
    m["arrays"]["fid"] = {**json.loads(good)["arrays"]["fid"], "dtype": "|O"}
    meta.write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(trajectories.StoredPathError, match=re.escape("'fid' has dtype '|O'")):
        trajectories.read(folder)
    del m["arrays"]["fid"]
    meta.write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(trajectories.StoredPathError, match="meta.json: KeyError: 'fid'"):
        trajectories.read(folder)
    meta.write_text(good[: len(good) // 2], encoding="utf-8")  # cut short
    with pytest.raises(trajectories.StoredPathError, match="meta.json: not valid JSON"):
        trajectories.read(folder)
    meta.write_text(good, encoding="utf-8")
    assert trajectories.read(folder).equals(baseline_path)  # repaired: read again


def test_run_gives_the_same_result_with_and_without_stored_paths(monkeypatch, tmp_path):
    trajectories.clear_memory()
    trajectories.configure(tmp_path)
    try:
        kw = {"reps": 2, "sample": SAMPLE, "seed": SEED, "end_year": END}
        stored = simlib.run(CITY, "harmonised", **kw)
        assert len(list(tmp_path.iterdir())) == 2  # one path per replication, on disk
        trajectories.clear_memory()
        again = simlib.run(CITY, "harmonised", **kw)  # read from disk
        monkeypatch.setenv("SIMLIB_TRAJECTORIES", "0")
        simulated = simlib.run(CITY, "harmonised", **kw)
    finally:
        trajectories.configure(None)
    assert stored.reps.equals(simulated.reps)
    assert again.reps.equals(simulated.reps)
    assert stored.table.equals(simulated.table)


def test_unequal_weights_are_refused_and_run_simulates_instead(monkeypatch):
    from simlib.outcomes.trajectory import common_weight

    alive = np.array([True, True, False])
    assert common_weight(alive, np.array([2.0, 2.0, 5.0], np.float32)) == 2.0
    assert common_weight(alive, np.array([2.0, 3.0, 2.0], np.float32)) is None

    def unequal(spec, inputs, key=""):
        raise TrajectoryUnsupported("weights differ")

    monkeypatch.setattr(trajectories, "simulate", unequal)
    trajectories.clear_memory()
    spec = _spec()
    assert trajectories.outcome_rows(spec, load_inputs(CITY)) is None
    res = simlib.run(CITY, reps=1, sample=SAMPLE, seed=SEED, end_year=2022)
    assert len(res.reps) > 0  # simulated by the model's own ledger


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_the_recorders_fine_cells_equal_the_ledgers_grouping(monkeypatch, engine):
    # The recorder counts whole agents per fine cell in one pass (from a 16-slot hash table,
    # enlarged as needed); the model's grouping (cells.group) sums float32 weights. Every
    # living agent weighs 1/0.37 (24 significant bits), so k of them add up in float64 to
    # k × the weight exactly, and the counts must agree to the last bit.
    from simlib.outcomes.trajectory import fine_cells

    monkeypatch.setenv("SIMLIB_ENGINE", engine)
    rng = np.random.default_rng(5)
    n, n_c = 4_000, 3
    alive = rng.random(n) < 0.8
    age = rng.integers(55, 125, n).astype(np.int16)  # some above 120: capped in the key
    keys = (rng.integers(0, 2, n).astype(np.int8), rng.integers(0, 5, n).astype(np.int8))
    bits = cells_mod.widths([121, 2, 5])
    county = rng.integers(0, n_c, n).astype(np.int16)
    weight = np.full(n, 1 / 0.37, np.float32)
    weight[~alive] = 7.0  # the dead's weights are not read
    fid = np.full(n, 5, np.int32)
    w, rep, agents, _ = fine_cells(alive, age, keys, bits, county, weight, n_c, fid, 4)
    bands = np.arange(121, dtype=np.int8)
    g = cells_mod.group(alive, age, bands, keys, bits, county, weight, n_c, 4)
    assert w == np.float32(1 / 0.37) and len(rep) > 16  # the table had to grow
    assert np.array_equal(fid, g.cid) and np.array_equal(rep, g.rep)
    assert agents.dtype == np.int32 and np.array_equal(agents * np.float64(w), g.counts)
    weight[np.flatnonzero(alive)[7]] = 2.0
    with pytest.raises(TrajectoryUnsupported, match="weights differ"):
        fine_cells(alive, age, keys, bits, county, weight, n_c, fid, 4)


def test_distributional_counts_on_a_path_add_up_to_the_population(baseline_path):
    counts = baseline_path.attribute_counts(["sex", "urban"])
    first = counts[counts.year == baseline_path.years[0]]
    alive = baseline_path.fid[0] >= 0
    assert first.persons.sum() == pytest.approx(alive.sum() * float(baseline_path.weight[0]))


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_path_kernels_equal_the_per_agent_kernels(monkeypatch, engine):
    monkeypatch.setenv("SIMLIB_ENGINE", engine)
    rng = np.random.default_rng(3)
    n, n_fine, n_rows = 5_000, 300, 40
    fid = rng.integers(-1, n_fine, n).astype(np.int32)
    cell = rng.integers(0, n_rows, n_fine)
    inst = rng.random(n_fine) < 0.2
    eligible = rng.random(n_rows) < 0.4
    values = rng.random((n_rows, 2)) * 100
    county = rng.integers(0, 3, n).astype(np.int16)
    spouse = np.full(n, -1, np.int32)
    pairs = rng.permutation(n)[:2000].reshape(-1, 2)
    spouse[pairs[:, 0]], spouse[pairs[:, 1]] = pairs[:, 1], pairs[:, 0]
    w = np.float32(3.0)
    row = np.append(cell, -1)[fid]
    cols = {
        "spouse": spouse,
        "alive": fid >= 0,
        "in_institution": np.append(inst, False)[fid],
        "county": county,
        "weight": np.full(n, w, np.float32),
    }
    got_a, got_b = np.zeros(n, np.int8), np.zeros(n, np.int8)
    a = cells_mod.once_sums(row, eligible, values, got_a, county, cols["weight"], 3)
    agents = np.zeros((n_fine, 3), np.int32)
    np.add.at(agents, (fid[fid >= 0], county[fid >= 0]), 1)
    members = cells_mod.Members.build(fid, agents)
    b = cells_mod.once_sums_on_path(fid, members, cell, eligible, values, got_b, county, w, 3)
    assert np.array_equal(a, b) and np.array_equal(got_a, got_b) and a.sum() > 0
    once = np.array([True, False])
    got_a, got_b = np.zeros(n, np.int8), np.zeros(n, np.int8)
    got_a[::7] = got_b[::7] = 1  # some served before: not marked again
    before = got_a.copy()
    ha = households_mod.household_sums(row, eligible, values, once, got_a, cols, 3, marked=True)
    hb = households_mod.household_sums_on_path(
        fid, members, cell, inst, eligible, values, once, got_b, spouse, county, w, 3, True
    )
    assert all(np.array_equal(x, y) for x, y in zip(ha, hb, strict=True))
    assert np.array_equal(got_a, got_b) and ha[0].sum() > 0
    # the agents marked are those whose flag went 0 -> 1, ascending
    assert np.array_equal(ha[2], np.flatnonzero((got_a == 1) & (before == 0))) and ha[2].size
    # a quota's persons and households served so far: the agents with the flag set
    from simlib.outcomes.quota import served_persons, served_persons_on_path

    served = np.flatnonzero(got_a == 1)
    sa = served_persons(row, eligible, served, cols, 3)
    sb = served_persons_on_path(fid, cell, inst, eligible, served, spouse, county, w, got_a, 3)
    assert all(np.array_equal(x, y) for x, y in zip(sa, sb, strict=True))
    assert 0 < sa[1].sum() < sa[0].sum()  # some couples served together: fewer households


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_a_paths_masked_totals_equal_the_ledgers_matrix_product(monkeypatch, engine):
    from simlib.outcomes.ledger import cells_total
    from simlib.outcomes.trajectory import path_total

    monkeypatch.setenv("SIMLIB_ENGINE", engine)
    rng = np.random.default_rng(11)
    agents = rng.integers(0, 400, (5_000, 11)).astype(np.float64)  # whole agents per cell
    agents[rng.random(agents.shape) < 0.7] = 0  # most cells live in a few counties
    w = np.float32(1 / 0.37)  # a weight that is not a whole number: 24 significant bits
    total, model = path_total(agents, w), cells_total(agents * np.float64(w))
    for share in (0.0, 0.05, 0.5, 1.0):
        mask = rng.random(len(agents)) < share
        assert np.array_equal(total(mask=mask), model(mask=mask))  # to the last bit
        values = rng.random(len(agents)) * 100
        assert np.array_equal(total(values), model(values))
        assert np.array_equal(total(values, mask), model(values, mask))


@pytest.mark.parametrize("share", [0.0, 0.01, 0.3, 1.0])
def test_the_index_of_agents_by_fine_cell_lists_them_in_agent_order(monkeypatch, share):
    rng = np.random.default_rng(int(share * 100))
    n, n_fine = 20_000, 700
    fid = rng.integers(-1, n_fine, n).astype(np.int32)
    agents = np.zeros((n_fine, 3), np.int32)
    county = rng.integers(0, 3, n)
    np.add.at(agents, (fid[fid >= 0], county[fid >= 0]), 1)
    flag = rng.random(n_fine) < share
    by_hand = np.flatnonzero((fid >= 0) & np.append(flag, False)[fid])  # fid −1: the False
    out = {}
    for engine in ("numpy", "numba"):
        monkeypatch.setenv("SIMLIB_ENGINE", engine)
        members = cells_mod.Members.build(fid, agents)
        out[engine] = members.of(flag)
        assert np.array_equal(out[engine], by_hand)
        assert members.nz_agents.sum() == (fid >= 0).sum()
    assert out["numba"].dtype == out["numpy"].dtype


def test_cells_merged_once_per_path_equal_cells_merged_each_year(baseline_path):
    from simlib.outcomes.cells import key_columns
    from simlib.outcomes.ledger import Ledger
    from simlib.outcomes.trajectory import merge_cells

    distinct = baseline_path.distinct
    assert distinct is not None  # numba (the default engine) builds it
    n_distinct = len(distinct.cells["age"])
    assert n_distinct < sum(len(c["age"]) for c in baseline_path.cells)
    for inputs in (load_inputs(CITY, "harmonised"), load_inputs(CITY)):
        ledger = Ledger(inputs, list(baseline_path.counties))
        for t, year in enumerate(baseline_path.years):
            plan = ledger.plan(inputs.policy(year))
            fine = baseline_path.cells[t]
            n_c = len(baseline_path.counties)
            w = baseline_path.weight[t]
            merged = distinct.merge(plan)
            cell, first, whole, persons = distinct.year_totals(
                t, merged, baseline_path.members[t], n_c, w
            )
            keys = key_columns(fine, plan.attrs)
            each = merge_cells(fine["age"], plan.bands, keys, plan.bits, baseline_path.agents[t])
            assert np.array_equal(cell, each[0]) and np.array_equal(first, each[1])
            assert np.array_equal(whole.T, each[2]) and whole.dtype == np.int32
            assert np.array_equal(persons, each[2] * np.float64(w))  # path_total's product


def test_a_lists_cells_kept_on_the_path_give_the_same_numbers(baseline_path):
    from simlib.outcomes.trajectory import ListCache

    inputs = load_inputs(CITY, "harmonised")
    path = dataclasses.replace(baseline_path, lists=None)  # nothing kept yet
    assert len(path.lists) == 0
    cold = replay(path, inputs).table()
    assert len(path.lists) == 1 and path.lists.nbytes > 0
    assert replay(path, inputs).table().equals(cold)  # from the kept cells
    others = [load_inputs(CITY, list_city=c) for c in ("datong", "puyang", "xiaoyi", "changzhi")]
    for other in others:  # more lists than are kept: the oldest dropped
        replay(path, other)
    assert len(path.lists) == ListCache.SIZE
    assert replay(path, inputs).table().equals(cold)  # computed again
    assert pickle.loads(pickle.dumps(path)).equals(path)  # kept cells are not pickled


def test_trajectories_can_be_switched_off():
    assert trajectories.enabled() == (os.environ.get("SIMLIB_TRAJECTORIES", "1") != "0")


def test_warmup_runs_every_code_path_once(capsys):
    from simlib.cli import main as cli

    assert cli(["warmup"]) == 0
    assert "kernels compiled or loaded in" in capsys.readouterr().out


@pytest.mark.parametrize("groups", [("age5", "sex"), ("household", "assistance")])
def test_results_by_groups_of_persons_on_a_stored_path(baseline_path, groups):
    from simlib.population.streams import rep_seed

    inputs = load_inputs(CITY, "harmonised")
    full = ElderCareModel(
        inputs=inputs, sample=SAMPLE, end_year=END, rng=rep_seed(SEED, 0), groups=groups
    ).run()
    got = replay(baseline_path, inputs, groups=groups).table()
    got.insert(1, "city", inputs.city)
    assert got.equals(full.outcomes())


def test_runs_through_a_sweep_folder_share_paths_on_disk(tmp_path):
    trajectories.clear_memory()
    kw = {"reps": 2, "sample": SAMPLE, "seed": SEED, "end_year": 2023}
    a = simlib.run(CITY, "harmonised", cache=tmp_path / "runs", backend="processes", **kw)
    stored = sorted(p.name for p in (tmp_path / "runs" / "_trajectories").iterdir())
    assert len(stored) == 2  # one per replication, written by the workers
    b = simlib.run(CITY, "targets_slow", cache=tmp_path / "runs", backend="processes", **kw)
    assert sorted(p.name for p in (tmp_path / "runs" / "_trajectories").iterdir()) == stored
    assert trajectories.directory() is None  # the folder was set for the sweeps only
    assert len(a.reps) and len(b.reps)


def test_several_scenarios_in_one_call_simulate_each_replication_once(monkeypatch):
    simulated = []
    real = trajectories.simulate

    def counted(spec, inputs, key=""):
        simulated.append((spec.city, spec.rep))
        return real(spec, inputs, key)

    monkeypatch.setattr(trajectories, "simulate", counted)
    trajectories.clear_memory()
    kw = {"reps": 2, "sample": SAMPLE, "seed": SEED, "end_year": 2024}
    reform = {
        "description": "more visits",
        "take_up": {"caring_visits": {"target": 0.9, "year": 2023}},
    }
    several = simlib.run(CITY, scenarios=["baseline", "harmonised", reform], **kw)
    assert list(several) == ["baseline", "harmonised", "more visits"]
    assert sorted(simulated) == [(CITY, 0), (CITY, 1)]  # one path per city × replication
    monkeypatch.undo()
    trajectories.clear_memory()
    for label, scenario in zip(several, ["baseline", "harmonised", reform], strict=True):
        alone = simlib.run(CITY, scenario, **kw)
        assert several[label].reps.equals(alone.reps)
        assert several[label].meta["scenario"] == alone.meta["scenario"]
    with pytest.raises(simlib.ParamError, match="given twice"):
        simlib.run(CITY, scenarios=["harmonised", "harmonised"], **kw)
    with pytest.raises(simlib.ParamError, match="not both"):
        simlib.run(CITY, "harmonised", scenarios=["baseline"], **kw)

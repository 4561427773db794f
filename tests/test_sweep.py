"""Sweeps: identical on every backend, resumable, never stale, safe against faults; Morris."""

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simlib.core.errors import ParamError
from simlib.experiments.sensitivity import morris, screen
from simlib.experiments.spec import RunSpec
from simlib.experiments.sweep import done_ids, failures, grid, identities, sweep
from simlib.params.tree import default_params_dir

SPECS = grid(["xiaoyi"], ["baseline", "targets_2025"], reps=2, sample=0.01, end_year=2024)
KEY = ["run_id", "year", "county", "item_id", "measure"]


def _canon(df):
    return df.sort_values(KEY).reset_index(drop=True)


def test_serial_and_two_worker_dask_cluster_give_identical_results(tmp_path):
    serial = sweep(SPECS, tmp_path / "serial", backend="serial")
    dask = sweep(SPECS, tmp_path / "dask", backend="dask", workers=2)
    assert len(serial) and serial.run_id.nunique() == len(SPECS)
    pd.testing.assert_frame_equal(_canon(serial), _canon(dask))  # bit for bit


def test_processes_backend_matches_serial(tmp_path):
    serial = sweep(SPECS[:2], tmp_path / "a", backend="serial")
    procs = sweep(SPECS[:2], tmp_path / "b", backend="processes", workers=2)
    pd.testing.assert_frame_equal(_canon(serial), _canon(procs))


def _script(tmp_path, head: str = "") -> subprocess.CompletedProcess:
    """A plain script (no main guard) running two replications on the processes backend."""
    body = head + textwrap.dedent(
        """
        import simlib

        res = simlib.run("xiaoyi", sample=0.01, reps=2, end_year=2021, backend="processes",
                         workers=2)
        print("reps", res.n_reps)
        """
    )
    path = tmp_path / "script.py"
    path.write_text(body, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run(
        [sys.executable, str(path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.mark.skipif(sys.platform != "linux", reason="forked workers are Linux's start method")
def test_a_plain_script_needs_no_main_guard_on_linux_even_after_mesa_sets_spawn(tmp_path):
    # importing mesa.batchrunner sets the global start method to "spawn" (Mesa 3.3)
    done = _script(tmp_path, "import mesa.batchrunner  # noqa: F401\n")
    assert done.returncode == 0 and "reps 2" in done.stdout, done.stderr[-2000:]


def test_where_workers_re_import_the_script_a_missing_guard_is_said_plainly(tmp_path):
    head = (
        "import multiprocessing\nimport simlib.experiments.sweep as sw\n"
        "sw._process_context = lambda: multiprocessing.get_context('spawn')\n"
    )
    done = _script(tmp_path, head)
    assert done.returncode != 0
    assert 'if __name__ == "__main__":' in done.stderr, done.stderr[-2000:]


def test_the_folder_is_a_standard_parquet_dataset_with_the_spec_on_every_row(tmp_path):
    import pyarrow.dataset as ds

    sweep(SPECS, tmp_path, backend="serial")
    df = pd.read_parquet(tmp_path)
    assert df["run_id"].nunique() == len(SPECS)
    for col in (
        "scenario",
        "list_city",
        "sample",
        "seed",
        "rep",
        "params_sha256",
        "simlib_version",
    ):
        assert df[col].notna().all(), col
    assert set(df["scenario"]) == {"baseline", "targets_2025"}
    assert ds.dataset(tmp_path, partitioning="hive").count_rows() == len(df)


def _copy_params(tmp_path):
    params = tmp_path / "params"
    shutil.copytree(default_params_dir(), params, ignore=shutil.ignore_patterns("sources"))
    return params


def cheaper_visits(params) -> None:
    """Edit a params copy: a visit's unit cost (params/outcomes.yaml) to 30 yuan (in range)."""
    import yaml

    path = params / "outcomes.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert doc["unit_cost_yuan"]["values"]["visit"]["value"] > 30
    doc["unit_cost_yuan"]["values"]["visit"]["value"] = 30
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")


def test_changed_params_never_return_old_numbers(tmp_path):
    params = _copy_params(tmp_path)
    spec = [RunSpec(city="xiaoyi", sample=0.01, end_year=2026, params_dir=str(params))]
    out = tmp_path / "sweep"
    first = sweep(spec, out)
    cost = first[(first.measure == "cost_yuan") & (first.year == 2026)].value.sum()
    cheaper_visits(params)
    with pytest.raises(ParamError, match="holds runs made with params"):
        sweep(spec, out)
    again = sweep(spec, out, overwrite=True)
    cheaper = again[(again.measure == "cost_yuan") & (again.year == 2026)].value.sum()
    assert cheaper < cost  # recomputed with the edited unit cost, not read back
    assert identities(spec)[0] != list(first.run_id.unique())


def test_a_killed_sweep_resumes_without_redoing_or_duplicating(tmp_path):
    out = tmp_path / "sweep"
    specs = grid(["xiaoyi"], ["baseline"], reps=6, sample=0.01, end_year=2030)
    code = textwrap.dedent(f"""
        from simlib.experiments.sweep import grid, sweep
        sweep(grid(["xiaoyi"], ["baseline"], reps=6, sample=0.01, end_year=2030), {str(out)!r})
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        if len(done_ids(out)) >= 2:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    first = {p.name: p.stat().st_mtime_ns for p in out.glob("run_id=*")}
    finished = done_ids(out)
    assert 1 <= len(finished) < len(specs), "the kill should land mid-sweep"
    rows = sweep(specs, out)
    assert rows.run_id.nunique() == len(specs)
    assert not rows.duplicated(KEY).any()  # every run once, none doubled
    for name, mtime in first.items():  # finished runs were not redone
        if name.split("=")[1] in finished:
            assert (out / name).stat().st_mtime_ns == mtime
    assert not list(out.glob(".tmp-*")), "no half-written partitions left"


def test_leftovers_of_a_killed_write_and_a_truncated_partition_are_recomputed(tmp_path):
    specs = grid(["xiaoyi"], ["baseline"], reps=3, sample=0.01, end_year=2022)
    full = sweep(specs, tmp_path)
    ids = sorted(full.run_id.unique())
    # a write killed before its spec file: partition present, spec missing
    (tmp_path / "_specs" / f"{ids[0]}.json").unlink()
    # a truncated partition: spec present, Parquet cut short
    part = tmp_path / f"run_id={ids[1]}" / "part-0.parquet"
    part.write_bytes(part.read_bytes()[:100])
    # a temporary folder of a write that never finished
    (tmp_path / ".tmp-dead").mkdir()
    (tmp_path / ".tmp-dead" / "part-0.parquet").write_bytes(b"garbage")
    assert done_ids(tmp_path) == {ids[2]}
    again = sweep(specs, tmp_path)
    pd.testing.assert_frame_equal(_canon(again), _canon(full))
    assert not (tmp_path / ".tmp-dead").exists()


def test_a_bad_spec_is_refused_before_any_run(tmp_path):
    # every spec is prepared (checked) first: a bad override stops the sweep before it writes
    bad = RunSpec(city="xiaoyi", sample=0.01, end_year=2022, overrides=(("health:nope", 1.0),))
    good = RunSpec(city="xiaoyi", sample=0.01, end_year=2022)
    with pytest.raises(ParamError, match="unknown assumption key 'health:nope'"):
        sweep([good, bad], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_failed_run_is_reported_and_a_later_success_clears_it(tmp_path, monkeypatch):
    import simlib.experiments.wiring as wiring

    good = RunSpec(city="xiaoyi", sample=0.01, end_year=2022)
    bad = RunSpec(city="xiaoyi", sample=0.01, end_year=2022, seed=2)
    real = wiring.run_one

    def flaky(spec, inputs=None):  # a run that fails while running (serial: in-process)
        if spec.seed == 2:
            raise RuntimeError("simulated crash")
        return real(spec, inputs)

    monkeypatch.setattr(wiring, "run_one", flaky)
    rows = sweep([bad, good], tmp_path)
    assert rows.run_id.nunique() == 1
    (fail,) = failures(tmp_path)
    assert fail["spec"]["seed"] == 2
    assert "simulated crash" in fail["error"]
    # the same run made to succeed (as after a fix): the failure is gone
    monkeypatch.setattr(wiring, "run_one", real)
    again = sweep([bad, good], tmp_path)
    assert again.run_id.nunique() == 2
    assert failures(tmp_path) == []


def test_two_sweeps_into_one_folder_are_refused(tmp_path):
    code = textwrap.dedent(f"""
        import time
        from simlib.experiments.sweep import _Lock
        from pathlib import Path
        with _Lock(Path({str(tmp_path)!r})):
            print("locked", flush=True)
            time.sleep(30)
    """)
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(ParamError, match="another sweep"):
            sweep(SPECS[:1], tmp_path)
    finally:
        holder.kill()
        holder.wait()


def test_a_killed_processes_sweep_leaves_no_workers(tmp_path):
    out = tmp_path / "sweep"
    code = textwrap.dedent(f"""
        import os, sys
        from simlib.experiments.sweep import grid, sweep
        print(os.getpid(), flush=True)
        sweep(grid(["xiaoyi"], ["baseline"], reps=8, sample=0.05, end_year=2035), {str(out)!r},
              backend="processes", workers=2)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    parent = int(proc.stdout.readline())

    def children():
        out = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True)
        return [int(x) for x in out.stdout.split()]

    deadline = time.time() + 60
    while time.time() < deadline and len(children()) < 2:
        time.sleep(0.1)
    kids = children()
    assert kids, "the sweep should have started workers"
    os.kill(parent, signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 10  # workers check their parent every 0.5 s
    alive = kids
    while time.time() < deadline and alive:
        alive = [k for k in kids if os.path.exists(f"/proc/{k}") and _not_zombie(k)]
        time.sleep(0.2)
    assert not alive, f"orphan workers left: {alive}"


def _not_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


def test_morris_reads_each_runs_own_parameters():
    keys = ["outcomes:unit_cost.visit", "outcomes:fte_hours", "outcomes:minutes.visit"]
    cost = morris("xiaoyi", "cost_yuan", 2025, keys=keys, trajectories=4, sample=0.01)
    by = cost.set_index("key").mu_star
    # FTE hours and minutes change workload, never cost: their effect is exactly zero
    assert by["outcomes:fte_hours"] == 0 and by["outcomes:minutes.visit"] == 0
    assert by["outcomes:unit_cost.visit"] > 0
    staff = morris("xiaoyi", "fte", 2025, keys=keys, trajectories=4, sample=0.01)
    by = staff.set_index("key").mu_star
    # ... while FTE moves with the hours per post of each run (not the default)
    assert by["outcomes:fte_hours"] > 0 and by["outcomes:minutes.visit"] > 0
    assert by["outcomes:unit_cost.visit"] == 0
    assert staff["label"].str.contains("working hours per full-time post").any()


def test_screening_several_outputs_is_morris_for_each_and_loads_each_point_once(monkeypatch):
    import simlib.params.inputs as inputs_mod

    keys = ["outcomes:unit_cost.visit", "outcomes:fte_hours", "health:adl_onset_multiplier"]
    args = dict(keys=keys, trajectories=3, sample=0.01)
    loads = []
    real = inputs_mod._load

    def counted(tree, city, list_city, scen, over, schema):
        loads.append(over)
        return real(tree, city, list_city, scen, over, schema)

    class OneEntry(dict):  # the inputs cache as a design far larger than it sees it
        def __len__(self):
            return 64 if super().__len__() else 0

    import simlib.experiments.prepare as prepare_mod

    monkeypatch.setattr(inputs_mod, "_CACHE", OneEntry())
    monkeypatch.setattr(prepare_mod, "KEEP", 1)
    monkeypatch.setattr(inputs_mod, "_load", counted)
    both = screen("xiaoyi", ("cost_yuan", "fte"), 2025, **args)
    design = {o for o in loads if o}  # the baseline's and the registry's own loads aside
    # each design point's inputs loaded once: prepared once, the runs use them
    assert len([o for o in loads if o]) == len(design)
    assert both["cost_yuan"].attrs["runs"] == 3 * (len(keys) + 1)
    for output in ("cost_yuan", "fte"):
        pd.testing.assert_frame_equal(both[output], morris("xiaoyi", output, 2025, **args))


def test_a_design_screened_by_workers_gives_the_serial_numbers(tmp_path):
    # points sharing their dynamics run in one worker task (the path simulated once there,
    # the others replayed on it from memory); the numbers are the serial ones, bit for bit
    keys = ["outcomes:unit_cost.visit", "health:adl_onset_multiplier", "outcomes:take_up.default"]
    args = dict(keys=keys, trajectories=2, sample=0.01)
    serial = screen("xiaoyi", ("cost_yuan", "fte"), 2025, **args)
    both = screen(
        "xiaoyi", ("cost_yuan", "fte"), 2025, backend="processes", workers=2, out=tmp_path, **args
    )
    for output in ("cost_yuan", "fte"):
        pd.testing.assert_frame_equal(both[output], serial[output], check_exact=True)


def test_a_design_point_has_the_identity_a_full_preparation_gives():
    from simlib.experiments.prepare import prepare_all
    from simlib.experiments.sensitivity import _prepare_design

    over = [(("health:adl_onset_multiplier", 1.05), ("outcomes:unit_cost.visit", 60.0)), ()]
    specs = [
        RunSpec(city="xiaoyi", sample=0.01, end_year=2025, overrides=o, rep=r)
        for o in over
        for r in (0, 1)
    ]
    fast, params_hash = _prepare_design(specs)
    full = prepare_all(specs)
    assert [p.run_id for p in fast] == [p.run_id for p in full]
    assert [p.spec for p in fast] == [p.spec for p in full]
    assert params_hash == full[0].inputs.params_hash


def test_spec_files_record_the_rows_written(tmp_path):
    sweep(SPECS[:1], tmp_path)
    (f,) = (tmp_path / "_specs").glob("*.json")
    record = json.loads(f.read_text())
    assert record["rows"] == len(pd.read_parquet(tmp_path))


def test_ordered_assumptions_never_cross_and_repeated_points_run_once():
    from simlib.params.assumptions import ORDERED, order_design

    first, second = ORDERED[0]
    names = [first, second, "other"]
    X = np.array([[4.0, 3.0, 0.1], [3.0, 4.0, 0.2], [3.5, 3.2, 0.3]])
    got = order_design(X, names)
    assert (got[:, 1] >= got[:, 0]).all()
    np.testing.assert_array_equal(got[:, [0, 2]], X[:, [0, 2]])  # only the second moves
    assert got[1, 1] == 4.0  # an ordered row is left as drawn
    # Morris over both thresholds: every run valid (the model refuses a crossed pair), and a
    # design point repeated by the ordering is run once and read twice
    rank = morris("xiaoyi", "cost_yuan", 2025, keys=[first, second], trajectories=3, sample=0.01)
    assert rank["mu_star"].notna().all()


def test_a_sweep_with_every_run_done_reads_them_in_a_fresh_process(tmp_path, monkeypatch):
    """Nothing left to run on ``processes`` (every run in the folder): no task, no pool, the
    rows read back, in a process that has not run a task yet (its first would run here)."""
    from simlib.experiments import sweep as sweep_module

    first = sweep(SPECS[:2], tmp_path / "a", backend="serial")
    monkeypatch.setattr(sweep_module, "_WARM", [])
    again = sweep(SPECS[:2], tmp_path / "a", backend="processes", workers=2)
    assert again.equals(first)


def test_a_design_reads_only_the_columns_its_analyses_use(tmp_path):
    import dataclasses

    from simlib.experiments.sensitivity import DESIGN_COLUMNS, run_design
    from simlib.experiments.sweep import load

    specs = [
        RunSpec(
            city="xiaoyi", sample=0.01, end_year=2022, overrides=(("outcomes:unit_cost.visit", v),)
        )
        for v in (30.0, 60.0)
    ]
    rows, ids = run_design(specs, tmp_path)
    assert list(rows.columns) == [*DESIGN_COLUMNS, "run_id"]
    full = load(tmp_path, ids)  # every column the folder keeps, the spec's fields included
    assert {"overrides", "scenario", "county", "item_id"} <= set(full.columns)
    pd.testing.assert_frame_equal(rows, full[list(rows.columns)])  # the same rows, bit for bit
    assert rows["run_id"].nunique() == 2
    # a design checks its own runs only; the folder's other runs are left unread
    assert done_ids(tmp_path) == set(ids) and done_ids(tmp_path, ids[:1]) == {ids[0]}
    assert done_ids(tmp_path, ["0" * 16]) == set()  # a run the folder never recorded
    # records and run ids use a spec's plain values: those of dataclasses.asdict
    assert specs[0].as_dict() == dataclasses.asdict(specs[0])
    assert json.dumps(specs[0].as_dict()) == json.dumps(dataclasses.asdict(specs[0]))

"""Simulate once, evaluate any policy: what a stored trajectory saves (issue #23's goals).

Measured in CPU time (``time.process_time``) in one process, the contestants interleaved, so
that the other jobs on a shared machine slow them alike. Prints Markdown tables and writes
``benchmarks/results_trajectory.json`` (git-ignored).

1. **Reform on a stored path against a simulation.** Datong at full scale, 2020–2035: (A) a
   full simulation under a list-only reform (construction + run, the model evaluating the
   list itself, as before trajectories); (B) the same reform replayed on the baseline's
   stored path (:func:`simlib.outcomes.trajectory.replay`). Goal: B ≤ 5 % of A. The
   results are checked equal to the last bit.
2. **Simulation throughput.** (A) against (C), the same simulation recording its path
   instead of evaluating the list (what ``run()`` does the first time), and (D) recording and
   evaluating both.
3. **Panel compare.** ``panel.quick_compare`` of a reform with the baseline at full scale and 10
   replications once the paths exist (goal ≤ 2 s). Skipped with ``--quick``.
4. **A stored path on disk.** Writing the baseline's path (:func:`simlib.experiments.
   trajectories.write`), reading it back (memory-mapped), and reading it then replaying the
   reform against replaying it on the path in memory (the reading's whole cost, the pages
   and the index built when first needed included); the folder's size on disk.

(B) is measured twice: with the list's cells computed anew (``cold``: the first time a list
is evaluated on a path) and kept from the previous round (``warm``: the list, or a variant
of it in amounts, take-up, prices or targets, evaluated again on the path).

Usage::

    .venv/bin/python benchmarks/bench_trajectory.py            # full scale, 3 rounds
    .venv/bin/python benchmarks/bench_trajectory.py --quick    # sample 0.1, 1 round
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

REFORM = {
    "description": "A list-only reform: the old-age allowance from 75, harmonised visits",
    "harmonise": ["caring_visits", "old_age_allowance"],
    "harmonise_cities": ["changzhi", "datong", "jincheng", "puyang", "xiaoyi"],
}


def cpu(fn):
    """``(result, CPU seconds)`` of ``fn()``."""
    t = time.process_time()
    out = fn()
    return out, time.process_time() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--city", default="datong")
    args = ap.parse_args()
    sample = 0.1 if args.quick else 1.0
    rounds = 1 if args.quick else args.rounds

    from simlib.model.model import ElderCareModel
    from simlib.outcomes.trajectory import replay
    from simlib.params import load_inputs

    city = args.city
    reform = load_inputs(city, REFORM)
    base = load_inputs(city)
    kw = {"sample": sample, "rng": 1, "end_year": 2035}

    # warm-up: compile or load every kernel (small sample), so no round pays compilation
    small = ElderCareModel(inputs=reform, sample=0.02, rng=1, end_year=2035, record=True).run()
    replay(small.trajectory(), reform)

    path = ElderCareModel(inputs=base, **kw, record=True, outcomes=False).run().trajectory()
    times: dict[str, list[float]] = {"A": [], "B": [], "Bw": [], "C": [], "D": []}
    equal = True
    for r in range(rounds):
        order = ["A", "B", "C", "D"]
        order = order[r % 4 :] + order[: r % 4]
        for c in order:
            if c == "A":
                full, s = cpu(lambda: ElderCareModel(inputs=reform, **kw).run())
                expected = full.outcomes()
            elif c == "B":
                path.lists.clear()  # the list's cells computed anew (cold)
                led, s = cpu(lambda: replay(path, reform))
                got = led.table()
                _, warm = cpu(lambda: replay(path, reform))  # kept on the path (warm)
                times["Bw"].append(warm)
            elif c == "C":
                _, s = cpu(
                    lambda: ElderCareModel(inputs=base, **kw, record=True, outcomes=False).run()
                )
            else:
                _, s = cpu(lambda: ElderCareModel(inputs=base, **kw, record=True).run())
            times[c].append(s)
        got.insert(1, "city", full.city)
        equal = equal and got.equals(expected)

    best = {k: min(v) for k, v in times.items()}
    med = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
    rows = [
        ("(A) simulate the reform (construction + run, list evaluated in the model)", "A"),
        ("(B) replay the reform on the stored baseline path (its cells computed: cold)", "B"),
        ("(B) again, the list's cells kept on the path (warm)", "Bw"),
        ("(C) simulate and record the path, no list", "C"),
        ("(D) simulate, record and evaluate the list", "D"),
    ]
    print(f"\n{city}, sample {sample}, 2020–2035, {rounds} round(s), CPU seconds\n")
    print("| contestant | best s | median s | rounds |")
    print("|---|---:|---:|---|")
    for label, k in rows:
        each = ", ".join(f"{x:.2f}" for x in times[k])
        print(f"| {label} | {best[k]:.3f} | {med[k]:.3f} | {each} |")
    ratio, ratio_med = best["B"] / best["A"], med["B"] / med["A"]
    print(f"\nB / A: {ratio:.3f} best, {ratio_med:.3f} median (goal ≤ 0.05)")
    print(f"B warm / A: {best['Bw'] / best['A']:.3f} best, {med['Bw'] / med['A']:.3f} median")
    print(f"C / A: {best['C'] / best['A']:.3f}; D / A: {best['D'] / best['A']:.3f}")
    print(f"replayed results equal to the simulation's, bit for bit: {equal}")
    print(f"path in memory: {path.nbytes / 1e6:.0f} MB, {path.n_agents:,} agents")
    out = {
        "city": city,
        "sample": sample,
        "rounds": rounds,
        "cpu_seconds": times,
        "equal": equal,
        "path_mb": path.nbytes / 1e6,
        "load": os.getloadavg(),
    }

    out["disk"] = on_disk(path, reform, rounds)
    out["recording"] = recording(base, kw, rounds)

    if not args.quick:
        from simlib.experiments import trajectories
        from simlib.reporting import panel

        def compare():
            return panel.quick_compare(city, REFORM, 2025, reps=10, sample=1.0, seed=1)

        trajectories.configure(memory_mb=4000)
        _, first = cpu(compare)
        again, wall = [], []
        for _ in range(3):
            w = time.perf_counter()
            _, s = cpu(compare)
            again.append(s)
            wall.append(time.perf_counter() - w)
        print(
            f"\npanel compare, full scale, 10 reps: first {first:.1f} s CPU (simulates the "
            f"paths), then {', '.join(f'{x:.2f}' for x in again)} s CPU "
            f"({', '.join(f'{x:.2f}' for x in wall)} s wall; load {os.getloadavg()[0]:.1f})"
        )
        out["panel_first_s"], out["panel_again_s"], out["panel_again_wall_s"] = first, again, wall
    Path(__file__).with_name("results_trajectory.json").write_text(json.dumps(out, indent=1))


def recording(base, kw: dict, rounds: int) -> dict:
    """CPU s of recording a path: the yearly passes, the trajectory, the write; the steps."""
    import tempfile

    from simlib.experiments import trajectories
    from simlib.model.model import ElderCareModel

    times: dict[str, list[float]] = {"record": [], "trajectory": [], "write": [], "steps": []}
    for _ in range(rounds):
        model = ElderCareModel(inputs=base, **kw, record=True, outcomes=False)
        rec, spent = model.recorder, [0.0, 0.0]
        inner = rec.record

        def timed(cols, year, inner=inner, spent=spent):
            _, s = cpu(lambda: inner(cols, year))
            spent[0] += s

        rec.record = timed
        while model.year < kw["end_year"]:
            _, s = cpu(model.step)
            spent[1] += s
        traj, s = cpu(model.trajectory)
        times["trajectory"].append(s)
        with tempfile.TemporaryDirectory(dir=os.environ.get("SIMLIB_BENCH_TMP")) as tmp:
            _, s = cpu(lambda: trajectories.write(traj, Path(tmp) / "path"))  # noqa: B023
        times["write"].append(s)
        times["record"].append(spent[0])  # the base year's pass is in the construction
        times["steps"].append(spent[1] - spent[0])
    print(f"\nrecording a path (CPU s, {rounds} round(s); the base year's pass not timed)\n")
    print("| part | best s | median s | rounds |")
    print("|---|---:|---:|---|")
    for k, v in times.items():
        each = ", ".join(f"{x:.3f}" for x in v)
        print(f"| {k} | {min(v):.3f} | {sorted(v)[len(v) // 2]:.3f} | {each} |")
    return times


def on_disk(path, reform, rounds: int) -> dict:
    """Write, read, read + replay of a stored path against a replay in memory (CPU s)."""
    import shutil
    import tempfile

    from simlib.experiments import trajectories
    from simlib.outcomes.trajectory import replay

    times: dict[str, list[float]] = {"write": [], "read": [], "read+replay": [], "replay": []}
    with tempfile.TemporaryDirectory(dir=os.environ.get("SIMLIB_BENCH_TMP")) as tmp:
        folder = Path(tmp) / "path"
        for _ in range(max(rounds, 3)):
            shutil.rmtree(folder, ignore_errors=True)
            _, s = cpu(lambda: trajectories.write(path, folder))
            times["write"].append(s)
            back, s = cpu(lambda: trajectories.read(folder))
            times["read"].append(s)
            path.lists.clear()
            _, s = cpu(lambda: replay(path, reform))
            times["replay"].append(s)
            _, s = cpu(lambda: replay(trajectories.read(folder), reform))
            times["read+replay"].append(s)
        size = sum(f.stat().st_size for f in folder.iterdir())
    extra = [a - b for a, b in zip(times["read+replay"], times["replay"], strict=True)]
    print(f"\nstored path on disk: {size / 1e6:.0f} MB (CPU s, {len(extra)} rounds)\n")
    print("| step | best s | median s | rounds |")
    print("|---|---:|---:|---|")
    for k, v in times.items():
        each = ", ".join(f"{x:.3f}" for x in v)
        print(f"| {k} | {min(v):.3f} | {sorted(v)[len(v) // 2]:.3f} | {each} |")
    print(
        f"reading's whole cost (read + replay − replay): median "
        f"{sorted(extra)[len(extra) // 2]:.3f} s, rounds {', '.join(f'{x:.3f}' for x in extra)}"
    )
    return {"bytes": size, "cpu_seconds": times}


if __name__ == "__main__":
    main()

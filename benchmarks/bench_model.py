"""Benchmarks: full model per city at full scale, the explain path, and scaling with size.

Run: ``.venv/bin/python benchmarks/bench_model.py [--quick]``. Each measurement runs in a
fresh subprocess so peak memory (max RSS) is that run's own. Results are printed as a
Markdown table and written to ``benchmarks/results.json``; ``docs/performance.md`` reports
them. These are measurements, not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

_CHILD = r"""
import json, resource, sys, time
import numpy as np
city, sample, end = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
t0 = time.perf_counter()
from simlib.model import ElderCareModel
m = ElderCareModel(city, sample=sample, end_year=end, rng=1)
t1 = time.perf_counter()
m.run()
t2 = time.perf_counter()
alive = m.summary()["agents"].to_numpy()
agent_years = int(alive[:-1].sum())  # agents alive at the start of each simulated year
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB (Linux: KiB)
print(json.dumps({"city": city, "sample": sample, "agents": int(alive[0]),
                  "agent_years": agent_years, "init_s": t1 - t0, "run_s": t2 - t1,
                  "total_s": t2 - t0, "peak_mib": peak}))
"""

_EXPLAIN = r"""
import json, sys, time
import numpy as np
import simlib
from simlib.model import ElderCareModel
from simlib.services import evaluate
n = int(sys.argv[1])
m = ElderCareModel("datong", sample=1.0, end_year=2021, rng=1)
cols = {k: v for k, v in m.population.cols.items()}
city = simlib.load_city("datong")
t0 = time.perf_counter()
for _ in evaluate(city, cols, 2025):
    pass
vec_s = time.perf_counter() - t0
people = m.population.to_frame().drop(columns=["county", "weight", "alive", "death_year"])
rows = people.sample(n, random_state=1).to_dict("records")
t0 = time.perf_counter()
for r in rows:
    simlib.explain(city, r, 2025)
exp_s = time.perf_counter() - t0
N = len(cols["age"])
print(json.dumps({"persons": N, "vectorised_s": vec_s, "vectorised_per_person_us": vec_s / N * 1e6,
                  "explain_sample": n, "explain_per_person_us": exp_s / n * 1e6,
                  "speedup": (exp_s / n) / (vec_s / N)}))
"""


def _child(code: str, *args) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Run every benchmark and write benchmarks/results.json."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="one city, small scale (smoke run)")
    args = ap.parse_args()
    import simlib

    cities = ["xiaoyi"] if args.quick else list(simlib.CITIES)
    sample = 0.1 if args.quick else 1.0
    results = {
        "machine": {
            "python": platform.python_version(),
            "cpu": platform.processor(),
            "machine": platform.machine(),
            "when": time.strftime("%Y-%m-%d"),
        }
    }
    runs = [_child(_CHILD, c, sample, 2035) for c in cities]
    for r in runs:
        r["agent_years_per_s"] = r["agent_years"] / r["run_s"]
    results["full_model"] = runs
    sizes = [0.125, 0.25, 0.5, 1.0] if not args.quick else [0.05, 0.1]
    results["scaling_datong"] = [_child(_CHILD, "datong", f, 2035) for f in sizes]
    results["explain_vs_vectorised"] = _child(_EXPLAIN, 200 if args.quick else 2000)
    (HERE / "results.json").write_text(json.dumps(results, indent=2))
    print("| city | agents | agent-years | run s | total s | M agent-years/s | peak MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in runs:
        print(
            f"| {r['city']} | {r['agents']:,} | {r['agent_years']:,} | {r['run_s']:.2f} | "
            f"{r['total_s']:.2f} | {r['agent_years_per_s'] / 1e6:.2f} | {r['peak_mib']:.0f} |"
        )
    print("\nscaling (Datong): sample, agents, run s, peak MiB")
    for r in results["scaling_datong"]:
        print(f"  {r['sample']:.3f} {r['agents']:>9,} {r['run_s']:6.2f} {r['peak_mib']:6.0f}")
    e = results["explain_vs_vectorised"]
    print(
        f"\nexplain {e['explain_per_person_us']:.0f} µs/person vs vectorised "
        f"{e['vectorised_per_person_us']:.3f} µs/person: {e['speedup']:,.0f}× faster"
    )


if __name__ == "__main__":
    main()

"""Benchmark: the full model against the four-rule reference models, side by side.

Run: ``.venv/bin/python benchmarks/bench_model.py [--quick] [--rounds 5] [--no-profile]``.

Issue #13 sets its speed goals as *ratios* measured side by side in one process, because
absolute times on the shared 2-core machine vary a lot from minute to minute. This script
measures, in this order:

1. **Warm-up** (not timed): one small Datong model run, so numba compiles (or loads from its
   on-disk cache) every kernel before anything is timed, plus one small call of each
   reference runner.
2. **Side by side** (``--rounds``, 5 by default; the order rotates every round so a slow
   moment of the machine does not always hit the same contestant):

   * (A) the full model, ``ElderCareModel("datong", sample=1.0, rng=1, end_year=2035)``:
     construction (synthesis and base-year draws) and ``.run()`` timed separately;
   * (B) :func:`reference_models.run_numpy` on a synthetic state with the same number of
     agents as (A) and the same number of years (15);
   * (C) :func:`reference_models.run_mesa` on a smaller state (20,000 agents x 5 years; it is
     about fifty times slower), whose per-agent-year rate is what the ratio uses.

   Rates are agent-years per second; agent-years = agents alive at the start of each simulated
   year, summed (``model.summary()["agents"]``, ``RunResult.alive``). The ratios full/numpy
   and full/mesa are reported from the best round of each (min time) and from the medians.
3. **Engines**: the numba kernels against their numpy twins (``SIMLIB_ENGINE=numpy``, read by
   :func:`simlib.core.jit.engine` at call time) on the same model, alternated, and a check
   that both give identical results.
4. **Scaling** with agents (Datong at samples 0.1, 0.25, 0.5, 1.0) and with years (end year
   2025, 2030, 2035 at full scale): run time per agent-year should stay flat.
5. **Cities**: each city at full scale 2020-2035 (construction and run seconds).
6. **Memory** per agent, one fresh subprocess per size: the child imports everything and runs
   a tiny model (so numba's kernels and the city's parameters are loaded), records its resident
   memory as the baseline, resets its peak, builds and runs the model, and reports
   (peak - baseline) / agents. The peak is the kernel's ``VmHWM`` (``/proc/self/status``),
   reset with ``/proc/self/clear_refs``: ``getrusage(RUSAGE_SELF).ru_maxrss`` is also
   recorded, but it is not used, because a child that ``subprocess`` starts with ``vfork``
   inherits the parent's high-water mark through ``exec`` (measured here: every size reported
   this script's own peak).
7. **Profile** (``--no-profile`` skips it): cProfile of one full-scale Datong construction and
   run: the top functions by own time and by cumulative time, and the run split into its
   parts. numba reports each call of a compiled kernel to the profiler, so kernels appear under
   their own names.

Everything is printed as Markdown tables and written to ``benchmarks/results.json``
(git-ignored); ``docs/performance.md`` reports the numbers. These are measurements, not
tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CITY = "datong"
BASE_YEAR = 2020
SEED = 7


# --------------------------------------------------------------------------- helpers


def _load_reference():
    """benchmarks/reference_models.py as a module (this folder is not a package)."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    import reference_models

    return reference_models


def _rate(agent_years: int, seconds: float) -> float:
    return agent_years / seconds if seconds > 0 else float("nan")


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def model_run(
    city: str = CITY,
    sample: float = 1.0,
    end_year: int = 2035,
    engine: str | None = None,
    keep: bool = False,
):
    """Build and run one model; time construction and run separately.

    Args:
        city: City key.
        sample: Fraction of persons represented by agents.
        end_year: Last simulated year.
        engine: ``numba`` or ``numpy`` (sets ``SIMLIB_ENGINE`` for this call), or None.
        keep: Also return the model (for the engine comparison).

    Returns:
        A dict of timings and sizes (and the model when ``keep``).
    """
    from simlib.model import ElderCareModel

    saved = os.environ.get("SIMLIB_ENGINE")
    if engine is not None:
        os.environ["SIMLIB_ENGINE"] = engine
    try:
        gc.collect()
        t0 = time.perf_counter()
        m = ElderCareModel(city, sample=sample, rng=1, end_year=end_year)
        t1 = time.perf_counter()
        m.run()
        t2 = time.perf_counter()
    finally:
        if saved is None:
            os.environ.pop("SIMLIB_ENGINE", None)
        else:
            os.environ["SIMLIB_ENGINE"] = saved
    alive = m.summary()["agents"].to_numpy()
    ay = int(alive[:-1].sum())  # agents alive at the start of each simulated year
    row = {
        "city": city,
        "sample": sample,
        "end_year": end_year,
        "engine": engine or "numba",
        "agents": int(alive[0]),
        "years": end_year - BASE_YEAR,
        "agent_years": ay,
        "init_s": t1 - t0,
        "run_s": t2 - t1,
        "total_s": t2 - t0,
        "run_rate": _rate(ay, t2 - t1),
        "whole_rate": _rate(ay, t2 - t0),
    }
    if keep:
        return row, m
    del m
    gc.collect()
    return row


def warm_up(ref) -> float:
    """Compile / load every numba kernel and touch every code path once; not timed."""
    from simlib.model import ElderCareModel

    t0 = time.perf_counter()
    # to the timed runs' end year: some kernels (household benefit sums, one-off marks) are
    # first called when the 2024 lists come into force, and would otherwise load inside (A)
    ElderCareModel(CITY, sample=0.01, rng=1, end_year=2035).run()
    tables = ref.synthetic_tables(3, SEED)
    state = ref.synthetic_state(2_000, 11, SEED)
    ref.run_numpy(state, tables, 3, SEED)
    ref.run_mesa(state, tables, 3, SEED)
    gc.collect()
    return time.perf_counter() - t0


# --------------------------------------------------------------------------- 2. A/B/C


def side_by_side(ref, sample: float, rounds: int, mesa_n: int, mesa_years: int) -> dict:
    """Alternate (A) full model, (B) numpy reference, (C) Mesa reference over ``rounds``."""
    from simlib.params import load_inputs

    years = 2035 - BASE_YEAR
    n_counties = len(load_inputs(CITY).context.counties)
    full: list[dict] = []
    numpy_rows: list[dict] = []
    mesa_rows: list[dict] = []
    state = None  # sized after the first full run (the model's own agent count)
    tables = ref.synthetic_tables(years, SEED)
    mesa_state = ref.synthetic_state(mesa_n, n_counties, SEED)
    mesa_tables = ref.synthetic_tables(mesa_years, SEED)

    def run_full(r):
        nonlocal state
        row = model_run(CITY, sample, 2035)
        row["round"] = r
        full.append(row)
        if state is None:
            state = ref.synthetic_state(row["agents"], n_counties, SEED)

    def run_reference(rows, runner, ref_state, ref_tables, ref_years, r):
        gc.collect()
        t0 = time.perf_counter()
        res = runner(ref_state, ref_tables, ref_years, SEED + r)
        call_s = time.perf_counter() - t0
        rows.append(
            {
                "round": r,
                "agents": int(ref_state["age"].size),
                "years": ref_years,
                "agent_years": res.agent_years,
                "step_s": res.step_s,
                "call_s": call_s,
                "rate": _rate(res.agent_years, res.step_s),
            }
        )

    def run_np(r):
        run_reference(numpy_rows, ref.run_numpy, state, tables, years, r)

    def run_mesa(r):
        run_reference(mesa_rows, ref.run_mesa, mesa_state, mesa_tables, mesa_years, r)

    contestants = [("full", run_full), ("numpy", run_np), ("mesa", run_mesa)]
    for r in range(rounds):
        k = r % len(contestants)
        order = contestants[k:] + contestants[:k]
        if state is None:  # the numpy state needs the model's agent count: full goes first
            order = contestants
        for name, fn in order:
            fn(r)
            print(f"  round {r + 1}/{rounds}: {name} done", file=sys.stderr, flush=True)

    def best(rows, key):
        return max(row[key] for row in rows)

    def med(rows, key):
        return statistics.median(row[key] for row in rows)

    ratios = {}
    for kind in ("run_rate", "whole_rate"):
        for other, rows in (("numpy", numpy_rows), ("mesa", mesa_rows)):
            per_round = [a[kind] / b["rate"] for a, b in zip(full, rows, strict=True)]
            ratios[f"full_{kind.split('_')[0]}/{other}"] = {
                "best_of_rounds": best(full, kind) / best(rows, "rate"),
                "median": med(full, kind) / med(rows, "rate"),
                "per_round_min": min(per_round),
                "per_round_median": statistics.median(per_round),
                "per_round": per_round,
            }
    ratios["numpy/mesa"] = {
        "best_of_rounds": best(numpy_rows, "rate") / best(mesa_rows, "rate"),
        "median": med(numpy_rows, "rate") / med(mesa_rows, "rate"),
    }
    return {
        "rounds": rounds,
        "n_counties": n_counties,
        "full": full,
        "numpy": numpy_rows,
        "mesa": mesa_rows,
        "ratios": ratios,
    }


def mesa_size_check(ref, sizes: list[int], years: int, rounds: int, n_counties: int) -> list:
    """Mesa's rate at several sizes: is the small-N rate representative of large N?"""
    tables = ref.synthetic_tables(years, SEED)
    out = []
    for n in sizes:
        state = ref.synthetic_state(n, n_counties, SEED)
        rates = []
        for r in range(rounds):
            gc.collect()
            res = ref.run_mesa(state, tables, years, SEED + r)
            rates.append(_rate(res.agent_years, res.step_s))
        out.append({"agents": n, "years": years, "rate_best": max(rates), "rates": rates})
    return out


# --------------------------------------------------------------------------- 3. engines


def engines(sample: float, rounds: int) -> dict:
    """numba kernels vs numpy twins on the same model, alternated; results compared."""
    rows: dict[str, list[dict]] = {"numba": [], "numpy": []}
    models = {}
    for r in range(rounds):
        order = ("numba", "numpy") if r % 2 == 0 else ("numpy", "numba")
        for eng in order:
            row, m = model_run(CITY, sample, 2035, engine=eng, keep=True)
            rows[eng].append(row)
            if r == 0:
                models[eng] = m
            del m
            print(f"  engines round {r + 1}/{rounds}: {eng} done", file=sys.stderr, flush=True)
    a, b = models["numba"], models["numpy"]
    identical = bool(
        a.summary().equals(b.summary())
        and a.states().equals(b.states())
        and all(
            x[0] == y[0] and x[1] == y[1] and x[2] == y[2] and np.array_equal(x[3], y[3])
            for x, y in zip(a.ledger.years, b.ledger.years, strict=True)
        )
        and all(
            np.array_equal(a.population.cols[k], b.population.cols[k]) for k in a.population.cols
        )
    )
    del a, b, models
    gc.collect()
    best = {e: min(row["run_s"] for row in rs) for e, rs in rows.items()}
    best_init = {e: min(row["init_s"] for row in rs) for e, rs in rows.items()}
    return {
        "rows": rows,
        "best_run_s": best,
        "best_init_s": best_init,
        "numpy_over_numba_run": best["numpy"] / best["numba"],
        "identical_results": identical,
    }


# --------------------------------------------------------------------------- 4./5. scaling, cities


def scaling(samples: list[float], end_years: list[int], rounds: int) -> dict:
    """Run time against agents (samples) and years (end years); best of ``rounds``."""
    agents: dict[float, list[dict]] = {s: [] for s in samples}
    years: dict[int, list[dict]] = {y: [] for y in end_years}
    top = max(samples)
    for r in range(rounds):
        for s in samples:
            agents[s].append(model_run(CITY, s, 2035))
        for y in end_years:
            years[y].append(model_run(CITY, top, y))
        print(f"  scaling round {r + 1}/{rounds} done", file=sys.stderr, flush=True)

    def best(rows):
        b = min(rows, key=lambda row: row["run_s"])
        return {
            **b,
            "init_s_best": min(row["init_s"] for row in rows),
            "run_s_all": [row["run_s"] for row in rows],
            "us_per_agent_year": b["run_s"] / b["agent_years"] * 1e6,
            "init_us_per_agent": min(row["init_s"] for row in rows) / b["agents"] * 1e6,
        }

    by_agents = [best(agents[s]) for s in samples]
    by_years = [best(years[y]) for y in end_years]
    for series in (by_agents, by_years):
        ref = series[-1]["us_per_agent_year"]
        for row in series:
            row["relative_to_largest"] = row["us_per_agent_year"] / ref
    ay = np.array([row["agent_years"] for row in by_agents], float)
    secs = np.array([row["run_s"] for row in by_agents])
    slope, intercept = np.polyfit(ay, secs, 1)
    return {
        "by_agents": by_agents,
        "by_years": by_years,
        "fit_agents": {"s_per_agent_year": slope, "intercept_s": intercept},
    }


def cities(sample: float, rounds: int) -> list[dict]:
    """Each city at ``sample`` 2020-2035: construction and run seconds (best of rounds)."""
    import simlib

    out = []
    for c in simlib.CITIES:
        rows = [model_run(c, sample, 2035) for _ in range(rounds)]
        b = min(rows, key=lambda row: row["total_s"])
        b["init_s"] = min(row["init_s"] for row in rows)
        b["run_s"] = min(row["run_s"] for row in rows)
        b["run_rate"] = _rate(b["agent_years"], b["run_s"])
        b["all"] = [(row["init_s"], row["run_s"]) for row in rows]
        out.append(b)
        print(f"  city {c} done", file=sys.stderr, flush=True)
    return out


# --------------------------------------------------------------------------- 6. memory

_MEMORY_CHILD = r"""
import gc, json, os, resource, sys, time

def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024  # MiB

def reset_peak():
    try:  # Linux >= 4.0: writing 5 resets VmHWM (the peak) to the current RSS
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False

city, sample, end, engine = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
os.environ["SIMLIB_ENGINE"] = engine
import numpy, pandas, pyarrow, mesa, numba  # noqa: F401  the libraries
import simlib, simlib.model, simlib.outcomes.cells, simlib.outcomes.households  # noqa: F401
imports_only = status("VmRSS")
from simlib.model import ElderCareModel
# a tiny run loads numba's compiled kernels and the city's parameters (fixed costs)
ElderCareModel(city, sample=0.002, rng=1, end_year=2022).run()
gc.collect()
baseline = status("VmRSS")
reset = reset_peak()
t0 = time.perf_counter()
m = ElderCareModel(city, sample=sample, rng=1, end_year=end)
t1 = time.perf_counter()
after_init = status("VmRSS")
m.run()
t2 = time.perf_counter()
peak = status("VmHWM")
agents = int(m.summary()["agents"].iloc[0])
print(json.dumps({"city": city, "sample": sample, "end_year": end, "engine": engine,
    "agents": agents, "imports_mib": imports_only, "baseline_mib": baseline,
    "peak_reset": reset, "after_init_mib": after_init, "end_rss_mib": status("VmRSS"),
    "peak_mib": peak, "ru_maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "init_s": t1 - t0, "run_s": t2 - t1,
    "bytes_per_agent": (peak - baseline) * 2**20 / agents,
    "bytes_per_agent_over_imports": (peak - imports_only) * 2**20 / agents}))
"""


def memory(samples: list[float], end_year: int, engines_: tuple[str, ...]) -> dict:
    """Peak memory per agent: one fresh subprocess per size (and engine)."""
    rows = []
    for eng in engines_:
        for s in samples if eng == "numba" else samples[-1:]:
            out = subprocess.run(
                [sys.executable, "-c", _MEMORY_CHILD, CITY, str(s), str(end_year), eng],
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            )
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"  memory {eng} {s} done", file=sys.stderr, flush=True)
    numba_rows = [r for r in rows if r["engine"] == "numba"]
    result = {"rows": rows}
    if len(numba_rows) >= 2:
        agents = np.array([r["agents"] for r in numba_rows], float)
        above = np.array([r["peak_mib"] - r["baseline_mib"] for r in numba_rows]) * 2**20
        slope, intercept = np.polyfit(agents, above, 1)
        result["fit"] = {"bytes_per_agent": slope, "fixed_mib": intercept / 2**20}
    return result


# --------------------------------------------------------------------------- 7. profile


#: Parts of a run for the profile's breakdown: label -> (file, function).
PARTS = {
    "construction (synthesis + base-year draws)": ("simlib/model/model.py", "__init__"),
    "run (15 yearly steps)": ("simlib/model/model.py", "run"),
    "outcomes: Ledger.record (list per cell)": ("simlib/outcomes/ledger.py", "record"),
    "  cells: grouping kernel": ("simlib/outcomes/cells.py", "_group_kernel"),
    "  list evaluated and aggregated (_aggregate)": ("simlib/outcomes/ledger.py", "_aggregate"),
    "  households: household benefit sums": ("simlib/outcomes/households.py", "_kernel"),
    "  cells: once-only flags marked": ("simlib/outcomes/cells.py", "_mark_kernel"),
    "DataCollector.collect (simlib's Collector)": ("simlib/model/reporters.py", "collect"),
    "  state counts kept as arrays (state_table)": ("simlib/model/reporters.py", "state_table"),
    "  weighted alive and dead (weight_sums)": ("simlib/model/reporters.py", "weight_sums"),
    "random streams: a generator per process and year (Streams.get)": (
        "simlib/population/streams.py",
        "get",
    ),
    **{
        f"process step: {name}": (f"simlib/population/processes/{name}.py", "step")
        for name in (
            "death",
            "adl",
            "chronic",
            "assistance",
            "institution",
            "household",
            "status",
            "ageing",
        )
    },
    "  household: kernel (widowhood, children, living, counts)": (
        "simlib/population/processes/household.py",
        "_household_kernel",
    ),
    "  household: move-in kernel": ("simlib/population/processes/household.py", "_move_in_kernel"),
}


def profile(sample: float, top: int = 40) -> dict:
    """cProfile of one construction + run; the top functions and the run's parts."""
    from simlib.model import ElderCareModel

    gc.collect()
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    m = ElderCareModel(CITY, sample=sample, rng=1, end_year=2035)
    m.run()
    prof.disable()
    wall = time.perf_counter() - t0
    del m
    gc.collect()
    stats = pstats.Stats(prof)
    rows = [
        {
            "function": fn,
            "where": f"{_short(file)}:{line}",
            "calls": nc,
            "primitive_calls": cc,
            "tottime_s": tt,
            "cumtime_s": ct,
        }
        for (file, line, fn), (cc, nc, tt, ct, _) in stats.stats.items()
    ]
    parts = {}
    for label, (file, fn) in PARTS.items():
        hits = [r for r in rows if r["function"] == fn and r["where"].startswith(file + ":")]
        if hits:
            parts[label] = {
                "cumtime_s": sum(r["cumtime_s"] for r in hits),
                "calls": sum(r["calls"] for r in hits),
            }
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    return {
        "wall_s": wall,
        "profiled_s": stats.total_tt,
        "parts": parts,
        "tottime": sorted(rows, key=lambda r: r["tottime_s"], reverse=True)[:top],
        "cumulative": sorted(rows, key=lambda r: r["cumtime_s"], reverse=True)[:top],
        "text_tottime": buf.getvalue(),
    }


def _short(path: str) -> str:
    p = path.replace(str(ROOT) + os.sep, "")
    for marker in ("site-packages" + os.sep, "lib" + os.sep + "python3"):
        if marker in p:
            p = p.split(marker, 1)[1]
    return p


# --------------------------------------------------------------------------- report


def report(res: dict) -> None:
    """Print the results as Markdown tables."""
    m = res["machine"]
    print(
        f"\n## simlib model benchmark, {m['when']} ({m['cores']} cores, {m['cpu']}, "
        f"Python {m['python']})"
    )
    print(f"warm-up (numba kernels, not timed): {res['warm_up_s']:.1f} s\n")

    sbs = res["side_by_side"]
    print(f"### Side by side, {sbs['rounds']} rounds in one process (agent-years per second)\n")
    print(
        "| contestant | agents | years | agent-years | best s | median s | best M ay/s "
        "| median M ay/s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")

    def line(name, rows, secs_key, rate_key):
        secs = [r[secs_key] for r in rows]
        rates = [r[rate_key] for r in rows]
        r0 = rows[0]
        print(
            f"| {name} | {r0['agents']:,} | {r0['years']} | {r0['agent_years']:,} | "
            f"{min(secs):.2f} | {statistics.median(secs):.2f} | {max(rates) / 1e6:.2f} | "
            f"{statistics.median(rates) / 1e6:.2f} |"
        )

    line("(A) full model, run", sbs["full"], "run_s", "run_rate")
    line("(A) full model, construction + run", sbs["full"], "total_s", "whole_rate")
    line("(B) numpy four rules", sbs["numpy"], "step_s", "rate")
    line("(C) Mesa four rules", sbs["mesa"], "step_s", "rate")
    init = [r["init_s"] for r in sbs["full"]]
    print(f"\n(A) construction: best {min(init):.2f} s, median {statistics.median(init):.2f} s\n")
    print("| ratio | best of rounds | median | per-round min | goal |")
    print("|---|---:|---:|---:|---|")
    goals = {"full_run/numpy": "≥ 0.5", "full_run/mesa": "≥ 15"}
    for k, v in sbs["ratios"].items():
        prm = f"{v['per_round_min']:.3g}" if "per_round_min" in v else ""
        print(
            f"| {k} | {v['best_of_rounds']:.3g} | {v['median']:.3g} | {prm} | {goals.get(k, '')} |"
        )

    if res.get("mesa_sizes"):
        print(
            "\nMesa four rules by size (best rate, M agent-years/s): "
            + ", ".join(
                f"{r['agents']:,} agents: {r['rate_best'] / 1e6:.3f}" for r in res["mesa_sizes"]
            )
        )

    e = res["engines"]
    print("\n### numba kernels vs numpy twins (same model, alternated)\n")
    print("| engine | best construction s | best run s | runs |")
    print("|---|---:|---:|---|")
    for eng in ("numba", "numpy"):
        runs = ", ".join(f"{r['run_s']:.2f}" for r in e["rows"][eng])
        print(f"| {eng} | {e['best_init_s'][eng]:.2f} | {e['best_run_s'][eng]:.2f} | {runs} |")
    print(
        f"\nnumpy twins / numba run time: {e['numpy_over_numba_run']:.2f}×; "
        f"identical results: {e['identical_results']}"
    )

    sc = res["scaling"]
    print("\n### Scaling (best of rounds)\n")
    print(
        "| sample | end year | agents | agent-years | construction s | run s "
        "| µs per agent-year | vs largest |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in sc["by_agents"] + sc["by_years"]:
        print(
            f"| {row['sample']} | {row['end_year']} | {row['agents']:,} | "
            f"{row['agent_years']:,} | {row['init_s_best']:.2f} | {row['run_s']:.2f} | "
            f"{row['us_per_agent_year']:.3f} | {row['relative_to_largest']:.2f} |"
        )
    f = sc["fit_agents"]
    print(
        f"\nrun s = {f['intercept_s']:.2f} + {f['s_per_agent_year'] * 1e6:.3f} µs × agent-years "
        "(least squares over the samples)"
    )

    print("\n### Each city, 2020-2035 (best of rounds)\n")
    print(
        "| city | sample | agents | agent-years | construction s | run s | total s | M ay/s (run) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in res["cities"]:
        print(
            f"| {row['city']} | {row['sample']} | {row['agents']:,} | {row['agent_years']:,} | "
            f"{row['init_s']:.2f} | {row['run_s']:.2f} | {row['init_s'] + row['run_s']:.2f} | "
            f"{row['run_rate'] / 1e6:.2f} |"
        )
    tot = sum(row["init_s"] + row["run_s"] for row in res["cities"])
    print(f"\nall cities, one replication each: {tot:.1f} s")

    mem = res["memory"]
    print("\n### Peak memory per agent (fresh subprocess per size; peak = VmHWM)\n")
    print(
        "| engine | sample | agents | imports MiB | baseline MiB | peak MiB "
        "| bytes/agent above baseline | above imports only |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in mem["rows"]:
        print(
            f"| {r['engine']} | {r['sample']} | {r['agents']:,} | {r['imports_mib']:.0f} | "
            f"{r['baseline_mib']:.0f} | {r['peak_mib']:.0f} | {r['bytes_per_agent']:.0f} | "
            f"{r['bytes_per_agent_over_imports']:.0f} |"
        )
    if "fit" in mem:
        print(
            f"\nfit (numba): peak above baseline = {mem['fit']['fixed_mib']:.1f} MiB + "
            f"{mem['fit']['bytes_per_agent']:.0f} bytes × agents"
        )

    if res.get("profile"):
        p = res["profile"]
        print(f"\n### cProfile, Datong construction + run ({p['profiled_s']:.2f} s profiled)\n")
        print("| part | calls | cumulative s | share of profiled |")
        print("|---|---:|---:|---:|")
        for label, v in p["parts"].items():
            print(
                f"| {label} | {v['calls']} | {v['cumtime_s']:.2f} | "
                f"{v['cumtime_s'] / p['profiled_s']:.0%} |"
            )
        print("\n| function (top own time) | where | calls | own s | cumulative s |")
        print("|---|---|---:|---:|---:|")
        for r in p["tottime"][:15]:
            print(
                f"| {r['function']} | {r['where']} | {r['calls']} | {r['tottime_s']:.2f} | "
                f"{r['cumtime_s']:.2f} |"
            )


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: small samples, 2 rounds")
    ap.add_argument("--rounds", type=int, default=None, help="side-by-side rounds (5; quick 2)")
    ap.add_argument("--no-profile", action="store_true", help="skip the cProfile run")
    ap.add_argument("--out", type=Path, default=HERE / "results.json")
    args = ap.parse_args(argv)
    q = args.quick
    rounds = args.rounds or (2 if q else 5)
    sample = 0.05 if q else 1.0

    ref = _load_reference()
    import mesa
    import numba

    import simlib

    res: dict = {
        "machine": {
            "when": time.strftime("%Y-%m-%d %H:%M"),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "numba": numba.__version__,
            "mesa": mesa.__version__,
            "simlib": simlib.__version__,
            "machine": platform.machine(),
            "cpu": _cpu_name(),
            "cores": os.cpu_count(),
            "load_average_at_start": os.getloadavg(),
        },
        "quick": q,
    }
    print("warm-up ...", file=sys.stderr, flush=True)
    res["warm_up_s"] = warm_up(ref)
    print("side by side ...", file=sys.stderr, flush=True)
    res["side_by_side"] = side_by_side(
        ref, sample, rounds, mesa_n=5_000 if q else 20_000, mesa_years=3 if q else 5
    )
    res["mesa_sizes"] = mesa_size_check(
        ref,
        [5_000, 20_000] if q else [20_000, 200_000],
        years=3 if q else 5,
        rounds=1 if q else 2,
        n_counties=res["side_by_side"]["n_counties"],
    )
    print("engines ...", file=sys.stderr, flush=True)
    res["engines"] = engines(sample, 1 if q else 2)
    print("scaling ...", file=sys.stderr, flush=True)
    res["scaling"] = scaling(
        [0.01, 0.025, 0.05] if q else [0.1, 0.25, 0.5, 1.0],
        [2025, 2030, 2035],
        1 if q else 3,
    )
    print("cities ...", file=sys.stderr, flush=True)
    res["cities"] = cities(sample, 1 if q else 2)
    print("memory ...", file=sys.stderr, flush=True)
    res["memory"] = memory(
        [0.02, 0.05] if q else [0.1, 0.25, 0.5, 1.0], 2035, ("numba",) if q else ("numba", "numpy")
    )
    if not args.no_profile:
        print("profile ...", file=sys.stderr, flush=True)
        res["profile"] = profile(sample)
    res["machine"]["load_average_at_end"] = os.getloadavg()
    args.out.write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n")
    report(res)
    print(f"\nwritten: {args.out}")
    return res


if __name__ == "__main__":
    main()

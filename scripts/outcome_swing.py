"""Which outcome parameters move a headline figure by more than 5 % over their range.

For every outcome assumption of the registry (``outcomes:take_up.*``, ``outcomes:minutes.*``,
``outcomes:unit_cost.*``, ``outcomes:bed_cost.*``, travel minutes and FTE hours;
:func:`simlib.params.assumptions.registry`), each of the five cities is run under the
baseline at the documented values and with the one parameter at the low and at the high end
of its range, all else at the documented values (one at a time). The swing of a headline
figure is (value at high − value at low) ÷ value at the documented values, in %, for
enrolments, staff FTE (the visit workload), institution beds and the service-list cost in
2025 and 2035. Every point shares the seed and the population paths (common random
numbers: outcome parameters never reach the dynamics), so a swing is the parameter's, not
Monte-Carlo noise.

The table is written as CSV (``--out``, default ``docs/outcome_swing.csv``) with the
params hash, sample, replications and seed in its first comment lines, and the rows above
5 % are printed with their provenance class
(:func:`simlib.params.provenance.outcome_provenance`).

Run: ``PYTHONPATH=$PWD .venv/bin/python scripts/outcome_swing.py [--sample 0.02 --reps 2]``
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import simlib
from simlib.experiments.sensitivity import _run
from simlib.experiments.spec import RunSpec
from simlib.params.provenance import outcome_provenance

#: Headline outputs (sensitivity OUTPUTS) and the years read.
MEASURES = ("enrolled", "fte", "beds:institution_bed", "cost_yuan")
YEARS = (2025, 2035)
#: A swing above this share (%) of the headline figure counts as moving it.
THRESHOLD = 5.0


def points(city: str, sample: float, reps: int, seed: int, end_year: int):
    """The design of one city: (key, end, spec) for the base and each key's two ends."""
    reg = simlib.registry(city)
    reg = reg[reg["key"].str.startswith("outcomes:") & (reg["low"] < reg["high"])]
    common = dict(city=city, sample=sample, seed=seed, end_year=end_year)
    out = [("base", "value", RunSpec(**common, rep=r)) for r in range(reps)]
    for row in reg.itertuples():
        for end in ("low", "high"):
            v = float(getattr(row, end))
            for r in range(reps):
                out.append((row.key, end, RunSpec(**common, rep=r, overrides=((row.key, v),))))
    return reg, out


def swings(city: str, sample: float, reps: int, seed: int, workers: int, backend: str):
    """One city's swings: one row per (key, measure, year)."""
    reg, design = points(city, sample, reps, seed, max(YEARS))
    specs = [s for _, _, s in design]
    with tempfile.TemporaryDirectory(prefix="simlib-swing-") as tmp:
        rows, ids = _run(specs, tmp, backend, workers, False)
    rows = rows[rows["measure"].isin(MEASURES) & rows["year"].isin(YEARS)]
    totals = rows.groupby(["run_id", "measure", "year"])["value"].sum()
    recs = []
    for (key, end, _), rid in zip(design, ids, strict=True):
        for m in MEASURES:
            for y in YEARS:
                recs.append((key, end, m, y, float(totals.get((rid, m, y), 0.0))))
    df = pd.DataFrame(recs, columns=["key", "end", "measure", "year", "value"])
    # mean over replications at each end
    mean = df.groupby(["key", "end", "measure", "year"])["value"].mean().unstack("end")
    base = mean.xs("base", level="key")["value"]
    out = mean.drop(index="base", level="key")[["low", "high"]].reset_index()
    out["base"] = [
        base.get((m, y), np.nan) for m, y in zip(out["measure"], out["year"], strict=True)
    ]
    out["swing_pct"] = 100 * (out["high"] - out["low"]) / out["base"].where(out["base"] != 0)
    meta = reg.set_index("key")
    out["value_param"] = out["key"].map(meta["value"])
    out["low_param"] = out["key"].map(meta["low"])
    out["high_param"] = out["key"].map(meta["high"])
    return out.assign(city=city)


def main(sample, reps, seed, workers, backend, out_path):
    """Run the design for the five cities, write the table and print the movers."""
    frames = [swings(c, sample, reps, seed, workers, backend) for c in simlib.CITIES]
    table = pd.concat(frames, ignore_index=True)
    prov = outcome_provenance().set_index("key")
    table["provenance"] = table["key"].map(prov["provenance"].astype(str))
    cols = [
        "city", "key", "value_param", "low_param", "high_param", "provenance",
        "measure", "year", "base", "low", "high", "swing_pct",
    ]  # fmt: skip
    table = table[cols].sort_values(["city", "key", "measure", "year"], ignore_index=True)
    params_hash = simlib.load_inputs(simlib.CITIES[0]).params_hash
    out_path = Path(out_path)
    with out_path.open("w", encoding="utf-8") as f:
        f.write(
            f"# scripts/outcome_swing.py: params {params_hash[:10]}, sample {sample}, "
            f"{reps} reps, seed {seed}, baseline; one at a time over each range\n"
        )
        table.to_csv(f, index=False, float_format="%.6g")
    big = table[table["swing_pct"].abs() > THRESHOLD]
    lead = (
        big.assign(abs_swing=big["swing_pct"].abs())
        .sort_values("abs_swing", ascending=False)
        .drop_duplicates(["key"])
    )
    print(
        f"Outcome parameters moving a headline figure by more than {THRESHOLD:g} % "
        f"(largest swing over cities, measures and years; sample {sample}, {reps} reps):"
    )
    with pd.option_context("display.width", 200, "display.max_rows", 200):
        print(
            lead[["key", "provenance", "city", "measure", "year", "swing_pct"]].to_string(
                index=False, float_format=lambda v: f"{v:.1f}"
            )
        )
    print(f"\nwritten {out_path}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=float, default=0.02)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--backend", default="serial")
    ap.add_argument("--out", default="docs/outcome_swing.csv")
    a = ap.parse_args()
    main(a.sample, a.reps, a.seed, a.workers, a.backend, a.out)

"""Which outcome parameters move a headline figure by more than 5 % over their range.

For each of the five cities, :func:`simlib.experiments.swing.outcome_swings` runs the
baseline at the documented values and with each outcome assumption (take-up, minutes,
unit and bed costs, travel minutes, FTE hours) at the low and at the high end of its range,
one at a time, on shared population paths; the swing of a headline figure (enrolments,
staff FTE, institution beds, service-list cost; 2025 and 2035) is (at high − at low) ÷ at
the documented values, in %.

Writes the whole table as CSV (``--out``, default ``docs/outcome_swing.csv``; its first
line names the params hash, sample, replications and seed) and prints each parameter whose
largest swing exceeds 5 %, with its provenance class
(:func:`simlib.params.provenance.outcome_provenance`): the list issue #26 asks to be sourced
or calibrated.

Run: ``PYTHONPATH=$PWD .venv/bin/python scripts/outcome_swing.py [--sample 0.02 --reps 2]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

import simlib
from simlib.experiments.swing import THRESHOLD, movers, outcome_swings
from simlib.params.provenance import outcome_provenance


def main(sample, reps, seed, workers, backend, out_path):
    """Run the five cities, write the table and print the parameters above the threshold."""
    table = pd.concat(
        [
            outcome_swings(c, sample=sample, reps=reps, seed=seed, backend=backend, workers=workers)
            for c in simlib.CITIES
        ],
        ignore_index=True,
    )
    prov = outcome_provenance().set_index("key")
    table.insert(7, "provenance", table["key"].map(prov["provenance"].astype(str)))
    params_hash = simlib.load_inputs(simlib.CITIES[0]).params_hash
    out_path = Path(out_path)
    with out_path.open("w", encoding="utf-8") as f:
        f.write(
            f"# scripts/outcome_swing.py: params {params_hash[:10]}, sample {sample}, "
            f"{reps} reps, seed {seed}, baseline; one parameter at a time over its range; "
            "rows with a swing (a parameter that does not reach a measure is left out)\n"
        )
        shown = table[table["swing_pct"].fillna(0) != 0].drop(columns="label")
        shown.to_csv(f, index=False, float_format="%.6g")
    lead = movers(table).drop_duplicates("key")
    print(
        f"Outcome parameters moving a headline figure by more than {THRESHOLD:g} % "
        f"(largest swing over cities, measures and years; sample {sample}, {reps} reps, "
        f"params {params_hash[:10]}):"
    )
    cols = ["key", "provenance", "city", "measure", "year", "swing_pct"]
    with pd.option_context("display.width", 200, "display.max_rows", 200):
        print(lead[cols].to_string(index=False, float_format=lambda v: f"{v:.1f}"))
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

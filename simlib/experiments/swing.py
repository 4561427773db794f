"""How far each outcome parameter moves the headline figures over its documented range.

:func:`outcome_swings` runs a city under a scenario at the documented values and, one at a
time, with each outcome assumption of the registry (``outcomes:take_up.*``,
``outcomes:minutes.*``, ``outcomes:unit_cost.*``, ``outcomes:bed_cost.*``, travel minutes,
FTE hours; :func:`simlib.params.assumptions.registry`) at the low and at the high end of its
range. The swing of a headline figure is (value at high − value at low) ÷ value at the
documented values, in % (signed: negative where the figure falls as the parameter rises).
Every point shares the seed and the population paths (outcome parameters never reach the
dynamics; the sensitivity design's replay, :func:`simlib.experiments.sensitivity.run_design`), so
a swing is the parameter's own, not Monte-Carlo noise.

Issue #26's test: no take-up, minutes or unit-cost value that swings a headline by more than
:data:`THRESHOLD` % should be a bare assumption. ``scripts/outcome_swing.py`` runs the five
cities; notebook 06 shows its city's table with each parameter's provenance
(:func:`simlib.params.provenance.outcome_provenance`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from simlib.core.errors import ParamError
from simlib.experiments.sensitivity import run_design
from simlib.experiments.spec import RunSpec
from simlib.params.assumptions import registry

#: Headline outputs (sensitivity outputs): enrolments, staff FTE (the visit workload),
#: institution beds and the service-list cost.
MEASURES = ("enrolled", "fte", "beds:institution_bed", "cost_yuan")
#: A swing above this share (%) of a headline figure counts as moving it.
THRESHOLD = 5.0


def design(
    city: str,
    *,
    sample: float,
    reps: int = 1,
    seed: int = 1,
    end_year: int = 2035,
    scenario: str = "baseline",
    keys: list[str] | None = None,
) -> tuple[pd.DataFrame, list[tuple[str, str, RunSpec]]]:
    """The registry rows varied and the points: (key, end, spec); key ``base`` at the values."""
    reg = registry(city)
    reg = reg[reg["key"].str.startswith("outcomes:") & (reg["low"] < reg["high"])]
    if keys is not None:
        unknown = sorted(set(keys) - set(reg["key"]))
        if unknown:
            raise ParamError(
                f"not an outcome assumption of {city} with a range: {unknown}; "
                "see simlib.params.assumptions.registry(city)"
            )
        reg = reg[reg["key"].isin(keys)]
    common = dict(city=city, scenario=scenario, sample=sample, seed=seed, end_year=end_year)
    points = [("base", "value", RunSpec(**common, rep=r)) for r in range(reps)]
    for row in reg.itertuples():
        for end in ("low", "high"):
            value = float(getattr(row, end))
            points += [
                (row.key, end, RunSpec(**common, rep=r, overrides=((row.key, value),)))
                for r in range(reps)
            ]
    return reg.reset_index(drop=True), points


def outcome_swings(
    city: str,
    years=(2025, 2035),
    *,
    sample: float = 0.01,
    reps: int = 1,
    seed: int = 1,
    scenario: str = "baseline",
    backend: str = "serial",
    workers: int = 2,
    out: str | Path | None = None,
    keys: list[str] | None = None,
) -> pd.DataFrame:
    """One-at-a-time swings of a city's outcome parameters over their ranges.

    Args:
        city: City key.
        years: Years of the headline figures.
        sample: Fraction of residents in each run.
        reps: Replications of each point (the swing compares their means).
        seed: Seed of every point (common random numbers).
        scenario: Scenario name.
        backend: Sweep backend (``serial``, ``processes``, ``dask``).
        workers: Sweep workers.
        out: Sweep folder (a temporary one by default); stored paths are shared there.
        keys: Only these outcome assumptions (all with a range by default).

    Returns:
        One row per (key, measure, year): city, key, label, value_param, low_param,
        high_param, unit (the parameter's), measure, year, base, low, high (the headline
        figure at the documented values and at each end, mean of the replications; money in
        yuan), swing_pct; ``runs``, ``sample``, ``reps`` and ``seed`` in attrs.
    """
    years = tuple(int(y) for y in years)
    reg, points = design(
        city,
        sample=sample,
        reps=reps,
        seed=seed,
        end_year=max(years),
        scenario=scenario,
        keys=keys,
    )
    with tempfile.TemporaryDirectory(prefix="simlib-swing-") as tmp:
        rows, ids = run_design([s for _, _, s in points], out or tmp, backend, workers)
    rows = rows[rows["measure"].isin(MEASURES) & rows["year"].isin(years)]
    totals = rows.groupby(["run_id", "measure", "year"])["value"].sum()
    recs = [
        (key, end, m, y, float(totals.get((rid, m, y), 0.0)))
        for (key, end, _), rid in zip(points, ids, strict=True)
        for m in MEASURES
        for y in years
    ]
    df = pd.DataFrame(recs, columns=["key", "end", "measure", "year", "value"])
    mean = df.groupby(["key", "end", "measure", "year"])["value"].mean().unstack("end")
    base = mean.xs("base", level="key")["value"]
    res = mean.drop(index="base", level="key")[["low", "high"]].reset_index()
    res["base"] = [
        base.get((m, y), np.nan) for m, y in zip(res["measure"], res["year"], strict=True)
    ]
    res["swing_pct"] = 100 * (res["high"] - res["low"]) / res["base"].where(res["base"] != 0)
    meta = reg.set_index("key")
    res = res.assign(
        city=city,
        label=res["key"].map(meta["label"]),
        value_param=res["key"].map(meta["value"]),
        low_param=res["key"].map(meta["low"]),
        high_param=res["key"].map(meta["high"]),
        unit=res["key"].map(meta["unit"]),
    )
    cols = ["city", "key", "label", "value_param", "low_param", "high_param", "unit"]
    cols += ["measure", "year", "base", "low", "high", "swing_pct"]
    res = res[cols].sort_values(["key", "measure", "year"], ignore_index=True)
    res.attrs.update(runs=len(set(ids)), sample=sample, reps=reps, seed=seed)
    return res


def movers(swings: pd.DataFrame, threshold: float = THRESHOLD) -> pd.DataFrame:
    """Each parameter's largest swing (any measure and year), those above ``threshold`` %.

    Returns:
        One row per parameter (and city), ranked by the absolute swing: the columns of
        ``swings`` at the measure and year where the parameter moves most.
    """
    big = swings[swings["swing_pct"].abs() > threshold]
    order = big["swing_pct"].abs().sort_values(ascending=False).index
    return big.loc[order].drop_duplicates(["city", "key"]).reset_index(drop=True)

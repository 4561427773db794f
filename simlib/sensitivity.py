"""Global sensitivity analysis over the assumptions' ranges (SALib), using the sweep.

:func:`morris` screens every continuously variable assumption of a city
(:func:`simlib.assumptions.registry`) for one output — e.g. fiscal cost or staff FTE in
2025 — and ranks them by μ* (mean absolute elementary effect). All runs share one seed, so
the population is the same draw for draw and effects are the parameters', not noise.
:func:`sobol` estimates first-order and total Sobol indices for a few chosen assumptions
(affordable only for a handful: it needs N·(2D+2) runs).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from simlib.assumptions import registry
from simlib.outcomes import fte, load_outcome_params
from simlib.params import ParamError
from simlib.sweep import RunSpec, sweep

#: Outputs the analysis can target: measure summed over items and counties in one year.
OUTPUTS = ("cost_yuan", "fte", "enrolled", "cash_yuan", "beds:institution_bed")


def _problem(city: str, keys: list[str] | None) -> tuple[dict, pd.DataFrame]:
    reg = registry(city)
    if keys is not None:
        missing = set(keys) - set(reg["key"])
        if missing:
            raise ParamError(f"unknown assumption key(s) {sorted(missing)}")
        reg = reg[reg["key"].isin(keys)]
    problem = {
        "num_vars": len(reg),
        "names": reg["key"].tolist(),
        "bounds": reg[["low", "high"]].to_numpy().tolist(),
    }
    return problem, reg


def _outputs(rows: pd.DataFrame, specs: list[RunSpec], output: str, year: int) -> np.ndarray:
    measure = "minutes" if output == "fte" else output
    sel = rows[(rows["measure"] == measure) & (rows["year"] == year)]
    totals = sel.groupby("run_id")["value"].sum()
    y = np.array([totals.get(s.run_id, np.nan) for s in specs], dtype=float)
    if output == "fte":
        y = fte(y, load_outcome_params())
    if np.isnan(y).any():
        raise ParamError(f"{int(np.isnan(y).sum())} runs failed or lack {output!r} in {year}")
    return y


def _specs(city, X, names, sample, seed, end_year) -> list[RunSpec]:
    return [
        RunSpec(
            city=city,
            seed=seed,
            sample=sample,
            end_year=end_year,
            overrides=tuple(sorted(zip(names, map(float, row), strict=True))),
        )
        for row in X
    ]


def morris(
    city: str,
    output: str = "cost_yuan",
    year: int = 2025,
    *,
    trajectories: int = 4,
    levels: int = 4,
    sample: float = 0.01,
    seed: int = 1,
    keys: list[str] | None = None,
    backend: str = "serial",
    workers: int = 2,
    out: str | Path | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Morris screening of a city's assumptions for one output.

    Args:
        city: City key.
        output: One of :data:`OUTPUTS`.
        year: Year of the output.
        trajectories: Morris trajectories (runs = trajectories × (assumptions + 1)).
        levels: Grid levels of the Morris design.
        sample: Sample fraction of each run.
        seed: Seed of the runs and of the design.
        keys: Restrict to these assumption keys (all by default).
        backend: Sweep backend (``serial``, ``processes``, ``dask``).
        workers: Sweep workers.
        out: Sweep folder (a temporary one by default; give one to resume).
        progress: Show a progress bar.

    Returns:
        One row per assumption, ranked by ``mu_star`` (in the output's unit), with
        ``mu``, ``sigma``, ``mu_star_conf``, its range and rationale.
    """
    from SALib.analyze import morris as analyze
    from SALib.sample import morris as sampler

    if output not in OUTPUTS:
        raise ParamError(f"unknown output {output!r}; allowed: {', '.join(OUTPUTS)}")
    problem, reg = _problem(city, keys)
    X = sampler.sample(problem, N=trajectories, num_levels=levels, seed=seed)
    # care-level thresholds are whole grades: the runs round them (assumptions.apply)
    specs = _specs(city, X, problem["names"], sample, seed, year)
    with tempfile.TemporaryDirectory() as tmp:
        rows = sweep(specs, out or tmp, backend=backend, workers=workers, progress=progress)
        y = _outputs(rows, specs, output, year)
    res = analyze.analyze(problem, X, y, num_levels=levels, seed=seed)
    df = pd.DataFrame(
        {
            "key": problem["names"],
            "mu_star": res["mu_star"],
            "mu": res["mu"],
            "sigma": res["sigma"],
            "mu_star_conf": res["mu_star_conf"],
        }
    ).merge(reg[["key", "value", "low", "high", "rationale"]], on="key")
    return df.sort_values("mu_star", ascending=False, ignore_index=True)


def sobol(
    city: str,
    keys: list[str],
    output: str = "cost_yuan",
    year: int = 2025,
    *,
    n: int = 16,
    sample: float = 0.01,
    seed: int = 1,
    backend: str = "serial",
    workers: int = 2,
    out: str | Path | None = None,
) -> pd.DataFrame:
    """First-order (S1) and total (ST) Sobol indices for a few assumptions.

    Args:
        city: City key.
        keys: The assumptions (a handful: runs = n × (2 D + 2)).
        output: One of :data:`OUTPUTS`.
        year: Year of the output.
        n: Base sample size (a power of two).
        sample: Sample fraction of each run.
        seed: Seed.
        backend: Sweep backend.
        workers: Sweep workers.
        out: Sweep folder.

    Returns:
        One row per assumption with S1, S1_conf, ST, ST_conf, ranked by ST.
    """
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sampler

    problem, _ = _problem(city, keys)
    X = sampler.sample(problem, n, calc_second_order=False, seed=seed)
    specs = _specs(city, X, problem["names"], sample, seed, year)
    with tempfile.TemporaryDirectory() as tmp:
        rows = sweep(specs, out or tmp, backend=backend, workers=workers)
        y = _outputs(rows, specs, output, year)
    res = analyze.analyze(problem, y, calc_second_order=False, seed=seed)
    return pd.DataFrame(
        {
            "key": problem["names"],
            "S1": res["S1"],
            "S1_conf": res["S1_conf"],
            "ST": res["ST"],
            "ST_conf": res["ST_conf"],
        }
    ).sort_values("ST", ascending=False, ignore_index=True)

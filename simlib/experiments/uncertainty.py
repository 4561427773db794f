"""Parameter and Monte-Carlo uncertainty together, and which assumptions drive it.

:func:`propagate` samples the documented ranges of a city's assumptions (the registry of
:mod:`simlib.params.assumptions`) by Latin hypercube, runs every parameter sample with several
stochastic replications, and reports for each headline output the interval of all runs —
parameter and Monte-Carlo uncertainty combined — with the share of its variance the
parameters explain. :func:`sobol_indices` estimates first-order and total Sobol indices (with
95 % confidence intervals, SALib) for a few assumptions, under common random numbers so that
the output is a function of the parameters alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simlib.core.errors import ParamError
from simlib.experiments.sensitivity import OUTPUTS, problem, run_design, salib
from simlib.experiments.spec import RunSpec
from simlib.params.assumptions import order_design


def latin_hypercube(n: int, bounds: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``n`` Latin-hypercube points in a box (one per stratum of every dimension).

    Args:
        n: Points.
        bounds: ``[dims, 2]`` lower and upper bounds.
        rng: Random generator.

    Returns:
        ``[n, dims]`` points, uniform within their strata.
    """
    d = bounds.shape[0]
    u = (rng.permuted(np.tile(np.arange(n), (d, 1)), axis=1).T + rng.random((n, d))) / n
    return bounds[:, 0] + u * (bounds[:, 1] - bounds[:, 0])


def propagate(
    city: str,
    scenario: str = "baseline",
    *,
    n: int = 32,
    reps: int = 2,
    sample: float = 0.02,
    seed: int = 1,
    keys: list[str] | None = None,
    outputs: tuple[str, ...] = ("cost_yuan", "fte", "enrolled", "beds:institution_bed"),
    years: tuple[int, ...] = (2025, 2030, 2035),
    end_year: int = 2035,
    backend: str = "serial",
    workers: int = 2,
    out=None,
    progress: bool = False,
) -> pd.DataFrame:
    """Intervals that combine the assumptions' ranges with Monte-Carlo noise.

    Args:
        city: City key.
        scenario: Scenario name or file.
        n: Latin-hypercube samples of the assumptions.
        reps: Stochastic replications of each sample.
        sample: Sample fraction of each run.
        seed: Seed of the design and the runs.
        keys: Assumptions varied (all of the registry by default).
        outputs: Measures (summed over items and counties).
        years: Years reported.
        end_year: Last simulated year.
        backend: Sweep backend.
        workers: Sweep workers.
        out: Sweep folder (a temporary one by default).
        progress: Show a progress bar.

    Returns:
        One row per output × year: value (mean of all runs), lower, upper (2.5 % and 97.5 %
        of all n × reps runs), se (of the mean), param_share (the share of the variance due
        to the assumptions: between-sample variance net of Monte-Carlo noise, over that plus
        the Monte-Carlo variance), samples, reps, unit.
    """
    if n < 2 or reps < 1:
        raise ParamError("propagate needs n >= 2 samples and reps >= 1")
    prob, _ = problem(city, keys)
    X = latin_hypercube(n, np.asarray(prob["bounds"], float), np.random.default_rng(seed))
    X = order_design(X, prob["names"])
    specs = [
        RunSpec(
            city=city,
            scenario=scenario,
            rep=r,
            seed=seed,
            sample=sample,
            end_year=end_year,
            overrides=tuple(sorted(zip(prob["names"], map(float, x), strict=True))),
        )
        for x in X
        for r in range(reps)
    ]
    rows, ids = run_design(specs, out, backend, workers, progress)
    failed = sorted(set(ids) - set(rows["run_id"])) if len(rows) else ids
    if failed:
        raise ParamError(
            f"{len(failed)} of {len(ids)} runs failed; an interval over the others would "
            "silently drop parameter combinations (see the sweep folder's _failures.jsonl)"
        )
    run_of = pd.DataFrame({"run_id": ids, "sample": np.repeat(np.arange(n), reps)})
    table = []
    from simlib.outcomes.measures import unit_of

    for measure in outputs:
        sel = rows[(rows["measure"] == measure) & rows["year"].isin(years)]
        per_run = sel.groupby(["run_id", "year"])["value"].sum().reset_index()
        per_run = per_run.merge(run_of, on="run_id")
        for year, g in per_run.groupby("year"):
            v = g["value"].to_numpy()
            by = g.groupby("sample")["value"]
            # one-way random effects: the variance between parameter samples net of the
            # Monte-Carlo variance of a sample's mean, over that plus the Monte-Carlo variance
            within = float(by.var(ddof=1).mean()) if reps > 1 else 0.0
            between = max(float(by.mean().var(ddof=1)) - within / reps, 0.0)
            share = between / (between + within) if between + within > 0 else np.nan
            table.append(
                {
                    "measure": measure,
                    "year": year,
                    "value": v.mean(),
                    "lower": np.quantile(v, 0.025),
                    "upper": np.quantile(v, 0.975),
                    "se": v.std(ddof=1) / np.sqrt(v.size),
                    "param_share": share,
                    "samples": n,
                    "reps": reps,
                    "unit": unit_of(measure),
                }
            )
    out_df = pd.DataFrame(table)
    out_df.attrs.update(
        city=city, scenario=scenario, sample=sample, runs=len(specs), assumptions=len(prob["names"])
    )
    return out_df


def sobol_indices(
    city: str,
    keys: list[str],
    output: str = "cost_yuan",
    year: int = 2025,
    *,
    n: int = 32,
    sample: float = 0.01,
    seed: int = 1,
    backend: str = "serial",
    workers: int = 2,
    out=None,
    progress: bool = False,
) -> pd.DataFrame:
    """First-order (S1) and total (ST) Sobol indices with 95 % confidence (SALib).

    Every run shares one seed (common random numbers), so the output is a function of the
    assumptions alone. Runs: ``n × (D + 2)`` for ``D`` keys (first-order and total indices only).

    Args:
        city: City key.
        keys: The assumptions (the most influential few, e.g. from Morris).
        output: One of :data:`simlib.experiments.sensitivity.OUTPUTS`.
        year: Year of the output.
        n: Base sample size (a power of two).
        sample: Sample fraction of each run.
        seed: Seed.
        backend: Sweep backend.
        workers: Sweep workers.
        out: Sweep folder.
        progress: Show a progress bar.

    Returns:
        One row per assumption: key, label, S1, S1_conf, ST, ST_conf (half-widths of the
        95 % intervals), ranked by ST; ``runs`` in attrs.
    """
    salib()
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sampler

    from simlib.experiments.sensitivity import outputs as read_outputs
    from simlib.experiments.sensitivity import specs_for

    if output not in OUTPUTS:
        raise ParamError(f"unknown output {output!r}; allowed: {', '.join(OUTPUTS)}")
    prob, reg = problem(city, keys)
    X = sampler.sample(prob, n, calc_second_order=False, seed=seed)
    specs = specs_for(city, X, prob["names"], seed=seed, sample=sample, end_year=year)
    rows, ids = run_design(specs, out, backend, workers, progress)
    y = read_outputs(rows, ids, output, year)
    res = analyze.analyze(prob, y, calc_second_order=False, seed=seed)
    df = pd.DataFrame(
        {
            "key": prob["names"],
            "S1": res["S1"],
            "S1_conf": res["S1_conf"],
            "ST": res["ST"],
            "ST_conf": res["ST_conf"],
        }
    ).merge(reg[["key", "label", "value", "low", "high"]], on="key")
    df = df.sort_values("ST", ascending=False, ignore_index=True)
    df.attrs.update(runs=len(specs), sample=sample, output=output, year=year)
    return df

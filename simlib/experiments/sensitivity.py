"""Global sensitivity analysis over the assumptions' documented ranges (SALib), using the sweep.

:func:`morris` screens every continuously variable assumption of a city
(:func:`simlib.params.assumptions.registry`) for one output — e.g. fiscal cost or staff FTE in
2025 — and ranks them by μ* (mean absolute elementary effect). All runs share one seed, so
the population is the same draw for draw and effects are the parameters', not noise. Every
output is read from each run's own rows (FTE at that run's hours per post), never recomputed
with defaults. SALib is an optional dependency (``pip install 'simlib[sensitivity]'``).
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from simlib.core.errors import ParamError, did_you_mean
from simlib.experiments.spec import RunSpec
from simlib.params.assumptions import order_design, registry

#: Outputs the analysis can target: measure summed over items and counties in one year.
OUTPUTS = ("cost_yuan", "fte", "enrolled", "cash_yuan", "beds:institution_bed")


def salib():
    """The SALib package (an optional dependency)."""
    try:
        import SALib  # noqa: F401
    except ImportError:
        raise ParamError(
            "sensitivity analysis needs SALib: pip install 'simlib[sensitivity]'"
        ) from None


def problem(city: str, keys: list[str] | None = None) -> tuple[dict, pd.DataFrame]:
    """The SALib problem (names, bounds) of a city's assumptions, and their registry rows."""
    reg = registry(city)
    if keys is not None:
        missing = [k for k in keys if k not in set(reg["key"])]
        if missing:
            raise ParamError(
                f"unknown assumption key(s) {missing}{did_you_mean(missing[0], reg['key'])}"
            )
        reg = reg.set_index("key").loc[keys].reset_index()
    return {
        "num_vars": len(reg),
        "names": reg["key"].tolist(),
        "bounds": reg[["low", "high"]].to_numpy().tolist(),
    }, reg


def outputs(rows: pd.DataFrame, ids: list[str], output: str, year: int) -> np.ndarray:
    """One output per run (in ``ids`` order), read from the runs' rows."""
    if output not in OUTPUTS:
        raise ParamError(
            f"unknown output {output!r}{did_you_mean(output, OUTPUTS)}; "
            f"allowed: {', '.join(OUTPUTS)}"
        )
    sel = rows[(rows["measure"] == output) & (rows["year"] == year)]
    totals = sel.groupby("run_id")["value"].sum()
    y = np.array([totals.get(i, np.nan) for i in ids], dtype=float)
    if np.isnan(y).any():
        raise ParamError(f"{int(np.isnan(y).sum())} runs failed or lack {output!r} in {year}")
    return y


def specs_for(city: str, X: np.ndarray, names: list[str], **common) -> list[RunSpec]:
    """One spec per row of a design matrix.

    Assumption values become overrides; ordered pairs are put in order
    (:func:`simlib.params.assumptions.order_design`).
    """
    X = order_design(X, names)
    return [
        RunSpec(
            city=city, overrides=tuple(sorted(zip(names, map(float, row), strict=True))), **common
        )
        for row in X
    ]


#: Assumption groups that never reach the population's dynamics (docs/performance.md:
#: "Where policy meets the dynamics"); every other override is taken to change them.
POLICY = ("outcomes:", "item:", "standard:")


def _dynamics_part(spec: RunSpec) -> RunSpec:
    """A design point without its policy overrides: points equal here share their path.

    Used only to decide which paths are worth keeping; the numbers never depend on it.
    """
    keep = tuple((k, v) for k, v in spec.overrides if not k.startswith(POLICY))
    return dataclasses.replace(spec, overrides=keep)


def _prepare_design(specs: list[RunSpec]) -> tuple[list, str]:
    """The design's runs, prepared, and the params hash they use.

    The points of a design differ only in their assumption overrides and replication.
    When its scenario derives no take-up paths (no ``targets:``), a point's identity is
    its spec's with the scenario's hash, as :func:`simlib.experiments.prepare.prepare`
    gives it; the scenario is prepared once, and each point's inputs are loaded (and its
    values checked) where it runs, by the sweep's workers in parallel. Otherwise each
    point is prepared in full here.
    """
    from simlib.experiments.prepare import Prepared, prepare, prepare_all
    from simlib.experiments.spec import run_id

    if not specs:
        return [], ""
    shape = dataclasses.replace(specs[0], overrides=(), rep=0)
    template = prepare(shape)
    if len(template.paths) or any(
        dataclasses.replace(s, overrides=(), rep=0) != shape for s in specs
    ):
        prepared = prepare_all(specs)
        return prepared, prepared[0].inputs.params_hash
    params_hash, scenario_hash = template.inputs.params_hash, template.scenario_hash
    prepared = []
    for s in specs:
        spec = dataclasses.replace(template.spec, overrides=s.overrides, rep=s.rep)
        prepared.append(
            Prepared(spec, None, template.paths, run_id(spec, params_hash, scenario_hash))
        )
    return prepared, params_hash


#: The columns of a design's rows the analyses read (with ``run_id``): a run's measures by
#: year, summed over items and counties (:func:`outputs`).
DESIGN_COLUMNS = ("year", "measure", "value")


def run_design(
    specs: list[RunSpec],
    out: str | Path | None = None,
    backend: str = "serial",
    workers: int = 2,
    progress: bool = False,
    columns: tuple[str, ...] | None = DESIGN_COLUMNS,
) -> tuple[pd.DataFrame, list[str]]:
    """Run the points of a design (each distinct one once): their rows and run ids.

    The one way the analyses (Morris, propagation, Sobol, outcome swings) run their
    points: each point's inputs are loaded once (:func:`_prepare_design`), points that
    share a population path (they differ in outcome parameters only) run in one task and
    replay on it, and a point whose dynamics no other point shares simulates with its own
    ledger. A design's cost is its simulations, evaluations and one reading of the
    parameters per point.

    Args:
        specs: The design's points (the same point may appear more than once).
        out: Sweep folder (a temporary one by default; give one to resume); stored paths
            are shared in its ``_trajectories`` unless a folder is set.
        backend: Sweep backend (``serial``, ``processes``, ``dask``).
        workers: Sweep workers.
        progress: Show a progress bar.
        columns: The columns of the rows returned (and ``run_id``); None: every column
            a sweep keeps (the spec's fields included).

    Returns:
        ``(rows, ids)``: the runs' outcome rows (with ``run_id``) and each spec's run id,
        in ``specs`` order.
    """
    from simlib.experiments.sweep import sweep_prepared
    from simlib.experiments.trajectories import read_once, shared_in

    prepared, params_hash = _prepare_design(specs)
    ids = [p.run_id for p in prepared]
    # a design may hold the same point twice (ordered pairs clipped to one value): run it once
    unique = list({p.run_id: p for p in prepared}.values())
    # a point whose dynamics no other point shares (a sample of health parameters)
    # simulates with its own ledger: its path would be recorded and stored for nothing
    dynamics = Counter(_dynamics_part(p.spec) for p in unique)
    once = {p.spec for p in unique if dynamics[_dynamics_part(p.spec)] == 1}
    with tempfile.TemporaryDirectory() as tmp:
        # samples of outcome parameters share their dynamics: each path simulated once, by
        # the worker that then replays the other points of that dynamics on it from memory
        # (one task: ``together``); kept on disk too, for a resumed design
        with shared_in(Path(out or tmp) / "_trajectories"), read_once(once):
            rows = sweep_prepared(
                unique,
                out or tmp,
                backend=backend,
                workers=workers,
                progress=progress,
                params_hash=params_hash,
                together=_dynamics_part,
                columns=columns,
            )
    return rows, ids


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
        One row per assumption, ranked by ``mu_star`` (in the output's unit): key, label,
        mu_star, mu, sigma, mu_star_conf, value, low, high, rationale; ``runs`` in attrs.
    """
    return screen(
        city,
        (output,),
        year,
        trajectories=trajectories,
        levels=levels,
        sample=sample,
        seed=seed,
        keys=keys,
        backend=backend,
        workers=workers,
        out=out,
        progress=progress,
    )[output]


def screen(
    city: str,
    measures: tuple[str, ...] = ("cost_yuan", "fte"),
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
) -> dict[str, pd.DataFrame]:
    """Morris screening of several outputs on one design (each run once, read per output).

    The same as :func:`morris` for each output (same design, same runs, same numbers),
    at the cost of one.

    Args:
        city: City key.
        measures: Outputs, each one of :data:`OUTPUTS`.
        year: Year of the outputs.
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
        ``{output: ranking}``, each ranking as :func:`morris` returns it.
    """
    salib()
    from SALib.analyze import morris as analyze
    from SALib.sample import morris as sampler

    for output in measures:
        if output not in OUTPUTS:
            raise ParamError(f"unknown output {output!r}; allowed: {', '.join(OUTPUTS)}")
    prob, reg = problem(city, keys)
    X = sampler.sample(prob, N=trajectories, num_levels=levels, seed=seed)
    specs = specs_for(city, X, prob["names"], seed=seed, sample=sample, end_year=year)
    rows, ids = run_design(specs, out, backend, workers, progress)
    result = {}
    for output in measures:
        y = outputs(rows, ids, output, year)
        res = analyze.analyze(prob, X, y, num_levels=levels, seed=seed)
        df = pd.DataFrame(
            {
                "key": prob["names"],
                "mu_star": res["mu_star"],
                "mu": res["mu"],
                "sigma": res["sigma"],
                "mu_star_conf": res["mu_star_conf"],
            }
        ).merge(reg[["key", "label", "value", "low", "high", "unit", "rationale"]], on="key")
        df = df.sort_values("mu_star", ascending=False, ignore_index=True)
        df.attrs["runs"] = len(specs)
        df.attrs["sample"] = sample
        result[output] = df
    return result

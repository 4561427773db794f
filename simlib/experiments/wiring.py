"""The one place a run is wired: a spec and its inputs → a model → outcome rows.

:func:`run`, sweeps (on any backend), sensitivity samples and the command line all go through
:func:`build_model`, so a run depends on nothing but its spec and the params files.
"""

from __future__ import annotations

import pandas as pd

from simlib.experiments.spec import RunSpec
from simlib.model.model import ElderCareModel
from simlib.model.reporters import MODEL_REPORTERS
from simlib.params import Inputs, load_inputs
from simlib.population.processes import schema_of
from simlib.population.streams import rep_seed


def inputs_for(spec: RunSpec) -> Inputs:
    """The inputs of a spec (cached per content: replications share one object)."""
    return load_inputs(
        spec.city,
        spec.scenario_arg(),
        list_city=spec.list_city,
        params_dir=spec.params_dir,
        overrides=dict(spec.overrides),
        schema=schema_of(spec.process_classes()),
    )


#: The reporters of a run whose outcome rows alone are kept (:func:`run_one`): the model's
#: without the yearly state counts, which nothing then reads (2.4 ms of CPU a simulated
#: year at sample 0.5, a sixth of a run of Xiaoyi to 2035; the same rows).
ROW_REPORTERS = {k: v for k, v in MODEL_REPORTERS.items() if k != "states"}


def build_model(
    spec: RunSpec, inputs: Inputs | None = None, reporters: dict | None = None
) -> ElderCareModel:
    """The model of one spec: the one place a run is wired (run, sweeps, sensitivity, CLI).

    Args:
        spec: The run.
        inputs: Its inputs (loaded from the spec when not given).
        reporters: The model's reporters (``MODEL_REPORTERS`` by default).

    Returns:
        The model, in its base year.
    """
    return ElderCareModel(
        inputs=inputs or inputs_for(spec),
        sample=spec.sample,
        end_year=spec.end_year,
        rng=rep_seed(spec.seed, spec.rep),
        processes=spec.process_classes(),
        reporters=reporters,
        groups=spec.groups,
    )


def run_one(spec: RunSpec, inputs: Inputs | None = None) -> pd.DataFrame:
    """Run one spec and return its outcome rows (with a ``rep`` column).

    The population's path is simulated once per dynamics and kept
    (:mod:`simlib.experiments.trajectories`); the spec's policy is evaluated on it, with the
    numbers of a full simulation to the last bit. With ``SIMLIB_TRAJECTORIES=0`` the model
    simulates and evaluates the list itself.
    """
    from simlib.experiments import trajectories

    inputs = inputs or inputs_for(spec)
    out = trajectories.outcome_rows(spec, inputs) if trajectories.enabled() else None
    if out is None:
        out = build_model(spec, inputs, ROW_REPORTERS).run().outcomes()
    out["rep"] = spec.rep
    return out

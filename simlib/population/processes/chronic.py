"""Chronic conditions: hypertension, type-2 diabetes, severe mental disorder."""

from __future__ import annotations

import numpy as np

from simlib.core.jit import engine, kernel
from simlib.population.processes.base import AGES, Process, incidence
from simlib.population.streams import agent_uniform, agent_uniforms, draw_keys


class Chronic(Process):
    """Diagnosed hypertension and type-2 diabetes, and registered severe mental disorder.

    Base year: each condition from its age prevalence. Each year: incidence that keeps the
    prevalence curve (:func:`~simlib.population.processes.base.incidence`); no remission.
    Severe mental disorder is held constant (no age or incidence figures exist).
    """

    name = "chronic"
    owns = ("hypertension", "diabetes", "severe_mental")
    reads = ("alive",)
    reads_last_year = ("age",)
    reports = ("hypertension", "diabetes")
    params = {
        "hypertension_prevalence": "curve",
        "diabetes_prevalence": "curve",
        "severe_mental_prevalence": "value",
    }

    def __init__(self, ctx):
        super().__init__(ctx)
        self.hypertension = incidence(self.p.curve("hypertension_prevalence", AGES)).astype(
            np.float32
        )
        self.diabetes = incidence(self.p.curve("diabetes_prevalence", AGES)).astype(np.float32)

    def init(self, cols, rng):  # noqa: D102 - see the class docstring
        age, n = cols["age"], cols["age"].size
        cols["hypertension"][:] = rng.random(n) < self.p.curve("hypertension_prevalence", age)
        cols["diabetes"][:] = rng.random(n) < self.p.curve("diabetes_prevalence", age)
        cols["severe_mental"][:] = rng.random(n) < self.p.values["severe_mental_prevalence"]

    def step(self, cols, year, rng):  # noqa: D102 - see the class docstring
        alive = cols["alive"]
        keys = draw_keys(rng, 2)
        if engine() == "numba":
            _chronic_kernel()(
                alive,
                cols["age"],
                cols["hypertension"],
                cols["diabetes"],
                keys[0],
                keys[1],
                self.hypertension,
                self.diabetes,
            )
            return
        u1, u2 = agent_uniforms(keys, alive.size)
        ai = cols["age"].astype(np.intp)
        cols["hypertension"] |= alive & (u1 < np.take(self.hypertension, ai))
        cols["diabetes"] |= alive & (u2 < np.take(self.diabetes, ai))


@kernel
def _chronic_kernel(alive, age, hypertension, diabetes, k1, k2, p_hyp, p_diab):
    for i in range(alive.shape[0]):
        if alive[i]:
            a = age[i]
            if agent_uniform(k1, i) < p_hyp[a]:
                hypertension[i] = True
            if agent_uniform(k2, i) < p_diab[a]:
                diabetes[i] = True

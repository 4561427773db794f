"""Living arrangement: with family, empty nest (空巢), alone (独居); left-behind (留守)."""

from __future__ import annotations

import numpy as np

from simlib.core.people import SCHEMA
from simlib.population.processes.base import AGES, OLD_AGE, Process, incidence, uniforms

_L = SCHEMA["living"].code
WITH_FAMILY, EMPTY_NEST, ALONE = _L("with_family"), _L("empty_nest"), _L("alone")


class Living(Process):
    """Living arrangement of persons at home (institution residents live collectively).

    Base year: alone by the age curve ``alone_prevalence``; empty nest (incl. alone) at the
    60+ share, scaled below 60. Each year: moves to living alone and to empty nest at rates
    that keep those age profiles. Rural residents 60+ are left-behind (留守) at
    ``left_behind_rural``.
    """

    name = "living"
    owns = ("living", "left_behind")
    reports = ("living",)
    params = {
        "alone_prevalence": "curve",
        "empty_nest_or_alone_60plus": "value",
        "empty_nest_45_59_ratio": "value",
        "left_behind_rural": "value",
    }

    def __init__(self, ctx):
        super().__init__(ctx)
        self.alone = incidence(self.p.curve("alone_prevalence", AGES)).astype(np.float32)
        self.empty_nest = incidence(self.nest_or_alone(AGES)).astype(np.float32)

    def nest_or_alone(self, age) -> np.ndarray:
        """P(empty nest or alone) by age: the 60+ share, scaled below 60, never below alone."""
        v = self.p.values
        ratio = np.where(np.asarray(age) >= OLD_AGE, 1.0, v["empty_nest_45_59_ratio"])
        return np.maximum(
            ratio * v["empty_nest_or_alone_60plus"], self.p.curve("alone_prevalence", age)
        )

    def init(self, cols, rng):  # noqa: D102 - see the class docstring
        age, n = cols["age"], cols["age"].size
        p_alone = self.p.curve("alone_prevalence", age)
        p_nest = self.nest_or_alone(age)
        u = rng.random(n)
        cols["living"][:] = np.where(
            u < p_alone, ALONE, np.where(u < p_nest, EMPTY_NEST, WITH_FAMILY)
        )
        cols["left_behind"][:] = (
            ~cols["urban"] & (age >= OLD_AGE) & (rng.random(n) < self.p.values["left_behind_rural"])
        )

    def step(self, cols, year, rng):  # noqa: D102 - see the class docstring
        living, ai = cols["living"], cols["age"].astype(np.intp)
        u = uniforms(rng, living.size)
        home = cols["alive"] & ~cols["in_institution"]
        p_alone = np.take(self.alone, ai)
        to_alone = home & (living != ALONE) & (u < p_alone)
        to_nest = (
            home
            & (living == WITH_FAMILY)
            & ~to_alone
            & (u < p_alone + np.take(self.empty_nest, ai))
        )
        living[to_alone] = ALONE
        living[to_nest] = EMPTY_NEST

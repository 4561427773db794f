"""Living arrangement: with family, empty nest (空巢), alone (独居); left-behind (留守)."""

from __future__ import annotations

import numpy as np

from simlib.core.jit import engine, kernel
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
        living = cols["living"]
        u = uniforms(rng, living.size)
        if engine() == "numba":
            _living_kernel()(
                cols["alive"],
                cols["in_institution"],
                living,
                cols["age"],
                u,
                self.alone,
                self.empty_nest,
            )
            return
        ai = cols["age"].astype(np.intp)
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


@kernel
def _living_kernel(alive, in_institution, living, age, u, p_alone, p_nest):
    for i in range(alive.shape[0]):
        if not alive[i] or in_institution[i]:
            continue
        pa = p_alone[age[i]]
        if living[i] != ALONE and u[i] < pa:
            living[i] = ALONE
        elif living[i] == WITH_FAMILY and u[i] < pa + p_nest[age[i]]:
            living[i] = EMPTY_NEST

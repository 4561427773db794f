"""Ageing: one year older, pensions from the pension age, net migration."""

from __future__ import annotations

import numpy as np

from simlib.core.errors import ParamError
from simlib.core.jit import engine, kernel
from simlib.core.people import SCHEMA
from simlib.params.demography import MAX_AGE
from simlib.population.processes.base import Process

_P = SCHEMA["pension"].code


class Ageing(Process):
    """Age +1 for the living, pensions from the pension age, weights × net migration.

    The age is held at the top of the table. Pensions: an employee pension with a
    residence-specific share, else the resident pension with ``pension_resident_coverage``.
    """

    name = "ageing"
    owns = ("pension",)
    writes = ("age", "weight")
    reads = ("alive", "urban")
    params = {
        "pension_employee_urban": "value",
        "pension_employee_rural": "value",
        "pension_resident_coverage": "value",
        "pension_age": "value",
        "net_migration": "value",
    }

    def __init__(self, ctx):
        super().__init__(ctx)
        age = self.p.values["pension_age"]
        if age != round(age):
            raise ParamError(
                f"params/population/health.yaml: ageing.pension_age: {age} is not a whole age"
            )
        self.pension_age = int(age)

    def assign(self, cols, rng, who: np.ndarray) -> None:
        """Draw the pension type of the persons ``who`` (agent indices, ascending; in place)."""
        v = self.p.values
        urban = cols["urban"][who]
        p_emp = np.where(urban, v["pension_employee_urban"], v["pension_employee_rural"])
        u = rng.random(who.size)
        kind = np.where(
            u < p_emp,
            _P("employee"),
            np.where(u < p_emp + (1 - p_emp) * v["pension_resident_coverage"], _P("resident"), 0),
        )
        cols["pension"][who] = kind

    def init(self, cols, rng):  # noqa: D102 - see the class docstring
        self.assign(cols, rng, np.flatnonzero(cols["age"] >= self.pension_age))

    def step(self, cols, year, rng):  # noqa: D102 - see the class docstring
        alive, age = cols["alive"], cols["age"]
        if engine() == "numba":  # one pass: age, and who reaches the pension age unpensioned
            starts = _ageing_kernel()(alive, age, cols["pension"], MAX_AGE, self.pension_age)
        else:
            np.minimum(age + alive, MAX_AGE, out=age, casting="unsafe")
            starts = np.flatnonzero(alive & (age == self.pension_age) & (cols["pension"] == 0))
        if starts.size:
            self.assign(cols, rng, starts)
        migration = self.p.values["net_migration"]
        if migration:
            cols["weight"][alive] *= 1 + migration


@kernel
def _ageing_kernel(alive, age, pension, max_age, pension_age):
    # the numpy twin is the branch of Ageing.step: age + 1 for the living (held at max_age),
    # and the indices of the living who now have the pension age and no pension
    # two loops: the first is branch-free and vectorised, the second rarely branches
    top = age.dtype.type(max_age)
    for i in range(alive.shape[0]):
        age[i] = min(age[i] + age.dtype.type(alive[i]), top)
    starts = np.empty(alive.shape[0], np.int64)
    k = 0
    for i in range(alive.shape[0]):
        if age[i] == pension_age and alive[i] and pension[i] == 0:
            starts[k] = i
            k += 1
    return starts[:k].copy()

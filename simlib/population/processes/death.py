"""Death: WPP mortality × every declared relative risk, scaled to the life table."""

from __future__ import annotations

import numpy as np

from simlib.core.jit import engine, kernel
from simlib.core.units import rate_to_prob
from simlib.params.demography import FIRST_YEAR, LAST_YEAR, MAX_AGE
from simlib.population.mortality import level_by_age
from simlib.population.processes.base import Process, Risk
from simlib.population.streams import agent_uniform, agent_uniforms, draw_keys


class Death(Process):
    """Each living person dies within the year with probability ``1 − exp(−mx · L · RR · k)``.

    ``mx`` is the life-table rate of the person's sex, age and the calendar year the step
    covers: the step out of model year ``t`` (31 December ``t``) runs through calendar year
    ``t + 1``, so it reads the rates of ``t + 1`` and its deaths have ``death_year`` ``t + 1``
    (the base year's own deaths, November–December 2020, are those of
    :func:`~simlib.population.synthesis.to_year_end`). ``L`` is the city's old-age
    mortality level at 60+ (``city_mortality_level``, from the 2010 census:
    :mod:`simlib.population.mortality`; 1 below 60 and without a city). ``RR`` the
    product of the relative risks other processes declare (ADL grade); ``k`` the product of
    their scales, fixed at calibration so that when each risk factor follows its reference
    distribution the mean death probability equals the life table's, and when disability is
    more common than that, more people die. A reference distribution that moves with a
    sourced secular trend (the ADL onset trend) has a scale for each year
    (:meth:`~simlib.population.processes.base.Risk.scale_in`), so the trend alone leaves
    deaths on the life table. Probabilities for every (sex, age, risk level) are tabulated
    once per year, so the step is one gather and one comparison per person.
    """

    name = "death"
    owns = ("alive", "death_year")
    reads = ("sex",)
    reads_last_year = ("age",)  # the age reached last year (ageing runs last)
    reports = ()
    params = {"city_mortality_level": "group"}

    def __init__(self, ctx):
        super().__init__(ctx)
        self.risks: tuple[Risk, ...] = ()
        self._tables: dict[int, np.ndarray] = {}
        #: the city's multiplier of China's rates [sex, age]
        self.city_level = level_by_age(ctx.health, ctx.city)

    def bind(self, risks: list[Risk]) -> None:
        """Take the relative risks the other processes declare (before the first step)."""
        self.risks = tuple(risks)
        self._tables = {}

    def table(self, year: int) -> np.ndarray:
        """Death probabilities of the step out of ``year``, flat over [sex, age, risk level].

        The step covers calendar year ``year + 1``: its life-table rates are those of
        ``year + 1`` (float32).
        """
        if year not in self._tables:
            y = min(max(year + 1, FIRST_YEAR), LAST_YEAR) - FIRST_YEAR
            rr = np.ones(1)
            scale = self.city_level.copy()
            for r in self.risks:
                rr = np.multiply.outer(rr, r.rr).ravel()
                scale = scale * r.scale_in(year)
            hazard = self.ctx.mortality.mx[:, :, y, None] * rr * scale[:, :, None]
            self._tables[year] = rate_to_prob(hazard).astype(np.float32).ravel()
        return self._tables[year]

    def level(self, cols: dict[str, np.ndarray]) -> np.ndarray:
        """Each person's flat index into :meth:`table` ((sex, age) then risk levels)."""
        idx = cols["sex"].astype(np.intp) * (MAX_AGE + 1) + cols["age"].astype(np.intp)
        for r in self.risks:
            idx = idx * r.rr.size + cols[r.column]
        return idx

    def step(self, cols, year, rng):  # noqa: D102 - see the class docstring
        alive = cols["alive"]
        keys = draw_keys(rng, 1)
        if engine() == "numba" and self.risks:
            risk_cols = tuple(cols[r.column].astype(np.int8, copy=False) for r in self.risks)
            sizes = np.array([r.rr.size for r in self.risks], dtype=np.int64)
            _death_kernel()(
                alive,
                cols["death_year"],
                cols["sex"],
                cols["age"],
                risk_cols,
                sizes,
                self.table(year),
                keys[0],
                year + 1,
                MAX_AGE + 1,
            )
            return
        u = agent_uniforms(keys, alive.size)[0]
        p_die = np.take(self.table(year), self.level(cols))
        dies = alive & (u < p_die)
        alive &= ~dies
        cols["death_year"][dies] = year + 1


@kernel
def _death_kernel(alive, death_year, sex, age, risk_cols, sizes, table, key, year, n_ages):
    for i in range(alive.shape[0]):
        if not alive[i]:
            continue
        idx = np.int64(sex[i]) * n_ages + age[i]
        k = 0
        for col in risk_cols:
            idx = idx * sizes[k] + col[i]
            k += 1
        if agent_uniform(key, i) < table[idx]:
            alive[i] = False
            death_year[i] = year

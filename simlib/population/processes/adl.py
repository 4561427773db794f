"""ADL disability (失能): grades 0–4 of GB/T 42195-2022, onset, recovery, progression."""

from __future__ import annotations

import hashlib

import numpy as np

from simlib.core.errors import ParamError
from simlib.core.jit import engine, kernel
from simlib.params.demography import LAST_YEAR, MAX_AGE
from simlib.population.calibration import (
    AdlCalibration,
    calibrate_adl,
    trend_mortality_scales,
)
from simlib.population.processes.base import AGES, Process, Risk
from simlib.population.streams import agent_uniform, agent_uniforms, draw_keys

#: ADL grade names in code order (see SCHEMA["adl_level"]).
ADL_GRADES = ("intact", "mild", "moderate", "severe", "total")

_CALIBRATIONS: dict[str, AdlCalibration] = {}
_TREND_SCALES: dict[str, np.ndarray] = {}


class Adl(Process):
    """ADL grade and the 特困 care class it implies.

    Base year: each person's grade is drawn from the calibrated grade mix of their sex and
    age. Each year: an intact person becomes disabled with the calibrated onset probability
    (× ``adl_onset_multiplier``, × ``(1 + adl_onset_trend)`` to the power of the years since
    the base year: the secular fall in age-specific onset; 0 = constant rates), entering
    grades 1–4 in the onset shares; a disabled person
    improves one grade with the recovery probability, else worsens one with the progression
    probability. The care class follows from the grade (``care_level_min_adl``). Declares the
    ADL mortality relative risk, with the calibration's scale, re-solved for each year's
    expected mix under the onset trend (:func:`trend_scales`), so that the trend does not
    move deaths off the life table.
    """

    name = "adl"
    owns = ("adl_level", "care_level")
    reads = ("alive", "sex")
    reads_last_year = ("age",)
    params = {
        "adl_prevalence": "curve",
        "adl_female_ratio": "value",
        "adl_grade_shares": "table",
        "adl_recovery": "curve",
        "adl_progression": "curve",
        "adl_mortality_rr": "table",
        "care_level_min_adl": "group",
        "adl_onset_multiplier": "value",
        "adl_progression_scale": "value",
        "adl_onset_trend": "value",
    }

    def __init__(self, ctx):
        super().__init__(ctx)
        p = self.p
        for name, labels in (
            ("adl_grade_shares", ADL_GRADES[1:]),
            ("adl_mortality_rr", ADL_GRADES),
        ):
            if list(p.shares[name]) != list(labels):
                raise ParamError(
                    f"params/population/health.yaml: adl.{name}: needs values for "
                    f"{list(labels)} in that order"
                )
        partial = p.values["care_level_min_adl.partial_care"]
        full = p.values["care_level_min_adl.full_care"]
        for k, v in (("partial_care", partial), ("full_care", full)):
            if v != round(v) or not 1 <= v <= 4:
                raise ParamError(
                    f"params/population/health.yaml: adl.care_level_min_adl.{k}: {v} is not an "
                    "ADL grade 1..4"
                )
        if partial > full:
            raise ParamError(
                "params/population/health.yaml: adl.care_level_min_adl: partial_care threshold "
                "above full_care"
            )
        self.partial, self.full = int(partial), int(full)
        self.calibration = calibrated(p, ctx)
        onset = np.clip(self.calibration.onset * p.values["adl_onset_multiplier"], 0.0, 1.0)
        self.onset = onset.ravel().astype(np.float32)  # flat [sex, age]
        self.recovery = p.curve("adl_recovery", AGES).astype(np.float32)
        self.progression = (
            p.curve("adl_progression", AGES) * p.values["adl_progression_scale"]
        ).astype(np.float32)
        self.trend = float(p.values["adl_onset_trend"])
        self.cum_shares = np.cumsum(list(p.shares["adl_grade_shares"].values()))
        self.rr = np.asarray(list(p.shares["adl_mortality_rr"].values()))

    def care_level(self, adl: np.ndarray) -> np.ndarray:
        """特困 care classes (0 全自理, 1 半护理, 2 全护理) of ADL grades."""
        return ((adl >= self.partial).astype(np.int8) + (adl >= self.full).astype(np.int8)).astype(
            np.int8
        )

    def init(self, cols, rng):  # noqa: D102 - see the class docstring
        age, sex = cols["age"], cols["sex"]
        # the grade is the number of cumulative shares u reaches: cumulate the [sex, age]
        # table once and compare one grade at a time (the same numbers as cumulating every
        # agent's row, without [agents, grades] temporaries)
        cdf = np.cumsum(self.calibration.grade_dist, axis=-1)
        a = np.minimum(age, MAX_AGE)
        u = rng.random(age.size)
        grade = np.zeros(age.size, np.int64)
        for g in range(cdf.shape[-1]):
            grade += u >= cdf[sex, a, g]
        cols["adl_level"][:] = np.minimum(grade, cdf.shape[-1] - 1)
        cols["care_level"][:] = self.care_level(cols["adl_level"])

    def onset_in(self, year: int) -> np.ndarray:
        """Onset probabilities (flat ``[sex, age]``) of the step from ``year`` to ``year + 1``.

        The calibrated onset × ``(1 + adl_onset_trend) ** (year + 1 - base_year)``: the
        flows of calendar year ``year + 1``, the base year's rates unchanged when the trend is 0.
        """
        if not self.trend:
            return self.onset
        factor = (1.0 + self.trend) ** (year + 1 - self.ctx.base_year)
        return np.clip(self.onset * factor, 0.0, 1.0).astype(np.float32)

    def step(self, cols, year, rng):  # noqa: D102 - see the class docstring
        alive, adl = cols["alive"], cols["adl_level"]
        keys = draw_keys(rng, 2)
        onset_rate = self.onset_in(year)
        if engine() == "numba":
            _adl_kernel()(
                alive,
                adl,
                cols["care_level"],
                cols["age"],
                cols["sex"],
                keys[0],
                keys[1],
                onset_rate,
                self.recovery,
                self.progression,
                self.cum_shares.astype(np.float32),
                MAX_AGE + 1,
                len(ADL_GRADES),
                self.partial,
                self.full,
            )
            return
        u, grade_draw = agent_uniforms(keys, adl.size)
        ai = cols["age"].astype(np.intp)
        sa = cols["sex"].astype(np.intp) * (MAX_AGE + 1) + ai
        onset = alive & (adl == 0) & (u < np.take(onset_rate, sa))
        disabled = alive & (adl > 0)
        rec = np.take(self.recovery, ai)
        down = disabled & (u < rec)
        up = disabled & ~down & (u < rec + np.take(self.progression, ai))
        up &= adl < len(ADL_GRADES) - 1
        who = np.flatnonzero(onset)
        adl[who] = 1 + np.minimum(
            np.searchsorted(self.cum_shares, grade_draw[who], side="right"),
            self.cum_shares.size - 1,
        )
        adl[down] -= 1
        adl[up] += 1
        cols["care_level"][:] = self.care_level(adl)

    def risk(self) -> Risk:  # noqa: D102 - see the class docstring
        scale = self.calibration.mortality_scale
        if not self.trend:
            return Risk("adl_level", self.rr, scale)
        base = self.ctx.base_year
        years = np.arange(base, max(LAST_YEAR, base + 1))
        factors = (1.0 + self.trend) ** (years + 1 - base)
        return Risk("adl_level", self.rr, scale, trend_scales(self.p, self.ctx, factors), int(base))


@kernel
def _adl_kernel(
    alive,
    adl,
    care,
    age,
    sex,
    k_step,
    k_grade,
    onset,
    recovery,
    progression,
    cum,
    n_ages,
    n_grades,
    partial,
    full,
):
    # draws inline: the step's for the living, the grade's only at an onset
    top = cum.shape[0] - 1
    for i in range(adl.shape[0]):
        a = adl[i]
        if alive[i]:
            u = agent_uniform(k_step, i)
            if a == 0:
                if u < onset[np.int64(sex[i]) * n_ages + age[i]]:
                    g = agent_uniform(k_grade, i)
                    k = 0
                    while k < cum.shape[0] and cum[k] <= g:
                        k += 1
                    a = 1 + min(k, top)
            else:
                r = recovery[age[i]]
                if u < r:
                    a -= 1
                elif u < r + progression[age[i]] and a < n_grades - 1:
                    a += 1
            adl[i] = a
        care[i] = (a >= partial) + (a >= full)


def calibrated(section, ctx) -> AdlCalibration:
    """The ADL calibration for these parameters (computed once per content, then shared)."""
    key = _key(section, ctx)
    if key not in _CALIBRATIONS:
        if len(_CALIBRATIONS) > 32:
            _CALIBRATIONS.clear()
        _CALIBRATIONS[key] = calibrate_adl(section, ctx.mortality, ctx.base_year, ctx.female_share)
    return _CALIBRATIONS[key]


def trend_scales(section, ctx, factors: np.ndarray) -> np.ndarray:
    """The death scales ``[year, sex, age]`` of the calibrated mix under an onset trend.

    The reference mix is the calibrated chain's with onset × ``factors`` and without
    ``adl_onset_multiplier``: the trend is sourced and leaves deaths on the life table
    (:func:`~simlib.population.calibration.trend_mortality_scales`), while a multiplier's
    extra disability still costs lives. Computed once per content, then shared.
    """
    key = _key(section, ctx) + np.asarray(factors, float).tobytes().hex()
    if key not in _TREND_SCALES:
        if len(_TREND_SCALES) > 32:
            _TREND_SCALES.clear()
        _TREND_SCALES[key] = trend_mortality_scales(
            section, ctx.mortality, calibrated(section, ctx), ctx.base_year, factors
        )
    return _TREND_SCALES[key]


def _key(section, ctx) -> str:
    return hashlib.sha256(
        repr(
            (
                sorted(section.values.items()),
                section.curves,
                section.shares,
                ctx.base_year,
                ctx.female_share,
            )
        ).encode()
        + ctx.mortality.mx.tobytes()
    ).hexdigest()

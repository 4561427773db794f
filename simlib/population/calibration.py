"""Calibration of the ADL process to the sourced prevalence curve, by a function, not by hand.

:func:`calibrate_adl` runs the model's five-grade ADL chain as a deterministic (expected
value) cohort from age 45 to :data:`~simlib.demography.MAX_AGE`, for each sex. At each age
it solves for the onset probability that carries the chain's disability prevalence onto the
target curve at the next age, and records the expected grade mix and mean mortality
relative risk. The synthetic population draws its base-year grades from that mix, and the
yearly step divides each person's relative risk by that mean, so that when disability
follows its sourced profile the population death rate equals the life table, and when
disability is more common, more people die.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simlib.params.demography import MAX_AGE, Mortality
from simlib.params.health import Section

#: First age of the modelled population.
FIRST_AGE = 45
AGES = np.arange(MAX_AGE + 1)


def adl_prevalence(health: Section, age, sex, female_share: float) -> np.ndarray:
    """Target P(adl_level ≥ 1) by age and sex: the both-sex curve times a sex factor.

    The factors keep the both-sex average at the curve: male ``m`` and female ``r·m`` with
    ``m (1 − f) + r m f = 1`` for female share ``f``.

    Args:
        health: The ``adl`` section of the health parameters.
        age: Ages (years).
        sex: Sex codes (0 male, 1 female).
        female_share: Female share of the population the curve describes.

    Returns:
        Probabilities in [0, 1].
    """
    r = health.values["adl_female_ratio"]
    m = 1.0 / (1 - female_share + r * female_share)
    return np.clip(health.curve("adl_prevalence", age) * np.where(sex == 1, r * m, m), 0, 1)


@dataclass(frozen=True)
class AdlCalibration:
    """Result of :func:`calibrate_adl`, arrays indexed ``[sex, age]``.

    Attributes:
        onset: Yearly probability that an intact person becomes disabled.
        mortality_scale: Factor ``k`` on ``mx × RR`` such that the grade mix's mean
            one-year death probability equals the life table's (see
            :func:`mortality_scale`).
        grade_dist: Expected grade mix ``[sex, age, grade]`` (rows sum to 1).
        fitted: Prevalence the chain reaches at each age (to report the fit).
        target: Target prevalence at each age.
    """

    onset: np.ndarray
    mortality_scale: np.ndarray
    grade_dist: np.ndarray
    fitted: np.ndarray
    target: np.ndarray


def mortality_scale(mx: float, rr: np.ndarray, mix: np.ndarray, iterations: int = 20) -> float:
    """Solve ``Σ_j mix_j (1 − exp(−mx · RR_j · k)) = 1 − exp(−mx)`` for ``k`` (Newton).

    Matching probabilities (not hazards) keeps the mean one-year death probability of a
    heterogeneous cell exactly at the life table's, which dividing by the mean relative
    risk would not (Jensen's inequality; it matters at the oldest ages).

    Args:
        mx: Life-table death rate.
        rr: Relative risk per ADL grade.
        mix: Grade shares (sum 1).
        iterations: Newton steps (converges in a few).

    Returns:
        The scale ``k`` (≈ 1 / mean RR when ``mx`` is small).
    """
    target = -np.expm1(-mx)
    k = 1.0 / float(mix @ rr)
    for _ in range(iterations):
        e = np.exp(-mx * rr * k)
        f = float(mix @ (1 - e)) - target
        df = float(mix @ (mx * rr * e))
        if df <= 0:
            break
        k -= f / df
    return k


def calibrate_adl(
    health: Section, mortality: Mortality, year: int, female_share: float
) -> AdlCalibration:
    """Solve the ADL chain's onset probabilities age by age (see the module docstring).

    At age a with grade mix π and relative risks RR, survival by grade is
    ``s_k = exp(−mx · RR_k · k)`` with ``k`` from :func:`mortality_scale`; recovery ``r``
    moves one grade down (grade 1 to intact), progression ``g`` one grade up, onset ``o``
    moves intact persons to grades 1–4 in the onset shares. The intact share at a+1 is
    ``(m_0 (1 − o) + m_1 r) / M`` with ``m = π s`` and ``M = Σ m``; setting it to
    ``1 − p(a+1)`` gives ``o`` in closed form, clipped to [0, 1] (where clipping binds,
    the fit is reported, not forced).

    Args:
        health: The ``adl`` section of the health parameters.
        mortality: Mortality table.
        year: Calendar year of the mx used.
        female_share: Female share for :func:`adl_prevalence`.

    Returns:
        The :class:`AdlCalibration`.
    """
    shares = np.asarray(list(health.shares["adl_grade_shares"].values()))
    rr = np.asarray(list(health.shares["adl_mortality_rr"].values()))
    rec = health.curve("adl_recovery", AGES)
    prog = health.curve("adl_progression", AGES) * health.values.get("adl_progression_scale", 1.0)
    n_grades = rr.size
    onset = np.zeros((2, AGES.size))
    scale = np.ones((2, AGES.size))
    dist = np.zeros((2, AGES.size, n_grades))
    fitted = np.zeros((2, AGES.size))
    target = np.zeros((2, AGES.size))
    for s in (0, 1):
        p = adl_prevalence(health, AGES, np.full(AGES.size, s), female_share)
        target[s] = p
        mx = mortality.rate(np.full(AGES.size, s), AGES, year)
        pi = np.concatenate([[1 - p[FIRST_AGE]], p[FIRST_AGE] * shares])
        for a in range(AGES.size):
            if a < FIRST_AGE:
                dist[s, a] = pi
                fitted[s, a] = 1 - pi[0]
                continue
            dist[s, a] = pi
            fitted[s, a] = 1 - pi[0]
            scale[s, a] = mortality_scale(mx[a], rr, pi)
            m = pi * np.exp(-mx[a] * rr * scale[s, a])
            total = m.sum()
            p_next = p[min(a + 1, MAX_AGE)]
            o = (m[0] - (1 - p_next) * total + m[1] * rec[a]) / m[0] if m[0] > 0 else 0.0
            o = float(np.clip(o, 0.0, 1.0))
            onset[s, a] = o
            nxt = np.zeros(n_grades)
            nxt[0] = m[0] * (1 - o) + m[1] * rec[a]
            nxt[1:] += m[0] * o * shares
            for k in range(1, n_grades):
                down = rec[a]
                up = prog[a] if k < n_grades - 1 else 0.0
                nxt[k] += m[k] * (1 - down - up)
                if k > 1:
                    nxt[k - 1] += m[k] * down
                if k < n_grades - 1:
                    nxt[k + 1] += m[k] * up
            pi = nxt / nxt.sum()
    return AdlCalibration(onset, scale, dist, fitted, target)


def fit_table(calibration: AdlCalibration) -> pd.DataFrame:
    """The calibration's fit: target and fitted disability prevalence by sex and age.

    Args:
        calibration: A result of :func:`calibrate_adl`.

    Returns:
        Tidy DataFrame with sex, age, target, fitted and onset, for ages 45 and over.
    """
    ages = AGES[FIRST_AGE:]
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "sex": sex,
                    "age": ages,
                    "target": calibration.target[s, FIRST_AGE:],
                    "fitted": calibration.fitted[s, FIRST_AGE:],
                    "onset": calibration.onset[s, FIRST_AGE:],
                }
            )
            for s, sex in enumerate(("male", "female"))
        ],
        ignore_index=True,
    )


def mortality_scales(mx: np.ndarray, rr: np.ndarray, mix: np.ndarray, iterations: int = 20):
    """:func:`mortality_scale` for many cells at once (Newton, vectorised over the cells).

    Args:
        mx: Life-table death rates, shape ``[...]``.
        rr: Relative risk per ADL grade, shape ``[grades]``.
        mix: Grade shares, shape ``[..., grades]`` (rows sum to 1).
        iterations: Newton steps.

    Returns:
        The scales ``k``, shape ``[...]``.
    """
    target = -np.expm1(-mx)
    k = 1.0 / (mix @ rr)
    for _ in range(iterations):
        e = np.exp(-mx[..., None] * rr * k[..., None])
        f = (mix * (1 - e)).sum(-1) - target
        df = (mix * mx[..., None] * rr * e).sum(-1)
        k = np.where(df > 0, k - f / np.where(df > 0, df, 1.0), k)
    return k


def trend_mortality_scales(
    health: Section,
    mortality: Mortality,
    calibration: AdlCalibration,
    base_year: int,
    factors: np.ndarray,
) -> np.ndarray:
    """Mortality scales that keep the life table's deaths while onset follows a secular trend.

    The calibration's scale ``k`` holds the mean death probability of each sex and age at
    the life table's when the grades follow the calibrated mix. With onset falling by a trend,
    the expected mix of later years holds fewer disabled persons, whose relative risks would
    then pull deaths below the life table and raise life expectancy without a source. So the
    expected mix is projected year by year (the chain of :func:`calibrate_adl`, from the
    base year's calibrated mix, onset × ``factors[t]`` in the step out of year
    ``base_year + t``, each cohort one year older a year later) and ``k`` re-solved for each
    year's mix (:func:`mortality_scales`). With all factors 1 the mix stays the calibrated one
    and the scales equal the calibration's.

    Args:
        health: The ``adl`` section of the health parameters.
        mortality: Mortality table (the calibration's base-year rates, as in
            :func:`calibrate_adl`).
        calibration: The base-year calibration (:func:`calibrate_adl`).
        base_year: Calendar year of the calibration.
        factors: Onset factor of each step out of ``base_year + t``, ``t = 0 … T − 1``.

    Returns:
        Scales ``[T, sex, age]``: row ``t`` for the death step out of year ``base_year + t``.
    """
    shares = np.asarray(list(health.shares["adl_grade_shares"].values()))
    rr = np.asarray(list(health.shares["adl_mortality_rr"].values()))
    rec = health.curve("adl_recovery", AGES)
    prog = health.curve("adl_progression", AGES) * health.values.get("adl_progression_scale", 1.0)
    n = rr.size
    mx = np.stack([mortality.rate(np.full(AGES.size, s), AGES, base_year) for s in (0, 1)])
    mix = calibration.grade_dist.copy()  # [sex, age, grade] in the base year
    out = np.empty((len(factors), 2, AGES.size))
    for t, factor in enumerate(factors):
        k = mortality_scales(mx, rr, mix)
        k[:, :FIRST_AGE] = calibration.mortality_scale[:, :FIRST_AGE]
        out[t] = k
        m = mix * np.exp(-mx[..., None] * rr * k[..., None])  # survivors by grade
        o = np.clip(calibration.onset * factor, 0.0, 1.0)
        nxt = np.zeros_like(m)
        nxt[..., 0] = m[..., 0] * (1 - o) + m[..., 1] * rec
        nxt[..., 1:] += (m[..., 0] * o)[..., None] * shares
        for g in range(1, n):
            up = prog if g < n - 1 else 0.0
            nxt[..., g] += m[..., g] * (1 - rec - up)
            if g > 1:
                nxt[..., g - 1] += m[..., g] * rec
            if g < n - 1:
                nxt[..., g + 1] += m[..., g] * up
        nxt /= nxt.sum(-1, keepdims=True)
        mix[:, FIRST_AGE + 1 :] = nxt[:, FIRST_AGE:-1]  # each cohort a year older
        # (the open age MAX_AGE takes those reaching it, as the calibration's chain does;
        # ages up to FIRST_AGE keep the calibrated mix: no one enters the population)
    return out

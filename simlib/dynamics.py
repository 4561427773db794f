"""The yearly step: who dies, whose health changes, who enters assistance or an institution.

One call of :func:`step_year` moves a :class:`~simlib.population.Population` from the state
of calendar year ``Y`` to that of ``Y + 1``, in this order (the model's docstring repeats it):

1. **death** at current age, WPP mx of year Y, times a relative risk by ADL grade, scaled so
   that at the calibrated grade mix the mean death probability equals the life table's;
2. **ADL transitions** of survivors: onset (intact → grade by onset shares), recovery (one
   grade down) and progression (one grade up); then the care class is re-derived;
3. **chronic-disease incidence** (hypertension, type-2 diabetes; no remission);
4. **assistance**: 低保 / 低保边缘 exit and entry, 特困 entry (with no supporter, and
   集中供养 for those willing);
5. **living arrangement**: moves to empty-nest and to living alone (widowhood);
6. **institution entry**: willing 特困 (集中供养) and, by need, severe disability;
7. **ageing** by one year, pensions drawn from the pension age, and net migration (weights).

Transition probabilities that keep an age profile are derived from the prevalence curves by
:func:`entry_for_prevalence`; ADL onset by :func:`simlib.calibration.calibrate_adl`. Each
sub-step draws from its own random stream for that year (:class:`Streams`), one draw per agent
alive or dead, so two runs with the same seed share common random numbers whatever the policy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simlib import people
from simlib.calibration import AdlCalibration, calibrate_adl
from simlib.demography import FIRST_YEAR, LAST_YEAR, MAX_AGE, Mortality
from simlib.population import (
    ADL_GRADES,
    Health,
    Population,
    assign_pensions,
    assistance_prevalence,
    care_level_from_adl,
    empty_nest_or_alone_prevalence,
)
from simlib.units import rate_to_prob

#: Named random streams; the position is part of each stream's seed, so only append.
STREAMS = (
    "population",
    "death",
    "adl",
    "chronic",
    "assistance",
    "living",
    "institution",
    "pension",
    "takeup",
)

AGES = np.arange(MAX_AGE + 1)
_code = {name: attr.code for name, attr in people.SCHEMA.items() if attr.kind == "category"}


class Streams:
    """Independent random streams per (module, year) from one seed.

    ``Streams(seed).get("death", 2021)`` is the same generator in every run with the same
    seed, whatever else the run did, and independent of every other (module, year).
    """

    def __init__(self, seed: int | np.random.SeedSequence | None):
        self.root = (
            seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        )

    def get(self, module: str, year: int = 0) -> np.random.Generator:
        """Generator for ``module`` in ``year``."""
        key = (*self.root.spawn_key, STREAMS.index(module), year)
        return np.random.default_rng(np.random.SeedSequence(self.root.entropy, spawn_key=key))


def entry_for_prevalence(p_now: np.ndarray, p_next: np.ndarray, exit_prob: float = 0.0):
    """Yearly entry probability that carries prevalence ``p_now`` at age a to ``p_next`` at a+1.

    Solves ``p_next = p_now (1 − exit) + (1 − p_now) · entry`` (mortality assumed equal in
    and out of the state), clipped to [0, 1].

    Args:
        p_now: Prevalence at age a.
        p_next: Prevalence at age a + 1.
        exit_prob: Yearly probability of leaving the state (other than death).

    Returns:
        Entry probability per year.
    """
    p_now, p_next = np.asarray(p_now, float), np.asarray(p_next, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = (p_next - p_now * (1 - exit_prob)) / (1 - p_now)
    return np.clip(np.nan_to_num(e), 0.0, 1.0)


def _rr(health: Health) -> np.ndarray:
    return np.asarray(list(health.shares["adl_mortality_rr"].values()))


@dataclass
class Rates:
    """Per-age transition probabilities, derived once per run from the parameters."""

    adl: AdlCalibration  # onset, mortality scale and grade mix by [sex, age]
    recovery: np.ndarray  # [age]
    progression: np.ndarray  # [age]
    hypertension: np.ndarray  # [age]
    diabetes: np.ndarray  # [age]
    alone: np.ndarray  # [age]
    empty_nest: np.ndarray  # [age]
    dibao: np.ndarray  # [urban, age]
    tekun: np.ndarray  # [urban, age]
    dibao_edge: float

    def __post_init__(self):
        # The yearly draws are float32: store the tables alike so comparisons need no cast.
        for name in (
            "recovery",
            "progression",
            "hypertension",
            "diabetes",
            "alone",
            "empty_nest",
            "dibao",
            "tekun",
        ):
            setattr(self, name, np.asarray(getattr(self, name), dtype=np.float32))

    @property
    def onset_flat(self) -> np.ndarray:
        """Onset probabilities flat over [sex, age] (float32)."""
        return self.adl.onset.ravel().astype(np.float32)

    @classmethod
    def build(
        cls,
        health: Health,
        mortality: Mortality,
        year: int,
        female_share: float,
        urban_share: float,
    ) -> Rates:
        """Derive every rate from ``health`` (see the module docstring)."""
        v = health.values

        def incidence(curve: str) -> np.ndarray:
            p = health.curve(curve, AGES)
            return entry_for_prevalence(p, np.append(p[1:], p[-1]))

        alone = health.curve("alone_prevalence", AGES)
        nest = empty_nest_or_alone_prevalence(health, AGES)
        dibao = np.empty((2, AGES.size))
        tekun = np.empty((2, AGES.size))
        for u in (0, 1):
            urban = np.full(AGES.size, bool(u))
            pd_ = assistance_prevalence(health, "dibao", AGES, urban, urban_share)
            pt = assistance_prevalence(health, "tekun", AGES, urban, urban_share)
            dibao[u] = entry_for_prevalence(pd_, np.append(pd_[1:], pd_[-1]), v["dibao_exit"])
            tekun[u] = entry_for_prevalence(pt, np.append(pt[1:], pt[-1]))
        edge = v["dibao_edge_prevalence"]
        adl = calibrate_adl(health, mortality, year, female_share)
        onset = np.clip(adl.onset * v["adl_onset_multiplier"], 0.0, 1.0)
        return cls(
            adl=AdlCalibration(onset, adl.mortality_scale, adl.grade_dist, adl.fitted, adl.target),
            recovery=health.curve("adl_recovery", AGES),
            progression=health.curve("adl_progression", AGES),
            hypertension=incidence("hypertension_prevalence"),
            diabetes=incidence("diabetes_prevalence"),
            alone=entry_for_prevalence(alone, np.append(alone[1:], alone[-1])),
            empty_nest=entry_for_prevalence(nest, np.append(nest[1:], nest[-1])),
            dibao=dibao,
            tekun=tekun,
            dibao_edge=float(entry_for_prevalence(edge, edge, v["dibao_exit"])),
        )


def death_table(health: Health, mortality: Mortality, rates: Rates, year: int) -> np.ndarray:
    """One-year death probabilities of ``year``, flat over [sex, age, ADL grade] (float32)."""
    y = min(max(year, FIRST_YEAR), LAST_YEAR) - FIRST_YEAR
    hazard = mortality.mx[:, :, y, None] * _rr(health) * rates.adl.mortality_scale[:, :, None]
    return rate_to_prob(hazard).astype(np.float32).ravel()


def step_year(
    pop: Population, year: int, health: Health, mortality: Mortality, rates: Rates, streams: Streams
) -> None:
    """Advance ``pop`` from calendar year ``year`` to ``year + 1`` (in place).

    Args:
        pop: The population (its arrays are updated in place).
        year: The calendar year being simulated.
        health: Health parameters.
        mortality: Mortality table.
        rates: Derived per-age rates.
        streams: Random streams.
    """
    c = pop.cols
    alive = c["alive"]
    age, sex = c["age"], c["sex"]
    n = alive.size
    v = health.values
    # Flat indices into the small [sex, age] and [urban, age] rate tables (one gather each).
    ai = age.astype(np.intp)
    sa = sex.astype(np.intp) * (MAX_AGE + 1) + ai
    ua = c["urban"].astype(np.intp) * (MAX_AGE + 1) + ai

    # 1. Death: life-table rate × ADL relative risk × a scale fixed at calibration, so the
    #    population death probability equals the life table's when disability follows its
    #    sourced profile, and rises when disability is more common.
    table = death_table(health, mortality, rates, year)
    p_die = np.take(table, sa * len(ADL_GRADES) + c["adl_level"])
    dies = alive & (streams.get("death", year).random(n, dtype=np.float32) < p_die)
    alive &= ~dies
    c["death_year"][dies] = year

    # 2. ADL transitions.
    adl = c["adl_level"]
    g = streams.get("adl", year)
    u, grade_draw = g.random(n, dtype=np.float32), g.random(n, dtype=np.float32)
    cum = np.cumsum(list(health.shares["adl_grade_shares"].values()))
    intact = alive & (adl == 0)
    onset = intact & (u < np.take(rates.onset_flat, sa))
    disabled = alive & (adl > 0)
    rec = np.take(rates.recovery, ai)
    down = disabled & (u < rec)
    up = disabled & ~down & (u < rec + np.take(rates.progression, ai))
    up &= adl < len(ADL_GRADES) - 1
    who = np.flatnonzero(onset)
    adl[who] = 1 + np.minimum(np.searchsorted(cum, grade_draw[who], side="right"), cum.size - 1)
    adl[down] -= 1
    adl[up] += 1
    c["care_level"][:] = care_level_from_adl(health, adl)

    # 3. Chronic disease incidence.
    g = streams.get("chronic", year)
    u1, u2 = g.random(n, dtype=np.float32), g.random(n, dtype=np.float32)
    c["hypertension"] |= alive & (u1 < np.take(rates.hypertension, ai))
    c["diabetes"] |= alive & (u2 < np.take(rates.diabetes, ai))

    # 4. Assistance.
    g = streams.get("assistance", year)
    u1, u2, u3 = (
        g.random(n, dtype=np.float32),
        g.random(n, dtype=np.float32),
        g.random(n, dtype=np.float32),
    )
    a = c["assistance"]
    none, edge, dibao, tekun = (
        _code["assistance"](x) for x in ("none", "dibao_edge", "dibao", "tekun")
    )
    new_tekun = alive & (a != tekun) & (u1 < np.take(rates.tekun, ua))
    leave = alive & ((a == dibao) | (a == edge)) & (u2 < v["dibao_exit"])
    p_dibao = np.take(rates.dibao, ua)
    join_dibao = alive & (a == none) & (u2 < p_dibao)
    join_edge = alive & (a == none) & ~join_dibao & (u2 < p_dibao + rates.dibao_edge)
    a[leave] = none
    a[join_dibao] = dibao
    a[join_edge] = edge
    a[new_tekun] = tekun
    c["no_supporter"] |= new_tekun
    willing = new_tekun & (u3 < v["tekun_centralized_share"])
    mode = _code["tekun_mode"]
    c["tekun_mode"][new_tekun] = mode("dispersed")
    c["tekun_mode"][willing] = mode("centralized")

    # 5. Living arrangement (persons in institutions keep their collective household).
    g = streams.get("living", year)
    u = g.random(n, dtype=np.float32)
    living = c["living"]
    home = alive & ~c["in_institution"]
    alone_code, nest_code = _code["living"]("alone"), _code["living"]("empty_nest")
    p_alone = np.take(rates.alone, ai)
    to_alone = home & (living != alone_code) & (u < p_alone)
    to_nest = home & (living == 0) & ~to_alone & (u < p_alone + np.take(rates.empty_nest, ai))
    living[to_alone] = alone_code
    living[to_nest] = nest_code

    # 6. Institution entry: willing 特困, and by need at severe disability.
    g = streams.get("institution", year)
    u = g.random(n, dtype=np.float32)
    central = c["tekun_mode"] == mode("centralized")
    severe = adl >= ADL_GRADES.index("severe")
    enter = (
        alive & ~c["in_institution"] & (central | (severe & (u < v["institution_entry_disabled"])))
    )
    c["in_institution"] |= enter
    living[enter] = 0  # a collective household

    # 7. Ageing, pensions, migration.
    np.minimum(age + alive, MAX_AGE, out=age, casting="unsafe")
    starts = alive & (age == int(v["pension_age"])) & (c["pension"] == 0)
    if starts.any():
        assign_pensions(c, health, streams.get("pension", year), starts)
    if v["net_migration"]:
        c["weight"][alive] *= 1 + v["net_migration"]

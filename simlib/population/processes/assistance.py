"""Social assistance: 低保, 低保边缘 and 特困 (with 集中供养 for those willing)."""

from __future__ import annotations

import numpy as np

from simlib.core.jit import engine, kernel
from simlib.core.people import SCHEMA
from simlib.params.demography import MAX_AGE
from simlib.population.processes.base import AGES, OLD_AGE, Process, entry_for_prevalence
from simlib.population.streams import agent_uniform, agent_uniforms, draw_keys

_A = SCHEMA["assistance"].code
_M = SCHEMA["tekun_mode"].code
NONE, EDGE, DIBAO, TEKUN = _A("none"), _A("dibao_edge"), _A("dibao"), _A("tekun")
DISPERSED, CENTRALIZED = _M("dispersed"), _M("centralized")


class Assistance(Process):
    """Assistance status (exclusive: 特困, else 低保, else 低保边缘) and 特困 support mode.

    The national 60+ prevalences are split into urban and rural so that rural is
    ``<status>_rural_ratio`` times urban and the average over the city's residence mix equals
    the national figure; 低保 below 60 is scaled by ``dibao_prevalence_45_59_ratio`` (特困 is an
    old-age status in the lists). Each year 低保/低保边缘 members leave with ``dibao_exit`` and
    entry keeps the age profile; new 特困 have no supporter, and those willing
    (``tekun_centralized_share``) choose 集中供养.

    Trends: the age-specific prevalence of year ``t`` is the base year's times
    ``(1 + <status>_prevalence_trend) ** (min(t, assistance_trend_last_year) - base_year)``
    (the rolls' change over the published series, e.g. the tightening of 低保 since 2021;
    held after its last year; 0 = constant rates). Each year's entry carries the
    prevalence at age a in year t to that at a + 1 in t + 1; where that needs more leavers
    than ``dibao_exit`` (or any, for 特困), members leave with the extra exit probability
    (:meth:`rates_in`).
    """

    name = "assistance"
    owns = ("assistance", "tekun_mode", "no_supporter")
    reads = ("alive", "urban")
    reads_last_year = ("age",)
    reports = ("assistance", "tekun_mode")
    params = {
        "dibao_prevalence_60plus": "value",
        "dibao_rural_ratio": "value",
        "dibao_prevalence_45_59_ratio": "value",
        "tekun_prevalence_60plus": "value",
        "tekun_rural_ratio": "value",
        "tekun_centralized_share": "value",
        "dibao_edge_prevalence": "value",
        "dibao_exit": "value",
        "no_supporter_non_tekun": "value",
        "dibao_prevalence_trend": "value",
        "tekun_prevalence_trend": "value",
        "assistance_trend_last_year": "value",
    }

    def __init__(self, ctx):
        super().__init__(ctx)
        v = self.p.values
        #: base-year prevalence [urban, age] of 低保 and 特困
        self.base = {
            name: np.stack(
                [self.prevalence(name, AGES, np.full(AGES.size, bool(u))) for u in (0, 1)]
            )
            for name in ("dibao", "tekun")
        }
        self.dibao, self.dibao_out = self._rates("dibao", 0, v["dibao_exit"])
        self.tekun, self.tekun_out = self._rates("tekun", 0, 0.0)
        edge = v["dibao_edge_prevalence"]
        self.dibao_edge = float(entry_for_prevalence(edge, edge, v["dibao_exit"]))

    def _rates(self, name: str, t: int, exit_prob: float) -> tuple[np.ndarray, np.ndarray]:
        """Entry and total exit (flat ``[urban, age]``, float32) from base year + t to + t + 1."""
        p = self.base[name]
        trend = self.p.values[f"{name}_prevalence_trend"]
        last = self.p.values["assistance_trend_last_year"] - self.ctx.base_year
        now = p * (1.0 + trend) ** min(t, last)
        nxt = np.concatenate([p[:, 1:], p[:, -1:]], axis=1) * (1.0 + trend) ** min(t + 1, last)
        entry = entry_for_prevalence(now, nxt, exit_prob)
        with np.errstate(divide="ignore", invalid="ignore"):
            kept = np.where(now > 0, nxt / (now * (1 - exit_prob)), 1.0)
        extra = np.clip(1.0 - kept, 0.0, 1.0)
        out = exit_prob + (1 - exit_prob) * extra
        return entry.astype(np.float32).ravel(), out.astype(np.float32).ravel()

    def prevalence(self, name: str, age, urban) -> np.ndarray:
        """P(status) by age and residence for ``dibao`` or ``tekun`` (see the class docstring)."""
        v = self.p.values
        p60 = v[f"{name}_prevalence_60plus"]
        ratio = v[f"{name}_rural_ratio"]
        share = self.ctx.urban_share
        p_urban = p60 / (share + (1 - share) * ratio)
        p = np.where(urban, p_urban, p_urban * ratio)
        if name == "dibao":
            return np.where(age >= OLD_AGE, p, p * v["dibao_prevalence_45_59_ratio"])
        return np.where(age >= OLD_AGE, p, 0.0)

    def init(self, cols, rng):  # noqa: D102 - see the class docstring
        v = self.p.values
        age, urban, n = cols["age"], cols["urban"], cols["age"].size
        p_tekun = self.prevalence("tekun", age, urban)
        p_dibao = self.prevalence("dibao", age, urban)
        u = rng.random(n)
        status = np.full(n, NONE, dtype=np.int8)
        status[u < p_tekun + p_dibao + v["dibao_edge_prevalence"]] = EDGE
        status[u < p_tekun + p_dibao] = DIBAO
        status[u < p_tekun] = TEKUN
        cols["assistance"][:] = status
        tekun = status == TEKUN
        central = tekun & (rng.random(n) < v["tekun_centralized_share"])
        cols["tekun_mode"][:] = np.where(central, CENTRALIZED, np.where(tekun, DISPERSED, 0))
        cols["no_supporter"][:] = tekun | (rng.random(n) < v["no_supporter_non_tekun"])

    def rates_in(self, year: int) -> tuple[np.ndarray, ...]:
        """The step from ``year`` to ``year + 1``: 特困 entry and exit, 低保 entry and exit.

        Each flat ``[urban, age]`` (float32). The 低保 exit is ``dibao_exit`` plus, where the
        prevalence trend needs more leavers, the extra share; the 特困 exit is that extra only.
        With both trends 0 these are the base year's rates (computed once).
        """
        v = self.p.values
        t = year - self.ctx.base_year
        tekun = (self.tekun, self.tekun_out)
        dibao = (self.dibao, self.dibao_out)
        if v["tekun_prevalence_trend"]:
            tekun = self._rates("tekun", t, 0.0)
        if v["dibao_prevalence_trend"]:
            dibao = self._rates("dibao", t, v["dibao_exit"])
        return (*tekun, *dibao)

    def step(self, cols, year, rng):  # noqa: D102 - see the class docstring
        v = self.p.values
        alive, a = cols["alive"], cols["assistance"]
        keys = draw_keys(rng, 3)
        p_tekun, x_tekun, p_dibao, x_dibao = self.rates_in(year)
        if engine() == "numba":
            f32 = np.float32
            _assistance_kernel()(
                alive,
                a,
                cols["tekun_mode"],
                cols["no_supporter"],
                cols["urban"],
                cols["age"],
                keys[0],
                keys[1],
                keys[2],
                p_tekun,
                x_tekun,
                p_dibao,
                x_dibao,
                f32(self.dibao_edge),
                f32(v["dibao_exit"]),
                f32(v["tekun_centralized_share"]),
                MAX_AGE + 1,
            )
            return
        u1, u2, u3 = agent_uniforms(keys, a.size)
        ua = cols["urban"].astype(np.intp) * (MAX_AGE + 1) + cols["age"].astype(np.intp)
        new_tekun = alive & (a != TEKUN) & (u1 < np.take(p_tekun, ua))
        quit_tekun = alive & (a == TEKUN) & (u1 < np.take(x_tekun, ua))
        leave = alive & (
            ((a == DIBAO) & (u2 < np.take(x_dibao, ua))) | ((a == EDGE) & (u2 < v["dibao_exit"]))
        )
        p_in = np.take(p_dibao, ua)
        join_dibao = alive & (a == NONE) & (u2 < p_in)
        join_edge = alive & (a == NONE) & ~join_dibao & (u2 < p_in + self.dibao_edge)
        a[leave | quit_tekun] = NONE
        cols["tekun_mode"][quit_tekun] = 0
        a[join_dibao] = DIBAO
        a[join_edge] = EDGE
        a[new_tekun] = TEKUN
        cols["no_supporter"] |= new_tekun
        willing = new_tekun & (u3 < v["tekun_centralized_share"])
        cols["tekun_mode"][new_tekun] = DISPERSED
        cols["tekun_mode"][willing] = CENTRALIZED


@kernel
def _assistance_kernel(
    alive,
    a,
    mode,
    no_supporter,
    urban,
    age,
    k1,
    k2,
    k3,
    p_tekun,
    x_tekun,
    p_dibao,
    x_dibao,
    p_edge,
    p_exit,
    p_central,
    n_ages,
):
    for i in range(alive.shape[0]):
        if not alive[i]:
            continue
        s = a[i]
        ua = np.int64(urban[i]) * n_ages + age[i]
        # draws inline, each only where it is used (the 集中供养 choice by new 特困 only)
        if s == TEKUN:
            if agent_uniform(k1, i) < x_tekun[ua]:  # leaves the roll (prevalence trend)
                a[i] = NONE
                mode[i] = 0
            continue
        if agent_uniform(k1, i) < p_tekun[ua]:
            a[i] = TEKUN
            no_supporter[i] = True
            mode[i] = CENTRALIZED if agent_uniform(k3, i) < p_central else DISPERSED
            continue
        if s == NONE:
            pd = p_dibao[ua]
            u2 = agent_uniform(k2, i)
            if u2 < pd:
                a[i] = DIBAO
            elif u2 < pd + p_edge:
                a[i] = EDGE
        elif s == DIBAO and agent_uniform(k2, i) < x_dibao[ua]:
            a[i] = NONE
        elif s == EDGE and agent_uniform(k2, i) < p_exit:
            a[i] = NONE

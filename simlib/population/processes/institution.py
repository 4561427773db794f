"""Living in a care institution (养老机构): willing 特困 and, by need, severe disability."""

from __future__ import annotations

import numpy as np

from simlib.core.errors import ParamError
from simlib.core.jit import engine, kernel
from simlib.population.processes.adl import ADL_GRADES
from simlib.population.processes.assistance import CENTRALIZED
from simlib.population.processes.base import Process
from simlib.population.streams import agent_uniform, agent_uniforms, draw_keys

#: Age from which the institution-share source counts (the 60+, health.yaml).
INSTITUTION_SHARE_AGE = 60


class Institution(Process):
    """Institution residence.

    Base year: every 特困 in 集中供养, and others aged 60+ by need: with odds by ADL grade
    (``institution_adl_weights``: the composition the admissions by need keep, nearly all at
    重度 or 完全失能), scaled so the 60+ share matches ``institution_share_60plus``; age and sex
    enter through disability, so the residents' stock and mix hold over the projection.
    Each year: residents other than 集中供养
    特困 return home with ``institution_discharge``; willing 特困 enter, and persons at 重度 or
    完全失能 enter with ``institution_entry_disabled`` (both calibrated by
    ``scripts/calibrate_institutions.py``: admissions to the CLHLS rate, the stock held at its
    2020 share by the flows). A resident's living
    arrangement becomes the institution's collective household (the household process, next
    in order, derives ``living``).
    """

    name = "institution"
    owns = ("in_institution",)
    reads = ("alive", "adl_level", "tekun_mode")
    reads_last_year = ("age",)
    params = {
        "institution_share_60plus": "value",
        "institution_adl_weights": "table",
        "institution_entry_disabled": "value",
        "institution_discharge": "value",
    }

    def __init__(self, ctx):
        super().__init__(ctx)
        if list(self.p.shares["institution_adl_weights"]) != list(ADL_GRADES):
            raise ParamError(
                "params/population/health.yaml: institution.institution_adl_weights: needs "
                f"values for {list(ADL_GRADES)} in that order"
            )
        self.weights = np.asarray(list(self.p.shares["institution_adl_weights"].values()))

    def init(self, cols, rng):  # noqa: D102 - see the class docstring
        age = cols["age"]
        central = cols["tekun_mode"] == CENTRALIZED
        w = self.weights[cols["adl_level"]]
        old = age >= INSTITUTION_SHARE_AGE
        target = self.p.values["institution_share_60plus"] * old.sum() - (central & old).sum()
        c = max(target, 0.0) / max(w[old & ~central].sum(), 1e-12)
        inst = central | (old & (rng.random(age.size) < np.clip(c * w, 0, 1)))
        cols["in_institution"][:] = inst

    def step(self, cols, year, rng):  # noqa: D102 - see the class docstring
        keys = draw_keys(rng, 1)
        entry = np.float32(self.p.values["institution_entry_disabled"])
        discharge = np.float32(self.p.values["institution_discharge"])
        if engine() == "numba":
            _institution_kernel()(
                cols["alive"],
                cols["in_institution"],
                cols["tekun_mode"],
                cols["adl_level"],
                keys[0],
                entry,
                discharge,
                ADL_GRADES.index("severe"),
            )
            return
        u = agent_uniforms(keys, cols["alive"].size)[0]
        central = cols["tekun_mode"] == CENTRALIZED
        severe = cols["adl_level"] >= ADL_GRADES.index("severe")
        alive, inst = cols["alive"], cols["in_institution"]
        leave = alive & inst & ~central & (u < discharge)
        enter = alive & ~inst & (central | (severe & (u < entry)))
        inst &= ~leave
        inst |= enter


@kernel
def _institution_kernel(alive, inst, mode, adl, key, p_entry, p_discharge, severe):
    # the draw inline, only where it is used (discharge, or entry of the severely disabled)
    for i in range(alive.shape[0]):
        if not alive[i]:
            continue
        central = mode[i] == CENTRALIZED
        if inst[i]:
            if not central and agent_uniform(key, i) < p_discharge:
                inst[i] = False
        elif central or (adl[i] >= severe and agent_uniform(key, i) < p_entry):
            inst[i] = True

"""Calibrate the severity of ADL onsets to the 2020 census share who cannot care for themselves.

The census long form asked the 60+ whether they could care for themselves; 2.34 % of China's
60+ answered 生活不能自理 (sources/reference/published_statistics.md §R2.1: Guo et al. 2022).
The any-disability prevalence by age is sourced (Chen et al. 2023); the grade mix of the
disabled comes from the ADL chain (onset shares, recovery, progression). simlib reads the
lists' 生活不能自理 (半护理 or 全护理) as grade ≥ ``care_level_min_adl.partial_care`` (重度失能
or worse). With Liu (2021)'s CLHLS onset mix (a sample of the oldest old: 30 % of the
disabled at 重度/完全) the chain puts 7.2 % of the 60+ there; with Cui et al.'s progression
as it stands, even no severe onsets leave 3.6 %, so the progression is scaled
(``adl_progression_scale``, flagged) and the onset mix solved.

This script keeps Liu's mild:moderate and severe:total ratios and the sourced prevalence,
and solves for the share of onsets at 重度 or worse such that the chain's base-year share
unable to care for themselves, weighted by China's 2020 population 60+ by single year and
sex, is the census share. It
prints the onset shares to put in ``params/population/health.yaml`` (adl.adl_grade_shares);
re-run it after changing any ADL parameter. Only census and cross-sectional figures are used.

Run: ``.venv/bin/python scripts/calibrate_severity.py``
"""

from __future__ import annotations

import dataclasses

import numpy as np

from simlib.params import load_inputs
from simlib.population.calibration import calibrate_adl

#: 生活不能自理 among the 60+, China 2020 census long form (Guo et al. 2022).
TARGET = 0.0234
#: Liu (2021): shares of the disabled by grade (CLHLS 2011/14), fixing the within-pair ratios.
LIU = {"mild": 0.1390, "moderate": 0.0900, "severe": 0.0530, "total": 0.0470}


def share_unable(inputs, severe_share: float) -> float:
    """National 60+ share unable to care for themselves, for an onset share at 重度 or worse.

    Unable: ADL grade at or above the partial-care threshold.
    """
    adl = inputs.health.section("adl")
    mild_ratio = LIU["mild"] / (LIU["mild"] + LIU["moderate"])
    sev_ratio = LIU["severe"] / (LIU["severe"] + LIU["total"])
    shares = {
        "mild": (1 - severe_share) * mild_ratio,
        "moderate": (1 - severe_share) * (1 - mild_ratio),
        "severe": severe_share * sev_ratio,
        "total": severe_share * (1 - sev_ratio),
    }
    section = dataclasses.replace(adl, shares={**adl.shares, "adl_grade_shares": shares})
    single = inputs.census.single_year.set_index("age")
    ages = np.arange(60, 101)
    threshold = int(adl.values["care_level_min_adl.partial_care"])
    female_share = single["female"].sum() / (single["male"] + single["female"]).sum()
    cal = calibrate_adl(section, inputs.mortality, 2020, float(female_share))
    unable = persons = 0.0
    for s, sex in enumerate(("male", "female")):
        n = single.loc[ages, sex].to_numpy(dtype=float)
        p = cal.grade_dist[s, ages, threshold:].sum(axis=1)
        unable += (n * p).sum()
        persons += n.sum()
    return unable / persons, shares


def main() -> None:
    """Solve by bisection and print the calibrated onset shares."""
    inputs = load_inputs("datong")
    lo, hi = 0.0, 0.6
    for _ in range(60):
        mid = (lo + hi) / 2
        got, _ = share_unable(inputs, mid)
        lo, hi = (mid, hi) if got < TARGET else (lo, mid)
    got, shares = share_unable(inputs, (lo + hi) / 2)
    print(f"severe-or-worse share of onsets: {(lo + hi) / 2:.4f}; 60+ unable: {got:.5f}")
    print("adl_grade_shares values:", {k: round(v, 4) for k, v in shares.items()})
    before, _ = share_unable(inputs, (LIU["severe"] + LIU["total"]) / sum(LIU.values()))
    print(f"with Liu's onset mix the 60+ share would be {before:.4f}")


if __name__ == "__main__":
    main()

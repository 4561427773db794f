"""Calibrate institution admissions and discharges to published rates (stock and flow).

Stock: ``institution_share_60plus`` — about 2.15 million older residents of 养老机构 in mid-2020
over 264.0 million aged 60+ (sources/reference/published_statistics.md §3).
Admissions: the CLHLS found 0.8 % of community-dwelling 65+ entered an institution within
three years in 2008-11 (Peng & Wu 2015, §R2.2): ``1 - (1 - 0.008) ** (1 / 3)`` a year.
Discharges: no exit or length-of-stay figure for China was found, so the discharge rate is
set so that the share of the 60+ in institutions holds at its 2020 level through the first
simulated year (admissions = deaths of residents + discharges).

The five cities' base populations are pooled (20 % samples); one year is simulated from
2020 with every process in order, for trial values of the two rates: admissions among those
at home aged 65+ are matched by bisection on ``institution_entry_disabled`` (willing 特困
enter anyway), then the stock by bisection on ``institution_discharge``. Prints the values to
put in ``params/population/health.yaml``. Only census, survey and 2020 stock figures are used.

Run: ``.venv/bin/python scripts/calibrate_institutions.py``
"""

from __future__ import annotations

import dataclasses

import numpy as np

from simlib.model import ElderCareModel
from simlib.params import cities

ADMISSIONS = 1 - (1 - 0.008) ** (1 / 3)


def _models():
    return [ElderCareModel(c, sample=0.2, rng=11, end_year=2021) for c in cities()]


def one_year(models, entry: float, discharge: float) -> tuple[float, float, float]:
    """Admission rate among those at home 65+, and the 60+ institution share before/after."""
    admitted = at_home = 0.0
    before = after = old_before = old_after = 0.0
    for m in models:
        cols = {k: v.copy() for k, v in m.population.cols.items()}
        proc = m.processes["institution"]
        saved = proc.p
        proc.p = dataclasses.replace(
            saved,
            values={
                **saved.values,
                "institution_entry_disabled": entry,
                "institution_discharge": discharge,
            },
        )
        w = cols["weight"].astype(float)
        home65 = cols["alive"] & ~cols["in_institution"] & (cols["age"] >= 65)
        old = cols["alive"] & (cols["age"] >= 60)
        before += (w * (old & cols["in_institution"])).sum()
        old_before += (w * old).sum()
        try:
            for p in m.processes:
                p.step(cols, 2020, m.streams.get(p.name, 2020))
        finally:
            proc.p = saved
        admitted += (w * (home65 & cols["alive"] & cols["in_institution"])).sum()
        at_home += (w * home65).sum()
        old = cols["alive"] & (cols["age"] >= 60)
        after += (w * (old & cols["in_institution"])).sum()
        old_after += (w * old).sum()
    return admitted / at_home, before / old_before, after / old_after


def _shrink(models, entry: float, discharge: float) -> float:
    """How much the 60+ share falls in the year (negative: it grows)."""
    _, before, after = one_year(models, entry, discharge)
    return before - after


def _bisect(f, lo: float, hi: float, n: int = 30) -> float:
    for _ in range(n):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
    return (lo + hi) / 2


def main() -> None:
    """Solve both rates and print them."""
    models = _models()
    discharge = 0.1
    for _ in range(3):  # the two conditions interact a little: iterate
        entry = _bisect(lambda e, d=discharge: one_year(models, e, d)[0] - ADMISSIONS, 0.0, 0.5)
        discharge = _bisect(lambda d, e=entry: _shrink(models, e, d), 0.0, 0.8)
    rate, before, after = one_year(models, entry, discharge)
    print(
        f"institution_entry_disabled: {entry:.4f}  (admissions {rate:.5f} of 65+ at home; "
        f"target {ADMISSIONS:.5f})"
    )
    print(f"institution_discharge:      {discharge:.4f}  (60+ share {before:.5f} -> {after:.5f})")
    print(
        "check: with no discharge the 60+ share would go to "
        f"{one_year(models, entry, 0.0)[2]:.5f} in one year"
    )


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()

"""Mortality and life tables from WPP 2024 central death rates.

The 5-year WPP rates (``params/population/wpp2024_mx.csv``) become a single-year table
``mx[sex, age, year]``: log-linear interpolation between 5-year age-group midpoints and
between 5-year period midpoints, held flat beyond the last group (100+) and period. Rates are
turned into one-year probabilities only through :func:`simlib.units.rate_to_prob`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from simlib.params import PARAMS_DIR, ParamError
from simlib.units import rate_to_prob

#: Highest single year of age the model holds (everyone older is kept at this age).
MAX_AGE = 110
#: Sex codes, as in :data:`simlib.people.SCHEMA` ("male" = 0, "female" = 1).
SEXES = ("male", "female")
#: Calendar years the mortality table covers.
FIRST_YEAR, LAST_YEAR = 2000, 2050


@dataclass(frozen=True)
class Mortality:
    """Single-year central death rates.

    Attributes:
        mx: Array ``[sex, age, year - FIRST_YEAR]`` of deaths per person-year.
    """

    mx: np.ndarray

    def rate(self, sex: np.ndarray, age: np.ndarray, year: int) -> np.ndarray:
        """Death rate per person-year for each person in calendar ``year``.

        Args:
            sex: Sex codes (0 male, 1 female).
            age: Age in completed years (clipped to :data:`MAX_AGE`).
            year: Calendar year (clipped to the table).

        Returns:
            mx per person.
        """
        y = min(max(year, FIRST_YEAR), LAST_YEAR) - FIRST_YEAR
        return self.mx[sex, np.minimum(age, MAX_AGE), y]

    def life_expectancy(self, sex: int, age: int, year: int) -> float:
        """Period life expectancy at ``age`` from the single-year table of ``year``.

        Deaths within a year of age are taken to happen at mid-year, matching how
        :mod:`simlib.dynamics` counts person-years. The open end at :data:`MAX_AGE` keeps
        its rate until everyone has died.

        Args:
            sex: 0 male, 1 female.
            age: Starting age (years).
            year: Calendar year of the period table.

        Returns:
            Expected remaining years of life.
        """
        mx = self.mx[sex, age:, min(max(year, FIRST_YEAR), LAST_YEAR) - FIRST_YEAR]
        q = rate_to_prob(mx)
        lx = np.concatenate([[1.0], np.cumprod(1 - q)[:-1]])
        years = lx * (1 - q / 2)
        # Open-ended last age: survivors there live on with constant hazard 1/mx.
        tail = lx[-1] * (1 - q[-1]) / mx[-1]
        return float(years.sum() + tail)


def _log_interp(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    return np.exp(np.interp(x, xp, np.log(fp)))


@cache
def load_mortality(params_dir: Path = PARAMS_DIR) -> Mortality:
    """Build the single-year mortality table from ``params/population/wpp2024_mx.csv``.

    Args:
        params_dir: Root of the params tree.

    Returns:
        The :class:`Mortality` table.

    Raises:
        ParamError: If the file is missing columns or holds a non-positive rate.
    """
    path = params_dir / "population" / "wpp2024_mx.csv"
    df = pd.read_csv(path)
    need = {"sex", "age_start", "period", "mx"}
    if not need <= set(df.columns):
        raise ParamError(f"{path}: needs columns {sorted(need)}, has {list(df.columns)}")
    if (df["mx"] <= 0).any() or df["mx"].isna().any():
        raise ParamError(f"{path}: every mx must be a positive number")
    df["period_mid"] = df["period"].str.slice(0, 4).astype(int) + 2.5
    ages = np.arange(MAX_AGE + 1) + 0.5  # single-year midpoints
    years = np.arange(FIRST_YEAR, LAST_YEAR + 1) + 0.5
    mx = np.empty((2, MAX_AGE + 1, len(years)))
    for s, sex in enumerate(SEXES):
        sub = df[df["sex"] == sex]
        table = sub.pivot(index="age_start", columns="period_mid", values="mx").sort_index()
        group_mid = table.index.to_numpy() + 2.5
        by_age = np.stack(
            [_log_interp(ages, group_mid, table[c].to_numpy()) for c in table.columns], axis=1
        )
        period_mid = table.columns.to_numpy(dtype=float)
        for a in range(MAX_AGE + 1):
            mx[s, a] = _log_interp(years, period_mid, by_age[a])
    return Mortality(mx)

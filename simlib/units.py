"""Unit conversions, done once and tested here.

Two families of conversion exist in simlib and nowhere else:

* **Periods**: money and service units are written in the documents per month, per
  quarter, per half month, per year or once. :func:`per_year_factor` turns any of them
  into a count per year.
* **Rates vs probabilities**: WPP gives central death rates ``mx`` (deaths per
  person-year); a one-year step needs the probability of dying within the year.
  :func:`rate_to_prob` converts assuming a constant hazard within the year.
"""

from __future__ import annotations

import numpy as np

#: Recognised periods and how many of each fit in one year.
PERIODS_PER_YEAR: dict[str, float] = {
    "year": 1.0,
    "half_year": 2.0,
    "quarter": 4.0,
    "month": 12.0,
    "half_month": 24.0,
    "week": 52.0,
}

#: Periods that are not recurring: paid or delivered once per person.
ONE_OFF = "once"


def per_year_factor(per: str) -> float:
    """Return how many times something given *per* ``per`` happens in one year.

    Args:
        per: A period name from :data:`PERIODS_PER_YEAR` (``"month"``, ``"quarter"``...).

    Returns:
        The multiplier (e.g. 12.0 for ``"month"``).

    Raises:
        ValueError: If ``per`` is not a recurring period (``"once"`` is not).
    """
    try:
        return PERIODS_PER_YEAR[per]
    except KeyError:
        allowed = ", ".join(PERIODS_PER_YEAR)
        raise ValueError(f"unknown period {per!r}; allowed: {allowed}") from None


def rate_to_prob(rate: np.ndarray | float, years: float = 1.0) -> np.ndarray:
    """Convert a constant hazard rate into the probability of the event within ``years``.

    Args:
        rate: Rate per person-year (e.g. WPP ``mx``), ≥ 0.
        years: Length of the interval in years.

    Returns:
        Probability ``1 - exp(-rate * years)``, in [0, 1).
    """
    return -np.expm1(-np.asarray(rate, dtype=np.float64) * years)


def prob_to_rate(prob: np.ndarray | float, years: float = 1.0) -> np.ndarray:
    """Inverse of :func:`rate_to_prob`.

    Args:
        prob: Probability of the event within ``years``, in [0, 1).
        years: Length of the interval in years.

    Returns:
        Constant hazard rate per person-year.
    """
    return -np.log1p(-np.asarray(prob, dtype=np.float64)) / years

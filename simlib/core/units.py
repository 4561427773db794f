"""Units: periods, rates and probabilities, and the physical domain of every unit.

Three kinds of unit knowledge live here and nowhere else:

* **Periods**: money and service units are written per month, quarter, half month, year or
  once. :func:`per_year_factor` turns any of them into a count per year.
* **Rates vs probabilities**: WPP gives central death rates ``mx`` (deaths per person-year);
  a one-year step needs the probability of dying within the year. :func:`rate_to_prob`
  converts assuming a constant hazard within the year.
* **Domains**: :data:`UNIT_DOMAINS` gives the values a number in each unit can physically
  take (a probability lies in [0, 1], money is not negative). The strict reader checks every
  number of ``params/`` against its unit's domain.
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

#: Plausibility bound on one amount of money in params (yuan per person per period, or per
#: unit, bed or standard). The largest amounts in the five lists are a few thousand yuan a
#: year and a care bed costs some tens of thousands; a million is a typo, not a policy.
MONEY_MAX_YUAN = 1e6

#: Unit → (lowest, highest) value allowed (None: unbounded). Units of in-kind services
#: (``params/vocabulary/units.yaml``) are counts: ≥ 0.
UNIT_DOMAINS: dict[str, tuple[float | None, float | None]] = {
    "probability": (0.0, 1.0),
    "probability per year": (0.0, 1.0),
    "share": (0.0, 1.0),
    "ratio": (0.0, None),
    "yuan": (0.0, MONEY_MAX_YUAN),
    "yuan/month": (0.0, MONEY_MAX_YUAN),
    "yuan/year": (0.0, MONEY_MAX_YUAN),
    "yuan per year": (0.0, MONEY_MAX_YUAN),
    "yuan/person": (0.0, MONEY_MAX_YUAN),
    "minutes": (0.0, 10_000.0),
    "hours per year": (1.0, 8_760.0),
    "year": (1900.0, 2100.0),
    "years": (0.0, 120.0),
    "month of year": (1.0, 12.0),
    "adl grade": (0.0, 4.0),
    "rate per year": (-1.0, 1.0),
    "count": (0.0, None),
    "persons": (0.0, None),
    "beds": (0.0, None),
    "facilities": (0.0, None),
    "date": (None, None),
}


def domain(unit: str, count_units: tuple[str, ...] = ()) -> tuple[float | None, float | None]:
    """The physical domain of ``unit``.

    Args:
        unit: A unit name.
        count_units: Further units that are counts (in-kind service units).

    Returns:
        ``(lowest, highest)``, None where unbounded.

    Raises:
        KeyError: If the unit is unknown.
    """
    if unit in UNIT_DOMAINS:
        return UNIT_DOMAINS[unit]
    if unit in count_units:
        return (0.0, None)
    raise KeyError(unit)


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


def fte(minutes: float | np.ndarray, hours_per_fte: float) -> float | np.ndarray:
    """Full-time equivalents of staff for ``minutes`` of work per year.

    Args:
        minutes: Staff minutes per year.
        hours_per_fte: Working hours of one full-time post per year.

    Returns:
        Full-time equivalents.
    """
    return np.asarray(minutes) / 60.0 / hours_per_fte

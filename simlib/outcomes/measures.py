"""Every outcome measure: its unit and what it counts.

Rows of a result are ``(year, city, county, item_id, measure, value)``. Item measures
(``item_id`` set) count per item, so summed over items ``eligible`` and ``enrolled`` count
**person-items** (a person in two items counts twice); population measures (``item_id``
empty) count persons.
"""

from __future__ import annotations

#: measure → (unit, meaning). ``units:<unit>`` and ``beds:<kind>`` are families.
MEASURES: dict[str, tuple[str, str]] = {
    "eligible": ("persons", "persons eligible (summed over items: person-items)"),
    "enrolled": ("persons", "eligible × take-up (summed over items: person-items)"),
    "households": ("households", "households eligible for a household benefit (once each)"),
    "enrolled_households": ("households", "eligible households × take-up"),
    "cash_yuan": ("yuan", "recurring cash paid, yuan a year"),
    "once_yuan": ("yuan", "one-off cash paid, yuan"),
    "service_yuan": ("yuan", "in-kind units × unit cost, yuan"),
    "bed_yuan": ("yuan", "placements × cost per bed-year, yuan"),
    "cost_yuan": ("yuan", "cash + one-off + services + beds, yuan (pension items excluded)"),
    "minutes": ("minutes", "staff minutes for in-kind services (incl. travel)"),
    "fte": ("FTE", "full-time staff for in-kind services (minutes / 60 / hours per FTE)"),
    "units:": ("units", "in-kind units delivered"),
    "beds:": ("beds", "persons placed (beds in use)"),
    "pop60": ("persons", "residents alive aged 60+"),
    "pop65": ("persons", "residents alive aged 65+"),
    "pop80": ("persons", "residents alive aged 80+"),
    "covered60": ("persons", "residents 60+ eligible for at least one cash benefit or bed"),
    "pop75_urban": ("persons", "urban residents aged 75+"),
}

#: Measures that are sums of money (reported in 万元 in readable tables).
MONEY = ("cash_yuan", "once_yuan", "service_yuan", "bed_yuan", "cost_yuan")


def unit_of(measure: str) -> str:
    """The unit of a measure (``units:visit`` → ``visit``, ``beds:institution_bed`` → ``beds``)."""
    if measure.startswith("units:"):
        return measure.split(":", 1)[1]
    if measure.startswith("beds:"):
        return "beds"
    if measure in MEASURES:
        return MEASURES[measure][0]
    raise KeyError(measure)


def is_known(measure: str) -> bool:
    """Whether ``measure`` names a measure (or a member of a family)."""
    return measure in MEASURES or measure.startswith(("units:", "beds:"))

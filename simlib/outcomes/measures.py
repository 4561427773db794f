"""Every outcome measure: its unit and what it counts.

Rows of a result are ``(year, city, county, item_id, measure, value)``. Item measures
(``item_id`` set) count per item, so summed over items ``eligible`` and ``enrolled`` count
**person-items** (a person in two items counts twice); population measures (``item_id``
empty) count persons. The measures of benefit amounts are those the benefit kinds declare
(:attr:`simlib.rules.benefits.Component.produces`), so a registered kind's measures are
known here without an edit.
"""

from __future__ import annotations

from simlib.rules.benefits import kinds

#: Measures every list produces, whatever its benefit kinds: measure → (unit, meaning).
COMMON: dict[str, tuple[str, str]] = {
    "eligible": ("persons", "persons eligible (summed over items: person-items)"),
    "enrolled": ("persons", "eligible × take-up, or served so far for a quota item"),
    "households": ("households", "households eligible for a household benefit (once each)"),
    "enrolled_households": ("households", "eligible households × take-up"),
    "quota_before": ("households", "quota items: households served before the list (uncosted)"),
    "cost_yuan": ("yuan", "every benefit's public cost, yuan (pension items excluded)"),
    "payer_yuan:": (
        "yuan",
        "cost borne by one payer (central, provincial, city, insurance; person: the "
        "co-payment, outside cost_yuan), yuan",
    ),
    "fte": ("FTE", "full-time staff for in-kind services (minutes / 60 / hours per FTE)"),
    "pop60": ("persons", "residents alive aged 60+"),
    "pop65": ("persons", "residents alive aged 65+"),
    "pop80": ("persons", "residents alive aged 80+"),
    "covered60": ("persons", "residents 60+ eligible for at least one cash benefit or bed"),
    "pop75_urban": ("persons", "urban residents aged 75+"),
}


def measures() -> dict[str, tuple[str, str]]:
    """Every measure: measure → (unit, meaning); a name ending in ``:`` is a family.

    The common measures, then each benefit kind's (:func:`~simlib.rules.benefits.kinds`).
    """
    out = dict(COMMON)
    for kind in kinds():
        out.update(kind.produces)
    return out


def _entry(measure: str) -> tuple[str, str, str] | None:
    """``(name or family, unit, meaning)`` of a measure, or None."""
    table = measures()
    if measure in table:
        return (measure, *table[measure])
    family = measure.split(":", 1)[0] + ":"
    if ":" in measure and family in table:
        return (family, *table[family])
    return None


def unit_of(measure: str) -> str:
    """The unit of a measure (``units:visit`` → ``visit``, ``beds:institution_bed`` → ``beds``).

    Raises:
        KeyError: If ``measure`` is no measure.
    """
    entry = _entry(measure)
    if entry is None:
        raise KeyError(measure)
    name, unit, _ = entry
    return unit.format(measure.removeprefix(name)) if name.endswith(":") else unit


def is_known(measure: str) -> bool:
    """Whether ``measure`` names a measure (or a member of a family)."""
    return _entry(measure) is not None


def is_money(measure: str) -> bool:
    """Whether a measure is a sum of money in yuan (reported in 万元 in readable tables)."""
    return is_known(measure) and unit_of(measure) == "yuan"

"""Provenance at a glance: each outcome parameter sourced, calibrated, derived or assumed.

:func:`outcome_provenance` reads ``params/outcomes.yaml`` and classifies every take-up,
minutes, travel, FTE-hours, unit-cost, bed-cost and quota value by what stands behind it:

* ``sourced`` — a source and no ``assumption`` flag (a document or published figure);
* ``calibrated`` — an assumption whose source begins ``calibrated`` (fitted to published
  figures by a script in ``scripts/``, but a proxy: a national rate standing for the cities');
* ``derived`` — an assumption whose source begins ``derived`` (arithmetic on published
  figures and assumptions, e.g. wage × minutes);
* ``proxy`` — an assumption with any other source (another city's or the nation's figure);
* ``assumed`` — an assumption with a range and a rationale only.

Keys match the assumption registry (:mod:`simlib.params.assumptions`), so the table joins
with sensitivity rankings and uncertainty shares.
"""

from __future__ import annotations

import pandas as pd

from simlib.params.tree import read_tree

#: outcomes.yaml tables → (registry key prefix, unit).
_TABLES = {
    "minutes_per_unit": ("minutes", "minutes"),
    "unit_cost_yuan": ("unit_cost", "yuan"),
    "bed_cost_yuan_per_year": ("bed_cost", "yuan per year"),
}
#: outcomes.yaml scalars → registry key.
_SCALARS = {"travel_minutes": "travel_minutes", "fte_hours_per_year": "fte_hours"}
#: Order of the classes, best-founded first.
CLASSES = ("sourced", "calibrated", "derived", "proxy", "assumed")


def classify(entry: dict) -> str:
    """The provenance class of one parsed quantity (see the module docstring)."""
    source = str(entry.get("source") or "").strip()
    if not entry.get("assumption"):
        return "sourced"
    low = source.lower()
    if low.startswith("calibrated"):
        return "calibrated"
    if low.startswith("derived"):
        return "derived"
    return "proxy" if source else "assumed"


def outcome_provenance(params_dir=None) -> pd.DataFrame:
    """Every outcome parameter with its value, unit, provenance class and source.

    Args:
        params_dir: A params directory (the bundled one by default).

    Returns:
        One row per parameter: key (as in the assumption registry), group, value, unit,
        provenance (one of :data:`CLASSES`), low, high (an assumption's range, else NaN),
        source (or the rationale of a bare assumption).
    """
    out = read_tree(params_dir).yaml("outcomes.yaml")
    rows = []

    def add(key: str, group: str, e: dict, unit: str) -> None:
        rng = e.get("range") if e.get("assumption") else None
        rows.append(
            {
                "key": key,
                "group": group,
                "value": e.get("value"),
                "unit": unit,
                "provenance": classify(e),
                "low": rng[0] if rng else float("nan"),
                "high": rng[1] if rng else float("nan"),
                "source": e.get("source") or e.get("rationale") or "",
            }
        )

    tu = out["take_up"]
    add("outcomes:take_up.default", "take_up", tu["default"], "share")
    for fam, e in tu["by_family"].items():
        add(f"outcomes:take_up.{fam}", "take_up", e, "share")
    for table, (prefix, unit) in _TABLES.items():
        for name, e in out[table]["values"].items():
            add(f"outcomes:{prefix}.{name}", prefix, e, unit)
    for scalar, key in _SCALARS.items():
        add(f"outcomes:{key}", key, out[scalar], out[scalar].get("unit", ""))
    for fam, q in ((out.get("quota") or {}).get("by_family") or {}).items():
        for city, e in q["by_city"].items():
            add(f"outcomes:quota.{fam}.{city}", "quota", e, "households per year")
        add(f"outcomes:quota.{fam}.after", "quota", q["after"], "share")
    df = pd.DataFrame(rows)
    df["provenance"] = pd.Categorical(df["provenance"], categories=CLASSES, ordered=True)
    return df


def provenance_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Counts of parameters by group and provenance class (a groups × classes table)."""
    return (
        df.groupby(["group", "provenance"], observed=False)
        .size()
        .unstack("provenance", fill_value=0)
        .reset_index()
    )

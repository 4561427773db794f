"""Evaluate a city's quantified targets against a run: projected value, gap, cost to close.

Each target in ``params/targets/<city>.yaml`` may name a ``measure``; those below are
computed from a :class:`~simlib.runner.Result` in the target's year. Targets whose measure
the model does not compute are listed with ``modelled = False``.

* share measures (``visit_rate_special_hardship``, ``tekun_centralized_share``,
  ``ability_assessment_coverage``, ``home_adaptation_coverage`` and share-valued
  ``home_adaptations``): enrolled / eligible over the items of the family;
* count measures (count-valued ``home_adaptations``, ``carer_training_families``,
  ``home_care_visits``): cumulative units delivered up to the target year;
* ``county_beds``: beds demanded per county (placements) against a per-county floor, for
  the counties whose census population the target's ``county_population`` selects.

Resources to close a shortfall: for share targets, the extra enrolled persons and their
in-kind units, staff FTE and yuan at the current per-enrolled averages; for count targets,
the extra units at the current minutes and cost per unit; for bed floors, beds × cost per
bed-year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simlib.outcomes import fte, load_outcome_params
from simlib.params import Target, load_city
from simlib.population import load_census

#: Item families of services delivered at home (the work public-welfare posts would do).
HOME_SERVICE_FAMILIES = ("caring_visits", "home_care", "home_maintenance", "cleaning")

#: measure → (item family, kind). kind: "share" (enrolled/eligible) or "count" (units).
MEASURES = {
    "visit_rate_special_hardship": ("caring_visits", "share"),
    "tekun_centralized_share": ("tekun_centralized", "share"),
    "ability_assessment_coverage": ("ability_assessment", "share"),
    "home_adaptation_coverage": ("home_adaptation", "share"),
    "home_adaptations": ("home_adaptation", "auto"),
    "carer_training_families": ("carer_training", "count"),
    "home_care_visits": ("home_care", "count"),
    "county_beds": (None, "beds"),
    "welfare_posts": ("caring_visits", "posts"),
}


def _family_items(result, family: str) -> list[str]:
    city = load_city(result.meta["list_city"])
    return [it.id for it in city.items if it.family == family]


def _sum(table: pd.DataFrame, measure: str, items: list[str], years) -> float:
    t = table[
        (table["measure"] == measure) & table["item_id"].isin(items) & table["year"].isin(years)
    ]
    return float(t["value"].sum())


def _unit_measures(table: pd.DataFrame, items: list[str]) -> list[str]:
    ms = table.loc[table["item_id"].isin(items), "measure"].unique()
    return [m for m in ms if m.startswith("units:")]


def evaluate_targets(result) -> pd.DataFrame:
    """Every target of the result's city: projected value, gap and resources to close it.

    Args:
        result: A :class:`~simlib.runner.Result` covering the targets' years.

    Returns:
        One row per target: target_id, name_en, year, unit, target, projected, gap
        (target − projected; positive = shortfall), met, modelled, extra_persons,
        extra_units, extra_fte, extra_yuan, note.
    """
    city = load_city(result.meta["city"])
    table = result.table
    params = load_outcome_params()
    rows = []
    for t in city.targets:
        row = {
            "target_id": t.id,
            "name_en": t.name_en,
            "year": t.year,
            "unit": t.unit,
            "target": t.value,
            "measure": t.measure,
            "projected": np.nan,
            "gap": np.nan,
            "met": None,
            "modelled": False,
            "extra_persons": 0.0,
            "extra_units": 0.0,
            "extra_fte": 0.0,
            "extra_yuan": 0.0,
            "note": "",
        }
        if t.measure in MEASURES and t.year <= table["year"].max():
            row.update(_evaluate(t, result, table, params))
        rows.append(row)
    return pd.DataFrame(rows)


def _evaluate(t: Target, result, table: pd.DataFrame, params) -> dict:
    family, kind = MEASURES[t.measure]
    if kind == "beds":
        return _county_beds(t, result, table, params)
    if kind == "posts":
        return _welfare_posts(t, result, table, params)
    items = _family_items(result, family)
    if not items:
        return {"note": f"the list has no item of family {family}"}
    if kind == "auto":
        kind = "share" if t.unit == "share" else "count"
    year = [t.year]
    eligible = _sum(table, "eligible", items, year)
    enrolled = _sum(table, "enrolled", items, year)
    units_m = _unit_measures(table, items)
    units = sum(_sum(table, m, items, year) for m in units_m)
    minutes = _sum(table, "minutes", items, year)
    cost = _sum(table, "cost_yuan", items, year)
    if kind == "share":
        projected = enrolled / eligible if eligible else np.nan
        gap = t.value - projected
        persons = max(gap, 0.0) * eligible
        per_person = {
            k: (x / enrolled if enrolled else 0.0)
            for k, x in (("units", units), ("minutes", minutes), ("cost", cost))
        }
        extra_units = persons * per_person["units"]
        extra_minutes = persons * per_person["minutes"]
        extra_yuan = persons * per_person["cost"]
    else:
        years = list(range(int(table["year"].min()), t.year + 1))
        projected = sum(_sum(table, m, items, years) for m in units_m)
        gap = t.value - projected
        # A count target adds units (adaptations, trainings, visits), priced per unit.
        persons = np.nan
        extra_units = max(gap, 0.0)
        extra_minutes = extra_units * (minutes / units if units else 0.0)
        extra_yuan = extra_units * (cost / units if units else 0.0)
    return {
        "projected": projected,
        "gap": gap,
        "met": bool(gap <= 1e-9),
        "modelled": True,
        "extra_persons": persons,
        "extra_units": extra_units,
        "extra_fte": float(fte(extra_minutes, params)),
        "extra_yuan": extra_yuan,
    }


def _welfare_posts(t: Target, result, table: pd.DataFrame, params) -> dict:
    """Posts a "users per post" rule provides vs the staff the model says services need.

    The rule's users are approximated by urban residents 75+ times the take-up of caring
    visits (the model has no community-institution user register). ``projected`` is the FTE
    of the home services (:data:`HOME_SERVICE_FAMILIES`) in the year; ``target`` is replaced
    by the posts the rule gives.
    """
    year = [t.year]
    users = _sum(table, "pop75_urban", [""], year) * params.take_up_for("caring_visits", t.year)
    posts = users / t.value
    home = [i for f in HOME_SERVICE_FAMILIES for i in _family_items(result, f)]
    need = float(fte(_sum(table, "minutes", home, year), params))
    return {
        "target": posts,
        "projected": need,
        "gap": posts - need,
        "met": bool(posts >= need),
        "modelled": True,
        "extra_fte": max(need - posts, 0.0),
        "note": (
            f"posts at {t.value:g} users per post (users ≈ urban 75+ × caring-visit take-up) "
            "vs FTE the model's home services need; 'met' = the posts cover the need"
        ),
    }


def _county_beds(t: Target, result, table: pd.DataFrame, params) -> dict:
    _, counties = load_census()
    pop = counties[counties["city"] == result.meta["city"]].set_index("county")["population"]
    lo, hi = t.county_population or (None, None)
    chosen = pop[
        ((pop >= lo) if lo is not None else True) & ((pop <= hi) if hi is not None else True)
    ]
    beds = table[(table["measure"] == "beds:institution_bed") & (table["year"] == t.year)]
    demand = beds.groupby("county")["value"].sum().reindex(chosen.index, fill_value=0.0)
    if demand.empty:
        return {"note": "no county matches the population condition"}
    over = (demand - t.value).clip(lower=0)
    bed_cost = params.bed_cost["institution_bed"]
    return {
        "projected": float(demand.max()),
        "gap": float(t.value - demand.max()),
        "met": bool((demand <= t.value).all()),
        "modelled": True,
        "extra_units": float(over.sum()),
        "extra_yuan": float(over.sum() * bed_cost),
        "note": (
            f"largest county demand for placement beds vs the per-county floor of {t.value:g} "
            f"over {len(chosen)} counties; 'met' = the floor covers demand everywhere"
        ),
    }

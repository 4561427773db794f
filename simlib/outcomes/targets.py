"""Evaluate a city's quantified targets against a run: projected value, gap, what closing it takes.

Each target in ``params/targets/<city>.yaml`` names a ``measure`` of
``params/vocabulary/target_measures.yaml`` (implemented here, one function each) or says why
it cannot be measured (``unmeasured``). Every figure is computed from the run's own rows and
inputs — its list, take-up, hours per FTE and costs — never from defaults:

* share measures (visit rate, 集中供养 of willing 特困, assessment coverage, home adaptation
  coverage): enrolled / eligible over the items of the family in the target year;
* count measures (home adaptations, carers trained, home-care visits): units delivered,
  cumulative from the first simulated year to the target year; for a family delivered as a
  yearly quota (``params/outcomes.yaml``, ``quota:``) the households its programme served
  before the list took effect count too, and a share target is the share of the programme
  period's task;
* ``family_care_beds``: family care beds in use in the target year;
* ``county_beds``: beds demanded per county against a per-county floor (the counties whose
  census population the target's ``county_population`` selects);
* ``welfare_posts``: posts a users-per-post rule gives vs the FTE home services need.

What closing a shortfall takes: for share targets, the extra enrolled persons and their units,
FTE and yuan at the run's per-enrolled averages; for counts, the extra units at the run's
minutes and cost per unit; for bed floors, beds × the run's cost per bed-year.

``met`` means "the target is reached": projected ≥ target for floors; for a per-county
capacity floor against demand (``county_beds``) it means the floor covers demand in every
selected county — the column ``met_means`` says which, row by row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simlib.core.units import fte

#: Item families of services delivered at home (the work public-welfare posts would do).
HOME_SERVICE_FAMILIES = ("caring_visits", "home_care", "home_maintenance", "cleaning")

#: measure → (item family, kind). kind: share, count, auto (by the target's unit), beds,
#: posts, placed.
MEASURES = {
    "visit_rate_special_hardship": ("caring_visits", "share"),
    "tekun_centralized_share": ("tekun_centralized", "share"),
    "ability_assessment_coverage": ("ability_assessment", "share"),
    "home_adaptation_coverage": ("home_adaptation", "share"),
    "home_adaptations": ("home_adaptation", "auto"),
    "carer_training_families": ("carer_training", "count"),
    "home_care_visits": ("home_care", "count"),
    "family_care_beds": ("family_care_bed", "placed"),
    "county_beds": (None, "beds"),
    "welfare_posts": ("caring_visits", "posts"),
}


def _sum(table: pd.DataFrame, measure: str, items: list[str], years) -> float:
    t = table[
        (table["measure"] == measure) & table["item_id"].isin(items) & table["year"].isin(years)
    ]
    return float(t["value"].sum())


def _unit_measures(table: pd.DataFrame, items: list[str]) -> list[str]:
    ms = table.loc[table["item_id"].isin(items), "measure"].unique()
    return [m for m in ms if m.startswith("units:")]


def _family_items(inputs, family: str) -> list[str]:
    return sorted({it.id for p in inputs.periods for it in p.services.items if it.family == family})


def evaluate_targets(result) -> pd.DataFrame:
    """Every target of the result's city: projected value, gap and what closing it takes.

    Args:
        result: A :class:`~simlib.experiments.result.Result` (with its inputs).

    Returns:
        One row per target: target_id, name_en, name_zh, year, unit, target, measure,
        projected, gap (target − projected; positive = shortfall), met, met_means, modelled,
        extra_persons, extra_units, extra_fte, extra_yuan, note (why not modelled, or how).
    """
    from simlib.core.errors import ParamError

    inputs = result.inputs
    if inputs is None:
        raise ParamError("evaluate_targets needs the run's inputs (re-run the result)")
    table = result.table
    last = int(table["year"].max())
    rows = []
    for t in inputs.targets:
        row = {
            "target_id": t.id,
            "name_en": t.name_en,
            "name_zh": t.name_zh,
            "year": t.year,
            "unit": t.unit,
            "target": t.value,
            "measure": t.measure,
            "projected": np.nan,
            "gap": np.nan,
            "met": None,
            "met_means": "",
            "modelled": False,
            "extra_persons": 0.0,
            "extra_units": 0.0,
            "extra_fte": 0.0,
            "extra_yuan": 0.0,
            "note": t.unmeasured or "",
        }
        if t.measure is None:
            row["note"] = t.unmeasured or "no measure in the model"
        elif t.year > last:
            row["note"] = f"the run ends in {last}, before the target year"
        else:
            row.update(_evaluate(t, inputs, table))
            row["note"] = "; ".join(x for x in (row["note"], _reading_note(t, inputs)) if x)
        rows.append(row)
    return pd.DataFrame(rows)


def _reading_note(t, inputs) -> str:
    """Say so when the run read the list otherwise than the target is about."""
    out = []
    for name, variant in t.reading:
        dfn = inputs.context.definitions.get(name)
        used = inputs.scenario.definitions.get(name, dfn.default if dfn else None)
        if used != variant:
            out.append(
                f"the target is about the reading {name}={variant}; this run read {name}={used}"
            )
    return "; ".join(out)


def _evaluate(t, inputs, table: pd.DataFrame) -> dict:
    family, kind = MEASURES[t.measure]
    if kind == "beds":
        return _county_beds(t, inputs, table)
    if kind == "posts":
        return _welfare_posts(t, inputs, table)
    p = inputs.policy(t.year).outcomes
    if kind == "placed":
        beds = table[(table["measure"] == f"beds:{family}") & (table["year"] == t.year)]
        projected = float(beds["value"].sum())
        gap = t.value - projected
        return {
            "projected": projected,
            "gap": gap,
            "met": bool(gap <= 1e-9),
            "met_means": "projected ≥ target",
            "modelled": True,
            "extra_units": max(gap, 0.0),
            "extra_yuan": max(gap, 0.0) * p.bed_cost[family],
            "note": "family care beds in use in the target year",
        }
    items = _family_items(inputs, family)
    if not items:
        return {"note": f"the list has no item of family {family}"}
    quota = p.quota_for(family, inputs.city)
    if kind == "auto":
        kind = "share" if t.unit == "share" else "count"
        if quota is not None:
            return _quota_delivery(t, inputs, table, items, quota, kind)
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
        per = {
            k: (x / enrolled if enrolled else 0.0)
            for k, x in (("units", units), ("minutes", minutes), ("cost", cost))
        }
        extra_units, extra_minutes, extra_yuan = (
            persons * per["units"],
            persons * per["minutes"],
            persons * per["cost"],
        )
    else:
        years = list(range(int(table["year"].min()), t.year + 1))
        projected = sum(_sum(table, m, items, years) for m in units_m)
        gap = t.value - projected
        persons = np.nan
        extra_units = max(gap, 0.0)
        extra_minutes = extra_units * (minutes / units if units else 0.0)
        extra_yuan = extra_units * (cost / units if units else 0.0)
    return {
        "projected": projected,
        "gap": gap,
        "met": bool(gap <= 1e-9),
        "met_means": "projected ≥ target",
        "modelled": True,
        "extra_persons": persons,
        "extra_units": extra_units,
        "extra_fte": float(fte(extra_minutes, p.fte_hours)),
        "extra_yuan": extra_yuan,
    }


def _quota_delivery(t, inputs, table: pd.DataFrame, items: list[str], quota, kind: str) -> dict:
    """A quota family's delivery to the target year against the target (count or task share).

    Delivered = the households the programme served before the list took effect (its
    capacity of those years, :func:`~simlib.outcomes.ledger.quota_before`, as far as the
    eligible households of the item's first year can take it: measure ``quota_before``) +
    the units the run counts from the item's first year to the target year. A share target
    is the share of the programme period's task (:meth:`~simlib.params.outcomes.Quota.task`).
    """
    from simlib.outcomes.ledger import quota_before

    p = inputs.policy(t.year).outcomes
    rows = table[table["item_id"].isin(items)]
    first = int(rows["year"].min()) if len(rows) else t.year
    years = list(range(first, t.year + 1))
    units_m = _unit_measures(table, items)
    counted = sum(_sum(table, m, items, years) for m in units_m)
    before = _sum(table, "quota_before", items, years)
    capacity_before = quota_before(quota, inputs.city, first)
    delivered = before + counted
    task = quota.task(inputs.city)
    projected = delivered / task if kind == "share" else delivered
    gap = t.value - projected
    short = max(gap, 0.0) * (task if kind == "share" else 1.0)  # households
    units = sum(_sum(table, m, items, [t.year]) for m in units_m)
    minutes = _sum(table, "minutes", items, [t.year])
    cost = _sum(table, "cost_yuan", items, [t.year])
    return {
        "projected": projected,
        "gap": gap,
        "met": bool(gap <= 1e-9),
        "met_means": "projected ≥ target",
        "modelled": True,
        "extra_persons": np.nan,
        "extra_units": short,
        "extra_fte": float(fte(short * (minutes / units if units else 0.0), p.fte_hours)),
        "extra_yuan": short * (cost / units if units else 0.0),
        "note": (
            f"a yearly quota of {quota.per_year[inputs.city]:g} households "
            f"({quota.first}–{quota.last}, task {task:g}): {before:.0f} served before the list "
            f"took effect in {first} (of the {capacity_before:g} those years' quota allowed, "
            f"as many as the eligible households then could take; not costed) + "
            f"{counted:.0f} served from {first}"
        ),
    }


def _welfare_posts(t, inputs, table: pd.DataFrame) -> dict:
    """Posts a "users per post" rule provides vs the staff the model says services need.

    The rule's users are approximated by urban residents 75+ times the run's take-up of
    caring visits in the target year (the model has no community-institution user register).
    ``projected`` is the FTE of the home services (:data:`HOME_SERVICE_FAMILIES`) in the year;
    ``target`` is replaced by the posts the rule gives.
    """
    year = [t.year]
    p = inputs.policy(t.year).outcomes
    users = _sum(table, "pop75_urban", [""], year) * p.take_up_for("caring_visits", t.year)
    posts = users / t.value
    home = [i for f in HOME_SERVICE_FAMILIES for i in _family_items(inputs, f)]
    need = _sum(table, "fte", home, year)
    return {
        "target": posts,
        "projected": need,
        "gap": posts - need,
        "met": bool(posts >= need),
        "met_means": "the rule's posts cover the FTE home services need",
        "modelled": True,
        "extra_fte": max(need - posts, 0.0),
        "note": (
            f"posts at {t.value:g} users per post (users ≈ urban 75+ × caring-visit take-up "
            f"{p.take_up_for('caring_visits', t.year):.2f}) vs FTE the model's home services need"
        ),
    }


def _county_beds(t, inputs, table: pd.DataFrame) -> dict:
    _, counties = inputs.census.city(inputs.city)
    pop = counties.set_index("county")["population"]
    # A development zone is not a county (县/区): the per-county rules do not apply to it.
    zones = [str(c) for c, v in inputs.context.counties.items() if _is_zone(v["name_zh"])]
    pop = pop.drop(index=[z for z in zones if z in pop.index])
    lo, hi = t.county_population or (None, None)
    chosen = pop[
        ((pop >= lo) if lo is not None else True) & ((pop <= hi) if hi is not None else True)
    ]
    beds = table[(table["measure"] == "beds:institution_bed") & (table["year"] == t.year)]
    demand = beds.groupby("county")["value"].sum().reindex(chosen.index, fill_value=0.0)
    if demand.empty:
        return {"note": "no county matches the population condition"}
    over = (demand - t.value).clip(lower=0)
    bed_cost = inputs.policy(t.year).outcomes.bed_cost["institution_bed"]
    return {
        "projected": float(demand.max()),
        "gap": float(t.value - demand.max()),
        "met": bool((demand <= t.value).all()),
        "met_means": "the floor covers the beds demanded in every selected county",
        "modelled": True,
        "extra_units": float(over.sum()),
        "extra_yuan": float(over.sum() * bed_cost),
        "note": (
            f"largest county demand for placement beds vs the per-county floor of {t.value:g} "
            f"over {len(chosen)} counties ({', '.join(chosen.index)}; development zones "
            "excluded)"
        ),
    }


def _is_zone(name_zh: str) -> bool:
    return any(w in name_zh for w in ("开发区", "工业园区", "示范区"))

"""Every number flagged ``assumption: true``, with its range, as one addressable registry.

:func:`registry` lists the assumptions that can vary continuously for a city (the health
and outcome parameters, the city's assumed standards, and the assumed amounts in its list),
each with a key, its value and its plausible range. :func:`apply` returns the parameter
objects with some of them overridden, so the sweep and the sensitivity analysis can run a
model at any point of the ranges. Keys:

* ``health:<name>`` — a scalar of ``params/population/health.yaml``;
* ``health:<curve>@<age>`` — one assumed point of a curve;
* ``health:care_level_min_adl.<class>`` — a threshold (rounded to a whole grade);
* ``outcomes:<table>.<name>`` — take-up (``take_up.<family>``, ``take_up.default``), staff
  minutes (``minutes.<unit>``), unit and bed costs (``unit_cost.<unit>``,
  ``bed_cost.<kind>``), or ``outcomes:travel_minutes`` / ``outcomes:fte_hours``;
* ``standard:<city>.<name>`` — an assumed scalar standard of the city;
* ``item:<item id>.cash[i]`` / ``item:<item id>.in_kind[i]`` — an assumed amount or count.

Assumptions that are categorical (definition variants), dates, share tables that must sum
to one, or have a zero-width range are not in the registry; they are varied by scenarios.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pandas as pd

from simlib.outcomes import OutcomeParams, load_outcome_params
from simlib.params import PARAMS_DIR, City, ParamError, load_city, read_yaml
from simlib.population import Health, load_health

_OUTCOME_TABLES = {
    "minutes_per_unit": "minutes",
    "unit_cost_yuan": "unit_cost",
    "bed_cost_yuan_per_year": "bed_cost",
}


def _row(key, value, block, where):
    lo, hi = block["range"]
    if lo == hi:
        return None
    return {
        "key": key,
        "value": float(value),
        "low": float(lo),
        "high": float(hi),
        "rationale": block.get("rationale", ""),
        "where": where,
    }


def registry(city: str) -> pd.DataFrame:
    """The continuously variable assumptions that affect a city's runs.

    Args:
        city: City key (its standards and list items are included).

    Returns:
        One row per assumption: key, value, low, high, rationale, where (file).
    """
    rows = []
    health = load_health()
    for name, entry in health.raw.items():
        w = "params/population/health.yaml"
        if "points" in entry:
            for p in entry["points"]:
                if p.get("assumption"):
                    rows.append(_row(f"health:{name}@{p['age']:g}", p["value"], p, w))
        elif name == "care_level_min_adl":
            for k in ("partial_care", "full_care"):
                if entry[k].get("assumption"):
                    rows.append(_row(f"health:{name}.{k}", entry[k]["value"], entry[k], w))
        elif "values" not in entry and entry.get("assumption"):
            rows.append(_row(f"health:{name}", entry["value"], entry, w))
    raw = read_yaml(PARAMS_DIR / "outcomes.yaml")
    w = "params/outcomes.yaml"
    tu = raw["take_up"]
    if tu["default"].get("assumption"):
        rows.append(_row("outcomes:take_up.default", tu["default"]["value"], tu["default"], w))
    for fam, q in tu["by_family"].items():
        if q.get("assumption"):
            rows.append(_row(f"outcomes:take_up.{fam}", q["value"], q, w))
    for table, short in _OUTCOME_TABLES.items():
        for name, q in raw[table]["values"].items():
            if q.get("assumption"):
                rows.append(_row(f"outcomes:{short}.{name}", q["value"], q, w))
    for name, short in (("travel_minutes", "travel_minutes"), ("fte_hours_per_year", "fte_hours")):
        if raw[name].get("assumption"):
            rows.append(_row(f"outcomes:{short}", raw[name]["value"], raw[name], w))
    c = load_city(city)
    for name, std in c.context.standards.items():
        p = std.provenance
        if p.assumption and not isinstance(std.value, dict):
            rows.append(
                _row(
                    f"standard:{city}.{name}",
                    std.value,
                    {"range": p.range, "rationale": p.rationale},
                    f"params/cities/{city}.yaml",
                )
            )
    for it in c.items:
        for kind, rules in (("cash", it.benefit.cash), ("in_kind", it.benefit.in_kind)):
            for i, r in enumerate(rules):
                p = r.provenance
                if p.assumption:
                    value = (
                        r.n if kind == "in_kind" else (r.yuan if r.yuan is not None else r.multiple)
                    )
                    rows.append(
                        _row(
                            f"item:{it.id}.{kind}[{i}]",
                            value,
                            {"range": p.range, "rationale": p.rationale},
                            f"params/services/{city}.yaml",
                        )
                    )
    return pd.DataFrame([r for r in rows if r is not None])


def apply(
    city: City,
    overrides: Mapping[str, float],
    health: Health | None = None,
    outcome_params: OutcomeParams | None = None,
) -> tuple[City, Health, OutcomeParams]:
    """Parameter objects with registry values overridden.

    Args:
        city: The list (a loaded city, possibly a scenario's list).
        overrides: Registry key → value (each within its range).
        health: Health parameters to start from (bundled by default).
        outcome_params: Outcome parameters to start from (bundled by default).

    Returns:
        ``(city, health, outcome_params)`` with the overrides applied.

    Raises:
        ParamError: On an unknown key or a value outside its range.
    """
    health = health or load_health()
    params = outcome_params or load_outcome_params()
    if not overrides:
        return city, health, params
    reg = registry(city.key).set_index("key")
    unknown = [k for k in overrides if k not in reg.index]
    if unknown:
        raise ParamError(f"unknown assumption key(s) {unknown}; see simlib.assumptions.registry")
    for k, v in overrides.items():
        lo, hi = reg.loc[k, "low"], reg.loc[k, "high"]
        if not lo - 1e-12 <= v <= hi + 1e-12:
            raise ParamError(f"{k}={v} outside its range [{lo}, {hi}]")
    values, curves = dict(health.values), {k: list(v) for k, v in health.curves.items()}
    tables = {
        "take_up": dict(params.take_up),
        "minutes": dict(params.minutes),
        "unit_cost": dict(params.unit_cost),
        "bed_cost": dict(params.bed_cost),
    }
    scalars: dict[str, float] = {}
    standards = dict(city.context.standards)
    items = {it.id: it for it in city.items}
    for key, v in overrides.items():
        kind, rest = key.split(":", 1)
        if kind == "health":
            if "@" in rest:
                name, age = rest.split("@")
                curves[name] = [(a, v if a == float(age) else x) for a, x in curves[name]]
            elif rest.startswith("care_level_min_adl."):
                values[rest] = float(round(v))
            else:
                values[rest] = v
        elif kind == "outcomes":
            if "." in rest:
                table, name = rest.split(".", 1)
                if table == "take_up" and name == "default":
                    scalars["take_up_default"] = v
                else:
                    tables[table][name] = v
            else:
                scalars[rest] = v
        elif kind == "standard":
            name = rest.split(".", 1)[1]
            standards[name] = dataclasses.replace(standards[name], value=v)
        elif kind == "item":
            item_id, comp = rest.rsplit(".", 1)
            field_name, idx = comp.rstrip("]").split("[")
            it = items[item_id]
            rules = list(getattr(it.benefit, field_name))
            r = rules[int(idx)]
            attr = (
                "n" if field_name == "in_kind" else ("yuan" if r.yuan is not None else "multiple")
            )
            rules[int(idx)] = dataclasses.replace(r, **{attr: v})
            items[item_id] = dataclasses.replace(
                it, benefit=dataclasses.replace(it.benefit, **{field_name: tuple(rules)})
            )
    new_health = Health(curves, values, health.shares, health.raw)
    new_params = dataclasses.replace(params, **tables, **scalars)
    ctx = dataclasses.replace(city.context, standards=standards)
    services = dataclasses.replace(city.services, items=[items.get(i.id, i) for i in city.items])
    return dataclasses.replace(city, context=ctx, services=services), new_health, new_params

"""Every assumed number, with its documented range, as one addressable registry.

:func:`registry` lists the assumptions that can vary continuously for a city: the health and
outcome parameters, the city's assumed standards, and the assumed amounts of its list, each
with a key, a readable label, its value and its range. An override ``{key: value}`` becomes a
scenario change of the parameter files (:func:`override_changes`), so a sensitivity sample is
validated exactly like a scenario, and must stay inside the documented range. Keys:

* ``health:<entry>`` — a scalar of ``params/population/health.yaml``;
* ``health:<curve>@<age>`` — one assumed point of a curve;
* ``health:<group>.<member>`` — a member of a group (the ADL care-class thresholds, rounded
  to whole grades (:data:`WHOLE`) and kept in order in a sampled design (:data:`ORDERED`));
  ``health:assistance_trend_last_year`` is rounded to a whole year;
* ``outcomes:take_up.<family>`` / ``outcomes:take_up.default``, ``outcomes:minutes.<unit>``,
  ``outcomes:unit_cost.<unit>``, ``outcomes:bed_cost.<kind>``, ``outcomes:travel_minutes``,
  ``outcomes:fte_hours``;
* ``standard:<city>.<name>`` — an assumed scalar standard of the city;
* ``item:<item id>.<kind>[i]`` — an assumed number of the item's ``i``-th component of a
  benefit kind (``cash``, ``in_kind`` or any kind registered): its ``slots``, read from the
  parsed list.

Assumptions that are readings of a phrase (definition variants), dates, years, share tables
that must sum to one, or have a zero-width range are not in the registry; scenarios vary them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from simlib.core.errors import ParamError, did_you_mean
from simlib.core.people import SCHEMA
from simlib.params.scenarios import Change
from simlib.params.tree import ParamTree, read_tree

_OUTCOME_TABLES = {
    "minutes_per_unit": ("minutes", "staff minutes per {}"),
    "unit_cost_yuan": ("unit_cost", "unit cost of {} (yuan)"),
    "bed_cost_yuan_per_year": ("bed_cost", "cost per {} per year (yuan)"),
}
_OUTCOME_SCALARS = {
    "travel_minutes": ("travel_minutes", "travel minutes per home visit"),
    "fte_hours_per_year": ("fte_hours", "working hours per full-time post"),
}
#: Keys whose values are whole numbers (an override is rounded).
WHOLE = ("health:care_level_min_adl.", "health:assistance_trend_last_year")

#: Health groups with one member per city: a city's registry holds its own member only (the
#: others do not affect its runs; overrides accept any).
PER_CITY = ("health:city_mortality_level.",)

#: Assumptions sampled independently that must stay ordered (first ≤ second): the model
#: refuses the other order (the ADL process: 全护理 cannot start below 半护理). Each
#: sampled row is ordered before it becomes a run; the analyses read the design as drawn,
#: so where the order binds the second assumption's effect is that of the clipped value.
ORDERED = (("health:care_level_min_adl.partial_care", "health:care_level_min_adl.full_care"),)


def order_design(X: np.ndarray, names: list[str]) -> np.ndarray:
    """The design with every :data:`ORDERED` pair put in order (a copy)."""
    X = np.array(X, dtype=float, copy=True)
    for first, second in ORDERED:
        if first in names and second in names:
            i, j = names.index(first), names.index(second)
            X[:, j] = np.maximum(X[:, j], X[:, i])
    return X


def _row(key, label, block, value, unit, where, change):
    if not isinstance(block, dict) or not block.get("assumption"):
        return None
    rng = block.get("range")
    if not (isinstance(rng, list) and len(rng) == 2) or rng[0] == rng[1]:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return {
        "key": key,
        "label": label,
        "value": float(value),
        "low": float(rng[0]),
        "high": float(rng[1]),
        "unit": unit,
        "rationale": block.get("rationale", ""),
        "where": where,
        "_change": change,
    }


def _item_rows(tree: ParamTree, city: str, city_zh: str, schema) -> list[dict | None]:
    """The assumed numbers of a city's list: every component's slots, whatever its kind.

    Read from the parsed list (:func:`simlib.params.services.load_services`), so a kind's
    assumptions are those its :meth:`~simlib.rules.benefits.Component.slots` declares; a
    slot's key is ``item:<item id>.<kind key>[i]``, where ``i`` counts the item's components
    of that kind in file order.
    """
    from simlib.params.cities import load_context
    from simlib.params.services import load_services
    from simlib.params.vocabulary import load_conventions, load_vocabulary

    vocab = load_vocabulary(tree)
    ctx = load_context(tree, city, schema)
    services = load_services(tree, city, ctx, vocab, load_conventions(tree), schema=schema)
    w = f"params/services/{city}.yaml"
    rows: list[dict | None] = []
    for item in services.items:
        seen: dict[str, int] = {}
        for c in item.benefit.components:
            i = seen[c.key] = seen.get(c.key, -1) + 1
            for slot in c.slots():
                pv = slot.provenance
                block = {
                    "assumption": pv.assumption,
                    "range": list(pv.range) if pv.range is not None else None,
                    "rationale": pv.rationale or "",
                }
                rows.append(
                    _row(
                        f"item:{item.id}.{c.key}[{i}]",
                        f"{city_zh} {item.name_zh} ({item.id}): {c.describe()}",
                        block,
                        slot.value,
                        slot.field,
                        w,
                        Change(
                            "item", item.id, {f"benefit.{c.key}[{i}].{slot.field}": None}, None, ""
                        ),
                    )
                )
    return rows


def _rows(tree: ParamTree, city: str, schema=None) -> list[dict]:
    rows: list[dict | None] = []
    health = tree.yaml("population/health.yaml")
    w = "params/population/health.yaml"
    for block in health.values():
        for name, e in (block or {}).items():
            if not isinstance(e, dict):
                continue
            desc = e.get("description") or name.replace("_", " ")
            unit = e.get("unit", "")
            if "points" in e:
                for i, p in enumerate(e["points"]):
                    rows.append(
                        _row(
                            f"health:{name}@{p.get('age'):g}",
                            f"{desc}, age {p.get('age'):g}",
                            p,
                            p.get("value"),
                            unit,
                            w,
                            Change("health", name, {f"points[{i}].value": None}, None, ""),
                        )
                    )
            elif "values" in e:
                continue
            elif "value" in e:
                rows.append(
                    _row(
                        f"health:{name}",
                        desc,
                        e,
                        e["value"],
                        unit,
                        w,
                        Change("health", name, {"value": None}, None, ""),
                    )
                )
            else:
                for m, q in e.items():
                    if isinstance(q, dict) and "value" in q:
                        rows.append(
                            _row(
                                f"health:{name}.{m}",
                                f"{desc}: {m}",
                                q,
                                q["value"],
                                unit,
                                w,
                                Change("health", name, {f"{m}.value": None}, None, ""),
                            )
                        )
    out = tree.yaml("outcomes.yaml")
    w = "params/outcomes.yaml"
    tu = out.get("take_up", {})
    rows.append(
        _row(
            "outcomes:take_up.default",
            "take-up of items without a family figure",
            tu.get("default"),
            (tu.get("default") or {}).get("value"),
            "share",
            w,
            Change("outcomes", "", {"take_up.default.value": None}, None, ""),
        )
    )
    for fam, q in (tu.get("by_family") or {}).items():
        rows.append(
            _row(
                f"outcomes:take_up.{fam}",
                f"take-up of {fam.replace('_', ' ')}",
                q,
                q.get("value"),
                "share",
                w,
                Change("outcomes", "", {f"take_up.by_family.{fam}.value": None}, None, ""),
            )
        )
    for table, (short, text) in _OUTCOME_TABLES.items():
        for name, q in (out.get(table) or {}).get("values", {}).items():
            rows.append(
                _row(
                    f"outcomes:{short}.{name}",
                    text.format(name.replace("_", " ")),
                    q,
                    q.get("value"),
                    out[table].get("unit", ""),
                    w,
                    Change("outcomes", "", {f"{table}.values.{name}.value": None}, None, ""),
                )
            )
    for name, (short, text) in _OUTCOME_SCALARS.items():
        q = out.get(name) or {}
        rows.append(
            _row(
                f"outcomes:{short}",
                text,
                q,
                q.get("value"),
                q.get("unit", ""),
                w,
                Change("outcomes", "", {f"{name}.value": None}, None, ""),
            )
        )
    ctx = tree.yaml(f"cities/{city}.yaml")
    city_zh = ctx.get("name_zh", city)
    w = f"params/cities/{city}.yaml"
    price_year = (out.get("price_year") or {}).get("value")
    for name, s in (ctx.get("standards") or {}).items():
        if isinstance(s, dict) and not isinstance(s.get("value"), dict):
            block, path = _in_price_year(s, price_year, tree)
            rows.append(
                _row(
                    f"standard:{city}.{name}",
                    f"{city_zh} {s.get('name_zh', name)}",
                    block,
                    block.get("value"),
                    s.get("unit", ""),
                    w,
                    Change("standard", f"{city}.{name}", {path: None}, None, ""),
                )
            )
    rows += _item_rows(tree, city, city_zh, schema if schema is not None else SCHEMA)
    return [r for r in rows if r is not None]


def _in_price_year(s: Mapping, price_year, tree: ParamTree) -> tuple[Mapping, str]:
    """A standard's entry in force in the price year, and the path of its value.

    A dated standard (:mod:`simlib.params.dated`) holds the value of the money's price year
    in the last dated entry in force then (or its base value before the first); that is the
    value an override sets, so it moves every year from the price year until the next date.
    """
    from simlib.params.dated import in_force_year
    from simlib.params.vocabulary import load_conventions

    dated = s.get("dated")
    if not isinstance(dated, list) or not isinstance(price_year, int):
        return s, "value"
    cutoff = load_conventions(tree).in_force_cutoff_month
    out: tuple[Mapping, str] = (s, "value")
    for i, e in enumerate(dated):
        if isinstance(e, Mapping) and in_force_year(e["from"], cutoff) <= price_year:
            out = (e, f"dated[{i}].value")
    return out


def registry(city: str, params_dir=None, schema=None) -> pd.DataFrame:
    """The continuously variable assumptions that affect a city's runs.

    Args:
        city: City key (its standards and list items are included).
        params_dir: A params directory (the bundled one by default).
        schema: Person attributes the list may read (the base schema plus any a custom
            process adds; see :func:`simlib.population.processes.schema_of`).

    Returns:
        One row per assumption: key, label (readable: what and, for items, city and item
        name), value, low, high, unit, rationale, where (file).
    """
    from simlib.params.tree import check_city

    tree = read_tree(params_dir)
    city = check_city(city, tree)
    rows = [
        r
        for r in _rows(tree, city, schema)
        if not r["key"].startswith(PER_CITY) or r["key"].rsplit(".", 1)[1] == city
    ]
    return pd.DataFrame(rows).drop(columns="_change")


def override_changes(
    tree: ParamTree, overrides: Mapping[str, float], schema=None
) -> tuple[Change, ...]:
    """Scenario changes that set registry assumptions (each checked against its range).

    Args:
        tree: The params tree.
        overrides: Registry key → value.
        schema: Person attributes the lists may read.

    Raises:
        ParamError: On an unknown key or a value outside its documented range.
    """
    cities = {
        k.split(":", 1)[1].split(".", 1)[0]
        for k in overrides
        if k.startswith(("standard:", "item:"))
    }
    rows = {}
    for city in cities or {None}:
        if city is None:
            from simlib.params.tree import city_keys

            city = city_keys(tree)[0]
        rows.update({r["key"]: r for r in _rows(tree, city, schema)})
    out = []
    for key, value in overrides.items():
        if key not in rows:
            raise ParamError(
                f"unknown assumption key {key!r}{did_you_mean(key, rows)}; see "
                "simlib.params.assumptions.registry(city)"
            )
        r = rows[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParamError(f"assumption {key}: expected a number, got {value!r}")
        if not r["low"] - 1e-12 <= value <= r["high"] + 1e-12:
            raise ParamError(
                f"assumption {key}={value} outside its range [{r['low']}, {r['high']}]"
            )
        if key.startswith(WHOLE):
            value = float(round(value))
        value = min(max(value, r["low"]), r["high"])
        ch = r["_change"]
        (path,) = ch.set
        out.append(Change(ch.selector, ch.target, {path: value}, None, f"assumption {key}"))
    return tuple(out)

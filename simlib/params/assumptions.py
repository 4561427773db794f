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
* ``outcomes:quota.<family>.<city>`` — the city's yearly capacity of a family delivered as a
  programme quota (households per year), and ``outcomes:quota.<family>.after`` — the capacity
  after the programme period, as a multiple of the period's (a ratio);
* ``programme:<name>.take_up`` — the take-up of a programme in force in the city
  (``params/programmes/<name>.yaml``);
* ``purchase:<block>.<name>`` — the care purchase model (``params/care_purchase.yaml``):
  ``prices.home_care_hour``, ``prices.day_care_day``, ``home_care_hours.<grade>``,
  ``day_care_days.<grade>``, ``institution_yuan.<grade>`` (grades ``moderate``, ``severe``,
  ``total``); in the registry where a programme in force in the city pays a share of the bill;
* ``standard:<city>.<name>`` — an assumed scalar standard of the city;
* ``item:<item id>.<kind>[i]`` — an assumed number of the item's ``i``-th component of a
  benefit kind (``cash``, ``in_kind`` or any kind registered): its ``slots``, read from the
  parsed list.

* with ``payers=True`` only: ``funding:programme.<name>.<payer>`` (a programme's split) and
  ``funding:<all|city>.<family>.<payer>`` (a default split of ``params/funding.yaml`` that one
  of the city's items takes) — the share of the split's first payer, the other payers' shares
  scaled in proportion so that the split still sums to one; its range is the part of its
  documented range in which every other share stays inside its own (:func:`_split_rows`).
  A split only divides the public cost among payers (``payer_yuan:<payer>``); no headline
  figure (cost, staff, enrolment, beds) moves with it, so the default registry leaves the
  splits out of the sensitivity designs.

Assumptions that are readings of a phrase (definition variants), dates, years, rules (a
voucher's share and cap, read from the notice's reports: alternatives are scenarios such as
``voucher_pilot_rules``), or have a zero-width range are not in the registry; scenarios vary
them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from simlib.core.errors import ParamError, did_you_mean
from simlib.core.people import SCHEMA
from simlib.params.scenarios import Change
from simlib.params.tree import ParamTree, read_tree, remembered

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


def _services(tree: ParamTree, city: str, schema):
    """The city's parsed list (with the programmes in force there)."""
    from simlib.params.cities import load_context
    from simlib.params.services import load_services
    from simlib.params.vocabulary import load_conventions, load_vocabulary

    vocab = load_vocabulary(tree)
    ctx = load_context(tree, city, schema)
    return load_services(tree, city, ctx, vocab, load_conventions(tree), schema=schema)


def _item_rows(tree: ParamTree, city: str, city_zh: str, services) -> list[dict | None]:
    """The assumed numbers of a city's list: every component's slots, whatever its kind.

    Read from the parsed list (:func:`simlib.params.services.load_services`), so a kind's
    assumptions are those its :meth:`~simlib.rules.benefits.Component.slots` declares; a
    slot's key is ``item:<item id>.<kind key>[i]``, where ``i`` counts the item's components
    of that kind in file order.
    """
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


@remembered
def _rows(tree: ParamTree, city: str, schema=None, payers: bool = False, years=None) -> list[dict]:
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
    rows += _quota_rows(out, city, city_zh, w)
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
    services = _services(tree, city, schema if schema is not None else SCHEMA)
    rows += _item_rows(tree, city, city_zh, services)
    rows += _programme_rows(tree, services, years)
    if payers:
        rows += _funding_rows(tree, city, services)
    return [r for r in rows if r is not None]


def _quota_rows(out: Mapping, city: str, city_zh: str, w: str) -> list[dict | None]:
    """The city's yearly quota capacities and the share that continues after the period."""
    quota = out.get("quota") or {}
    rows: list[dict | None] = []
    for fam, q in (quota.get("by_family") or {}).items():
        e = (q.get("by_city") or {}).get(city)
        if e is None:
            continue
        name = fam.replace("_", " ")
        base = f"quota.by_family.{fam}"
        rows.append(
            _row(
                f"outcomes:quota.{fam}.{city}",
                f"{city_zh} yearly quota of {name} (programme period)",
                e,
                e.get("value"),
                quota.get("unit", ""),
                w,
                Change("outcomes", "", {f"{base}.by_city.{city}.value": None}, None, ""),
            )
        )
        a = q.get("after") or {}
        rows.append(
            _row(
                f"outcomes:quota.{fam}.after",
                f"quota of {name} after the programme period, × the period's yearly quota",
                a,
                a.get("value"),
                "ratio",
                w,
                Change("outcomes", "", {f"{base}.after.value": None}, None, ""),
            )
        )
    return rows


def _programme_rows(tree: ParamTree, services, years=None) -> list[dict | None]:
    """Take-ups of the programmes in force in the city, and the purchase model they pay into.

    A programme reaches the city when one of its items is in the city's parsed list (and, if
    ``years`` is given, in force in one of them); the purchase model
    (``params/care_purchase.yaml``) is in the registry when one of those items pays a share of
    the care bill (its kind reads the bill).
    """
    from simlib.params.programmes import CARE_PURCHASE, FOLDER, load_programmes

    items = [
        it
        for it in services.items
        if it.programme and (years is None or any(services.in_force(it, y) for y in years))
    ]
    reached = {it.programme for it in items}
    rows: list[dict | None] = []
    for prog in load_programmes(tree):
        if prog.name not in reached or prog.take_up is None:
            continue
        value, pv = prog.take_up
        rows.append(
            _row(
                f"programme:{prog.name}.take_up",
                f"take-up of {prog.name_zh} ({prog.name})",
                {
                    "assumption": pv.assumption,
                    "range": list(pv.range) if pv.range is not None else None,
                    "rationale": pv.rationale or "",
                },
                value,
                "share",
                f"params/{FOLDER}/{prog.name}.yaml",
                Change("programme", prog.name, {"take_up.value": None}, None, ""),
            )
        )
    bill = any(
        getattr(c, "bill", None) is not None  # a kind paying a share of the care bill
        for it in items
        for c in it.benefit.components
    )
    if not bill or CARE_PURCHASE not in tree:
        return rows
    d = tree.yaml(CARE_PURCHASE)
    for block, entries in d.items():
        if not isinstance(entries, Mapping):
            continue
        for name, e in entries.items():
            if not isinstance(e, Mapping):
                continue
            rows.append(
                _row(
                    f"purchase:{block}.{name}",
                    f"care purchase model: {block.replace('_', ' ')}, {name.replace('_', ' ')}",
                    e,
                    e.get("value"),
                    e.get("unit", ""),
                    f"params/{CARE_PURCHASE}",
                    Change("care_purchase", "", {f"{block}.{name}.value": None}, None, ""),
                )
            )
    return rows


def _split_rows(
    key: str, label: str, split: Mapping, where: str, selector: str, target: str, base: str
) -> dict | None:
    """One registry row for a funding split: its first payer's share, the rest in proportion.

    Setting the first payer's share to ``v`` scales every other payer's share by
    ``(1 − v) / (1 − v₀)`` (``v₀`` the documented share), so the split still sums to one. The
    row's range is the first payer's documented range narrowed to where every other share
    stays inside its own documented range; a split of one payer, or whose first payer pays
    all, has no such freedom and no row.
    """
    from simlib.rules.funding import PAYERS

    named = [p for p in split if p in PAYERS and isinstance(split[p], Mapping)]
    if len(named) < 2:
        return None
    first, others = named[0], named[1:]
    e = split[first]
    v0 = e.get("value")
    rng = e.get("range")
    if not e.get("assumption") or not isinstance(rng, list) or not isinstance(v0, (int, float)):
        return None
    if v0 >= 1:
        return None
    lo, hi = float(rng[0]), float(rng[1])
    for p in others:
        b = float(split[p].get("value", 0.0))
        r = split[p].get("range") or [b, b]
        if b > 0:  # b (1 − v) / (1 − v0) inside [r0, r1]
            lo = max(lo, 1 - float(r[1]) * (1 - v0) / b)
            hi = min(hi, 1 - float(r[0]) * (1 - v0) / b)
    lo, hi = max(lo, 0.0), min(hi, 1.0)
    if not lo < hi:
        return None
    row = _row(
        key,
        label,
        {**e, "range": [lo, hi]},
        v0,
        "share",
        where,
        Change(selector, target, {f"{base}.{first}.value": None}, None, ""),
    )
    if row is not None:
        row["_scaled"] = tuple(
            (f"{base}.{p}.value", float(split[p].get("value", 0.0))) for p in others
        )
    return row


def _funding_rows(tree: ParamTree, city: str, services) -> list[dict | None]:
    """Funding splits that the city's items take: programmes' and ``funding.yaml`` defaults."""
    from simlib.params.funding import REL
    from simlib.params.programmes import FOLDER

    rows: list[dict | None] = []
    for name in sorted({it.programme for it in services.items if it.programme}):
        split = tree.yaml(f"{FOLDER}/{name}.yaml").get("funding")
        if isinstance(split, Mapping):
            rows.append(
                _split_rows(
                    f"funding:programme.{name}.{next(iter(split))}",
                    f"who pays programme {name}: first payer's share",
                    split,
                    f"params/{FOLDER}/{name}.yaml",
                    "programme",
                    name,
                    "funding",
                )
            )
    for raw in tree.yaml(f"services/{city}.yaml").get("items") or []:
        split = raw.get("funding") if isinstance(raw, Mapping) else None
        if isinstance(split, Mapping):  # an item's own split (Puyang's 支出责任)
            first = next((p for p in split if isinstance(split[p], Mapping)), "")
            rows.append(
                _split_rows(
                    f"funding:{raw['id']}.{first}",
                    f"who pays item {raw['id']}: first payer's share",
                    split,
                    f"params/services/{city}.yaml",
                    "item",
                    raw["id"],
                    "funding",
                )
            )
    if REL not in tree:
        return rows
    d = tree.yaml(REL)
    taken = {
        it.family
        for it in services.items
        if not it.programme and it.funding is not None and it.funding.default
    }
    own = ((d.get("cities") or {}).get(city) or {}).get("families") or {}
    common = (d.get("all") or {}).get("families") or {}
    for fam in sorted(taken):
        where, split = (city, own[fam]) if fam in own else ("all", common.get(fam))
        if not isinstance(split, Mapping):
            continue
        base = f"cities.{city}.families.{fam}" if where == city else f"all.families.{fam}"
        first = next((p for p in split if isinstance(split[p], Mapping)), "")
        rows.append(
            _split_rows(
                f"funding:{where}.{fam}.{first}",
                f"who pays {fam.replace('_', ' ')} (default split, {where}): first payer's share",
                split,
                f"params/{REL}",
                "funding",
                "",
                base,
            )
        )
    return rows


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


def registry(
    city: str, params_dir=None, schema=None, payers: bool = False, years=None
) -> pd.DataFrame:
    """The continuously variable assumptions that affect a city's runs.

    Args:
        city: City key (its standards and list items are included).
        params_dir: A params directory (the bundled one by default).
        schema: Person attributes the list may read (the base schema plus any a custom
            process adds; see :func:`simlib.population.processes.schema_of`).
        payers: Include the funding splits (``funding:`` keys), which move only the cost by
            payer, not any headline figure (see the module docstring).
        years: Calendar years an analysis reads: a programme in force in none of them, and
            the purchase model if no such programme pays into it, is left out (they move
            nothing in those years; the 2026 care voucher, say, for 2025, 2030 and 2035).
            None: every programme that reaches the city.

    Returns:
        One row per assumption: key, label (readable: what and, for items, city and item
        name), value, low, high, unit, rationale, where (file).
    """
    from simlib.params.tree import check_city

    tree = read_tree(params_dir)
    city = check_city(city, tree)
    rows = [
        r
        for r in _rows(tree, city, schema, payers=payers, years=years)
        if not r["key"].startswith(PER_CITY) or r["key"].rsplit(".", 1)[1] == city
    ]
    return pd.DataFrame(rows).drop(columns=["_change", "_scaled"], errors="ignore")


def _city_of_key(key: str) -> str | None:
    """The city a key names (standards, a city's items, quotas), else None."""
    rest = key.split(":", 1)[-1]
    if key.startswith(("standard:", "item:")) and not rest.startswith("programme."):
        return rest.split(".", 1)[0]
    if key.startswith("outcomes:quota.") and not key.endswith(".after"):
        return rest.rsplit(".", 1)[-1]
    if key.startswith("funding:") and rest.split(".", 1)[0] not in ("all", "programme"):
        return rest.split(".", 1)[0]
    return None


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
    from simlib.params.tree import city_keys

    known = city_keys(tree)
    cities = [c for c in dict.fromkeys(map(_city_of_key, overrides)) if c in known]
    rows = {}
    for city in cities or known[:1]:
        rows.update({r["key"]: r for r in _rows(tree, city, schema, payers=True)})
    for city in known:  # a programme in force in some cities only
        if all(k in rows for k in overrides):
            break
        if city not in cities:
            rows.update({r["key"]: r for r in _rows(tree, city, schema, payers=True)})
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
        paths = {path: value}
        if r.get("_scaled"):  # a funding split: the other payers in proportion
            scale = (1.0 - value) / (1.0 - r["value"])
            paths.update({p: b * scale for p, b in r["_scaled"]})
        out.append(Change(ch.selector, ch.target, paths, None, f"assumption {key}"))
    return tuple(out)

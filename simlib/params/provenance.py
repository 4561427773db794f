"""Provenance at a glance: each outcome parameter sourced, calibrated, derived or assumed.

:func:`outcome_provenance` reads ``params/outcomes.yaml`` and classifies every take-up,
minutes, travel, FTE-hours, unit-cost, bed-cost and quota value by what stands behind it;
with ``programmes=True`` (the default) also what the programmes beside the lists rest on:
each programme's take-up (group ``programme``), its benefit's rule numbers (a voucher's
shares and cap; group ``programme_rule``), the care purchase model (``params/care_purchase.yaml``,
group ``purchase``) and every funding share (a programme's, ``params/funding.yaml``'s
defaults and the items' own splits; group ``funding``). Classes (:data:`CLASSES`, best
founded first), read from each entry's ``assumption`` flag and the tag its ``source`` begins
with (``<tag>:`` or ``<tag> (…)``; docs/params_format.md, § provenance tags):

* ``city document`` — the city's own list or plan (``sources/documents/<city>.txt``), as
  printed or (flagged) as read;
* ``sourced`` — no ``assumption`` flag and a source (a published figure or document);
* ``national document`` — a national law or rule that applies to the cities as written,
  flagged because of a reading (tag ``national document``);
* ``calibrated`` — fitted to published counts by a script in ``scripts/`` (tag
  ``calibrated``), a rate from elsewhere standing for the cities';
* ``derived`` — arithmetic on published figures and assumptions, e.g. wage × minutes
  (tag ``derived``);
* ``national target`` — a policy target, not an achieved rate (tag ``target``);
* ``bounds`` — placed between published figures that bound it (tag ``bounds``);
* ``checked`` — a published count that is consistent with the value but cannot fix it
  (tag ``check``);
* ``national proxy``, ``province proxy``, ``other-place proxy``, ``foreign proxy`` — the
  nation's, Shanxi's or Henan's, another Chinese city's or province's, another country's
  figure standing for the cities' (tags ``proxy (national)``, ``proxy (province)``,
  ``proxy (other place)``, ``proxy (foreign)``);
* ``proxy`` — any other source of a flagged value (its kind not stated);
* ``assumed`` — a range and a rationale only: a *bare* assumption.

Keys match the assumption registry (:mod:`simlib.params.assumptions`), so the table joins
with sensitivity rankings and uncertainty shares; a funding split's registry key is its first
payer's (the others move in proportion), so the other payers' rows have keys of the same form
that the registry does not list. A value read from news reports of a document whose text was
not found (a programme's ``document.kind: news_report``) is ``sourced`` with its source marked
``[news report; flagged]``.
"""

from __future__ import annotations

import re

import pandas as pd

from simlib.params.tree import city_keys, read_tree

#: outcomes.yaml tables → (registry key prefix, unit).
_TABLES = {
    "minutes_per_unit": ("minutes", "minutes"),
    "unit_cost_yuan": ("unit_cost", "yuan"),
    "bed_cost_yuan_per_year": ("bed_cost", "yuan per year"),
}
#: outcomes.yaml scalars → registry key.
_SCALARS = {"travel_minutes": "travel_minutes", "fte_hours_per_year": "fte_hours"}
#: Order of the classes, best-founded first (see the module docstring).
CLASSES = (
    "city document",
    "sourced",
    "national document",
    "calibrated",
    "derived",
    "national target",
    "bounds",
    "checked",
    "national proxy",
    "province proxy",
    "other-place proxy",
    "foreign proxy",
    "proxy",
    "assumed",
)
#: Source tags of a flagged value → class (matched at the start of the source, lower case,
#: followed by ':', ' (' or ','; the longest tag first).
TAGS = {
    "national document": "national document",
    "calibrated": "calibrated",
    "derived": "derived",
    "target": "national target",
    "bounds": "bounds",
    "check": "checked",
    "proxy (national)": "national proxy",
    "proxy (province)": "province proxy",
    "proxy (other place)": "other-place proxy",
    "proxy (foreign)": "foreign proxy",
    "proxy": "proxy",
}
#: Classes that are not bare assumptions but stand on a figure from elsewhere.
PROXIES = ("national proxy", "province proxy", "other-place proxy", "foreign proxy", "proxy")


def tag_of(source: str) -> str | None:
    """The provenance tag a source begins with (a key of :data:`TAGS`), or None."""
    low = source.strip().lower()
    for tag in sorted(TAGS, key=len, reverse=True):
        if low.startswith(tag):
            rest = low[len(tag) :]
            if not rest or rest[0] in ":,(" or rest.startswith(" ("):
                return tag
    return None


def classify(entry: dict, cities=()) -> str:
    """The provenance class of one parsed quantity (see the module docstring).

    Args:
        entry: A parsed ``{value, source?, assumption?, …}`` mapping.
        cities: City keys whose ``sources/documents/<city>.txt`` is a city's own document.

    Returns:
        One of :data:`CLASSES`.
    """
    source = str(entry.get("source") or "").strip()
    if not source:
        return "assumed"
    names = "|".join(map(re.escape, cities))
    if cities and re.search(rf"sources/documents/(?:{names})\.txt", source):
        return "city document"
    if not entry.get("assumption"):
        return "sourced"
    tag = tag_of(source)
    return TAGS[tag] if tag else "proxy"


def outcome_provenance(params_dir=None, programmes: bool = True) -> pd.DataFrame:
    """Every outcome parameter with its value, unit, provenance class and source.

    Args:
        params_dir: A params directory (the bundled one by default).
        programmes: Include the programmes' take-ups and rules, the purchase model and the
            funding shares (see the module docstring).

    Returns:
        One row per parameter: key (as in the assumption registry), group, value, unit,
        provenance (one of :data:`CLASSES`), low, high (an assumption's range, else NaN),
        source (or the rationale of a bare assumption).
    """
    tree = read_tree(params_dir)
    out = tree.yaml("outcomes.yaml")
    cities = tuple(city_keys(tree))
    rows: list[dict] = []

    def add(key: str, group: str, e: dict, unit: str) -> None:
        rng = e.get("range") if e.get("assumption") else None
        rows.append(
            {
                "key": key,
                "group": group,
                "value": e.get("value"),
                "unit": unit,
                "provenance": classify(e, cities),
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
        add(f"outcomes:quota.{fam}.after", "quota", q["after"], "ratio")
    if programmes:
        _programme_rows(tree, add)
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


def class_counts(df: pd.DataFrame) -> str:
    """How many parameters of ``df`` fall in each class, in :data:`CLASSES` order, as text.

    Example: ``"3 city document, 2 calibrated, 4 bounds and 5 assumed"`` (classes with no
    parameter left out).
    """
    counts = df["provenance"].astype(str).value_counts()
    parts = [f"{counts[c]} {c}" for c in CLASSES if counts.get(c, 0)]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _programme_rows(tree, add) -> None:
    """The programmes' take-ups and rule numbers, the purchase model and the funding shares."""
    from simlib.params.programmes import CARE_PURCHASE, FOLDER, programme_names
    from simlib.rules.funding import PAYERS

    def split(prefix: str, block, flag: str = "") -> None:
        """Add a split's shares.

        A bare number is sourced by the block's source (the document names the payer); an
        assumed share keeps its class, the block's source after its rationale (the document
        names who pays, not how much).
        """
        block = block or {}
        who = block.get("source") or block.get("note") or ""
        for payer, e in block.items():
            if payer not in PAYERS:
                continue
            if not isinstance(e, dict):
                e = {"value": e, "source": who}
            elif who and not e.get("source"):
                e = {**e, "rationale": f"{e.get('rationale', '')} (who pays: {who})"}
            add(f"funding:{prefix}.{payer}", "funding", _flagged(e, flag), "share")

    for name in programme_names(tree):
        d = tree.yaml(f"{FOLDER}/{name}.yaml")
        flag = " [news report; flagged]" if d["document"].get("kind") == "news_report" else ""
        if isinstance(d.get("take_up"), dict):
            add(f"programme:{name}.take_up", "programme", _flagged(d["take_up"], flag), "share")
        split(f"programme.{name}", d.get("funding"), flag)
        for item in d["items"]:
            for kind, comps in (item.get("benefit") or {}).items():
                for i, c in enumerate(comps if isinstance(comps, list) else []):
                    for field, unit in (("share", "share of the bill"), ("cap_yuan", "yuan")):
                        if field not in c:
                            continue
                        values = c[field] if isinstance(c[field], dict) else {"": c[field]}
                        for setting, v in values.items():
                            e = {k: c[k] for k in ("assumption", "range", "rationale") if k in c}
                            e["source"] = c.get("source") or item.get("source") or ""
                            key = f"item:{item['id']}.{kind}[{i}].{field}"
                            add(
                                key + (f".{setting}" if setting else ""),
                                "programme_rule",
                                _flagged({**e, "value": v}, flag),
                                unit,
                            )
    if CARE_PURCHASE in tree:
        for block, entries in tree.yaml(CARE_PURCHASE).items():
            if isinstance(entries, dict):
                for name, e in entries.items():
                    if isinstance(e, dict) and "value" in e:
                        add(f"purchase:{block}.{name}", "purchase", e, e.get("unit", ""))
    if "funding.yaml" in tree:
        f = tree.yaml("funding.yaml")
        for city, c in [*(f.get("cities") or {}).items(), ("all", f.get("all") or {})]:
            split(f"{city}.default", c.get("default"))
            for fam, block in (c.get("families") or {}).items():
                split(f"{city}.{fam}", block)
    for city in city_keys(tree):
        for raw in tree.yaml(f"services/{city}.yaml").get("items") or []:
            if isinstance(raw, dict) and isinstance(raw.get("funding"), dict):
                split(raw["id"], raw["funding"])


def _flagged(e: dict, flag: str) -> dict:
    """``e`` with ``flag`` after its source (a value read from news reports)."""
    if not flag or not e.get("source"):
        return e
    return {**e, "source": f"{e['source']}{flag}"}

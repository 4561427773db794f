"""Provenance at a glance: each outcome parameter sourced, calibrated, derived or assumed.

:func:`outcome_provenance` reads ``params/outcomes.yaml`` and classifies every take-up,
minutes, travel, FTE-hours, unit-cost, bed-cost and quota value by what stands behind it;
with ``programmes=True`` (the default) also what the programmes beside the lists rest on:
each programme's take-up (group ``programme``), its benefit's rule numbers (a voucher's
shares and cap; group ``programme_rule``), the care purchase model (``params/care_purchase.yaml``,
group ``purchase``) and every funding share (a programme's, ``params/funding.yaml``'s
defaults and the items' own splits; group ``funding``). Classes:

* ``sourced`` — a source and no ``assumption`` flag (a document or published figure);
* ``calibrated`` — an assumption whose source begins ``calibrated`` (fitted to published
  figures by a script in ``scripts/``, but a proxy: a national rate standing for the cities');
* ``derived`` — an assumption whose source begins ``derived`` (arithmetic on published
  figures and assumptions, e.g. wage × minutes);
* ``proxy`` — an assumption with any other source (another city's or the nation's figure);
* ``assumed`` — an assumption with a range and a rationale only.

Keys match the assumption registry (:mod:`simlib.params.assumptions`), so the table joins
with sensitivity rankings and uncertainty shares; a funding split's registry key is its first
payer's (the others move in proportion), so the other payers' rows have keys of the same form
that the registry does not list. A value read from news reports of a document whose text was
not found (a programme's ``document.kind: news_report``) is ``sourced`` with its source marked
``[news report; flagged]``.
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
    rows: list[dict] = []

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
    from simlib.params.tree import city_keys

    for city in city_keys(tree):
        for raw in tree.yaml(f"services/{city}.yaml").get("items") or []:
            if isinstance(raw, dict) and isinstance(raw.get("funding"), dict):
                split(raw["id"], raw["funding"])


def _flagged(e: dict, flag: str) -> dict:
    """``e`` with ``flag`` after its source (a value read from news reports)."""
    if not flag or not e.get("source"):
        return e
    return {**e, "source": f"{e['source']}{flag}"}

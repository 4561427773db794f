"""Standards that change over time: dated values, and a scenario's indexation.

A city standard (``params/cities/<city>.yaml``, ``standards:``) may carry ``dated:``, a list
of the values that replace its ``value`` from a date on, each with its own source::

    disability_living_subsidy:
      value: 82                    # in force before the first dated value
      unit: yuan/month
      source: ...
      dated:
        - {from: 2026-01-01, value: 122, source: "山西省财政厅、民政厅 … (2025-12-09)"}

A dated value counts for calendar year Y when its date is on or before the 1st of
``in_force_cutoff_month`` of Y (``params/conventions.yaml``, the rule items follow). A scenario
may index standards (``index_standards: {rate: 0.03, from: 2026, standards: [dibao]}``): the
value in force in year Y ≥ ``from`` is multiplied by (1 + rate) ** (Y − from + 1), so the first
rise is in ``from``; ``standards`` (optional) names the standards indexed, all by default.
Money stays in constant yuan of ``price_year``: an index is a real rise.

:func:`standards_in_force` rewrites the parsed city files for one year (nothing on disk
changes); :func:`change_years` lists the years in which some standard changes, so that
:func:`simlib.params.load_inputs` starts a policy period in each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simlib.core.checks import ASSUMPTION_KEYS, keys, number, provenance, typed
from simlib.core.errors import ParamError, did_you_mean
from simlib.params.tree import ParamTree, city_keys, document_digest, remembered

#: Keys of one dated value.
ENTRY_KEYS = frozenset({"from", "value", "source", "note"}) | ASSUMPTION_KEYS
#: Keys of a standard's provenance, replaced by a dated value's own.
_PROVENANCE = ("source", "assumption", "range", "rationale", "phrase", "note")
#: Highest yearly index rate accepted (a share per year).
MAX_RATE = 0.5
#: Last year an indexation can produce a period for (the model's last year).
LAST_YEAR = 2050


@dataclass(frozen=True)
class Indexation:
    """A scenario's yearly rise of standards.

    Attributes:
        rate: Rise per year (share, e.g. 0.03 for +3 % a year).
        start: First calendar year raised.
        standards: Names of the standards indexed (None: every standard).
    """

    rate: float
    start: int
    standards: tuple[str, ...] | None = None

    def factor(self, name: str, year: int | None) -> float:
        """Multiplier of standard ``name`` in ``year`` (1 before ``start`` or if not indexed)."""
        if year is None or year < self.start:
            return 1.0
        if self.standards is not None and name not in self.standards:
            return 1.0
        return (1.0 + self.rate) ** (year - self.start + 1)


def parse_indexation(raw: Any, where: str) -> Indexation | None:
    """Validate a scenario's ``index_standards`` block (None when absent).

    Raises:
        ParamError: Naming the scenario key, on a missing or invalid entry.
    """
    if raw is None:
        return None
    d = keys(raw, where, {"rate", "from"}, {"standards", "note"})
    rate = number(d["rate"], f"{where}.rate", lo=-MAX_RATE, hi=MAX_RATE)
    start = typed(d["from"], int, f"{where}.from")
    if not 2021 <= start <= LAST_YEAR:
        raise ParamError(f"{where}.from: a year in 2021..{LAST_YEAR}, got {start}")
    names = d.get("standards")
    if names is not None:
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or not names:
            raise ParamError(f"{where}.standards: expected a list of standard names")
        names = tuple(names)
    return Indexation(float(rate), start, names)


def in_force_year(date: dt.date, cutoff_month: int) -> int:
    """The first calendar year a value dated ``date`` counts for.

    Args:
        date: Date from which the value holds.
        cutoff_month: ``in_force_cutoff_month`` of ``params/conventions.yaml``.

    Returns:
        ``date.year`` if the date is on or before the 1st of ``cutoff_month``, else the next.
    """
    return date.year if date <= dt.date(date.year, cutoff_month, 1) else date.year + 1


def _value(v: Any, where: str, unit: str, like: Any) -> Any:
    if isinstance(like, Mapping) != isinstance(v, Mapping):
        raise ParamError(f"{where}: must have the shape of the standard's value ({like!r})")
    if isinstance(v, Mapping):
        keys(v, where, {"urban", "rural"})
        return {k: number(x, f"{where}.{k}", unit=unit) for k, x in v.items()}
    return number(v, where, unit=unit)


def check_dated(raw: Any, where: str, value: Any, unit: str) -> tuple[tuple[dt.date, Any], ...]:
    """Validate a standard's ``dated`` list.

    Args:
        raw: The parsed list.
        where: Location for errors (file and standard).
        value: The standard's base value (a dated value must have its shape).
        unit: The standard's unit.

    Returns:
        (date, value) pairs in date order.

    Raises:
        ParamError: On a malformed entry, a missing source, dates out of order or repeated.
    """
    if not isinstance(raw, list) or not raw:
        raise ParamError(f"{where}.dated: expected a list of {{from, value, source}} entries")
    out = []
    for i, e in enumerate(raw):
        w = f"{where}.dated[{i}]"
        e = keys(e, w, {"from", "value"}, ENTRY_KEYS)
        if not isinstance(e["from"], dt.date) or isinstance(e["from"], dt.datetime):
            raise ParamError(f"{w}.from: expected a date (YYYY-MM-DD), got {e['from']!r}")
        v = _value(e["value"], f"{w}.value", unit, value)
        prov = provenance(e, w, None)
        vals = v.values() if isinstance(v, dict) else [v]
        if prov.assumption and not all(prov.range[0] <= x <= prov.range[1] for x in vals):
            raise ParamError(f"{w}: value {e['value']} outside its range {list(prov.range)}")
        if out and e["from"] <= out[-1][0]:
            raise ParamError(f"{w}.from: {e['from']} is not after the previous entry's date")
        out.append((e["from"], v))
    return tuple(out)


def _scale(v: Any, f: float) -> Any:
    if isinstance(v, dict):
        return {k: x * f for k, x in v.items()}
    return v * f


def standard_in_force(s: Mapping, year: int | None, cutoff_month: int, factor: float = 1.0) -> dict:
    """A standard's parsed entry as it holds in ``year`` (``dated`` resolved, then indexed).

    Args:
        s: The parsed standard (``value``, ``unit``, provenance, optional ``dated``).
        year: Calendar year (None: the base year of the model, 2020).
        cutoff_month: ``in_force_cutoff_month``.
        factor: Index multiplier of that year.

    Returns:
        A new entry without ``dated`` (its value and provenance those in force).
    """
    out = {k: v for k, v in s.items() if k != "dated"}
    y = 2020 if year is None else year
    for e in s.get("dated") or []:
        if in_force_year(e["from"], cutoff_month) <= y:
            for k in _PROVENANCE:
                out.pop(k, None)
            out.update({k: v for k, v in e.items() if k != "from"})
            out["note"] = f"in force from {e['from']}" + (f"; {e['note']}" if "note" in e else "")
    if factor != 1.0:
        out["value"] = _scale(out["value"], factor)
        if "range" in out:
            out["range"] = [out["range"][0] * factor, out["range"][1] * factor]
        out["note"] = f"{out.get('note') or ''} × {factor:.4f} (scenario index)".lstrip()
    return out


def change_years(tree: ParamTree, cutoff_month: int, index: Indexation | None = None) -> set[int]:
    """Calendar years in which some city's standard takes a new value.

    Args:
        tree: The params tree.
        cutoff_month: ``in_force_cutoff_month``.
        index: A scenario's indexation (adds every year from its start to 2050).

    Returns:
        The years after 2020 at which a dated value or an index step starts.
    """
    years = set()
    for city in city_keys(tree):
        for s in (tree.yaml(f"cities/{city}.yaml").get("standards") or {}).values():
            for e in (s.get("dated") if isinstance(s, Mapping) else None) or []:
                if isinstance(e, Mapping) and isinstance(e.get("from"), dt.date):
                    years.add(in_force_year(e["from"], cutoff_month))
    if index is not None:
        years.update(range(index.start, LAST_YEAR + 1))
    return {y for y in years if y > 2020}


def standards_in_force(
    tree: ParamTree, year: int | None, cutoff_month: int, index: Indexation | None = None
) -> ParamTree:
    """The tree with every city's standards as they hold in ``year``.

    Args:
        tree: The params tree (after a scenario's changes).
        year: Calendar year (None: 2020).
        cutoff_month: ``in_force_cutoff_month``.
        index: A scenario's indexation.

    Returns:
        A tree whose city files hold the values in force (nothing on disk changes).

    Raises:
        ParamError: If the indexation names a standard no city has.
    """
    docs, digests = _in_force(tree, year, cutoff_month, index)
    if not docs:
        return tree
    # no ``by``: errors still name what changed the file (a scenario), else the file itself
    return tree.with_documents(docs, f"standards in force {year}", digests=digests)


@remembered
def _in_force(
    tree: ParamTree, year: int | None, cutoff_month: int, index: Indexation | None
) -> tuple[dict[str, dict], dict[str, str]]:
    """The city documents whose standards change in ``year``, and their digests.

    Path → the document with the values in force; path → its digest.

    Remembered by what the city files hold: the documents given again are never changed
    (a tree keeps them as replacements and hands out copies).
    """
    docs, known = {}, set()
    for city in city_keys(tree):
        rel = f"cities/{city}.yaml"
        d = tree.yaml(rel)
        stds = d.get("standards")
        if not isinstance(stds, Mapping):
            continue
        known.update(stds)
        changed = False
        for name, s in stds.items():
            if not isinstance(s, Mapping):
                continue
            f = index.factor(name, year) if index is not None else 1.0
            if "dated" in s or f != 1.0:
                stds[name] = standard_in_force(s, year, cutoff_month, f)
                changed = True
        if changed:
            docs[rel] = d
    if index is not None and index.standards is not None:
        unknown = [n for n in index.standards if n not in known]
        if unknown:
            raise ParamError(
                f"index_standards.standards: no city has a standard {unknown[0]!r}"
                f"{did_you_mean(unknown[0], known)}"
            )
    return docs, {rel: document_digest(d) for rel, d in docs.items()}

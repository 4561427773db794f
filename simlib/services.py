"""Apply a city's service list to people: the vectorised engine, explanations, catalogue.

* :func:`evaluate` -- the engine: for each item in force, the eligibility mask and the
  per-person cash, in-kind units and placement, as numpy arrays (no loop over people).
  The model aggregates these item by item without ever building a person × item matrix.
* :func:`apply_services` -- the same as a tidy DataFrame (person × item), for users.
* :func:`explain` -- one person, every item, every condition that passed or failed, the
  amounts and the source. It runs the same rule objects on a one-row table.
* :func:`catalogue` -- all items of all cities in one table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from simlib import people as people_mod
from simlib.params import (
    CITIES,
    PARAMS_DIR,
    City,
    Item,
    ParamError,
    load_city,
    read_quantity,
    read_yaml,
)
from simlib.rules import PersonTable
from simlib.units import ONE_OFF, per_year_factor


@cache
def in_force_cutoff_month() -> int:
    """Month of year by whose 1st an item must be effective to count for that year."""
    q = read_quantity(
        read_yaml(PARAMS_DIR / "conventions.yaml")["in_force_cutoff_month"],
        "params/conventions.yaml: in_force_cutoff_month",
        lo=1,
        hi=12,
        kinds=(int,),
    )
    return int(q.value)


def in_force(item: Item, year: int) -> bool:
    """Whether ``item`` counts for simulated calendar year ``year``.

    Args:
        item: A service item.
        year: Calendar year.

    Returns:
        True if the item's effective date is on or before the cut-off day of ``year``
        (``params/conventions.yaml``: in force for at least half the year).
    """
    return item.effective <= dt.date(year, in_force_cutoff_month(), 1)


@dataclass
class ItemResult:
    """One item evaluated on a person table (arrays have one value per person).

    Attributes:
        item: The item.
        eligible: Eligibility mask.
        yuan_per_year: Recurring cash, yuan per year (0 where not eligible).
        yuan_once: One-off cash, yuan (0 where not eligible).
        units: Recurring in-kind units per year, by unit name.
        units_once: One-off in-kind units (e.g. a home adaptation), by unit name.
        placement: Mask of persons who get the item's placement (a bed).
    """

    item: Item
    eligible: np.ndarray
    yuan_per_year: np.ndarray
    yuan_once: np.ndarray
    units: dict[str, np.ndarray]
    units_once: dict[str, np.ndarray]
    placement: np.ndarray


def _as_table(cols: Mapping[str, np.ndarray]) -> PersonTable:
    return cols if isinstance(cols, PersonTable) else PersonTable(cols)


@dataclass(frozen=True)
class CompositeItem:
    """Several cities' items of one family merged: widest eligibility, most generous amount.

    Used by the ``harmonised`` scenario. A person is eligible if any part's rule admits them
    and receives, per benefit component, the largest amount any part would pay them (each
    part with its own city's standards).

    Attributes:
        base: The city's own item the composite replaces (its id, names and metadata are
            reported), or the first part when the city has none.
        parts: ``(item, standards)`` of every city's item of the family.
    """

    base: Item
    parts: tuple[tuple[Item, Mapping], ...]

    def __getattr__(self, name):
        return getattr(self.base, name)


def evaluate_item(item: Item, table: PersonTable, standards: Mapping) -> ItemResult:
    """Evaluate one item on a person table with the given city standards.

    Args:
        item: The item (or a :class:`CompositeItem`).
        table: Person table.
        standards: The standards its multiples refer to.

    Returns:
        The :class:`ItemResult`.
    """
    if isinstance(item, CompositeItem):
        return _evaluate_composite(item, table)
    n = len(table["age"])
    zeros = np.broadcast_to(np.float64(0.0), (n,))  # a read-only zero view: no allocation
    elig = item.eligibility.mask(table)
    b = item.benefit
    yuan_year, yuan_once = zeros, zeros
    for rule in b.cash:
        on = elig & rule.when.mask(table)
        if rule.yuan is not None:
            amount = rule.yuan
        else:
            std = standards[rule.of].yuan_per(rule.per)
            if isinstance(std, dict):
                std = np.where(table["urban"], std["urban"], std["rural"])
            amount = rule.multiple * std
        if rule.per == ONE_OFF:
            yuan_once = yuan_once + np.where(on, amount, 0.0)
        else:
            yuan_year = yuan_year + np.where(on, amount * per_year_factor(rule.per), 0.0)
    units: dict[str, np.ndarray] = {}
    units_once: dict[str, np.ndarray] = {}
    for rule in b.in_kind:
        on = elig & rule.when.mask(table)
        if rule.per == ONE_OFF:
            units_once[rule.unit] = units_once.get(rule.unit, zeros) + np.where(on, rule.n, 0.0)
        else:
            n_year = rule.n * per_year_factor(rule.per)
            units[rule.unit] = units.get(rule.unit, zeros) + np.where(on, n_year, 0.0)
    if b.placement is None:
        placement = np.broadcast_to(np.False_, (n,))
    elif b.placement_when is None:
        placement = elig
    else:
        placement = elig & b.placement_when.mask(table)
    return ItemResult(item, elig, yuan_year, yuan_once, units, units_once, placement)


def _evaluate_composite(item: CompositeItem, table: PersonTable) -> ItemResult:
    results = [evaluate_item(part, table, std) for part, std in item.parts]
    eligible = np.logical_or.reduce([r.eligible for r in results])
    yuan_year = np.maximum.reduce([r.yuan_per_year for r in results])
    yuan_once = np.maximum.reduce([r.yuan_once for r in results])
    placement = np.logical_or.reduce([r.placement for r in results])

    def merge(attr: str) -> dict[str, np.ndarray]:
        names = {u for r in results for u in getattr(r, attr)}
        zeros = np.zeros(len(eligible))
        return {
            u: np.maximum.reduce([getattr(r, attr).get(u, zeros) for r in results]) for u in names
        }

    return ItemResult(
        item, eligible, yuan_year, yuan_once, merge("units"), merge("units_once"), placement
    )


def evaluate(city: City, cols: Mapping[str, np.ndarray], year: int) -> Iterator[ItemResult]:
    """Evaluate every item of ``city``'s list that is in force in ``year``.

    Args:
        city: A loaded city.
        cols: Person table (column → array, the schema of :mod:`simlib.people`).
        year: Calendar year (selects the items in force).

    Yields:
        One :class:`ItemResult` per item in force, in list order.
    """
    table = _as_table(cols)
    standards = city.context.standards
    for item in city.items:
        if in_force(item, year):
            yield evaluate_item(item, table, standards)


def _resolve_city(city: City | str) -> City:
    return load_city(city) if isinstance(city, str) else city


def _person_table(people: pd.DataFrame | Mapping[str, np.ndarray]) -> tuple[dict, np.ndarray]:
    if isinstance(people, pd.DataFrame):
        cols = people_mod.from_frame(people)
        ids = people["person_id"].to_numpy() if "person_id" in people else np.arange(len(people))
    else:
        cols = dict(people)
        ids = cols.pop("person_id", np.arange(len(cols["age"])))
    return cols, ids


def apply_services(
    city: City | str, people: pd.DataFrame | Mapping[str, np.ndarray], year: int
) -> pd.DataFrame:
    """Apply a city's service list to a table of people.

    Args:
        city: A loaded :class:`~simlib.params.City` or a city key (``"datong"``).
        people: One row per person: a DataFrame with labels (``assistance="dibao"``) or a
            dict of coded arrays (:mod:`simlib.people`). Missing attributes take defaults.
        year: Calendar year; items not yet in force give nothing.

    Returns:
        Tidy DataFrame, one row per person × item in force, with columns ``person_id``,
        ``item_id``, ``name_en``, ``eligible``, ``yuan_per_year`` (recurring cash),
        ``yuan_once`` (one-off cash), ``placement``, ``n_<unit>`` (recurring in-kind units
        per year) and ``n_<unit>_once`` (one-off units) for every unit the list uses.
    """
    city = _resolve_city(city)
    cols, ids = _person_table(people)
    results = list(evaluate(city, cols, year))
    n = len(ids)
    units = sorted(_list_units(city, once=False))
    units_once = sorted(_list_units(city, once=True))
    columns = [*_BASE_COLUMNS, *(f"n_{u}" for u in units), *(f"n_{u}_once" for u in units_once)]
    frames = []
    for r in results:
        frame = {
            "person_id": ids,
            "item_id": np.repeat(r.item.id, n),
            "name_en": np.repeat(r.item.name_en, n),
            "eligible": r.eligible,
            "yuan_per_year": r.yuan_per_year,
            "yuan_once": r.yuan_once,
            "placement": r.placement,
        }
        for u in units:
            frame[f"n_{u}"] = r.units.get(u, np.zeros(n))
        for u in units_once:
            frame[f"n_{u}_once"] = r.units_once.get(u, np.zeros(n))
        frames.append(pd.DataFrame(frame))
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)


def unit_column(city: City | str, unit: str) -> str:
    """The :func:`apply_services` column holding ``unit`` for this city's list.

    Recurring units are ``n_<unit>``; units the list gives once (``per: once``, e.g. a home
    adaptation) are ``n_<unit>_once``.

    Args:
        city: A loaded city or a city key.
        unit: In-kind unit name (``params/vocabulary/units.yaml``).

    Returns:
        The column name.
    """
    key = city if isinstance(city, str) else city.key
    return f"n_{unit}_once" if unit in _one_off_units(key) else f"n_{unit}"


@cache
def _one_off_units(key: str) -> frozenset[str]:
    return frozenset(_list_units(load_city(key), once=True))


_BASE_COLUMNS = (
    "person_id",
    "item_id",
    "name_en",
    "eligible",
    "yuan_per_year",
    "yuan_once",
    "placement",
)


def _list_units(city: City, once: bool) -> set[str]:
    return {r.unit for it in city.items for r in it.benefit.in_kind if (r.per == ONE_OFF) == once}


def explain(city: City | str, person: Mapping | pd.Series, year: int) -> pd.DataFrame:
    """Explain, item by item, what one person gets from a city's list and why.

    Args:
        city: A loaded city or a city key.
        person: The person's attributes (labels for categories); missing ones default.
        year: Calendar year.

    Returns:
        One row per item of the list (including items not in force), with ``item_id``,
        ``name_zh``, ``name_en``, ``in_force``, ``eligible``, ``conditions`` (one line per
        condition, ``✓``/``✗`` and indentation showing the tree), ``yuan_per_year``,
        ``yuan_once``, ``units`` (per year), ``placement``, ``quantified`` and ``source``.
    """
    city = _resolve_city(city)
    cols = PersonTable(people_mod.from_record(dict(person)))  # masks shared with the traces
    results = {r.item.id: r for r in evaluate(city, cols, year)}
    out = []
    for item in city.items:
        r = results.get(item.id)
        trace = item.eligibility.trace(cols)
        lines = "\n".join(f"{'  ' * d}{'✓' if ok else '✗'} {text}" for d, text, ok in trace)
        units = {u: float(v[0]) for u, v in r.units.items() if v[0]} if r else {}
        if r:
            units |= {f"{u} (once)": float(v[0]) for u, v in r.units_once.items() if v[0]}
        out.append(
            {
                "item_id": item.id,
                "name_zh": item.name_zh,
                "name_en": item.name_en,
                "in_force": r is not None,
                "eligible": bool(r.eligible[0]) if r else False,
                "conditions": lines,
                "yuan_per_year": float(r.yuan_per_year[0]) if r else 0.0,
                "yuan_once": float(r.yuan_once[0]) if r else 0.0,
                "units": units,
                "placement": item.benefit.placement if r is not None and r.placement[0] else None,
                "quantified": item.benefit.quantified,
                "source": item.source,
            }
        )
    return pd.DataFrame(out)


def _benefit_summary(item: Item) -> str:
    parts = []
    for c in item.benefit.cash:
        amount = f"{c.yuan:g} yuan" if c.yuan is not None else f"{c.multiple:g}× {c.of}"
        parts.append(f"{amount}/{c.per}")
    parts += [f"{k.n:g} {k.unit}/{k.per}" for k in item.benefit.in_kind]
    if item.benefit.placement:
        parts.append(item.benefit.placement)
    if not item.benefit.quantified:
        parts.append("not quantified")
    return "; ".join(parts)


def catalogue(cities: tuple[str, ...] | list[str] = CITIES) -> pd.DataFrame:
    """All items of the given cities' lists in one tidy table.

    Args:
        cities: City keys (all five by default).

    Returns:
        One row per item with city, ``item_id``, number, names (zh/en), target group,
        service type (zh/en), lead departments, spending responsibility, effective date,
        benefit kind flags, a short benefit summary, assumption flag and source.
    """
    rows = []
    for key in cities:
        city = load_city(key)
        for it in city.items:
            b = it.benefit
            rows.append(
                {
                    "city": key,
                    "city_zh": city.context.name_zh,
                    "item_id": it.id,
                    "number": it.number,
                    "name_zh": it.name_zh,
                    "name_en": it.name_en,
                    "target_group_zh": it.target_group_zh,
                    "service_type_zh": it.service_type_zh,
                    "service_type_en": it.service_type_en,
                    "lead_department_zh": "、".join(it.lead_department_zh),
                    "spending_zh": it.spending_zh,
                    "effective": it.effective,
                    "cash": bool(b.cash),
                    "in_kind": bool(b.in_kind),
                    "placement": b.placement is not None,
                    "quantified": b.quantified,
                    "pension": it.pension,
                    "family": it.family,
                    "benefit": _benefit_summary(it),
                    "assumption": any(r.provenance.assumption for r in (*b.cash, *b.in_kind)),
                    "source": it.source,
                }
            )
    return pd.DataFrame(rows)


__all__ = [
    "ItemResult",
    "ParamError",
    "apply_services",
    "catalogue",
    "evaluate",
    "explain",
    "in_force",
]

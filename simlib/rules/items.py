"""Service items and lists: eligibility plus benefit, evaluated on a person table.

:class:`Item` is one row of a city's 基本养老服务清单. :meth:`Item.evaluate` gives, for every
person of a table at once, whether they are eligible and what each benefit component gives
them (:class:`ItemResult`). :class:`CompositeItem` is the item a harmonised list makes of
several cities' items of one family: eligible if any part admits the person, and for each
benefit the most generous amount any part would give (each part with its own city's
standards). :class:`ServiceList` is a city's whole list, with the convention that decides
which items count in a simulated year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simlib.rules.benefits import PAID_FIRST, Amount, Benefit, Component
from simlib.rules.conditions import AnyOf, Condition, PersonTable
from simlib.rules.funding import CITY_ALONE, Funding


@dataclass
class ItemResult:
    """One item evaluated on a person table (arrays have one value per person).

    Attributes:
        item: The item.
        eligible: Eligibility mask.
        parts: Each benefit component with what it gives each person.
    """

    item: Item
    eligible: np.ndarray
    parts: list[tuple[Component, Amount]]

    def columns(self) -> dict[str, np.ndarray]:
        """What each person receives, by :func:`~simlib.policy.engine.apply_services` column.

        Each component adds its :meth:`~simlib.rules.benefits.Component.column_value` to its
        :meth:`~simlib.rules.benefits.Component.column` (flags are or-ed).
        """
        out: dict[str, np.ndarray] = {}
        for c, a in self.parts:
            col, v = c.column(), c.column_value(a)
            if col not in out:
                out[col] = v
            elif v.dtype == bool:
                out[col] = out[col] | v
            else:
                out[col] = out[col] + v
        return out

    def explain_row(self, i: int = 0) -> dict:
        """What person ``i`` receives, as the explain fields of every kind of the parts."""
        row: dict = {}
        for c, _ in self.parts:
            for k, v in type(c).explain_fields.items():
                row.setdefault(k, v)
        for c, a in self.parts:
            c.explain_add(row, float(a.values[i]))
        return row


@dataclass(frozen=True)
class Item:
    """One item of a city's basic elderly care service list."""

    id: str
    city: str
    number: int
    name_zh: str
    name_en: str
    target_group_zh: str
    standard_zh: str
    service_type_zh: str
    service_type_en: str
    lead_department_zh: tuple[str, ...]
    spending_zh: str | None
    effective: dt.date
    eligibility: Condition
    benefit: Benefit
    source: str
    pension: bool = False
    content_zh: str | None = None
    note: str | None = None
    family: str | None = None
    #: Who pays its cost (:mod:`simlib.rules.funding`): its own ``funding:`` or the city's
    #: default.
    funding: Funding = CITY_ALONE
    #: Last day in force (None: open-ended); programmes end, list items do not.
    until: dt.date | None = None
    #: The programme (``params/programmes/<name>.yaml``) the item belongs to; None for an
    #: item of the city's own list.
    programme: str | None = None

    @property
    def parts(self) -> tuple[Item, ...]:
        """The items whose rules this item applies (itself, or a composite's parts)."""
        return (self,)

    def evaluate(self, table: Mapping[str, np.ndarray]) -> ItemResult:
        """Eligibility and every benefit component on a person table.

        Args:
            table: Person columns (a :class:`~simlib.rules.conditions.PersonTable` shares
                condition masks between items).

        Returns:
            The :class:`ItemResult`.
        """
        elig = self.eligibility.mask(table)
        parts = []
        for c in self.benefit.components:
            on = elig if _always(c.when) else elig & c.when.mask(table)
            parts.append((c, c.amount(on, table)))
        return ItemResult(self, elig, parts)


def _always(cond: Condition) -> bool:
    return type(cond).__name__ == "Always"


@dataclass(frozen=True)
class PartOf(Condition):
    """A composite's part: the part item's eligibility, labelled with the item it comes from."""

    label: str
    part: Condition

    def _mask(self, cols):
        return self.part.mask(cols)

    def describe(self) -> str:
        """Describe."""
        return f"[{self.label}]"

    def trace(self, cols, depth: int = 0):
        """Trace the label and the part's conditions."""
        return [(depth, self.describe(), bool(self.mask(cols)[0]))] + self.part.trace(
            cols, depth + 1
        )


@dataclass(frozen=True)
class CompositeItem(Item):
    """Several cities' items of one family merged: widest eligibility, most generous amounts.

    Build with :meth:`of`. Its eligibility is "any part admits the person" (each part shown by
    its item id in explanations); each benefit (same kind, unit and period) gives the largest
    amount any part would give, each part with its own city's standards. It is funded as the
    city's own item (``base``) is.
    """

    members: tuple[Item, ...] = field(default=())

    @classmethod
    def of(cls, base: Item, members: tuple[Item, ...], city: str) -> CompositeItem:
        """The composite replacing ``base`` (the city's own item, or a stand-in) in ``city``'s list.

        Args:
            base: Item whose id, number and names the composite reports.
            members: Every city's item of the family.
            city: The list the composite belongs to.
        """
        elig = AnyOf(tuple(PartOf(f"{m.id} {m.name_zh}", m.eligibility) for m in members))
        components = tuple(c for m in members for c in m.benefit.components)
        return cls(
            id=base.id,
            city=city,
            number=base.number,
            name_zh=base.name_zh,
            name_en=base.name_en,
            target_group_zh="; ".join(dict.fromkeys(m.target_group_zh for m in members)),
            standard_zh="most generous of: " + "; ".join(m.id for m in members),
            service_type_zh=base.service_type_zh,
            service_type_en=base.service_type_en,
            lead_department_zh=base.lead_department_zh,
            spending_zh=base.spending_zh,
            effective=base.effective,
            eligibility=elig,
            benefit=Benefit(components, True, None, base.benefit.household),
            source="harmonised: " + "; ".join(m.source for m in members),
            pension=base.pension,
            content_zh=None,
            note=f"Harmonised family {base.family}: the most generous of the parts.",
            family=base.family,
            funding=base.funding,
            members=tuple(members),
        )

    @property
    def parts(self) -> tuple[Item, ...]:
        """The member items."""
        return self.members

    def evaluate(self, table: Mapping[str, np.ndarray]) -> ItemResult:
        """Any part's eligibility; per benefit key the per-person maximum over the parts."""
        results = [m.evaluate(table) for m in self.members]
        eligible = np.logical_or.reduce([r.eligible for r in results])
        return ItemResult(self, eligible, _most_generous(results))


def _most_generous(results: list[ItemResult]) -> list[tuple[Component, Amount]]:
    """Per part, add the components of one key (two cash bands); then the maximum over parts."""
    best: dict[tuple, tuple[Component, Amount]] = {}
    for r in results:
        per_part: dict[tuple, tuple[Component, Amount]] = {}
        for c, a in r.parts:
            key = c.merge_key()
            if key in per_part:
                c0, a0 = per_part[key]
                per_part[key] = (c0, Amount(a0.values + a.values, a0.once))
            else:
                per_part[key] = (c, a)
        for key, (c, a) in per_part.items():
            if key in best:
                c0, a0 = best[key]
                best[key] = (c0, Amount(np.maximum(a0.values, a.values), a0.once))
            else:
                best[key] = (c, a)
    return list(best.values())


@dataclass(frozen=True)
class ServiceList:
    """A city's whole list, in annex order (read-only once loaded: every run shares it).

    Attributes:
        city: City key of the list.
        document: The document's metadata (file, title, number, effective date).
        items: The items.
        cutoff_month: An item counts for year Y if effective by the 1st of this month of Y
            (``params/conventions.yaml``).
    """

    city: str
    document: dict[str, Any]
    items: list[Item]
    cutoff_month: int = 7

    def __len__(self) -> int:
        return len(self.items)

    def in_force(self, item: Item, year: int) -> bool:
        """Whether ``item`` counts for calendar year ``year`` (in force on the cut-off day)."""
        day = dt.date(year, self.cutoff_month, 1)
        return item.effective <= day and (item.until is None or day <= item.until)

    @property
    def own_items(self) -> list[Item]:
        """The items of the city's own list (without the programmes merged into it)."""
        return [it for it in self.items if it.programme is None]

    def first_year(self) -> int:
        """The first calendar year in which any item of the city's own list counts."""
        first = min(it.effective for it in self.own_items or self.items)
        return first.year if first <= dt.date(first.year, self.cutoff_month, 1) else first.year + 1

    def evaluate(self, table: Mapping[str, np.ndarray], year: int):
        """Evaluate every item in force in ``year`` on a person table.

        Payment order is a stated rule, not the items' order: the items whose benefits
        :attr:`~simlib.rules.benefits.Component.pays_first` (long-term care insurance) are
        evaluated first, and what they pay each person (yuan a year) is put in the table's
        :data:`~simlib.rules.benefits.PAID_FIRST` column, which the components that settle
        after them (the care voucher: a share of what is left of the bill) read.

        Yields:
            One :class:`ItemResult` per item in force, in list order.
        """
        table = table if isinstance(table, PersonTable) else PersonTable(table)
        items = [it for it in self.items if self.in_force(it, year)]
        first = {
            id(it): it.evaluate(table)
            for it in items
            if any(c.pays_first for c in it.benefit.components)
        }
        paid = np.zeros(len(table["age"]))
        for r in first.values():
            for c, a in r.parts:
                if c.pays_first and not a.once:
                    paid = paid + a.values
        table[PAID_FIRST] = paid
        for item in items:
            yield first[id(item)] if id(item) in first else item.evaluate(table)

"""Default funding splits (``params/funding.yaml``): who pays for an item that states no split.

An item's own ``funding:`` block holds (:mod:`simlib.rules.funding`); an item without one
takes the default of its family (the city's entry, else the file's ``all:`` entry), else
its city's ``default``, else ``all:``'s ``default`` (a city added later). Every default is
marked as such on the item (``Funding.default``) and each of its shares carries a source or
an assumption::

    cities:
      datong:
        default: {city: 1.0, assumption: true, range: [0, 1], rationale: "…"}
        families:
          tekun_dispersed: {central: …, provincial: …, city: …, note: "…"}
    all:
      default: {city: 1.0, assumption: true, range: [0, 1], rationale: "…"}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from simlib.core.checks import keys
from simlib.core.errors import ParamError, did_you_mean
from simlib.params.tree import ParamTree
from simlib.rules.funding import CITY_ALONE, Funding, parse_funding
from simlib.rules.items import Item

#: The file of default splits (optional: without it every item without a split is paid by
#: its city, flagged, :data:`~simlib.rules.funding.CITY_ALONE`).
REL = "funding.yaml"


@dataclasses.dataclass(frozen=True)
class FundingDefaults:
    """One city's default splits.

    Attributes:
        default: For an item of no family listed (the city's, else ``all:``'s).
        families: Family → split (``all:``'s, updated by the city's own).
    """

    default: Funding = CITY_ALONE
    families: Mapping[str, Funding] = dataclasses.field(default_factory=dict)

    def of(self, item: Item) -> Funding:
        """The split of an item without its own: its family's, else the default."""
        return self.families.get(item.family, self.default)

    def apply(self, item: Item, own: bool) -> Item:
        """``item`` with its default split unless it has its own (``own``)."""
        return item if own else dataclasses.replace(item, funding=self.of(item))


def load_funding_defaults(tree: ParamTree, city: str, families) -> FundingDefaults:
    """The default splits of ``city`` from ``params/funding.yaml``.

    Args:
        tree: The params tree.
        city: City key.
        families: Item families allowed (``vocabulary/families.yaml``).

    Raises:
        ParamError: Naming the file, city and key, on unknown keys, cities or families and on
            any invalid split (:func:`~simlib.rules.funding.parse_funding`).
    """
    if REL not in tree:
        return FundingDefaults()
    where = tree.where(REL)
    d = keys(tree.yaml(REL), where, {"description", "cities"}, {"all", "note"})
    cities = d["cities"] or {}
    if not isinstance(cities, Mapping):
        raise ParamError(f"{where}.cities: expected a mapping of city: defaults")
    from simlib.params.tree import city_keys

    known = city_keys(tree)
    for c in cities:
        if c not in known:
            raise ParamError(
                f"{where}.cities: unknown city {c!r}{did_you_mean(str(c), known)}; "
                f"cities: {', '.join(known)}"
            )
    common = _city(d["all"], f"{where}.all", families) if "all" in d else FundingDefaults()
    if city not in cities:
        return common
    own = _city(cities[city], f"{where}.cities.{city}", families, need_default=False)
    return FundingDefaults(
        own.default if own.default is not CITY_ALONE else common.default,
        {**common.families, **own.families},
    )


def _city(raw, where: str, families, need_default: bool = True) -> FundingDefaults:
    e = keys(raw, where, {"default"} if need_default else set(), {"default", "families", "note"})
    default = (
        parse_funding(e["default"], f"{where}.default", default=True)
        if "default" in e
        else CITY_ALONE
    )
    fams = e.get("families") or {}
    if not isinstance(fams, Mapping):
        raise ParamError(f"{where}.families: expected a mapping of family: split")
    out = {}
    for f, spec in fams.items():
        if f not in families:
            raise ParamError(
                f"{where}.families: unknown family {f!r}{did_you_mean(str(f), families)}; "
                "families: params/vocabulary/families.yaml"
            )
        out[f] = parse_funding(spec, f"{where}.families.{f}", default=True)
    return FundingDefaults(default, out)

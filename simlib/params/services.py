"""Service lists (``params/services/<city>.yaml``): every annex item as rules.

A city's loaded list also holds the items of the programmes that reach it
(``params/programmes/``, :mod:`simlib.params.programmes`), after its own.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping

from simlib.core.checks import keys, read_quantity, text, typed
from simlib.core.errors import ParamError, did_you_mean
from simlib.core.people import SCHEMA, Schema
from simlib.params.cities import CityContext, resolve_definitions
from simlib.params.funding import load_funding_defaults
from simlib.params.kinds import load_kinds
from simlib.params.programmes import load_care_bill, programme_items
from simlib.params.tree import ParamTree, remembered
from simlib.params.vocabulary import Conventions, Vocabulary
from simlib.rules.benefits import ParseContext, kinds, parse_benefit
from simlib.rules.conditions import Condition, RuleError, compile_condition
from simlib.rules.funding import CITY_ALONE, parse_funding
from simlib.rules.items import Item, ServiceList

ITEM_REQUIRED = frozenset(
    {
        "id",
        "number",
        "name_zh",
        "name_en",
        "target_group_zh",
        "standard_zh",
        "service_type_zh",
        "lead_department_zh",
        "eligibility",
        "benefit",
        "source",
    }
)
ITEM_OPTIONAL = frozenset(
    {"content_zh", "spending_zh", "effective", "pension", "note", "family", "funding"}
)


def _compiler(refs, schema: Schema):
    def compile_(spec, where: str) -> Condition:
        try:
            return compile_condition(spec, where, refs, schema)
        except RuleError as err:
            raise ParamError(str(err)) from None

    return compile_


def read_item(
    raw: Mapping,
    where: str,
    city: str,
    doc_file: str,
    default_effective: dt.date,
    pctx: ParseContext,
    vocab: Vocabulary,
) -> Item:
    """Validate one item mapping into an :class:`~simlib.rules.items.Item`.

    An item without a ``funding:`` block gets :data:`~simlib.rules.funding.CITY_ALONE`
    here; :func:`load_services` gives it its city's default (``params/funding.yaml``).

    Raises:
        ParamError: Naming ``where`` (file and item id) and the key.
    """
    raw = keys(raw, where, set(ITEM_REQUIRED), set(ITEM_OPTIONAL))
    number = typed(raw["number"], int, f"{where}.number")
    if raw["id"] != f"{city}.{number}":
        raise ParamError(f"{where}.id: expected {city}.{number}, got {raw['id']!r}")
    stype = raw["service_type_zh"]
    if stype not in vocab.service_types:
        raise ParamError(
            f"{where}.service_type_zh: {stype!r}{did_you_mean(stype, vocab.service_types)}; "
            f"allowed: {', '.join(vocab.service_types)}"
        )
    source = text(raw, "source", where)
    if doc_file not in source:
        raise ParamError(f"{where}.source: must cite the document file {doc_file}")
    depts = raw["lead_department_zh"]
    if not isinstance(depts, list) or not depts or not all(isinstance(x, str) for x in depts):
        raise ParamError(f"{where}.lead_department_zh: expected a list of department names")
    family = raw.get("family")
    if family is not None and family not in vocab.families:
        raise ParamError(
            f"{where}.family: {family!r}{did_you_mean(family, vocab.families)}; "
            f"allowed: {', '.join(vocab.families)}"
        )
    effective = typed(raw.get("effective", default_effective), dt.date, f"{where}.effective")
    return Item(
        id=raw["id"],
        city=city,
        number=number,
        name_zh=text(raw, "name_zh", where),
        name_en=text(raw, "name_en", where),
        target_group_zh=text(raw, "target_group_zh", where),
        standard_zh=text(raw, "standard_zh", where),
        service_type_zh=stype,
        service_type_en=vocab.service_types[stype],
        lead_department_zh=tuple(depts),
        spending_zh=text(raw, "spending_zh", where, required=False),
        effective=effective,
        eligibility=pctx.compile(raw["eligibility"], f"{where}.eligibility"),
        benefit=parse_benefit(raw["benefit"], f"{where}.benefit", pctx),
        source=source,
        pension=typed(raw.get("pension", False), bool, f"{where}.pension"),
        content_zh=text(raw, "content_zh", where, required=False),
        note=text(raw, "note", where, required=False),
        family=family,
        funding=(
            parse_funding(raw["funding"], f"{where}.funding") if "funding" in raw else CITY_ALONE
        ),
    )


@remembered
def load_services(
    tree: ParamTree,
    city: str,
    ctx: CityContext,
    vocab: Vocabulary,
    conventions: Conventions,
    definition_variants: Mapping[str, str] | None = None,
    schema: Schema = SCHEMA,
) -> ServiceList:
    """Load and compile ``params/services/<city>.yaml``.

    Args:
        tree: The params tree.
        city: City key.
        ctx: The city's context: standards and definitions.
        vocab: Vocabularies.
        conventions: Model conventions (the in-force cut-off).
        definition_variants: Which variant of a named definition the rules use, e.g.
            ``{"economic_hardship": "broad"}``.
        schema: Person attributes conditions may name.

    Returns:
        The validated, compiled list.
    """
    load_kinds(tree)  # the tree's own benefit kinds, before its lists are parsed
    rel = f"services/{city}.yaml"
    where = tree.where(rel)
    d = keys(tree.yaml(rel), where, {"city", "document", "items"}, {"note"})
    if d["city"] != city:
        raise ParamError(f"{where}.city: {d['city']!r} does not match file name {city!r}")
    doc = keys(
        d["document"],
        f"{where}.document",
        {"file", "title_zh", "number_zh", "effective"},
        {"issued", "note"},
    )
    doc_file = text(doc, "file", f"{where}.document")
    eff = read_quantity(doc["effective"], f"{where}.document.effective", dates=True)
    refs = resolve_definitions(ctx.definitions, definition_variants, where, schema)
    pctx = ParseContext(
        compile=_compiler(refs, schema),
        standards=ctx.standards,
        units=tuple(vocab.units),
        placements=tuple(vocab.placements),
        care_bill=load_care_bill(tree),
    )
    if not isinstance(d["items"], list) or not d["items"]:
        raise ParamError(f"{where}.items: expected a non-empty list")
    items, ids = [], set()
    defaults = load_funding_defaults(tree, city, vocab.families)
    for i, raw in enumerate(d["items"]):
        label = raw.get("id", f"items[{i}]") if isinstance(raw, Mapping) else f"items[{i}]"
        w = f"{where}: {label}"
        item = read_item(raw, w, city, doc_file, eff.value, pctx, vocab)
        item = defaults.apply(item, own="funding" in raw)
        if item.id in ids:
            raise ParamError(f"{w}.id: duplicate item id")
        ids.add(item.id)
        items.append(item)
    # the national and provincial programmes that reach the city, beside its own items
    items += programme_items(tree, city, ctx.province, read_item, pctx, vocab)
    probe = functools.cache(lambda: _probe_people(schema))
    for kind in kinds():
        kind.check_list(items, where, probe)
    return ServiceList(city, {**doc, "effective": eff}, items, conventions.in_force_cutoff_month)


def _probe_people(schema: Schema):
    """Synthetic persons: every age 45-110 crossed with random values of every attribute."""
    import numpy as np

    from simlib.core import people
    from simlib.rules.conditions import PersonTable

    rng = np.random.default_rng(20240101)
    ages = np.repeat(np.arange(45, 111), 300)
    cols = people.empty(ages.size, schema)
    for name, attr in schema.items():
        if attr.kind == "category":
            cols[name][:] = rng.integers(0, len(attr.labels), ages.size)
        elif attr.kind == "bool":
            cols[name][:] = rng.random(ages.size) < 0.5
        else:
            cols[name][:] = rng.integers(attr.lo, attr.hi + 1, ages.size)
    cols["age"][:] = ages
    return PersonTable(cols)

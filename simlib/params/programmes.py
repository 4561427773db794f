"""Programmes beside the city lists, and the care purchase model they pay into.

A *programme* (``params/programmes/<name>.yaml``) is a national, provincial or city
programme that reaches the lists' people without being in a list: the 2026 care voucher
(养老服务消费补贴), long-term care insurance (长期护理保险). Its file holds its document
(``params/sources/documents/``), the dates it is in force, where it applies and who funds
it, and its items in the rules grammar of ``params/services/`` (``docs/params_format.md``)::

    programme: voucher_2026              # = the file name
    name_zh: 养老服务消费补贴
    name_en: Care service consumption voucher
    level: national                      # national | provincial | city
    document: {file: sources/documents/programme_voucher_2026.txt, title_zh: …,
               issuer_zh: …, kind: news_report, flag: "…"}   # or kind: official_text
    in_force: {from: 2026-01-01, to: 2026-12-31}             # to: null = open-ended
    take_up: {value: 0.3, assumption: true, range: …, rationale: …}  # of its items' family
    applies: all                         # or {province: Shanxi} or {cities: [jincheng]}
    funding: {central: {value: 0.9, …}, …}  # who pays, as an item's funding: block
    items:
      - number: 1                        # id: programme.<name>.<number>
        …                                # as a list item

:func:`programme_items` gives a city the items of every programme that applies to it, with
ids ``programme.<name>.<number>``, ``effective`` = the programme's start (or the item's
own date), ``until`` = its end: :func:`simlib.params.services.load_services` appends them to
the city's list, so the ledger, trajectory replays, ``explain``, ``catalogue``, exports and
the assumption registry see them as items, and
:meth:`~simlib.rules.items.ServiceList.in_force` applies each in the years it is in force.
Their files are in the params hash, so an edited programme changes every run's identity.

The *purchase model* (``params/care_purchase.yaml``, :func:`load_care_bill`) says what a
person assessed 中度, 重度 or 完全失能 buys in care a month — hours of home care and days
of day care at home, a bed in an institution — the bill the voucher and the insurance pay a
share of (:class:`~simlib.rules.benefits.CareBill`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simlib.core.checks import ASSUMPTION_KEYS, Provenance, keys, number, provenance, text, typed
from simlib.core.errors import ParamError, did_you_mean
from simlib.params.tree import ParamTree, remembered
from simlib.rules.benefits import BILL_GRADES, CareBill
from simlib.rules.funding import Funding, parse_funding
from simlib.rules.items import Item

#: The folder of the programme files.
FOLDER = "programmes"
#: The purchase model's file.
CARE_PURCHASE = "care_purchase.yaml"
#: Levels of government a programme can come from.
LEVELS = ("national", "provincial", "city")
#: What a programme's document may be.
DOCUMENT_KINDS = ("official_text", "news_report")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Programme:
    """A programme's file, validated (its items are compiled per city).

    Attributes:
        name: File stem (``voucher_2026``).
        name_zh: Chinese name.
        name_en: English name.
        level: ``national``, ``provincial`` or ``city``.
        document: The document block (file, title, issuer, kind, flag …).
        start: First day in force.
        end: Last day in force (None: open-ended).
        cities: City keys it applies to (None: every city).
        province: The province it applies to (None: not limited to one).
        funding: Who pays its items' cost (:mod:`simlib.rules.funding`; an item's own
            ``funding:`` wins); None: the city's default.
        raw_items: The items as written.
        note: Free text.
        take_up: Share of the eligible enrolled in its items' families, with its
            provenance (None: ``outcomes.yaml`` decides).
    """

    name: str
    name_zh: str
    name_en: str
    level: str
    document: dict
    start: dt.date
    end: dt.date | None
    cities: tuple[str, ...] | None
    province: str | None
    funding: Funding | None
    raw_items: tuple
    note: str | None = None
    take_up: tuple[float, Provenance] | None = None

    def applies_to(self, city: str, province: str) -> bool:
        """Whether the programme reaches a city (key) of ``province``."""
        if self.cities is not None and city not in self.cities:
            return False
        return self.province is None or self.province == province

    @property
    def flagged(self) -> bool:
        """Whether the programme rests on news reports, not the document's own text."""
        return self.document.get("kind") == "news_report"


def programme_names(tree: ParamTree) -> tuple[str, ...]:
    """The programmes of a params tree (file stems of ``programmes/*.yaml``)."""
    added = [p for p in tree.overrides if p.startswith(f"{FOLDER}/") and p.endswith(".yaml")]
    paths = sorted({*tree.paths(FOLDER), *added})  # with those a scenario adds
    return tuple(p.rsplit("/", 1)[1].removesuffix(".yaml") for p in paths)


def _date(v: Any, where: str) -> dt.date:
    if not isinstance(v, dt.date) or isinstance(v, dt.datetime):
        raise ParamError(f"{where}: expected a date (YYYY-MM-DD), got {v!r}")
    return v


def read_programme(tree: ParamTree, name: str, cities: tuple[str, ...]) -> Programme:
    """Read and validate ``programmes/<name>.yaml`` (its items are checked per city).

    Raises:
        ParamError: Naming the file and key.
    """
    rel = f"{FOLDER}/{name}.yaml"
    where = tree.where(rel)
    d = keys(
        tree.yaml(rel),
        where,
        {"programme", "name_zh", "name_en", "level", "document", "in_force", "applies", "items"},
        {"funding", "take_up", "note"},
    )
    if d["programme"] != name or not _NAME.match(name):
        raise ParamError(
            f"{where}.programme: {d['programme']!r} must equal the file name {name!r} "
            "(lower case, digits and _)"
        )
    if d["level"] not in LEVELS:
        raise ParamError(
            f"{where}.level: {d['level']!r}{did_you_mean(d['level'], LEVELS)}; "
            f"allowed: {', '.join(LEVELS)}"
        )
    doc = keys(
        d["document"],
        f"{where}.document",
        {"file", "title_zh", "issuer_zh", "kind"},
        {"number_zh", "issued", "url", "flag", "note"},
    )
    if doc["kind"] not in DOCUMENT_KINDS:
        raise ParamError(
            f"{where}.document.kind: {doc['kind']!r}; allowed: {', '.join(DOCUMENT_KINDS)}"
        )
    if doc["kind"] == "news_report" and not doc.get("flag"):
        raise ParamError(
            f"{where}.document.flag: a programme read from news reports says so (what rests "
            "on them, what was not found)"
        )
    text(doc, "file", f"{where}.document")
    span = keys(d["in_force"], f"{where}.in_force", {"from"}, {"to", "note"})
    start = _date(span["from"], f"{where}.in_force.from")
    end = None if span.get("to") is None else _date(span["to"], f"{where}.in_force.to")
    if end is not None and end < start:
        raise ParamError(f"{where}.in_force.to: {end} is before from: {start}")
    applies = d["applies"]
    in_cities = province = None
    if applies != "all":
        a = keys(applies, f"{where}.applies", set(), {"province", "cities"})
        if not a:
            raise ParamError(f"{where}.applies: all, {{province: …}} or {{cities: […]}}")
        if "cities" in a:
            cs = a["cities"]
            if not isinstance(cs, list) or not cs or not all(isinstance(c, str) for c in cs):
                raise ParamError(f"{where}.applies.cities: expected a list of city keys")
            for c in cs:
                if c not in cities:
                    raise ParamError(
                        f"{where}.applies.cities: unknown city {c!r}{did_you_mean(c, cities)}"
                    )
            in_cities = tuple(cs)
        if "province" in a:
            province = typed(a["province"], str, f"{where}.applies.province")
    funding = parse_funding(d["funding"], f"{where}.funding") if "funding" in d else None
    take_up = None
    if "take_up" in d:
        e = keys(d["take_up"], f"{where}.take_up", {"value"}, {"source", "note"} | ASSUMPTION_KEYS)
        v = number(e["value"], f"{where}.take_up.value", lo=0, hi=1)
        take_up = (v, provenance(e, f"{where}.take_up", v))
        fams = {r.get("family") for r in d["items"] if isinstance(r, Mapping)}
        if None in fams:
            raise ParamError(
                f"{where}.take_up: every item needs a family (vocabulary/families.yaml) "
                "for the programme's take-up to apply to"
            )
    if not isinstance(d["items"], list) or not d["items"]:
        raise ParamError(f"{where}.items: expected a non-empty list")
    return Programme(
        name=name,
        name_zh=text(d, "name_zh", where),
        name_en=text(d, "name_en", where),
        level=d["level"],
        document=dict(doc),
        start=start,
        end=end,
        cities=in_cities,
        province=province,
        funding=funding,
        raw_items=tuple(d["items"]),
        note=d.get("note"),
        take_up=take_up,
    )


def load_programmes(tree: ParamTree) -> tuple[Programme, ...]:
    """Every programme of the tree, validated, in name order."""
    from simlib.params.tree import city_keys

    cities = city_keys(tree)
    return tuple(read_programme(tree, n, cities) for n in programme_names(tree))


@remembered
def programme_take_up(tree: ParamTree) -> dict[str, float]:
    """Take-up of each programme's item families (``take_up:`` of its file).

    :func:`simlib.params.load_inputs` adds them to the outcome parameters' take-up (a family
    ``outcomes.yaml`` names keeps that value), so a scenario's ``take_up:`` ramps them too.
    """
    out = {}
    for prog in load_programmes(tree):
        if prog.take_up is None:
            continue
        for raw in prog.raw_items:
            out[raw["family"]] = prog.take_up[0]
    return out


def programme_items(tree: ParamTree, city: str, province: str, read_item, pctx, vocab) -> list:
    """The items of every programme that applies to ``city``, ready to join its list.

    Args:
        tree: The params tree (after a scenario's changes).
        city: City key.
        province: The city's province (its ``province:``).
        read_item: :func:`simlib.params.services.read_item`.
        pctx: The city's parse context (its standards, definitions and the purchase model).
        vocab: Vocabularies.

    Returns:
        Items with ids ``programme.<name>.<number>``, ``programme`` set, ``effective`` the
        programme's start (unless the item has its own) and ``until`` its end.
    """
    out: list[Item] = []
    for prog in load_programmes(tree):
        if not prog.applies_to(city, province):
            continue
        label = f"programme.{prog.name}"
        rel = tree.where(f"{FOLDER}/{prog.name}.yaml")
        doc_file = prog.document["file"]
        raw_funding = tree.yaml(f"{FOLDER}/{prog.name}.yaml").get("funding")
        seen = set()
        for i, raw in enumerate(prog.raw_items):
            iid = raw.get("id", f"items[{i}]") if isinstance(raw, Mapping) else f"items[{i}]"
            w = f"{rel}: {iid}"
            if prog.funding is not None and isinstance(raw, Mapping) and "funding" not in raw:
                raw = {**raw, "funding": raw_funding}  # the programme's split
            item = read_item(raw, w, label, doc_file, prog.start, pctx, vocab)
            if item.id in seen:
                raise ParamError(f"{w}.id: duplicate item id")
            seen.add(item.id)
            if prog.end is not None and item.effective > prog.end:
                raise ParamError(f"{w}.effective: {item.effective} is after the programme ends")
            source = (
                f"{item.source} — programme {prog.name} {prog.name_zh}, "
                f"{prog.document['title_zh']}"
                + (" (rests on news reports: flagged)" if prog.flagged else "")
            )
            out.append(
                dataclasses.replace(
                    item, city=city, until=prog.end, programme=prog.name, source=source
                )
            )
    return out


def load_care_bill(tree: ParamTree) -> CareBill | None:
    """The purchase model (``params/care_purchase.yaml``), or None if the tree has none.

    The file gives, per grade (``moderate``, ``severe``, ``total``: 中度, 重度, 完全失能),
    ``home_care_hours`` and ``day_care_days`` a month and ``institution_yuan`` a month, and
    ``prices`` (``home_care_hour``, ``day_care_day``), each a quantity with its unit and a
    source or ``assumption: true`` with a range and rationale. The monthly bill at home is
    hours × hourly price + days × daily price; in an institution, the bed-month.

    Raises:
        ParamError: Naming the file and key.
    """
    if CARE_PURCHASE not in tree:
        return None
    where = tree.where(CARE_PURCHASE)
    d = keys(
        tree.yaml(CARE_PURCHASE),
        where,
        {"prices", "home_care_hours", "day_care_days", "institution_yuan"},
        {"description", "note"},
    )

    def quantity(e: Any, w: str, unit: str, hi: float) -> float:
        e = keys(e, w, {"value", "unit"}, {"source", "note"} | ASSUMPTION_KEYS)
        if e["unit"] != unit:
            raise ParamError(f"{w}.unit: expected {unit}, got {e['unit']!r}")
        v = number(e["value"], f"{w}.value", lo=0, hi=hi)
        provenance(e, w, v)
        return v

    prices = keys(d["prices"], f"{where}.prices", {"home_care_hour", "day_care_day"})
    hour = quantity(prices["home_care_hour"], f"{where}.prices.home_care_hour", "yuan/hour", 1e3)
    day = quantity(prices["day_care_day"], f"{where}.prices.day_care_day", "yuan/day", 1e4)
    home = [0.0] * 5
    inst = [0.0] * 5
    grades = set(BILL_GRADES)
    for block, unit, hi in (
        ("home_care_hours", "hours/month", 744),
        ("day_care_days", "days/month", 31),
        ("institution_yuan", "yuan/month", 1e5),
    ):
        g = keys(d[block], f"{where}.{block}", grades)
        for name, grade in BILL_GRADES.items():
            v = quantity(g[name], f"{where}.{block}.{name}", unit, hi)
            if block == "home_care_hours":
                home[grade] += v * hour
            elif block == "day_care_days":
                home[grade] += v * day
            else:
                inst[grade] = v
    return CareBill(tuple(home), tuple(inst), note=d.get("description") or "")


def funding_table(scenario: Any = "baseline", params_dir=None):
    """Who funds each programme: one row per programme and payer, with the share's provenance.

    Args:
        scenario: A scenario (name, path, dict): its programme changes and added programmes
            are applied (those without ``from:``).
        params_dir: A params directory (the bundled one by default).

    Returns:
        DataFrame: programme, payer, share, assumption, source (the source or rationale).
    """
    import pandas as pd

    from simlib.params.scenarios import apply_changes, read_scenario
    from simlib.params.tree import read_tree

    tree = read_tree(params_dir)
    applied = apply_changes(tree, read_scenario(scenario, tree), None).tree
    rows = [
        {
            "programme": p.name,
            "payer": sh.payer,
            "share": sh.value,
            "assumption": sh.provenance.assumption,
            "source": sh.provenance.source or sh.provenance.rationale or p.funding.source,
        }
        for p in load_programmes(applied)
        if p.funding is not None
        for sh in p.funding.shares
    ]
    return pd.DataFrame(rows, columns=["programme", "payer", "share", "assumption", "source"])

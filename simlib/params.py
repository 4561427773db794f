"""Strict loading of everything under ``params/``.

Every file is read with a YAML loader that rejects duplicate keys, then checked against
the formats in ``docs/params_format.md``: unknown or missing keys, wrong types, values out
of range, references to person attributes, standards or definitions that do not exist, a
number without unit and source. Any problem raises :class:`ParamError` naming the file,
the item and the key, and nothing is returned half-built.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from simlib.rules import Condition, RuleError, compile_condition
from simlib.units import ONE_OFF, PERIODS_PER_YEAR, per_year_factor

#: Root of the bundled parameters.
PARAMS_DIR = Path(__file__).resolve().parent.parent / "params"

#: The five cities, in the order of the seed index.
CITIES = ("jincheng", "datong", "xiaoyi", "puyang", "changzhi")


class ParamError(ValueError):
    """A params file is invalid. The message names file, item and key."""


# --------------------------------------------------------------------------- YAML reading


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ParamError(
                f"duplicate key {key!r} at line {key_node.start_mark.line + 1} "
                f"(first at line {seen[key]})"
            )
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path) -> Any:
    """Read one YAML file strictly (safe loader, no duplicate keys).

    Args:
        path: File to read.

    Returns:
        The parsed document.

    Raises:
        ParamError: If the file is missing, is not valid YAML or repeats a key.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamError(f"{path}: file not found") from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - strict SafeLoader subclass
    except ParamError as err:
        raise ParamError(f"{path}: {err}") from None
    except yaml.YAMLError as err:
        raise ParamError(f"{path}: not valid YAML: {err}") from None


# --------------------------------------------------------------------------- small checks


def _keys(d: Any, where: str, required: set[str], optional: set[str] = frozenset()) -> dict:
    if not isinstance(d, Mapping):
        raise ParamError(f"{where}: expected a mapping, got {type(d).__name__}")
    missing = required - set(d)
    if missing:
        raise ParamError(f"{where}: missing key(s) {sorted(missing)}")
    unknown = set(d) - required - optional
    if unknown:
        allowed = ", ".join(sorted(required | optional))
        raise ParamError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {allowed}")
    return dict(d)


def _typed(value: Any, types: type | tuple[type, ...], where: str) -> Any:
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise ParamError(f"{where}: expected {types}, got a boolean")
    if not isinstance(value, types):
        names = (
            " or ".join(t.__name__ for t in types) if isinstance(types, tuple) else types.__name__
        )
        raise ParamError(f"{where}: expected {names}, got {value!r}")
    return value


def _text(d: Mapping, key: str, where: str, required: bool = True) -> str | None:
    if key not in d or d[key] is None:
        if required:
            raise ParamError(f"{where}: missing key {key!r}")
        return None
    value = _typed(d[key], str, f"{where}.{key}")
    if required and not value.strip():
        raise ParamError(f"{where}.{key}: must not be empty")
    return value


_NUMBER = (int, float)
_ASSUMPTION_KEYS = {"assumption", "range", "rationale", "phrase"}


@dataclass(frozen=True)
class Provenance:
    """Where a number comes from: a source, or an explicit assumption with a range."""

    source: str | None = None
    assumption: bool = False
    range: tuple[Any, Any] | None = None
    rationale: str | None = None
    phrase: str | None = None


def _provenance(d: Mapping, where: str, value: Any, need: bool = True) -> Provenance:
    """Read ``source`` or ``assumption/range/rationale`` from a mapping."""
    if d.get("assumption"):
        _typed(d["assumption"], bool, f"{where}.assumption")
        rng = d.get("range")
        kinds = (dt.date,) if isinstance(value, dt.date) else _NUMBER
        if not (isinstance(rng, list) and len(rng) == 2 and all(isinstance(x, kinds) for x in rng)):
            raise ParamError(
                f"{where}.range: an assumption needs range: [low, high] of the value's type, "
                f"got {rng!r}"
            )
        lo, hi = rng if isinstance(value, dt.date) else (float(rng[0]), float(rng[1]))
        if lo > hi:
            raise ParamError(f"{where}.range: low {lo} > high {hi}")
        if value is not None and not lo <= value <= hi:
            raise ParamError(f"{where}: value {value} lies outside its range [{lo}, {hi}]")
        rationale = _text(d, "rationale", where)
        return Provenance(
            source=_text(d, "source", where, required=False),
            assumption=True,
            range=(lo, hi),
            rationale=rationale,
            phrase=_text(d, "phrase", where, required=False),
        )
    if "range" in d or "rationale" in d:
        raise ParamError(f"{where}: range/rationale given but assumption is not true")
    source = _text(d, "source", where, required=need)
    return Provenance(source=source, phrase=_text(d, "phrase", where, required=False))


@dataclass(frozen=True)
class Quantity:
    """A sourced number with its unit."""

    value: Any
    unit: str
    provenance: Provenance
    name_zh: str | None = None
    name_en: str | None = None
    note: str | None = None


_QUANTITY_KEYS = {"source", "note", "name_zh", "name_en"} | _ASSUMPTION_KEYS


def read_quantity(
    d: Any,
    where: str,
    *,
    lo: float | None = None,
    hi: float | None = None,
    kinds: tuple[type, ...] = _NUMBER,
) -> Quantity:
    """Validate ``{value, unit, source | assumption+range+rationale}``.

    Args:
        d: The parsed mapping.
        where: Location for error messages.
        lo: Smallest allowed value (numbers only).
        hi: Largest allowed value (numbers only).
        kinds: Allowed Python types of ``value``.

    Returns:
        The quantity.

    Raises:
        ParamError: If a key is missing or unknown, the value has the wrong type or lies
            out of range, or there is neither a source nor a flagged assumption.
    """
    d = _keys(d, where, {"value", "unit"}, _QUANTITY_KEYS)
    value = _typed(d["value"], kinds, f"{where}.value")
    if isinstance(value, _NUMBER):
        if lo is not None and value < lo or hi is not None and value > hi:
            raise ParamError(f"{where}.value: {value} outside allowed [{lo}, {hi}]")
    unit = _text(d, "unit", where)
    prov = _provenance(d, where, value)
    return Quantity(
        value, unit, prov, d.get("name_zh"), d.get("name_en"), _text(d, "note", where, False)
    )


# --------------------------------------------------------------------------- vocabulary


@cache
def vocabulary(params_dir: Path = PARAMS_DIR) -> dict[str, dict[str, str]]:
    """Return the controlled vocabularies (service types, in-kind units, placements).

    Args:
        params_dir: Root of the params tree.

    Returns:
        ``{"service_types": {zh: en}, "units": …, "placements": …, "families": …}``, each
        a mapping of name to description.
    """
    out = {}
    for name in ("service_types", "units", "placements", "families"):
        path = params_dir / "vocabulary" / f"{name}.yaml"
        d = read_yaml(path)
        if not isinstance(d, dict) or not all(isinstance(v, str) for v in d.values()):
            raise ParamError(f"{path}: expected a flat mapping of name: description")
        out[name] = d
    return out


# --------------------------------------------------------------------------- city context


@dataclass(frozen=True)
class Standard:
    """A city standard that benefits may be multiples of (e.g. the 低保 standard).

    ``value`` is a number, or ``{"urban": x, "rural": y}`` when it differs by residence.
    """

    name: str
    value: float | dict[str, float]
    unit: str
    provenance: Provenance
    name_zh: str | None = None
    note: str | None = None

    def yuan_per(self, per: str) -> float | dict[str, float]:
        """Return the standard in yuan per ``per`` (``"month"`` or ``"year"``)."""
        factor = per_year_factor(self.unit.removeprefix("yuan/")) / per_year_factor(per)
        if isinstance(self.value, dict):
            return {k: v * factor for k, v in self.value.items()}
        return self.value * factor


_STANDARD_UNITS = ("yuan/month", "yuan/year")


@dataclass(frozen=True)
class Definition:
    """A named condition of a city (``economic_hardship``...), with alternative readings.

    ``variants`` holds the raw condition trees; :func:`resolve_definitions` compiles them
    with a chosen variant per definition, so a choice propagates into every definition
    that refers to another.
    """

    name: str
    phrase: str
    default: str
    variants: dict[str, Any]
    provenance: Provenance
    note: str | None = None


def resolve_definitions(
    definitions: Mapping[str, Definition], choice: Mapping[str, str] | None = None, where: str = ""
) -> dict[str, Callable[[], Condition]]:
    """Compile a city's named definitions with one variant each.

    Args:
        definitions: The city's definitions.
        choice: Variant per definition name; others use their default.
        where: Location for error messages.

    Returns:
        ``{name: zero-argument function returning the compiled condition}``, the form
        :func:`simlib.rules.compile_condition` takes as ``refs``.

    Raises:
        ParamError: On an unknown definition or variant, a grammar error or a cycle.
    """
    choice = dict(choice or {})
    for name, v in choice.items():
        if name not in definitions:
            raise ParamError(
                f"{where}: no definition {name!r} to choose a variant of; "
                f"defined: {', '.join(definitions)}"
            )
        if v not in definitions[name].variants:
            raise ParamError(
                f"{where}: definition {name!r} has no variant {v!r}; "
                f"variants: {', '.join(definitions[name].variants)}"
            )
    done: dict[str, Condition] = {}
    building: list[str] = []

    def getter(name: str) -> Callable[[], Condition]:
        def get() -> Condition:
            if name in done:
                return done[name]
            if name in building:
                raise ParamError(
                    f"{where}.{name}: definitions refer to each other in a cycle: "
                    f"{' -> '.join([*building, name])}"
                )
            building.append(name)
            dfn = definitions[name]
            variant = choice.get(name, dfn.default)
            try:
                done[name] = compile_condition(
                    dfn.variants[variant], f"{where}.{name}.variants.{variant}", refs
                )
            except RuleError as err:
                raise ParamError(str(err)) from None
            finally:
                building.pop()
            return done[name]

        return get

    refs = {name: getter(name) for name in definitions}
    return refs


@dataclass
class CityContext:
    """Context values a city's rules need: counties, standards, named definitions."""

    city: str
    name_zh: str
    name_en: str
    province: str
    counties: dict[int | str, dict[str, str]]
    standards: dict[str, Standard]
    definitions: dict[str, Definition]
    other: dict[str, Quantity] = field(default_factory=dict)


def _read_definitions(raw: Any, where: str) -> dict[str, Definition]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ParamError(f"{where}: expected a mapping of name: definition")
    out = {}
    for name, spec in raw.items():
        w = f"{where}.{name}"
        d = _keys(
            spec,
            w,
            {"phrase", "default", "variants"},
            {"note", "source", "assumption", "rationale"},
        )
        if not isinstance(d["variants"], Mapping) or not d["variants"]:
            raise ParamError(f"{w}.variants: expected a mapping of variant name: condition")
        default = _text(d, "default", w)
        if default not in d["variants"]:
            raise ParamError(f"{w}.default: {default!r} is not one of {sorted(d['variants'])}")
        if d.get("assumption"):
            # A reading, not a number: its "range" is the set of alternative variants.
            if len(d["variants"]) < 2:
                raise ParamError(f"{w}: an assumed reading needs at least two variants")
            prov = Provenance(d.get("source"), True, None, _text(d, "rationale", w))
        else:
            prov = _provenance(d, w, None)
        out[name] = Definition(
            name, _text(d, "phrase", w), default, dict(d["variants"]), prov, d.get("note")
        )
    # Compile every variant once now, so a bad definition fails at load, not at use.
    for name, dfn in out.items():
        for variant in dfn.variants:
            refs = resolve_definitions(out, {name: variant}, where)
            refs[name]()
    return out


def load_context(city: str, params_dir: Path = PARAMS_DIR) -> CityContext:
    """Load ``params/cities/<city>.yaml``.

    Args:
        city: City key (see :data:`CITIES`).
        params_dir: Root of the params tree.

    Returns:
        The validated city context.
    """
    path = params_dir / "cities" / f"{city}.yaml"
    where = (
        str(path.relative_to(params_dir.parent))
        if path.is_relative_to(params_dir.parent)
        else str(path)
    )
    d = _keys(
        read_yaml(path),
        where,
        {"city", "name_zh", "name_en", "province", "counties", "standards", "definitions"},
        {"other", "note"},
    )
    if d["city"] != city:
        raise ParamError(f"{where}.city: {d['city']!r} does not match file name {city!r}")
    counties = {}
    if not isinstance(d["counties"], list) or not d["counties"]:
        raise ParamError(f"{where}.counties: expected a non-empty list")
    for i, c in enumerate(d["counties"]):
        w = f"{where}.counties[{i}]"
        c = _keys(c, w, {"code", "name_zh", "name_en"})
        # 区划代码 as an int; a unit the census lists without one (a development zone)
        # gets a string key so that it keeps its identity.
        code = _typed(c["code"], (int, str), f"{w}.code")
        if code in counties:
            raise ParamError(f"{w}.code: county {code} listed twice")
        counties[code] = {"name_zh": c["name_zh"], "name_en": c["name_en"]}
    standards = {}
    if not isinstance(d["standards"], Mapping):
        raise ParamError(f"{where}.standards: expected a mapping")
    for name, s in d["standards"].items():
        w = f"{where}.standards.{name}"
        s = _keys(s, w, {"value", "unit"}, _QUANTITY_KEYS)
        unit = s["unit"]
        if unit not in _STANDARD_UNITS:
            raise ParamError(f"{w}.unit: {unit!r}; allowed: {', '.join(_STANDARD_UNITS)}")
        value = s["value"]
        if isinstance(value, Mapping):
            _keys(value, f"{w}.value", {"urban", "rural"})
            value = {k: float(_typed(v, _NUMBER, f"{w}.value.{k}")) for k, v in value.items()}
            checks = list(value.values())
        else:
            value = float(_typed(value, _NUMBER, f"{w}.value"))
            checks = [value]
        if any(v < 0 for v in checks):
            raise ParamError(f"{w}.value: must be ≥ 0")
        prov = _provenance(s, w, None)
        if prov.assumption and not all(prov.range[0] <= v <= prov.range[1] for v in checks):
            raise ParamError(f"{w}: value {s['value']} outside its range {list(prov.range)}")
        standards[name] = Standard(name, value, unit, prov, s.get("name_zh"), s.get("note"))
    other = {}
    for name, q in (d.get("other") or {}).items():
        other[name] = read_quantity(q, f"{where}.other.{name}")
    return CityContext(
        city=city,
        name_zh=_text(d, "name_zh", where),
        name_en=_text(d, "name_en", where),
        province=_text(d, "province", where),
        counties=counties,
        standards=standards,
        definitions=_read_definitions(d["definitions"], f"{where}.definitions"),
        other=other,
    )


# --------------------------------------------------------------------------- service lists


@dataclass(frozen=True)
class CashRule:
    """One cash component of a benefit: a fixed amount or a multiple of a standard."""

    when: Condition
    per: str
    yuan: float | None = None
    multiple: float | None = None
    of: str | None = None
    provenance: Provenance = Provenance()
    note: str | None = None


@dataclass(frozen=True)
class InKindRule:
    """One in-kind component: ``n`` units of ``unit`` per ``per``."""

    when: Condition
    unit: str
    n: float
    per: str
    provenance: Provenance = Provenance()
    note: str | None = None


@dataclass(frozen=True)
class Benefit:
    """What an eligible person receives."""

    cash: tuple[CashRule, ...] = ()
    in_kind: tuple[InKindRule, ...] = ()
    placement: str | None = None
    placement_when: Condition | None = None
    quantified: bool = True
    reason: str | None = None


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


@dataclass
class ServiceList:
    """A city's whole list, in annex order."""

    city: str
    document: dict[str, Any]
    items: list[Item]

    def __len__(self) -> int:
        return len(self.items)


_ITEM_REQUIRED = {
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
_ITEM_OPTIONAL = {"content_zh", "spending_zh", "effective", "pension", "note", "family"}
_PERIODS = (*PERIODS_PER_YEAR, ONE_OFF)


def _read_cash(e: Any, w: str, refs, ctx: CityContext) -> CashRule:
    e = _keys(
        e, w, {"per"}, {"yuan", "multiple", "of", "when", "note", "source"} | _ASSUMPTION_KEYS
    )
    per = e["per"]
    if per not in _PERIODS:
        raise ParamError(f"{w}.per: {per!r}; allowed: {', '.join(_PERIODS)}")
    when = _cond(e.get("when"), f"{w}.when", refs)
    if "yuan" in e:
        if "multiple" in e or "of" in e:
            raise ParamError(f"{w}: give either yuan or multiple+of, not both")
        yuan = float(_typed(e["yuan"], _NUMBER, f"{w}.yuan"))
        if yuan < 0:
            raise ParamError(f"{w}.yuan: must be ≥ 0")
        return CashRule(
            when, per, yuan=yuan, provenance=_provenance(e, w, yuan, need=False), note=e.get("note")
        )
    if "multiple" not in e or "of" not in e:
        raise ParamError(f"{w}: a cash entry needs yuan, or multiple and of")
    mult = float(_typed(e["multiple"], _NUMBER, f"{w}.multiple"))
    if mult < 0:
        raise ParamError(f"{w}.multiple: must be ≥ 0")
    of = e["of"]
    if of not in ctx.standards:
        raise ParamError(
            f"{w}.of: unknown standard {of!r}; standards of {ctx.city}: {', '.join(ctx.standards)}"
        )
    if per not in ("month", "year"):
        raise ParamError(f"{w}.per: a multiple of a standard is per month or per year, got {per!r}")
    return CashRule(
        when,
        per,
        multiple=mult,
        of=of,
        provenance=_provenance(e, w, mult, need=False),
        note=e.get("note"),
    )


def _cond(spec: Any, where: str, refs) -> Condition:
    try:
        return compile_condition(spec, where, refs)
    except RuleError as err:
        raise ParamError(str(err)) from None


def _read_benefit(b: Any, w: str, refs, ctx: CityContext, vocab) -> Benefit:
    b = _keys(
        b, w, set(), {"cash", "in_kind", "placement", "placement_when", "quantified", "reason"}
    )
    quantified = _typed(b.get("quantified", True), bool, f"{w}.quantified")
    reason = _text(b, "reason", w, required=not quantified)
    cash = tuple(
        _read_cash(e, f"{w}.cash[{i}]", refs, ctx) for i, e in enumerate(b.get("cash") or [])
    )
    kinds = []
    for i, e in enumerate(b.get("in_kind") or []):
        wi = f"{w}.in_kind[{i}]"
        e = _keys(e, wi, {"unit", "n", "per"}, {"when", "note", "source"} | _ASSUMPTION_KEYS)
        if e["unit"] not in vocab["units"]:
            raise ParamError(f"{wi}.unit: {e['unit']!r}; allowed: {', '.join(vocab['units'])}")
        if e["per"] not in _PERIODS:
            raise ParamError(f"{wi}.per: {e['per']!r}; allowed: {', '.join(_PERIODS)}")
        n = float(_typed(e["n"], _NUMBER, f"{wi}.n"))
        if n <= 0:
            raise ParamError(f"{wi}.n: must be > 0")
        kinds.append(
            InKindRule(
                _cond(e.get("when"), f"{wi}.when", refs),
                e["unit"],
                n,
                e["per"],
                _provenance(e, wi, n, need=False),
                e.get("note"),
            )
        )
    placement = b.get("placement")
    if placement is not None and placement not in vocab["placements"]:
        raise ParamError(f"{w}.placement: {placement!r}; allowed: {', '.join(vocab['placements'])}")
    pwhen = (
        _cond(b["placement_when"], f"{w}.placement_when", refs) if "placement_when" in b else None
    )
    if pwhen is not None and placement is None:
        raise ParamError(f"{w}.placement_when: given without placement")
    if quantified and not (cash or kinds or placement):
        raise ParamError(f"{w}: no cash, in_kind or placement; set quantified: false with a reason")
    return Benefit(cash, tuple(kinds), placement, pwhen, quantified, reason)


def load_services(
    city: str,
    ctx: CityContext | None = None,
    params_dir: Path = PARAMS_DIR,
    definition_variants: Mapping[str, str] | None = None,
) -> ServiceList:
    """Load and compile ``params/services/<city>.yaml``.

    Args:
        city: City key.
        ctx: The city's context (loaded if not given): standards and definitions.
        params_dir: Root of the params tree.
        definition_variants: Override which variant of a named definition the rules use,
            e.g. ``{"economic_hardship": "broad"}``.

    Returns:
        The validated, compiled list.
    """
    ctx = ctx or load_context(city, params_dir)
    vocab = vocabulary(params_dir)
    path = params_dir / "services" / f"{city}.yaml"
    where = f"params/services/{city}.yaml"
    d = _keys(read_yaml(path), where, {"city", "document", "items"}, {"note"})
    if d["city"] != city:
        raise ParamError(f"{where}.city: {d['city']!r} does not match file name {city!r}")
    doc = _keys(
        d["document"],
        f"{where}.document",
        {"file", "title_zh", "number_zh", "effective"},
        {"issued", "note"},
    )
    eff = read_quantity(doc["effective"], f"{where}.document.effective", kinds=(dt.date,))
    refs = resolve_definitions(ctx.definitions, definition_variants, where)
    if not isinstance(d["items"], list) or not d["items"]:
        raise ParamError(f"{where}.items: expected a non-empty list")
    items, ids = [], set()
    for i, raw in enumerate(d["items"]):
        label = raw.get("id", f"items[{i}]") if isinstance(raw, Mapping) else f"items[{i}]"
        w = f"{where}: {label}"
        raw = _keys(raw, w, _ITEM_REQUIRED, _ITEM_OPTIONAL)
        number = _typed(raw["number"], int, f"{w}.number")
        if raw["id"] != f"{city}.{number}":
            raise ParamError(f"{w}.id: expected {city}.{number}")
        if raw["id"] in ids:
            raise ParamError(f"{w}.id: duplicate item id")
        ids.add(raw["id"])
        stype = raw["service_type_zh"]
        if stype not in vocab["service_types"]:
            raise ParamError(
                f"{w}.service_type_zh: {stype!r}; allowed: {', '.join(vocab['service_types'])}"
            )
        source = _text(raw, "source", w)
        if doc["file"] not in source:
            raise ParamError(f"{w}.source: must cite the document file {doc['file']}")
        depts = raw["lead_department_zh"]
        if not isinstance(depts, list) or not all(isinstance(x, str) for x in depts):
            raise ParamError(f"{w}.lead_department_zh: expected a list of department names")
        family = raw.get("family")
        if family is not None and family not in vocab["families"]:
            raise ParamError(f"{w}.family: {family!r}; allowed: {', '.join(vocab['families'])}")
        effective = raw.get("effective", eff.value)
        _typed(effective, dt.date, f"{w}.effective")
        items.append(
            Item(
                id=raw["id"],
                city=city,
                number=number,
                name_zh=_text(raw, "name_zh", w),
                name_en=_text(raw, "name_en", w),
                target_group_zh=_text(raw, "target_group_zh", w),
                standard_zh=_text(raw, "standard_zh", w),
                service_type_zh=stype,
                service_type_en=vocab["service_types"][stype],
                lead_department_zh=tuple(depts),
                spending_zh=_text(raw, "spending_zh", w, required=False),
                effective=effective,
                eligibility=_cond(raw["eligibility"], f"{w}.eligibility", refs),
                benefit=_read_benefit(raw["benefit"], f"{w}.benefit", refs, ctx, vocab),
                source=source,
                pension=_typed(raw.get("pension", False), bool, f"{w}.pension"),
                content_zh=_text(raw, "content_zh", w, required=False),
                note=_text(raw, "note", w, required=False),
                family=family,
            )
        )
    numbers = [it.number for it in items]
    if numbers != list(range(1, len(items) + 1)):
        raise ParamError(f"{where}.items: numbers must run 1..{len(items)} in order, got {numbers}")
    return ServiceList(city, {**doc, "effective": eff}, items)


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """A quantified target from a document's body (e.g. monthly visit rate 100 % by 2025)."""

    id: str
    name_zh: str
    name_en: str
    year: int
    value: float
    unit: str
    scope: str
    measure: str | None
    quote_zh: str
    source: str
    note: str | None = None
    #: For per-county rules: only counties whose 2020 census population lies in [min, max].
    county_population: tuple[int | None, int | None] | None = None


_TARGET_UNITS = ("share", "count", "beds", "yuan", "ratio", "persons", "facilities")
_TARGET_SCOPES = ("city", "each_county", "each_township", "each_village", "each_institution")


def load_targets(city: str, params_dir: Path = PARAMS_DIR) -> list[Target]:
    """Load ``params/targets/<city>.yaml``.

    Args:
        city: City key.
        params_dir: Root of the params tree.

    Returns:
        The targets in file order.
    """
    where = f"params/targets/{city}.yaml"
    d = _keys(
        read_yaml(params_dir / "targets" / f"{city}.yaml"), where, {"city", "targets"}, {"note"}
    )
    if d["city"] != city:
        raise ParamError(f"{where}.city: {d['city']!r} does not match file name {city!r}")
    out, ids = [], set()
    for i, t in enumerate(d["targets"] or []):
        label = t.get("id", f"targets[{i}]") if isinstance(t, Mapping) else f"targets[{i}]"
        w = f"{where}: {label}"
        t = _keys(
            t,
            w,
            {"id", "name_zh", "name_en", "year", "value", "unit", "scope", "quote_zh", "source"},
            {"measure", "note", "county_population"},
        )
        if not t["id"].startswith(f"{city}."):
            raise ParamError(f"{w}.id: must start with '{city}.'")
        if t["id"] in ids:
            raise ParamError(f"{w}.id: duplicate target id")
        ids.add(t["id"])
        year = _typed(t["year"], int, f"{w}.year")
        if not 2020 <= year <= 2035:
            raise ParamError(f"{w}.year: {year} outside 2020..2035")
        value = float(_typed(t["value"], _NUMBER, f"{w}.value"))
        if t["unit"] not in _TARGET_UNITS:
            raise ParamError(f"{w}.unit: {t['unit']!r}; allowed: {', '.join(_TARGET_UNITS)}")
        if t["unit"] == "share" and not 0 <= value <= 1:
            raise ParamError(f"{w}.value: a share must lie in [0, 1], got {value}")
        if t["scope"] not in _TARGET_SCOPES:
            raise ParamError(f"{w}.scope: {t['scope']!r}; allowed: {', '.join(_TARGET_SCOPES)}")
        out.append(
            Target(
                t["id"],
                _text(t, "name_zh", w),
                _text(t, "name_en", w),
                year,
                value,
                t["unit"],
                t["scope"],
                t.get("measure"),
                _text(t, "quote_zh", w),
                _text(t, "source", w),
                t.get("note"),
                _county_population(t.get("county_population"), f"{w}.county_population"),
            )
        )
    return out


def _county_population(spec: Any, where: str) -> tuple[int | None, int | None] | None:
    if spec is None:
        return None
    spec = _keys(spec, where, set(), {"min", "max"})
    if not spec:
        raise ParamError(f"{where}: give min and/or max")
    lo, hi = spec.get("min"), spec.get("max")
    for k, v in (("min", lo), ("max", hi)):
        if v is not None and (not isinstance(v, int) or v < 0):
            raise ParamError(f"{where}.{k}: a population count, got {v!r}")
    return (lo, hi)


# --------------------------------------------------------------------------- the bundle


@dataclass
class City:
    """Everything simlib knows about one city: context, service list and targets."""

    key: str
    context: CityContext
    services: ServiceList
    targets: list[Target]

    @property
    def items(self) -> list[Item]:
        """The service list's items."""
        return self.services.items

    def __repr__(self) -> str:
        return (
            f"City({self.key!r}, {self.context.name_zh}, {len(self.items)} items, "
            f"{len(self.targets)} targets)"
        )


def load_city(
    name: str,
    params_dir: Path | str = PARAMS_DIR,
    definition_variants: Mapping[str, str] | None = None,
) -> City:
    """Load a city's service list, context and targets, fully validated.

    Args:
        name: One of :data:`CITIES` (e.g. ``"datong"``).
        params_dir: Root of a params tree (the bundled one by default).
        definition_variants: Which reading of a named definition to use, e.g.
            ``{"economic_hardship": "broad"}``.

    Returns:
        The :class:`City`.

    Raises:
        ParamError: If any file is invalid; nothing partial is returned.
    """
    params_dir = Path(params_dir)
    if name not in CITIES:
        raise ParamError(f"unknown city {name!r}; available: {', '.join(CITIES)}")
    ctx = load_context(name, params_dir)
    return City(
        name,
        ctx,
        load_services(name, ctx, params_dir, definition_variants),
        load_targets(name, params_dir),
    )

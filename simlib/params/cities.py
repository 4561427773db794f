"""City context (``params/cities/<city>.yaml``): counties, standards, named definitions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simlib.core.checks import (
    QUANTITY_KEYS,
    Provenance,
    Quantity,
    keys,
    number,
    provenance,
    read_quantity,
    text,
    typed,
)
from simlib.core.errors import ParamError, did_you_mean
from simlib.core.people import SCHEMA, Schema
from simlib.params.dated import check_dated
from simlib.params.tree import ParamTree, remembered
from simlib.rules.benefits import Standard
from simlib.rules.conditions import Condition, RuleError, compile_condition

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
    definitions: Mapping[str, Definition],
    choice: Mapping[str, str] | None = None,
    where: str = "",
    schema: Schema = SCHEMA,
) -> dict[str, Callable[[], Condition]]:
    """Compile a city's named definitions with one variant each.

    Args:
        definitions: The city's definitions.
        choice: Variant per definition name; others use their default.
        where: Location for error messages.
        schema: Person attributes conditions may name.

    Returns:
        ``{name: zero-argument function returning the compiled condition}``, the form
        :func:`simlib.rules.conditions.compile_condition` takes as ``refs``.

    Raises:
        ParamError: On an unknown definition or variant, a grammar error or a cycle.
    """
    choice = dict(choice or {})
    for name, v in choice.items():
        if name not in definitions:
            raise ParamError(
                f"{where}: no definition {name!r}{did_you_mean(name, definitions)} to choose "
                f"a variant of; defined: {', '.join(definitions)}"
            )
        if v not in definitions[name].variants:
            raise ParamError(
                f"{where}: definition {name!r} has no variant {v!r}"
                f"{did_you_mean(v, definitions[name].variants)}; "
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
                    dfn.variants[variant], f"{where}.{name}.variants.{variant}", refs, schema
                )
            except RuleError as err:
                raise ParamError(str(err)) from None
            finally:
                building.pop()
            return done[name]

        return get

    refs = {name: getter(name) for name in definitions}
    return refs


@dataclass(frozen=True)
class CityContext:
    """Context values a city's rules need: counties, standards, named definitions.

    Read-only once loaded (:mod:`simlib.params.readonly`): every run of the city shares it.
    """

    city: str
    name_zh: str
    name_en: str
    province: str
    counties: dict[int | str, dict[str, str]]
    standards: dict[str, Standard]
    definitions: dict[str, Definition]
    other: dict[str, Quantity] = field(default_factory=dict)

    def county_name(self, code: int | str, lang: str = "zh") -> str:
        """A county's name (``lang`` ``"zh"`` or ``"en"``)."""
        return self.counties[code][f"name_{lang}"]


def _read_definitions(raw: Any, where: str, schema: Schema) -> dict[str, Definition]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ParamError(f"{where}: expected a mapping of name: definition")
    out = {}
    for name, spec in raw.items():
        w = f"{where}.{name}"
        d = keys(
            spec,
            w,
            {"phrase", "default", "variants"},
            {"note", "source", "assumption", "rationale"},
        )
        if not isinstance(d["variants"], Mapping) or not d["variants"]:
            raise ParamError(f"{w}.variants: expected a mapping of variant name: condition")
        default = text(d, "default", w)
        if default not in d["variants"]:
            raise ParamError(f"{w}.default: {default!r} is not one of {sorted(d['variants'])}")
        if "assumption" in d:
            typed(d["assumption"], bool, f"{w}.assumption")
        if d.get("assumption"):
            # A reading, not a number: its "range" is the set of alternative variants.
            if len(d["variants"]) < 2:
                raise ParamError(f"{w}: an assumed reading needs at least two variants")
            prov = Provenance(d.get("source"), True, None, text(d, "rationale", w))
        else:
            prov = provenance(d, w, None)
        out[name] = Definition(
            name, text(d, "phrase", w), default, dict(d["variants"]), prov, d.get("note")
        )
    # Compile every variant once now, so a bad definition fails at load, not at use.
    for name, dfn in out.items():
        for variant in dfn.variants:
            resolve_definitions(out, {name: variant}, where, schema)[name]()
    return out


@remembered
def load_context(tree: ParamTree, city: str, schema: Schema = SCHEMA) -> CityContext:
    """Load ``params/cities/<city>.yaml``.

    Args:
        tree: The params tree.
        city: City key.
        schema: Person attributes definitions may name.

    Returns:
        The validated city context.
    """
    rel = f"cities/{city}.yaml"
    where = tree.where(rel)
    d = keys(
        tree.yaml(rel),
        where,
        {"city", "name_zh", "name_en", "province", "counties", "standards", "definitions"},
        {"other", "note"},
    )
    if d["city"] != city:
        raise ParamError(f"{where}: city: {d['city']!r} does not match file name {city!r}")
    counties: dict[int | str, dict[str, str]] = {}
    if not isinstance(d["counties"], list) or not d["counties"]:
        raise ParamError(f"{where}: counties: expected a non-empty list")
    for i, c in enumerate(d["counties"]):
        w = f"{where}: counties[{i}]"
        c = keys(c, w, {"code", "name_zh", "name_en"})
        # 区划代码 as an int; a unit the census lists without one (a development zone)
        # gets a string key so that it keeps its identity.
        code = typed(c["code"], (int, str), f"{w}.code")
        if code in counties:
            raise ParamError(f"{w}.code: county {code} listed twice")
        counties[code] = {"name_zh": text(c, "name_zh", w), "name_en": text(c, "name_en", w)}
    standards = {}
    if not isinstance(d["standards"], Mapping):
        raise ParamError(f"{where}: standards: expected a mapping")
    for name, s in d["standards"].items():
        w = f"{where}: standards.{name}"
        s = keys(s, w, {"value", "unit"}, QUANTITY_KEYS | {"dated"})
        unit = s["unit"]
        if unit not in _STANDARD_UNITS:
            raise ParamError(f"{w}.unit: {unit!r}; allowed: {', '.join(_STANDARD_UNITS)}")
        value = s["value"]
        if isinstance(value, Mapping):
            keys(value, f"{w}.value", {"urban", "rural"})
            value = {k: number(v, f"{w}.value.{k}", unit=unit) for k, v in value.items()}
            checks = list(value.values())
        else:
            value = number(value, f"{w}.value", unit=unit)
            checks = [value]
        prov = provenance(s, w, None)
        if prov.assumption and not all(prov.range[0] <= v <= prov.range[1] for v in checks):
            raise ParamError(f"{w}: value {s['value']} outside its range {list(prov.range)}")
        if "dated" in s:  # validated here; the value in force each year: params/dated.py
            check_dated(s["dated"], w, value, unit)
        standards[name] = Standard(name, value, unit, prov, s.get("name_zh"), s.get("note"))
    other = {}
    for name, q in (d.get("other") or {}).items():
        other[name] = read_quantity(q, f"{where}: other.{name}")
    return CityContext(
        city=city,
        name_zh=text(d, "name_zh", where),
        name_en=text(d, "name_en", where),
        province=text(d, "province", where),
        counties=counties,
        standards=standards,
        definitions=_read_definitions(d["definitions"], f"{where}: definitions", schema),
        other=other,
    )

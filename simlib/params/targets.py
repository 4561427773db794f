"""Quantified targets (``params/targets/<city>.yaml``) from the documents' bodies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simlib.core.checks import keys, number, text, typed
from simlib.core.errors import ParamError, did_you_mean
from simlib.params.tree import ParamTree

TARGET_UNITS = ("share", "count", "beds", "yuan", "ratio", "persons", "facilities")
TARGET_SCOPES = ("city", "each_county", "each_township", "each_village", "each_institution")


@dataclass(frozen=True)
class Target:
    """A quantified target from a document's body (e.g. monthly visit rate 100 % by 2025).

    Attributes:
        id: ``<city>.<name>``.
        name_zh: Chinese name.
        name_en: English name.
        year: Calendar year by which it is due.
        value: The target value (in ``unit``).
        unit: One of :data:`TARGET_UNITS`.
        scope: One of :data:`TARGET_SCOPES`.
        measure: How the model measures it (None: not measured; see ``unmeasured``).
        quote_zh: The sentence of the document.
        source: Document and section.
        note: Free text.
        county_population: For per-county rules: only counties whose 2020 census
            population lies in [min, max].
        unmeasured: Why the model cannot measure it (when ``measure`` is None).
        reading: The reading of the list's definitions the target is about (definition →
            variant), when the body names a group the list's default reading does not (e.g.
            the households a home-adaptation target counts).
    """

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
    county_population: tuple[int | None, int | None] | None = None
    unmeasured: str | None = None
    reading: tuple[tuple[str, str], ...] = ()


def load_targets(
    tree: ParamTree, city: str, measures: Mapping[str, Any] | None = None
) -> list[Target]:
    """Load ``params/targets/<city>.yaml``.

    Args:
        tree: The params tree.
        city: City key.
        measures: The measure names the model can evaluate (checked when given).

    Returns:
        The targets in file order.
    """
    rel = f"targets/{city}.yaml"
    where = tree.where(rel)
    d = keys(tree.yaml(rel), where, {"city", "targets"}, {"note"})
    if d["city"] != city:
        raise ParamError(f"{where}.city: {d['city']!r} does not match file name {city!r}")
    if not isinstance(d["targets"], list):
        raise ParamError(f"{where}.targets: expected a list")
    out, ids = [], set()
    for i, t in enumerate(d["targets"]):
        label = t.get("id", f"targets[{i}]") if isinstance(t, Mapping) else f"targets[{i}]"
        w = f"{where}: {label}"
        t = keys(
            t,
            w,
            {"id", "name_zh", "name_en", "year", "value", "unit", "scope", "quote_zh", "source"},
            {"measure", "note", "county_population", "unmeasured", "reading"},
        )
        tid = typed(t["id"], str, f"{w}.id")
        if not tid.startswith(f"{city}."):
            raise ParamError(f"{w}.id: must start with '{city}.'")
        if tid in ids:
            raise ParamError(f"{w}.id: duplicate target id")
        ids.add(tid)
        year = number(t["year"], f"{w}.year", lo=2020, hi=2035, integer=True)
        unit = t["unit"]
        if unit not in TARGET_UNITS:
            raise ParamError(
                f"{w}.unit: {unit!r}{did_you_mean(unit, TARGET_UNITS)}; "
                f"allowed: {', '.join(TARGET_UNITS)}"
            )
        # Targets are totals (a yuan target is a budget, not a per-person amount): ≥ 0,
        # and a share at most 1.
        value = number(t["value"], f"{w}.value", lo=0, hi=1 if unit == "share" else None)
        if t["scope"] not in TARGET_SCOPES:
            raise ParamError(f"{w}.scope: {t['scope']!r}; allowed: {', '.join(TARGET_SCOPES)}")
        measure = t.get("measure")
        if measure is None and not t.get("unmeasured"):
            raise ParamError(
                f"{w}: give a measure (one of params/vocabulary/target_measures.yaml) or say "
                "why the model cannot measure it (unmeasured: <reason>)"
            )
        reading = t.get("reading") or {}
        if not isinstance(reading, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in reading.items()
        ):
            raise ParamError(f"{w}.reading: expected a mapping of definition: variant")
        if measure is not None:
            typed(measure, str, f"{w}.measure")
            if measures is not None and measure not in measures:
                raise ParamError(
                    f"{w}.measure: unknown measure {measure!r}{did_you_mean(measure, measures)}; "
                    f"allowed: {', '.join(measures)}"
                )
        out.append(
            Target(
                tid,
                text(t, "name_zh", w),
                text(t, "name_en", w),
                year,
                value,
                unit,
                t["scope"],
                measure,
                text(t, "quote_zh", w),
                text(t, "source", w),
                text(t, "note", w, required=False),
                _county_population(t.get("county_population"), f"{w}.county_population"),
                text(t, "unmeasured", w, required=False),
                tuple(sorted(reading.items())),
            )
        )
    return out


def _county_population(spec: Any, where: str) -> tuple[int | None, int | None] | None:
    if spec is None:
        return None
    spec = keys(spec, where, set(), {"min", "max"})
    if not spec:
        raise ParamError(f"{where}: give min and/or max")
    lo, hi = spec.get("min"), spec.get("max")
    for k, v in (("min", lo), ("max", hi)):
        if v is not None:
            number(v, f"{where}.{k}", lo=0, integer=True)
    return (lo, hi)

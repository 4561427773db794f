"""Checks of parsed values: keys, types, numbers in their domain, and provenance.

Every number under ``params/`` is read through :func:`number` or :func:`read_quantity`:
it must be a real number (not a boolean or text), finite, inside its unit's physical domain
(:data:`simlib.core.units.UNIT_DOMAINS`), inside any bounds the caller adds, and carry a
source or an explicit assumption with a range (:class:`Provenance`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simlib.core.errors import ParamError, did_you_mean
from simlib.core.units import domain

NUMBER = (int, float)
ASSUMPTION_KEYS = frozenset({"assumption", "range", "rationale", "phrase"})


def keys(d: Any, where: str, required: set[str], optional: set[str] = frozenset()) -> dict:
    """Check a mapping's keys: all of ``required``, nothing outside ``required | optional``.

    Args:
        d: The parsed value.
        where: Location for error messages.
        required: Keys that must be present.
        optional: Keys that may be present.

    Returns:
        A plain dict copy of ``d``.

    Raises:
        ParamError: If ``d`` is not a mapping, lacks a required key or has an unknown one.
    """
    if not isinstance(d, Mapping):
        raise ParamError(f"{where}: expected a mapping, got {type(d).__name__}")
    missing = set(required) - set(d)
    if missing:
        raise ParamError(f"{where}: missing key(s) {sorted(missing)}")
    allowed = set(required) | set(optional)
    unknown = [k for k in d if k not in allowed]
    if unknown:
        hint = did_you_mean(unknown[0], allowed)
        raise ParamError(
            f"{where}: unknown key(s) {sorted(map(str, unknown))}{hint} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
    return dict(d)


def typed(value: Any, types: type | tuple[type, ...], where: str) -> Any:
    """``value`` if it has one of ``types`` (a boolean is not a number), else a ParamError."""
    kinds = types if isinstance(types, tuple) else (types,)
    if isinstance(value, bool) and bool not in kinds:
        raise ParamError(f"{where}: expected {_names(kinds)}, got a boolean ({value})")
    if not isinstance(value, kinds):
        raise ParamError(f"{where}: expected {_names(kinds)}, got {value!r}")
    return value


def _names(kinds: tuple[type, ...]) -> str:
    names = {"int": "an integer", "float": "a number", "str": "text", "list": "a list"}
    return " or ".join(names.get(t.__name__, t.__name__) for t in kinds)


def text(d: Mapping, key: str, where: str, required: bool = True) -> str | None:
    """The text value of ``d[key]`` (None if absent and not required)."""
    if key not in d or d[key] is None:
        if required:
            raise ParamError(f"{where}: missing key {key!r}")
        return None
    value = typed(d[key], str, f"{where}.{key}")
    if required and not value.strip():
        raise ParamError(f"{where}.{key}: must not be empty")
    return value


def number(
    value: Any,
    where: str,
    *,
    unit: str | None = None,
    lo: float | None = None,
    hi: float | None = None,
    integer: bool = False,
    count_units: tuple[str, ...] = (),
) -> float:
    """Check a number: real, finite, in its unit's domain and in ``[lo, hi]``.

    Args:
        value: The parsed value.
        where: Location for error messages.
        unit: Its unit (checked against :data:`~simlib.core.units.UNIT_DOMAINS`).
        lo: Extra lower bound.
        hi: Extra upper bound.
        integer: Whether a whole number is required.
        count_units: Extra unit names that are counts (≥ 0).

    Returns:
        The value as a float (or int when ``integer``).

    Raises:
        ParamError: Naming ``where``, the value and what was allowed.
    """
    typed(value, int if integer else NUMBER, where)
    if isinstance(value, float) and not math.isfinite(value):
        raise ParamError(f"{where}: {value} is not a finite number")
    bounds = [(lo, hi)]
    if unit is not None:
        try:
            bounds.append(domain(unit, count_units))
        except KeyError:
            raise ParamError(
                f"{where}: unknown unit {unit!r}{did_you_mean(unit, _units())}"
            ) from None
    for a, b in bounds:
        if (a is not None and value < a) or (b is not None and value > b):
            what = f" (the domain of {unit!r})" if (a, b) != (lo, hi) else ""
            raise ParamError(
                f"{where}: {value} outside [{_fmt(a, '-inf')}, {_fmt(b, 'inf')}]{what}"
            )
    return int(value) if integer else float(value)


def _units():
    from simlib.core.units import UNIT_DOMAINS

    return UNIT_DOMAINS


def _fmt(x: float | None, unbounded: str) -> str:
    return unbounded if x is None else f"{x:g}"


@dataclass(frozen=True)
class Provenance:
    """Where a number comes from: a source, or an explicit assumption with a range."""

    source: str | None = None
    assumption: bool = False
    range: tuple[Any, Any] | None = None
    rationale: str | None = None
    phrase: str | None = None


def provenance(d: Mapping, where: str, value: Any, need: bool = True) -> Provenance:
    """Read ``source`` or ``assumption/range/rationale`` from a mapping.

    Args:
        d: The mapping holding the value.
        where: Location for error messages.
        value: The value (checked to lie inside an assumption's range).
        need: Whether a source is required when the value is not an assumption.

    Returns:
        The provenance.

    Raises:
        ParamError: On a missing source, a malformed range or a value outside its range.
    """
    if "assumption" in d:
        typed(d["assumption"], bool, f"{where}.assumption")
    if d.get("assumption"):
        rng = d.get("range")
        dates = isinstance(value, dt.date)
        kinds = (dt.date,) if dates else NUMBER
        if not (
            isinstance(rng, list)
            and len(rng) == 2
            and all(isinstance(x, kinds) and not isinstance(x, bool) for x in rng)
        ):
            raise ParamError(
                f"{where}.range: an assumption needs range: [low, high] of the value's type, "
                f"got {rng!r}"
            )
        if dates:
            lo, hi = rng
        else:
            lo = number(rng[0], f"{where}.range[0]")
            hi = number(rng[1], f"{where}.range[1]")
        if lo > hi:
            raise ParamError(f"{where}.range: low {lo} > high {hi}")
        if value is not None and not lo <= value <= hi:
            raise ParamError(f"{where}: value {value} lies outside its range [{lo}, {hi}]")
        return Provenance(
            source=text(d, "source", where, required=False),
            assumption=True,
            range=(lo, hi),
            rationale=text(d, "rationale", where),
            phrase=text(d, "phrase", where, required=False),
        )
    if "range" in d or "rationale" in d:
        raise ParamError(f"{where}: range/rationale given but assumption is not true")
    return Provenance(
        source=text(d, "source", where, required=need),
        phrase=text(d, "phrase", where, required=False),
    )


@dataclass(frozen=True)
class Quantity:
    """A sourced number with its unit."""

    value: Any
    unit: str
    provenance: Provenance
    name_zh: str | None = None
    name_en: str | None = None
    note: str | None = None


QUANTITY_KEYS = frozenset({"source", "note", "name_zh", "name_en", "description"}) | ASSUMPTION_KEYS


def read_quantity(
    d: Any,
    where: str,
    *,
    lo: float | None = None,
    hi: float | None = None,
    integer: bool = False,
    dates: bool = False,
    count_units: tuple[str, ...] = (),
) -> Quantity:
    """Validate ``{value, unit, source | assumption+range+rationale}``.

    Args:
        d: The parsed mapping.
        where: Location for error messages.
        lo: Smallest allowed value (besides the unit's domain).
        hi: Largest allowed value.
        integer: Whether the value must be a whole number.
        dates: Whether the value is a date (then no number checks apply).
        count_units: Extra unit names that are counts (≥ 0).

    Returns:
        The quantity.

    Raises:
        ParamError: If a key is missing or unknown, the value has the wrong type, is not
            finite or lies outside its domain or range, or there is neither a source nor a
            flagged assumption.
    """
    d = keys(d, where, {"value", "unit"}, QUANTITY_KEYS)
    unit = text(d, "unit", where)
    if dates:
        value = typed(d["value"], dt.date, f"{where}.value")
    else:
        value = number(
            d["value"],
            f"{where}.value",
            unit=unit,
            lo=lo,
            hi=hi,
            integer=integer,
            count_units=count_units,
        )
    prov = provenance(d, where, value)
    return Quantity(
        value,
        unit,
        prov,
        text(d, "name_zh", where, False),
        text(d, "name_en", where, False),
        text(d, "note", where, False),
    )

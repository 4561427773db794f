"""Eligibility conditions and benefit formulas: the rule objects of a service list.

A service item's ``eligibility`` in YAML is a small tree::

    all: [ {attr: age, min: 80}, {ref: economic_hardship} ]

which :func:`compile_condition` turns into :class:`Condition` objects. Each object can

* ``mask(cols)`` -- evaluate on a whole person table at once (numpy, no loop over people);
* ``trace(cols)`` -- evaluate on a one-person table and report every leaf that passed or
  failed, for :func:`simlib.explain`.

``trace`` calls ``mask``, so the explained answer and the vectorised answer come from the
same code. Nothing is ever ``eval``-ed: the grammar below is all there is.

Grammar (each mapping has exactly one of these forms)::

    {all: [cond, ...]}            every sub-condition holds
    {any: [cond, ...]}            at least one holds
    {not: cond}                   the sub-condition does not hold
    {ref: name}                   a named definition of the city (e.g. economic_hardship)
    {attr: NAME, min: a, max: b}  integer attribute within [a, b] (either bound optional)
    {attr: NAME, in: [labels]}    categorical attribute is one of the labels
    {attr: NAME, is: true|false}  boolean attribute
    {nobody: true}                no one (a reading under which an optional item is not given)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from simlib.core.errors import ParamError, did_you_mean
from simlib.core.people import SCHEMA, Schema

Columns = Mapping[str, np.ndarray]


class PersonTable(dict):
    """A person table (column name → array) that memoises condition masks.

    Build one per evaluation of a list on a population; drop it when the population
    changes (the memo is not invalidated by writes to the arrays).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.memo: dict = {}


class RuleError(ParamError):
    """A condition or benefit in a params file does not follow the grammar."""


@dataclass(frozen=True)
class Condition:
    """Base class of compiled eligibility conditions."""

    def mask(self, cols: Columns) -> np.ndarray:
        """Return a read-only boolean array, one value per person.

        When ``cols`` is a :class:`PersonTable`, results are memoised per condition, so a
        condition shared by many items (``age ≥ 60``, ``economic_hardship``) is computed
        once per evaluation.
        """
        memo = getattr(cols, "memo", None)
        if memo is None:
            return self._mask(cols)
        out = memo.get(self)
        if out is None:
            out = self._mask(cols)  # always a new array, never a person column
            out.flags.writeable = False
            memo[self] = out
        return out

    def _mask(self, cols: Columns) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - abstract
        """Return a short human-readable statement of the condition."""
        raise NotImplementedError

    def children(self) -> tuple[Condition, ...]:
        """The sub-conditions (none for a leaf)."""
        parts = getattr(self, "parts", None)
        if parts is not None:
            return tuple(parts)
        part = getattr(self, "part", None)
        return (part,) if part is not None else ()

    def leaves(self):
        """Every leaf condition under this one (depth first)."""
        kids = self.children()
        if not kids:
            yield self
        for k in kids:
            yield from k.leaves()

    def trace(self, cols: Columns, depth: int = 0) -> list[tuple[int, str, bool]]:
        """Evaluate on a one-person table, listing this node and its children.

        Args:
            cols: A person table with exactly one row.
            depth: Nesting depth, for indentation in explanations.

        Returns:
            List of ``(depth, description, passed)``, this node first.
        """
        return [(depth, self.describe(), bool(self.mask(cols)[0]))]


@dataclass(frozen=True)
class Always(Condition):
    """The condition of an item with no eligibility restriction."""

    def _mask(self, cols: Columns) -> np.ndarray:
        return np.ones(len(cols["age"]), dtype=bool)

    def describe(self) -> str:
        """Describe."""
        return "everyone"


@dataclass(frozen=True)
class Nobody(Condition):
    """No one: the condition of an item read as not provided (e.g. optional provision)."""

    def _mask(self, cols: Columns) -> np.ndarray:
        return np.zeros(len(cols["age"]), dtype=bool)

    def describe(self) -> str:
        """Describe."""
        return "no one (not provided under this reading)"


@dataclass(frozen=True)
class Range(Condition):
    """Integer attribute within inclusive bounds."""

    attr: str
    lo: int | None
    hi: int | None

    def _mask(self, cols: Columns) -> np.ndarray:
        x = cols[self.attr]
        m = np.ones(x.shape, dtype=bool)
        if self.lo is not None:
            m &= x >= self.lo
        if self.hi is not None:
            m &= x <= self.hi
        return m

    def describe(self) -> str:
        """Describe."""
        if self.hi is None:
            return f"{self.attr} ≥ {self.lo}"
        if self.lo is None:
            return f"{self.attr} ≤ {self.hi}"
        return f"{self.lo} ≤ {self.attr} ≤ {self.hi}"


@dataclass(frozen=True)
class OneOf(Condition):
    """Categorical attribute takes one of a set of labels."""

    attr: str
    labels: tuple[str, ...]
    codes: tuple[int, ...]

    def _mask(self, cols: Columns) -> np.ndarray:
        x = cols[self.attr]
        if len(self.codes) <= 4:  # a few comparisons beat building a table and a gather
            m = x == self.codes[0]
            for c in self.codes[1:]:
                m |= x == c
            return m
        lut = np.zeros(
            max(self.codes) + 1 if x.size == 0 else max(int(x.max()), *self.codes) + 1, dtype=bool
        )
        lut[list(self.codes)] = True
        return lut[x]  # a lookup table beats np.isin on small integer codes

    def describe(self) -> str:
        """Describe."""
        return f"{self.attr} in {{{', '.join(self.labels)}}}"


@dataclass(frozen=True)
class Is(Condition):
    """Boolean attribute equals a value."""

    attr: str
    value: bool

    def _mask(self, cols: Columns) -> np.ndarray:
        x = cols[self.attr]
        return x != 0 if self.value else x == 0

    def describe(self) -> str:
        """Describe."""
        return self.attr if self.value else f"not {self.attr}"


@dataclass(frozen=True)
class All(Condition):
    """Conjunction."""

    parts: tuple[Condition, ...]

    def _mask(self, cols: Columns) -> np.ndarray:
        m = self.parts[0].mask(cols).copy()
        for p in self.parts[1:]:
            np.logical_and(m, p.mask(cols), out=m)
        return m

    def describe(self) -> str:
        """Describe."""
        return "all of"

    def trace(self, cols: Columns, depth: int = 0) -> list[tuple[int, str, bool]]:
        """Trace this node and every part."""
        rows = [(depth, self.describe(), bool(self.mask(cols)[0]))]
        for p in self.parts:
            rows += p.trace(cols, depth + 1)
        return rows


@dataclass(frozen=True)
class AnyOf(All):
    """Disjunction."""

    def _mask(self, cols: Columns) -> np.ndarray:
        m = self.parts[0].mask(cols).copy()
        for p in self.parts[1:]:
            np.logical_or(m, p.mask(cols), out=m)
        return m

    def describe(self) -> str:
        """Describe."""
        return "any of"


@dataclass(frozen=True)
class Not(Condition):
    """Negation."""

    part: Condition

    def _mask(self, cols: Columns) -> np.ndarray:
        return ~self.part.mask(cols)

    def describe(self) -> str:
        """Describe."""
        return "not"

    def trace(self, cols: Columns, depth: int = 0) -> list[tuple[int, str, bool]]:
        """Trace this node and its part."""
        return [(depth, "not", bool(self.mask(cols)[0]))] + self.part.trace(cols, depth + 1)


@dataclass(frozen=True)
class Ref(Condition):
    """A named city definition (e.g. ``economic_hardship``), resolved at load time."""

    name: str
    part: Condition  # compared too: two cities' definitions of one name differ

    def _mask(self, cols: Columns) -> np.ndarray:
        return self.part.mask(cols)

    def describe(self) -> str:
        """Describe."""
        return f"[{self.name}]"

    def trace(self, cols: Columns, depth: int = 0) -> list[tuple[int, str, bool]]:
        """Trace the reference and its definition."""
        return [(depth, self.describe(), bool(self.mask(cols)[0]))] + self.part.trace(
            cols, depth + 1
        )


_LEAF_OPS = {"min", "max", "in", "is"}


def compile_condition(
    spec: object,
    where: str,
    refs: Mapping[str, Callable[[], Condition]] | None = None,
    schema: Schema = SCHEMA,
) -> Condition:
    """Compile a YAML condition tree into :class:`Condition` objects.

    Args:
        spec: The parsed YAML (a mapping, or ``None`` for "everyone").
        where: ``file: item: key`` prefix for error messages.
        refs: Named definitions that ``{ref: name}`` may use, each a zero-argument
            function returning the compiled definition.
        schema: The person attributes a leaf may name.

    Returns:
        The compiled condition.

    Raises:
        RuleError: On anything outside the grammar, naming where and what was allowed.
    """
    refs = refs or {}
    if spec is None:
        return Always()
    if not isinstance(spec, Mapping):
        raise RuleError(f"{where}: a condition must be a mapping, got {type(spec).__name__}")
    keys = set(spec) - {"note"}
    if keys in ({"all"}, {"any"}):
        (op,) = keys
        parts = spec[op]
        if not isinstance(parts, list) or not parts:
            raise RuleError(f"{where}.{op}: expected a non-empty list of conditions")
        compiled = tuple(
            compile_condition(p, f"{where}.{op}[{i}]", refs, schema) for i, p in enumerate(parts)
        )
        if len(compiled) == 1:
            return compiled[0]
        return All(compiled) if op == "all" else AnyOf(compiled)
    if keys == {"nobody"}:
        if spec["nobody"] is not True:
            raise RuleError(f"{where}.nobody: write nobody: true")
        return Nobody()
    if keys == {"not"}:
        return Not(compile_condition(spec["not"], f"{where}.not", refs, schema))
    if keys == {"ref"}:
        name = spec["ref"]
        if not isinstance(name, str):
            raise RuleError(f"{where}.ref: expected the name of a definition, got {name!r}")
        if name not in refs:
            allowed = ", ".join(sorted(refs)) or "(none defined)"
            raise RuleError(
                f"{where}: unknown definition {name!r}{did_you_mean(name, refs)}; "
                f"defined: {allowed}"
            )
        return Ref(name, refs[name]())
    if "attr" in keys:
        return _compile_leaf(spec, keys - {"attr"}, where, schema)
    raise RuleError(
        f"{where}: cannot read condition with keys {sorted(keys)}; "
        "allowed forms: all, any, not, ref, nobody, or attr with min/max, in, is"
    )


def _compile_leaf(spec: Mapping, ops: set[str], where: str, schema: Schema) -> Condition:
    name = spec["attr"]
    attr = schema.get(name) if isinstance(name, str) else None
    if attr is None:
        raise RuleError(
            f"{where}: unknown person attribute {name!r}{did_you_mean(name, schema)}; "
            f"allowed: {', '.join(schema)}"
        )
    if not ops or not ops <= _LEAF_OPS:
        raise RuleError(f"{where}: attr {name!r} needs min/max, in or is; got {sorted(ops)}")
    if attr.kind == "int":
        if not ops <= {"min", "max"}:
            raise RuleError(f"{where}: {name} is an integer; use min and/or max")
        lo, hi = spec.get("min"), spec.get("max")
        for bound, v in (("min", lo), ("max", hi)):
            if v is not None and (not isinstance(v, int) or isinstance(v, bool)):
                raise RuleError(f"{where}: {name} {bound} must be an integer, got {v!r}")
            if v is not None and not attr.lo <= v <= attr.hi:
                raise RuleError(f"{where}: {name} {bound}={v} outside [{attr.lo}, {attr.hi}]")
        if lo is not None and hi is not None and lo > hi:
            raise RuleError(f"{where}: {name} min {lo} > max {hi}")
        return Range(name, lo, hi)
    if attr.kind == "category":
        if ops != {"in"}:
            raise RuleError(f"{where}: {name} is categorical; use in: [{', '.join(attr.labels)}]")
        labels = spec["in"]
        if (
            not isinstance(labels, list)
            or not labels
            or not all(isinstance(x, str) for x in labels)
        ):
            raise RuleError(f"{where}: {name} in: expected a non-empty list of labels")
        try:
            codes = tuple(attr.code(x) for x in labels)
        except ValueError as err:
            raise RuleError(f"{where}: {err}") from None
        return OneOf(name, tuple(attr.labels[c] for c in codes), codes)
    if ops != {"is"} or not isinstance(spec["is"], bool):
        raise RuleError(f"{where}: {name} is boolean; use is: true or is: false")
    return Is(name, spec["is"])

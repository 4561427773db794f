"""Population-model parameters (``params/population/health.yaml``), one section per process.

Each section is a mapping of entries, each of one form:

* a **curve**: ``{description, unit, points: [{age, value, source|assumption…}]}``, a
  positive age profile interpolated log-linearly (:func:`age_curve`);
* a **table**: ``{unit, values: {label: value}, source|assumption…}`` (shares must sum to 1);
* a **group** of scalars: ``{description, unit, <name>: {value, source|assumption…}, …}``;
* a **scalar**: ``{value, unit, source|assumption…}``.

Every number is checked against its unit's domain (a probability in [0, 1], a ratio ≥ 0) and
its assumption range. Which entries a section must hold is declared by the process that reads
it (:mod:`simlib.population.processes`), which refuses a missing or unknown name.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from simlib.core.checks import QUANTITY_KEYS, keys, number, provenance, read_quantity, typed
from simlib.core.errors import ParamError, did_you_mean
from simlib.params.tree import ParamTree, remembered

REL = "population/health.yaml"


def age_curve(points: list[tuple[float, float]], ages: np.ndarray) -> np.ndarray:
    """Interpolate a positive age curve log-linearly, flat beyond its ends.

    Args:
        points: ``(age, value)`` pairs, values > 0.
        ages: Ages (years) to evaluate at.

    Returns:
        The curve at ``ages``.
    """
    xs, ys = zip(*sorted(points), strict=True)
    return np.exp(np.interp(ages, np.asarray(xs, float), np.log(np.asarray(ys, float))))


@dataclass(frozen=True)
class Section:
    """One process's parameters.

    Attributes:
        name: Section (process) name.
        curves: Entry → list of ``(age, value)`` points.
        values: Entry → scalar (group members as ``entry.member``).
        shares: Entry → ``{label: value}``.
        units: Entry → unit.
    """

    name: str
    curves: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    values: dict[str, float] = field(default_factory=dict)
    shares: dict[str, dict[str, float]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)

    @property
    def entries(self) -> set[str]:
        """Every entry name (group members reported by their group)."""
        return {*self.curves, *self.shares, *(k.split(".")[0] for k in self.values)}

    def curve(self, name: str, ages: np.ndarray) -> np.ndarray:
        """Evaluate the named curve at ``ages``."""
        return age_curve(self.curves[name], ages)


@dataclass(frozen=True)
class Health:
    """Validated ``health.yaml``: its sections, and flat views across them.

    Entry names are unique across sections, so ``values``, ``curves`` and ``shares`` also
    address every entry directly.
    """

    sections: dict[str, Section]

    def section(self, name: str) -> Section:
        """The section of one process.

        Raises:
            ParamError: If the file has no such section.
        """
        if name not in self.sections:
            raise ParamError(
                f"params/{REL}: no section {name!r}{did_you_mean(name, self.sections)} "
                f"(sections: {', '.join(self.sections)})"
            )
        return self.sections[name]

    @property
    def values(self) -> dict[str, float]:
        """Every scalar, by name."""
        return {k: v for s in self.sections.values() for k, v in s.values.items()}

    @property
    def curves(self) -> dict[str, list[tuple[float, float]]]:
        """Every curve, by name."""
        return {k: v for s in self.sections.values() for k, v in s.curves.items()}

    @property
    def shares(self) -> dict[str, dict[str, float]]:
        """Every table, by name."""
        return {k: v for s in self.sections.values() for k, v in s.shares.items()}

    def curve(self, name: str, ages: np.ndarray) -> np.ndarray:
        """Evaluate the named curve at ``ages``."""
        return age_curve(self.curves[name], ages)

    def _owner(self, name: str) -> str:
        for s in self.sections.values():
            if name in s.values or name in s.curves or name in s.shares:
                return s.name
        raise ParamError(
            f"params/{REL}: no entry {name!r}{did_you_mean(name, self.values)}; "
            f"scalars: {', '.join(sorted(self.values))}"
        )

    def with_values(self, **overrides: float) -> Health:
        """A copy with some scalars replaced (tests; scenarios go through the params tree)."""
        sections = dict(self.sections)
        for name, v in overrides.items():
            sec = sections[self._owner(name)]
            if name not in sec.values:
                raise ParamError(f"params/{REL}: {name!r} is not a scalar")
            sections[sec.name] = replace(sec, values={**sec.values, name: float(v)})
        return Health(sections)

    def scaled_curve(self, name: str, factor: float) -> Health:
        """A copy with a curve multiplied by ``factor`` (tests and sensitivity)."""
        sec = self.sections[self._owner(name)]
        curves = {**sec.curves, name: [(a, v * factor) for a, v in sec.curves[name]]}
        return Health({**self.sections, sec.name: replace(sec, curves=curves)})


def _entry(sec: Section, name: str, entry: Any, w: str) -> None:
    if not isinstance(entry, dict):
        raise ParamError(f"{w}: expected a mapping")
    if "points" in entry:
        e = keys(entry, w, {"description", "unit", "points"}, {"note"})
        if not isinstance(e["points"], list) or len(e["points"]) < 1:
            raise ParamError(f"{w}.points: expected a list of {{age, value, source}}")
        pts = []
        for i, p in enumerate(e["points"]):
            p = dict(keys(p, f"{w}.points[{i}]", {"age", "value"}, QUANTITY_KEYS))
            age = number(p.pop("age"), f"{w}.points[{i}].age", lo=0, hi=120)
            q = read_quantity({**p, "unit": e["unit"]}, f"{w}.points[{i}]")
            if q.value <= 0:
                raise ParamError(f"{w}.points[{i}]: curve values must be > 0")
            pts.append((age, q.value))
        if len({a for a, _ in pts}) != len(pts):
            raise ParamError(f"{w}.points: ages must differ")
        sec.curves[name] = pts
    elif "values" in entry:
        e = keys(entry, w, {"unit", "values"}, {"description"} | QUANTITY_KEYS)
        if not isinstance(e["values"], dict) or not e["values"]:
            raise ParamError(f"{w}.values: expected a mapping of label: value")
        vals = {k: number(v, f"{w}.values.{k}", unit=e["unit"]) for k, v in e["values"].items()}
        prov = provenance(e, w, None)
        if prov.assumption:
            lo, hi = prov.range
            for k, v in vals.items():
                if not lo <= v <= hi:
                    raise ParamError(f"{w}.values.{k}: {v} lies outside its range [{lo}, {hi}]")
        if e["unit"] == "share" and abs(sum(vals.values()) - 1) > 1e-3:
            raise ParamError(f"{w}.values: shares sum to {sum(vals.values()):.4f}, not 1")
        sec.shares[name] = vals
        sec.units[name] = e["unit"]
    elif "value" in entry:
        q = read_quantity(entry, w)
        sec.values[name] = float(q.value)
        sec.units[name] = q.unit
    else:
        e = keys(entry, w, {"unit"}, set(entry) - {"unit"})
        members = {k: v for k, v in e.items() if k not in ("unit", "description", "note")}
        if not members:
            raise ParamError(f"{w}: expected points, values, value or named members")
        for k, q in members.items():
            typed(q, dict, f"{w}.{k}")
            sec.values[f"{name}.{k}"] = float(
                read_quantity({**q, "unit": e["unit"]}, f"{w}.{k}").value
            )
        sec.units[name] = e["unit"]


@remembered
def load_health(tree: ParamTree) -> Health:
    """Load and validate ``params/population/health.yaml`` (see the module docstring).

    Raises:
        ParamError: Naming file, section, entry and key.
    """
    where = tree.where(REL)
    raw = tree.yaml(REL)
    if not isinstance(raw, dict) or not raw:
        raise ParamError(f"{where}: expected a mapping of sections")
    sections, seen = {}, {}
    for sname, block in raw.items():
        if not isinstance(block, dict):
            raise ParamError(f"{where}: {sname}: expected a mapping of entries")
        sec = Section(sname)
        for name, entry in block.items():
            if name in seen:
                raise ParamError(
                    f"{where}: {sname}.{name}: the name is also used in section {seen[name]}"
                )
            seen[name] = sname
            _entry(sec, name, entry, f"{where}: {sname}.{name}")
        sections[sname] = sec
    return Health(sections)


def check_entries(section: Section, declared: dict[str, str], where: str) -> None:
    """Check that a section holds exactly the declared entries, of the declared forms.

    Args:
        section: The section.
        declared: Entry → form (``"curve"``, ``"value"``, ``"table"``, ``"group"``).
        where: ``params/population/health.yaml: <section>``.

    Raises:
        ParamError: On a missing or unknown entry (with "did you mean"), or a wrong form.
    """
    have = section.entries
    unknown = sorted(have - set(declared))
    missing = sorted(set(declared) - have)
    if unknown:
        raise ParamError(
            f"{where}: unknown entr{'y' if len(unknown) == 1 else 'ies'} {unknown}"
            f"{did_you_mean(unknown[0], declared)} (allowed: {', '.join(sorted(declared))})"
        )
    if missing:
        raise ParamError(f"{where}: missing entr{'y' if len(missing) == 1 else 'ies'} {missing}")
    for name, form in declared.items():
        ok = {
            "curve": name in section.curves,
            "table": name in section.shares,
            "value": name in section.values,
            "group": any(k.startswith(name + ".") for k in section.values),
        }[form]
        if not ok:
            raise ParamError(f"{where}.{name}: expected a {form}")

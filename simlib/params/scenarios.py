"""Scenarios: validated changes to any parameter, from a given year on.

A scenario is a YAML file (in ``params/scenarios/`` or anywhere), a dict or a
:class:`Scenario`. Every key is optional except ``description``::

    description: Datong raises its old-age allowance and lowers the service-subsidy age
    take_up:      {caring_visits: {target: 0.8, year: 2025}}  # ramp from ramp_start_year
    definitions:  {economic_hardship: broad}                  # a reading, every city
    harmonise:    [old_age_allowance, care_subsidy]           # most generous of the lists
    harmonise_cities: [changzhi, datong, jincheng, puyang, xiaoyi]  # …of these (and the run's)
    health:       {dibao_exit: 0.1}                           # any entry of health.yaml
                                                              # (group.member for groups)
    outcomes:     {fte_hours: 1800, travel_minutes: 30}       # outcomes.yaml scalars
    targets:                                                  # alternative targets
      datong.visit_rate_2025: {value: 0.8, year: 2025}
    changes:                                                  # anything else
      - item: datong.8                      # an item of a list
        from: 2026                          # optional: the change holds from this year
        set: {"benefit.cash[0].yuan": 100}  # path inside the item → new value (quoted:
                                            # [ ] inside { } needs quotes in YAML)
      - item: datong.10
        set: {eligibility: {all: [{attr: age, min: 75}, {ref: economic_hardship}]}}
      - standard: datong.dibao              # <city>.<standard>
        set: {value: {urban: 700, rural: 550}}
      - definition: datong.economic_hardship
        set: {default: broad}
      - outcomes:                           # outcomes.yaml (nothing after the colon)
        set: {unit_cost_yuan.values.visit.value: 60}
      - document: puyang                    # a list's document block, e.g. its date of
        set: {effective.value: 2025-07-01}  # effect (items without their own date follow)
      - add_item: {id: datong.23, number: 23, ...}   # a whole new item
      - remove_item: datong.22
      - programme: voucher_2026             # a programme (params/programmes/<name>.yaml)
        set: {in_force.to: 2030-12-31}
      - item: programme.voucher_2026.1      # an item of a programme
        set: {"benefit.care_voucher[0].cap_yuan": 600}
      - add_programme: {programme: ltci_national, …}   # a whole new programme
      - care_purchase:                      # the care purchase model (care_purchase.yaml)
        set: {prices.home_care_hour.value: 50}
      - funding:                            # default funding splits (funding.yaml)
        set: {all.families.old_age_allowance.provincial.value: 0.3,
              all.families.old_age_allowance.city.value: 0.7}

Changes are applied to the parsed parameter files (nothing on disk changes) and the result is
validated by the same loaders as ``params/`` itself: an unknown path, key, attribute, unit or
type, or a value outside its physical domain, is an error naming the scenario file and the
change, raised before anything runs. A value outside an assumption's *documented range* is
allowed in a scenario — that is what alternatives are for — and recorded in
:attr:`Applied.out_of_range` (and so in the run's manifest).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simlib.core.checks import keys, number, typed
from simlib.core.errors import ParamError, ParamTypeError, did_you_mean
from simlib.core.reader import read_yaml, sha256
from simlib.params.dated import Indexation, parse_indexation
from simlib.params.tree import ParamTree

#: The top-level keys of a scenario.
SCENARIO_KEYS = (
    "description",
    "take_up",
    "definitions",
    "harmonise",
    "harmonise_cities",
    "health",
    "outcomes",
    "targets",
    "changes",
    "index_standards",
)
#: outcomes.yaml scalars that ``outcomes:`` may set (short name → path).
OUTCOME_SCALARS = {
    "travel_minutes": "travel_minutes.value",
    "fte_hours": "fte_hours_per_year.value",
    "ramp_start_year": "ramp_start_year.value",
}
#: What a change may address, and whether it may carry ``from``.
SELECTORS = {
    "item": True,
    "standard": True,
    "definition": True,
    "outcomes": True,
    "document": False,
    "health": False,
    "target": False,
    "add_item": True,
    "remove_item": True,
    "programme": True,
    "add_programme": True,
    "care_purchase": True,
    "funding": True,
}
#: Selectors that address a whole file (written with nothing after the colon) → the file.
_WHOLE_FILE = {
    "outcomes": "outcomes.yaml",
    "care_purchase": "care_purchase.yaml",
    "funding": "funding.yaml",
}
FIRST_YEAR, LAST_YEAR = 2020, 2050


@dataclass(frozen=True)
class Change:
    """One validated change: where it applies, what it sets, from which year.

    Attributes:
        selector: One of :data:`SELECTORS`.
        target: The item id, ``city.standard``, ``city.definition``, health entry or
            target id (empty for ``outcomes``); for ``add_item`` the new item's id.
        set: Relative path → new value (for ``add_item``: ``{"": item}``).
        start: First calendar year the change holds (None: from the start).
        label: ``changes[i]`` (or the shorthand key) for error messages.
    """

    selector: str
    target: str
    set: dict[str, Any]
    start: int | None
    label: str


@dataclass(frozen=True)
class Scenario:
    """A validated scenario (see the module docstring).

    Attributes:
        name: Name (file stem, or given).
        description: One line.
        take_up: Family → (target share, year): take-up ramps.
        definitions: Definition → variant, for every city.
        harmonise: Families harmonised at the most generous standard.
        harmonise_cities: The cities whose lists are pooled (with the list applied), named
            so that adding a city to the params changes no other city's harmonised run.
        targets: Target id → (value, year): alternative targets that drive provision.
        changes: Changes to parameters.
        index: Yearly rise of city standards from a year on (``index_standards``).
        origin: Where it came from (a file path, ``params/scenarios/<name>.yaml`` or
            ``dict``), for messages and the manifest.
        content: The scenario as given (for the manifest).
    """

    name: str
    description: str
    take_up: dict[str, tuple[float, int]] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)
    harmonise: tuple[str, ...] = ()
    targets: dict[str, tuple[float, int]] = field(default_factory=dict)
    changes: tuple[Change, ...] = ()
    origin: str = "dict"
    content: dict = field(default_factory=dict, compare=False)
    index: Indexation | None = None
    harmonise_cities: tuple[str, ...] = ()

    @property
    def hash(self) -> str:
        """SHA-256 of the scenario's content (what it changes, not where it was read from)."""
        return sha256(json.dumps(self.content, sort_keys=True, default=str).encode())

    @property
    def years(self) -> tuple[int, ...]:
        """The distinct years from which dated changes hold."""
        return tuple(sorted({c.start for c in self.changes if c.start is not None}))


def list_scenarios(tree: ParamTree) -> list[str]:
    """Names of the scenarios in ``params/scenarios/``."""
    return [Path(p).stem for p in tree.paths("scenarios")]


def read_scenario(spec: str | Path | Mapping | Scenario | list, tree: ParamTree) -> Scenario:
    """A scenario from a name, a YAML path, a dict, a :class:`Scenario`, or a list of them.

    A list is applied in order (:func:`stack`). A string is a scenario name of
    ``params/scenarios/`` unless it ends in ``.yaml``/``.yml`` or names an existing file.

    Raises:
        ParamError: If the scenario cannot be found or is invalid (naming file and key).
    """
    if isinstance(spec, Scenario):
        return spec
    if isinstance(spec, (list, tuple)):
        return stack([read_scenario(one, tree) for one in spec])
    if isinstance(spec, Mapping):
        return parse_scenario(dict(spec), "dict", "scenario (dict)")
    if not isinstance(spec, (str, Path)):
        raise ParamTypeError(
            f"scenario: expected a name, a path to a YAML file, a dict or a Scenario, got "
            f"{type(spec).__name__}"
        )
    s = str(spec)
    names = list_scenarios(tree)
    if not s.strip():
        raise ParamError(
            f"scenario: empty name; give one of {', '.join(names)}, or a path to a .yaml file"
        )
    if isinstance(spec, str) and s in names:
        rel = f"scenarios/{s}.yaml"
        return parse_scenario(tree.yaml(rel), s, tree.where(rel))
    path = Path(s).expanduser()
    if path.suffix in (".yaml", ".yml") or path.exists():
        raw = read_yaml(path, str(path))
        return parse_scenario(raw, path.stem, str(path))
    raise ParamError(
        f"unknown scenario {s!r}{did_you_mean(s, names)}; give one of {', '.join(names)}, "
        "or a path to a .yaml file"
    )


#: Keys of a scenario that map a name to a setting (merged by name when stacked).
_MERGED = ("take_up", "definitions", "health", "outcomes", "targets")


def stack(scenarios: list[Scenario]) -> Scenario:
    """Several scenarios applied in order, as one scenario with its own content and hash.

    ``stack([targets_2025, my_reform])`` is targets_2025 and then my_reform: their changes
    are applied in that order (a later change to the same item path holds, from its year);
    their ``take_up``, ``definitions``, ``health``, ``outcomes`` and ``targets`` entries are
    merged, a later scenario's entry replacing an earlier one's; ``harmonise`` families and
    ``harmonise_cities`` are joined; a key holding one setting (``index_standards``) is the
    later scenario's. Each *conflict* — two scenarios setting the same thing to different
    values — is reported by a warning naming both and which holds. The stack's content is a
    valid scenario (each change noting the scenario it came from), so its hash identifies
    the stack: the same scenarios in the same order give the same run identity.

    Args:
        scenarios: The scenarios, in the order they apply.

    Returns:
        The stacked :class:`Scenario` (the single scenario itself if there is one).

    Raises:
        ParamError: If the list is empty.
    """
    import warnings

    if not scenarios:
        raise ParamError("scenario: an empty list; give at least one scenario to stack")
    if len(scenarios) == 1:
        return scenarios[0]
    content: dict[str, Any] = {
        "description": " + ".join(f"{s.name} ({s.description})" for s in scenarios)
    }
    origin: dict[tuple, str] = {}
    conflicts: list[str] = []
    harmonise: list[str] = []
    pooled: list[str] = []
    changes: list[dict] = []
    for s in scenarios:
        raw = copy.deepcopy(s.content)
        for key in _MERGED:
            for name, value in (raw.get(key) or {}).items():
                block = content.setdefault(key, {})
                if name in block and block[name] != value:
                    conflicts.append(
                        f"{key}.{name} is {block[name]!r} in {origin[(key, name)]} and "
                        f"{value!r} in {s.name}; {s.name}'s holds"
                    )
                block[name] = value
                origin[(key, name)] = s.name
        harmonise += [f for f in raw.get("harmonise") or [] if f not in harmonise]
        pooled += [c for c in raw.get("harmonise_cities") or [] if c not in pooled]
        for key in SCENARIO_KEYS:  # keys holding one setting each (index_standards): replaced
            if key in (*_MERGED, "description", "harmonise", "harmonise_cities", "changes"):
                continue
            if key not in raw:
                continue
            if key in content and content[key] != raw[key]:
                conflicts.append(
                    f"{key} is {content[key]!r} in {origin[(key,)]} and {raw[key]!r} in "
                    f"{s.name}; {s.name}'s holds"
                )
            content[key] = raw[key]
            origin[(key,)] = s.name
        for ch, raw_ch in zip(
            [c for c in s.changes if c.label.startswith("changes[")],
            raw.get("changes") or [],
            strict=True,
        ):
            for path, value in ch.set.items():
                key = ("change", ch.selector, ch.target, path)
                before = origin.get(key)
                if before is not None and before[1] != value:
                    conflicts.append(
                        f"{ch.target or ch.selector} {path} is set to {before[1]!r} by "
                        f"{before[0]} and to {value!r} by {s.name}"
                        + (f" from {ch.start}" if ch.start else "")
                        + f"; {s.name}'s holds"
                        + (f" from {ch.start}" if ch.start else "")
                    )
                origin[key] = (s.name, value)
            note = raw_ch.get("note")
            changes.append({**raw_ch, "note": f"{s.name}: {note}" if note else f"from {s.name}"})
    if harmonise:
        content["harmonise"] = harmonise
        content["harmonise_cities"] = pooled
    if changes:
        content["changes"] = changes
    for line in conflicts:
        warnings.warn(f"stacked scenarios conflict: {line}", UserWarning, stacklevel=4)
    name = "+".join(s.name for s in scenarios)
    return parse_scenario(content, name, " + ".join(s.origin for s in scenarios))


def _year(v: Any, where: str) -> int:
    return number(v, where, lo=FIRST_YEAR, hi=LAST_YEAR, integer=True)


def parse_scenario(raw: Any, name: str, where: str) -> Scenario:
    """Validate a parsed scenario's structure (values are checked when applied).

    Args:
        raw: The parsed YAML or dict.
        name: Its name.
        where: Where it came from, for error messages.

    Returns:
        The :class:`Scenario`.
    """
    raw = keys(raw if raw is not None else {}, where, {"description"}, set(SCENARIO_KEYS))
    content = copy.deepcopy(raw)
    description = typed(raw["description"], str, f"{where}: description")
    if not description.strip():
        raise ParamError(f"{where}: description: must not be empty")
    take_up = {}
    for fam, spec in _mapping(raw.get("take_up"), f"{where}: take_up").items():
        w = f"{where}: take_up.{fam}"
        spec = keys(spec, w, {"target", "year"})
        take_up[fam] = (
            number(spec["target"], f"{w}.target", unit="share"),
            _year(spec["year"], f"{w}.year"),
        )
    definitions = {
        k: typed(v, str, f"{where}: definitions.{k}")
        for k, v in _mapping(raw.get("definitions"), f"{where}: definitions").items()
    }
    harmonise = raw.get("harmonise") or []
    if not isinstance(harmonise, list) or not all(isinstance(f, str) for f in harmonise):
        raise ParamError(f"{where}: harmonise: expected a list of item families")
    pooled = raw.get("harmonise_cities") or []
    if not isinstance(pooled, list) or not all(isinstance(c, str) for c in pooled):
        raise ParamError(f"{where}: harmonise_cities: expected a list of city keys")
    if harmonise and not pooled:
        raise ParamError(
            f"{where}: harmonise needs harmonise_cities, the cities whose lists are pooled "
            "(e.g. [changzhi, datong, jincheng, puyang, xiaoyi]), so that adding a city "
            "changes no other city's results"
        )
    if pooled and not harmonise:
        raise ParamError(f"{where}: harmonise_cities without harmonise (no family to pool)")
    targets = {}
    for tid, spec in _mapping(raw.get("targets"), f"{where}: targets").items():
        w = f"{where}: targets.{tid}"
        spec = keys(spec, w, {"value"}, {"year"})
        targets[tid] = (
            number(spec["value"], f"{w}.value", lo=0),
            _year(spec["year"], f"{w}.year") if "year" in spec else None,
        )
    changes = []
    for k, v in _mapping(raw.get("health"), f"{where}: health").items():
        # {entry: v} sets a scalar; {entry.member: v} a member of a group, as the keys of
        # the assumption registry name them (care_level_min_adl.partial_care).
        entry, _, member = str(k).partition(".")
        path = f"{member}.value" if member else "value"
        _parse_path(path, f"{where}: health.{k}")
        changes.append(Change("health", entry, {path: v}, None, f"health.{k}"))
    for k, v in _mapping(raw.get("outcomes"), f"{where}: outcomes").items():
        if k not in OUTCOME_SCALARS:
            raise ParamError(
                f"{where}: outcomes.{k}: unknown{did_you_mean(k, OUTCOME_SCALARS)} (allowed: "
                f"{', '.join(OUTCOME_SCALARS)}; set anything else with changes: - outcomes:)"
            )
        changes.append(Change("outcomes", "", {OUTCOME_SCALARS[k]: v}, None, f"outcomes.{k}"))
    lst = raw.get("changes") or []
    if not isinstance(lst, list):
        raise ParamError(f"{where}: changes: expected a list of changes")
    for i, ch in enumerate(lst):
        changes.append(_change(ch, f"{where}: changes[{i}]", f"changes[{i}]"))
    return Scenario(
        name,
        description,
        take_up,
        definitions,
        tuple(harmonise),
        targets,
        tuple(changes),
        where,
        content,
        parse_indexation(raw.get("index_standards"), f"{where}: index_standards"),
        tuple(dict.fromkeys(pooled)),
    )


def _mapping(v: Any, where: str) -> dict:
    if v is None:
        return {}
    if not isinstance(v, Mapping):
        raise ParamError(f"{where}: expected a mapping")
    return dict(v)


def _change(ch: Any, where: str, label: str) -> Change:
    if not isinstance(ch, Mapping):
        raise ParamError(f"{where}: expected a mapping")
    sel = [k for k in ch if k in SELECTORS]
    if len(sel) != 1:
        raise ParamError(
            f"{where}: give exactly one of {', '.join(SELECTORS)} (got {sorted(map(str, ch))})"
        )
    (s,) = sel
    whole = ("add_item", "remove_item", "add_programme")
    allowed = {s, "from", "note"} | ({"set"} if s not in whole else set())
    keys(ch, where, {s} | ({"set"} if "set" in allowed else set()), allowed)
    start = _year(ch["from"], f"{where}.from") if "from" in ch else None
    if start is not None and not SELECTORS[s]:
        raise ParamError(f"{where}.from: a {s} change holds from the start; remove from:")
    if s == "add_item":
        item = ch[s]
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            raise ParamError(f"{where}.add_item: expected a whole item with an id")
        return Change(s, item["id"], {"": copy.deepcopy(dict(item))}, start, label)
    if s == "add_programme":
        prog = ch[s]
        if not isinstance(prog, Mapping) or not isinstance(prog.get("programme"), str):
            raise ParamError(f"{where}.add_programme: expected a whole programme with its name")
        return Change(s, prog["programme"], {"": copy.deepcopy(dict(prog))}, start, label)
    if s in _WHOLE_FILE:
        target = ""
        if ch[s] not in (None, {}, ""):
            raise ParamError(f"{where}.{s}: write '{s}:' with nothing after it")
    else:
        target = typed(ch[s], str, f"{where}.{s}")
    if s == "remove_item":
        return Change(s, target, {}, start, label)
    paths = ch["set"]
    if not isinstance(paths, Mapping) or not paths:
        raise ParamError(f"{where}.set: expected a mapping of path: value")
    for p in paths:
        _parse_path(p, f"{where}.set")
    return Change(s, target, dict(paths), start, label)


_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_\-]*)((?:\[\d+\])*)")


def _parse_path(path: str, where: str) -> list[str | int]:
    """``a.b[0].c`` → ``["a", "b", 0, "c"]``."""
    if not isinstance(path, str):
        raise ParamError(f"{where}: a path must be text, got {path!r}")
    out: list[str | int] = []
    for part in path.split("."):
        m = _STEP.fullmatch(part)
        if not m:
            raise ParamError(f"{where}: cannot read path {path!r} (write a.b[0].c)")
        out.append(m.group(1))
        out += [int(i) for i in re.findall(r"\[(\d+)\]", m.group(2))]
    return out


def _set(node: Any, path: list[str | int], value: Any, where: str) -> Any:
    """Set ``value`` at ``path`` under ``node`` (intermediate steps must exist).

    Returns:
        The old value (None if the last key is new).
    """
    for i, step in enumerate(path[:-1]):
        node = _step(node, step, path, i, where)
    last = path[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or not 0 <= last < len(node):
            raise ParamError(f"{where}: no element [{last}] at {_show(path)}")
        old, node[last] = node[last], value
        return old
    if not isinstance(node, dict):
        raise ParamError(f"{where}: {_show(path[:-1])} is not a mapping")
    old = node.get(last)
    node[last] = copy.deepcopy(value)
    return old


def _step(node: Any, step: str | int, path: list, i: int, where: str) -> Any:
    if isinstance(step, int):
        if not isinstance(node, list) or not 0 <= step < len(node):
            raise ParamError(f"{where}: no element [{step}] at {_show(path[: i + 1])}")
        return node[step]
    if not isinstance(node, dict) or step not in node:
        have = list(node) if isinstance(node, dict) else []
        raise ParamError(
            f"{where}: no key {step!r}{did_you_mean(step, have)} at {_show(path[: i + 1])}"
            + (f" (keys there: {', '.join(map(str, have))})" if have else "")
        )
    return node[step]


def _show(path: list) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


_VALUE_KEYS = ("value", "yuan", "multiple", "n")


@dataclass
class Applied:
    """The result of applying a scenario's changes in force in one year.

    Attributes:
        tree: The changed params tree.
        out_of_range: Values set outside an assumption's documented range:
            ``{"change", "path", "value", "range"}``.
    """

    tree: ParamTree
    out_of_range: list[dict] = field(default_factory=list)


def apply_changes(
    tree: ParamTree, scenario: Scenario, year: int | None = None, extra: tuple[Change, ...] = ()
) -> Applied:
    """Apply the changes of ``scenario`` in force in ``year`` (all undated ones if None).

    Args:
        tree: The base params tree.
        scenario: The scenario.
        year: Calendar year: dated changes with ``from`` ≤ year are applied.
        extra: Further changes (e.g. assumption overrides of a sensitivity sample), applied
            last and held to their documented ranges.

    Returns:
        The :class:`Applied` tree.

    Raises:
        ParamError: Naming the scenario, the change and the path, if a target or path does
            not exist.
    """
    docs: dict[str, Any] = {}
    out_of_range: list[dict] = []

    def doc(rel: str) -> Any:
        if rel not in docs:
            docs[rel] = tree.yaml(rel)
        return docs[rel]

    todo = [
        c for c in scenario.changes if c.start is None or (year is not None and c.start <= year)
    ]
    for i, ch in enumerate([*todo, *extra]):
        where = f"{scenario.origin}: {ch.label}"
        strict = i >= len(todo)  # an extra change (by position: comparing changes is slow)
        if ch.selector == "add_programme":
            rel = f"programmes/{ch.target}.yaml"
            if rel in tree or rel in docs:
                raise ParamError(
                    f"{where}: programme {ch.target} exists already; change it instead"
                )
            docs[rel] = copy.deepcopy(ch.set[""])
            continue
        if ch.selector == "programme":
            rel = _programme_rel(ch.target, tree, docs, where)
            node, base = doc(rel), rel
        elif ch.selector in ("item", "remove_item", "add_item"):
            if ch.target.startswith("programme."):  # an item of a programme
                rel = _programme_rel(ch.target.split(".")[1], tree, docs, where)
            else:
                rel = f"services/{_city_of(ch.target, tree, where)}.yaml"
            items = doc(rel).get("items")
            idx = [
                i
                for i, it in enumerate(items)
                if isinstance(it, dict) and it.get("id") == ch.target
            ]
            if ch.selector == "add_item":
                if idx:
                    raise ParamError(f"{where}: item {ch.target} exists already; change it instead")
                items.append(copy.deepcopy(ch.set[""]))
                continue
            if not idx:
                ids = [it.get("id") for it in items if isinstance(it, dict)]
                raise ParamError(
                    f"{where}: no item {ch.target!r}{did_you_mean(ch.target, ids)} in params/{rel}"
                )
            if ch.selector == "remove_item":
                items.pop(idx[0])
                continue
            node, base = items[idx[0]], f"{rel}: {ch.target}"
        elif ch.selector in ("standard", "definition"):
            city, name = _split(ch.target, where)
            _city_of(f"{city}.x", tree, where)
            block = "standards" if ch.selector == "standard" else "definitions"
            rel = f"cities/{city}.yaml"
            container = doc(rel).get(block) or {}
            if name not in container:
                raise ParamError(
                    f"{where}: params/{rel} has no {ch.selector} {name!r}"
                    f"{did_you_mean(name, container)} (has: {', '.join(container)})"
                )
            node, base = container[name], f"{rel}: {block}.{name}"
        elif ch.selector in _WHOLE_FILE:
            rel = _WHOLE_FILE[ch.selector]
            if rel not in tree and rel not in docs:
                raise ParamError(f"{where}: the params tree has no {rel}")
            node, base = doc(rel), rel
        elif ch.selector == "document":
            city = _city_of(f"{ch.target}.x", tree, where)
            rel = f"services/{city}.yaml"
            node, base = doc(rel).get("document"), f"{rel}: document"
            if not isinstance(node, dict):
                raise ParamError(f"{where}: params/{rel} has no document block")
        elif ch.selector == "health":
            health = doc("population/health.yaml")
            owner = [
                s for s, block in health.items() if isinstance(block, dict) and ch.target in block
            ]
            if not owner:
                names = [n for b in health.values() if isinstance(b, dict) for n in b]
                raise ParamError(
                    f"{where}: no entry {ch.target!r}{did_you_mean(ch.target, names)} in "
                    "params/population/health.yaml"
                )
            node, base = health[owner[0]][ch.target], f"health.yaml: {ch.target}"
        else:  # target
            city = _city_of(ch.target, tree, where)
            rel = f"targets/{city}.yaml"
            ts = [t for t in doc(rel).get("targets") or [] if t.get("id") == ch.target]
            if not ts:
                raise ParamError(f"{where}: no target {ch.target!r} in params/{rel}")
            node, base = ts[0], f"{rel}: {ch.target}"
        for p, value in ch.set.items():
            path = _parse_path(p, where)
            _set(node, path, value, f"{where}.set.{p}")
            _check_range(node, path, value, where, f"{base}.{p}", strict, out_of_range)
    note = json.dumps([scenario.hash, year, [c.label for c in extra]])
    by = (
        scenario.origin if scenario.origin.startswith("scenario") else f"scenario {scenario.origin}"
    )
    return Applied(tree.with_documents(docs, note, by) if docs else tree, out_of_range)


def _check_range(node, path, value, where, label, strict, out_of_range) -> None:
    """Record (scenario) or refuse (sensitivity) a value outside its documented range."""
    if not path or path[-1] not in _VALUE_KEYS or isinstance(value, bool):
        return
    parent = node
    for step in path[:-1]:
        parent = parent[step]
    if not isinstance(parent, dict) or not parent.get("assumption"):
        return
    rng = parent.get("range")
    number = isinstance(value, (int, float))
    date = isinstance(value, dt.date) and all(isinstance(x, dt.date) for x in rng or ())
    if not (isinstance(rng, list) and len(rng) == 2 and (number or date)):
        return
    lo, hi = rng
    if lo <= value <= hi:
        return
    if strict:
        raise ParamError(f"{where}: {label} = {value} outside its documented range [{lo}, {hi}]")
    out_of_range.append({"change": where, "path": label, "value": value, "range": [lo, hi]})
    parent["range"] = [min(lo, value), max(hi, value)]


def _programme_rel(name: str, tree: ParamTree, docs: dict, where: str) -> str:
    """The file of programme ``name`` (on disk or added by an earlier change)."""
    rel = f"programmes/{name}.yaml"
    if rel not in tree and rel not in docs and rel not in tree.overrides:
        names = [p.rsplit("/", 1)[1].removesuffix(".yaml") for p in tree.paths("programmes")]
        raise ParamError(
            f"{where}: no programme {name!r}{did_you_mean(name, names)} in params/programmes/"
        )
    return rel


def _split(target: str, where: str) -> tuple[str, str]:
    if not isinstance(target, str) or "." not in target:
        raise ParamError(f"{where}: expected <city>.<name>, got {target!r}")
    city, name = target.split(".", 1)
    return city, name


def _city_of(target: str, tree: ParamTree, where: str) -> str:
    from simlib.params.tree import city_keys

    city, _ = _split(target, where)
    cities = city_keys(tree)
    if city not in cities:
        raise ParamError(
            f"{where}: unknown city {city!r}{did_you_mean(city, cities)} in {target!r}"
        )
    return city

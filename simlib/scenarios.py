"""Scenarios: small YAML files in ``params/scenarios/`` that override parameters.

A scenario may set (every key optional; anything else is an error)::

    description: one line
    take_up:      {family: {target: share, year: Y}}   # ramped from ramp_start_year
    definitions:  {name: variant}                      # e.g. economic_hardship: broad
    harmonise:    [family, ...]                        # most generous of the five lists
    health:       {scalar: value}                      # params/population/health.yaml
    outcomes:     {travel_minutes: x, fte_hours: y}    # params/outcomes.yaml scalars

Overrides are validated like all params: an override of a key that does not exist is an
error naming the scenario file and the key. Policy transfer (another city's list on this
city's population) is a run option, ``list_city``, that combines with any scenario.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from simlib.outcomes import OutcomeParams, load_outcome_params
from simlib.params import (
    CITIES,
    PARAMS_DIR,
    City,
    ParamError,
    _keys,
    load_city,
    read_yaml,
    vocabulary,
)
from simlib.population import Health, load_health
from simlib.services import CompositeItem

#: OutcomeParams fields a scenario may override.
_OUTCOME_SCALARS = ("travel_minutes", "fte_hours")


@dataclass(frozen=True)
class Scenario:
    """A validated scenario."""

    name: str
    description: str
    take_up: dict[str, tuple[float, int]] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)
    harmonise: tuple[str, ...] = ()
    health: dict[str, float] = field(default_factory=dict)
    outcomes: dict[str, float] = field(default_factory=dict)


def list_scenarios(params_dir: Path = PARAMS_DIR) -> list[str]:
    """Names of the scenarios in ``params/scenarios/``."""
    return sorted(p.stem for p in (params_dir / "scenarios").glob("*.yaml"))


def load_scenario(name: str, params_dir: Path = PARAMS_DIR) -> Scenario:
    """Load and validate ``params/scenarios/<name>.yaml``.

    Raises:
        ParamError: On an unknown scenario or any invalid or unknown key.
    """
    names = list_scenarios(params_dir)
    if name not in names:
        raise ParamError(f"unknown scenario {name!r}; available: {', '.join(names)}")
    where = f"params/scenarios/{name}.yaml"
    raw = _keys(
        read_yaml(params_dir / "scenarios" / f"{name}.yaml") or {},
        where,
        {"description"},
        {"take_up", "definitions", "harmonise", "health", "outcomes"},
    )
    vocab = vocabulary(params_dir)
    take_up = {}
    for fam, spec in (raw.get("take_up") or {}).items():
        w = f"{where}: take_up.{fam}"
        if fam not in vocab["families"]:
            raise ParamError(f"{w}: unknown item family; allowed: {', '.join(vocab['families'])}")
        spec = _keys(spec, w, {"target", "year"})
        target, year = spec["target"], spec["year"]
        if not isinstance(target, (int, float)) or not 0 <= target <= 1:
            raise ParamError(f"{w}.target: a share in [0, 1], got {target!r}")
        if not isinstance(year, int) or not 2020 <= year <= 2035:
            raise ParamError(f"{w}.year: a year in 2020..2035, got {year!r}")
        take_up[fam] = (float(target), year)
    harmonise = tuple(raw.get("harmonise") or ())
    bad = [f for f in harmonise if f not in vocab["families"]]
    if bad:
        raise ParamError(f"{where}: harmonise: unknown families {bad}")
    health = dict(raw.get("health") or {})
    known = load_health(params_dir).values
    if set(health) - set(known):
        raise ParamError(
            f"{where}: health: unknown key(s) {sorted(set(health) - set(known))}; "
            f"allowed: {', '.join(sorted(known))}"
        )
    outcomes = dict(raw.get("outcomes") or {})
    if set(outcomes) - set(_OUTCOME_SCALARS):
        raise ParamError(
            f"{where}: outcomes: unknown key(s) {sorted(set(outcomes) - set(_OUTCOME_SCALARS))}; "
            f"allowed: {', '.join(_OUTCOME_SCALARS)}"
        )
    for k, v in {**health, **outcomes}.items():
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            raise ParamError(f"{where}: {k}: expected a number, got {v!r}")
    definitions = dict(raw.get("definitions") or {})
    return Scenario(name, raw["description"], take_up, definitions, harmonise, health, outcomes)


def build_services(scenario: Scenario, list_city: str, params_dir: Path = PARAMS_DIR) -> City:
    """The service list a scenario applies: ``list_city``'s list with its overrides.

    Args:
        scenario: The scenario.
        list_city: Whose list is applied.
        params_dir: Root of the params tree.

    Returns:
        A :class:`City` whose items may include harmonised composites.
    """
    city = load_city(list_city, params_dir, definition_variants=scenario.definitions)
    if not scenario.harmonise:
        return city
    others = {key: load_city(key, params_dir) for key in CITIES}

    def parts_of(fam: str) -> tuple:
        return tuple(
            (it, others[key].context.standards)
            for key in CITIES
            for it in others[key].items
            if it.family == fam
        )

    items = []
    done = set()
    for item in city.items:
        fam = item.family
        if fam in scenario.harmonise:
            if fam in done:
                continue  # one composite per family replaces all the city's items of it
            items.append(CompositeItem(item, parts_of(fam)))
            done.add(fam)
        else:
            items.append(item)
    for fam in scenario.harmonise:
        if fam not in done:  # the city's list lacks the family: add the composite anyway
            parts = parts_of(fam)
            if parts:
                items.append(CompositeItem(parts[0][0], parts))
    services = dataclasses.replace(city.services, items=items)
    return dataclasses.replace(city, services=services)


def apply_health(scenario: Scenario, health: Health | None = None) -> Health:
    """Health parameters with the scenario's overrides."""
    health = health or load_health()
    return health.with_values(**scenario.health) if scenario.health else health


def apply_outcomes(scenario: Scenario, params: OutcomeParams | None = None) -> OutcomeParams:
    """Outcome parameters with the scenario's take-up schedules and scalar overrides."""
    params = params or load_outcome_params()
    changes = {k: float(v) for k, v in scenario.outcomes.items()}
    return dataclasses.replace(params, take_up_targets=dict(scenario.take_up), **changes)

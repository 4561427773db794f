"""What identifies one run: :class:`RunSpec`, and its identity with the parameters it used.

A run's identity is its spec **and** the content of what it used — the hash of the params
tree, the scenario's content hash, the source of any experimental process and the simlib
version — so a sweep never returns a result computed with other parameters or another model
(:func:`run_id`).
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simlib.core.errors import ParamError, ParamTypeError
from simlib.core.reader import sha256
from simlib.params.scenarios import Scenario


def version() -> str:
    """The installed simlib version."""
    from simlib import __version__

    return __version__


@dataclass(frozen=True)
class RunSpec:
    """One replication of one city under one scenario.

    Attributes:
        city: Population city.
        scenario: Scenario name of ``params/scenarios/``, or a path to a YAML file.
        rep: Replication number.
        seed: Base seed.
        sample: Fraction of persons represented by agents.
        end_year: Last simulated year.
        list_city: Whose list is applied (None: the city's own).
        overrides: Assumption values, as sorted ``(key, value)`` pairs (registry keys).
        scenario_content: The scenario as JSON when it was given as a dict or object.
        params_dir: A params directory other than the bundled one.
        processes: Experimental processes as references (``module:Class`` or
            ``path/to/file.py:Class``), each replacing the built-in process of its name or
            appended after them (:func:`simlib.population.processes.process_list`); empty
            for the default model.
        groups: Groupings of persons the outcomes are also aggregated by
            (:data:`simlib.outcomes.groups.GROUPINGS`, e.g. ``("age5", "sex")``).
    """

    city: str
    scenario: str = "baseline"
    rep: int = 0
    seed: int = 1
    sample: float = 0.01
    end_year: int = 2035
    list_city: str | None = None
    overrides: tuple[tuple[str, float], ...] = ()
    scenario_content: str | None = None
    params_dir: str | None = None
    processes: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()

    def __post_init__(self):
        if isinstance(self.processes, str) or not all(isinstance(p, str) for p in self.processes):
            raise ParamTypeError(
                f"processes: expected references 'module:Class', got {self.processes!r}"
            )
        object.__setattr__(self, "processes", tuple(self.processes))
        for name, kinds in (("rep", int), ("seed", int), ("end_year", int)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, kinds):
                raise ParamTypeError(f"{name}: expected an integer, got {v!r}")
        if self.rep < 0 or self.seed < 0:
            raise ParamError("rep and seed must be ≥ 0")
        if isinstance(self.sample, bool) or not isinstance(self.sample, (int, float)):
            raise ParamTypeError(f"sample: expected a number, got {self.sample!r}")

    def scenario_arg(self) -> str | Scenario:
        """What to pass to :func:`simlib.params.load_inputs` as the scenario.

        A scenario carried as content keeps the file it came from in its messages.
        """
        if self.scenario_content is not None:
            from simlib.params.scenarios import parse_scenario

            raw = json.loads(self.scenario_content)
            if self.scenario.endswith((".yaml", ".yml")):
                return parse_scenario(raw, Path(self.scenario).stem, self.scenario)
            return parse_scenario(raw, self.scenario, "scenario (dict)")
        return self.scenario

    def as_dict(self) -> dict[str, Any]:
        """``dataclasses.asdict(self)`` without its deep copies: equal, and the same JSON.

        A spec holds only scalars and tuples of them; ``asdict`` copied a design point's
        97 overrides one by one (0.4 ms a call, four calls a point).
        """
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def fields(self) -> dict[str, Any]:
        """The spec as plain values (overrides as a JSON text), for tables and manifests."""
        d = self.as_dict()
        d["overrides"] = json.dumps(dict(self.overrides), sort_keys=True)
        d["list_city"] = self.list_city or self.city
        d["processes"] = " ".join(self.processes)
        return d

    def process_classes(self) -> tuple:
        """The run's process classes in step order (the default model's plus its own)."""
        from simlib.population.processes import process_list

        return process_list(self.processes)


def scenario_spec(scenario: str | Path | dict | Scenario) -> tuple[str, str | None]:
    """``(scenario, scenario_content)`` fields of a spec for any form of scenario."""
    if isinstance(scenario, Scenario):
        return scenario.name, json.dumps(scenario.content, sort_keys=True, default=str)
    if isinstance(scenario, dict):
        return str(scenario.get("name", "custom")), json.dumps(
            scenario, sort_keys=True, default=str
        )
    if isinstance(scenario, Path):  # absolute, links kept (a loop is the loader's to name)
        return os.path.abspath(scenario.expanduser()), None
    if isinstance(scenario, str):
        if not scenario.strip():
            raise ParamError("scenario: empty name; give a scenario name or a path to a .yaml file")
        p = Path(scenario).expanduser()
        if p.suffix in (".yaml", ".yml") or p.exists():
            return os.path.abspath(p), None
        return scenario, None
    raise ParamTypeError(f"scenario: expected a name, path, dict or Scenario, got {scenario!r}")


def run_id(spec: RunSpec, params_hash: str, scenario_hash: str) -> str:
    """A 16-hex-digit identity of a run (a change in any part gives a new id).

    The parts: the spec, the params hash, the scenario's content hash, the source of the
    spec's experimental processes (none for the default model, whose ids do not mention
    them), the simlib version.
    """
    from simlib.population.processes import process_digest

    d = spec.as_dict()
    if spec.processes:
        d["process_sources"] = process_digest(spec.processes)
    else:
        d.pop("processes")
    if not d["groups"]:  # runs without groups keep the identity they had before groups
        del d["groups"]
    text = json.dumps(
        {
            "spec": d,
            "params": params_hash,
            "scenario": scenario_hash,
            "version": version(),
        },
        sort_keys=True,
        default=str,
    )
    return sha256(text.encode())[:16]

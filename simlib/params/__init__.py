"""Layer 2: parameter loading — the only code that opens a file under ``params/``.

* :mod:`~simlib.params.tree` — the params tree, read once per content and hashed;
* :mod:`~simlib.params.readonly` — loaded parameters made read-only (they are shared);
* :mod:`~simlib.params.cities`, :mod:`~simlib.params.services`, :mod:`~simlib.params.targets`
  — a city's context, service list and targets;
* :mod:`~simlib.params.census` — China's county census tables of 2020 and 2010;
* :mod:`~simlib.params.skeleton` — a new city's files from the census (``new-city``);
* :mod:`~simlib.params.health`, :mod:`~simlib.params.demography`,
  :mod:`~simlib.params.outcomes`, :mod:`~simlib.params.vocabulary` — model parameters;
* :mod:`~simlib.params.kinds` — the benefit kinds a params directory brings (``kinds.yaml``);
* :mod:`~simlib.params.funding` — default splits of an item's cost by payer (``funding.yaml``);
* :mod:`~simlib.params.programmes` — national and provincial programmes beside the lists
  (``programmes/``) and the care purchase model (``care_purchase.yaml``);
* :mod:`~simlib.params.scenarios` — validated changes to any of them, from a year on;
* :mod:`~simlib.params.dated` — city standards that change by date, and a scenario's index;
* :mod:`~simlib.params.assumptions` — every assumed number with its range;
* :mod:`~simlib.params.provenance` — each outcome parameter sourced, calibrated, derived,
  proxy or assumed;
* :mod:`~simlib.params.inputs` — everything one run uses, as one object;
* :mod:`~simlib.params.skeleton` — a new city's files written from the census.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from simlib.core.errors import ParamError
from simlib.core.people import SCHEMA, Schema
from simlib.core.reader import read_yaml
from simlib.params.cities import CityContext, load_context
from simlib.params.dated import standards_in_force
from simlib.params.inputs import Inputs, check_city, load_inputs
from simlib.params.readonly import freeze
from simlib.params.scenarios import Scenario, read_scenario
from simlib.params.services import load_services
from simlib.params.targets import Target, load_targets
from simlib.params.tree import ParamTree, city_keys, default_params_dir, read_tree
from simlib.params.vocabulary import load_conventions, load_vocabulary
from simlib.rules.items import Item, ServiceList


@dataclass(frozen=True)
class City:
    """Everything simlib knows about one city: context, service list and targets.

    Read-only (:mod:`simlib.params.readonly`): :func:`load_city` gives it again.
    """

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
    params_dir: str | Path | None = None,
    definition_variants: Mapping[str, str] | None = None,
    schema: Schema | None = None,
    year: int | None = None,
) -> City:
    """Load a city's service list, context and targets, fully validated.

    Args:
        name: A city key (``"datong"``), or its Chinese or English name (``"大同"``).
        params_dir: Root of a params tree (the bundled one by default).
        definition_variants: Which reading of a named definition to use, e.g.
            ``{"economic_hardship": "broad"}``.
        schema: Person attributes rules may read (the base schema by default; a city whose
            list reads a state a custom process adds needs that process's schema,
            :func:`simlib.population.processes.schema_of`).
        year: Use the city standards in force in this calendar year (dated values,
            ``simlib/params/dated.py``); None: those of the price year
            (``params/outcomes.yaml`` ``price_year``, the year the amounts are priced in).

    Returns:
        The :class:`City`.

    Raises:
        ParamError: If any file is invalid; nothing partial is returned.
    """
    tree = read_tree(params_dir)
    key = check_city(name, tree)
    variants = tuple(sorted((definition_variants or {}).items()))
    schema = schema or SCHEMA
    if year is None:
        year = int(tree.yaml("outcomes.yaml")["price_year"]["value"])
    tree = standards_in_force(tree, year, load_conventions(tree).in_force_cutoff_month)
    cache_key = (tree.hash, key, variants, tuple(schema))
    if cache_key not in _CITIES:
        if len(_CITIES) >= 64:
            _CITIES.pop(next(iter(_CITIES)))
        vocab = load_vocabulary(tree)
        ctx = load_context(tree, key, schema)
        services = load_services(
            tree, key, ctx, vocab, load_conventions(tree), dict(variants), schema
        )
        _CITIES[cache_key] = freeze(
            City(key, ctx, services, load_targets(tree, key, vocab.target_measures))
        )
    return _CITIES[cache_key]


#: Loaded cities by (params hash, key, variants): an edited file is always re-read.
_CITIES: dict[tuple, City] = {}


def cities(params_dir: str | Path | None = None) -> tuple[str, ...]:
    """The city keys of a params tree (one per ``params/cities/<key>.yaml``)."""
    return city_keys(read_tree(params_dir))


def __getattr__(name: str):
    if name == "CITIES":  # read from params/cities/ when first asked for
        return cities()
    if name == "PARAMS_DIR":
        return default_params_dir()
    raise AttributeError(f"module 'simlib.params' has no attribute {name!r}")


__all__ = [
    "City",
    "CityContext",
    "Inputs",
    "ParamError",
    "ParamTree",
    "Scenario",
    "cities",
    "load_city",
    "load_inputs",
    "read_scenario",
    "read_tree",
    "read_yaml",
]

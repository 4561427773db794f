"""Everything a run uses, loaded once: :class:`Inputs`.

:func:`load_inputs` reads the params tree, applies the scenario (and any assumption
overrides), validates everything and returns one immutable object: the population city's
context, census and targets; the list applied (the city's own, another city's, or harmonised)
in each period of dated changes; health and mortality; outcome parameters; the scenario; and
the hashes that identify them. The model is built from it, the result keeps it, and every
derived output reads it — never a default.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from simlib.core.errors import ParamError, did_you_mean
from simlib.core.people import SCHEMA, Schema
from simlib.core.reader import sha256
from simlib.params.cities import CityContext, load_context
from simlib.params.dated import change_years, standards_in_force
from simlib.params.demography import Census, Mortality, load_census, load_mortality
from simlib.params.health import Health, load_health
from simlib.params.outcomes import OutcomeParams, load_outcomes
from simlib.params.programmes import programme_take_up
from simlib.params.readonly import freeze
from simlib.params.scenarios import Change, Scenario, apply_changes, read_scenario
from simlib.params.services import load_services
from simlib.params.targets import Target, load_targets
from simlib.params.tree import ParamTree, check_city, city_keys, read_tree
from simlib.params.vocabulary import Conventions, Vocabulary, load_conventions, load_vocabulary
from simlib.rules.items import CompositeItem, ServiceList


@dataclass(frozen=True)
class Period:
    """The policy in force from ``start`` (a calendar year) until the next period.

    Attributes:
        start: First calendar year (None: from the beginning).
        services: The list applied.
        outcomes: Take-up, workload and cost parameters.
    """

    start: int | None
    services: ServiceList
    outcomes: OutcomeParams


@dataclass(frozen=True)
class Inputs:
    """Everything one run uses (see the module docstring).

    Attributes:
        city: Population city.
        list_city: Whose list is applied (``city`` unless transferred).
        scenario: The scenario.
        params_hash: Hash of the params files read (before the scenario).
        context: The population city's context (counties, standards, definitions).
        census: Census tables.
        targets: The population city's targets (with a scenario's alternative values).
        health: Health parameters (with the scenario's changes).
        mortality: Single-year mortality.
        periods: The policy in force in each period of dated changes (first from the start).
        vocabulary: Vocabularies.
        conventions: Model conventions.
        schema: Person attributes.
        overrides: Assumption overrides (registry key → value) of a sensitivity sample.
        out_of_range: Scenario values outside an assumption's documented range.
        params_dir: The params directory read.
    """

    city: str
    list_city: str
    scenario: Scenario
    params_hash: str
    context: CityContext
    census: Census
    targets: tuple[Target, ...]
    health: Health
    mortality: Mortality
    periods: tuple[Period, ...]
    vocabulary: Vocabulary
    conventions: Conventions
    schema: Schema = field(default_factory=lambda: SCHEMA, compare=False)
    overrides: tuple[tuple[str, float], ...] = ()
    out_of_range: tuple[dict, ...] = ()
    params_dir: str = ""

    def policy(self, year: int) -> Period:
        """The period in force in calendar ``year``."""
        current = self.periods[0]
        for p in self.periods[1:]:
            if p.start is not None and p.start <= year:
                current = p
        return current

    @property
    def services(self) -> ServiceList:
        """The list in force at the start."""
        return self.periods[0].services

    @property
    def outcomes(self) -> OutcomeParams:
        """Outcome parameters in force at the start."""
        return self.periods[0].outcomes

    @property
    def hash(self) -> str:
        """Identity of these inputs: params hash, scenario, cities and overrides."""
        text = "|".join(
            [
                self.params_hash,
                self.scenario.hash,
                self.city,
                self.list_city,
                repr(self.overrides),
                ",".join(sorted(self.schema)),
            ]
        )
        return sha256(text.encode())

    def manifest(self) -> dict:
        """What a manifest records of the inputs."""
        return {
            "city": self.city,
            "list_city": self.list_city,
            "params_sha256": self.params_hash,
            "inputs_sha256": self.hash,
            "scenario": {
                "name": self.scenario.name,
                "origin": self.scenario.origin,
                "sha256": self.scenario.hash,
                "content": self.scenario.content,
            },
            "overrides": dict(self.overrides),
            "out_of_documented_range": list(self.out_of_range),
            "params_dir": self.params_dir,
        }


def load_inputs(
    city: str,
    scenario: str | Path | Mapping | Scenario = "baseline",
    *,
    list_city: str | None = None,
    params_dir: str | Path | None = None,
    overrides: Mapping[str, float] | None = None,
    schema: Schema | None = None,
) -> Inputs:
    """Load and validate everything a run of ``city`` under ``scenario`` uses.

    Args:
        city: Population city (key, or Chinese/English name).
        scenario: A scenario name, a path to a YAML file, a dict or a Scenario.
        list_city: Apply this city's list instead of ``city``'s own (policy transfer).
        params_dir: A params directory (the bundled one by default).
        overrides: Assumption registry key → value (sensitivity samples), each within its
            documented range.
        schema: Person attributes (the base schema plus any a custom process adds).

    Returns:
        The :class:`Inputs`.

    Raises:
        ParamError: On any invalid file, scenario, city or override, naming where.
    """
    tree = read_tree(params_dir)
    city = check_city(city, tree)
    list_city = check_city(list_city, tree, "list city") if list_city is not None else city
    scen = read_scenario(scenario, tree)
    over = tuple(sorted((overrides or {}).items()))
    schema = schema or SCHEMA
    key = (tree.hash, city, list_city, scen.hash, scen.origin, over, repr(sorted(schema.items())))
    if key not in _CACHE:
        if len(_CACHE) >= 64:
            _CACHE.pop(next(iter(_CACHE)))
        # read-only: every later call with the same key gets this object (as the loaders'
        # results, which it holds, simlib.params.readonly)
        _CACHE[key] = freeze(_load(tree, city, list_city, scen, over, schema))
    return _CACHE[key]


#: Inputs by (params hash, cities, scenario hash, overrides, schema): a changed file changes
#: the hash, so nothing stale is ever returned.
_CACHE: dict[tuple, Inputs] = {}


def _load(tree: ParamTree, city, list_city, scen: Scenario, over, schema) -> Inputs:
    extra: tuple[Change, ...] = ()
    if over:
        from simlib.params.assumptions import override_changes

        extra = override_changes(tree, dict(over), schema)
    cutoff = load_conventions(tree).in_force_cutoff_month
    # a period starts at each dated change of the scenario and each new value of a standard
    years = [None, *sorted({*scen.years, *change_years(tree, cutoff, scen.index)})]
    periods, out_of_range, first = [], [], None
    applied_by: dict[tuple, object] = {}
    for year in years:
        # periods with the same scenario changes in force share one changed tree (they
        # differ in the standards in force only)
        in_force = tuple(
            i
            for i, c in enumerate(scen.changes)
            if c.start is None or (year is not None and c.start <= year)
        )
        if in_force not in applied_by:
            applied_by[in_force] = apply_changes(tree, scen, year, extra)
        applied = applied_by[in_force]
        out_of_range += [o for o in applied.out_of_range if o not in out_of_range]
        t = standards_in_force(applied.tree, year, cutoff, scen.index)
        vocab = load_vocabulary(t)
        conventions = load_conventions(t)
        services = _services(t, scen, list_city, vocab, conventions, schema)
        outcomes = load_outcomes(t, vocab)
        _check_families(scen, vocab)
        outcomes = dataclasses.replace(
            outcomes,
            take_up={**programme_take_up(t), **outcomes.take_up},  # programmes' own take-up
            take_up_targets=dict(scen.take_up),
        )
        periods.append(Period(year, services, outcomes))
        if first is None:
            first = (t, vocab, conventions)
    t, vocab, conventions = first
    context = load_context(t, city, schema)
    census = load_census(t, context)
    _check_counties(context, census, t)
    targets = _targets(t, city, scen, vocab)
    return Inputs(
        city=city,
        list_city=list_city,
        scenario=scen,
        params_hash=tree.hash,
        context=context,
        census=census,
        targets=targets,
        health=load_health(t),
        mortality=load_mortality(t),
        periods=tuple(periods),
        vocabulary=vocab,
        conventions=conventions,
        schema=schema,
        overrides=over,
        out_of_range=tuple(out_of_range),
        params_dir=str(tree.root),
    )


def _check_families(scen: Scenario, vocab: Vocabulary) -> None:
    for fam in [*scen.take_up, *scen.harmonise]:
        if fam not in vocab.families:
            raise ParamError(
                f"{scen.origin}: unknown item family {fam!r}{did_you_mean(fam, vocab.families)}"
                f"; allowed: {', '.join(vocab.families)}"
            )


def _services(tree, scen: Scenario, list_city, vocab, conventions, schema) -> ServiceList:
    def load(key: str) -> ServiceList:
        ctx = load_context(tree, key, schema)
        # a reading named by the scenario applies where the city defines that reading
        variants = {
            k: v
            for k, v in scen.definitions.items()
            if k in ctx.definitions and v in ctx.definitions[k].variants
        }
        return load_services(tree, key, ctx, vocab, conventions, variants, schema)

    _check_definitions(tree, scen, schema)
    services = load(list_city)
    if not scen.harmonise:
        return services
    pooled = [check_city(c, tree, "harmonise_cities city") for c in scen.harmonise_cities]
    lists = {key: load(key) for key in dict.fromkeys([*pooled, list_city])}

    def members(fam: str) -> tuple:
        return tuple(it for lst in lists.values() for it in lst.items if it.family == fam)

    items, done = [], set()
    for item in services.items:
        fam = item.family
        if fam in scen.harmonise:
            if fam in done:
                continue  # one composite per family replaces all the city's items of it
            items.append(CompositeItem.of(item, members(fam), list_city))
            done.add(fam)
        else:
            items.append(item)
    for fam in scen.harmonise:
        if fam not in done and members(fam):  # the list lacks the family: add it anyway
            items.append(CompositeItem.of(members(fam)[0], members(fam), list_city))
    return dataclasses.replace(services, items=items)


def _check_definitions(tree, scen: Scenario, schema) -> None:
    """A scenario's definition variant must exist in at least one city."""
    if not scen.definitions:
        return
    known: dict[str, set[str]] = {}
    for key in city_keys(tree):
        for name, d in load_context(tree, key, schema).definitions.items():
            known.setdefault(name, set()).update(d.variants)
    for name, variant in scen.definitions.items():
        if name not in known:
            raise ParamError(
                f"{scen.origin}: definitions.{name}: no city defines {name!r}"
                f"{did_you_mean(name, known)}"
            )
        if variant not in known[name]:
            raise ParamError(
                f"{scen.origin}: definitions.{name}: no variant {variant!r}"
                f"{did_you_mean(variant, known[name])}; variants: {', '.join(sorted(known[name]))}"
            )


def _check_counties(context: CityContext, census: Census, tree: ParamTree) -> None:
    """The city file and the census must list the same counties."""
    _, counties = census.city(context.city)
    in_census = set(counties["county"].astype(str))
    in_file = {str(c) for c in context.counties}
    if not in_census:
        raise ParamError(f"no census rows for city {context.city!r} in params/population")
    if in_census != in_file:
        raise ParamError(
            f"params/cities/{context.city}.yaml: counties {sorted(in_file - in_census)} are not "
            f"in the census, and census counties {sorted(in_census - in_file)} are missing"
        )


def _targets(tree: ParamTree, city: str, scen: Scenario, vocab: Vocabulary) -> tuple[Target, ...]:
    targets = load_targets(tree, city, vocab.target_measures)
    ids = {t.id for t in targets}
    out = []
    for tid in scen.targets:
        if tid in ids:
            continue
        # a target of another city is allowed (a scenario may cover several), if it exists
        known = ids if tid.split(".")[0] == city else _all_target_ids(tree, vocab)
        if tid not in known:
            named = sorted((i for i in known if i.split(".", 1)[-1] == tid), key=len)
            hint = (
                f"; did you mean {' or '.join(repr(i) for i in named)}?"
                if named
                else did_you_mean(tid, known)
            )
            raise ParamError(
                f"{scen.origin}: targets.{tid}: no such target{hint} "
                "(a target id is <city>.<name>, as in params/targets/<city>.yaml)"
            )
    for t in targets:
        if t.id in scen.targets:
            value, year = scen.targets[t.id]
            if t.unit == "share" and value > 1:
                raise ParamError(f"{scen.origin}: targets.{t.id}.value: {value} is a share above 1")
            t = dataclasses.replace(t, value=value, year=year or t.year)
        out.append(t)
    return tuple(out)


def _all_target_ids(tree: ParamTree, vocab: Vocabulary) -> set[str]:
    """The ids of every city's targets."""
    from simlib.params.tree import city_keys

    return {t.id for c in city_keys(tree) for t in load_targets(tree, c, vocab.target_measures)}

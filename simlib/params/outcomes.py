"""Parameters that turn eligibility into enrolment, workload and cost (``params/outcomes.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from simlib.core.checks import keys, read_quantity
from simlib.core.errors import ParamError, did_you_mean
from simlib.params.tree import ParamTree, city_keys, remembered
from simlib.params.vocabulary import Vocabulary

REL = "outcomes.yaml"

#: Who a quota serves first among the eligible households not yet served (``quota.rule``):
#: ``neediest_first`` — the household's highest ADL grade (GB/T 42195 level), then its oldest
#: member's age; ``oldest_first`` — age, then ADL grade. Ties: the lower agent index.
QUOTA_RULES = ("neediest_first", "oldest_first")


@dataclass(frozen=True)
class Quota:
    """A family delivered as a yearly programme quota (``params/outcomes.yaml``, ``quota:``).

    Attributes:
        family: Item family.
        per_year: City → households served per year of the programme period.
        first: First year of the programme period.
        last: Last year of the programme period.
        after: Capacity after ``last`` as a share of the period's yearly capacity.
    """

    family: str
    per_year: dict[str, float]
    first: int
    last: int
    after: float

    def capacity(self, city: str, year: int) -> float:
        """Households the city's quota can serve in ``year`` (0 before the programme)."""
        if year < self.first:
            return 0.0
        per = self.per_year[city]
        return per if year <= self.last else per * self.after

    def task(self, city: str) -> float:
        """The programme period's task: households to serve from ``first`` to ``last``."""
        return self.per_year[city] * (self.last - self.first + 1)


@dataclass(frozen=True)
class OutcomeParams:
    """Validated ``params/outcomes.yaml`` (plus a scenario's take-up schedules).

    Attributes:
        price_year: Money is in constant yuan of this year.
        ramp_start_year: Scenario take-up ramps start from their baseline in this year.
        take_up_default: Take-up of families not listed (share of the eligible enrolled).
        take_up: Take-up by item family.
        minutes: Staff minutes per in-kind unit.
        travel_minutes: Travel minutes per unit delivered at home.
        home_units: Units delivered at home.
        fte_hours: Working hours of one full-time post per year.
        unit_cost: Government cost per in-kind unit, yuan.
        bed_cost: Government cost per occupied placement per year, yuan.
        take_up_targets: Scenario schedules: family → (target share, target year).
        quota: Families delivered as yearly quotas (:class:`Quota`), not a take-up share.
        quota_rule: Who a quota serves first (one of :data:`QUOTA_RULES`).
    """

    price_year: int
    ramp_start_year: int
    take_up_default: float
    take_up: dict[str, float]
    minutes: dict[str, float]
    travel_minutes: float
    home_units: tuple[str, ...]
    fte_hours: float
    unit_cost: dict[str, float]
    bed_cost: dict[str, float]
    take_up_targets: dict[str, tuple[float, int]] = field(default_factory=dict)
    quota: dict[str, Quota] = field(default_factory=dict)
    quota_rule: str = QUOTA_RULES[0]

    def quota_for(self, family: str | None, city: str) -> Quota | None:
        """The family's quota in ``city``, or None where take-up applies.

        A scenario's take-up schedule for the family replaces its quota (the scenario asks
        for a share of the eligible served, as the targets_2025 scenario does); so does a
        city the quota has no capacity for.
        """
        q = self.quota.get(family or "")
        if q is None or family in self.take_up_targets or city not in q.per_year:
            return None
        return q

    def take_up_for(self, family: str | None, year: int) -> float:
        """Take-up of an item family in ``year`` (baseline, or ramped to a scenario target).

        Args:
            family: Item family (None → default).
            year: Calendar year.

        Returns:
            Share enrolled among the eligible, in [0, 1].
        """
        base = self.take_up.get(family or "", self.take_up_default)
        if family not in self.take_up_targets:
            return base
        target, by = self.take_up_targets[family]
        if year >= by:
            return target
        if year <= self.ramp_start_year:
            return base
        return base + (target - base) * (year - self.ramp_start_year) / (by - self.ramp_start_year)


def _table(entry, where: str, unit: str | None = None, count_units=()) -> dict[str, float]:
    e = keys(entry, where, {"unit", "values"}, {"description"})
    if not isinstance(e["values"], dict) or not e["values"]:
        raise ParamError(f"{where}.values: expected a mapping of name: quantity")
    return {
        k: read_quantity(
            {**q, "unit": unit or e["unit"]}, f"{where}.{k}", count_units=count_units
        ).value
        for k, q in e["values"].items()
    }


@remembered
def load_outcomes(tree: ParamTree, vocab: Vocabulary) -> OutcomeParams:
    """Load and validate ``params/outcomes.yaml``.

    Raises:
        ParamError: Naming file and key, on any invalid entry or an unknown unit, family or
            placement.
    """
    where = tree.where(REL)
    raw = keys(
        tree.yaml(REL),
        where,
        {
            "price_year",
            "ramp_start_year",
            "take_up",
            "minutes_per_unit",
            "travel_minutes",
            "home_units",
            "fte_hours_per_year",
            "unit_cost_yuan",
            "bed_cost_yuan_per_year",
        },
        {"quota"},
    )
    tu = keys(
        raw["take_up"], f"{where}: take_up", {"unit", "default", "by_family"}, {"description"}
    )
    default = read_quantity({**tu["default"], "unit": "share"}, f"{where}: take_up.default").value
    if not isinstance(tu["by_family"], dict):
        raise ParamError(f"{where}: take_up.by_family: expected a mapping of family: quantity")
    take_up = {}
    for fam, q in tu["by_family"].items():
        if fam not in vocab.families:
            raise ParamError(
                f"{where}: take_up.by_family.{fam}: unknown family"
                f"{did_you_mean(fam, vocab.families)}; allowed: {', '.join(vocab.families)}"
            )
        take_up[fam] = read_quantity(
            {**q, "unit": "share"}, f"{where}: take_up.by_family.{fam}"
        ).value
    minutes = _table(raw["minutes_per_unit"], f"{where}: minutes_per_unit", "minutes")
    unit_cost = _table(raw["unit_cost_yuan"], f"{where}: unit_cost_yuan", "yuan")
    bed_cost = _table(
        raw["bed_cost_yuan_per_year"], f"{where}: bed_cost_yuan_per_year", "yuan per year"
    )
    for name, table, vocab_names in (
        ("minutes_per_unit", minutes, vocab.units),
        ("unit_cost_yuan", unit_cost, vocab.units),
        ("bed_cost_yuan_per_year", bed_cost, vocab.placements),
    ):
        missing = set(vocab_names) - set(table)
        unknown = set(table) - set(vocab_names)
        if missing or unknown:
            raise ParamError(
                f"{where}: {name}: missing {sorted(missing)}, unknown {sorted(unknown)} "
                f"(one entry per name of params/vocabulary)"
            )
    home = keys(raw["home_units"], f"{where}: home_units", {"units"}, {"description"})["units"]
    if not isinstance(home, list) or set(home) - set(vocab.units):
        raise ParamError(
            f"{where}: home_units.units: expected a list of units of params/vocabulary/units.yaml"
        )
    price_year = read_quantity(raw["price_year"], f"{where}: price_year", integer=True).value
    ramp = read_quantity(
        raw["ramp_start_year"], f"{where}: ramp_start_year", integer=True, lo=2020, hi=2035
    ).value
    quota, rule = _quota(raw.get("quota"), f"{where}: quota", vocab, city_keys(tree))
    return OutcomeParams(
        quota=quota,
        quota_rule=rule,
        price_year=int(price_year),
        ramp_start_year=int(ramp),
        take_up_default=float(default),
        take_up=take_up,
        minutes=minutes,
        travel_minutes=read_quantity(raw["travel_minutes"], f"{where}: travel_minutes").value,
        home_units=tuple(home),
        fte_hours=read_quantity(raw["fte_hours_per_year"], f"{where}: fte_hours_per_year").value,
        unit_cost=unit_cost,
        bed_cost=bed_cost,
    )


def _quota(raw, where: str, vocab: Vocabulary, cities) -> tuple[dict[str, Quota], str]:
    """Validate the ``quota`` block (families delivered as yearly programme quotas)."""
    if raw is None:
        return {}, QUOTA_RULES[0]
    d = keys(raw, where, {"unit", "rule", "by_family"}, {"description"})
    if d["unit"] != "households per year":
        raise ParamError(f"{where}.unit: must be 'households per year', got {d['unit']!r}")
    rule = keys(
        d["rule"],
        f"{where}.rule",
        {"value"},
        {"variants", "assumption", "rationale", "source", "note"},
    )
    if rule["value"] not in QUOTA_RULES:
        raise ParamError(
            f"{where}.rule.value: {rule['value']!r} is not a rule"
            f"{did_you_mean(str(rule['value']), QUOTA_RULES)}; allowed: {', '.join(QUOTA_RULES)}"
        )
    if not isinstance(d["by_family"], dict) or not d["by_family"]:
        raise ParamError(f"{where}.by_family: expected a mapping of family: quota")
    out = {}
    for fam, q in d["by_family"].items():
        w = f"{where}.by_family.{fam}"
        if fam not in vocab.families:
            raise ParamError(
                f"{w}: unknown family{did_you_mean(fam, vocab.families)}; "
                f"allowed: {', '.join(vocab.families)}"
            )
        q = keys(q, w, {"years", "after", "by_city"}, {"description", "note"})
        years = q["years"]
        if (
            not isinstance(years, list)
            or len(years) != 2
            or not all(isinstance(y, int) and 2000 <= y <= 2050 for y in years)
            or years[0] > years[1]
        ):
            raise ParamError(f"{w}.years: expected [first, last] years of the programme period")
        # a multiplier of the yearly capacity (its range may exceed 1: the pace may rise)
        after = read_quantity({**q["after"], "unit": "ratio"}, f"{w}.after", hi=10.0).value
        if not isinstance(q["by_city"], dict) or not q["by_city"]:
            raise ParamError(f"{w}.by_city: expected a mapping of city: households per year")
        unknown = [c for c in q["by_city"] if c not in cities]
        if unknown:
            raise ParamError(
                f"{w}.by_city.{unknown[0]}: no such city{did_you_mean(unknown[0], cities)}; "
                f"allowed: {', '.join(cities)}"
            )
        per = {
            city: read_quantity(
                {**e, "unit": "households per year"},
                f"{w}.by_city.{city}",
                count_units=("households per year",),
            ).value
            for city, e in q["by_city"].items()
        }
        out[fam] = Quota(fam, per, years[0], years[1], float(after))
    return out, rule["value"]

"""Benefit kinds: what an eligible person receives, one class per kind, everything in one place.

A service item's ``benefit`` in YAML holds components of one or more kinds::

    benefit:
      cash:     [{yuan: 70, per: month, when: {attr: age, min: 80}}]
      in_kind:  [{unit: visit, n: 1, per: month}]
      placement: institution_bed          # with an optional placement_when: condition

Each kind is a :class:`Component` subclass that owns, for itself:

* ``parse`` — read and validate its YAML entries (with provenance: a source or an
  assumption with a range);
* ``amount`` — evaluate, vectorised, what each qualifying person receives per year (or once);
* ``describe`` — one readable line for ``explain`` and the catalogue;
* ``merge_key`` — which components of several cities' items are "the same benefit" when a
  harmonised list takes the most generous amount (the per-person maximum);
* ``measures`` — turn enrolled amounts summed by county into named outcome measures and
  their cost, given prices (minutes, unit and bed costs);
* ``payers`` — that cost by payer (:mod:`simlib.rules.funding`; by default the item's
  funding shares, a kind may add e.g. a co-payment that depends on the bill);
* ``slots`` — its assumed numbers, for the assumption registry;
* ``produces`` — the outcome measures it adds (name → unit, meaning), which
  :mod:`simlib.outcomes.measures` lists; ``covers`` — whether it counts toward ``covered60``;
* ``column`` / ``columns`` / ``column_value`` — its columns of
  :func:`~simlib.policy.engine.apply_services`;
* ``explain_fields`` / ``explain_add`` / ``explain_text`` — its fields of
  :func:`~simlib.policy.explain.explain` and their text (and HTML);
* ``flag`` — its column in :func:`~simlib.policy.explain.catalogue` and its exports.

The built-in kinds are :class:`Cash`, :class:`InKind` and :class:`Placement`, and for the
programmes (``params/programmes/``) :class:`LongTermCare` (pays first) and
:class:`CareVoucher` (a share of what is left of a care bill, capped). A new kind is a
subclass anywhere, registered with :func:`register_kind` (a params directory names its own in
``params/kinds.yaml``, see ``docs/extending.md``); every consumer asks :func:`kinds`, and
nothing outside a kind's class names a kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from simlib.core.checks import ASSUMPTION_KEYS, Provenance, keys, number, provenance, typed
from simlib.core.errors import ParamError, did_you_mean
from simlib.core.units import MONEY_MAX_YUAN, ONE_OFF, PERIODS_PER_YEAR, per_year_factor
from simlib.rules.conditions import Always, Condition, Range
from simlib.rules.funding import Funding

PERIODS = (*PERIODS_PER_YEAR, ONE_OFF)
#: The evaluation table's column holding, per person, what the benefits that pay first
#: (:attr:`Component.pays_first`) pay toward the care bill, yuan a year
#: (:meth:`simlib.rules.items.ServiceList.evaluate` fills it).
PAID_FIRST = "paid_first_yuan"
#: ADL grades (GB/T 42195-2022) a care bill is given for: 中度, 重度, 完全失能.
BILL_GRADES = {"moderate": 2, "severe": 3, "total": 4}


@dataclass(frozen=True)
class Standard:
    """A city standard that benefits may be multiples of (e.g. the 低保 standard).

    Attributes:
        name: Key (``dibao``).
        value: A number, or ``{"urban": x, "rural": y}`` when it differs by residence.
        unit: ``yuan/month`` or ``yuan/year``.
        provenance: Source or assumption.
        name_zh: Chinese name.
        note: Free text.
    """

    name: str
    value: float | dict[str, float]
    unit: str
    provenance: Provenance
    name_zh: str | None = None
    note: str | None = None

    def yuan_per(self, per: str) -> float | dict[str, float]:
        """The standard in yuan per ``per`` (``"month"`` or ``"year"``)."""
        factor = per_year_factor(self.unit.removeprefix("yuan/")) / per_year_factor(per)
        if isinstance(self.value, dict):
            return {k: v * factor for k, v in self.value.items()}
        return self.value * factor


@dataclass(frozen=True)
class CareBill:
    """What a disabled person buys in care a month (the purchase model), by grade and setting.

    Read from ``params/care_purchase.yaml`` (:mod:`simlib.params.programmes`): at home, hours
    of home care and days of day care at their prices; in an institution, a bed-month.

    Attributes:
        home: Yuan a month at home, indexed by ADL grade 0-4 (0 below 中度).
        institution: Yuan a month in an institution, indexed by ADL grade 0-4.
        note: How the amounts were made (for ``describe``).
    """

    home: tuple[float, ...]
    institution: tuple[float, ...]
    note: str = ""

    #: Person attributes the bill reads.
    reads: ClassVar[tuple[str, ...]] = ("adl_level", "in_institution")

    def monthly(self, table: Mapping[str, np.ndarray]) -> np.ndarray:
        """Each person's care bill, yuan a month (0 below 中度失能)."""
        grade = np.clip(np.asarray(table["adl_level"], dtype=np.int64), 0, 4)
        home = np.asarray(self.home)[grade]
        inst = np.asarray(self.institution)[grade]
        return np.where(np.asarray(table["in_institution"], dtype=bool), inst, home)


@dataclass(frozen=True)
class ParseContext:
    """What parsing a benefit needs from the city and the vocabularies.

    Attributes:
        compile: Compiles a condition spec (``spec, where`` → Condition).
        standards: The city's standards by name.
        units: In-kind unit names allowed.
        placements: Placement kinds allowed.
        care_bill: The purchase model (``params/care_purchase.yaml``), for kinds that pay
            a share of a care bill; None when the tree has none.
    """

    compile: Callable[[Any, str], Condition]
    standards: Mapping[str, Standard]
    units: tuple[str, ...]
    placements: tuple[str, ...]
    care_bill: CareBill | None = None


class Amount:
    """What each person receives from one component.

    Attributes:
        values: Per person: yuan, units or 1 for a placement (0 where not received).
        once: Whether it is given once (the first year a person qualifies), not yearly.
        extra: Further per-person amounts that are measures of their own (name → values,
            e.g. the care bill of a voucher's users); the ledger sums them × take-up like
            ``values``. Each name is one of the kind's ``produces``, or
            ``payer_yuan:<payer>``: an amount the kind computes for a payer (a voucher's
            co-payment, ``payer_yuan:person``), added to the item's split by payer.
        flat: ``(value, on)`` when every person in the mask ``on`` receives the same
            ``value`` (:meth:`same`): the ledger then sums it as ``value`` × the persons in
            ``on``, exactly and in any order of the persons, and ``values`` is made only
            when read. None otherwise.
    """

    __slots__ = ("_values", "once", "extra", "flat")

    def __init__(
        self,
        values: np.ndarray | None,
        once: bool,
        extra: Mapping[str, np.ndarray] | None = None,
        flat: tuple[float, np.ndarray] | None = None,
    ):
        self._values, self.once, self.extra, self.flat = values, once, extra, flat

    @classmethod
    def same(cls, on: np.ndarray, value: float, once: bool) -> Amount:
        """``value`` for every person in the mask ``on``, 0 for the others."""
        return cls(None, once, None, (value, on))

    @property
    def values(self) -> np.ndarray:
        """Per person: the amount (made from :attr:`flat` when first read)."""
        if self._values is None:
            value, on = self.flat
            if value >= 0:  # 1.0 × value and 0.0 × value: the values np.where gives, faster
                self._values = on.astype(np.float64)
                self._values *= value
            else:
                self._values = np.where(on, value, 0.0)
        return self._values

    def __repr__(self) -> str:
        return f"Amount(values={self.values!r}, once={self.once!r}, extra={self.extra!r})"


@dataclass(frozen=True)
class Slot:
    """An assumed number of a component (for the assumption registry).

    Attributes:
        field: The YAML key holding it (``yuan``, ``multiple``, ``n``).
        value: Its value.
        provenance: Its provenance (``assumption`` is True for registry slots).
    """

    field: str
    value: float
    provenance: Provenance


@dataclass(frozen=True)
class Component:
    """Base class of benefit components (one subclass per kind)."""

    #: YAML key under ``benefit:`` that lists this kind's entries.
    key: ClassVar[str] = ""
    #: Other keys under ``benefit:`` this kind reads.
    extra_keys: ClassVar[tuple[str, ...]] = ()
    #: Outcome measures it produces: name (or family prefix ending in ``:``) → (unit,
    #: meaning). A family's unit ``"{}"`` is the member's name (``units:visit`` → visit).
    produces: ClassVar[dict[str, tuple[str, str]]] = {}
    #: Whether a person eligible for it counts toward ``covered60`` (cash or a bed).
    covers: ClassVar[bool] = False
    #: Its :func:`~simlib.policy.explain.explain` fields and their value for nothing received.
    explain_fields: ClassVar[dict[str, Any]] = {}
    #: Whether it pays first toward a care bill (insurance): what it pays is evaluated
    #: before the other items and given to them in :data:`PAID_FIRST`.
    pays_first: ClassVar[bool] = False

    when: Condition = field(default_factory=Always)
    provenance: Provenance = Provenance()
    note: str | None = None

    @classmethod
    def parse(cls, benefit: Mapping, where: str, ctx: ParseContext) -> tuple[Component, ...]:
        """Read this kind's entries from a ``benefit`` mapping (none if absent)."""
        raise NotImplementedError  # pragma: no cover

    def amount(self, on: np.ndarray, table: Mapping[str, np.ndarray]) -> Amount:
        """What each person in ``on`` (a mask) receives."""
        raise NotImplementedError  # pragma: no cover

    def describe(self) -> str:
        """One readable line (amount and period)."""
        raise NotImplementedError  # pragma: no cover

    def merge_key(self) -> tuple:
        """Components with equal keys are the same benefit (harmonised lists take the max)."""
        raise NotImplementedError  # pragma: no cover

    def measures(self, n: np.ndarray, prices: Any) -> dict[str, np.ndarray]:
        """Outcome measures of an enrolled amount ``n`` (per county), incl. ``cost_yuan``.

        Args:
            n: Enrolled amount per county (yuan, units or persons placed).
            prices: Outcome parameters (minutes, unit and bed costs, travel).

        Returns:
            Measure name → per-county values.
        """
        raise NotImplementedError  # pragma: no cover

    def payers(
        self, n: np.ndarray, cost: np.ndarray, prices: Any, funding: Funding
    ) -> dict[str, np.ndarray]:
        """Its cost by payer (:mod:`simlib.rules.funding`): the ``payer_yuan:<payer>`` measures.

        By default the item's funding shares split the gross ``cost``. A kind whose payers'
        amounts depend on more than its cost overrides this — a voucher paying a share of a
        bill adds the person's co-payment (the rest of the bill) to ``person``. Whatever it
        returns, the ledger's ``cost_yuan`` is the sum of the :data:`~simlib.rules.funding.PUBLIC`
        payers' amounts, and ``person`` lies outside it.

        Args:
            n: Enrolled amount per county (as for :meth:`measures`).
            cost: Its gross cost per county (:meth:`measures`' ``cost_yuan``; 0 if none).
            prices: Outcome parameters.
            funding: The item's :class:`~simlib.rules.funding.Funding`.

        Returns:
            Payer (:data:`~simlib.rules.funding.PAYERS`) → yuan per county.
        """
        return funding.split(cost)

    def slots(self) -> tuple[Slot, ...]:
        """The component's assumed numbers (empty when sourced)."""
        return ()

    def reads(self) -> tuple[str, ...]:
        """Person attributes its ``amount`` reads beyond its conditions (cells key on them)."""
        return ()

    def editable(self) -> tuple[tuple[str, str, float, str], ...]:
        """The amounts a scenario may ``set:`` on this component (the scenario panel asks).

        Returns:
            ``(field, kind, value, unit)`` per amount: ``field`` inside the component's entry
            (``benefit.<key>[k].<field>``), a short ``kind`` word, its value and unit.
        """
        return ()

    @classmethod
    def check_list(cls, items: Sequence, where: str, probe: Callable[[], Any]) -> None:
        """Check a whole list's components of this kind together (nothing by default).

        Args:
            items: The list's items.
            where: The file, for messages.
            probe: Returns synthetic persons (every age 45-110 × random values of every
                attribute, a :class:`~simlib.rules.conditions.PersonTable`), built once.

        Raises:
            ParamError: On components that contradict each other.
        """

    # ------------------------------------------------------------- what consumers show

    def column(self) -> str:
        """Its :func:`~simlib.policy.engine.apply_services` column (amounts add up in it)."""
        return f"{self.key}_amount"

    def column_value(self, amount: Amount) -> np.ndarray:
        """What it puts in its column for each person (the amount by default)."""
        return amount.values

    @classmethod
    def unit_column(cls, unit: str, once: bool) -> str | None:
        """The column holding a service ``unit`` if this kind delivers units (else None)."""
        return None

    @classmethod
    def empty_column(cls, n: int) -> np.ndarray:
        """Its column for ``n`` persons of an item that does not give it."""
        return np.zeros(n)

    @classmethod
    def columns(cls, components: Sequence[Component]) -> tuple[str, ...]:
        """The columns a list with these components of the kind shows (in order)."""
        return tuple(dict.fromkeys(c.column() for c in components))

    def explain_add(self, row: dict[str, Any], value: float) -> None:
        """Add what one person receives (``value``, its amount) to an explain row's fields."""
        col = self.column()
        row[col] = row.get(col, 0.0) + value

    @classmethod
    def explain_text(cls, row: Mapping[str, Any]) -> list[str]:
        """Readable bits of an explain row for this kind (none when nothing is received)."""
        return [f"{row[c]:g} {c}" for c in row if c.startswith(f"{cls.key}_") and row[c]]

    @classmethod
    def explain_html(cls, text: str) -> str:
        """One bit of :meth:`explain_text` as HTML (escaped text by default)."""
        import html

        return html.escape(text)

    @classmethod
    def flag(cls, benefit: Benefit) -> dict[str, bool]:
        """Its :func:`~simlib.policy.explain.catalogue` column: whether ``benefit`` gives it."""
        return {cls.key: bool(benefit.of_kind(cls))}


def _entries(benefit: Mapping, key: str, where: str) -> list:
    raw = benefit.get(key) or []
    if not isinstance(raw, list):
        raise ParamError(f"{where}.{key}: expected a list of entries")
    return raw


def _when(e: Mapping, where: str, ctx: ParseContext) -> Condition:
    return ctx.compile(e.get("when"), f"{where}.when") if "when" in e else Always()


def _per(e: Mapping, where: str) -> str:
    per = e["per"]
    if per not in PERIODS:
        raise ParamError(
            f"{where}.per: {per!r}{did_you_mean(per, PERIODS)}; allowed: {', '.join(PERIODS)}"
        )
    return per


def _reads_age(cond: Condition) -> bool:
    return any(isinstance(leaf, Range) and leaf.attr == "age" for leaf in cond.leaves())


def _band(item, component: Component) -> str:
    lo, hi = 0, 120
    for cond in (item.eligibility, component.when):
        for leaf in cond.leaves():
            if isinstance(leaf, Range) and leaf.attr == "age":
                lo = max(lo, leaf.lo if leaf.lo is not None else 0)
                hi = min(hi, leaf.hi if leaf.hi is not None else 120)
    return f"{lo}-{hi}"


@dataclass(frozen=True)
class Cash(Component):
    """Money: a fixed amount, or a multiple of a city standard, per period or once.

    Measures: ``cash_yuan`` (recurring) or ``once_yuan`` (one-off), and their cost.
    """

    key: ClassVar[str] = "cash"
    produces: ClassVar[dict[str, tuple[str, str]]] = {
        "cash_yuan": ("yuan", "recurring cash paid, yuan a year"),
        "once_yuan": ("yuan", "one-off cash paid, yuan"),
    }
    covers: ClassVar[bool] = True
    explain_fields: ClassVar[dict[str, Any]] = {"yuan_per_year": 0.0, "yuan_once": 0.0}

    per: str = "month"
    yuan: float | None = None
    multiple: float | None = None
    standard: Standard | None = None

    @classmethod
    def parse(cls, benefit, where, ctx):  # noqa: D102 - see Component
        out = []
        for i, e in enumerate(_entries(benefit, cls.key, where)):
            w = f"{where}.{cls.key}[{i}]"
            e = keys(
                e,
                w,
                {"per"},
                {"yuan", "multiple", "of", "when", "note", "source"} | ASSUMPTION_KEYS,
            )
            per = _per(e, w)
            when = _when(e, w, ctx)
            if "yuan" in e:
                if "multiple" in e or "of" in e:
                    raise ParamError(f"{w}: give either yuan or multiple+of, not both")
                yuan = number(e["yuan"], f"{w}.yuan", lo=0, hi=MONEY_MAX_YUAN)
                out.append(
                    cls(when, provenance(e, w, yuan, need=False), e.get("note"), per=per, yuan=yuan)
                )
                continue
            if "multiple" not in e or "of" not in e:
                raise ParamError(f"{w}: a cash entry needs yuan, or multiple and of")
            mult = number(e["multiple"], f"{w}.multiple", lo=0, hi=100)
            of = typed(e["of"], str, f"{w}.of")
            if of not in ctx.standards:
                raise ParamError(
                    f"{w}.of: unknown standard {of!r}{did_you_mean(of, ctx.standards)}; "
                    f"standards: {', '.join(ctx.standards)}"
                )
            if per not in ("month", "year"):
                raise ParamError(
                    f"{w}.per: a multiple of a standard is per month or per year, got {per!r}"
                )
            out.append(
                cls(
                    when,
                    provenance(e, w, mult, need=False),
                    e.get("note"),
                    per=per,
                    multiple=mult,
                    standard=ctx.standards[of],
                )
            )
        return tuple(out)

    @property
    def of(self) -> str | None:
        """Name of the standard this is a multiple of (None for a fixed amount)."""
        return self.standard.name if self.standard is not None else None

    def yuan_per_period(self, urban: np.ndarray | None = None):
        """The amount per period (an array by residence for urban/rural standards)."""
        if self.yuan is not None:
            return self.yuan
        std = self.standard.yuan_per(self.per)
        if isinstance(std, dict):
            return np.where(urban, std["urban"], std["rural"]) * self.multiple
        return self.multiple * std

    def amount(self, on, table):  # noqa: D102 - see Component
        per_period = self.yuan_per_period(
            table["urban"]
            if self.standard is not None and isinstance(self.standard.value, dict)
            else None
        )
        once = self.per == ONE_OFF
        factor = 1.0 if once else per_year_factor(self.per)
        if np.ndim(per_period) == 0:
            return Amount.same(on, per_period * factor, once)
        return Amount(np.where(on, per_period * factor, 0.0), once)

    def describe(self) -> str:  # noqa: D102 - see Component
        amount = f"{self.yuan:g} yuan" if self.yuan is not None else f"{self.multiple:g}× {self.of}"
        return f"{amount}/{self.per}"

    def merge_key(self) -> tuple:  # noqa: D102 - see Component
        return ("cash", self.per == ONE_OFF)

    def measures(self, n, prices):  # noqa: D102 - see Component
        return {"once_yuan" if self.per == ONE_OFF else "cash_yuan": n, "cost_yuan": n}

    def slots(self):  # noqa: D102 - see Component
        if not self.provenance.assumption:
            return ()
        name = "yuan" if self.yuan is not None else "multiple"
        return (Slot(name, self.yuan if self.yuan is not None else self.multiple, self.provenance),)

    def editable(self):  # noqa: D102 - see Component
        if self.yuan is not None:
            return (("yuan", "yuan", float(self.yuan), "yuan"),)
        return (("multiple", "multiple", float(self.multiple), f"× {self.of or 'standard'}"),)

    @classmethod
    def check_list(cls, items, where, probe):
        """Age bands of one allowance must not overlap (a person would be paid twice).

        A *band* is a cash payment whose condition reads age. Two bands of one item (each
        with its own age condition), or the cash of two items of one family that read age,
        must not both pay any person: the rules are evaluated on ``probe()``'s synthetic
        persons, and a person paid by both is reported. Components of one item that stack
        by design (a 特困 person's living allowance plus care payment) are not age bands
        of each other.
        """
        bands = []
        for it in items:
            item_age = _reads_age(it.eligibility)
            for k, c in enumerate(it.benefit.of_kind(cls)):
                own = _reads_age(c.when)
                if item_age or own:
                    table = probe()
                    bands.append((it, k, own, it.eligibility.mask(table) & c.when.mask(table)))
        for i, (a, ka, own_a, ma) in enumerate(bands):
            for b, kb, own_b, mb in bands[i + 1 :]:
                if a is b and not (own_a and own_b):
                    continue  # components of one item stack unless both are age bands
                if a is not b and (a.family is None or a.family != b.family):
                    continue
                both = ma & mb
                if both.any():
                    ages = probe()["age"][both]
                    raise ParamError(
                        f"{where}: {a.id}.benefit.{cls.key}[{ka}] and "
                        f"{b.id}.benefit.{cls.key}[{kb}] overlap: persons aged "
                        f"{int(ages.min())}-{int(ages.max())} would be paid twice (age bands "
                        f"{_band(a, a.benefit.of_kind(cls)[ka])} and "
                        f"{_band(b, b.benefit.of_kind(cls)[kb])})"
                    )

    def column(self) -> str:  # noqa: D102 - see Component
        return "yuan_once" if self.per == ONE_OFF else "yuan_per_year"

    @classmethod
    def columns(cls, components):  # noqa: D102 - every list shows both (zero when none)
        return ("yuan_per_year", "yuan_once")

    @classmethod
    def explain_text(cls, row):  # noqa: D102 - see Component
        bits = []
        if row["yuan_per_year"]:
            bits.append(f"{row['yuan_per_year']:,.0f} yuan/year")
        if row["yuan_once"]:
            bits.append(f"{row['yuan_once']:,.0f} yuan once")
        return bits


@dataclass(frozen=True)
class InKind(Component):
    """Services: ``n`` units of a service unit (a visit, a check, an adaptation) per period.

    Measures: ``units:<unit>``, staff ``minutes`` (minutes per unit, plus travel for units
    delivered at home), ``service_yuan`` (units × unit cost) and its cost.
    """

    key: ClassVar[str] = "in_kind"
    produces: ClassVar[dict[str, tuple[str, str]]] = {
        "units:": ("{}", "in-kind units delivered"),
        "minutes": ("minutes", "staff minutes for in-kind services (incl. travel)"),
        "service_yuan": ("yuan", "in-kind units × unit cost, yuan"),
    }
    explain_fields: ClassVar[dict[str, Any]] = {"units": {}}

    unit: str = ""
    n: float = 0.0
    per: str = "year"

    @classmethod
    def parse(cls, benefit, where, ctx):  # noqa: D102 - see Component
        out = []
        for i, e in enumerate(_entries(benefit, cls.key, where)):
            w = f"{where}.{cls.key}[{i}]"
            e = keys(e, w, {"unit", "n", "per"}, {"when", "note", "source"} | ASSUMPTION_KEYS)
            if e["unit"] not in ctx.units:
                raise ParamError(
                    f"{w}.unit: {e['unit']!r}{did_you_mean(e['unit'], ctx.units)}; allowed: "
                    f"{', '.join(ctx.units)}"
                )
            per = _per(e, w)
            n = number(e["n"], f"{w}.n", lo=0, hi=10_000)
            if n <= 0:
                raise ParamError(f"{w}.n: must be > 0")
            out.append(
                cls(
                    _when(e, w, ctx),
                    provenance(e, w, n, need=False),
                    e.get("note"),
                    unit=e["unit"],
                    n=n,
                    per=per,
                )
            )
        return tuple(out)

    def amount(self, on, table):  # noqa: D102 - see Component
        once = self.per == ONE_OFF
        n = self.n if once else self.n * per_year_factor(self.per)
        return Amount.same(on, n, once)

    def describe(self) -> str:  # noqa: D102 - see Component
        return f"{self.n:g} {self.unit}/{self.per}"

    def merge_key(self) -> tuple:  # noqa: D102 - see Component
        return ("in_kind", self.unit, self.per == ONE_OFF)

    def measures(self, n, prices):  # noqa: D102 - see Component
        travel = prices.travel_minutes if self.unit in prices.home_units else 0.0
        service = n * prices.unit_cost[self.unit]
        return {
            f"units:{self.unit}": n,
            "minutes": n * (prices.minutes[self.unit] + travel),
            "service_yuan": service,
            "cost_yuan": service,
        }

    def slots(self):  # noqa: D102 - see Component
        return (Slot("n", self.n, self.provenance),) if self.provenance.assumption else ()

    def editable(self):  # noqa: D102 - see Component
        return (("n", "units", float(self.n), self.unit),)

    def column(self) -> str:  # noqa: D102 - see Component
        return self.unit_column(self.unit, self.per == ONE_OFF)

    @classmethod
    def unit_column(cls, unit, once):  # noqa: D102 - see Component
        return f"n_{unit}_once" if once else f"n_{unit}"

    @classmethod
    def columns(cls, components):  # noqa: D102 - recurring units, then one-off, each sorted
        recurring = sorted({c.column() for c in components if c.per != ONE_OFF})
        return (*recurring, *sorted({c.column() for c in components if c.per == ONE_OFF}))

    def explain_add(self, row, value):  # noqa: D102 - units by name, "<unit> (once)" if once
        if value:
            name = f"{self.unit} (once)" if self.per == ONE_OFF else self.unit
            row["units"] = {**row["units"], name: row["units"].get(name, 0.0) + value}

    @classmethod
    def explain_text(cls, row):  # noqa: D102 - see Component
        return [f"{v:g} {u}" for u, v in (row["units"] or {}).items()]


@dataclass(frozen=True)
class Placement(Component):
    """A bed: a place in an institution, a respite or family care bed, priority admission.

    Read from ``placement: <kind>`` and an optional ``placement_when: <condition>``.
    Measures: ``beds:<kind>`` (persons placed), ``bed_yuan`` (× cost per bed-year) and its cost.
    """

    key: ClassVar[str] = "placement"
    extra_keys: ClassVar[tuple[str, ...]] = ("placement_when",)
    produces: ClassVar[dict[str, tuple[str, str]]] = {
        "beds:": ("beds", "persons placed (beds in use)"),
        "bed_yuan": ("yuan", "placements × cost per bed-year, yuan"),
    }
    covers: ClassVar[bool] = True
    explain_fields: ClassVar[dict[str, Any]] = {"placement": None}

    kind: str = ""

    @classmethod
    def parse(cls, benefit, where, ctx):  # noqa: D102 - see Component
        kind = benefit.get(cls.key)
        if kind is None:
            if "placement_when" in benefit:
                raise ParamError(f"{where}.placement_when: given without placement")
            return ()
        if kind not in ctx.placements:
            raise ParamError(
                f"{where}.placement: {kind!r}{did_you_mean(kind, ctx.placements)}; allowed: "
                f"{', '.join(ctx.placements)}"
            )
        when = (
            ctx.compile(benefit["placement_when"], f"{where}.placement_when")
            if "placement_when" in benefit
            else Always()
        )
        return (cls(when, Provenance(), None, kind=kind),)

    def amount(self, on, table):  # noqa: D102 - see Component
        return Amount.same(on, 1.0, False)

    def describe(self) -> str:  # noqa: D102 - see Component
        return self.kind

    def merge_key(self) -> tuple:  # noqa: D102 - see Component
        return ("placement", self.kind)

    def measures(self, n, prices):  # noqa: D102 - see Component
        cost = n * prices.bed_cost[self.kind]
        return {f"beds:{self.kind}": n, "bed_yuan": cost, "cost_yuan": cost}

    def column(self) -> str:  # noqa: D102 - see Component
        return "placement"

    def column_value(self, amount):  # noqa: D102 - whether the person is placed
        return amount.values > 0

    @classmethod
    def columns(cls, components):  # noqa: D102 - every list shows it (False when none)
        return ("placement",)

    @classmethod
    def empty_column(cls, n):  # noqa: D102 - a flag
        return np.zeros(n, dtype=bool)

    def explain_add(self, row, value):  # noqa: D102 - the kind of bed
        if value:
            row["placement"] = self.kind

    @classmethod
    def explain_text(cls, row):  # noqa: D102 - see Component
        return [str(row["placement"])] if row["placement"] else []


SETTINGS = ("home", "institution")


def _by_setting(v: Any, where: str, lo: float, hi: float) -> dict[str, float]:
    """A number for each setting (home, institution), or one number for both."""
    if isinstance(v, Mapping):
        v = keys(v, where, set(SETTINGS))
        return {s: number(v[s], f"{where}.{s}", lo=lo, hi=hi) for s in SETTINGS}
    x = number(v, where, lo=lo, hi=hi)
    return dict.fromkeys(SETTINGS, x)


def _setting_value(d: Mapping[str, float], table: Mapping[str, np.ndarray]) -> np.ndarray:
    inst = np.asarray(table["in_institution"], dtype=bool)
    return np.where(inst, d["institution"], d["home"])


def _monthly_share_entries(benefit: Mapping, key: str, where: str, settled: str):
    """The entries of a kind that pays a share of the care bill each month, checked.

    Yields:
        ``(where, entry)`` per entry: keys ``share``, ``cap_yuan`` and ``per: month``.
    """
    for i, e in enumerate(_entries(benefit, key, where)):
        w = f"{where}.{key}[{i}]"
        e = keys(e, w, {"share", "cap_yuan", "per"}, {"when", "note", "source"} | ASSUMPTION_KEYS)
        if e["per"] != "month":
            raise ParamError(f"{w}.per: {settled} per month, got {e['per']!r}")
        yield w, e


def _bill(ctx: ParseContext, where: str) -> CareBill:
    if ctx.care_bill is None:
        raise ParamError(
            f"{where}: pays a share of a care bill, but the params tree has no "
            "care_purchase.yaml (the purchase model)"
        )
    return ctx.care_bill


def _caps(d: Mapping[str, float]) -> str:
    if d["home"] == d["institution"]:
        return f"{d['home']:g}"
    return f"{d['home']:g} at home / {d['institution']:g} in an institution"


def _pct(d: Mapping[str, float]) -> str:
    if d["home"] == d["institution"]:
        return f"{d['home']:.0%}"
    return f"{d['home']:.0%} at home / {d['institution']:.0%} in an institution"


@dataclass(frozen=True)
class LongTermCare(Component):
    """Long-term care insurance (长期护理保险): a share of the care bill, capped a month.

    Entry: ``{share: 0.7, cap_yuan: {home: …, institution: …}, per: month}`` — the insurance
    pays ``min(cap, share × bill)`` each month, the bill from the purchase model
    (:class:`CareBill`) by ADL grade and setting. It pays first (:attr:`pays_first`):
    what it pays is taken off the bill before a voucher's share is computed.
    Measures: ``ltci_yuan`` and its cost (the insurance fund's).
    """

    key: ClassVar[str] = "ltci"
    produces: ClassVar[dict[str, tuple[str, str]]] = {
        "ltci_yuan": ("yuan", "long-term care insurance paid toward care bills, yuan a year"),
    }
    explain_fields: ClassVar[dict[str, Any]] = {"ltci_yuan_per_year": 0.0}
    pays_first: ClassVar[bool] = True

    share: float = 0.0
    cap: Mapping[str, float] = field(default_factory=dict)
    bill: CareBill | None = None

    @classmethod
    def parse(cls, benefit, where, ctx):  # noqa: D102 - see Component
        out = []
        for w, e in _monthly_share_entries(benefit, cls.key, where, "the insurance is settled"):
            share = number(e["share"], f"{w}.share", lo=0, hi=1)
            out.append(
                cls(
                    _when(e, w, ctx),
                    provenance(e, w, share, need=False),
                    e.get("note"),
                    share=share,
                    cap=_by_setting(e["cap_yuan"], f"{w}.cap_yuan", 0, MONEY_MAX_YUAN),
                    bill=_bill(ctx, w),
                )
            )
        return tuple(out)

    def monthly(self, table) -> np.ndarray:
        """What the insurance pays each person a month if eligible, yuan."""
        return np.minimum(_setting_value(self.cap, table), self.share * self.bill.monthly(table))

    def amount(self, on, table):  # noqa: D102 - see Component
        return Amount(np.where(on, 12.0 * self.monthly(table), 0.0), False)

    def describe(self) -> str:  # noqa: D102 - see Component
        return f"LTCI {self.share:.0%} of the care bill, at most {_caps(self.cap)} yuan/month"

    def merge_key(self) -> tuple:  # noqa: D102 - see Component
        return ("ltci",)

    def measures(self, n, prices):  # noqa: D102 - see Component
        return {"ltci_yuan": n, "cost_yuan": n}

    def reads(self):  # noqa: D102 - see Component
        return CareBill.reads

    def slots(self):  # noqa: D102 - see Component
        return (Slot("share", self.share, self.provenance),) if self.provenance.assumption else ()

    def editable(self):  # noqa: D102 - see Component
        return (("share", "share", float(self.share), "of the care bill"),)

    def column(self) -> str:  # noqa: D102 - see Component
        return "ltci_yuan_per_year"

    @classmethod
    def explain_text(cls, row):  # noqa: D102 - see Component
        v = row["ltci_yuan_per_year"]
        return [f"{v:,.0f} yuan/year long-term care insurance"] if v else []


@dataclass(frozen=True)
class CareVoucher(Component):
    """A care voucher (养老服务消费补贴): a share of what is left of the care bill, capped.

    Entry: ``{share: {home: 0.5, institution: 0.4}, cap_yuan: 800, per: month}`` (a share
    or a cap may be one number or one per setting). Each month it pays
    ``min(cap, share × (bill − insurance))``: the bill from the purchase model
    (:class:`CareBill`), less what the benefits that pay first paid toward it
    (:data:`PAID_FIRST`: "insurance first, subsidy after"). What is left after both is the
    person's co-payment (``payer_yuan:person`` of the voucher's item, outside ``cost_yuan``).
    Measures: ``care_voucher_yuan`` and its cost; ``care_bill_yuan``, the bill of its users.
    """

    key: ClassVar[str] = "care_voucher"
    produces: ClassVar[dict[str, tuple[str, str]]] = {
        "care_voucher_yuan": ("yuan", "care vouchers: share of the care bill paid, yuan a year"),
        "care_bill_yuan": (
            "yuan",
            "care bill of the voucher's users (purchase model), yuan a year",
        ),
    }
    explain_fields: ClassVar[dict[str, Any]] = {"care_voucher_yuan_per_year": 0.0}

    share: Mapping[str, float] = field(default_factory=dict)
    cap: Mapping[str, float] = field(default_factory=dict)
    bill: CareBill | None = None
    per_setting_cap: bool = False

    @classmethod
    def parse(cls, benefit, where, ctx):  # noqa: D102 - see Component
        out = []
        for w, e in _monthly_share_entries(benefit, cls.key, where, "vouchers are issued"):
            out.append(
                cls(
                    _when(e, w, ctx),
                    provenance(e, w, None, need=False),
                    e.get("note"),
                    share=_by_setting(e["share"], f"{w}.share", 0, 1),
                    cap=_by_setting(e["cap_yuan"], f"{w}.cap_yuan", 0, MONEY_MAX_YUAN),
                    bill=_bill(ctx, w),
                    per_setting_cap=isinstance(e["cap_yuan"], Mapping),
                )
            )
        return tuple(out)

    def amount(self, on, table):  # noqa: D102 - see Component
        bill = self.bill.monthly(table)  # yuan a month
        paid = np.asarray(table[PAID_FIRST]) / 12.0 if PAID_FIRST in table else 0.0
        left = np.maximum(bill - paid, 0.0)
        voucher = np.minimum(
            _setting_value(self.cap, table), _setting_value(self.share, table) * left
        )
        year_bill = np.where(on, 12.0 * bill, 0.0)
        values = np.where(on, 12.0 * voucher, 0.0)
        copay = np.where(on, 12.0 * (left - voucher), 0.0)  # voucher <= left, so never negative
        # the rest of the bill is the person's: payer_yuan:person of the voucher's item
        return Amount(values, False, {"care_bill_yuan": year_bill, "payer_yuan:person": copay})

    def describe(self) -> str:  # noqa: D102 - see Component
        return (
            f"voucher {_pct(self.share)} of the care bill less insurance, "
            f"at most {_caps(self.cap)} yuan/month"
        )

    def merge_key(self) -> tuple:  # noqa: D102 - see Component
        return ("care_voucher",)

    def measures(self, n, prices):  # noqa: D102 - see Component
        return {"care_voucher_yuan": n, "cost_yuan": n}

    def reads(self):  # noqa: D102 - see Component
        return CareBill.reads

    def editable(self):  # noqa: D102 - see Component
        if self.per_setting_cap:
            return tuple(
                (f"cap_yuan.{s}", "yuan", float(self.cap[s]), "yuan/month") for s in SETTINGS
            )
        return (("cap_yuan", "yuan", float(self.cap["home"]), "yuan/month"),)

    def column(self) -> str:  # noqa: D102 - see Component
        return "care_voucher_yuan_per_year"

    @classmethod
    def explain_text(cls, row):  # noqa: D102 - see Component
        v = row["care_voucher_yuan_per_year"]
        return [f"{v:,.0f} yuan/year care voucher"] if v else []


#: The built-in benefit kinds every table shows (columns even when a list gives none).
KINDS: tuple[type[Component], ...] = (Cash, InKind, Placement)
#: Kinds that ship with simlib for the programmes (``params/programmes/``): known to every
#: consumer, shown only where a list uses them.
PROGRAMME_KINDS: tuple[type[Component], ...] = (LongTermCare, CareVoucher)
_REGISTERED: list[type[Component]] = [*KINDS, *PROGRAMME_KINDS]


def kinds() -> tuple[type[Component], ...]:
    """Every benefit kind known: the built-in ones, then those registered, in that order."""
    return tuple(_REGISTERED)


def kinds_in(components: Sequence[Component]) -> tuple[type[Component], ...]:
    """The built-in kinds and those registered kinds the components use, in :func:`kinds` order.

    What a table shows columns for: a kind registered by another params directory adds no
    column to a list that does not use it.
    """
    used = {type(c) for c in components}
    return tuple(k for k in kinds() if k in KINDS or k in used)


def register_kind(kind: type[Component]) -> type[Component]:
    """Make a benefit kind known to every consumer (usable as a class decorator).

    Registering the same class again does nothing; so does registering a class of the same
    name and key from an identical source file (a copy of a params directory brings its
    kinds again), which returns the class registered first.

    Raises:
        ParamError: If ``kind`` is not a :class:`Component` subclass, has no ``key``, or its
            key or one of its measures is another kind's.
    """
    if not (isinstance(kind, type) and issubclass(kind, Component)) or not kind.key:
        raise ParamError(f"benefit kind {kind!r}: expected a Component subclass with a key")
    if kind in _REGISTERED:
        return kind
    from simlib.core.plugins import source_digest

    for other in _REGISTERED:
        if (other.key, other.__qualname__) == (kind.key, kind.__qualname__) and source_digest(
            other
        ) == source_digest(kind):
            return other
        if other.key == kind.key or (set(kind.produces) & set(other.produces)):
            raise ParamError(
                f"benefit kind {kind.__name__}: its key {kind.key!r} or a measure of "
                f"{sorted(kind.produces)} is already {other.__name__}'s"
            )
    _REGISTERED.append(kind)
    return kind


@dataclass(frozen=True)
class Benefit:
    """What an eligible person receives: components of any kinds.

    Attributes:
        components: The components, in :func:`kinds` order then file order.
        quantified: False when the item gives nothing the model can count.
        reason: Why not quantified.
        household: Whether the benefit belongs to the household (counted once per
            household, e.g. a home adaptation), not to each eligible person.
    """

    components: tuple[Component, ...] = ()
    quantified: bool = True
    reason: str | None = None
    household: bool = False

    def of_kind(self, kind: type[Component]) -> tuple[Component, ...]:
        """The components of one kind."""
        return tuple(c for c in self.components if isinstance(c, kind))

    @property
    def cash(self) -> tuple[Cash, ...]:
        """The cash components."""
        return self.of_kind(Cash)

    @property
    def in_kind(self) -> tuple[InKind, ...]:
        """The in-kind components."""
        return self.of_kind(InKind)

    @property
    def placement(self) -> str | None:
        """The placement kind given (None if no placement)."""
        p = self.of_kind(Placement)
        return p[0].kind if p else None

    def describe(self) -> str:
        """A short summary: every component, or why it is not quantified."""
        parts = [c.describe() for c in self.components]
        if not self.quantified:
            parts.append("not quantified")
        return "; ".join(parts)


def parse_benefit(raw: Any, where: str, ctx: ParseContext) -> Benefit:
    """Read a ``benefit`` mapping into a :class:`Benefit` with components of every kind.

    Raises:
        ParamError: On unknown keys, invalid entries, or a quantified benefit with no
            component.
    """
    allowed = {"quantified", "reason", "household"}
    for kind in kinds():
        allowed |= {kind.key, *kind.extra_keys}
    b = keys(raw, where, set(), allowed)
    quantified = typed(b.get("quantified", True), bool, f"{where}.quantified")
    household = typed(b.get("household", False), bool, f"{where}.household")
    reason = b.get("reason")
    if not quantified and not (isinstance(reason, str) and reason.strip()):
        raise ParamError(f"{where}: quantified: false needs a reason")
    components = tuple(c for kind in kinds() for c in kind.parse(b, where, ctx))
    if quantified and not components:
        names = ", ".join(k.key for k in kinds())
        raise ParamError(f"{where}: no benefit ({names}); set quantified: false with a reason")
    return Benefit(components, quantified, reason, household)

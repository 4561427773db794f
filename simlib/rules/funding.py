"""Who pays (支出责任): an item's cost split by payer.

An item (or a programme's item) may carry a ``funding:`` block: the share of its cost each
payer bears, each share with its source or flagged as an assumption::

    funding:
      city: 1.0                                   # a bare number takes the block's source
      source: "sources/documents/puyang.txt (征求意见稿), annex item 4 支出责任: 市、县级政府负责"

    funding:
      phrase: 中央和省、市、县级财政共同承担
      source: "sources/documents/puyang.txt (征求意见稿), annex item 14 支出责任"
      central:    {value: 0.25, assumption: true, range: [0.1, 0.6], rationale: "…"}
      provincial: {value: 0.25, assumption: true, range: [0.1, 0.4], rationale: "…"}
      city:       {value: 0.5,  assumption: true, range: [0.2, 0.8], rationale: "…"}

Payers (:data:`PAYERS`): ``central`` (中央财政), ``provincial`` (省级财政), ``city`` (市、县级财政:
the city and its counties together), ``insurance`` (a social-insurance fund, e.g. long-term
care insurance) and ``person`` (the person's own co-payment, 自付). Shares are fractions of
the item's *gross* cost (what its benefit components cost, :meth:`Component.measures
<simlib.rules.benefits.Component.measures>`) and must sum to 1 over all payers; the public
payers (:data:`PUBLIC`) bear ``1 − person`` of it, which is the item's ``cost_yuan``.
A payer not named pays nothing. A benefit kind may add amounts of its own (a voucher's
co-payment depends on the bill: :meth:`Component.payers
<simlib.rules.benefits.Component.payers>`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simlib.core.checks import ASSUMPTION_KEYS, Provenance, keys, number, provenance
from simlib.core.errors import ParamError, did_you_mean

#: Every payer, in reporting order.
PAYERS: tuple[str, ...] = ("central", "provincial", "city", "insurance", "person")
#: The payers whose sum is the public cost (``cost_yuan``); ``person`` is outside it.
PUBLIC: tuple[str, ...] = ("central", "provincial", "city", "insurance")
#: Chinese and English names of the payers (tables, notebooks).
PAYER_NAMES: dict[str, tuple[str, str]] = {
    "central": ("中央财政", "central government"),
    "provincial": ("省级财政", "provincial government"),
    "city": ("市县财政", "city and county governments"),
    "insurance": ("保险基金", "insurance fund"),
    "person": ("个人自付", "the person's co-payment"),
}
#: The measure family of amounts by payer (``payer_yuan:city`` …).
MEASURE = "payer_yuan:"
#: Shares must sum to 1 within this (written shares are decimals such as 1/3 ≈ 0.333333).
SUM_TOLERANCE = 1e-6

_BLOCK_KEYS = frozenset({"source", "note", *ASSUMPTION_KEYS})
_SHARE_KEYS = frozenset({"value", "source", "note", *ASSUMPTION_KEYS})


@dataclass(frozen=True)
class Share:
    """One payer's share of an item's gross cost.

    Attributes:
        payer: One of :data:`PAYERS`.
        value: Fraction of the gross cost, in [0, 1].
        provenance: Its source, or the assumption (range and rationale).
        note: Free text.
    """

    payer: str
    value: float
    provenance: Provenance
    note: str | None = None


@dataclass(frozen=True)
class Funding:
    """An item's cost by payer (see the module docstring).

    Attributes:
        shares: The payers named, in :data:`PAYERS` order.
        default: Whether the split is the city's default for items that state none
            (``params/funding.yaml``), not the item's own.
        origin: Where it was read (the file and key), for explanations.
        note: Free text.
        source: The block's source (who pays), if it gives one.
        phrase: The document's words the split reads (e.g. 市、县级政府负责), if given.
    """

    shares: tuple[Share, ...] = field(default=())
    default: bool = False
    origin: str = ""
    note: str | None = None
    source: str | None = None
    phrase: str | None = None

    @property
    def payers(self) -> tuple[str, ...]:
        """The payers named (a share of 0 included), in :data:`PAYERS` order."""
        return tuple(s.payer for s in self.shares)

    def share(self, payer: str) -> float:
        """The share of ``payer`` (0 when not named)."""
        return next((s.value for s in self.shares if s.payer == payer), 0.0)

    @property
    def assumed(self) -> bool:
        """Whether any share is a flagged assumption (or the split is a default)."""
        return self.default or any(s.provenance.assumption for s in self.shares)

    def split(self, gross: np.ndarray) -> dict[str, np.ndarray]:
        """A gross cost (per county) by payer: each payer named gets its share of it."""
        return {s.payer: gross * s.value for s in self.shares}

    def describe(self) -> str:
        """One line: ``city 70 %, provincial 30 % (assumed)``."""
        parts = [f"{s.payer} {s.value:.0%}" for s in self.shares if s.value > 0]
        flag = " (default)" if self.default else " (assumed)" if self.assumed else ""
        return ", ".join(parts) + flag

    def as_dict(self) -> dict[str, float]:
        """Payer → share, every payer of :data:`PAYERS` (0 when not named)."""
        return {p: self.share(p) for p in PAYERS}


#: What an item pays when nothing says otherwise: its city (and counties) alone, flagged.
#: Loaders replace it with the city's default of ``params/funding.yaml``.
CITY_ALONE = Funding(
    (
        Share(
            "city",
            1.0,
            Provenance(
                assumption=True,
                range=(0.0, 1.0),
                rationale="no funding stated: the list's items are run by the city and its "
                "counties, which are read as paying for them",
            ),
        ),
    ),
    default=True,
    origin="simlib default (no funding stated)",
)


def parse_funding(raw: Any, where: str, default: bool = False) -> Funding:
    """Read and validate a ``funding:`` block (see the module docstring).

    Args:
        raw: The parsed block.
        where: Location for error messages (file and key).
        default: Whether this is a city default rather than an item's own split.

    Returns:
        The :class:`Funding`.

    Raises:
        ParamError: On an unknown payer or key, a share outside [0, 1], a share without a
            source (of its own or the block's) or assumption, or shares not summing to 1.
    """
    if not isinstance(raw, Mapping):
        raise ParamError(
            f"{where}: expected a mapping of payer: share (payers: {', '.join(PAYERS)}), "
            f"got {type(raw).__name__}"
        )
    unknown = [k for k in raw if k not in PAYERS and k not in _BLOCK_KEYS]
    if unknown:
        k = str(unknown[0])
        raise ParamError(
            f"{where}: unknown key {k!r}{did_you_mean(k, (*PAYERS, *_BLOCK_KEYS))}; "
            f"payers: {', '.join(PAYERS)}; other keys: {', '.join(sorted(_BLOCK_KEYS))}"
        )
    block = {k: v for k, v in raw.items() if k in _BLOCK_KEYS}
    has_block = "source" in block or bool(block.get("assumption"))
    shares = []
    for payer in PAYERS:
        if payer not in raw:
            continue
        w = f"{where}.{payer}"
        v = raw[payer]
        if isinstance(v, Mapping):
            e = keys(v, w, {"value"}, set(_SHARE_KEYS))
            value = number(e["value"], f"{w}.value", unit="share")
            own = "source" in e or bool(e.get("assumption"))
            if not own and not has_block:
                raise ParamError(
                    f"{w}: a share needs a source or assumption: true (with range and "
                    "rationale), its own or the funding block's"
                )
            prov = provenance(e if own else {**block, **e}, w, value)
            shares.append(Share(payer, value, prov, e.get("note")))
        else:
            value = number(v, w, unit="share")
            if not has_block:
                raise ParamError(
                    f"{w}: a bare share needs the funding block's source (or assumption: "
                    f"true with range and rationale); or write {{value: {v}, source: …}}"
                )
            shares.append(Share(payer, value, provenance(block, where, value)))
    if not shares:
        raise ParamError(f"{where}: no payer named (payers: {', '.join(PAYERS)})")
    total = math.fsum(s.value for s in shares)
    if abs(total - 1.0) > SUM_TOLERANCE:
        listed = ", ".join(f"{s.payer} {s.value:g}" for s in shares)
        raise ParamError(
            f"{where}: shares sum to {total:g} ({listed}); the shares of all payers, the "
            "person's co-payment included, must sum to 1"
        )
    note = block.get("note")
    if note is not None and not isinstance(note, str):
        raise ParamError(f"{where}.note: expected text")
    src, phrase = block.get("source"), block.get("phrase")
    for k, v in (("source", src), ("phrase", phrase)):
        if v is not None and not (isinstance(v, str) and v.strip()):
            raise ParamError(f"{where}.{k}: expected text")
    return Funding(
        tuple(shares), default=default, origin=where, note=note, source=src, phrase=phrase
    )

"""Groups of persons that results can be broken down by: who receives, who gains.

Every outcome is aggregated per county; a run asked for ``groups=("age5", "sex")`` aggregates
per county × age group × sex instead, so any result (``Result.totals(..., by=("year",
"age5"))``) and any comparison can be read by the persons' own attributes. This module is
the one place those groupings are defined: each :class:`Grouping` names its labels (English
and Chinese) and computes every agent's code from the population's columns.

The :class:`~simlib.outcomes.ledger.Ledger` folds the groups into its county axis (a *slot*
is a county × group combination, :func:`slots`), so the list is still evaluated once per cell
and aggregated by one product with the cell × slot counts. A household benefit is counted at
its lower-indexed member, so it falls in that member's group.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from simlib.core.errors import ParamError, ParamTypeError, did_you_mean
from simlib.core.people import SCHEMA

#: Width of an age group (years) and the first and last group's lower bounds: the model's
#: people are 45+ at the 2020 census, and 100+ is one open group.
AGE_STEP, AGE_FIRST, AGE_LAST = 5, 45, 100


@dataclass(frozen=True)
class Grouping:
    """A way of dividing persons into groups.

    Attributes:
        name: Column name in results.
        name_zh: Chinese name.
        labels: English label of each code.
        labels_zh: Chinese label of each code.
        code: Population columns → int64 code per agent (in ``0 .. len(labels) − 1``).
        description: What the grouping is.
    """

    name: str
    name_zh: str
    labels: tuple[str, ...]
    labels_zh: tuple[str, ...]
    code: Callable[[dict[str, np.ndarray]], np.ndarray]
    description: str

    def __len__(self) -> int:
        return len(self.labels)


def _age_labels() -> tuple[str, ...]:
    lows = range(AGE_FIRST, AGE_LAST + 1, AGE_STEP)
    return tuple(f"{a}-{a + AGE_STEP - 1}" if a < AGE_LAST else f"{a}+" for a in lows)


def _age5(cols):
    n = len(_age_labels())
    return np.clip((cols["age"].astype(np.int64) - AGE_FIRST) // AGE_STEP, 0, n - 1)


def _schema(name: str):
    def code(cols):
        return cols[name].astype(np.int64)

    return code


def _household(cols):
    # the household process's notion (outcomes/households.py): a couple when both spouses
    # live at home, a person at home without a spouse there, or an institution resident
    home = cols["alive"] & ~cols["in_institution"]
    spouse = cols["spouse"]
    linked = spouse >= 0
    couple = np.zeros(home.size, bool)
    couple[linked] = home[linked] & home[spouse[linked]]
    return np.where(cols["in_institution"], 2, np.where(couple, 0, 1)).astype(np.int64)


def _category(name: str, name_zh: str, description: str) -> Grouping:
    a = SCHEMA[name]
    return Grouping(name, name_zh, a.labels, a.labels_zh or a.labels, _schema(name), description)


#: Every grouping, by name.
GROUPINGS: dict[str, Grouping] = {
    g.name: g
    for g in (
        Grouping(
            "age5",
            "年龄组",
            _age_labels(),
            tuple(a.replace("+", "岁及以上") if "+" in a else a + "岁" for a in _age_labels()),
            _age5,
            "5-year age group (completed years; 100+ open)",
        ),
        _category("sex", "性别", "sex"),
        Grouping(
            "urban",
            "城乡",
            ("rural", "urban"),
            ("乡村", "城镇"),
            lambda cols: cols["urban"].astype(np.int64),
            "urban (城镇) or rural (乡村) residence",
        ),
        _category("assistance", "救助类别", "social assistance: none, 低保边缘, 低保, 特困"),
        _category("care_level", "照护等级", "care class: self-care, partial, full care"),
        _category("living", "居住方式", "living arrangement: with family, 空巢, 独居"),
        Grouping(
            "household",
            "家庭类型",
            ("couple", "single", "institution"),
            ("夫妇同住", "单人户", "机构"),
            _household,
            "household: a couple at home, a person at home without a spouse there, or an "
            "institution resident",
        ),
    )
}


def check_groups(groups) -> tuple[str, ...]:
    """``groups`` as a tuple of known grouping names, else a clear error.

    Args:
        groups: A grouping name, or an iterable of them (see :data:`GROUPINGS`).

    Returns:
        The names, in the order given, without duplicates.
    """
    if groups is None:
        return ()
    if isinstance(groups, str):
        groups = (groups,)
    if not isinstance(groups, Iterable):
        raise ParamTypeError(f"groups: expected a grouping name or a tuple of them, got {groups!r}")
    out: list[str] = []
    for g in groups:
        if not isinstance(g, str) or g not in GROUPINGS:
            raise ParamError(
                f"groups: unknown grouping {g!r}{did_you_mean(str(g), GROUPINGS)}; "
                f"allowed: {', '.join(GROUPINGS)}"
            )
        if g not in out:
            out.append(g)
    return tuple(out)


def n_groups(groups: tuple[str, ...]) -> int:
    """Number of group combinations (1 with no groups)."""
    return int(np.prod([len(GROUPINGS[g]) for g in groups], dtype=np.int64))


def codes(cols: dict[str, np.ndarray], groups: tuple[str, ...]) -> np.ndarray:
    """Every agent's group combination (mixed radix over ``groups``; 0 with no groups)."""
    out = np.zeros(len(cols["alive"]), np.int64)
    for g in groups:
        out = out * len(GROUPINGS[g]) + GROUPINGS[g].code(cols)
    return out


def slots(cols: dict[str, np.ndarray], groups: tuple[str, ...]) -> np.ndarray:
    """Every agent's slot: county × group combination (the county itself with no groups)."""
    if not groups:
        return cols["county"]
    return (cols["county"].astype(np.int64) * n_groups(groups) + codes(cols, groups)).astype(
        np.int32
    )


def labels(groups: tuple[str, ...], zh: bool = False) -> dict[str, np.ndarray]:
    """Each grouping's label for every group combination (in :func:`codes` order)."""
    out = {}
    rest = n_groups(groups)
    reps = 1
    for g in groups:
        gr = GROUPINGS[g]
        rest //= len(gr)
        labs = np.asarray(gr.labels_zh if zh else gr.labels, dtype=object)
        out[g] = np.tile(np.repeat(labs, rest), reps)
        reps *= len(gr)
    return out


def in_order(frame, by=None):
    """``frame`` with its grouping columns' rows in the groupings' own order (45-49 … 100+).

    Args:
        frame: A table with grouping columns (English labels).
        by: The columns to sort by, in order (all of the frame's grouping columns, after
            ``year`` if present, by default).

    Returns:
        The sorted frame, index reset.
    """
    by = list(by) if by is not None else [c for c in ("year", *GROUPINGS) if c in frame.columns]
    if not by or frame.empty:
        return frame
    keys = {}
    for c in by:
        if c in GROUPINGS:
            rank = {lab: i for i, lab in enumerate(GROUPINGS[c].labels)}
            keys[c] = frame[c].map(rank)
        else:
            keys[c] = frame[c]
    order = np.lexsort([np.asarray(keys[c]) for c in reversed(by)])
    return frame.iloc[order].reset_index(drop=True)

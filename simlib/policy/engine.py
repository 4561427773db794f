"""Apply a city's service list to a table of people: the person × item view for users.

The vectorised evaluation itself is :meth:`simlib.rules.items.ServiceList.evaluate`; the model
aggregates its results item by item (:mod:`simlib.outcomes.ledger`) without ever building a
person × item table. :func:`apply_services` shows the same results as a tidy DataFrame.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from simlib.core import people as people_mod
from simlib.core.errors import ParamError, ParamTypeError, checked_arguments
from simlib.core.units import ONE_OFF
from simlib.params import City, load_city
from simlib.rules.benefits import kinds

_BASE_COLUMNS = ("person_id", "item_id", "name_en", "eligible")


#: Years :func:`check_year` accepts (a list not in force yet gives a warning, not an error).
FIRST_YEAR, LAST_YEAR = 1900, 2100


def resolve_city(city, year: int | None = None) -> City:
    """A loaded :class:`~simlib.params.City` from a city key, a Chinese name or a City.

    A name is loaded with the standards in force in ``year`` (when given and plausible); a
    City is used as loaded.
    """
    if isinstance(city, City):
        return city
    if isinstance(city, str):
        ok = isinstance(year, (int, np.integer)) and not isinstance(year, bool)
        return load_city(city, year=int(year) if ok and FIRST_YEAR <= year <= LAST_YEAR else None)
    raise ParamTypeError(f"city: expected a city name or a loaded City, got {type(city).__name__}")


def check_year(year, services) -> int:
    """A calendar year as an int; warns when no item of the list is in force yet."""
    if isinstance(year, bool) or not isinstance(year, (int, np.integer)):
        raise ParamTypeError(f"year: expected a calendar year (int), got {year!r}")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ParamError(f"year: {year} is not a plausible year ({FIRST_YEAR}..{LAST_YEAR})")
    first = services.first_year()
    if year < first:
        warnings.warn(
            f"no item of {services.city}'s list is in force in {year} (the list counts from "
            f"{first}); every result is 'not in force'",
            UserWarning,
            stacklevel=3,
        )
    return int(year)


def person_table(people: pd.DataFrame | Mapping[str, np.ndarray], schema=people_mod.SCHEMA):
    """Coded columns and ids from a readable DataFrame or a dict of coded arrays."""
    if isinstance(people, pd.DataFrame):
        try:
            cols = people_mod.from_frame(people, schema=schema)
        except ValueError as err:
            raise ParamError(str(err)) from None
        ids = people["person_id"].to_numpy() if "person_id" in people else np.arange(len(people))
    elif isinstance(people, Mapping):
        cols = dict(people)
        ids = cols.pop("person_id", np.arange(len(cols["age"])))
    else:
        raise ParamTypeError(
            f"people: expected a DataFrame or a dict of columns, got {type(people).__name__}"
        )
    return cols, ids


def benefit_columns(services) -> dict[str, type]:
    """Column → kind of the benefit columns :func:`apply_services` shows for a list.

    Every kind's columns, in :func:`~simlib.rules.benefits.kinds` order.
    """
    comps = [c for it in services.items for c in it.benefit.components]
    cols: dict[str, type] = {}
    for kind in kinds():
        for col in kind.columns([c for c in comps if type(c) is kind]):
            cols.setdefault(col, kind)
    return cols


@checked_arguments
def apply_services(
    city, people: pd.DataFrame | Mapping[str, np.ndarray], year: int
) -> pd.DataFrame:
    """Apply a city's service list to a table of people.

    Args:
        city: A loaded :class:`~simlib.params.City` or a city name (``"datong"``, ``"大同"``).
        people: One row per person: a DataFrame with labels (``assistance="dibao"`` or
            ``"低保"``) or a dict of coded arrays. Missing attributes take defaults.
        year: Calendar year; items not yet in force give nothing.

    Returns:
        Tidy DataFrame, one row per person × item in force, with columns ``person_id``,
        ``item_id``, ``name_en``, ``eligible`` and every benefit kind's columns
        (:func:`~simlib.rules.benefits.kinds`): ``yuan_per_year`` (recurring cash),
        ``yuan_once`` (one-off cash), ``n_<unit>`` (recurring in-kind units per year) and
        ``n_<unit>_once`` (one-off units) for every unit the list uses, ``placement``, and
        the columns of any kind registered.
    """
    city = resolve_city(city, year)
    year = check_year(year, city.services)
    cols, ids = person_table(people)
    results = list(city.services.evaluate(cols, year))
    n = len(ids)
    kind_of = benefit_columns(city.services)
    benefit = list(kind_of)
    columns = [*_BASE_COLUMNS, *benefit]
    frames = []
    for r in results:
        frame = {
            "person_id": ids,
            "item_id": np.repeat(r.item.id, n),
            "name_en": np.repeat(r.item.name_en, n),
            "eligible": r.eligible,
        }
        got = r.columns()
        for c in benefit:
            frame[c] = got[c] if c in got else kind_of[c].empty_column(n)
        frames.append(pd.DataFrame(frame))
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)


def unit_column(city, unit: str) -> str:
    """The :func:`apply_services` column holding ``unit`` for this city's list.

    Recurring units are ``n_<unit>``; units the list gives once (``per: once``, e.g. a home
    adaptation) are ``n_<unit>_once``.
    """
    services = resolve_city(city).services
    comps = [c for it in services.items for c in it.benefit.components]
    once = any(getattr(c, "unit", None) == unit and c.per == ONE_OFF for c in comps)
    for kind in kinds():
        col = kind.unit_column(unit, once)
        if col is not None:
            return col
    raise ParamError(f"no benefit kind gives units (asked for {unit!r})")

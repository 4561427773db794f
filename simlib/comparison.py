"""Side-by-side comparisons of the five service lists (notebook 01)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

from simlib import people
from simlib.params import CITIES, PARAMS_DIR, ParamError, _keys, load_city, read_yaml
from simlib.services import apply_services, catalogue


@cache
def reference_persons(params_dir: Path = PARAMS_DIR) -> pd.DataFrame:
    """The typical persons of ``params/reference_persons.yaml`` as a person table.

    Returns:
        One row per person: ``label``, ``label_zh`` and their attributes.
    """
    where = "params/reference_persons.yaml"
    raw = _keys(read_yaml(params_dir / "reference_persons.yaml"), where, {"persons"})
    rows = []
    for i, p in enumerate(raw["persons"]):
        p = _keys(p, f"{where}: persons[{i}]", {"label", "label_zh", "attributes"})
        try:
            people.from_record(p["attributes"], where=f"{where}: {p['label']}")
        except ValueError as err:
            raise ParamError(str(err)) from None
        rows.append({"label": p["label"], "label_zh": p["label_zh"], **p["attributes"]})
    return pd.DataFrame(rows)


def standards(year: int = 2025, cities: tuple[str, ...] = CITIES) -> pd.DataFrame:
    """Annual cash each city's list pays each reference person, by item family.

    Args:
        year: Calendar year (items must be in force).
        cities: City keys.

    Returns:
        Tidy DataFrame: city, person, person_zh, family, yuan_per_year (recurring cash,
        summed over the city's items of that family).
    """
    persons = reference_persons()
    table = persons.drop(columns=["label", "label_zh"])
    frames = []
    for key in cities:
        city = load_city(key)
        fam = {it.id: it.family or "other" for it in city.items}
        out = apply_services(city, table, year)
        out["family"] = out["item_id"].map(fam)
        out["city"] = key
        frames.append(out)
    df = pd.concat(frames, ignore_index=True)
    df["person"] = persons["label"].to_numpy()[df["person_id"]]
    df["person_zh"] = persons["label_zh"].to_numpy()[df["person_id"]]
    return (
        df.groupby(["city", "person", "person_zh", "family"], sort=False)["yuan_per_year"]
        .sum()
        .reset_index()
    )


def items_by_type() -> pd.DataFrame:
    """Number of list items per city and service type (zh and en).

    Returns:
        A wide table: one row per service type, one column per city, plus a total row.
    """
    cat = catalogue()
    t = cat.pivot_table(
        index=["service_type_zh", "service_type_en"],
        columns="city",
        values="item_id",
        aggfunc="count",
        fill_value=0,
    )[list(CITIES)]
    t.loc[("合计", "total"), :] = t.sum()
    return t.astype(int)


def family_matrix() -> pd.DataFrame:
    """Which item families each city's list contains (1) or lacks (0)."""
    cat = catalogue()
    m = pd.crosstab(cat["family"], cat["city"]).clip(upper=1)[list(CITIES)]
    return m.sort_values(list(CITIES), ascending=False)

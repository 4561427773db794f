"""The vectorised engine, explain() and catalogue() agree with each other and with the dates."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import simlib
from simlib.core import people
from simlib.params import cities

CITIES = cities()

#: Persons per city in the property test: 5 cities × 2 000 = 10 000 people explained one by one.
N_PER_CITY = 2_000


def random_people(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """People with every attribute drawn uniformly over its allowed values.

    Uniform draws (not the model's prevalences) put rare combinations — a 101-year-old 特困
    with a grade-1 certificate living alone — in front of every rule.
    """
    cols = {}
    for name, attr in people.SCHEMA.items():
        if attr.kind == "category":
            cols[name] = rng.integers(0, len(attr.labels), n)
        elif attr.kind == "bool":
            cols[name] = rng.random(n) < 0.5
        elif name == "age":
            cols[name] = rng.integers(45, 106, n)
        else:
            cols[name] = rng.integers(attr.lo, attr.hi + 1, n)
    return people.to_frame(people.from_frame(pd.DataFrame(cols)))


@pytest.mark.parametrize("key", CITIES)
def test_vectorised_equals_explain_person_by_person(key):
    city = simlib.load_city(key)
    df = random_people(N_PER_CITY, np.random.default_rng(CITIES.index(key)))
    table = simlib.apply_services(city, df, 2025)
    # apply_services stacks item blocks of all persons: reshape to [item, person].
    n_items = len(table) // len(df)
    grid = {c: table[c].to_numpy().reshape(n_items, len(df)) for c in table.columns}
    unit_cols = [c for c in table.columns if c.startswith("n_")]
    records = df.to_dict("records")
    for i, person in enumerate(records):
        ex = simlib.explain(city, person, 2025)
        ex = ex[ex["in_force"]]
        assert list(ex["item_id"]) == list(grid["item_id"][:, i])
        assert (ex["eligible"].to_numpy() == grid["eligible"][:, i]).all(), (key, i)
        np.testing.assert_allclose(ex["yuan_per_year"], grid["yuan_per_year"][:, i], err_msg=key)
        np.testing.assert_allclose(ex["yuan_once"], grid["yuan_once"][:, i], err_msg=key)
        for k, units in enumerate(ex["units"]):
            want = {
                f"n_{u.removesuffix(' (once)')}" + ("_once" if u.endswith("(once)") else ""): x
                for u, x in units.items()
            }
            got = {c: grid[c][k, i] for c in unit_cols if grid[c][k, i]}
            assert got == pytest.approx(want), (key, i, k)


def test_explain_lists_conditions_amounts_and_sources():
    ex = simlib.explain("jincheng", {"age": 85, "assistance": "dibao"}, 2025).set_index("item_id")
    assert ex.loc["jincheng.16", "eligible"] and ex.loc["jincheng.16", "yuan_per_year"] == 800
    assert "✓ age ≥ 80" in ex.loc["jincheng.16", "conditions"]
    assert ex.loc["jincheng.16", "source"].endswith("annex item 16")
    # item 19 needs 生活不能自理: the failed condition is shown
    assert not ex.loc["jincheng.19", "eligible"]
    assert "✗ [certified_unable]" in ex.loc["jincheng.19", "conditions"]


def test_items_not_in_force_give_nothing():
    city = simlib.load_city("changzhi")  # issued 2024-10-16: in force from 2025
    assert city.items[0].effective == dt.date(2024, 10, 16)
    person = pd.DataFrame([{"age": 85}])
    with pytest.warns(UserWarning, match="no item of changzhi's list is in force in 2024"):
        assert simlib.apply_services(city, person, 2024).empty
    assert simlib.apply_services(city, person, 2025)["yuan_per_year"].sum() > 0
    with pytest.warns(UserWarning, match="in force"):
        ex = simlib.explain(city, {"age": 85}, 2024)
    assert not ex["in_force"].any() and ex["yuan_per_year"].sum() == 0


def test_in_force_uses_the_mid_year_cutoff():
    city = simlib.load_city("jincheng")
    item = city.items[0]  # effective 2023-12-13
    assert not city.services.in_force(item, 2023) and city.services.in_force(item, 2024)


def test_apply_services_is_tidy_and_rejects_unknown_columns():
    out = simlib.apply_services("xiaoyi", pd.DataFrame([{"age": 70}, {"age": 90}]), 2025)
    # every item in force in 2025: the list's own (the 2026 voucher is not yet in force)
    assert len(out) == 2 * len(simlib.load_city("xiaoyi").services.own_items)
    assert {"person_id", "item_id", "eligible", "yuan_per_year", "placement"} <= set(out.columns)
    with pytest.raises(ValueError, match="unknown person attribute"):
        simlib.apply_services("xiaoyi", pd.DataFrame([{"age": 70, "income": 3}]), 2025)
    with pytest.raises(
        ValueError, match="allowed: none .无., dibao_edge .低保边缘., dibao .低保., tekun .特困."
    ):
        simlib.apply_services("xiaoyi", pd.DataFrame([{"assistance": "poor"}]), 2025)


def test_broad_hardship_variant_widens_eligibility():
    person = pd.DataFrame(
        [{"age": 70, "assistance": "dibao_edge", "care_level": "full_care", "adl_level": 4}]
    )
    narrow = simlib.apply_services("jincheng", person, 2025)
    broad_city = simlib.load_city("jincheng", definition_variants={"economic_hardship": "broad"})
    broad = simlib.apply_services(broad_city, person, 2025)
    # item 19 护理补贴: 100 yuan/month for 经济困难 who cannot care for themselves
    assert narrow.set_index("item_id").loc["jincheng.19", "yuan_per_year"] == 0
    assert broad.set_index("item_id").loc["jincheng.19", "yuan_per_year"] == 1200


@pytest.mark.parametrize(
    ("city", "item"),
    [
        ("jincheng", "jincheng.19"),
        ("datong", "datong.13"),
        ("xiaoyi", "xiaoyi.11"),
        ("changzhi", "changzhi.11"),
        ("puyang", "puyang.11"),
    ],
)
def test_care_subsidy_follows_the_assessed_reading_of_certified_unable(city, item):
    # 中度失能 (adl 2) on the assessment but 全自理 on the census question, in a 低保 family:
    # 经认定生活不能自理 read as assessed 失能 (default) pays the list's 100 yuan/month
    # (Puyang's 60, its annex item 11); the census self-report variant pays nothing.
    person = pd.DataFrame(
        [{"age": 72, "assistance": "dibao", "adl_level": 2, "care_level": "self_care"}]
    )
    monthly = {"puyang": 60}.get(city, 100)
    year = 2025
    assessed = simlib.apply_services(city, person, year).set_index("item_id")
    assert assessed.loc[item, "yuan_per_year"] == 12 * monthly
    census = simlib.load_city(city, definition_variants={"certified_unable": "census_self_report"})
    self_report = simlib.apply_services(census, person, year).set_index("item_id")
    assert self_report.loc[item, "yuan_per_year"] == 0


def test_catalogue_has_every_item_with_bilingual_names():
    cat = simlib.catalogue(programmes=False)
    from simlib.core.reader import read_yaml
    from simlib.params.tree import default_params_dir

    docs = read_yaml(default_params_dir() / "sources" / "documents.yaml")
    # the annex counts params/sources/documents.yaml records, not the loaded lists
    assert cat.groupby("city").size().to_dict() == {c: docs[c]["annex_items"] for c in CITIES}
    assert cat["item_id"].is_unique
    assert cat[["name_zh", "name_en", "service_type_en", "source"]].notna().all().all()
    # the old-age allowance exists in every city's list
    assert set(cat.loc[cat.family == "old_age_allowance", "city"]) == set(CITIES)

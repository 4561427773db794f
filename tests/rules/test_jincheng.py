"""Hand-checked rules of Jincheng's basic elderly care service list (晋市政办〔2023〕47号).

Every expected value below was worked out by hand from the annex of
../shared/seeds/000_d858a38ceeaa3dfc.txt and the context in params/cities/jincheng.yaml
(低保 standard: urban 628, rural 496 yuan/month, Shanxi average; care-subsidy standard
100 yuan/month, annex item 19; resident medical premium 380 yuan/year, an assumption;
disability subsidies 100 yuan/month each, an assumption). Never paste engine output here.
"""

import pandas as pd
import pytest

import simlib
from simlib.policy.engine import unit_column

YEAR = 2025


@pytest.fixture(scope="module")
def city():
    return simlib.load_city("jincheng")


def test_item_count_matches_annex(city):
    assert len(city.items) == 30  # the annex lists items 1..30
    assert [it.number for it in city.items] == list(range(1, 31))
    assert all(it.family for it in city.items)


def test_pension_items_flagged(city):
    assert [it.number for it in city.items if it.pension] == [1, 2]


# person id -> (attributes, expected recurring cash yuan/yr, expected in-kind units per year)
PEOPLE = {
    "p85": (
        dict(age=85, urban=True),
        800,  # item 16: 80–89 → 800 yuan/yr
        {
            "health_check": 1,  # item 14: one check a year (65+)
            "ability_assessment": 1,  # item 12: one a year (assumption, 65+)
            "education_hours": 60,  # item 5: 60 class hours a school year (60+)
            "visit": 0,  # not in special hardship
        },
    ),
    "p95": (
        dict(age=95, urban=True),
        2400,  # item 16: 90–99 → 2400 yuan/yr
        {},
    ),
    "p101": (
        dict(age=101, urban=False),
        3600,  # item 16: 百岁以上 → 3600 yuan/yr
        {},
    ),
    "p85_dibao": (
        dict(age=85, urban=True, assistance="dibao"),
        800  # item 16: 80–89 → 800 yuan/yr
        + 70 * 12,  # item 17: 低保 80–99 → ≥70 yuan/month
        {
            "electricity_kwh": 15 * 12,  # item 30: 低保户 15 kWh a month
            "home_adaptation": 1,  # item 18: 经济困难 (低保) at home, once
            "visit": 0,  # lives with family, self-care: not special hardship
        },
    ),
    "p70_dibao_cannot_self_care": (
        dict(age=70, urban=False, assistance="dibao", care_level="partial_care", adl_level=2),
        100 * 12,  # item 19: 低保, 生活不能自理 → ≥100 yuan/month
        {
            "visit": 2 * 12,  # item 24: 失能 (adl ≥ 2), cannot self-care → 2 a month (assumption)
            "electricity_kwh": 15 * 12,  # item 30: 低保户
            "home_adaptation": 1,  # item 18: 经济困难 (低保) at home
        },
    ),
    "tekun_urban_full_care": (
        dict(
            age=75,
            urban=True,
            assistance="tekun",
            tekun_mode="dispersed",
            care_level="full_care",
            adl_level=4,
            living="alone",
            no_supporter=True,
        ),
        1.3 * 628 * 12  # item 22: 1.3 × urban 低保 628 yuan/month = 9796.8 yuan/yr
        + 3 * 100 * 12  # item 22: 全护理 → 3 × care subsidy 100 yuan/month = 3600
        + 380,  # item 22: resident medical premium paid in full (380/yr, assumption)
        # item 19 is excluded for 特困 (no double payment); item 30 is for rural 特困 only
        {
            "visit": 2 * 12,  # item 24: lives alone, cannot self-care → 2 a month
            "electricity_kwh": 0,  # item 30: urban 特困 not covered
        },
    ),
    "tekun_rural_full_care": (
        dict(
            age=75,
            urban=False,
            assistance="tekun",
            tekun_mode="dispersed",
            care_level="full_care",
            adl_level=4,
            living="alone",
            no_supporter=True,
        ),
        1.3 * 496 * 12  # item 22: 1.3 × rural 低保 496 yuan/month = 7737.6 yuan/yr
        + 3 * 100 * 12  # item 22: 全护理 → 3 × 100 yuan/month
        + 380,  # item 22: resident medical premium
        {
            "visit": 2 * 12,  # item 24
            "electricity_kwh": 15 * 12,  # item 30: 农村特困供养人员
        },
    ),
    "p65_hypertension": (
        dict(age=65, hypertension=True, diabetes=True),
        0,  # no cash item below 80 without hardship
        {
            "health_check": 1,  # item 14
            "follow_up": 4,  # item 14: one a quarter, not one per condition
        },
    ),
    "p64_hypertension": (
        dict(age=64, hypertension=True),
        0,
        {
            "health_check": 0,  # item 14 starts at 65
            "follow_up": 0,
            "education_hours": 60,  # item 5: 60+
        },
    ),
    "p68_alone": (
        dict(age=68, living="alone"),
        0,
        {"visit": 12},  # item 24: 独居, self-care → 1 a month
    ),
    "p82_dibao_disabled_cert": (
        dict(
            age=82,
            urban=True,
            assistance="dibao",
            care_level="full_care",
            adl_level=4,
            disability_grade=1,
            disability_type="physical",
        ),
        800  # item 16: 80–89
        + 70 * 12  # item 17: 低保 80–99
        + 100 * 12  # item 19: cannot self-care, 低保
        + 100 * 12  # item 27: 困难残疾人生活补贴 (低保 family, assumption 100/month)
        + 100 * 12,  # item 27: 重度残疾人护理补贴 (grade 1, assumption 100/month)
        {"visit": 24, "electricity_kwh": 180, "home_adaptation": 1},  # items 24, 30, 18
    ),
    "p72_edge_mental3": (
        dict(
            age=72,
            urban=False,
            assistance="dibao_edge",
            disability_grade=3,
            disability_type="mental",
        ),
        100 * 12  # item 27: living subsidy (低保边缘 family)
        + 100 * 12,  # item 27: care subsidy (grade 3 mental counts as 重度)
        {"home_adaptation": 0},  # item 18: 低保边缘 is outside the default economic hardship
    ),
    "p65_dibao": (
        dict(age=65, urban=True, assistance="dibao"),
        0,  # item 17 needs 80+, item 19 needs 生活不能自理, item 27 a disability certificate
        {
            "electricity_kwh": 15 * 12,  # item 30: 低保户
            "home_adaptation": 1,  # item 18 (annex reading): 经济困难 at home
            "health_check": 1,  # item 14
            "visit": 0,  # with family, self-care
        },
    ),
    "p59_dibao": (
        dict(age=59, assistance="dibao"),
        0,  # every item needs age ≥ 60
        {"electricity_kwh": 0, "education_hours": 0},
    ),
    "tekun_centralized": (
        dict(
            age=80,
            urban=True,
            assistance="tekun",
            tekun_mode="centralized",
            in_institution=True,
            care_level="partial_care",
            adl_level=2,
        ),
        800,  # item 16: 80–89; items 19 (特困 excluded) and 22 (dispersed only) pay nothing
        {"visit": 0, "home_adaptation": 0},  # items 24 and 18 exclude institution residents
    ),
}


@pytest.fixture(scope="module")
def applied(city):
    rows = [{"person_id": pid, **attrs} for pid, (attrs, _, _) in PEOPLE.items()]
    return simlib.apply_services(city, pd.DataFrame(rows), YEAR)


@pytest.mark.parametrize("pid", list(PEOPLE))
def test_annual_cash(applied, pid):
    expected = PEOPLE[pid][1]
    got = applied.loc[applied.person_id == pid, "yuan_per_year"].sum()
    assert got == pytest.approx(expected)


@pytest.mark.parametrize("pid", list(PEOPLE))
def test_in_kind_units(applied, pid):
    rows = applied[applied.person_id == pid]
    for unit, n in PEOPLE[pid][2].items():
        assert rows[unit_column("jincheng", unit)].sum() == pytest.approx(n), unit


def test_one_off_and_placement(applied):
    def person(pid):
        return applied[applied.person_id == pid].set_index("item_id")

    # item 20: 1000 yuan once per 失能 person (普惠制 training subsidy); none if not 失能
    assert person("p70_dibao_cannot_self_care")["yuan_once"].sum() == 1000
    assert person("p85")["yuan_once"].sum() == 0
    # item 23: centralized 特困 get an institution bed
    assert person("tekun_centralized").loc["jincheng.23", "placement"]
    assert not person("tekun_urban_full_care").loc["jincheng.23", "placement"]


def test_explain_care_subsidy(city):
    ex = simlib.explain(
        city, {"age": 70, "assistance": "dibao", "care_level": "partial_care"}, YEAR
    ).set_index("item_id")
    assert ex.loc["jincheng.19", "eligible"]
    assert ex.loc["jincheng.19", "yuan_per_year"] == 1200  # item 19: 100 yuan/month
    ex = simlib.explain(
        city,
        {"age": 70, "assistance": "tekun", "tekun_mode": "dispersed", "care_level": "full_care"},
        YEAR,
    ).set_index("item_id")
    assert not ex.loc["jincheng.19", "eligible"]  # 特困 are paid by item 22 instead
    assert ex.loc["jincheng.22", "eligible"]


def test_explain_service_subsidy_age_band(city):
    ex = simlib.explain(city, {"age": 100, "assistance": "dibao"}, YEAR).set_index("item_id")
    assert not ex.loc["jincheng.17", "eligible"]  # item 17: 80 (含) to 99 (含) only
    assert ex.loc["jincheng.16", "yuan_per_year"] == 3600  # item 16: 百岁以上


def test_broad_economic_hardship_adds_dibao_edge():
    broad = simlib.load_city("jincheng", definition_variants={"economic_hardship": "broad"})
    attrs = PEOPLE["p72_edge_mental3"][0]
    ex = simlib.explain(broad, attrs, YEAR).set_index("item_id")
    assert ex.loc["jincheng.18", "eligible"]  # 低保边缘 counts as 经济困难 under 'broad'


def test_body_reading_of_home_adaptation():
    body = simlib.load_city("jincheng", definition_variants={"home_adaptation_target": "body"})
    # body 二(五)22: only 高龄 (80+), 失能 or 残疾 older people in poor households
    young = simlib.explain(body, PEOPLE["p65_dibao"][0], YEAR).set_index("item_id")
    assert not young.loc["jincheng.18", "eligible"]
    old = simlib.explain(body, PEOPLE["p85_dibao"][0], YEAR).set_index("item_id")
    assert old.loc["jincheng.18", "eligible"]
    edge = simlib.explain(body, PEOPLE["p72_edge_mental3"][0], YEAR).set_index("item_id")
    assert edge.loc["jincheng.18", "eligible"]  # 低保边缘 with a disability certificate

"""Hand-checked rules of Jincheng's basic elderly care service list (晋市政办〔2023〕47号).

Every expected value below was worked out by hand from the annex of
params/sources/documents/jincheng.txt and the context in params/cities/jincheng.yaml
(低保 standard: urban 628, rural 496 yuan/month, the 2022 Shanxi average used as a proxy;
care-subsidy standard 100 yuan/month, annex item 19; resident medical premium 400 yuan/year,
the 2024 national minimum; disability subsidies 100 yuan/month each, an assumption).
Default readings: home adaptation for the body's group (二(五)22), carer training for
生活不能自理, no caring visits in institutions, 重残 as item 27's 重度残疾.
Never paste engine output here.
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
    assert len(city.services.own_items) == 30  # the annex lists items 1..30
    assert [it.number for it in city.services.own_items] == list(range(1, 31))
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
            "home_adaptation": 1,  # item 18 (body 二(五)22): 城乡低保 + 高龄 (80+), at home, once
            "visit": 0,  # lives with family, self-care: not special hardship
        },
    ),
    "p70_dibao_cannot_self_care": (
        dict(age=70, urban=False, assistance="dibao", care_level="partial_care", adl_level=2),
        100 * 12,  # item 19: 低保, 生活不能自理 → ≥100 yuan/month
        {
            "visit": 2 * 12,  # item 24: 失能 (adl ≥ 2), cannot self-care → 2 a month (assumption)
            "electricity_kwh": 15 * 12,  # item 30: 低保户
            "home_adaptation": 1,  # item 18 (body): 城乡低保 + 失能 (adl 2), at home
            "training": 1,  # item 20: 生活不能自理 (半护理), at home → one course, once
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
        + 400,  # item 22: resident medical premium paid in full (400/yr, 2024 minimum)
        # item 19 excludes dispersed 特困 (item 22 pays them); item 30 is for rural 特困 only
        {
            "visit": 2 * 12,  # item 24: lives alone, cannot self-care → 2 a month
            "electricity_kwh": 0,  # item 30: urban 特困 not covered
            "home_adaptation": 1,  # item 18 (body): 特困供养 + 失能 (adl 4), at home
            "training": 1,  # item 20: 全护理 = 生活不能自理, at home
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
        + 400,  # item 22: resident medical premium (2024 minimum)
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
        + 82 * 12  # item 27: 困难残疾人生活补贴 (低保 family, 82/month, Shanxi pre-2026)
        + 109 * 12,  # item 27: 重度残疾人护理补贴 (grade 1, 109/month, Shanxi pre-2026)
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
        82 * 12  # item 27: living subsidy (低保边缘 family; 82/month, Shanxi pre-2026)
        + 54.5 * 12,  # item 27: care subsidy, grade 3 mental (54.5/month, Shanxi pre-2026)
        {
            "home_adaptation": 1,  # item 18 (body 二(五)22 names 低保边缘户): + 残疾 certificate
            # item 24: 重残 = item 27's 重度残疾, which includes grade 3 mental → special
            # hardship; self-care → 1 visit a month
            "visit": 1 * 12,
        },
    ),
    "p65_dibao": (
        dict(age=65, urban=True, assistance="dibao"),
        0,  # item 17 needs 80+, item 19 needs 生活不能自理, item 27 a disability certificate
        {
            "electricity_kwh": 15 * 12,  # item 30: 低保户
            # item 18 (body 二(五)22): 低保 but not 高龄 (65 < 80), not 失能, no certificate
            "home_adaptation": 0,
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
        800  # item 16: 80–89
        # item 19: 60+, 生活不能自理 (半护理), 经济困难 (特困), not dispersed → 100 yuan/month;
        # item 22 pays dispersed 特困 only, item 23 gives only the bed
        + 100 * 12,
        {
            "visit": 0,  # item 24: institution residents not visited (default reading)
            "home_adaptation": 0,  # item 18: 居家 adaptation, not in an institution
            "training": 0,  # item 20: family carers train for care at home
        },
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

    # item 20: the 普惠制 1000 yuan is the price of the training unit, not extra cash:
    # one course once for a 生活不能自理 person at home, and no one-off cash at all
    assert person("p70_dibao_cannot_self_care")["yuan_once"].sum() == 0
    col = unit_column("jincheng", "training")
    assert person("p70_dibao_cannot_self_care")[col].sum() == 1
    assert person("p85")[col].sum() == 0
    # item 23: centralized 特困 get an institution bed
    assert person("tekun_centralized").loc["jincheng.23", "placement"]
    assert not person("tekun_urban_full_care").loc["jincheng.23", "placement"]


def test_explain_care_subsidy(city):
    ex = simlib.explain(
        city,
        {"age": 70, "assistance": "dibao", "care_level": "partial_care", "adl_level": 3},
        YEAR,
    ).set_index("item_id")
    assert ex.loc["jincheng.19", "eligible"]
    assert ex.loc["jincheng.19", "yuan_per_year"] == 1200  # item 19: 100 yuan/month
    ex = simlib.explain(
        city,
        {"age": 70, "assistance": "tekun", "tekun_mode": "dispersed", "care_level": "full_care"},
        YEAR,
    ).set_index("item_id")
    assert not ex.loc["jincheng.19", "eligible"]  # dispersed 特困 are paid by item 22 instead
    assert ex.loc["jincheng.22", "eligible"]
    # centralized 特困 who cannot care for themselves: item 19's words cover them and no
    # other item pays them care → 100 yuan/month × 12 = 1200
    ex = simlib.explain(
        city,
        {
            "age": 70,
            "assistance": "tekun",
            "tekun_mode": "centralized",
            "in_institution": True,
            "care_level": "full_care",
            "adl_level": 4,
        },
        YEAR,
    ).set_index("item_id")
    assert ex.loc["jincheng.19", "eligible"]
    assert ex.loc["jincheng.19", "yuan_per_year"] == 1200
    assert not ex.loc["jincheng.22", "eligible"]


def test_explain_service_subsidy_age_band(city):
    ex = simlib.explain(city, {"age": 100, "assistance": "dibao"}, YEAR).set_index("item_id")
    assert not ex.loc["jincheng.17", "eligible"]  # item 17: 80 (含) to 99 (含) only
    assert ex.loc["jincheng.16", "yuan_per_year"] == 3600  # item 16: 百岁以上


def test_broad_economic_hardship_adds_dibao_edge():
    # under the annex reading of item 18 (经济困难), 低保边缘 counts only with 'broad'
    attrs = PEOPLE["p72_edge_mental3"][0]
    narrow = simlib.load_city("jincheng", definition_variants={"home_adaptation_target": "list"})
    ex = simlib.explain(narrow, attrs, YEAR).set_index("item_id")
    assert not ex.loc["jincheng.18", "eligible"]
    broad = simlib.load_city(
        "jincheng",
        definition_variants={"economic_hardship": "broad", "home_adaptation_target": "list"},
    )
    ex = simlib.explain(broad, attrs, YEAR).set_index("item_id")
    assert ex.loc["jincheng.18", "eligible"]  # 低保边缘 counts as 经济困难 under 'broad'


def test_home_adaptation_readings():
    # default 'body' (二(五)22): 特困/低保/低保边缘 households with a 高龄 (80+), 失能 or 残疾
    # member; 'list' (item 18): every 经济困难 (低保 or 特困) older person. Both at home only.
    body = simlib.load_city("jincheng")
    lst = simlib.load_city("jincheng", definition_variants={"home_adaptation_target": "list"})

    def eligible(city, attrs):
        return bool(
            simlib.explain(city, attrs, YEAR).set_index("item_id").loc["jincheng.18", "eligible"]
        )

    p65 = PEOPLE["p65_dibao"][0]  # 低保, 65, able, no certificate
    assert not eligible(body, p65) and eligible(lst, p65)
    p85 = PEOPLE["p85_dibao"][0]  # 低保, 85 = 高龄
    assert eligible(body, p85) and eligible(lst, p85)
    edge = PEOPLE["p72_edge_mental3"][0]  # 低保边缘 with a certificate
    assert eligible(body, edge) and not eligible(lst, edge)
    inst = {**p85, "in_institution": True}  # no home to adapt under either reading
    assert not eligible(body, inst) and not eligible(lst, inst)
    # the adaptation belongs to the household
    item = next(it for it in body.items if it.id == "jincheng.18")
    assert item.benefit.household


def test_severe_disability_reading():
    # item 24's 重残: default = item 27's 重度残疾 (grades 1–2, or 3–4 mental/intellectual);
    # 'grade_1_2' drops the grade-3 mental certificate holder from the visits
    attrs = PEOPLE["p72_edge_mental3"][0]
    narrow = simlib.load_city("jincheng", definition_variants={"severe_disability": "grade_1_2"})
    ex = simlib.explain(narrow, attrs, YEAR).set_index("item_id")
    assert not ex.loc["jincheng.24", "eligible"]
    ex = simlib.explain(simlib.load_city("jincheng"), attrs, YEAR).set_index("item_id")
    assert ex.loc["jincheng.24", "eligible"]
    assert ex.loc["jincheng.24", "units"] == {"visit": 12}  # self-care: 1 a month


def test_caring_visit_setting_reading():
    # item 24: 'anywhere' visits the centralized 特困 (失能 adl 2 → special hardship;
    # 半护理 = cannot self-care → 2 a month × 12 = 24); the default does not
    attrs = PEOPLE["tekun_centralized"][0]
    anywhere = simlib.load_city(
        "jincheng", definition_variants={"caring_visit_setting": "anywhere"}
    )
    ex = simlib.explain(anywhere, attrs, YEAR).set_index("item_id")
    assert ex.loc["jincheng.24", "units"] == {"visit": 24}
    ex = simlib.explain(simlib.load_city("jincheng"), attrs, YEAR).set_index("item_id")
    assert not ex.loc["jincheng.24", "eligible"]


def test_carer_training_group_reading():
    # item 20: a moderately disabled (adl 2) person who can still care for themselves
    # (全自理): not 生活不能自理 (default) → no course; 失能 ('disabled') → one course
    attrs = {"age": 75, "adl_level": 2, "care_level": "self_care"}
    ex = simlib.explain(simlib.load_city("jincheng"), attrs, YEAR).set_index("item_id")
    assert not ex.loc["jincheng.20", "eligible"]
    dis = simlib.load_city("jincheng", definition_variants={"carer_training_group": "disabled"})
    ex = simlib.explain(dis, attrs, YEAR).set_index("item_id")
    assert ex.loc["jincheng.20", "eligible"]
    assert ex.loc["jincheng.20", "yuan_once"] == 0  # the 1000 yuan is the unit's price

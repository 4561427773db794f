"""Datong's service list (同政办发〔2024〕6号 annex) applied to hand-made persons.

Every expected value below is worked out by hand from the document
(params/sources/documents/datong.txt) and params/cities/datong.yaml, with one comment per
term naming the annex item it comes from. Standards used: 低保 = 2022 Shanxi average 628 urban
/ 496 rural yuan/month (a proxy); care subsidy = 100 yuan/month (item 13); resident medical
insurance premium = 400 yuan/year (2024 national minimum). Item 8 (80-99) uses the assumed
default 70 yuan/month. Default readings: home adaptation for the body's group (二(五)20:
分散供养特困 with a 高龄/失能/残疾 member), carer training for 生活不能自理, no caring visits in
institutions.
"""

import pandas as pd
import pytest

import simlib
from simlib.policy.engine import unit_column

YEAR = 2025


@pytest.fixture(scope="module")
def city():
    return simlib.load_city("datong")


def test_item_count_matches_annex(city):
    assert len(city.services.own_items) == 22  # the annex lists items 1..22
    assert [it.number for it in city.services.own_items] == list(range(1, 23))


# (label, attributes, annual recurring cash, one-off cash, {unit: units per year}, placement)
PERSONS = [
    (
        "72 on dibao with a grade-1 disability certificate",
        {
            "age": 72,
            "urban": False,
            "assistance": "dibao",
            "disability_grade": 1,
            "disability_type": "physical",
        },
        82 * 12  # item 21: 困难残疾人生活补贴 (低保 + certificate), 82 yuan/month (pre-2026)
        + 109 * 12,  # item 21: 重度残疾人护理补贴 (grade 1-2), 109 yuan/month (Shanxi, pre-2026)
        0,
        {
            "health_check": 1,  # item 6: 65+ yearly health management
            "home_adaptation": 0,  # item 11 (body 二(五)20): 低保, not 分散供养特困
            "visit": 12,  # item 18: 重残 is a special-hardship group; self-care → monthly
        },
        False,
    ),
    (
        "85 non-poor",
        {"age": 85, "urban": True},
        70 * 12,  # item 8: 80-99 高龄津贴, assumed 70 yuan/month
        0,
        {
            "health_check": 1,  # item 6: one free health check a year
            "ability_assessment": 1,  # item 5: one free assessment a year (assumed)
            "home_adaptation": 0,  # item 11: not 经济困难
        },
        False,
    ),
    (
        "101 non-poor",
        {"age": 101, "urban": True},
        300 * 12,  # item 9: 100+ → 300 yuan/month (item 8 stops at 99)
        0,
        {"health_check": 1},  # item 6
        False,
    ),
    (
        "85 on dibao",
        {"age": 85, "urban": True, "assistance": "dibao"},
        70 * 12  # item 8: 80-99 高龄津贴, assumed 70 yuan/month
        + 70 * 12,  # item 10: 80+ 经济困难 养老服务补贴 ≥ 70 yuan/month
        0,
        {
            "health_check": 1,  # item 6
            "home_adaptation": 0,  # item 11 (body 二(五)20): 低保, not 分散供养特困
            "visit": 0,  # item 18: not in a special-hardship group
        },
        False,
    ),
    (
        "70 on dibao, cannot self-care, moderately disabled",
        {
            "age": 70,
            "urban": True,
            "assistance": "dibao",
            "care_level": "partial_care",
            "adl_level": 2,
        },
        100 * 12,  # item 13: 护理补贴 ≥ 100 yuan/month (60+, 不能自理, 经济困难)
        0,  # item 14: the 1000 yuan is the price of the training unit, not extra cash
        {
            "health_check": 1,  # item 6
            "visit": 2 * 12,  # item 18: 失能 → special hardship; 不能自理 → 2/month (assumed)
            "training": 1,  # item 14: 生活不能自理 (半护理), at home → one course, once
            "home_adaptation": 0,  # item 11: not 分散供养特困
        },
        False,
    ),
    (
        "75 tekun at home, full care, urban",
        {
            "age": 75,
            "urban": True,
            "assistance": "tekun",
            "tekun_mode": "dispersed",
            "care_level": "full_care",
            "adl_level": 4,
        },
        1.3 * 628 * 12  # item 16: 1.3 × urban 低保 628 yuan/month
        + 3 * 100 * 12  # item 16: 全护理 → 3 × care subsidy 100 yuan/month
        + 400,  # item 16: resident medical insurance premium (2024 minimum), paid in full
        # item 13 not paid: dispersed 特困 excluded (item 16 already pays the care subsidy)
        0,  # item 14: no one-off cash (the subsidy is the training unit's price)
        {
            "health_check": 1,  # item 6
            "visit": 2 * 12,  # item 18: 失能, 不能自理 → 2/month (assumed)
            "training": 1,  # item 14: 全护理 = 生活不能自理, at home
            "home_adaptation": 1,  # item 11 (body): 分散供养特困 + 失能 (adl 4), at home
        },
        False,
    ),
    (
        "75 tekun at home, full care, rural",
        {
            "age": 75,
            "urban": False,
            "assistance": "tekun",
            "tekun_mode": "dispersed",
            "care_level": "full_care",
            "adl_level": 4,
        },
        1.3 * 496 * 12  # item 16: 1.3 × rural 低保 496 yuan/month
        + 3 * 100 * 12  # item 16: 全护理 → 3 × care subsidy
        + 400,  # item 16: resident medical insurance premium (2024 minimum)
        0,  # item 14: no one-off cash
        # item 6; item 18 (2/month, assumed); item 14 (one course); item 11 (body, 失能)
        {"health_check": 1, "visit": 2 * 12, "training": 1, "home_adaptation": 1},
        False,
    ),
    (
        "85 tekun at home, self-care, rural, living alone",
        {
            "age": 85,
            "urban": False,
            "assistance": "tekun",
            "tekun_mode": "dispersed",
            "living": "alone",
        },
        70 * 12  # item 8: 80-99 高龄津贴 (assumed 70/month)
        + 70 * 12  # item 10: 80+ 经济困难 (特困) → 70/month
        + 1.3 * 496 * 12  # item 16: 1.3 × rural 低保
        + 1 * 100 * 12  # item 16: 全自理 → 1 × care subsidy
        + 400,  # item 16: premium (2024 minimum)
        0,
        # item 6; item 18: 独居, self-care → 1/month; item 11 (body): 分散供养特困 + 高龄 (85)
        {"health_check": 1, "visit": 1 * 12, "home_adaptation": 1, "training": 0},
        False,
    ),
    (
        "65 with hypertension",
        {"age": 65, "urban": True, "hypertension": True},
        0,
        0,
        # item 6: one check a year; Datong's list has no chronic-disease follow-ups
        {"health_check": 1, "follow_up": 0},
        False,
    ),
    (
        "72 living alone, self-care",
        {"age": 72, "urban": True, "living": "alone"},
        0,
        0,
        {"health_check": 1, "visit": 12},  # item 6; item 18: 独居 → 1 visit/month
        False,
    ),
    (
        "60 tekun in an institution",
        {
            "age": 60,
            "urban": True,
            "assistance": "tekun",
            "tekun_mode": "centralized",
            "in_institution": True,
        },
        0,  # item 17 pays no cash; item 13 needs 不能自理 (this person is 全自理)
        0,
        {"health_check": 0},  # item 6 starts at 65
        True,  # item 17: institution bed
    ),
    (
        "78 tekun in an institution, full care",
        {
            "age": 78,
            "urban": True,
            "assistance": "tekun",
            "tekun_mode": "centralized",
            "in_institution": True,
            "care_level": "full_care",
            "adl_level": 4,
        },
        # item 13: 60+, 生活不能自理 (全护理), 经济困难 (特困), not 分散供养 → 100 yuan/month;
        # items 8 and 10 need 80+; item 16 is for dispersed 特困 only
        100 * 12,
        0,
        {
            "health_check": 1,  # item 6
            "ability_assessment": 1,  # item 5 (assumed yearly)
            "visit": 0,  # item 18: institution residents not visited (default reading)
            "training": 0,  # item 14: family carers train for care at home
            "home_adaptation": 0,  # item 11: no home to adapt
        },
        True,  # item 17: institution bed
    ),
    (
        "59 on dibao",
        {"age": 59, "urban": True, "assistance": "dibao", "care_level": "full_care"},
        0,  # every item needs 60+ (item 13: 60周岁及以上)
        0,
        {"health_check": 0, "visit": 0},
        False,
    ),
]


@pytest.fixture(scope="module")
def results(city):
    people = pd.DataFrame([attrs for _, attrs, *_ in PERSONS])
    people["person_id"] = range(len(PERSONS))
    return simlib.apply_services(city, people, YEAR)


@pytest.mark.parametrize("i", range(len(PERSONS)), ids=[p[0] for p in PERSONS])
def test_person(results, i):
    _, _, cash, once, units, placed = PERSONS[i]
    rows = results[results.person_id == i]
    assert rows.yuan_per_year.sum() == pytest.approx(cash)
    assert rows.yuan_once.sum() == pytest.approx(once)
    for unit, n in units.items():
        col = unit_column("datong", unit)
        got = rows[col].sum() if col in rows else 0.0
        assert got == pytest.approx(n), unit
    assert bool(rows.placement.any()) is placed


def _row(city, person, item_id):
    out = simlib.explain(city, person, YEAR)
    return out[out.item_id == item_id].iloc[0]


def test_explain_care_subsidy_excludes_tekun(city):
    tekun = {
        "age": 75,
        "assistance": "tekun",
        "tekun_mode": "dispersed",
        "care_level": "full_care",
        "adl_level": 4,  # 完全失能: 全护理, and assessed 失能 (经认定, item 13)
    }
    assert not _row(city, tekun, "datong.13").eligible  # item 13: dispersed 特困 excluded
    assert _row(city, tekun, "datong.16").eligible  # item 16: 分散供养
    dibao = {**tekun, "assistance": "dibao", "tekun_mode": "none"}
    assert _row(city, dibao, "datong.13").eligible
    # centralized 特困: item 13's words cover them, item 17 pays no care → 100 × 12 = 1200
    central = {**tekun, "tekun_mode": "centralized", "in_institution": True}
    row = _row(city, central, "datong.13")
    assert row.eligible and row.yuan_per_year == pytest.approx(1200)


def test_explain_legal_aid_means_test_exemption_at_70(city):
    # item 12: 70岁以上老年人免于经济状况审查; younger needs 经济困难
    assert _row(city, {"age": 70}, "datong.12").eligible
    assert not _row(city, {"age": 65}, "datong.12").eligible
    assert _row(city, {"age": 65, "assistance": "dibao"}, "datong.12").eligible


def test_explain_disability_subsidies(city):
    # item 21: living subsidy for 低保/低保边缘 certificate holders; care subsidy for
    # grades 1-2 or grades 3-4 mental/intellectual
    assert _row(
        city, {"age": 66, "disability_grade": 4, "assistance": "dibao_edge"}, "datong.21"
    ).eligible
    assert _row(city, {"age": 66, "disability_grade": 2}, "datong.21").eligible
    assert _row(
        city, {"age": 66, "disability_grade": 3, "disability_type": "mental"}, "datong.21"
    ).eligible
    assert not _row(
        city, {"age": 66, "disability_grade": 3, "disability_type": "physical"}, "datong.21"
    ).eligible


def test_explain_old_age_allowance_bands(city):
    assert _row(city, {"age": 99}, "datong.8").eligible  # item 8: 80-99
    assert not _row(city, {"age": 100}, "datong.8").eligible
    row = _row(city, {"age": 100}, "datong.9")  # item 9: 100+
    assert row.eligible
    assert row.yuan_per_year == pytest.approx(300 * 12)


def test_home_adaptation_readings():
    # item 11. default 'body' (二(五)20): 分散供养特困 with a 高龄 (80+)/失能/残疾 member;
    # 'body_expanded' adds 低保 households with a 高龄/失能/留守/空巢/残疾 member and 计生特殊家庭;
    # 'list' = every 经济困难 (低保 or 特困) older person. All at home only.
    def adapted(variant, person):
        city = simlib.load_city("datong", definition_variants={"home_adaptation_target": variant})
        return bool(_row(city, person, "datong.11").eligible)

    dibao85 = {"age": 85, "assistance": "dibao"}
    assert not adapted("body", dibao85)
    assert adapted("body_expanded", dibao85)  # 低保 + 高龄
    assert adapted("list", dibao85)
    dibao65 = {"age": 65, "assistance": "dibao"}  # 低保, no listed condition
    assert not adapted("body_expanded", dibao65) and adapted("list", dibao65)
    tekun85 = {"age": 85, "assistance": "tekun", "tekun_mode": "dispersed"}
    assert adapted("body", tekun85)
    fp = {"age": 66, "fp_special": True}  # 计划生育特殊家庭, not poor
    assert adapted("body_expanded", fp) and not adapted("body", fp)
    inst = {**dibao85, "in_institution": True}  # no home to adapt under any reading
    assert not adapted("list", inst) and not adapted("body_expanded", inst)


def test_caring_visit_setting_reading(city):
    # item 18: a 72-year-old living alone (self-care) in an institution: not visited by
    # default; 'anywhere' → 1 visit a month × 12 = 12
    person = {"age": 72, "living": "alone", "in_institution": True}
    assert not _row(city, person, "datong.18").eligible
    anywhere = simlib.load_city("datong", definition_variants={"caring_visit_setting": "anywhere"})
    assert _row(anywhere, person, "datong.18").units == {"visit": 12}


def test_carer_training_group_reading(city):
    # item 14: adl 2 (中度失能) but 全自理: not 生活不能自理 (default) → no course; the content's
    # 失能 ('disabled') → one course, and no one-off cash under either reading
    person = {"age": 75, "adl_level": 2, "care_level": "self_care"}
    assert not _row(city, person, "datong.14").eligible
    dis = simlib.load_city("datong", definition_variants={"carer_training_group": "disabled"})
    row = _row(dis, person, "datong.14")
    assert row.eligible and row.yuan_once == 0

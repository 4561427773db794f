"""Changzhi (长治市) service list: hand-worked persons against the rules.

Every expected value below was worked out by hand from the annex of
params/sources/documents/changzhi.txt (长政办发〔2024〕28号), with the city standards of
params/cities/changzhi.yaml: 低保 628 urban / 496 rural yuan a month (2022 Shanxi average, a
proxy), care subsidy 100 yuan a month (item 11), resident medical premium 400 yuan a year
(2024 national minimum). Default readings: home adaptation for the body's group (三(五)25:
分散供养特困 with a 高龄/失能/残疾 member), carer training for 生活不能自理 at home, no caring
visits in institutions. The document was issued on 2024-10-16, after the 1 July cut-off, so
its items count from 2025.
"""

import pandas as pd
import pytest

import simlib
from simlib.policy.engine import unit_column

YEAR = 2025
N_ANNEX_ITEMS = 26  # annex rows 1..26 of the seed document

# label, attributes, expected recurring cash (yuan/year), expected in-kind units per year,
# expected placement (item id) or None.
CASES = [
    (
        "85, not poor",
        {"age": 85},
        70 * 12,  # item 8 高龄津贴: 80–89 不低于70元/人/月
        {"health_check": 1, "ability_assessment": 1},  # item 6 yearly check; item 5 assessment
        None,
    ),
    (
        "95, not poor",
        {"age": 95},
        150 * 12,  # item 8: 90–99 不低于150元/人/月
        {"health_check": 1, "ability_assessment": 1},
        None,
    ),
    (
        "101, not poor",
        {"age": 101},
        300 * 12,  # item 8: 100周岁及以上 不低于300元/人/月
        {"health_check": 1, "ability_assessment": 1},
        None,
    ),
    (
        "85 on dibao",
        {"age": 85, "assistance": "dibao"},
        70 * 12  # item 8 高龄津贴, 80–89
        + 70 * 12  # item 9 养老服务补贴: 80+ 经济困难 不低于70元/月
        + 7.16 * 12,  # item 23 商业服务优待: 退费 7.16元/户/月 (= 15度 free electricity)
        {
            "health_check": 1,
            "ability_assessment": 1,
            "home_adaptation": 0,  # item 10 (body 三(五)25): 低保, not 分散供养特困
        },
        None,
    ),
    (
        "70 on dibao, cannot care for self",
        {"age": 70, "assistance": "dibao", "care_level": "partial_care", "adl_level": 2},
        100 * 12  # item 11 护理补贴: 不低于100元/月
        + 7.16 * 12,  # item 23 electricity refund
        {
            "health_check": 1,
            "ability_assessment": 1,
            "home_adaptation": 0,  # item 10 (body): 低保, not 分散供养特困
            "training": 1,  # item 12: 生活不能自理 (半护理) at home → a family carer's course, once
            "visit": 2 * 12,  # item 16: 失能 → special hardship; 不能自理 → 2 a month (assumed)
        },
        None,
    ),
    (
        "tekun at home, full care, urban",
        {
            "age": 75,
            "urban": True,
            "assistance": "tekun",
            "tekun_mode": "dispersed",
            "care_level": "full_care",
            "adl_level": 4,
        },
        1.3 * 628 * 12  # item 14 ①: 1.3 × urban 低保 628 a month
        + 3 * 100 * 12  # item 14 ③: 全护理 3 × care subsidy 100 a month
        + 400  # item 14 ②: resident medical premium (2024 minimum), paid in full
        + 7.16 * 12,  # item 23: 特困救助对象户 refund; item 11 excludes dispersed 特困
        {
            "health_check": 1,
            "ability_assessment": 1,
            "home_adaptation": 1,
            "training": 1,
            "visit": 24,
        },
        None,
    ),
    (
        "tekun at home, full care, rural",
        {
            "age": 75,
            "urban": False,
            "assistance": "tekun",
            "tekun_mode": "dispersed",
            "care_level": "full_care",
            "adl_level": 4,
        },
        1.3 * 496 * 12  # item 14 ①: 1.3 × rural 低保 496 a month
        + 3 * 100 * 12  # item 14 ③
        + 400  # item 14 ② (2024 minimum)
        + 7.16 * 12,  # item 23
        {
            "health_check": 1,
            "ability_assessment": 1,
            "home_adaptation": 1,
            "training": 1,
            "visit": 24,
        },
        None,
    ),
    (
        "tekun in an institution, 80, partial care",
        {
            "age": 80,
            "assistance": "tekun",
            "tekun_mode": "centralized",
            "in_institution": True,
            "care_level": "partial_care",
            "adl_level": 2,
        },
        70 * 12  # item 8 高龄津贴
        + 70 * 12  # item 9 养老服务补贴 (特困 is 经济困难)
        # item 11: 60+, 生活不能自理 (半护理), 经济困难, not 分散供养 → 100 a month; item 14 is
        # for dispersed 特困 and item 23 for households, so neither pays
        + 100 * 12,
        # items 10 (居家 adaptation), 12 (family carers) and 16 (visits, default reading)
        # are for those living at home
        {"health_check": 1, "ability_assessment": 1, "training": 0, "visit": 0},
        "changzhi.15",  # 集中供养 bed
    ),
    (
        "65 with hypertension",
        {"age": 65, "hypertension": True},
        0,
        # item 6 yearly check; item 24 quarterly follow-up; item 5 assessment
        {"health_check": 1, "follow_up": 4, "ability_assessment": 1},
        None,
    ),
    (
        "68 living alone, self-care",
        {"age": 68, "living": "alone"},
        0,
        {"health_check": 1, "ability_assessment": 1, "visit": 12},  # item 16: 1 a month
        None,
    ),
    (
        "62, family-planning special family",
        {"age": 62, "fp_special": True},
        0,
        {"visit": 12},  # item 16 (计划生育特殊家庭); under 65: no items 5, 6
        "changzhi.18",  # priority admission
    ),
    (
        "75 veteran without supporter",
        {"age": 75, "youfu": True, "no_supporter": True},
        0,
        {"health_check": 1, "ability_assessment": 1},
        "changzhi.17",  # 优抚对象集中供养
    ),
    (
        "70 on dibao, grade-1 disability, full care",
        {
            "age": 70,
            "assistance": "dibao",
            "disability_grade": 1,
            "disability_type": "physical",
            "adl_level": 3,
            "care_level": "full_care",
        },
        100 * 12  # item 11 护理补贴 (不能自理, 低保)
        + 82 * 12  # item 19 困难残疾人生活补贴 (82 a month, Shanxi pre-2026)
        + 109 * 12  # item 19 重度残疾人护理补贴, grade 1 (109 a month, Shanxi pre-2026)
        + 7.16 * 12,  # item 23 electricity refund
        {
            "health_check": 1,
            "ability_assessment": 1,
            "home_adaptation": 0,  # item 10 (body): 低保, not 分散供养特困
            "training": 1,  # item 12 (全护理 = 生活不能自理)
            "visit": 24,  # item 16: 重残/失能, cannot care for self → 2 a month
        },
        None,
    ),
    ("59 on dibao", {"age": 59, "assistance": "dibao"}, 0, {}, None),  # every item needs 60+
]

UNITS = (
    "health_check",
    "follow_up",
    "ability_assessment",
    "visit",
    "home_adaptation",
    "training",
)


@pytest.fixture(scope="module")
def city():
    return simlib.load_city("changzhi")


@pytest.fixture(scope="module")
def result(city):
    people = pd.DataFrame([{"person_id": i, **attrs} for i, (_, attrs, *_) in enumerate(CASES)])
    return simlib.apply_services(city, people, YEAR)


def test_item_count_matches_annex(city):
    assert len(city.services.own_items) == N_ANNEX_ITEMS
    assert [it.id for it in city.services.own_items] == [f"changzhi.{n}" for n in range(1, 27)]
    assert [it.number for it in city.items if it.pension] == [1, 2]


def test_counties(city):
    assert len(city.context.counties) == 12
    assert 140403 in city.context.counties  # 潞州区
    assert 140400 not in city.context.counties  # the whole-city row


@pytest.mark.parametrize("i", range(len(CASES)), ids=[c[0] for c in CASES])
def test_annual_cash(result, i):
    expected = CASES[i][2]
    rows = result[result.person_id == i]
    assert rows.yuan_per_year.sum() == pytest.approx(expected)


@pytest.mark.parametrize("i", range(len(CASES)), ids=[c[0] for c in CASES])
def test_in_kind_units(result, i):
    expected = CASES[i][3]
    rows = result[result.person_id == i]
    for unit in UNITS:
        assert rows[unit_column("changzhi", unit)].sum() == pytest.approx(expected.get(unit, 0)), (
            unit
        )


@pytest.mark.parametrize("i", range(len(CASES)), ids=[c[0] for c in CASES])
def test_placement(result, i):
    expected = CASES[i][4]
    rows = result[(result.person_id == i) & result.placement]
    assert list(rows.item_id) == ([expected] if expected else [])


def test_no_one_off_cash(result):
    # item 12: the 普惠制培训补助 1000元/人 is the price of the training unit
    # (params/outcomes.yaml), counted once as the unit's cost, never again as cash
    once = result.groupby("person_id").yuan_once.sum()
    assert list(once) == [0] * len(CASES)


def test_under_60_gets_nothing(result):
    assert not result[result.person_id == len(CASES) - 1].eligible.any()


def test_tekun_split_by_item(result):
    rows = result[result.person_id == 5].set_index("item_id")  # tekun at home, urban
    # item 14: 1.3 × 628 × 12 = 9796.8; 3 × 100 × 12 = 3600; premium 400
    assert rows.loc["changzhi.14", "yuan_per_year"] == pytest.approx(9796.8 + 3600 + 400)
    assert not rows.loc["changzhi.11", "eligible"]  # no double care subsidy
    assert rows.loc["changzhi.11", "yuan_per_year"] == 0


def test_economic_hardship_broad_variant():
    person = pd.DataFrame([{"age": 85, "assistance": "dibao_edge"}])
    default = simlib.apply_services(simlib.load_city("changzhi"), person, YEAR)
    broad = simlib.apply_services(
        simlib.load_city("changzhi", definition_variants={"economic_hardship": "broad"}),
        person,
        YEAR,
    )
    assert default.yuan_per_year.sum() == pytest.approx(840)  # item 8 only
    assert broad.yuan_per_year.sum() == pytest.approx(840 + 840)  # + item 9 养老服务补贴


def test_not_in_force_in_2024(city):
    # issued 2024-10-16, after the 1 July cut-off
    out = simlib.apply_services(city, pd.DataFrame([{"age": 85}]), 2024)
    assert out.empty


def test_explain_service_subsidy(city):
    ex = simlib.explain(city, {"age": 85, "assistance": "dibao"}, YEAR).set_index("item_id")
    row = ex.loc["changzhi.9"]
    assert row.eligible and row.in_force
    assert row.yuan_per_year == pytest.approx(840)
    assert "✓ [economic_hardship]" in row.conditions
    assert "annex item 9" in row.source


def test_explain_care_subsidy_excludes_tekun(city):
    person = {
        "age": 75,
        "assistance": "tekun",
        "tekun_mode": "dispersed",
        "care_level": "full_care",
    }
    ex = simlib.explain(city, person, YEAR).set_index("item_id")
    assert not ex.loc["changzhi.11", "eligible"]
    assert "✗ not" in ex.loc["changzhi.11", "conditions"]
    assert ex.loc["changzhi.14", "eligible"]
    assert not ex.loc["changzhi.25", "quantified"]


def test_carer_training_group_reading():
    # item 12 sits under 对象 经认定生活不能自理的老年人; its content says 失能. A person with
    # adl 2 (中度失能) who is still 全自理: no course by default; one under 'disabled'.
    person = {"age": 70, "adl_level": 2, "care_level": "self_care"}
    ex = simlib.explain(simlib.load_city("changzhi"), person, YEAR).set_index("item_id")
    assert not ex.loc["changzhi.12", "eligible"]
    dis = simlib.load_city("changzhi", definition_variants={"carer_training_group": "disabled"})
    ex = simlib.explain(dis, person, YEAR).set_index("item_id")
    assert ex.loc["changzhi.12", "eligible"] and ex.loc["changzhi.12", "yuan_once"] == 0


def test_home_adaptation_readings():
    # item 10. default 'body' (三(五)25): 分散供养特困 with a 高龄/失能/残疾 member;
    # 'body_extended' adds every 失能 person at home (income test not representable);
    # 'list' = every 经济困难 (低保 or 特困) older person. All at home only.
    def adapted(variant, person):
        city = simlib.load_city("changzhi", definition_variants={"home_adaptation_target": variant})
        return bool(
            simlib.explain(city, person, YEAR).set_index("item_id").loc["changzhi.10", "eligible"]
        )

    dibao = {"age": 70, "assistance": "dibao"}
    assert not adapted("body", dibao) and not adapted("body_extended", dibao)
    assert adapted("list", dibao)
    frail = {"age": 70, "adl_level": 2}  # 失能, not poor
    assert not adapted("body", frail) and adapted("body_extended", frail)
    assert not adapted("list", frail)
    tekun = {"age": 81, "assistance": "tekun", "tekun_mode": "dispersed"}  # 高龄
    assert adapted("body", tekun)
    assert not adapted("list", {**dibao, "in_institution": True})


def test_caring_visit_setting_reading():
    # item 16 for the centralized 80-year-old (失能 adl 2, 半护理): 'anywhere' → 2 × 12 = 24
    person = CASES[7][1]
    anywhere = simlib.load_city(
        "changzhi", definition_variants={"caring_visit_setting": "anywhere"}
    )
    ex = simlib.explain(anywhere, person, YEAR).set_index("item_id")
    assert ex.loc["changzhi.16", "units"] == {"visit": 24}


def test_special_hardship_group_is_a_flagged_reading():
    # annex item 16's groups vs the body's screening (三(二)7, 经济困难 AND a group): a reading
    dfn = simlib.load_city("changzhi").context.definitions["special_hardship"]
    assert dfn.provenance.assumption and dfn.provenance.rationale
    assert set(dfn.variants) == {"annex_listed_groups", "body_screening"}


def test_hiring_bonuses_are_targets_not_context():
    # 三(五)28: 硕士及以上、本科、大专、中专 … 分别给予6万元、5万元、4万元、3万元的一次性入职奖励
    city = simlib.load_city("changzhi")
    by_id = {t.id: t for t in city.targets}
    want = {"master": 60_000, "bachelor": 50_000, "junior_college": 40_000}
    want["secondary_vocational"] = 30_000
    for key, yuan in want.items():
        t = by_id[f"changzhi.hiring_bonus_{key}"]
        assert (t.value, t.unit, t.measure) == (yuan, "yuan", None) and t.unmeasured
    assert not any(k.startswith("hiring_bonus") for k in city.context.other)

"""Puyang's service list (濮阳市加快建设基本养老服务体系实施方案（征求意见稿） annex) applied
to hand-made persons.

Every expected value below is worked out by hand from the document
(params/sources/documents/puyang.txt) and params/cities/puyang.yaml, with one comment per term
naming the annex item it comes from. Standards used: 低保 = Henan provincial floors 630 urban
/ 420 rural yuan/month (a proxy); minimum wage = 2000 yuan/month (assumption, Henan class II);
care subsidy = 60 yuan/month (item 11); 重度残疾人护理补贴 = 75 yuan/month (item 15);
resident medical insurance premium = 400 yuan/year (2024 national minimum); accident insurance
premium = 100 yuan/year (assumption). Assumed frequencies: ability assessment 1/year (item 4),
助洁 1/month (item 25), chronic-disease follow-up 1/quarter (item 30). Default readings: no
funded respite bed (item 24: 可提供), no LTC insurance (item 12: Puyang is not a pilot), home
adaptation for dispersed 特困 and 低保 households with a 高龄/失能/残疾 member (item 8 with its
低保 extension, the group the body's 7600 households need), carer training and caring visits
for those living at home.
"""

import pandas as pd
import pytest

import simlib

YEAR = 2025
ONE_OFF_UNITS = {"home_adaptation", "training"}  # items 8 and 13 give them once (per: once)
UNITS = [
    "health_check",
    "ability_assessment",
    "visit",
    "maintenance_visit",
    "cleaning",
    "follow_up",
    "home_adaptation",
    "training",
]


@pytest.fixture(scope="module")
def city():
    return simlib.load_city("puyang")


@pytest.fixture(scope="module")
def city_broad():
    return simlib.load_city("puyang", definition_variants={"economic_hardship": "broad"})


def test_item_count_matches_annex(city):
    assert len(city.services.own_items) == 30  # the annex lists items 1..30
    assert [it.number for it in city.services.own_items] == list(range(1, 31))
    assert sum(it.pension for it in city.items) == 2  # items 1 and 2


def test_targets_loaded(city):
    by_id = {t.id: t for t in city.targets}
    assert by_id["puyang.home_adaptations_2025"].value == 7600  # 一(二), 二(二)6
    assert by_id["puyang.village_centres_2025"].value == 2867  # 二(二)5
    assert by_id["puyang.welfare_posts_ratio"].value == 100  # 二(五)18, 100:1


# (label, attributes, annual recurring cash, {unit: units}, placements {item_id: kind})
PERSONS = [
    (
        "85 non-poor, urban",
        {"age": 85, "urban": True},
        50 * 12,  # item 5: 高龄津贴 80-89, 50 yuan/month
        {
            "health_check": 1,  # item 3: 65+ yearly
            "ability_assessment": 1,  # item 4: 65+, assumed yearly
            "maintenance_visit": 24,  # item 21: 高龄 is a listed group, urban, every half month
        },
        {},
    ),
    (
        "101 non-poor, rural",
        {"age": 101, "urban": False},
        300 * 12,  # item 5: 高龄津贴 百岁以上, 300 yuan/month
        {
            "health_check": 1,  # item 3
            "ability_assessment": 1,  # item 4
            # item 21: rural, outside the property companies' 辖区 → no maintenance visits
        },
        {},
    ),
    (
        "85 on dibao, urban, self-care",
        {"age": 85, "urban": True, "assistance": "dibao"},
        50 * 12  # item 5: 高龄津贴 80-89
        + 60 * 12  # item 7: 养老服务补贴, 低保 + 高龄, 60 yuan/month
        + 80,  # item 18: 定额资助低保对象参保, 80 yuan/year
        {
            "health_check": 1,  # item 3
            "ability_assessment": 1,  # item 4
            "maintenance_visit": 24,  # item 21: 高龄, urban
            "home_adaptation": 1,  # item 8 (低保 extension): 低保 + 高龄, at home, once
        },
        {},  # item 24: 托养 可提供 (optional) → no funded respite bed by default
    ),
    (
        "70 on dibao, cannot care for self (partial care, moderate disability), rural",
        {
            "age": 70,
            "urban": False,
            "assistance": "dibao",
            "care_level": "partial_care",
            "adl_level": 2,
        },
        60 * 12  # item 7: 养老服务补贴, 低保 + 失能
        + 60 * 12  # item 11: 护理补贴, 低保 + 生活不能自理
        + 80,  # item 18: 定额资助低保对象参保
        {
            "health_check": 1,  # item 3
            "ability_assessment": 1,  # item 4
            "visit": 12,  # item 19: 失能 is a special-hardship group, monthly
            "cleaning": 12,  # item 25: 经济困难失能, assumed monthly
            "training": 1,  # item 13: 生活不能自理, at home → carer training, once
            "home_adaptation": 1,  # item 8 (低保 extension): 低保 + 失能 (adl 2), at home
        },
        {},  # item 24: optional provision → no funded respite bed by default
    ),
    (
        "75 特困 at home, full care, living alone, urban",
        {
            "age": 75,
            "urban": True,
            "assistance": "tekun",
            "tekun_mode": "dispersed",
            "care_level": "full_care",
            "adl_level": 4,
            "living": "alone",
        },
        1.3 * 630 * 12  # item 9: 基本生活 1.3 × urban 低保 (630)
        + 2000 / 3 * 12  # item 9: 全护理 1/3 of the minimum wage (2000)
        + 400,  # item 18: 全额资助特困人员参保 (premium 400, 2024 minimum)
        # item 7: 特困按现行政策执行 → 0; item 11: its 服务对象 is 低保对象, not 特困
        {
            "health_check": 1,  # item 3
            "ability_assessment": 1,  # item 4
            "visit": 12,  # item 19: 独居 and 失能
            "maintenance_visit": 24,  # item 21: 特困, urban
            "cleaning": 12,  # item 25: 分散供养特困, assumed monthly
            "home_adaptation": 1,  # item 8: dispersed 特困 + 失能, once
            "training": 1,  # item 13: 生活不能自理, once
        },
        {},
    ),
    (
        "75 特困 at home, full care, living alone, rural",
        {
            "age": 75,
            "urban": False,
            "assistance": "tekun",
            "tekun_mode": "dispersed",
            "care_level": "full_care",
            "adl_level": 4,
            "living": "alone",
        },
        1.3 * 420 * 12  # item 9: 基本生活 1.3 × rural 低保 (420)
        + 2000 / 3 * 12  # item 9: 全护理 1/3 of the minimum wage
        + 400,  # item 18: 全额资助特困人员参保 (400)
        {
            "health_check": 1,  # item 3
            "ability_assessment": 1,  # item 4
            "visit": 12,  # item 19
            "cleaning": 12,  # item 25
            "home_adaptation": 1,  # item 8
            "training": 1,  # item 13
            # item 21: rural → no maintenance visits
        },
        {},
    ),
    (
        "68 特困 at home, self-care, with family, urban",
        {
            "age": 68,
            "urban": True,
            "assistance": "tekun",
            "tekun_mode": "dispersed",
            "care_level": "self_care",
        },
        1.3 * 630 * 12  # item 9: 基本生活 1.3 × urban 低保
        + 75 * 12  # item 9: 全自理 = 重度残疾人护理补贴标准 (75, item 15)
        + 400,  # item 18: 全额资助特困人员参保 (400)
        {
            "health_check": 1,  # item 3
            "ability_assessment": 1,  # item 4
            "maintenance_visit": 24,  # item 21: 特困, urban, every half month
            "cleaning": 12,  # item 25: 分散供养特困
            # item 8: not 高龄/失能/残疾 → no adaptation; item 19: no special hardship
        },
        {},
    ),
    (
        "65 with hypertension, non-poor, urban",
        {"age": 65, "urban": True, "hypertension": True},
        0,  # no cash item applies
        {
            "health_check": 1,  # item 3
            "ability_assessment": 1,  # item 4
            "follow_up": 4,  # item 30: 慢性病, assumed quarterly
        },
        {},
    ),
    (
        "72 living alone, non-poor, rural",
        {"age": 72, "urban": False, "living": "alone"},
        0,  # no cash item applies
        {
            "health_check": 1,  # item 3
            "ability_assessment": 1,  # item 4
            "visit": 12,  # item 19: 独居, at least once a month
        },
        {},
    ),
    (
        "78 on dibao with a grade-2 certificate, partial care, rural",
        {
            "age": 78,
            "urban": False,
            "assistance": "dibao",
            "care_level": "partial_care",
            "adl_level": 2,
            "disability_grade": 2,
            "disability_type": "physical",
        },
        60 * 12  # item 7: 养老服务补贴, 低保 + 失能/残疾
        + 75 * 12  # item 15: 困难残疾人生活补贴 (低保 + certificate)
        + 75 * 12  # item 15: 重度残疾人护理补贴 (grade 1-2)
        + 80,  # item 18: 定额资助低保对象参保
        # item 11: 择高申领 → takes item 15's 75 instead of 60, so nothing from item 11
        {
            "health_check": 1,  # item 3
            "ability_assessment": 1,  # item 4
            "visit": 12,  # item 19: 失能, 重残
            "cleaning": 12,  # item 25: 经济困难失能
            "training": 1,  # item 13
            "home_adaptation": 1,  # item 8 (低保 extension): 低保 + 失能/残疾, at home
        },
        {},  # item 24: optional provision → no funded respite bed by default
    ),
    (
        "82 特困 in an institution, full care, urban",
        {
            "age": 82,
            "urban": True,
            "assistance": "tekun",
            "tekun_mode": "centralized",
            "in_institution": True,
            "care_level": "full_care",
            "adl_level": 3,
        },
        50 * 12  # item 5: 高龄津贴 80-89
        + 400  # item 18: 全额资助特困人员参保 (400)
        + 100,  # item 27: 意外险, whole premium for 特困 in an institution (100)
        # item 11: 服务对象 is 低保对象, so no care subsidy for 特困; item 12: not a pilot area
        {
            "health_check": 1,  # item 3
            "ability_assessment": 1,  # item 4
            # items 8, 13, 19, 21, 25: at-home services, institution residents excluded
            "training": 0,
            "home_adaptation": 0,
        },
        {"puyang.10": "institution_bed"},  # item 10: 集中供养
    ),
    (
        "70 on dibao in an institution, self-care, urban",
        {"age": 70, "urban": True, "assistance": "dibao", "in_institution": True},
        80  # item 18: 定额资助低保对象参保
        + 0.3 * 100,  # item 27: 30% of the accident premium for 经济困难 residents
        {
            "health_check": 1,  # item 3
            "ability_assessment": 1,  # item 4
        },
        {},
    ),
    (
        "81 in a family-planning special family, non-poor, urban",
        {"age": 81, "urban": True, "fp_special": True},
        50 * 12  # item 5: 高龄津贴 80-89
        + 60 * 12,  # item 7: 计划生育特殊家庭 + 高龄
        {
            "health_check": 1,  # item 3
            "ability_assessment": 1,  # item 4
            "visit": 12,  # item 19: 计划生育特殊家庭
            "maintenance_visit": 24,  # item 21: 计划生育特殊家庭 / 高龄, urban
        },
        # item 20: 优先入住; item 24 (计划生育特殊家庭 + 高龄) is optional: no funded bed
        {"puyang.20": "priority_admission"},
    ),
]


def _units(frame, unit):
    col = f"n_{unit}_once" if f"n_{unit}_once" in frame.columns else f"n_{unit}"
    return frame[col].sum() if col in frame.columns else 0.0


def _placements(city, frame):
    kinds = {it.id: it.benefit.placement for it in city.items}
    return {i: kinds[i] for i in frame.loc[frame["placement"], "item_id"]}


@pytest.fixture(scope="module")
def results(city):
    df = pd.DataFrame([attrs for _, attrs, _, _, _ in PERSONS])
    df.insert(0, "person_id", range(len(PERSONS)))
    return simlib.apply_services(city, df, YEAR)


@pytest.mark.parametrize(("i", "case"), list(enumerate(PERSONS)), ids=[p[0] for p in PERSONS])
def test_person(city, results, i, case):
    _, _, cash, units, placements = case
    frame = results[results["person_id"] == i]
    assert frame["yuan_per_year"].sum() == pytest.approx(cash, abs=0.01)
    assert frame["yuan_once"].sum() == 0  # no one-off cash in Puyang's list
    for unit in UNITS:
        assert _units(frame, unit) == pytest.approx(units.get(unit, 0)), unit
    assert _placements(city, frame) == placements


def test_broad_economic_hardship_adds_dibao_edge(city, city_broad):
    person = {
        "age": 80,
        "urban": False,
        "assistance": "dibao_edge",
        "care_level": "partial_care",
        "adl_level": 2,
    }
    df = pd.DataFrame([person])
    default = simlib.apply_services(city, df, YEAR)
    broad = simlib.apply_services(city_broad, df, YEAR)
    # default: 低保边缘 is not 经济困难 → only item 5 (高龄津贴 80-89, 50 yuan/month)
    assert default["yuan_per_year"].sum() == pytest.approx(50 * 12)
    assert _units(default, "cleaning") == 0
    # broad: the '有条件的地方可扩大到低保边缘' extensions apply
    assert broad["yuan_per_year"].sum() == pytest.approx(
        50 * 12  # item 5: 高龄津贴
        + 60 * 12  # item 7: extension to 低保边缘
        + 60 * 12  # item 11: 经济困难 + 生活不能自理
    )
    assert _units(broad, "cleaning") == pytest.approx(12)  # item 25: 经济困难失能, monthly


def test_explain_dibao_85(city):
    out = simlib.explain(city, {"age": 85, "urban": True, "assistance": "dibao"}, YEAR).set_index(
        "item_id"
    )
    assert sum(i.startswith("puyang.") for i in out.index) == 30  # the annex's items 1..30
    # the 2026 care voucher (params/programmes/) follows the list's items, not yet in force
    assert not out.loc["programme.voucher_2026.1", "in_force"]
    assert out.loc["puyang.7", "eligible"]
    assert out.loc["puyang.7", "yuan_per_year"] == pytest.approx(720)  # 60 yuan × 12
    assert not out.loc["puyang.11", "eligible"]  # can care for self
    assert "✗ [certified_unable]" in out.loc["puyang.11", "conditions"]
    assert not out.loc["puyang.6", "quantified"]  # 低保 top-up depends on income


def test_explain_tekun_excluded_from_care_subsidy(city):
    person = {
        "age": 75,
        "assistance": "tekun",
        "tekun_mode": "dispersed",
        "care_level": "full_care",
        "adl_level": 4,
    }
    out = simlib.explain(city, person, YEAR).set_index("item_id")
    assert not out.loc["puyang.11", "eligible"]  # 服务对象: 低保对象 (item 9 pays 特困 care)
    assert "✗ assistance in {dibao}" in out.loc["puyang.11", "conditions"]
    central = {**person, "tekun_mode": "centralized", "in_institution": True}
    out_c = simlib.explain(city, central, YEAR).set_index("item_id")
    assert not out_c.loc["puyang.11", "eligible"]  # not 低保对象 either
    assert out.loc["puyang.7", "eligible"]  # 特困 are in item 7's target group …
    assert out.loc["puyang.7", "yuan_per_year"] == 0  # … but 按现行政策执行: no 60 yuan


def test_respite_care_listed_groups_eligible_no_funded_bed_by_default(city, city_broad):
    # item 24 托养: 服务对象 = 低保对象、计划生育特殊家庭中的高龄、失能、残疾老年人
    # (+ 低保边缘 where 有条件); 可提供 … 可减免床位费 → eligible, no funded bed by default
    dibao85 = {"age": 85, "urban": True, "assistance": "dibao"}  # 低保 + 高龄 (80+)
    fp_disabled = {"age": 70, "fp_special": True, "disability_grade": 3}  # 计生特殊 + 残疾
    able70 = {"age": 70, "assistance": "dibao"}  # 低保 but not 高龄/失能/残疾
    edge85 = {"age": 85, "assistance": "dibao_edge"}  # 低保边缘 + 高龄
    default = {
        n: simlib.explain(city, p, YEAR).set_index("item_id").loc["puyang.24"]
        for n, p in (("dibao85", dibao85), ("fp", fp_disabled), ("able", able70), ("edge", edge85))
    }
    assert default["dibao85"]["eligible"] and default["fp"]["eligible"]
    assert not default["able"]["eligible"] and not default["edge"]["eligible"]
    broad = simlib.explain(city_broad, edge85, YEAR).set_index("item_id").loc["puyang.24"]
    assert broad["eligible"]  # the 有条件 extension to 低保边缘, 'broad' only
    frame = simlib.apply_services(city, pd.DataFrame([{"person_id": 0, **dibao85}]), YEAR)
    row = frame[frame["item_id"] == "puyang.24"].iloc[0]
    assert row["eligible"] and not row["placement"]  # no funded bed by default
    funded = simlib.load_city("puyang", definition_variants={"respite_provision": "funded"})
    frame = simlib.apply_services(funded, pd.DataFrame([{"person_id": 0, **dibao85}]), YEAR)
    row = frame[frame["item_id"] == "puyang.24"].iloc[0]
    assert row["placement"] and _placements(funded, frame)["puyang.24"] == "respite_bed"
    # the funded variant's enrolment is a low, flagged take-up (5 %), not everyone listed
    inputs = simlib.load_inputs("puyang")
    assert inputs.policy(YEAR).outcomes.take_up_for("respite_care", YEAR) == pytest.approx(0.05)
    reading = inputs.context.definitions["respite_provision"]
    assert reading.provenance.assumption and set(reading.variants) == {"not_funded", "funded"}


def test_tekun_service_subsidy_reading_is_flagged_with_its_alternative(city):
    # item 7: 特困人员按现行政策执行. Default: no 60 yuan for 特困 (their 特困 support is the
    # 现行政策); 'same_amount': the list's 60 yuan/month floor, 60 × 12 = 720 a year.
    tekun = {"age": 75, "assistance": "tekun", "tekun_mode": "dispersed"}
    assert city.context.definitions["tekun_service_subsidy"].provenance.assumption
    out = simlib.explain(city, tekun, YEAR).set_index("item_id").loc["puyang.7"]
    assert out["eligible"] and out["yuan_per_year"] == 0
    alt = simlib.load_city("puyang", definition_variants={"tekun_service_subsidy": "same_amount"})
    out = simlib.explain(alt, tekun, YEAR).set_index("item_id").loc["puyang.7"]
    assert out["yuan_per_year"] == pytest.approx(720)
    # a 低保 80-year-old gets 720 under both readings
    dibao80 = {"age": 80, "assistance": "dibao"}
    for c in (city, alt):
        out = simlib.explain(c, dibao80, YEAR).set_index("item_id").loc["puyang.7"]
        assert out["yuan_per_year"] == pytest.approx(720)


def test_home_repair_group_is_a_flagged_reading(city):
    # item 21's 服务对象 (特困、独居、高龄、失能、重残、计划生育特殊家庭) vs its content's
    # 特殊困难老年人家庭: two readings, so the default is an assumption
    dfn = city.context.definitions["maintenance_group"]
    assert dfn.provenance.assumption and dfn.provenance.rationale
    assert set(dfn.variants) == {"listed_groups", "special_hardship_only"}


def test_undated_draft_can_start_its_items_in_2025():
    # the draft is undated: read as 2023-10-01, so with items counted in year Y when in force by
    # 1 July of Y (params/conventions.yaml) they count from 2024. Adoption in mid-2025 (the top
    # of the documented range) starts them in 2025, and is inside the range (no out-of-range).
    import datetime as dt

    base = simlib.load_inputs("puyang").services
    item = next(it for it in base.items if it.id == "puyang.5")
    assert [base.in_force(item, y) for y in (2023, 2024, 2025)] == [False, True, True]
    late = {
        "description": "Puyang adopts its draft in mid-2025",
        "changes": [{"document": "puyang", "set": {"effective.value": dt.date(2025, 7, 1)}}],
    }
    inputs = simlib.load_inputs("puyang", late)
    services = inputs.services
    item = next(it for it in services.items if it.id == "puyang.5")
    assert [services.in_force(item, y) for y in (2023, 2024, 2025)] == [False, False, True]
    assert inputs.out_of_range == ()
    # a date beyond the range is allowed in a scenario, recorded and said, like a number
    from simlib.experiments.run import scenario_notes

    later = {
        "description": "Puyang adopts its draft in 2026",
        "changes": [{"document": "puyang", "set": {"effective.value": dt.date(2026, 1, 1)}}],
    }
    inputs = simlib.load_inputs("puyang", later)
    (rec,) = inputs.out_of_range
    assert rec["value"] == dt.date(2026, 1, 1)
    notes = " ".join(scenario_notes(inputs, 2030))
    assert "= 2026-01-01 is outside its documented range [2023-07-01, 2025-07-01]" in notes


def test_smart_care_targets(city):
    by_id = {t.id: t for t in city.targets}
    # 二(三)11: 2023年，以华龙区为试点 … 搭建 … 智慧养老服务平台 (one platform)
    pilot = by_id["puyang.smart_care_pilot_hualong_2023"]
    assert (pilot.year, pilot.value, pilot.unit) == (2023, 1, "count")
    # 二(三)11: 2025年，全市城镇社区基本实现 … 智慧化关爱服务体系 (every urban community)
    cover = by_id["puyang.smart_care_urban_communities_2025"]
    assert (cover.year, cover.value, cover.unit) == (2025, 1.0, "share")


def test_ltc_insurance_reading():
    # item 12 is for 试点地区; Puyang is not a pilot (body 二(四)12: 积极申请…国家试点)
    frail = {"age": 75, "adl_level": 3, "care_level": "partial_care"}
    out = simlib.explain(simlib.load_city("puyang"), frail, YEAR).set_index("item_id")
    assert not out.loc["puyang.12", "eligible"]
    pilot = simlib.load_city("puyang", definition_variants={"ltci_pilot": "pilot"})
    out = simlib.explain(pilot, frail, YEAR).set_index("item_id")
    assert out.loc["puyang.12", "eligible"] and not out.loc["puyang.12", "quantified"]


def test_home_adaptation_readings():
    # item 8. default 'body': dispersed 特困 or 低保 with a 高龄/失能/残疾 member (the priority
    # group plus the annex's 低保 extension); 'list': the priority group only. At home only.
    lst = simlib.load_city("puyang", definition_variants={"home_adaptation_target": "list"})
    dibao85 = {"age": 85, "urban": True, "assistance": "dibao"}
    out = simlib.explain(lst, dibao85, YEAR).set_index("item_id")
    assert not out.loc["puyang.8", "eligible"]
    tekun = {"age": 85, "assistance": "tekun", "tekun_mode": "dispersed"}
    out = simlib.explain(lst, tekun, YEAR).set_index("item_id")
    assert out.loc["puyang.8", "eligible"]
    inst = {**dibao85, "in_institution": True}
    out = simlib.explain(simlib.load_city("puyang"), inst, YEAR).set_index("item_id")
    assert not out.loc["puyang.8", "eligible"]

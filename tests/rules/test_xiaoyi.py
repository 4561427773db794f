"""Xiaoyi (孝义市) basic elderly care service list: hand-checked rules.

Expected amounts are worked out by hand from the document
(params/sources/documents/xiaoyi.txt, annex) and the standards in
params/cities/xiaoyi.yaml, never copied from the code's output:

* 低保 standard (2022 Shanxi average, a proxy): urban 628, rural 496 yuan/month;
* care_subsidy: 100 yuan/month (annex item 11);
* resident_medical_premium: 400 yuan/year (2024 national minimum);
* item 21's two disability subsidies: 100 yuan/month each (assumption);
* item 5's ability assessment: one a year (assumption).

Default readings: 非低保 (item 8) by the letter; home adaptation for the body's group
(二(五)19); carer training for 生活不能自理 at home; no caring visits in institutions.

The document was printed on 2024-11-08, so its items are in force from 2025.
"""

import pandas as pd
import pytest

import simlib
from simlib.policy.engine import unit_column

YEAR = 2025

# Each person: attributes, expected recurring cash (yuan/year), one-off cash (yuan)
# and in-kind units per year. Units not listed are expected to be 0.
PERSONS = {
    # 85, not poor: item 8 高龄津贴 80–99 非低保 70/month.
    "p85": dict(
        attrs=dict(age=85, urban=True),
        cash=70 * 12,  # item 8
        once=0,
        units=dict(health_check=1, ability_assessment=1),  # items 6, 5
    ),
    # 95, not poor: still the 80–99 band of item 8.
    "p95": dict(
        attrs=dict(age=95),
        cash=70 * 12,  # item 8
        once=0,
        units=dict(health_check=1, ability_assessment=1),
    ),
    # 101, not poor: item 8's 100+ band, 300/month.
    "p101": dict(
        attrs=dict(age=101, urban=True),
        cash=300 * 12,  # item 8
        once=0,
        units=dict(health_check=1, ability_assessment=1),
    ),
    # 85 on 低保: item 8 excludes 低保 (非低保); item 9 养老服务补贴 70/month instead.
    "p85_dibao": dict(
        attrs=dict(age=85, assistance="dibao", urban=True),
        cash=70 * 12,  # item 9
        once=0,
        # items 6, 5; item 10 home adaptation (经济困难, at home, 高龄 80+)
        units=dict(health_check=1, ability_assessment=1, home_adaptation=1),
    ),
    # 101 on 低保: item 8's 100+ band has no 低保 exclusion, and item 9 has no upper age.
    "p101_dibao": dict(
        attrs=dict(age=101, assistance="dibao"),
        cash=300 * 12 + 70 * 12,  # item 8 (100+) + item 9
        once=0,
        units=dict(health_check=1, ability_assessment=1, home_adaptation=1),
    ),
    # 70 on 低保, cannot care for themselves (半护理), severely disabled (adl 3), rural.
    "p70_dibao_cannot_self_care": dict(
        attrs=dict(age=70, assistance="dibao", care_level="partial_care", adl_level=3),
        cash=100 * 12,  # item 11 护理补贴 (1 × care_subsidy)
        once=0,  # item 12: the 普惠制 1000 元/人 is the training unit's price, not extra cash
        units=dict(
            health_check=1,  # item 6
            ability_assessment=1,  # item 5
            home_adaptation=1,  # item 10 (body 二(五)19: 城乡低保 + 失能), at home
            training=1,  # item 12 (生活不能自理, at home), one course
            home_care_visit=2 * 12,  # item 14 (低保 失能), assumed 2/month
            visit=2 * 12,  # item 18 (失能 → 特殊困难; cannot self-care: assumed 2/month)
        ),
    ),
    # 特困 at home, 全护理, urban, 75, living alone.
    "tekun_dispersed_full_urban": dict(
        attrs=dict(
            age=75,
            assistance="tekun",
            tekun_mode="dispersed",
            care_level="full_care",
            adl_level=4,
            living="alone",
            urban=True,
        ),
        # item 16: 1.3 × 628 × 12 = 9796.8 basic living; 3 × 100 × 12 = 3600 care;
        # 400 medical premium. Item 11 excludes dispersed 特困 (no double payment).
        cash=1.3 * 628 * 12 + 3 * 100 * 12 + 400,
        once=0,  # item 12: no one-off cash
        units=dict(
            health_check=1,
            ability_assessment=1,
            home_adaptation=1,  # item 10 (body: 分散供养特困, 失能)
            training=1,  # item 12
            home_care_visit=2 * 12,  # item 15 (70+ dispersed 特困), assumed 2/month
            visit=2 * 12,  # item 18 (alone, 失能; cannot self-care)
        ),
    ),
    # The same person in a rural area: 1.3 × 496 × 12 = 7737.6.
    "tekun_dispersed_full_rural": dict(
        attrs=dict(
            age=75,
            assistance="tekun",
            tekun_mode="dispersed",
            care_level="full_care",
            adl_level=4,
            living="alone",
            urban=False,
        ),
        cash=1.3 * 496 * 12 + 3 * 100 * 12 + 400,  # item 16
        once=0,  # item 12: no one-off cash
        units=dict(
            health_check=1,
            ability_assessment=1,
            home_adaptation=1,
            training=1,
            home_care_visit=2 * 12,  # item 15
            visit=2 * 12,  # item 18
        ),
    ),
    # 特困 in an institution, 82, 半护理: item 9 (经济困难 = 低保 or 特困) pays the 70 yuan, so
    # item 8 (非低保, read by default as "not paid by item 9": one payment) does not; item 11
    # pays the care subsidy (not dispersed, so item 16 does not); item 17 gives the bed.
    "tekun_centralized_82": dict(
        attrs=dict(
            age=82,
            assistance="tekun",
            tekun_mode="centralized",
            care_level="partial_care",
            adl_level=3,
            in_institution=True,
        ),
        cash=70 * 12 + 100 * 12,  # item 9 + item 11 (不能自理, 经济困难); not item 8
        once=0,
        # items 6, 5; item 12 (training) and item 18 (visits) are for those living at home
        units=dict(health_check=1, ability_assessment=1, training=0, visit=0),
        placement=True,  # item 17
    ),
    # 65 with hypertension: Xiaoyi's 健康管理 names no chronic-disease follow-ups.
    "p65_hypertension": dict(
        attrs=dict(age=65, hypertension=True),
        cash=0,
        once=0,
        units=dict(health_check=1, ability_assessment=1),  # items 6, 5
    ),
    # 72, living alone, self-care, not poor: item 18 visits once a month.
    "p72_alone": dict(
        attrs=dict(age=72, living="alone"),
        cash=0,
        once=0,
        units=dict(health_check=1, ability_assessment=1, visit=1 * 12),  # items 6, 5, 18
    ),
    # 68 on 低保 with a grade-1 physical disability, 半护理, adl 2 (moderate).
    "p68_dibao_disabled_grade1": dict(
        attrs=dict(
            age=68,
            assistance="dibao",
            disability_grade=1,
            disability_type="physical",
            care_level="partial_care",
            adl_level=2,
        ),
        # item 11: 100 × 12; item 21: living subsidy 82 × 12 (低保) + care subsidy 109 × 12
        # (一级), Shanxi pre-2026
        cash=100 * 12 + 82 * 12 + 109 * 12,
        once=0,  # item 12: no one-off cash
        units=dict(
            health_check=1,
            ability_assessment=1,
            home_adaptation=1,  # item 10 (body: 城乡低保 + 失能/残疾)
            training=1,  # item 12 (半护理 = 生活不能自理)
            home_care_visit=2 * 12,  # item 14
            visit=2 * 12,  # item 18 (失能, 重残)
        ),
    ),
    # 66, grade-3 mental disability, not poor: item 21 care subsidy only.
    "p66_mental_grade3": dict(
        attrs=dict(age=66, disability_grade=3, disability_type="mental"),
        cash=54.5 * 12,  # item 21 护理补贴 (三级精神: 54.5 a month, Shanxi pre-2026)
        once=0,
        units=dict(health_check=1, ability_assessment=1),
    ),
    # 62 drawing a resident pension: item 2 applies but is not quantified.
    "p62_resident_pension": dict(
        attrs=dict(age=62, pension="resident"),
        cash=0,
        once=0,
        units=dict(),
    ),
}

UNITS = (
    "health_check",
    "ability_assessment",
    "home_adaptation",
    "training",
    "home_care_visit",
    "visit",
)


@pytest.fixture(scope="module")
def city():
    return simlib.load_city("xiaoyi")


@pytest.fixture(scope="module")
def results(city):
    df = pd.DataFrame([{"person_id": k, **v["attrs"]} for k, v in PERSONS.items()])
    return simlib.apply_services(city, df, YEAR)


def test_item_count_matches_annex(city):
    assert len(city.services.own_items) == 23
    assert [it.number for it in city.services.own_items] == list(range(1, 24))
    assert [it.id for it in city.items if it.pension] == ["xiaoyi.1", "xiaoyi.2"]


def test_all_items_in_force_2025_not_2024(city):
    years = {
        y: simlib.apply_services(city, pd.DataFrame([{"age": 70}]), y)["item_id"].nunique()
        for y in (2024, 2025)
    }
    assert years == {2024: 0, 2025: 23}


@pytest.mark.parametrize("pid", list(PERSONS))
def test_person_cash_and_units(results, pid):
    expected = PERSONS[pid]
    rows = results[results["person_id"] == pid]
    assert rows["yuan_per_year"].sum() == pytest.approx(expected["cash"])
    assert rows["yuan_once"].sum() == pytest.approx(expected["once"])
    for unit in UNITS:
        assert rows[unit_column("xiaoyi", unit)].sum() == pytest.approx(
            expected["units"].get(unit, 0)
        ), unit
    assert bool(rows["placement"].any()) == expected.get("placement", False)


def _row(city, person, item_id):
    table = simlib.explain(city, person, YEAR)
    return table.set_index("item_id").loc[item_id]


def test_explain_care_subsidy_excludes_tekun(city):
    person = PERSONS["tekun_dispersed_full_urban"]["attrs"]
    assert not _row(city, person, "xiaoyi.11")["eligible"]  # paid through item 16 instead
    assert _row(city, person, "xiaoyi.16")["eligible"]
    assert _row(city, PERSONS["p70_dibao_cannot_self_care"]["attrs"], "xiaoyi.11")["eligible"]
    # centralized 特困 who cannot care for themselves: 100 × 12 = 1200 from item 11
    central = _row(city, PERSONS["tekun_centralized_82"]["attrs"], "xiaoyi.11")
    assert central["eligible"] and central["yuan_per_year"] == 1200


def test_explain_old_age_allowance_excludes_dibao_80_to_99(city):
    assert _row(city, PERSONS["p85"]["attrs"], "xiaoyi.8")["yuan_per_year"] == 840
    assert _row(city, PERSONS["p85_dibao"]["attrs"], "xiaoyi.8")["yuan_per_year"] == 0
    assert _row(city, PERSONS["p85_dibao"]["attrs"], "xiaoyi.9")["eligible"]


def test_explain_home_care_70_plus_special_hardship(city):
    assert _row(city, PERSONS["tekun_dispersed_full_urban"]["attrs"], "xiaoyi.15")["eligible"]
    # Default reading: only dispersed 特困; someone 72 living alone is not covered ...
    assert not _row(city, PERSONS["p72_alone"]["attrs"], "xiaoyi.15")["eligible"]
    # ... but is under the variant that adds every 特殊困难 group.
    broad = simlib.load_city(
        "xiaoyi", definition_variants={"special_hardship_home_care": "with_special_hardship"}
    )
    assert _row(broad, PERSONS["p72_alone"]["attrs"], "xiaoyi.15")["eligible"]


def test_explain_resident_pension_eligible_not_quantified(city):
    row = _row(city, PERSONS["p62_resident_pension"]["attrs"], "xiaoyi.2")
    assert row["eligible"] and not row["quantified"]


def test_old_age_allowance_non_dibao_reading(city):
    # item 8 (80–99, 非低保, 70 yuan/month) and item 9 (80+ 经济困难, 70 yuan/month) for an
    # 85-year-old dispersed 特困. Default 'not_economic_hardship' (the list's one-payment
    # design): item 9 pays 特困 (经济困难 = 低保 or 特困), so item 8 does not → 0 + 70 × 12.
    tekun = {"age": 85, "assistance": "tekun", "tekun_mode": "dispersed"}
    assert _row(city, tekun, "xiaoyi.8")["yuan_per_year"] == 0
    assert _row(city, tekun, "xiaoyi.9")["yuan_per_year"] == 840
    # the same one payment as a non-poor 85-year-old (item 8 only) and a 低保 one (item 9 only)
    assert _row(city, PERSONS["p85"]["attrs"], "xiaoyi.8")["yuan_per_year"] == 840
    assert _row(city, PERSONS["p85"]["attrs"], "xiaoyi.9")["yuan_per_year"] == 0
    # 'not_dibao' (the letter): 特困 is not 低保 → 840 from each item, 1680 a year
    alt = simlib.load_city(
        "xiaoyi", definition_variants={"old_age_allowance_non_dibao": "not_dibao"}
    )
    assert _row(alt, tekun, "xiaoyi.8")["yuan_per_year"] == 840
    assert _row(alt, tekun, "xiaoyi.9")["yuan_per_year"] == 840
    # a non-poor 85-year-old keeps item 8 under both readings
    assert _row(alt, PERSONS["p85"]["attrs"], "xiaoyi.8")["yuan_per_year"] == 840
    # 100+: item 8's 300 yuan band has no 非低保 condition → paid under both readings
    assert _row(city, {"age": 101, "assistance": "tekun"}, "xiaoyi.8")["yuan_per_year"] == 3600


def test_home_adaptation_readings(city):
    # item 10. default 'body' (二(五)19): 分散供养特困 or 城乡低保 with a 高龄 (80+)/失能/残疾
    # member; 'list': every 经济困难 (低保 or 特困) older person. Both at home only.
    lst = simlib.load_city("xiaoyi", definition_variants={"home_adaptation_target": "list"})
    able = {"age": 65, "assistance": "dibao"}
    assert not _row(city, able, "xiaoyi.10")["eligible"]
    assert _row(lst, able, "xiaoyi.10")["eligible"]
    inst = {"age": 85, "assistance": "dibao", "in_institution": True}
    assert not _row(city, inst, "xiaoyi.10")["eligible"]
    assert not _row(lst, inst, "xiaoyi.10")["eligible"]


def test_home_care_is_at_home(city):
    # item 14 (低保 失能 居家养老服务): the same person at home gets 2 × 12 = 24 visits, in an
    # institution none
    home = PERSONS["p70_dibao_cannot_self_care"]["attrs"]
    assert _row(city, home, "xiaoyi.14")["units"] == {"home_care_visit": 24}
    assert not _row(city, {**home, "in_institution": True}, "xiaoyi.14")["eligible"]


def test_caring_visit_setting_reading(city):
    # item 18 for the centralized 82-year-old (失能 adl 3, 半护理): 'anywhere' → 2 × 12 = 24
    attrs = PERSONS["tekun_centralized_82"]["attrs"]
    assert not _row(city, attrs, "xiaoyi.18")["eligible"]
    anywhere = simlib.load_city("xiaoyi", definition_variants={"caring_visit_setting": "anywhere"})
    assert _row(anywhere, attrs, "xiaoyi.18")["units"] == {"visit": 24}


def test_township_homes_under_city_management_is_a_target(city):
    # 二(四)12: 逐步实现特困人员供养服务设施（敬老院）市级统一管理 → every 敬老院 (1.0) by 2025
    t = {t.id: t for t in city.targets}["xiaoyi.township_homes_city_managed"]
    assert (t.year, t.value, t.unit, t.measure) == (2025, 1.0, "share", None)

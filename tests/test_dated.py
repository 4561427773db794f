"""Dated standards and a scenario's indexation, worked by hand from the documents."""

import datetime as dt

import pandas as pd
import pytest

import simlib
from simlib.core.errors import ParamError
from simlib.params import load_inputs
from simlib.params.dated import check_dated, in_force_year, parse_indexation

# A 68-year-old in a 低保 family with a grade-1 certificate, and one with a grade-3
# intellectual disability in a 低保边缘 family (Jincheng item 27).
PEOPLE = pd.DataFrame(
    [
        {"age": 68, "assistance": "dibao", "disability_grade": 1, "disability_type": "physical"},
        {
            "age": 68,
            "assistance": "dibao_edge",
            "disability_grade": 3,
            "disability_type": "intellectual",
        },
    ]
)


def test_a_date_counts_from_the_year_whose_cutoff_it_precedes():
    # params/conventions.yaml: in force for year Y when dated on or before 1 July of Y
    assert in_force_year(dt.date(2026, 1, 1), 7) == 2026
    assert in_force_year(dt.date(2025, 7, 1), 7) == 2025
    assert in_force_year(dt.date(2025, 7, 2), 7) == 2026


@pytest.mark.parametrize("city", ["jincheng", "datong", "xiaoyi", "changzhi"])
def test_shanxi_disability_subsidies_change_on_2026_01_01(city):
    item = {"jincheng": "jincheng.27", "datong": "datong.21", "xiaoyi": "xiaoyi.21"}.get(
        city, "changzhi.19"
    )
    # 2025: 生活补贴 82 + 护理补贴 109 (grades 1-2) or 54.5 (grades 3-4 intellectual), a month
    # 2026 (山西省财政厅、民政厅 2025-12-09): 122 + 122, or 122 + 61
    want = {2025: [12 * (82 + 109), 12 * (82 + 54.5)], 2026: [12 * (122 + 122), 12 * (122 + 61)]}
    for year, yuan in want.items():
        out = simlib.apply_services(city, PEOPLE, year)
        got = out[out["item_id"] == item].sort_values("person_id")["yuan_per_year"].tolist()
        assert got == pytest.approx(yuan), (city, year, got)


def test_inputs_start_a_period_when_a_standard_changes():
    inp = load_inputs("jincheng")
    # 2022, 2024: Puyang's 低保 floors and minimum wage, every city's premium (each city's
    # change starts a period in all: harmless); 2025: Shanxi's rural 低保; 2026: disability
    assert [p.start for p in inp.periods] == [None, 2022, 2024, 2025, 2026]
    amounts = {}
    for year in (2025, 2026):
        item = next(i for i in inp.policy(year).services.items if i.id == "jincheng.27")
        amounts[year] = [c.yuan_per_period() for c in item.benefit.components]
    assert amounts == {2025: [82, 109, 54.5], 2026: [122, 122, 61]}


def test_a_scenario_indexes_standards_from_a_year_on():
    scen = {
        "description": "test: 低保 and disability subsidies +10 % a year from 2027",
        "index_standards": {"rate": 0.10, "from": 2027, "standards": ["disability_living_subsidy"]},
    }
    inp = load_inputs("jincheng", scen)

    def living(year):
        item = next(i for i in inp.policy(year).services.items if i.id == "jincheng.27")
        return item.benefit.components[0].yuan_per_period()

    # 2026: 122 (dated, not yet indexed); 2027: 122 × 1.1; 2028: 122 × 1.1²
    assert living(2026) == pytest.approx(122)
    assert living(2027) == pytest.approx(134.2)
    assert living(2028) == pytest.approx(147.62)
    # the care subsidy is not named, so it stays at 122
    item = next(i for i in inp.policy(2028).services.items if i.id == "jincheng.27")
    assert item.benefit.components[1].yuan_per_period() == pytest.approx(122)


def test_bad_dated_entries_and_indexations_name_the_key():
    with pytest.raises(ParamError, match=r"dated\[1\].from: .* not after"):
        check_dated(
            [
                {"from": dt.date(2026, 1, 1), "value": 1, "source": "x"},
                {"from": dt.date(2025, 1, 1), "value": 2, "source": "y"},
            ],
            "cities/x.yaml: standards.s",
            1.0,
            "yuan/month",
        )
    with pytest.raises(ParamError, match=r"dated\[0\]: missing key"):
        check_dated([{"value": 1}], "w", 1.0, "yuan/month")
    with pytest.raises(ParamError, match="shape"):
        check_dated(
            [{"from": dt.date(2026, 1, 1), "value": 3, "source": "x"}],
            "w",
            {"urban": 1.0, "rural": 1.0},
            "yuan/month",
        )
    with pytest.raises(ParamError, match=r"index_standards.rate"):
        parse_indexation({"rate": 2, "from": 2026}, "s: index_standards")
    with pytest.raises(ParamError, match="no city has a standard 'dibaoo'"):
        load_inputs(
            "datong",
            {
                "description": "t",
                "index_standards": {"rate": 0.1, "from": 2026, "standards": ["dibaoo"]},
            },
        )


def _in_force(city, name, year):
    from simlib.params.dated import standard_in_force
    from simlib.params.tree import read_tree

    s = read_tree().yaml(f"cities/{city}.yaml")["standards"][name]
    return standard_in_force(s, year, 7)["value"]


def test_dated_series_of_the_minimum_wage_premium_and_dibao():
    # Henan minimum wage, class II: 1700 (2018-10-01), 1800 (豫政〔2021〕33号, 2022-01-01),
    # 2000 (豫政〔2023〕43号, 2024-01-01)
    assert [_in_force("puyang", "minimum_wage", y) for y in (2021, 2022, 2023, 2024, 2030)] == [
        1700,
        1800,
        1800,
        2000,
        2000,
    ]
    # Henan 低保 floors: 2020 urban 570, rural 4260 / 12 = 355; from 2022-01-01 630 / 420
    assert _in_force("puyang", "dibao", 2021) == {"urban": 570, "rural": 355}
    assert _in_force("puyang", "dibao", 2022) == {"urban": 630, "rural": 420}
    # national minimum individual premium: 380 in 2023 (400 less the 2024 rise of 20), 400
    for city in simlib.cities():
        assert _in_force(city, "resident_medical_premium", 2023) == 380
        assert _in_force(city, "resident_medical_premium", 2024) == 400
    # Shanxi: the 2026 disability subsidies are 22 % of the 2025 average rural 低保
    # standard and pay 122 a month, so that standard is about 122 / 0.22 = 554.5
    rural = _in_force("datong", "dibao", 2025)["rural"]
    assert round(0.22 * rural) == _in_force("datong", "disability_living_subsidy", 2026) == 122
    assert _in_force("datong", "dibao", 2024)["rural"] == 496


def test_dispersed_tekun_support_follows_the_dibao_in_force():
    # Jincheng item 22: basic living 1.3 × 当地低保标准 a month; a rural dispersed 特困
    # person's support rises in 2025 by 12 × 1.3 × (554.5 − 496) yuan a year
    person = pd.DataFrame(
        [{"age": 75, "urban": False, "assistance": "tekun", "tekun_mode": "dispersed"}]
    )
    yuan = {}
    for year in (2024, 2025):
        out = simlib.apply_services("jincheng", person, year)
        yuan[year] = float(out.loc[out["item_id"] == "jincheng.22", "yuan_per_year"].sum())
    assert yuan[2025] - yuan[2024] == pytest.approx(12 * 1.3 * (554.5 - 496))


def test_an_override_of_a_dated_assumption_sets_the_value_in_force_in_the_price_year():
    from simlib.params.assumptions import registry

    reg = registry("puyang").set_index("key")
    # the 2024 value (class II of 豫政〔2023〕43号), not the 2018 base value
    assert reg.loc["standard:puyang.minimum_wage", "value"] == 2000
    assert _override_value(load_inputs("puyang"), 2025) == 2000
    inp = load_inputs("puyang", overrides={"standard:puyang.minimum_wage": 2100})
    assert _override_value(inp, 2025) == 2100


def _override_value(inp, year):
    """The minimum wage a Puyang item reads in ``year`` (item 9's 全护理 component)."""
    item = next(i for i in inp.policy(year).services.items if i.id == "puyang.9")
    return next(
        c.standard.value
        for c in item.benefit.components
        if getattr(c, "standard", None) is not None and c.standard.name == "minimum_wage"
    )


def test_the_premium_in_2025_and_2026_national_minimum_and_flagged_hold():
    from simlib.params.dated import standard_in_force
    from simlib.params.tree import read_tree

    for city in simlib.cities():
        # 2025: China Daily 2025-12-18, per-capita funding 1,100 of which 700 government
        # subsidy: 1,100 − 700 = 400 yuan/person/year (the 2024 level held)
        assert _in_force(city, "resident_medical_premium", 2025) == 1100 - 700
        # 2026: not found; 400 held, flagged with its range (up to two 20-yuan rises)
        s = read_tree().yaml(f"cities/{city}.yaml")["standards"]["resident_medical_premium"]
        e = standard_in_force(s, 2026, 7)
        assert e["value"] == 400 and e.get("assumption") is True
        assert e["range"] == [400, 400 + 2 * 20]

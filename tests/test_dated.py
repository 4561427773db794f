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
    assert [p.start for p in inp.periods] == [None, 2026]
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

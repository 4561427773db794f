"""Stacked scenarios, and what the console says about a scenario before a run."""

import warnings

import pytest

from simlib.core.errors import ParamError
from simlib.experiments.run import scenario_notes, specs
from simlib.experiments.spec import scenario_spec
from simlib.params import load_inputs, read_tree
from simlib.params.scenarios import read_scenario

#: Datong's 80–89 allowance (datong.8, 70 yuan a month; documented range 50–100) from 2026.
ALLOWANCE = {
    "description": "80-89 allowance 90 yuan from 2026",
    "changes": [{"item": "datong.8", "from": 2026, "set": {"benefit.cash[0].yuan": 90}}],
}
#: The care subsidy (datong.13) from age 55: its first condition is age 60+.
YOUNGER = {
    "description": "care subsidy from 55",
    "changes": [{"item": "datong.13", "from": 2026, "set": {"eligibility.all[0].min": 55}}],
}


def _messages(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = fn()
    return out, [str(x.message) for x in w]


def test_a_stack_applies_its_scenarios_in_order_with_its_own_identity():
    tree = read_tree()
    s = read_scenario(["targets_2025", ALLOWANCE, YOUNGER], tree)
    assert s.name == "targets_2025+dict+dict"
    assert s.take_up == read_scenario("targets_2025", tree).take_up
    assert [c.target for c in s.changes] == ["datong.8", "datong.13"]
    # the stack's content is a scenario: read back, it is the same stack
    again = read_scenario(s.content, tree)
    assert again.hash == s.hash and again.changes == s.changes
    # the order is part of the identity
    assert (
        read_scenario([YOUNGER, ALLOWANCE], tree).hash
        != read_scenario([ALLOWANCE, YOUNGER], tree).hash
    )
    name, content = scenario_spec(s)
    assert name == s.name and content is not None
    # the reform holds from 2026 on top of the 2025 targets
    inputs = load_inputs("datong", ["targets_2025", ALLOWANCE])
    cash = inputs.policy(2026).services.items
    yuan = {it.id: it for it in cash}["datong.8"].benefit.components[0].yuan
    assert yuan == 90
    before = {it.id: it for it in inputs.policy(2025).services.items}["datong.8"]
    assert before.benefit.components[0].yuan == 70


def test_a_conflict_between_stacked_scenarios_is_named():
    other = {
        "description": "allowance 80",
        "changes": [{"item": "datong.8", "set": {"benefit.cash[0].yuan": 80}}],
    }
    s, said = _messages(lambda: read_scenario([ALLOWANCE, other], read_tree()))
    assert len(said) == 1
    assert "datong.8 benefit.cash[0].yuan is set to 90 by dict" in said[0]
    assert "80 by dict" in said[0]
    # the later change holds: it comes last
    assert s.changes[-1].set == {"benefit.cash[0].yuan": 80}
    with pytest.raises(ParamError, match="empty list"):
        read_scenario([], read_tree())


def test_the_console_says_when_a_change_is_after_the_end_or_out_of_range_or_does_nothing():
    _, said = _messages(lambda: specs("datong", ALLOWANCE, end_year=2025))
    assert any("holds from 2026, after this run's end year 2025" in m for m in said)
    assert any("changes nothing in a run of datong to 2025" in m for m in said)
    big = {
        "description": "allowance 150",
        "changes": [{"item": "datong.8", "set": {"benefit.cash[0].yuan": 150}}],
    }
    _, said = _messages(lambda: specs("datong", big, end_year=2026))
    assert any("= 150 is outside its documented range [50, 100]" in m for m in said)
    assert not any("changes nothing" in m for m in said)
    # another city's item changes nothing in this city's run
    _, said = _messages(lambda: specs("xiaoyi", ALLOWANCE, end_year=2030))
    assert any("changes datong's list (datong.8), but this run applies xiaoyi's" in m for m in said)
    # the baseline and a named scenario that acts say nothing
    assert scenario_notes(load_inputs("datong"), 2030) == []
    assert scenario_notes(load_inputs("datong", "targets_2025"), 2030) == []


def test_explain_traces_a_person_under_a_stacked_reform_beside_the_baseline():
    import simlib

    stack = ["targets_2025", {**ALLOWANCE, "changes": ALLOWANCE["changes"]}, YOUNGER]
    # a 低保 57-year-old who cannot care for herself: the care subsidy (datong.13, the
    # care_subsidy standard of 100 yuan a month) from 55 makes her eligible in 2026
    person = {"age": 57, "assistance": "dibao", "care_level": "full_care", "adl_level": 4}
    ex = simlib.explain("datong", person, 2026, scenario=stack).set_index("item_id")
    assert ex.loc["datong.13", "eligible"] and not ex.loc["datong.13", "base_eligible"]
    assert ex.loc["datong.13", "yuan_per_year"] == 100 * 12
    assert ex.loc["datong.13", "base_yuan_per_year"] == 0
    assert ex.changed.sum() == 1  # nothing else changes for her
    # an 85-year-old: the allowance 70 → 90 yuan a month, 840 → 1 080 a year
    ex = simlib.explain("datong", {"age": 85}, 2026, scenario=stack)
    row = ex.set_index("item_id").loc["datong.8"]
    assert (row.base_yuan_per_year, row.yuan_per_year) == (840, 1080)
    assert "← changed; baseline: 840 yuan/year" in str(ex)
    # the care-subsidy rule reads differently, but not for him
    assert ex.set_index("item_id").loc["datong.13", "rule_changed"]
    # before the reform's year, the stack is the baseline for him
    before = simlib.explain("datong", {"age": 85}, 2025, scenario=stack)
    assert not before.changed.any()


def test_a_stack_runs_from_run_and_the_command_line(tmp_path):
    import json

    from simlib.cli import main
    from simlib.experiments.run import run

    kw = {"sample": 0.01, "seed": 4, "end_year": 2026}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one replication: no interval
        runs = [
            run("datong", s, **kw)
            for s in (["targets_2025", ALLOWANCE], "targets_2025", ALLOWANCE, "baseline")
        ]
    assert runs[0].meta["scenario"] == "targets_2025+dict"
    cash = [
        r.per_rep("cash_yuan", ("year", "item_id")).set_index(["year", "item_id"]).value
        for r in runs
    ]
    # on the same persons (common random numbers) the reform adds to targets_2025 what it
    # adds to the baseline: targets_2025 leaves the allowance's take-up alone
    added = cash[0] - cash[1]
    assert added[(2026, "datong.8")] > 0
    assert added[(2026, "datong.8")] == pytest.approx((cash[2] - cash[3])[(2026, "datong.8")])
    assert added[(2025, "datong.8")] == 0  # the reform holds from 2026
    reform = tmp_path / "allowance.yaml"
    reform.write_text(json.dumps(ALLOWANCE), encoding="utf-8")  # JSON is YAML
    argv = ["run", "--city", "datong", "--scenario", "targets_2025", str(reform)]
    argv += ["--sample", "0.01", "--end-year", "2026", "--groups", "sex"]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 0
    (folder,) = (tmp_path / "out").iterdir()
    assert folder.name == "datong_targets_2025+allowance_by-sex_seed1"


def test_a_stack_keeps_every_kind_of_setting_of_its_scenarios():
    tree = read_tree()
    indexed = read_scenario("standards_indexed", tree)
    s = read_scenario(["targets_2025", "standards_indexed", ALLOWANCE], tree)
    assert s.index == indexed.index  # a one-setting key is carried, not dropped
    assert s.take_up == read_scenario("targets_2025", tree).take_up
    assert read_scenario(s.content, tree).hash == s.hash

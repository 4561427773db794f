"""The scenario panel and notebook 07's helpers: any change, stacked, compared and saved."""

import pytest

import simlib
from simlib.core.errors import ParamError
from simlib.reporting.panel import (
    amounts,
    build_scenario,
    check_scenario,
    compare_scenario,
    eligibility_bounds,
    readable,
    save_scenario,
    target_notes,
)

#: The reform of issue #28: Datong's 80–89 allowance +50 % (70 → 105 yuan a month) and the
#: care-subsidy age lowered from 60 to 55, both from 2026.
REFORM = build_scenario(
    "80-89 allowance +50 %, care subsidy from 55, from 2026",
    sets={
        ("datong.8", "benefit.cash[0].yuan"): (105, 2026),
        ("datong.13", "eligibility.all[0].min"): (55, 2026),
    },
)


def test_every_amount_and_eligibility_bound_is_offered_with_its_path():
    a = amounts("datong").set_index(["item_id", "path"])
    assert a.loc[("datong.8", "benefit.cash[0].yuan"), "value"] == 70  # 80–89: 70 a month
    assert a.loc[("datong.8", "benefit.cash[0].yuan"), "band"] == "age 80–89"
    assert "Always()" not in " ".join(a["what"])  # words, not reprs
    assert (a["kind"] == "units").any()  # in-kind amounts too
    b = eligibility_bounds("datong").set_index(["item_id", "path"])
    assert b.loc[("datong.13", "eligibility.all[0].min"), "value"] == 60
    groups = b[(b.bound == "in") & (b.attr == "assistance")]
    assert "dibao" in groups["allowed"].iloc[0]


def test_compare_and_save_accept_the_same_scenarios(tmp_path):
    # a target moved to 2026: compare runs to 2026 (not refused), save writes it
    moved = build_scenario("visits by 2026", targets={"datong.visit_rate_2025": (1.0, 2026)})
    res = compare_scenario("datong", moved, 2025, sample=0.01, reps=1, seed=3)
    assert int(res.alt.reps["year"].max()) == 2026
    assert save_scenario("datong", moved, tmp_path / "moved.yaml").exists()
    # an invalid path: both refuse it, naming it, and nothing is written
    bad = build_scenario("typo", sets={("datong.8", "benefit.cash[0].yuen"): (1, 2026)})
    for act in (
        lambda: compare_scenario("datong", bad, 2026, sample=0.01, reps=1),
        lambda: save_scenario("datong", bad, tmp_path / "bad.yaml"),
    ):
        with pytest.raises(ParamError, match="yuen"):
            act()
    assert not (tmp_path / "bad.yaml").exists()


def test_the_reform_stacked_on_targets_2025_is_compared_in_the_years_chosen(tmp_path):
    res = compare_scenario(
        "datong", REFORM, [2025, 2026], on="targets_2025", sample=0.01, reps=2, seed=2,
        gains_by="age5",
    )  # fmt: skip
    t = res.table.set_index(["measure", "year"])
    cost = "service-list cost (万元)"
    assert t.loc[(cost, 2025), "difference"] == 0  # the reform holds from 2026
    assert t.loc[(cost, 2026), "difference"] > 0
    assert res.base.meta["scenario"] == "targets_2025"
    assert res.alt.meta["scenario"] == "targets_2025+dict"
    # 105 yuan is outside the documented range [50, 100] of the allowance: said plainly
    assert any("outside its documented range [50, 100]" in n for n in res.notes)
    assert all("\n" not in n for n in res.notes)  # one line each
    # who gains: the 55–59-year-olds the lowered age reaches are counted
    g = res.gains.table(2026).set_index("age5")
    assert "55-59" in g.index and g.loc["80-84", "gainers %"] == pytest.approx(100)
    text = readable(res.table).to_string()
    assert "e+" not in text and "," in text  # separators, no scientific notation
    path = save_scenario("datong", REFORM, tmp_path / "reform.yaml", on="targets_2025")
    assert simlib.read_scenario(str(path), simlib.params.read_tree()).changes


def test_restating_a_target_is_explained_with_the_baselines_own_numbers():
    same = build_scenario("restated", targets={"datong.visit_rate_2025": (1.0, 2025)})
    base = simlib.run("datong", sample=0.01, seed=1, end_year=2025)
    (line,) = target_notes("datong", same, base)
    take = base.inputs.outcomes.take_up_for("caring_visits", 2025)
    assert f"caring_visits take-up {take:.0%}" in line
    assert "misses it" in line and "not a no-op" in line
    lower = build_scenario("lowered", targets={"datong.visit_rate_2025": (0.9, 2025)})
    (line,) = target_notes("datong", lower, base)
    assert "provision and cost rise even though it is lower than the plan's" in line
    # a scenario of targets alone is never called a no-op: targets drive provision
    _, notes = check_scenario("datong", same)
    assert not any("changes nothing" in n for n in notes)


def test_the_panel_shows_saves_and_compares_the_same_scenario(tmp_path, capsys):
    pytest.importorskip("ipywidgets")
    from simlib.reporting.panel import scenario_panel

    box = scenario_panel("datong", tmp_path, sample=0.01, reps=1, on="targets_2025")
    widgets = {
        getattr(w, "description", ""): w
        for row in box.children
        for w in getattr(row, "children", [row])
    }
    amount_options = dict(widgets["amount"].options)
    widgets["amount"].value = next(
        v for k, v in amount_options.items() if k.startswith("datong.8 ") and "80–89" in k
    )
    widgets["new amount"].value = 105
    bounds = dict(widgets["eligibility"].options)
    widgets["eligibility"].value = bounds["datong.13 护理补贴: age ≥ 60"]
    widgets["new bound"].value = "55"
    preview = box.children[5].value
    assert "benefit.cash[0].yuan: 105" in preview and "eligibility.all[0].min: 55" in preview
    assert "stacked on targets_2025" in preview
    widgets["years compared"].value = "2026"
    widgets["save"].click()
    saved = simlib.read_scenario(str(tmp_path / "my_reform.yaml"), simlib.params.read_tree())
    assert {c.target for c in saved.changes} == {"datong.8", "datong.13"}
    widgets["compare"].click()
    # without a kernel the panel's output area prints to stdout
    text = capsys.readouterr().out
    assert "--scenario targets_2025 " in text  # the stacked CLI line
    assert "⚠ " in text and "outside its documented range" in text  # a warning, one line
    assert "targets_2025+dict · sample 0.01 · 1 reps" in text  # what the table rests on

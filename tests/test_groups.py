"""Results by the persons' own attributes (age group, sex, household …) and who gains."""

import numpy as np
import pandas as pd
import pytest

from simlib.core import people
from simlib.core.errors import ParamError
from simlib.experiments.run import run
from simlib.outcomes.groups import GROUPINGS, check_groups, codes, in_order, labels
from simlib.outcomes.ledger import Ledger
from simlib.params import load_inputs


def _population(rows, spouse=None):
    cols = people.from_frame(pd.DataFrame(rows))
    n = len(rows)
    cols["county"] = np.zeros(n, np.int16)
    cols["weight"] = np.ones(n, np.float32)
    cols["alive"] = np.ones(n, bool)
    cols["spouse"] = np.asarray(spouse if spouse is not None else [-1] * n, np.int32)
    return cols


def test_age_groups_and_households_are_coded_by_hand():
    cols = _population(
        [{"age": a} for a in (45, 49, 50, 99, 100, 104)]
        + [{"age": 70}, {"age": 71, "in_institution": True}],
        spouse=[1, 0, -1, -1, -1, -1, 7, 6],  # 0–1 a couple at home; 6–7: one in an institution
    )
    assert codes(cols, ("age5",)).tolist() == [0, 0, 1, 10, 11, 11, 5, 5]
    lab = GROUPINGS["age5"].labels
    assert (lab[0], lab[1], lab[10], lab[11]) == ("45-49", "50-54", "95-99", "100+")
    # couple = 0, single = 1, institution = 2
    assert codes(cols, ("household",)).tolist() == [0, 0, 1, 1, 1, 1, 1, 2]
    # mixed radix: sex (2) × household (3); a woman (1) in an institution (2) is 1 × 3 + 2
    cols["sex"][7] = 1
    assert codes(cols, ("sex", "household"))[7] == 5
    assert labels(("sex", "household"))["household"][5] == "institution"
    assert labels(("sex", "household"))["sex"][5] == "female"


def test_unknown_grouping_names_the_allowed_ones():
    with pytest.raises(ParamError, match="allowed: age5, sex"):
        check_groups(("age", "sex"))
    assert check_groups("sex") == ("sex",)


def test_grouped_ledger_splits_the_hand_checked_cash_and_sums_to_the_total():
    cols = _population(
        [
            {"age": 85, "urban": True},  # Jincheng old-age allowance: 800 a year (item 16)
            {"age": 92, "urban": True},  # 2 400
            {"age": 86, "urban": False},  # 800
            {"age": 72, "urban": True, "living": "alone"},
        ]
    )
    inputs = load_inputs("jincheng")
    flat = Ledger(inputs, ["x"]).collect(cols, 2025)
    grouped = Ledger(inputs, ["x"], groups=("age5", "urban")).collect(cols, 2025)
    assert len(grouped) == len(flat) * len(GROUPINGS["age5"]) * 2
    cash = grouped[(grouped.item_id == "jincheng.16") & (grouped.measure == "eligible")]
    got = cash.set_index(["age5", "urban"]).value
    assert got[("85-89", "urban")] == 1 and got[("85-89", "rural")] == 1
    assert got[("90-94", "urban")] == 1 and got[("70-74", "urban")] == 0
    summed = grouped.groupby(["item_id", "measure"]).value.sum()
    np.testing.assert_allclose(summed, flat.groupby(["item_id", "measure"]).value.sum())


def test_a_grouped_run_gives_the_same_totals_and_reads_by_group():
    kw = {"reps": 2, "sample": 0.01, "seed": 5, "end_year": 2025}
    flat = run("xiaoyi", **kw)
    grouped = run("xiaoyi", groups=("age5", "sex"), **kw)
    for m in ("cost_yuan", "pop60", "enrolled"):
        pd.testing.assert_series_equal(
            flat.totals(m).value, grouped.totals(m).value, check_exact=False, rtol=1e-9
        )
    by_age = grouped.totals("pop80", by=("year", "age5"))
    assert list(by_age[by_age.year == 2025].age5) == list(GROUPINGS["age5"].labels)
    under80 = by_age[(by_age.year == 2025) & by_age.age5.isin(["75-79", "70-74"])]
    assert (under80.value == 0).all()  # pop80 counts no one below 80
    with pytest.raises(ParamError, match="not aggregated by 'living'"):
        grouped.totals("cost_yuan", by=("year", "living"))


def test_in_order_sorts_age_groups_by_age_not_text():
    f = pd.DataFrame({"age5": ["100+", "45-49", "95-99"], "value": [1, 2, 3]})
    assert in_order(f).age5.tolist() == ["45-49", "95-99", "100+"]


# ------------------------------------------------------------------ who gains


def test_who_gains_tally_is_worked_by_hand():
    from simlib.experiments.gains import tally

    # five agents in two groups; weights 2, 2, 1, 1, 3 persons; values in yuan a year
    t = tally(
        base_yuan=np.array([100.0, 0.0, 50.0, 50.0, 0.0, 999.0]),
        reform_yuan=np.array([150.0, 0.0, 20.0, 50.0, 10.0, 0.0]),
        slot=np.array([0, 0, 1, 1, 1, 1]),
        weight=np.array([2, 2, 1, 1, 3, 5], np.float32),
        counted=np.array([True, True, True, True, True, False]),  # the last one is dead
        n_slots=2,
    )
    # group 0: 4 persons; agent 0 (2 persons) gains 50 each: +100 in all, 25 per person
    # group 1: 5 persons; agent 2 (1) loses 30, agent 4 (3) gains 10 each: 30 − 30 = 0
    assert t["persons"].tolist() == [4, 5]
    assert t["gainers"].tolist() == [2, 3]
    assert t["losers"].tolist() == [0, 1]
    assert t["gain_yuan"].tolist() == [100, 0]
    assert t["base_yuan"].tolist() == [200, 100]


def test_who_gains_intervals_are_per_replication_ratios_worked_by_hand():
    from simlib.experiments.gains import Gains

    # one group, two replications: 4 persons each; gains of 100 and 140 yuan in all, so the
    # average gain per person is 25 and 35: mean 30, SE = sd / √2 = 7.071 / 1.414 = 5
    rows = []
    for rep, gain, gainers in ((0, 100.0, 2.0), (1, 140.0, 4.0)):
        for m, v in (("persons", 4.0), ("gainers", gainers), ("losers", 0.0)):
            rows.append((2030, "c", "male", m, v, rep))
        rows += [(2030, "c", "male", "gain_yuan", gain, rep)]
        rows += [(2030, "c", "male", m, 0.0, rep) for m in ("base_yuan", "reform_yuan")]
    g = Gains(pd.DataFrame(rows, columns=["year", "county", "sex", "measure", "value", "rep"]))
    with pytest.warns(UserWarning, match="2 replications"):
        s = g.summary().set_index("measure")
    assert s.loc["gain_per_person", "value"] == pytest.approx(30)
    assert s.loc["gain_per_person", "se"] == pytest.approx(5)
    assert s.loc["gainer_share", "value"] == pytest.approx((0.5 + 1.0) / 2)
    assert s.loc["gain_yuan", "reps"] == 2
    t = g.table(2030).set_index("sex")  # warned once per result, above
    assert t.loc["all", "gainers %"] == pytest.approx(75)
    assert t.loc["male", "total gain (万元/yr)"] == pytest.approx(120 * 1e-4)


def test_who_gains_adds_up_to_the_paired_cost_difference():
    from simlib.experiments.gains import who_gains

    # Datong's 80–89 allowance (datong.8: 70 yuan a month) raised by half from 2026
    reform = {
        "description": "80-89 allowance +50 % from 2026",
        "changes": [{"item": "datong.8", "from": 2026, "set": {"benefit.cash[0].yuan": 105}}],
    }
    kw = {"reps": 2, "sample": 0.01, "seed": 2, "end_year": 2026}
    with pytest.warns(UserWarning):
        g = who_gains("datong", reform, by="age5", **kw)
        diff = run("datong", reform, **kw).compare(run("datong", **kw), "cost_yuan")
        t = g.table(2026).set_index("age5")
    s = g.summary([], 2026).set_index("measure")
    # the persons' changes add up to the change in cost, replication by replication
    assert s.loc["gain_yuan", "value"] == pytest.approx(diff.set_index("year").value[2026])
    # only 80–89-year-olds gain, each 35 yuan a month × 12 × the allowance's take-up
    take = load_inputs("datong").outcomes.take_up_for("old_age_allowance", 2026)
    assert t.loc["80-84", "gain per person (yuan/yr)"] == pytest.approx(35 * 12 * take)
    assert t.loc["80-84", "gainers %"] == pytest.approx(100)
    assert t.loc[["60-64", "75-79", "90-94"], "gainers"].eq(0).all()
    assert t["losers"].eq(0).all()
    assert "45-49" not in t.index  # below min_age 60: no row


def test_who_gains_on_the_command_line_prints_readable_tables_and_writes_a_csv(tmp_path, capsys):
    from simlib.cli import main

    reform = tmp_path / "allowance.yaml"
    reform.write_text(
        "description: 80-89 allowance +50 % from 2026\n"
        "changes:\n"
        "  - item: datong.8\n"
        "    from: 2026\n"
        '    set: {"benefit.cash[0].yuan": 105}\n',
        encoding="utf-8",
    )
    out = tmp_path / "gains.csv"
    argv = ["gains", "--city", "datong", "--reform", str(reform), "--by", "sex"]
    argv += ["--sample", "0.01", "--end-year", "2026", "--out", str(out)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "who gains in 2026" in text and "female" in text
    assert "e+" not in text  # no scientific notation
    rows = pd.read_csv(out)
    assert {"gain_per_person", "gainers", "persons"} <= set(rows.measure)


def test_the_who_gains_figure_has_a_bar_per_group():
    import matplotlib.pyplot as plt

    from simlib.experiments.gains import Gains
    from simlib.reporting.distribution import gains_figure, gains_table

    rows = []
    for sex, gain in (("male", 10.0), ("female", 30.0)):
        for m, v in (("persons", 2.0), ("gainers", 1.0), ("losers", 0.0), ("gain_yuan", gain)):
            rows.append((2030, "c", sex, m, v, 0))
    g = Gains(pd.DataFrame(rows, columns=["year", "county", "sex", "measure", "value", "rep"]))
    with pytest.warns(UserWarning, match="1 replication"):
        fig = gains_figure(g, 2030)
    left, right = fig.axes[:2]
    assert [round(p.get_width()) for p in right.patches] == [5, 15]  # 10 / 2, 30 / 2 yuan
    assert [t.get_text() for t in left.get_yticklabels()] == ["男", "女"]
    plt.close(fig)
    t = gains_table(g, 2030)
    assert t["gain per person (yuan/yr)"].tolist() == ["5.0", "15.0", "10.0"]


@pytest.mark.filterwarnings("ignore::UserWarning")  # few replications; targets after 2027
def test_who_gains_on_stored_paths_equals_a_simulation_per_replication(monkeypatch):
    from simlib.experiments import trajectories
    from simlib.experiments.gains import who_gains

    kw = {"by": ("age5", "household"), "reps": 2, "sample": 0.01, "seed": 4, "end_year": 2027}
    reform = ["targets_2025", "harmonised"]  # a stack, with one-off and household items
    trajectories.clear_memory()
    simulated = []
    real = trajectories.simulate
    monkeypatch.setattr(
        trajectories, "simulate", lambda *a, **k: simulated.append(a[0].rep) or real(*a, **k)
    )
    run("xiaoyi", reform, reps=2, sample=0.01, seed=4, end_year=2027)  # keeps the paths
    on_paths = who_gains("xiaoyi", reform, "targets_2025", **kw)
    assert sorted(simulated) == [0, 1]  # the run's paths: who_gains simulated nothing more
    monkeypatch.setenv("SIMLIB_TRAJECTORIES", "0")
    simulated_anew = who_gains("xiaoyi", reform, "targets_2025", **kw)
    assert on_paths.reps.equals(simulated_anew.reps)  # every count, to the last bit
    assert on_paths.reps["value"].abs().sum() > 0
    assert on_paths.meta == simulated_anew.meta


@pytest.mark.filterwarnings("ignore::UserWarning")  # one replication
def test_who_gains_in_some_years_equals_every_years_counts_in_those_years(monkeypatch):
    """Per-person values are kept only in the years counted, and the evaluation stops at the
    last of them: the counts must be those of a full evaluation, on paths and simulating."""
    from simlib.experiments import trajectories
    from simlib.experiments.gains import who_gains

    kw = {"by": ("household",), "reps": 1, "sample": 0.01, "seed": 4, "end_year": 2028}
    reform = ["targets_2025", "harmonised"]  # one-off and household items: history matters
    trajectories.clear_memory()
    every = who_gains("xiaoyi", reform, "targets_2025", **kw).reps  # 2025-2028: gains from 2025
    want = every[every["year"].isin([2025, 2027])].reset_index(drop=True)
    gain = want[want["measure"] == "gain_yuan"].groupby("year")["value"].sum()
    assert (gain > 0).all() and len(gain) == 2  # the reform gives something in both years
    # 2026 skipped, 2028 never evaluated
    some = who_gains("xiaoyi", reform, "targets_2025", years=[2027, 2025], **kw).reps
    assert some.equals(want)  # on the stored paths, to the last bit
    monkeypatch.setenv("SIMLIB_TRAJECTORIES", "0")
    simulated = who_gains("xiaoyi", reform, "targets_2025", years=[2025, 2027], **kw).reps
    assert simulated.equals(want)

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

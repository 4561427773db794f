"""Published recipient counts: the national rates and the take-up they imply."""

import pandas as pd
import pytest

from simlib.experiments.recipients import national, take_up_from_recipients


def test_national_rates_per_1000_aged_60plus_worked_by_hand():
    # 2024 bulletin: 93.2万 护理补贴 and 3752.8万 高龄津贴 recipients of 31031万 aged 60+
    pub = national(2024)
    assert pub["care_subsidy"].per_1000_60plus == pytest.approx(1000 * 93.2 / 31031)  # 3.003
    assert pub["old_age_allowance"].per_1000_60plus == pytest.approx(120.937, abs=1e-3)
    with pytest.raises(KeyError, match="years held"):
        national(2019)


def test_take_up_is_published_over_eligible_and_unidentified_above_one():
    cmp = pd.DataFrame(
        {
            "family": ["care_subsidy", "service_subsidy", "care_subsidy"],
            "city": ["pooled", "pooled", "jincheng"],
            "eligible_per_1000": [5.0, 10.0, 99.0],
            "published_per_1000": [3.0, 19.0, 3.0],
        }
    )
    t = take_up_from_recipients(cmp)
    assert t.loc["care_subsidy", "implied_take_up"] == pytest.approx(0.6)  # 3 / 5
    assert t.loc["care_subsidy", "identified"]
    assert t.loc["service_subsidy", "implied_take_up"] == pytest.approx(1.9)
    assert not t.loc["service_subsidy", "identified"]


def test_comparison_states_each_citys_replications():
    # runs with different replications (as target_rse gives) stand behind one table: each
    # city row states its own, the pooled rows none (they combine the cities' runs)
    import simlib
    from simlib.experiments.recipients import recipients_comparison

    results = {
        "xiaoyi": simlib.run("xiaoyi", sample=0.01, reps=2, end_year=2025),
        "datong": simlib.run("datong", sample=0.01, reps=1, end_year=2025),
    }
    cmp = recipients_comparison(results, 2024, 2025)
    per_city = cmp[cmp["city"] != "pooled"].groupby("city")["reps"].unique()
    assert {c: list(v) for c, v in per_city.items()} == {"xiaoyi": [2], "datong": [1]}
    assert cmp.loc[cmp["city"] == "pooled", "reps"].isna().all()

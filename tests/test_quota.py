"""Quota items: a yearly capacity served in a stated order, checked by hand on tiny populations.

Jincheng's item 18 (home adaptation, read as the annex's 经济困难 group so that any 低保 person
aged 60+ at home is eligible) with a quota of our own: who is served each year follows from
the rule alone, so the expected households are worked out from the persons below.
"""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from simlib.core import people
from simlib.core.errors import ParamError
from simlib.outcomes.ledger import Ledger, quota_before
from simlib.outcomes.quota import allocate
from simlib.params import load_inputs
from simlib.params.outcomes import Quota

ITEM = "jincheng.18"
ANNEX = {"description": "annex reading", "definitions": {"home_adaptation_target": "list"}}
#: Four single 低保 persons at home, each a household: (age, ADL grade).
PERSONS = [(70, 0), (85, 0), (72, 3), (90, 3)]  # A, B, C, D


def _cols(persons=PERSONS, spouse=None):
    rows = [{"age": a, "adl_level": g, "assistance": "dibao"} for a, g in persons]
    cols = people.from_frame(pd.DataFrame(rows))
    n = len(rows)
    cols["county"] = np.zeros(n, np.int16)
    cols["weight"] = np.ones(n, np.float32)
    cols["alive"] = np.ones(n, bool)
    cols["spouse"] = np.full(n, -1, np.int32) if spouse is None else np.asarray(spouse, np.int32)
    return cols


def _inputs(quota: Quota, rule="neediest_first", scenario=ANNEX):
    inputs = load_inputs("jincheng", scenario)
    periods = tuple(
        dataclasses.replace(
            p,
            outcomes=dataclasses.replace(
                p.outcomes, quota={"home_adaptation": quota}, quota_rule=rule
            ),
        )
        for p in inputs.periods
    )
    return dataclasses.replace(inputs, periods=periods)


def _m(frame, measure):
    return float(frame[(frame.item_id == ITEM) & (frame.measure == measure)].value.sum())


def _quota(per_year, first=2025, last=2025, after=0.5):
    return Quota("home_adaptation", {"jincheng": per_year}, first, last, after)


def test_neediest_first_serves_the_capacity_each_year_and_queues_the_rest():
    inputs = _inputs(_quota(2))
    cost = inputs.outcomes.unit_cost["home_adaptation"]
    ledger = Ledger(inputs, ["x"])
    cols = _cols()
    y25 = ledger.collect(cols, 2025)
    # 2025: capacity 2 → D (grade 3, 90) and C (grade 3, 72); B and A wait
    assert _m(y25, "units:home_adaptation") == 2
    assert _m(y25, "cost_yuan") == 2 * cost
    assert _m(y25, "eligible") == 4 and _m(y25, "households") == 4
    assert _m(y25, "enrolled") == 2 and _m(y25, "enrolled_households") == 2
    assert list(ledger.received[ITEM]) == [0, 0, 1, 1]
    # 2026, 2027: after the period, capacity 2 × 0.5 = 1 a year → B (85), then A
    y26 = ledger.collect(cols, 2026)
    assert _m(y26, "units:home_adaptation") == 1 and list(ledger.received[ITEM]) == [0, 1, 1, 1]
    y27, y28 = ledger.collect(cols, 2027), ledger.collect(cols, 2028)
    assert _m(y27, "units:home_adaptation") == 1 and _m(y27, "enrolled") == 4
    assert _m(y28, "units:home_adaptation") == 0  # everyone served
    assert _m(y28, "quota_before") == 0


def test_oldest_first_orders_by_age():
    ledger = Ledger(_inputs(_quota(2), rule="oldest_first"), ["x"])
    ledger.collect(_cols(), 2025)
    assert list(ledger.received[ITEM]) == [0, 1, 0, 1]  # D (90) and B (85)


def test_the_programme_years_before_the_list_are_served_first_uncounted():
    # quota 1 a year from 2023; the ledger's first year is 2025: 2023 and 2024's two
    # households (D, C) were served before the list, uncosted; 2025's one is B
    ledger = Ledger(_inputs(_quota(1, first=2023)), ["x"])
    f = ledger.collect(_cols(), 2025)
    assert quota_before(_quota(1, first=2023), "jincheng", 2025) == 2
    assert _m(f, "quota_before") == 2
    assert _m(f, "units:home_adaptation") == 1
    assert list(ledger.received[ITEM]) == [0, 1, 1, 1]


def test_a_couple_is_one_household_and_uses_one_place():
    # A and D married (both at home): one household, its neediest member D (grade 3); B, C
    # single. Capacity 2: the couple (grade 3, 90) then C (grade 3, 72); B waits.
    ledger = Ledger(_inputs(_quota(2)), ["x"])
    f = ledger.collect(_cols(spouse=[3, -1, -1, 0]), 2025)
    assert _m(f, "households") == 3
    assert _m(f, "units:home_adaptation") == 2
    assert list(ledger.received[ITEM]) == [1, 0, 1, 1]
    assert _m(f, "enrolled") == 3  # both spouses are eligible and live in served homes


def test_capacity_is_met_to_the_nearest_agent():
    # agents of weight 10: a capacity of 14 households serves one agent (10, the next would
    # reach 20 > 14 + 5), a capacity of 15 serves two (the second's middle, 15, is within)
    cols = {
        "spouse": np.full(4, -1),
        "weight": np.full(4, 10.0, np.float32),
        "county": np.zeros(4, np.int16),
        "adl_level": np.array([0, 0, 3, 3], np.int8),
        "age": np.array([70, 85, 72, 90], np.int16),
    }
    new, vals, once = np.arange(4), np.ones((4, 1)), np.array([True])
    served, sums, _ = allocate(new, cols, vals, once, 14.0, "neediest_first", 1)
    assert list(served) == [3] and sums[0, 0] == 10
    served, sums, _ = allocate(new, cols, vals, once, 15.0, "neediest_first", 1)
    assert list(served) == [2, 3] and sums[0, 0] == 20


def test_a_scenario_take_up_schedule_replaces_the_quota():
    scen = {**ANNEX, "take_up": {"home_adaptation": {"target": 1.0, "year": 2025}}}
    inputs = _inputs(_quota(1), scenario=scen)
    inputs = dataclasses.replace(
        inputs,
        periods=tuple(
            dataclasses.replace(
                p,
                outcomes=dataclasses.replace(
                    p.outcomes, take_up_targets={"home_adaptation": (1.0, 2025)}
                ),
            )
            for p in inputs.periods
        ),
    )
    f = Ledger(inputs, ["x"]).collect(_cols(), 2025)
    assert _m(f, "units:home_adaptation") == 4  # every eligible household, take-up 1


def test_the_bundled_quota_and_bad_quota_entries():
    q = load_inputs("puyang").outcomes.quota_for("home_adaptation", "puyang")
    assert q.task("puyang") == pytest.approx(7600)  # 一(二): 7600 households by end-2025
    assert q.capacity("puyang", 2020) == 0 and q.capacity("puyang", 2023) == 1520
    bad = {
        "description": "a quota for a city that does not exist",
        "changes": [
            {
                "outcomes": None,
                "set": {"quota.by_family.home_adaptation.by_city.taiyuan": {"value": 10}},
            }
        ],
    }
    with pytest.raises(ParamError, match="by_city.taiyuan: no such city"):
        load_inputs("puyang", bad)
    bad_rule = {
        "description": "an unknown rule",
        "changes": [{"outcomes": None, "set": {"quota.rule.value": "first_come"}}],
    }
    with pytest.raises(ParamError, match="quota.rule.value: 'first_come' is not a rule"):
        load_inputs("puyang", bad_rule)

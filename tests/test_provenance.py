"""Provenance classes of the outcome parameters."""

from simlib.params.provenance import CLASSES, classify, outcome_provenance


def test_classes_follow_the_source_and_the_assumption_flag():
    assert classify({"value": 1, "source": "doc"}) == "sourced"
    assert classify({"assumption": True, "source": "calibrated (script): x"}) == "calibrated"
    assert classify({"assumption": True, "source": "derived: pay × minutes"}) == "derived"
    assert classify({"assumption": True, "source": "Shenyang's cap"}) == "proxy"
    assert classify({"assumption": True, "rationale": "why"}) == "assumed"


def test_every_outcome_parameter_is_classified_once():
    df = outcome_provenance()
    assert df["key"].is_unique
    assert set(df["provenance"].astype(str)) <= set(CLASSES)
    got = df.set_index("key")["provenance"].astype(str)
    # params/outcomes.yaml: the care subsidy's take-up is fitted by scripts/calibrate_take_up.py
    assert got["outcomes:take_up.care_subsidy"] == "calibrated"
    assert got["outcomes:unit_cost.training"] == "sourced"  # Jincheng annex item 20


def test_quota_capacities_are_classified():
    got = outcome_provenance().set_index("key")["provenance"].astype(str)
    # puyang.txt 一(二): the city's own 7600 households, spread over five years (a reading)
    assert got["outcomes:quota.home_adaptation.puyang"] == "proxy"
    # Shanxi's 69 200 split by the 60+ share
    assert got["outcomes:quota.home_adaptation.jincheng"] == "derived"

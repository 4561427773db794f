"""Provenance classes of the outcome parameters, and the assumption registry's quota, programme,
purchase-model and funding-split entries."""

import numpy as np
import pytest

from simlib.params.provenance import CLASSES, class_counts, classify, outcome_provenance


def test_classes_follow_the_source_tag_and_the_assumption_flag():
    flagged = {"assumption": True, "range": [0, 1], "rationale": "why"}
    assert classify({"value": 1, "source": "a published figure"}) == "sourced"
    assert classify({**flagged, "source": "calibrated (script): x"}) == "calibrated"
    assert classify({**flagged, "source": "derived: pay × minutes"}) == "derived"
    assert classify({**flagged, "source": "target (not achieved): 100 % by 2025"}) == (
        "national target"
    )
    assert classify({**flagged, "source": "bounds, low x, high y"}) == "bounds"
    assert classify({**flagged, "source": "check (not identified): n"}) == "checked"
    assert classify({**flagged, "source": "proxy (national): CHARLS"}) == "national proxy"
    assert classify({**flagged, "source": "proxy (province): Shanxi"}) == "province proxy"
    assert classify({**flagged, "source": "proxy (other place): Shenyang"}) == ("other-place proxy")
    assert classify({**flagged, "source": "proxy (foreign): Norway"}) == "foreign proxy"
    assert classify({**flagged, "source": "national document: 劳社部发"}) == "national document"
    # no tag, or a word that only starts like one: a proxy of unstated kind
    assert classify({**flagged, "source": "Shenyang's cap"}) == "proxy"
    assert classify({**flagged, "source": "targeted surveys: x"}) == "proxy"
    assert classify(flagged) == "assumed"
    # the city's own document, flagged (a reading) or not; another document is not the city's
    city = {"source": "sources/documents/puyang.txt, 一(二)"}
    assert classify({**flagged, **city}, cities=("puyang",)) == "city document"
    assert classify({"value": 1, **city}, cities=("puyang",)) == "city document"
    other = {"value": 1, "source": "sources/documents/programme_voucher_2026.txt [R2]"}
    assert classify(other, cities=("puyang",)) == "sourced"


def test_every_flagged_outcome_source_carries_a_known_tag():
    # params/outcomes.yaml: a flagged value with a source must say what kind of source it is
    # (docs/params_format.md, provenance tags), or the city's own document; "proxy" of an
    # unstated kind is not left there
    df = outcome_provenance()
    mine = df[df["key"].str.startswith("outcomes:")]
    assert set(mine["provenance"].astype(str)) <= set(CLASSES)
    untagged = mine.loc[mine["provenance"] == "proxy", "key"].tolist()
    assert untagged == []


def test_every_outcome_parameter_is_classified_once():
    df = outcome_provenance()
    assert df["key"].is_unique
    assert set(df["provenance"].astype(str)) <= set(CLASSES)
    got = df.set_index("key")["provenance"].astype(str)
    # params/outcomes.yaml: the care subsidy's take-up is fitted by scripts/calibrate_take_up.py
    assert got["outcomes:take_up.care_subsidy"] == "calibrated"
    assert got["outcomes:take_up.legal_aid"] == "calibrated"
    assert got["outcomes:unit_cost.training"] == "city document"  # Jincheng annex item 20
    assert got["outcomes:take_up.caring_visits"] == "national target"  # the 2022 guideline
    assert got["outcomes:travel_minutes"] == "foreign proxy"  # a Norwegian time-use study
    assert got["outcomes:minutes.visit"] == "bounds"
    assert got["outcomes:fte_hours"] == "national document"  # 劳社部发〔2008〕3号
    assert got["outcomes:take_up.tourism"] == "national proxy"  # CLHLS and an urban survey


def test_class_counts_follow_the_class_order():
    import pandas as pd

    df = pd.DataFrame({"provenance": ["assumed", "bounds", "assumed", "city document"]})
    assert class_counts(df) == "1 city document, 1 bounds and 2 assumed"
    assert class_counts(df.iloc[:1]) == "1 assumed"


def test_quota_capacities_are_classified():
    got = outcome_provenance().set_index("key")["provenance"].astype(str)
    # puyang.txt 一(二): the city's own 7600 households, spread over five years (a reading)
    assert got["outcomes:quota.home_adaptation.puyang"] == "city document"
    # Shanxi's 69 200 split by the 60+ share
    assert got["outcomes:quota.home_adaptation.jincheng"] == "derived"


# --- the assumption registry: quotas, programmes, the purchase model, funding splits ---


def _voucher(inp, year=2026):
    return next(i for i in inp.policy(year).services.items if i.id == "programme.voucher_2026.1")


def test_quota_capacities_are_registry_assumptions_that_set_the_capacity():
    from simlib.params.assumptions import registry
    from simlib.params.inputs import load_inputs

    reg = registry("puyang").set_index("key")
    row = reg.loc["outcomes:quota.home_adaptation.puyang"]
    # puyang.txt 一(二): 7600 households by the end of 2025; 7600/5 = 1520 a year, the range
    # 7600/6 = 1266.7 (counted from 2020) to 7600/3 = 2533.3 (from 2023), as outcomes.yaml
    assert (row["value"], row["low"], row["high"]) == (1520, 1267, 2533)
    assert "outcomes:quota.home_adaptation.after" in reg.index
    assert "outcomes:quota.home_adaptation.datong" not in reg.index  # another city's
    inp = load_inputs(
        "puyang",
        overrides={
            "outcomes:quota.home_adaptation.puyang": 2000,
            "outcomes:quota.home_adaptation.after": 1.5,
        },
    )
    q = inp.outcomes.quota["home_adaptation"]
    assert q.capacity("puyang", 2024) == 2000
    # after 2025: 2000 × 1.5, the top of the documented range (a ratio: the pace may rise)
    assert q.capacity("puyang", 2027) == 3000


def test_a_quota_outside_its_range_is_refused():
    from simlib.core.errors import ParamError
    from simlib.params.inputs import load_inputs

    with pytest.raises(ParamError, match=r"quota.home_adaptation.datong.*outside its range"):
        load_inputs("datong", overrides={"outcomes:quota.home_adaptation.datong": 5000})


def test_programme_take_up_and_the_purchase_model_are_registry_assumptions():
    from simlib.params.assumptions import registry
    from simlib.params.inputs import load_inputs

    reg = registry("datong").set_index("key")
    assert reg.loc["programme:voucher_2026.take_up", "value"] == 0.3
    assert reg.loc["programme:voucher_2026.take_up", ["low", "high"]].tolist() == [0.05, 0.66]
    purchase = [k for k in reg.index if k.startswith("purchase:")]
    # care_purchase.yaml: 2 prices + 3 grades × (hours, day-care days, institution bed-month)
    assert len(purchase) == 11
    assert reg.loc["purchase:prices.home_care_hour", "unit"] == "yuan/hour"
    inp = load_inputs(
        "datong",
        overrides={"programme:voucher_2026.take_up": 0.5, "purchase:prices.home_care_hour": 50},
    )
    assert inp.policy(2026).outcomes.take_up["care_voucher"] == 0.5
    (voucher,) = _voucher(inp).benefit.components
    table = {"adl_level": np.array([2, 3]), "in_institution": np.array([False, True])}
    # moderate at home: 13 h × 50 yuan + 4 days × 60 yuan = 650 + 240 = 890 yuan a month;
    # severe in an institution: the bed-month, 3000 yuan (care_purchase.yaml)
    assert voucher.bill.monthly(table).tolist() == [890.0, 3000.0]


def test_funding_splits_are_registry_assumptions_only_when_asked():
    from simlib.params.assumptions import registry

    assert not registry("datong")["key"].str.startswith("funding:").any()
    reg = registry("datong", payers=True).set_index("key")
    # voucher_2026.yaml: central 0.9 in [0.85, 0.95]; the local 0.1 split evenly
    assert reg.loc["funding:programme.voucher_2026.central", ["low", "high"]].tolist() == [
        0.85,
        0.95,
    ]
    # Datong's items state no split: the family defaults of funding.yaml's all: entry
    assert "funding:all.old_age_allowance.provincial" in reg.index
    # Puyang's items carry their own splits (its 支出责任 column)
    assert "funding:puyang.3.central" in registry("puyang", payers=True)["key"].tolist()


def test_a_funding_override_scales_the_other_payers_and_keeps_the_sum():
    from simlib.params.inputs import load_inputs

    inp = load_inputs(
        "datong",
        overrides={
            "funding:programme.voucher_2026.central": 0.86,
            "funding:all.health_management.central": 0.5,
        },
    )
    f = _voucher(inp).funding
    # central 0.86: the other 0.14 split as before (0.05 : 0.05), 0.07 each
    assert f.share("central") == 0.86
    assert f.share("provincial") == pytest.approx(0.07, abs=1e-12)
    assert f.share("city") == pytest.approx(0.07, abs=1e-12)
    health = next(
        i for i in inp.policy(2025).services.items if i.family == "health_management"
    ).funding
    # funding.yaml all.health_management: central 0.6, provincial 0.1, city 0.3; central 0.5
    # leaves 0.5 for the others in the ratio 0.1 : 0.3, i.e. 0.125 and 0.375
    assert health.share("provincial") == pytest.approx(0.125, abs=1e-12)
    assert health.share("city") == pytest.approx(0.375, abs=1e-12)
    assert sum(health.as_dict().values()) == pytest.approx(1.0, abs=1e-12)


def test_a_splits_range_keeps_every_other_payer_inside_its_own():
    from simlib.params.assumptions import _split_rows

    split = {
        "central": {"value": 0.6, "assumption": True, "range": [0.2, 0.9], "rationale": "r"},
        "city": {"value": 0.4, "assumption": True, "range": [0.3, 0.5], "rationale": "r"},
    }
    row = _split_rows("funding:x.central", "x", split, "f", "funding", "", "all.families.x")
    # city = 0.4 (1 − v) / (1 − 0.6) = 1 − v must stay in [0.3, 0.5]: v in [0.5, 0.7], inside
    # the central share's own [0.2, 0.9]
    assert (row["low"], row["high"]) == pytest.approx((0.5, 0.7))
    sole = {"city": {"value": 1.0, "assumption": True, "range": [0.5, 1.0], "rationale": "r"}}
    assert _split_rows("k", "x", sole, "f", "funding", "", "b") is None  # no freedom


def test_the_provenance_table_lists_the_programmes_the_purchase_model_and_who_pays():
    df = outcome_provenance().set_index("key")
    # voucher_2026.yaml rests on news reports: its rule numbers are sourced, and flagged
    cap = df.loc["item:programme.voucher_2026.1.care_voucher[0].cap_yuan"]
    assert cap["value"] == 800 and cap["provenance"] == "sourced"
    assert cap["source"].endswith("[news report; flagged]")
    assert df.loc["item:programme.voucher_2026.1.care_voucher[0].share.home", "value"] == 0.5
    # pilot use in the 2025 pilot regions (not Shanxi or Henan) bounds it
    assert df.loc["programme:voucher_2026.take_up", "provenance"] == "other-place proxy"
    assert (df.loc[df["group"] == "purchase", "provenance"] == "assumed").sum() == 11
    # Puyang item 1: insurance: 1.0, a bare number under the block's 支出责任 source (the
    # city's own list)
    assert df.loc["funding:puyang.1.insurance", "provenance"] == "city document"
    # Puyang item 3: 共同承担 names the payers, not the shares: the shares stay assumed
    assert df.loc["funding:puyang.3.central", "provenance"] == "assumed"
    assert "annex item 3" in df.loc["funding:puyang.3.central", "source"]


def test_every_registry_key_of_outcomes_programmes_and_payers_is_in_the_provenance_table():
    from simlib.params.assumptions import registry

    keys = set(outcome_provenance()["key"])
    for city in ("datong", "puyang"):
        reg = registry(city, payers=True)["key"]
        mine = reg[reg.str.match(r"(outcomes|programme|purchase|funding):")]
        assert len(mine) > 40
        assert set(mine) <= keys, sorted(set(mine) - keys)


def test_a_programme_in_force_in_none_of_the_years_read_leaves_the_registry():
    from simlib.params.assumptions import registry

    def mine(**kw):
        reg = registry("jincheng", **kw)["key"]
        return set(reg[reg.str.match("(programme|purchase):")])

    # voucher_2026.yaml: in force 2026-01-01 to 2026-12-31 (counted for 2026 only)
    assert len(mine()) == 12 and mine(years=(2026,)) == mine()
    assert mine(years=(2025, 2030, 2035)) == set()

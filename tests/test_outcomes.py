"""Outcomes on populations small enough to check by hand; scenarios; replications; CLI."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

import simlib
from simlib.cli import main as cli
from simlib.core import people
from simlib.core.errors import ParamError
from simlib.core.units import fte
from simlib.experiments.result import Result, summarise
from simlib.experiments.run import run
from simlib.outcomes.ledger import Ledger, county_summer
from simlib.outcomes.targets import MEASURES, evaluate_targets
from simlib.params import load_inputs

YEAR = 2025
CITIES = simlib.cities()


def _with_outcomes(city, outcomes, scenario="baseline"):
    """The inputs of a run of ``city`` with other outcome parameters."""
    inputs = load_inputs(city, scenario)
    periods = tuple(dataclasses.replace(p, outcomes=outcomes) for p in inputs.periods)
    return dataclasses.replace(inputs, periods=periods)


def _population(rows):
    cols = people.from_frame(pd.DataFrame(rows))
    n = len(rows)
    cols["county"] = np.zeros(n, np.int16)
    cols["weight"] = np.ones(n, np.float32)
    cols["alive"] = np.ones(n, bool)
    cols["spouse"] = np.full(n, -1, np.int32)  # everyone single: a household each
    return cols


@pytest.fixture
def full_take_up():
    """Outcome parameters with every take-up at 1, so hand sums need no shares."""
    p = load_inputs("jincheng").outcomes
    return dataclasses.replace(p, take_up_default=1.0, take_up={k: 1.0 for k in p.take_up})


def _measure(frame, item, measure):
    return frame[(frame.item_id == item) & (frame.measure == measure)].value.sum()


def test_hand_checked_cash_visits_workload_and_beds(full_take_up):
    cols = _population(
        [
            {"age": 85, "urban": True},  # old-age allowance 800 (item 16)
            {"age": 92, "urban": True},  # 2 400 (item 16)
            {"age": 72, "urban": True, "living": "alone"},  # visits: 1 a month (item 24)
            {
                "age": 75,
                "urban": False,
                "living": "alone",
                "care_level": "full_care",
                "adl_level": 4,
            },  # cannot self-care: 2 a month (item 24, assumed)
            {
                "age": 70,
                "assistance": "tekun",
                "tekun_mode": "centralized",
                "in_institution": True,
                "no_supporter": True,
            },  # one bed (item 23)
        ]
    )
    ledger = Ledger(_with_outcomes("jincheng", full_take_up), ["140502"])
    f = ledger.collect(cols, YEAR)
    assert _measure(f, "jincheng.16", "cash_yuan") == 800 + 2400
    assert _measure(f, "jincheng.16", "eligible") == 2
    # visits: 12 + 24 a year; staff minutes per visit = minutes + travel (home unit)
    assert _measure(f, "jincheng.24", "units:visit") == 12 + 24
    p = full_take_up
    assert _measure(f, "jincheng.24", "minutes") == 36 * (p.minutes["visit"] + p.travel_minutes)
    assert _measure(f, "jincheng.24", "service_yuan") == 36 * p.unit_cost["visit"]
    assert _measure(f, "jincheng.23", "beds:institution_bed") == 1
    assert _measure(f, "jincheng.23", "bed_yuan") == p.bed_cost["institution_bed"]
    # population denominators
    assert _measure(f, "", "pop80") == 2 and _measure(f, "", "pop60") == 5
    # cost = cash + services + beds for the item
    assert _measure(f, "jincheng.16", "cost_yuan") == 3200
    assert fte(2000 * 60, p.fte_hours) == pytest.approx(1.0)  # 2 000 hours = one FTE
    # staff FTE is in the run's rows, at the run's hours per post
    assert _measure(f, "jincheng.24", "fte") == pytest.approx(
        36 * (p.minutes["visit"] + p.travel_minutes) / 60 / p.fte_hours
    )


def test_take_up_scales_enrolment_and_cost():
    p = load_inputs("jincheng").outcomes
    f = Ledger(load_inputs("jincheng"), ["x"]).collect(_population([{"age": 85}]), YEAR)
    share = p.take_up["old_age_allowance"]
    assert _measure(f, "jincheng.16", "enrolled") == pytest.approx(share)
    assert _measure(f, "jincheng.16", "cash_yuan") == pytest.approx(800 * share)


def test_senior_education_take_up_is_calibrated_to_national_learners():
    # 中国老年教育发展报告 (2019-2020), Xinhua 2021-10-19: 1088.2万 in-school learners at
    # end-2019, about half aged 60-69 and over 80 % under 70, so about 30 % under 60:
    #   1088.2 × (1 − 0.30) = 761.74万 learners aged 60+
    # 2020 census, China aged 60+: 264 018 218 = 26 401.82万 (the reference file, summed)
    #   761.74 / 26 401.82 = 0.02885 → 0.029 (every resident aged 60+ is eligible)
    from simlib.params.provenance import outcome_provenance

    ref = pd.read_csv("params/sources/reference/census_province_age_sex_5yr.csv")
    ref = ref[(ref.census_year == 2020) & (ref.area == "China")]
    old = ref[ref.age_group.isin(["60-64", "65-69", "70-74", "75-79", "80-84", "85-89"])]
    old = pd.concat([old, ref[ref.age_group.isin(["90-94", "95-99", "100+"])]])
    assert int((old.male + old.female).sum()) == 264_018_218
    p = load_inputs("jincheng").outcomes
    assert p.take_up["senior_education"] == pytest.approx(761.74 / 26_401.82, abs=5e-4)
    prov = outcome_provenance().set_index("key")["provenance"]
    assert prov["outcomes:take_up.senior_education"] == "calibrated"


def test_public_transport_take_up_is_calibrated_to_datong_bus_cards():
    # 大同晚报 2021-10-12: 16.7万 敬老卡 issued to residents aged 65+ by October 2021.
    # Datong aged 65+ on census day 2020, by county (params/population/census2020_age_sex.csv):
    #   新荣 14 833 + 平城 118 771 + 云冈 101 849 + 云州 24 006 + 阳高 35 551 + 天镇 28 398
    #   + 广灵 23 581 + 灵丘 31 513 + 浑源 40 662 + 左云 16 426 + 开发区 1 493 = 437 083
    #   167 000 / 437 083 = 0.38208 → 0.38 (every resident aged 65+ is eligible, item 7)
    # The range's top: the urban districts only, 14 833 + 118 771 + 101 849 + 24 006 + 1 493
    #   = 260 952 → 167 000 / 260 952 = 0.640 → 0.65
    from simlib.params.provenance import outcome_provenance

    d = pd.read_csv("params/population/census2020_age_sex.csv").drop_duplicates()
    d = d[(d.city == "datong") & (d.age_start >= 65)]
    assert int(d["count"].sum()) == 437_083
    districts = ["140212", "140213", "140214", "140215", "datong-kfq"]
    assert int(d[d.county.astype(str).isin(districts)]["count"].sum()) == 260_952
    p = load_inputs("datong").outcomes
    assert p.take_up["public_transport"] == pytest.approx(167_000 / 437_083, abs=5e-3)
    prov = outcome_provenance().set_index("key")["provenance"]
    assert prov["outcomes:take_up.public_transport"] == "calibrated"
    # one resident aged 70 is enrolled for the free buses at that share, one aged 64 is not
    cols = _population([{"age": 70}, {"age": 64}])
    f = Ledger(load_inputs("datong"), ["x"]).collect(cols, YEAR)
    assert _measure(f, "datong.7", "enrolled") == pytest.approx(p.take_up["public_transport"])


def test_senior_education_hours_follow_the_calibrated_take_up():
    # Jincheng item 5: 60 class hours a school year to each enrolled resident aged 60+.
    # One person aged 65, take-up 0.029: 0.029 enrolled, 60 × 0.029 = 1.74 learner-hours;
    # at the range's top, 10 yuan per learner-hour: 17.4 yuan; at the documented 0: nothing.
    p = load_inputs("jincheng").outcomes
    share = p.take_up["senior_education"]
    cols = _population([{"age": 65}])
    f = Ledger(load_inputs("jincheng"), ["x"]).collect(cols, YEAR)
    assert _measure(f, "jincheng.5", "enrolled") == pytest.approx(share)
    assert _measure(f, "jincheng.5", "units:education_hours") == pytest.approx(60 * share)
    assert _measure(f, "jincheng.5", "service_yuan") == 0
    top = dataclasses.replace(p, unit_cost={**p.unit_cost, "education_hours": 10.0})
    f = Ledger(_with_outcomes("jincheng", top), ["x"]).collect(cols, YEAR)
    assert _measure(f, "jincheng.5", "service_yuan") == pytest.approx(10 * 60 * share)


def test_one_off_benefits_are_paid_once(full_take_up):
    # item 18 home adaptation, read as the annex's group (经济困难): a 低保 person aged 70;
    # taken up as a share here (no quota: tests/test_quota.py checks the quota)
    cols = _population([{"age": 70, "assistance": "dibao"}])
    annex = {"description": "annex reading", "definitions": {"home_adaptation_target": "list"}}
    no_quota = dataclasses.replace(full_take_up, quota={})
    ledger = Ledger(_with_outcomes("jincheng", no_quota, annex), ["x"])
    first = ledger.collect(cols, 2025)
    second = ledger.collect(cols, 2026)
    assert _measure(first, "jincheng.18", "units:home_adaptation") == 1
    assert _measure(second, "jincheng.18", "units:home_adaptation") == 0
    assert _measure(second, "jincheng.18", "eligible") == 1  # still eligible, already served
    assert _measure(second, "jincheng.18", "households") == 1  # a household benefit


def test_take_up_ramps_linearly_to_the_scenario_target():
    p = dataclasses.replace(
        load_inputs("datong").outcomes, take_up_targets={"caring_visits": (1.0, 2025)}
    )
    base = p.take_up["caring_visits"]
    assert p.take_up_for("caring_visits", 2023) == base
    assert p.take_up_for("caring_visits", 2024) == pytest.approx((base + 1) / 2)
    assert p.take_up_for("caring_visits", 2025) == 1.0 == p.take_up_for("caring_visits", 2030)


def test_replications_of_a_deterministic_case_have_zero_width():
    rows = pd.DataFrame(
        {
            "year": 2025,
            "city": "x",
            "county": "c",
            "item_id": "i",
            "measure": "cost_yuan",
            "value": [5.0, 5.0, 5.0],
            "rep": [0, 1, 2],
        }
    )
    s = summarise(rows)
    assert (s.value == 5).all() and (s.lower == s.upper).all() and (s.se == 0).all()
    noisy = rows.assign(value=[4.0, 5.0, 6.0])
    assert (summarise(noisy).upper > summarise(noisy).lower).all()
    with pytest.warns(UserWarning, match="rests on 3 replications"):
        t = Result(s, rows).totals("cost_yuan").iloc[0]
    assert t[["lower", "upper", "se", "reps"]].tolist() == [5, 5, 0, 3]


@pytest.fixture(scope="module")
def runs():
    kw = {"reps": 2, "sample": 0.03, "seed": 3, "end_year": 2030}
    return {
        (c, s): run(c, s, **kw) for c in CITIES for s in ("baseline", "targets_2025", "harmonised")
    }


@pytest.mark.parametrize("city", CITIES)
def test_targets_2025_meets_every_modelled_share_target(runs, city):
    ev = evaluate_targets(runs[(city, "targets_2025")])
    share = ev[ev.modelled & (ev.unit == "share") & (ev.year <= 2025)]
    assert share.met.all(), share[["target_id", "target", "projected"]]
    base = evaluate_targets(runs[(city, "baseline")])
    # the baseline misses at least one of them where the city has any
    if len(share):
        assert not base[base.target_id.isin(share.target_id)].met.all()


@pytest.mark.parametrize("city", CITIES)
def test_harmonised_list_raises_cost_per_older_resident(runs, city):
    base = runs[(city, "baseline")].per_older_resident().set_index("year").value
    harm = runs[(city, "harmonised")].per_older_resident().set_index("year").value
    assert harm.loc[2030] > base.loc[2030]


def test_scenarios_share_common_random_numbers(runs):
    # Same seed: the populations are identical draw for draw, whatever the policy.
    a = runs[("datong", "baseline")].reps
    b = runs[("datong", "harmonised")].reps
    pick = lambda r: r[r.measure.str.startswith("pop")].value.to_numpy()  # noqa: E731
    assert np.array_equal(pick(a), pick(b))


def test_policy_transfer_applies_another_citys_list():
    res = run("xiaoyi", list_city="jincheng", sample=0.02, seed=1, end_year=2025)
    items = set(res.table.item_id) - {""}
    assert items and all(i.startswith("jincheng.") for i in items)


def test_every_target_measure_is_implemented_and_every_unmeasured_target_says_why():
    vocab = load_inputs("datong").vocabulary
    assert set(vocab.target_measures) == set(MEASURES)
    for key in CITIES:
        for t in simlib.load_city(key).targets:
            assert t.measure in MEASURES or t.unmeasured, t.id


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("description: x\ncolour: red\n", ["unknown key", "colour"]),
        ("description: x\nhealth: {no_such: 1}\n", ["health", "no_such", "health.yaml"]),
        ("description: x\ntake_up: {caring_visits: {target: 2, year: 2025}}\n", ["target"]),
        ("description: x\ntake_up: {gifts: {target: 1, year: 2025}}\n", ["unknown item family"]),
        (
            "description: x\nharmonise: [gifts]\nharmonise_cities: [datong]\n",
            ["unknown item family", "gifts"],
        ),
        ("description: x\nharmonise: [care_subsidy]\n", ["harmonise_cities", "adding a city"]),
        (
            "description: x\nharmonise: [care_subsidy]\nharmonise_cities: [datnog]\n",
            ["unknown harmonise_cities city", "datnog", "did you mean 'datong'"],
        ),
    ],
)
def test_bad_scenarios_fail_clearly(tmp_path, text, words):

    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ParamError) as err:
        load_inputs("datong", path)
    for w in words:
        assert w in str(err.value)


def test_unknown_definition_variant_in_scenario_fails_at_load():
    with pytest.raises(ParamError, match="no variant 'all'"):
        load_inputs("datong", {"description": "x", "definitions": {"economic_hardship": "all"}})


def test_cli_run_writes_parquet_csv_and_manifest(tmp_path, capsys):
    assert (
        cli(
            [
                "run",
                "--city",
                "xiaoyi",
                "--sample",
                "0.01",
                "--end-year",
                "2022",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    (folder,) = tmp_path.iterdir()
    assert {p.name for p in folder.iterdir()} == {
        "summary.parquet",
        "summary.csv",
        "reps.parquet",
        "manifest.json",
    }
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["scenario"] == "baseline" and len(manifest["params_sha256"]) == 64
    assert manifest["inputs"]["scenario"]["content"]["description"]
    assert pd.read_parquet(folder / "summary.parquet").columns.tolist() == [
        "year",
        "city",
        "county",
        "item_id",
        "measure",
        "value",
        "lower",
        "upper",
        "se",
        "reps",
    ]


def test_cli_bad_input_gives_clear_error_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli(["run", "--city", "xiaoyi", "--scenario", "nope", "--out", str(out)]) == 2
    assert "unknown scenario 'nope'" in capsys.readouterr().err
    assert cli(["run", "--city", "xiaoyi", "--sample", "2", "--out", str(out)]) == 2
    assert "must lie in (0, 1]" in capsys.readouterr().err
    assert not out.exists()


def test_puyang_post_rule_and_spending_levels(runs):
    res = runs[("puyang", "baseline")]
    ev = evaluate_targets(res).set_index("target_id").loc["puyang.welfare_posts_ratio"]
    t = res.table
    users = t[(t.measure == "pop75_urban") & (t.year == 2025)].value.sum()
    take = res.inputs.outcomes.take_up["caring_visits"]
    assert ev["modelled"] and ev["target"] == pytest.approx(users * take / 100)  # 100:1 rule
    spend = res.by_spending(2025)
    total = res.totals("cost_yuan").set_index("year").value[2025]
    assert spend.value.sum() == pytest.approx(total)
    assert "各县、区政府负责。" in set(spend.spending_zh)  # Puyang names who pays
    dept = res.by_department(2025)
    assert dept.value.sum() == pytest.approx(total)
    assert "市卫健委" not in set(dept.department_zh)  # one name per department


def test_county_sums_agree_on_the_fast_and_the_general_path():
    rng = np.random.default_rng(0)
    county = np.sort(rng.integers(0, 4, 1000)).astype(np.int16)  # contiguous, county 2 may miss
    county = county[county != 2]
    values = rng.random(county.size)
    mask = rng.random(county.size) < 0.3
    fast = county_summer(county, np.full(county.size, 2.0, np.float32), 4)
    general = county_summer(county[::-1].copy(), np.full(county.size, 2.0), 4)  # not sorted
    want = np.bincount(county, weights=2 * values * mask, minlength=4)
    for f in (fast, lambda v=None, mask=None: general(v[::-1], mask[::-1])):
        np.testing.assert_allclose(f(values, mask), want)
    np.testing.assert_allclose(fast(mask=mask), np.bincount(county[mask], minlength=4) * 2.0)
    assert fast(mask=mask)[2] == 0  # an empty county sums to zero, not a neighbour's value


def test_enrolment_summed_over_items_counts_person_items(runs):
    res = runs[("puyang", "baseline")]
    total = res.totals("enrolled")
    by_item = res.totals("enrolled", ("year", "item_id"))
    assert set(total["unit"]) == {"person-items"}
    assert set(by_item["unit"]) == {"persons"}
    # the total is the sum of the items' persons (a person in two items counts twice)
    summed = by_item.groupby("year")["value"].sum()
    np.testing.assert_allclose(total.set_index("year")["value"], summed)
    assert res.compare(res, "eligible")["unit"].eq("person-items").all()


def test_target_rse_adds_replications_until_the_headlines_are_precise_enough():
    from simlib.experiments.run import PRECISION_MEASURES, worst_rse
    from simlib.reporting.tables import HEADLINES

    assert set(PRECISION_MEASURES) == set(HEADLINES)  # the report's headlines are controlled
    kw = {"sample": 0.05, "seed": 4, "end_year": 2026}
    # The target is set below what 2 replications reach (RSE ~ 1/sqrt(n): 0.6 x needs about
    # 6), so the test does not depend on how variable this version's model happens to be.
    target = 0.6 * worst_rse(run("xiaoyi", reps=2, **kw).reps)
    res = run("xiaoyi", reps=2, target_rse=target, **kw)
    assert res.n_reps > 2 and worst_rse(res.reps) <= target
    # replication r is the same whatever the count: the result is run(reps=n)
    assert res.table.equals(run("xiaoyi", reps=res.n_reps, **kw).table)
    with pytest.warns(UserWarning, match="max_reps=3"):
        capped = run("xiaoyi", reps=2, target_rse=0.001, max_reps=3, **kw)
    assert capped.n_reps == 3
    with pytest.raises(ParamError, match="target_rse"):
        run("xiaoyi", reps=2, target_rse=5, **kw)


def test_outcome_swings_are_each_parameters_own_effect():
    # One city, two outcome parameters, one year, small sample: the swing is read from runs
    # on the base run's population (same seed, shared path), so it is worked out by hand from
    # the base run's rows. Jincheng item 5 (senior education, every resident aged 60+):
    #   take-up 0.015 → 0.045: enrolled moves by (0.045 − 0.015) × eligible of item 5;
    #   unit cost 0 → 10 yuan per learner-hour: cost moves by 10 × 60 h × take-up × eligible.
    from simlib.experiments.swing import movers, outcome_swings

    keys = ["outcomes:take_up.senior_education", "outcomes:unit_cost.education_hours"]
    kw = {"sample": 0.005, "seed": 2}
    sw = outcome_swings("jincheng", (2025,), keys=keys, **kw).set_index(["key", "measure"])
    base = run("jincheng", end_year=2025, **kw).table
    base = base[base.year == 2025]
    total = base.groupby("measure").value.sum()
    eligible = base[(base.item_id == "jincheng.5") & (base.measure == "eligible")].value.sum()
    p = load_inputs("jincheng").outcomes
    t, c = "outcomes:take_up.senior_education", "outcomes:unit_cost.education_hours"
    assert sw.loc[(t, "enrolled"), "base"] == pytest.approx(total["enrolled"])
    assert sw.loc[(t, "enrolled"), "swing_pct"] == pytest.approx(
        100 * 0.03 * eligible / total["enrolled"]
    )
    assert sw.loc[(c, "cost_yuan"), "swing_pct"] == pytest.approx(
        100 * 10 * 60 * p.take_up["senior_education"] * eligible / total["cost_yuan"]
    )
    # neither reaches staff time or beds
    assert sw.loc[(t, "fte"), "swing_pct"] == sw.loc[(c, "beds:institution_bed"), "swing_pct"] == 0
    # both below 5 % now (enrolment: 0.03 of the 60+ over about 6.8 enrolments per resident
    # aged 60+, about 0.44 %; cost: 10 × 60 × 0.029 = 17.4 yuan per resident aged 60+ over
    # about 550 yuan, about 3 %), the cost's the larger
    assert movers(sw.reset_index()).empty
    assert list(movers(sw.reset_index(), threshold=0)["key"]) == [c, t]


def test_legal_aid_take_up_is_calibrated_to_older_legal_aid_recipients():
    # Ministry of Justice, Xinhua 2018-11-29: legal-aid institutions helped 585 000 older
    # people in the five years to November 2018; China's 60+ at end-2015: 22 000万 (NBS):
    #   585 000 / 5 / 220 000 000 = 0.000532 a year per resident aged 60+
    # Model eligible for legal aid per resident aged 60+, Datong and Puyang pooled (2025, the
    # script's run at sample 0.05): 0.732 (Puyang's item is every 60+; Datong's 经济困难 or 70+)
    #   0.000532 / 0.732 = 0.000727 → 0.00073
    import importlib.util
    from pathlib import Path

    from simlib.params.provenance import outcome_provenance

    script = Path(__file__).resolve().parents[1] / "scripts" / "calibrate_take_up.py"
    spec = importlib.util.spec_from_file_location("calibrate_take_up", script)
    calibrate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(calibrate)
    legal_aid_per_60plus = calibrate.legal_aid_per_60plus

    assert legal_aid_per_60plus() == pytest.approx(585_000 / 5 / 220_000_000)
    p = load_inputs("puyang").outcomes
    assert p.take_up["legal_aid"] == pytest.approx(0.000532 / 0.732, rel=0.01)
    # the litigation-fee waiver (every 60+ eligible) takes the rate per resident itself
    assert load_inputs("datong").outcomes.take_up["judicial_aid"] == pytest.approx(
        0.000532, rel=0.01
    )
    prov = outcome_provenance().set_index("key")["provenance"]
    assert prov["outcomes:take_up.legal_aid"] == "calibrated"
    assert prov["outcomes:take_up.judicial_aid"] == "national proxy"
    # one resident of Puyang aged 66 is enrolled in legal aid (item 28) at that share, and in
    # the free and half-price venues (item 22) at culture_recreation's, not the default's
    cols = _population([{"age": 66}])
    f = Ledger(load_inputs("puyang"), ["x"]).collect(cols, YEAR)
    assert _measure(f, "puyang.28", "enrolled") == pytest.approx(p.take_up["legal_aid"])
    assert _measure(f, "puyang.22", "enrolled") == pytest.approx(p.take_up["culture_recreation"])
    assert p.take_up["culture_recreation"] != p.take_up_default


def test_maintenance_visits_are_timed_and_priced_like_caring_visits():
    # outcomes.yaml: a half-monthly property-company visit is a scheduled home check, timed
    # like a 探访 visit (30 minutes, bounds 12-60); its cost is labour at 43.2 yuan/h over
    # 30 + 20 travel minutes = 43.2 × 50 / 60 = 36 yuan, the same as a caring visit's
    p = load_inputs("puyang").outcomes
    assert p.minutes["maintenance_visit"] == p.minutes["visit"] == 30
    assert p.unit_cost["maintenance_visit"] == pytest.approx(43.2 * 50 / 60, abs=0.5)
    # the visits reach the same households as the 探访 guideline: the same take-up
    assert p.take_up["home_maintenance"] == p.take_up["caring_visits"]


def test_a_flat_amount_is_its_value_where_given_and_sums_as_value_times_persons():
    from simlib.outcomes.ledger import _amount_total, cells_total
    from simlib.rules.benefits import Amount

    rng = np.random.default_rng(5)
    on = rng.random(500) < 0.4
    for value in (1200.0, 0.0, -3.5):  # a negative value (no list has one) takes np.where
        a = Amount.same(on, value, False)
        assert a.flat == (value, on)
        assert np.array_equal(a.values, np.where(on, value, 0.0))
        assert not np.signbit(a.values[~on]).any()  # +0.0 off the mask, as np.where gives
    # the total: the persons in the mask × the value; the eligible persons reused when the
    # mask is the eligibility (two counties of 500 cells, 3 persons per agent)
    persons = rng.integers(0, 40, (500, 2)).astype(np.float64) * 3.0
    total = cells_total(persons)
    elig = on | (rng.random(500) < 0.2)
    n_elig = total(mask=elig)

    class R:
        eligible = elig

    a = Amount.same(on, 1200.0, False)
    want = persons[on].sum(axis=0) * 1200.0  # whole persons: exact in any order
    assert np.array_equal(_amount_total(total, a, R, n_elig), want)
    b = Amount.same(elig, 1200.0, False)
    assert np.array_equal(_amount_total(total, b, R, n_elig), n_elig * 1200.0)

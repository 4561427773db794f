"""Programmes beside the lists (params/programmes/): the 2026 care voucher, long-term care
insurance, their stated order of payment, scenarios and identity.

Amounts are worked by hand from the programme files and the purchase model
(params/care_purchase.yaml):

* prices: home care 43 yuan/hour, day care 60 yuan/day;
* at home, a month: 中度 (adl 2) 13 h + 4 days, 重度 (adl 3) 22 h + 2 days;
* in an institution, a month: 中度 2,500, 重度 3,000 yuan;
* voucher (sources/documents/programme_voucher_2026.txt [R2]): 50 % at home, 40 % in an
  institution, at most 800 yuan a month, 2026-01-01 to 2026-12-31;
* LTCI at typical pilot rules (scenario ltci_jincheng_pilot): 70 % of the bill, at most
  1,500 yuan a month, 重度 or worse.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import simlib
from simlib.core.errors import ParamError
from simlib.params import load_city, load_inputs
from simlib.params.tree import default_params_dir
from simlib.rules.funding import PAYERS
from simlib.rules.items import ServiceList

VOUCHER = "programme.voucher_2026.1"


def _row(ex, item_id):
    return ex.set_index("item_id").loc[item_id]


def test_datong_75_moderate_at_home_gets_the_voucher_in_2026_not_2025():
    """The acceptance case of #27.

    Bill at home, 中度: 13 h × 43 yuan + 4 days × 60 yuan = 559 + 240 = 799 yuan a month.
    Voucher: 50 % × 799 = 399.5 yuan a month, under the 800 cap, so 399.5 × 12 = 4,794 yuan
    in 2026. In 2025 the programme is not in force (it starts on 2026-01-01).
    """
    person = {"age": 75, "adl_level": 2, "in_institution": False}
    ex26 = simlib.explain("datong", person, 2026)
    r = _row(ex26, VOUCHER)
    assert r.in_force and r.eligible
    assert r.care_voucher_yuan_per_year == pytest.approx(4794.0)
    assert "4,794 yuan/year care voucher" in str(ex26)
    assert "programme_voucher_2026.txt" in r.source and "news reports" in r.source
    ex25 = simlib.explain("datong", person, 2025)
    r25 = _row(ex25, VOUCHER)
    assert not r25.in_force and r25.care_voucher_yuan_per_year == 0
    assert VOUCHER not in set(ex25[ex25.in_force].item_id)


def test_voucher_cap_binds_in_an_institution_and_mild_disability_gets_nothing():
    """重度 in an institution: 40 % × 3,000 = 1,200 > 800, so 800 × 12 = 9,600 a year.
    轻度 (adl 1) is below 中度: not eligible."""
    ex = simlib.explain("datong", {"age": 75, "adl_level": 3, "in_institution": True}, 2026)
    assert _row(ex, VOUCHER).care_voucher_yuan_per_year == pytest.approx(9600.0)
    mild = simlib.explain("datong", {"age": 75, "adl_level": 1}, 2026)
    assert not _row(mild, VOUCHER).eligible
    young = simlib.explain("datong", {"age": 59, "adl_level": 3}, 2026)
    assert not _row(young, VOUCHER).eligible


def test_insurance_pays_first_and_the_voucher_a_share_of_what_is_left():
    """Jincheng, 重度 at home, 2026, under the LTCI pilot scenario.

    Bill: 22 × 43 + 2 × 60 = 1,066 a month. LTCI: min(1,500, 70 % × 1,066) = 746.2 a month
    = 8,954.4 a year. Voucher: 50 % × (1,066 − 746.2) = 159.9 a month = 1,918.8 a year
    (without insurance it would be 50 % × 1,066 × 12 = 6,396). Co-payment: 1,066 − 746.2 −
    159.9 = 159.9 a month. Nothing is paid twice: LTCI + voucher + co-payment = the bill.
    """
    person = {"age": 75, "adl_level": 3}
    ex = simlib.explain("jincheng", person, 2026, scenario="ltci_jincheng_pilot")
    assert _row(ex, "programme.ltci_jincheng.1").ltci_yuan_per_year == pytest.approx(8954.4)
    assert _row(ex, VOUCHER).care_voucher_yuan_per_year == pytest.approx(1918.8)
    assert _row(ex, VOUCHER).base_care_voucher_yuan_per_year == pytest.approx(6396.0)
    # the rule does not depend on the items' order: reversed, the same amounts
    services = load_inputs("jincheng", "ltci_jincheng_pilot").policy(2026).services
    table = {k: np.array([v]) for k, v in simlib.core.people.from_record(person).items()}
    rev = ServiceList(services.city, services.document, services.items[::-1])
    amounts = {}
    for lst in (services, rev):
        got = {r.item.id: r for r in lst.evaluate(dict(table), 2026)}
        ltci, voucher = got["programme.ltci_jincheng.1"], got[VOUCHER]
        amounts[id(lst)] = (ltci.parts[0][1].values[0], voucher.parts[0][1].values[0])
        extra = voucher.parts[0][1].extra
        paid = ltci.parts[0][1].values[0] + voucher.parts[0][1].values[0]
        copay = extra["payer_yuan:person"][0]
        assert paid + copay == pytest.approx(extra["care_bill_yuan"][0])
        assert copay == pytest.approx(159.9 * 12)
    assert amounts[id(services)] == amounts[id(rev)]


def test_no_double_payment_with_the_lists_state_paid_institutional_care():
    """特困 in 集中供养 live in a state-paid bed (the lists' placement): no voucher for it
    (flagged reading of the notice's exclusion, params/programmes/voucher_2026.yaml)."""
    p = {"age": 80, "adl_level": 3, "assistance": "tekun", "tekun_mode": "centralized"}
    ex = simlib.explain("changzhi", {**p, "in_institution": True}, 2026)
    assert not _row(ex, VOUCHER).eligible
    p["tekun_mode"] = "dispersed"  # 分散供养 at home: buys care, gets the voucher
    ex = simlib.explain("changzhi", p, 2026)
    assert _row(ex, VOUCHER).care_voucher_yuan_per_year == pytest.approx(6396.0)


def test_a_city_list_holds_its_own_items_then_the_programmes_and_the_catalogue_lists_them():
    city = load_city("puyang")
    own = city.services.own_items
    assert [it.programme for it in city.items[len(own) :]] == ["voucher_2026"]
    cat = simlib.catalogue()
    progs = cat[cat.programme.notna()]
    assert set(progs.city) == set(simlib.cities())
    assert set(progs.item_id) == {VOUCHER}
    assert (progs.care_voucher).all() and progs.source.str.contains("flagged").all()


def test_scenarios_change_the_programme_from_files():
    """Extended to 2030: in force in 2029 (the baseline: not). Pilot rules: 40 % of a 中度
    home bill of 799 = 319.6 a month (under the 500 home cap) = 3,835.2 a year."""
    person = {"age": 75, "adl_level": 2}
    ex = simlib.explain("datong", person, 2029, scenario="voucher_to_2030")
    r = _row(ex, VOUCHER)
    assert r.eligible and r.care_voucher_yuan_per_year == pytest.approx(4794.0)
    assert r.base_care_voucher_yuan_per_year == 0 and r.changed
    ex = simlib.explain("datong", person, 2026, scenario="voucher_pilot_rules")
    assert _row(ex, VOUCHER).care_voucher_yuan_per_year == pytest.approx(3835.2)
    nat = simlib.explain("puyang", {"age": 80, "adl_level": 4}, 2027, scenario="ltci_nationwide")
    # 完全失能 at home: 30 h × 43 = 1,290 a month; LTCI min(1,500, 0.7 × 1,290) = 903 → 10,836
    assert _row(nat, "programme.ltci_national.1").ltci_yuan_per_year == pytest.approx(10836.0)


def test_voucher_costs_appear_in_2026_only_and_the_scenario_runs(tmp_path):
    """A small run: the voucher's cost is positive in 2026 and absent in 2025 and 2027; the
    extension to 2030 pays in 2027 too; the bill of its users is at least what it pays."""
    kw = {"reps": 1, "sample": 0.01, "seed": 3, "end_year": 2027}
    base = simlib.run("xiaoyi", **kw).totals("care_voucher_yuan", by=("year",))
    by_year = dict(zip(base.year, base.value, strict=True))
    assert by_year[2026] > 0 and by_year.get(2025, 0) == 0 and by_year.get(2027, 0) == 0
    res = simlib.run("xiaoyi", "voucher_to_2030", **kw)
    ext = res.totals("care_voucher_yuan", by=("year",)).set_index("year").value
    assert ext[2027] > 0 and ext[2026] == pytest.approx(by_year[2026])
    # take-up of the programme's file (0.3, flagged): enrolled = 0.3 × eligible
    per_item = res.totals("enrolled", by=("year", "item_id")).set_index(["year", "item_id"])
    elig = res.totals("eligible", by=("year", "item_id")).set_index(["year", "item_id"])
    assert per_item.value[(2027, VOUCHER)] == pytest.approx(0.3 * elig.value[(2027, VOUCHER)])
    # who pays: the voucher's public cost split 90/5/5 (its funding:), the rest of its users'
    # bill is theirs (payer_yuan:person, outside cost_yuan)
    bill = res.totals("care_bill_yuan", by=("year",)).set_index("year").value

    def v_of(measure):
        t = res.totals(measure, by=("year", "item_id")).set_index(["year", "item_id"])
        return t.value[(2027, VOUCHER)]

    v = {
        m: v_of(m) for m in ("cost_yuan", *(f"payer_yuan:{q}" for q in PAYERS if q != "insurance"))
    }
    assert v["payer_yuan:person"] == pytest.approx(bill[2027] - ext[2027])
    assert v["payer_yuan:central"] == pytest.approx(0.9 * v["cost_yuan"])
    public = v["payer_yuan:central"] + v["payer_yuan:provincial"] + v["payer_yuan:city"]
    assert public == pytest.approx(v["cost_yuan"])


def test_editing_a_programme_file_changes_the_params_hash(tmp_path):
    params = tmp_path / "params"
    params.mkdir()
    (params / "overlay.yaml").write_text("overlay_of: bundled\n", encoding="utf-8")
    (params / "cities").mkdir()
    (params / "programmes").mkdir()
    src = default_params_dir() / "programmes" / "voucher_2026.yaml"
    shutil.copy(src, params / "programmes" / "voucher_2026.yaml")
    same = load_inputs("datong", params_dir=params)
    base = load_inputs("datong")
    text = src.read_text(encoding="utf-8").replace("cap_yuan: 800", "cap_yuan: 700")
    (params / "programmes" / "voucher_2026.yaml").write_text(text, encoding="utf-8")
    edited = load_inputs("datong", params_dir=params)
    assert edited.params_hash != same.params_hash
    assert edited.hash != base.hash
    ex = simlib.explain(
        load_city("datong", params_dir=params, year=2026),
        {"adl_level": 3, "age": 70, "in_institution": True},
        2026,
    )
    assert _row(ex, VOUCHER).care_voucher_yuan_per_year == pytest.approx(8400.0)  # 700 × 12


def test_a_bad_programme_file_names_the_file_and_key(tmp_path):
    params = tmp_path / "params"
    (params / "cities").mkdir(parents=True)
    (params / "programmes").mkdir()
    (params / "overlay.yaml").write_text("overlay_of: bundled\n", encoding="utf-8")
    src = default_params_dir() / "programmes" / "voucher_2026.yaml"
    bad = src.read_text(encoding="utf-8").replace("central: {value: 0.9", "centre: {value: 0.9")
    (params / "programmes" / "voucher_2026.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(ParamError, match=r"programmes/voucher_2026.yaml.*funding.*centre"):
        load_city("datong", params_dir=params)


@pytest.mark.parametrize("scenario", ["voucher_to_2030", "ltci_nationwide"])
def test_programme_scenarios_run_from_the_command_line(scenario, tmp_path, capsys):
    from simlib.cli import main

    argv = ["run", "--city", "xiaoyi", "--scenario", scenario, "--sample", "0.01"]
    argv += ["--end-year", "2027", "--out", str(tmp_path)]
    assert main(argv) == 0
    runs = list(tmp_path.rglob("manifest.json"))
    assert len(runs) == 1 and scenario in runs[0].read_text(encoding="utf-8")

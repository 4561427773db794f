"""Who pays (支出责任): funding blocks, city defaults, payer measures, scenarios.

Expected shares are read by hand from Puyang's list (sources/documents/puyang.txt, the
支出责任 column of the annex), not from the code under test.
"""

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simlib.core import people
from simlib.core.errors import ParamError
from simlib.experiments.run import run
from simlib.outcomes.ledger import Ledger
from simlib.params import load_inputs
from simlib.rules.funding import MEASURE, PAYERS, PUBLIC, parse_funding

YEAR = 2025
ROOT = Path(__file__).resolve().parents[1]


def _items(city, scenario="baseline"):
    """The list's own items (the programmes' items follow them, with their own funding)."""
    return {it.id: it for it in load_inputs(city, scenario).periods[-1].services.own_items}


def _population(rows):
    cols = people.from_frame(pd.DataFrame(rows))
    n = len(rows)
    cols["county"] = np.zeros(n, np.int16)
    cols["weight"] = np.ones(n, np.float32)
    cols["alive"] = np.ones(n, bool)
    cols["spouse"] = np.full(n, -1, np.int32)
    return cols


def _full_take_up(city, scenario="baseline"):
    inputs = load_inputs(city, scenario)
    p = inputs.outcomes
    p = dataclasses.replace(p, take_up_default=1.0, take_up={k: 1.0 for k in p.take_up})
    periods = tuple(dataclasses.replace(q, outcomes=p) for q in inputs.periods)
    return dataclasses.replace(inputs, periods=periods)


def _value(frame, item, measure):
    return frame[(frame.item_id == item) & (frame.measure == measure)].value.sum()


# Puyang's 支出责任 column, read by hand (payers named by the text; shares where it gives none
# are flagged assumptions, so only who pays and the sourced single-payer shares are exact).
PUYANG = {
    # 4 老年人能力综合评估: 市、县级政府负责。
    "puyang.4": ({"city": 1.0}, False),
    # 3 老年人健康管理: 中央财政、省财政与市、县级财政共同承担支出责任
    "puyang.3": ({"central", "provincial", "city"}, True),
    # 5 高龄津贴: 市、县级政府负责，省财政给予适当补助
    "puyang.5": ({"provincial", "city"}, True),
    # 9 特困分散供养: 市、县级政府负责，中央和省级适当补助
    "puyang.9": ({"central", "provincial", "city"}, True),
    # 12 长期护理保险: 长期护理保险基金
    "puyang.12": ({"insurance": 1.0}, False),
    # 14 特殊贡献集中供养: 中央和省、市、县级财政共同承担 (no shares: equal thirds, flagged)
    "puyang.14": ({"central", "provincial", "city"}, True),
    # 21 维修服务: 各县、区政府负责。
    "puyang.21": ({"city": 1.0}, False),
}


@pytest.mark.parametrize("item_id", sorted(PUYANG))
def test_puyang_payers_are_those_its_list_names(item_id):
    want, assumed = PUYANG[item_id]
    f = _items("puyang")[item_id].funding
    assert not f.default  # Puyang's own reading, not a default
    named = {s.payer for s in f.shares if s.value > 0}
    assert named == set(want)
    if isinstance(want, dict):
        assert f.as_dict() == {p: want.get(p, 0.0) for p in PAYERS}
    assert f.assumed == assumed
    assert sum(f.as_dict().values()) == pytest.approx(1.0, abs=1e-6)


def test_puyang_shared_item_without_shares_is_split_in_equal_thirds():
    f = _items("puyang")["puyang.14"].funding
    for p in ("central", "provincial", "city"):
        assert f.share(p) == pytest.approx(1 / 3, abs=1e-4)


def test_every_puyang_item_states_its_own_funding_from_its_column():
    items = _items("puyang")
    assert len(items) == 30
    for it in items.values():
        assert not it.funding.default, it.id
        phrase = it.funding.phrase
        assert phrase and phrase.rstrip("。") in it.spending_zh, it.id


def test_shanxi_items_take_flagged_defaults_by_family():
    items = _items("datong")
    assert all(it.funding.default and it.funding.assumed for it in items.values())
    # 高龄津贴 read as Puyang's item 5: province helps, city pays the rest
    assert _items("datong")["datong.8"].funding.share("provincial") > 0
    # an item of no family listed: the city alone
    assert items["datong.10"].funding.as_dict()["city"] == 1.0


def test_a_citys_default_cites_its_document_and_families_come_from_all():
    f = _items("jincheng")["jincheng.17"].funding  # 养老服务补贴: no family default
    assert f.default and f.as_dict()["city"] == 1.0
    assert f.source.startswith("sources/documents/jincheng.txt") and "财政预算" in f.phrase
    g = _items("jincheng")["jincheng.22"].funding  # 特困分散供养: the family default (all:)
    assert g.default and {s.payer for s in g.shares} == {"central", "provincial", "city"}


def test_payer_measures_hand_checked_and_public_payers_sum_to_cost():
    cols = _population([{"age": 85}, {"age": 92}])  # 高龄津贴 50 and 100 yuan a month
    f = Ledger(_full_take_up("puyang"), ["410902"]).collect(cols, YEAR)
    total = 12 * 50 + 12 * 100
    assert _value(f, "puyang.5", "cost_yuan") == total
    share = _items("puyang")["puyang.5"].funding
    assert _value(f, "puyang.5", MEASURE + "provincial") == pytest.approx(
        total * share.share("provincial")
    )
    assert _value(f, "puyang.5", MEASURE + "city") == pytest.approx(total * share.share("city"))
    assert _value(f, "puyang.5", MEASURE + "central") == 0  # not named: no row
    for item in set(f.item_id) - {""}:
        rows = f[f.item_id == item].set_index("measure").value
        if "cost_yuan" not in rows:
            continue  # pension items: reported apart, no cost and no payers
        public = sum(rows.get(MEASURE + p, 0.0) for p in PUBLIC)
        assert public == pytest.approx(rows["cost_yuan"], rel=1e-12, abs=1e-9), item


def test_single_payer_items_keep_their_cost_bit_for_bit():
    cols = _population([{"age": 85, "living": "alone"}, {"age": 70, "assistance": "dibao"}])
    f = Ledger(_full_take_up("puyang"), ["410902"]).collect(cols, YEAR)
    for item in ("puyang.4", "puyang.19"):
        assert _value(f, item, MEASURE + "city") == _value(f, item, "cost_yuan")


@pytest.fixture(scope="module")
def small_runs():
    return {c: run(c, sample=0.02, reps=2, end_year=2026, seed=3) for c in ("puyang", "datong")}


@pytest.mark.parametrize("city", ["puyang", "datong"])
def test_payers_sum_to_cost_in_aggregates(small_runs, city):
    res = small_runs[city]
    r = res.reps
    cost = r[r.measure == "cost_yuan"].groupby(["year", "rep"]).value.sum()
    public = r[r.measure.isin([MEASURE + p for p in PUBLIC])].groupby(["year", "rep"]).value.sum()
    pd.testing.assert_series_equal(public, cost, check_names=False, rtol=1e-12)
    t = res.by_payer()
    assert set(t.payer) <= set(PAYERS)
    # co-payments only from the 2026 care voucher (params/programmes/), none from the lists
    by_prog = res.by_payer(("year", "programme"))
    person = by_prog[by_prog.payer == "person"]
    assert set(person.programme) == {"voucher_2026"} and set(person.year) == {2026}
    per_year = t[t.payer != "person"].groupby("year").value.sum()
    want = res.totals("cost_yuan").set_index("year").value
    pd.testing.assert_series_equal(per_year, want, check_names=False, rtol=1e-12)
    assert {"lower", "upper", "se", "reps", "payer_zh", "payer_en", "share"} <= set(t.columns)
    assert (t.reps == 2).all()


def test_a_scenario_changes_an_items_funding(tmp_path):
    scen = tmp_path / "prov.yaml"
    scen.write_text(
        "description: the province pays half of the old-age allowance\n"
        "changes:\n"
        "  - item: puyang.5\n"
        '    set: {"funding.provincial.value": 0.5, "funding.city.value": 0.5}\n',
        encoding="utf-8",
    )
    f = _items("puyang", str(scen))["puyang.5"].funding
    assert f.share("provincial") == 0.5 and f.share("city") == 0.5
    cols = _population([{"age": 85}])
    base = Ledger(_full_take_up("puyang"), ["x"]).collect(cols, YEAR)
    alt = Ledger(_full_take_up("puyang", str(scen)), ["x"]).collect(cols, YEAR)
    assert _value(alt, "puyang.5", "cost_yuan") == _value(base, "puyang.5", "cost_yuan") == 600
    assert _value(alt, "puyang.5", MEASURE + "provincial") == 300


def test_a_scenario_giving_a_default_item_its_own_funding(tmp_path):
    scen = tmp_path / "central.yaml"
    scen.write_text(
        "description: the centre pays Datong's service subsidy\n"
        "changes:\n"
        "  - item: datong.10\n"
        "    set: {funding: {central: 1.0, assumption: true, range: [0, 1], "
        'rationale: "a test"}}\n',
        encoding="utf-8",
    )
    f = _items("datong", str(scen))["datong.10"].funding
    assert not f.default and f.as_dict()["central"] == 1.0


@pytest.mark.parametrize(
    "raw, words",
    [
        ({"cty": 1.0, "source": "s"}, ["unknown key 'cty'", "did you mean 'city'", "central"]),
        ({"city": 1.2, "source": "s"}, ["where.city", "1.2 outside [0, 1]"]),
        ({"city": 1.0}, ["where.city", "source"]),
        ({"city": 0.6, "central": 0.3, "source": "s"}, ["sum to 0.9", "must sum to 1"]),
        ({"city": {"value": 1.0, "assumption": True}}, ["where.city.range"]),
        ({"source": "s"}, ["no payer named"]),
        ([1.0], ["expected a mapping of payer: share"]),
    ],
)
def test_bad_funding_is_refused_with_the_key_and_what_is_allowed(raw, words):
    with pytest.raises(ParamError) as err:
        parse_funding(raw, "where")
    for w in words:
        assert w in str(err.value)


def test_bad_funding_in_a_scenario_names_the_scenario_and_item(tmp_path):
    scen = tmp_path / "bad.yaml"
    scen.write_text(
        "description: shares no longer sum to 1\n"
        "changes:\n"
        "  - item: puyang.5\n"
        '    set: {"funding.city.value": 0.9}\n',
        encoding="utf-8",
    )
    with pytest.raises(ParamError) as err:
        load_inputs("puyang", str(scen))
    msg = str(err.value)
    assert "puyang.5" in msg and "funding" in msg and "sum to 1.1" in msg


def test_bad_defaults_file_names_the_file_city_and_family(tmp_path):
    from simlib.params.funding import load_funding_defaults
    from simlib.params.tree import read_tree

    params = tmp_path / "params"
    shutil.copytree(ROOT / "params", params)
    (params / "funding.yaml").write_text(
        "description: bad\ncities:\n  datong:\n    default: {city: 1.0, source: s}\n"
        "    families: {old_age_alowance: {city: 1.0, source: s}}\n",
        encoding="utf-8",
    )
    tree = read_tree(params)
    with pytest.raises(ParamError) as err:
        load_funding_defaults(tree, "datong", {"old_age_allowance": ""})
    msg = str(err.value)
    assert "funding.yaml" in msg and "datong.families" in msg and "old_age_allowance" in msg


def test_the_cli_export_carries_the_payer_measures(tmp_path):
    from simlib.cli import main as cli

    args = ["run", "--city", "puyang", "--sample", "0.01", "--end-year", "2025"]
    assert cli([*args, "--out", str(tmp_path)]) == 0
    (folder,) = tmp_path.iterdir()
    rows = pd.read_csv(folder / "summary.csv")
    got = set(rows.measure[rows.measure.str.startswith(MEASURE)])
    assert {MEASURE + p for p in ("central", "provincial", "city")} <= got


def test_the_payer_table_reads_in_wan_with_the_flagged_share(small_runs):
    from simlib.reporting.plotting import measure_label
    from simlib.reporting.tables import by_payer

    t = by_payer({"濮阳": small_runs["puyang"], "大同": small_runs["datong"]}, [2026])
    raw = small_runs["puyang"].by_payer()
    want = raw[(raw.year == 2026) & (raw.payer == "city")].value.iloc[0] * 1e-4
    got = t[(t.city == "濮阳") & (t.payer == "city")].value.iloc[0]
    assert got == pytest.approx(want) and (t.unit == "万元").all()
    # every Shanxi item takes a flagged default; Puyang has sourced single-payer items too
    assert (t[t.city == "大同"].assumed_share == 1.0).all()
    assert 0 < t[t.city == "濮阳"].assumed_share.iloc[0] < 1
    assert measure_label(MEASURE + "central").startswith("中央财政")


def test_a_kind_may_add_a_co_payment_outside_the_public_cost():
    """A kind's own split (the voucher's hook): the person's part is not in cost_yuan."""
    from simlib.rules.benefits import kinds

    base = next(k for k in kinds() if k.key == "cash")

    @dataclasses.dataclass(frozen=True)
    class HalfBill(base):  # pays half a bill: the person pays the other half
        def payers(self, n, cost, prices, funding):
            out = funding.split(cost)
            out["person"] = out.get("person", 0.0) + cost
            return out

    inputs = _full_take_up("puyang")
    period = inputs.periods[-1]
    items = []
    for it in period.services.items:
        if it.id == "puyang.5":
            comps = tuple(
                HalfBill(**{f.name: getattr(c, f.name) for f in dataclasses.fields(c)})
                for c in it.benefit.components
            )
            it = dataclasses.replace(it, benefit=dataclasses.replace(it.benefit, components=comps))
        items.append(it)
    services = dataclasses.replace(period.services, items=items)
    periods = tuple(dataclasses.replace(p, services=services) for p in inputs.periods)
    inputs = dataclasses.replace(inputs, periods=periods)
    f = Ledger(inputs, ["x"]).collect(_population([{"age": 85}]), YEAR)
    assert _value(f, "puyang.5", "cost_yuan") == 600  # 50 yuan a month, public
    assert _value(f, "puyang.5", MEASURE + "person") == 600  # the other half of the bill
    public = sum(_value(f, "puyang.5", MEASURE + p) for p in PUBLIC)
    assert public == pytest.approx(600)

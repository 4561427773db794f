"""A run's results carry its own parameters, honest intervals, and cannot go stale (#9).

Every derived output — FTE, targets, per-resident ratios, department and spending totals,
paired comparisons — must read the parameters of the run it belongs to. Two kinds of test
check that: each parameter a scenario can override is changed and a derived output that
depends on it must move by the amount worked out by hand; and, after the runs, every
params reader is made to fail, so an output that reloaded the defaults would raise.
"""

import json
import shutil
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from simlib.cli import main as cli  # noqa: E402
from simlib.core.errors import ParamError  # noqa: E402
from simlib.experiments.result import INTERVAL, MIN_REPS  # noqa: E402
from simlib.experiments.run import run  # noqa: E402
from simlib.experiments.store import load_results, write_run  # noqa: E402
from simlib.outcomes.targets import evaluate_targets  # noqa: E402
from simlib.params.tree import default_params_dir  # noqa: E402

# fewer than 10 replications keep these tests quick; the warning is tested on its own
pytestmark = pytest.mark.filterwarnings("ignore:this (interval|difference) rests on:UserWarning")

KW = {"reps": 3, "sample": 0.02, "seed": 5, "end_year": 2025}
YEAR = 2025
POSTS = "puyang.welfare_posts_ratio"


def _run(city, scenario="baseline", **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # fewer than 10 reps: tested below
        return run(city, scenario, **{**KW, **kw})


def _quiet(f, *a, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return f(*a, **kw)


def _year(table, year=YEAR):
    return float(table.set_index("year").loc[year, "value"])


@pytest.fixture(scope="module")
def base():
    return _run("xiaoyi")


@pytest.fixture(scope="module")
def puyang():
    return _run("puyang")


# ---------------------------------------------------------- 1. the run's own parameters


def test_fte_is_minutes_over_the_runs_own_hours_per_post(base):
    hours = base.inputs.outcomes.fte_hours
    other = _run("xiaoyi", {"description": "x", "outcomes": {"fte_hours": 1500}})
    assert other.inputs.outcomes.fte_hours == 1500 != hours
    # same seed: the same minutes; FTE = minutes / 60 / hours, so the ratio is hours / 1500
    assert _year(other.totals("minutes")) == pytest.approx(_year(base.totals("minutes")))
    assert _year(_quiet(other.fte)) == pytest.approx(_year(_quiet(base.fte)) * hours / 1500)


def test_travel_and_unit_minutes_move_the_workload(base):
    travel = _run("xiaoyi", {"description": "x", "outcomes": {"travel_minutes": 40}})
    visits = base.reps[(base.reps.measure == "units:visit") & (base.reps.year == YEAR)]
    n_visits = visits.groupby("rep").value.sum().mean()
    assert n_visits > 0
    # a visit is delivered at home: 20 more travel minutes each (params/outcomes.yaml: 20 → 40)
    assert base.inputs.outcomes.travel_minutes == 20
    home = [u for u in base.inputs.outcomes.home_units if f"units:{u}" in set(base.reps.measure)]
    units = (
        sum(
            base.reps[(base.reps.measure == f"units:{u}") & (base.reps.year == YEAR)].value.sum()
            for u in home
        )
        / base.n_reps
    )
    got = _year(travel.totals("minutes")) - _year(base.totals("minutes"))
    assert got == pytest.approx(20 * units, rel=1e-9)

    longer = _run(
        "xiaoyi",
        {
            "description": "x",
            "changes": [{"outcomes": None, "set": {"minutes_per_unit.values.visit.value": 60}}],
        },
    )
    # 30 → 60 minutes a visit: 30 more minutes per visit delivered
    got = _year(longer.totals("minutes")) - _year(base.totals("minutes"))
    assert got == pytest.approx(30 * n_visits, rel=1e-9)


def test_unit_and_bed_costs_move_the_cost(base):
    visits = _year(base.totals("units:visit"))
    cheaper = _run(
        "xiaoyi",
        {
            "description": "x",
            "changes": [{"outcomes": None, "set": {"unit_cost_yuan.values.visit.value": 0}}],
        },
    )
    per_visit = base.inputs.outcomes.unit_cost["visit"]
    assert per_visit > 0 and cheaper.inputs.outcomes.unit_cost["visit"] == 0
    drop = _year(base.totals("cost_yuan")) - _year(cheaper.totals("cost_yuan"))
    assert drop == pytest.approx(per_visit * visits, rel=1e-9)

    beds = _year(base.totals("beds:institution_bed"))
    dearer = _run(
        "xiaoyi",
        {
            "description": "x",
            "changes": [
                {
                    "outcomes": None,
                    "set": {"bed_cost_yuan_per_year.values.institution_bed.value": 30000},
                }
            ],
        },
    )
    # 24 000 → 30 000 yuan per occupied institution bed a year (params/outcomes.yaml)
    rise = _year(dearer.totals("cost_yuan")) - _year(base.totals("cost_yuan"))
    assert beds > 0 and rise == pytest.approx(6000 * beds, rel=1e-9)


def test_targets_read_the_runs_take_up(puyang):
    # Puyang 二(一): one welfare post per 100 urban users of caring visits; the users are the
    # urban 75+ times the caring-visit take-up of *this* run (0.7 baseline, 0.9 here).
    higher = _run(
        "puyang", {"description": "x", "take_up": {"caring_visits": {"target": 0.9, "year": 2024}}}
    )
    users = {}
    for name, res in (("base", puyang), ("higher", higher)):
        t = res.table
        users[name] = t[(t.measure == "pop75_urban") & (t.year == YEAR)].value.sum()
    base_t = evaluate_targets(puyang).set_index("target_id").loc[POSTS, "target"]
    high_t = evaluate_targets(higher).set_index("target_id").loc[POSTS, "target"]
    assert base_t == pytest.approx(users["base"] * 0.7 / 100)
    assert high_t == pytest.approx(users["higher"] * 0.9 / 100)


def test_health_parameters_move_the_population_outputs(base):
    more = _run("xiaoyi", {"description": "x", "health": {"adl_onset_multiplier": 2.0}})
    # twice the ADL onset: more disabled people, so more care subsidy and higher mortality

    def care(r):
        return _year(r.totals("eligible", ("year", "family")).query("family == 'care_subsidy'"))

    assert care(more) > care(base)
    assert _year(more.totals("pop60")) < _year(base.totals("pop60"))
    ratio = lambda r: _year(_quiet(r.per_older_resident, "cost_yuan"))  # noqa: E731
    assert ratio(more) != pytest.approx(ratio(base))


def test_items_departments_and_transfers_follow_the_runs_list(base):
    first = base.items().item_id.iloc[0]
    fewer = _run("xiaoyi", {"description": "x", "changes": [{"remove_item": first}]})
    assert first in set(base.items().item_id) and first not in set(fewer.items().item_id)
    removed = _quiet(base.totals, "cost_yuan", ("year", "item_id"))
    removed = removed[(removed.item_id == first) & (removed.year == YEAR)].value.sum()
    total = lambda r: _quiet(r.by_department, YEAR).value.sum()  # noqa: E731
    assert total(base) - total(fewer) == pytest.approx(removed, rel=1e-9, abs=1e-6)

    moved = _run("xiaoyi", list_city="datong")
    own = moved.items()[moved.items().programme == "list"]  # programmes' items follow
    assert set(own.item_id.str.split(".").str[0]) == {"datong"}
    assert moved.meta["list_city"] == "datong" and moved.meta["city"] == "xiaoyi"


def test_no_derived_output_reads_the_params_again(base, puyang, monkeypatch):
    import simlib.params as params_pkg
    import simlib.params.inputs as inputs_mod
    import simlib.params.tree as tree_mod

    def refuse(*a, **kw):
        raise AssertionError("a derived output read the params files again")

    for mod, name in [
        (tree_mod, "read_bytes"),
        (tree_mod, "read_tree"),
        (inputs_mod, "load_inputs"),
        (params_pkg, "load_inputs"),
    ]:
        monkeypatch.setattr(mod, name, refuse)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for res in (base, puyang):
            res.fte()
            res.totals("cost_yuan", ("year", "county"))
            res.per_older_resident("cost_yuan", 80)
            res.by_department(YEAR)
            res.by_spending(YEAR)
            res.readable("cost_yuan")
            res.compare(res, "fte")
            evaluate_targets(res)


# ------------------------------------------------------------------ 2. honest intervals


def test_intervals_are_quantiles_of_replication_totals(base):
    per_rep = base.reps[(base.reps.measure == "cost_yuan") & (base.reps.year == YEAR)]
    sums = per_rep.groupby("rep").value.sum().to_numpy()  # sum first, then describe
    row = _quiet(base.totals, "cost_yuan").set_index("year").loc[YEAR]
    assert row["reps"] == KW["reps"] == len(sums)
    assert row["value"] == pytest.approx(sums.mean())
    assert row["lower"] == pytest.approx(np.quantile(sums, INTERVAL[0]))
    assert row["upper"] == pytest.approx(np.quantile(sums, INTERVAL[1]))
    assert row["se"] == pytest.approx(sums.std(ddof=1) / np.sqrt(len(sums)))
    assert row["unit"] == "yuan"
    # a department's interval is that of its per-replication total over its items, not a
    # sum of the items' own quantiles
    dept = _quiet(base.by_department, YEAR)
    assert dept.value.sum() == pytest.approx(sums.mean())
    top = dept.iloc[0]
    items = base.items().query("department_zh == @top.department_zh").item_id
    mine = per_rep[per_rep.item_id.isin(items)].groupby("rep").value.sum().to_numpy()
    assert top["lower"] == pytest.approx(np.quantile(mine, INTERVAL[0]))
    assert top["upper"] == pytest.approx(np.quantile(mine, INTERVAL[1]))


def test_too_few_replications_warn_once_and_one_has_no_interval():
    one = _run("xiaoyi", reps=1, end_year=2025)  # Xiaoyi's list is in force from 2025
    with pytest.warns(UserWarning, match="1 replication .no interval exists"):
        t = one.totals("cost_yuan")
    assert t[["lower", "upper", "se"]].isna().all().all()  # never a zero-width "interval"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the warning is given once per result
        one.totals("fte")
    assert MIN_REPS == 10


def test_paired_differences_have_their_own_interval(base):
    more = _run(
        "xiaoyi", {"description": "x", "take_up": {"caring_visits": {"target": 1.0, "year": 2024}}}
    )
    d = _quiet(more.compare, base, "cost_yuan").set_index("year").loc[YEAR]
    a = more.reps[(more.reps.measure == "cost_yuan") & (more.reps.year == YEAR)]
    b = base.reps[(base.reps.measure == "cost_yuan") & (base.reps.year == YEAR)]
    diffs = (a.groupby("rep").value.sum() - b.groupby("rep").value.sum()).to_numpy()
    assert d["value"] == pytest.approx(diffs.mean())
    assert d["lower"] == pytest.approx(np.quantile(diffs, INTERVAL[0]))
    assert d["se"] == pytest.approx(diffs.std(ddof=1) / np.sqrt(len(diffs)))
    assert d["value"] > 0 and d["distinguishable"]
    # common random numbers: the difference is far less uncertain than either total
    assert d["se"] < _quiet(base.totals, "cost_yuan").set_index("year").loc[YEAR, "se"]
    other_seed = _run("xiaoyi", seed=6)
    with pytest.raises(ParamError, match="differ in seed"):
        base.compare(other_seed)


def test_bands_are_drawn_in_their_lines_colour():
    from matplotlib.collections import PolyCollection
    from matplotlib.colors import to_rgb

    from simlib.reporting import plotting

    years = np.arange(2020, 2026)
    # rows in list order, not alphabetical: jincheng, datong, xiaoyi (a band per level)
    df = pd.concat(
        pd.DataFrame(
            {
                "year": years,
                "city": c,
                "value": 100.0 * k,
                "lower": 100.0 * k - 5,
                "upper": 100.0 * k + 5,
            }
        )
        for k, c in enumerate(["jincheng", "datong", "xiaoyi"], start=1)
    )
    fig = plotting.line_by_year(df, "value")
    ax = fig.axes[0]
    line_colour = {}
    for line in ax.get_lines():
        y = np.unique(np.asarray(line.get_ydata(), float))
        if len(y) == 1 and len(line.get_xdata()) == len(years):
            line_colour[float(y[0])] = to_rgb(line.get_color())
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]  # ours only
    assert len(bands) == 3 and len(line_colour) == 3
    for band in bands:
        ys = band.get_paths()[0].vertices[:, 1]
        level = float(np.round((ys.min() + ys.max()) / 2))
        assert to_rgb(band.get_facecolor()[0][:3]) == pytest.approx(line_colour[level])
    matplotlib.pyplot.close(fig)


# ------------------------------------------------------- 3. results cannot be stale or lost


def test_a_saved_run_reads_back_whole_and_is_never_overwritten_silently(base, tmp_path):
    folder = write_run(base, tmp_path)
    back = load_results(folder)
    pd.testing.assert_frame_equal(back.table, base.table)
    assert back.meta["params_sha256"] == base.meta["params_sha256"] == base.inputs.params_hash
    assert back.inputs is not None and back.inputs.params_hash == base.inputs.params_hash
    assert _year(_quiet(back.fte)) == pytest.approx(_year(_quiet(base.fte)))
    with pytest.raises(ParamError, match="exists .*--overwrite"):
        write_run(base, tmp_path)
    assert write_run(base, tmp_path, overwrite=True) == folder
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries left


def test_a_run_read_back_after_its_params_changed_keeps_no_stale_inputs(tmp_path):
    params = tmp_path / "params"
    shutil.copytree(default_params_dir(), params, ignore=shutil.ignore_patterns("sources"))
    res = _run("xiaoyi", params_dir=params, reps=1, end_year=2021)
    folder = write_run(res, tmp_path / "out")
    text = (params / "outcomes.yaml").read_text(encoding="utf-8")
    (params / "outcomes.yaml").write_text(
        text.replace("value: 20\n", "value: 25\n", 1), encoding="utf-8"
    )
    with pytest.warns(UserWarning, match="params changed since this run"):
        back = load_results(folder)
    assert back.inputs is None  # its rows are read as stored; no default takes their place
    with pytest.raises(ParamError, match="no inputs"):
        back.items()


def test_cli_refuses_an_existing_run_before_computing_it(tmp_path, capsys, monkeypatch):
    args = [
        "run",
        "--city",
        "xiaoyi",
        "--sample",
        "0.01",
        "--end-year",
        "2021",
        "--out",
        str(tmp_path),
    ]
    assert cli(args) == 0
    (folder,) = tmp_path.iterdir()
    before = (folder / "manifest.json").read_bytes()

    import simlib.experiments.run as run_mod

    def never(*a, **kw):
        raise AssertionError("the run was computed before the refusal")

    monkeypatch.setattr(run_mod, "run", never)
    assert cli(args) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (folder / "manifest.json").read_bytes() == before
    monkeypatch.undo()
    assert cli([*args, "--seed", "1", "--overwrite"]) == 0
    assert json.loads((folder / "manifest.json").read_text())["sample"] == 0.01


def test_the_cli_prepares_a_run_once_and_writes_what_run_gives(tmp_path, monkeypatch):
    import simlib.experiments.run as run_mod

    calls = []
    real = run_mod.prepare
    monkeypatch.setattr(run_mod, "prepare", lambda spec: calls.append(spec) or real(spec))
    written = []
    real_write = write_run
    monkeypatch.setattr(
        "simlib.experiments.store.write_run",
        lambda result, *a, **kw: written.append(result) or real_write(result, *a, **kw),
    )
    args = ["run", "--city", "xiaoyi", "--sample", "0.01", "--end-year", "2021", "--reps", "2"]
    assert cli([*args, "--scenario", "harmonised", "--out", str(tmp_path)]) == 0
    assert len(calls) == 1  # checked and prepared once, before the output folder
    monkeypatch.undo()
    direct = run("xiaoyi", "harmonised", reps=2, sample=0.01, end_year=2021)
    assert written[0].reps.equals(direct.reps)


def test_run_refuses_settings_that_are_not_the_prepared_runs():
    from simlib.experiments.run import prepared

    prep = prepared("xiaoyi", sample=0.01, end_year=2021)
    with pytest.raises(ParamError, match="sample=0.02 differs"):
        run("xiaoyi", sample=0.02, end_year=2021, prepared=prep)
    with pytest.raises(ParamError, match="expected what prepared"):
        run("xiaoyi", prepared={"sample": 0.01})
    same = run("xiaoyi", sample=0.01, end_year=2021, prepared=prep)  # its own: accepted
    assert same.meta["end_year"] == 2021


def test_a_years_rows_do_not_depend_on_the_years_simulated_after_it():
    # notebook 02 reads 2025 from the projection's runs to 2035 instead of running to 2025
    short = _run("xiaoyi", reps=2, end_year=2025).reps
    long_ = _run("xiaoyi", reps=2, end_year=2030).reps
    cols = [c for c in short.columns if c not in ("end_year", "run_id")]
    a = short[cols].sort_values(cols, ignore_index=True)
    b = long_.loc[long_["year"] <= 2025, cols].sort_values(cols, ignore_index=True)
    assert len(a) and a.equals(b)

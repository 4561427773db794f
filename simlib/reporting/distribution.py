"""Who gains, for readers: a formatted table and a figure of gainers, losers and gains by group.

The numbers come from :func:`simlib.experiments.gains.who_gains`; here they are only
formatted (thousands separators, 万元, percentages, no scientific notation) and drawn.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


def _int(x: float) -> str:
    return "" if pd.isna(x) else f"{x:,.0f}"


def _num(x: float, digits: int = 1) -> str:
    return "" if pd.isna(x) else f"{x:,.{digits}f}"


def _interval(lo: float, hi: float, digits: int = 1) -> str:
    if pd.isna(lo) or pd.isna(hi):
        return "—"
    return f"{lo:,.{digits}f} – {hi:,.{digits}f}"


def gains_table(gains, year: int, by: str | None = None, zh: bool = False) -> pd.DataFrame:
    """:meth:`Gains.table` formatted for a reader (text cells: separators, 万元, %).

    Args:
        gains: A :class:`simlib.experiments.gains.Gains`.
        year: Calendar year.
        by: The grouping (the first of the run's by default).
        zh: Chinese group labels and headers.

    Returns:
        One row per group and a row for everyone: persons, gainers, losers (persons),
        gainers %, losers %, the average gain (yuan per person per year) with its 95 %
        interval, the total gain (万元 a year) with its interval, and replications.
    """
    t = gains.table(year, by, zh=zh)
    g = t.columns[0]
    out = pd.DataFrame({g: t[g]})
    head = (
        ("人数", "受益人数", "受损人数", "受益比例 %", "受损比例 %", "人均增益 元/年", "95% 区间",
         "总增益 万元/年", "95% 区间 ", "重复次数")
        if zh
        else ("persons", "gainers", "losers", "gainers %", "losers %", "gain per person (yuan/yr)",
              "95 % interval", "total gain (万元/yr)", "95 % interval ", "reps")
    )  # fmt: skip
    out[head[0]] = t["persons"].map(_int)
    out[head[1]] = t["gainers"].map(_int)
    out[head[2]] = t["losers"].map(_int)
    out[head[3]] = t["gainers %"].map(_num)
    out[head[4]] = t["losers %"].map(_num)
    out[head[5]] = t["gain per person (yuan/yr)"].map(_num)
    out[head[6]] = [_interval(a, b) for a, b in zip(t["lower"], t["upper"], strict=True)]
    out[head[7]] = t["total gain (万元/yr)"].map(lambda x: _num(x, 1))
    out[head[8]] = [
        _interval(a, b) for a, b in zip(t["total lower"], t["total upper"], strict=True)
    ]
    out[head[9]] = t["reps"].map(_int)
    return out


def gains_figure(gains, year: int, by: str | None = None, title: str = ""):
    """Who gains in ``year``: gainers and losers (share of each group), and the average gain.

    Left: the share of each group's persons who gain (above the axis) and lose (below), in
    %. Right: the average gain per person (yuan a year) with its 95 % interval over
    replications. Groups are in their own order (age groups by age); the footnote states
    what the numbers rest on.

    Args:
        gains: A :class:`simlib.experiments.gains.Gains`.
        year: Calendar year.
        by: The grouping (the first of the run's by default).
        title: Figure title (a default names the reform, baseline and year).

    Returns:
        The figure.
    """
    from simlib.reporting.plotting import _note, style

    t = gains.table(year, by, zh=True)
    g = t.columns[0]
    t = t[t[g] != "合计"]
    y = np.arange(len(t))
    with style():
        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 0.45 * len(t) + 1.8), sharey=True)
        left.barh(y, t["gainers %"], color="#2a7ab0", label="受益 gainers")
        left.barh(y, -t["losers %"], color="#c0504d", label="受损 losers")
        left.axvline(0, color="0.3", lw=0.8)
        left.set_xlabel("占本组人数 % of the group")
        left.set_yticks(y, t[g])
        left.set_ylabel(g)
        left.invert_yaxis()
        left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False)
        v = t["gain per person (yuan/yr)"]
        err = np.vstack([(v - t["lower"]).fillna(0), (t["upper"] - v).fillna(0)])
        right.barh(y, v, xerr=err, color="#7f7f7f", error_kw={"elinewidth": 1, "capsize": 2})
        right.axvline(0, color="0.3", lw=0.8)
        right.set_xlabel("人均增益 元/年 (yuan per person per year, 95 % interval)")
        right.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: f"{x:,.0f}"))
        m = gains.meta
        fig.suptitle(title or f"谁受益 who gains: {m.get('reform')} vs {m.get('baseline')}, {year}")
        fig.tight_layout(rect=(0, 0.04, 1, 1))
        _note(fig, gains.label)
    return fig

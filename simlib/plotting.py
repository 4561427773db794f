"""Readable seaborn figures for the notebooks. Each function returns the matplotlib Figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from simlib.params import CITIES


def _style() -> None:
    sns.set_theme(style="whitegrid", context="notebook")


def matrix_heatmap(
    wide: pd.DataFrame,
    label: str,
    xlabel: str = "",
    ylabel: str = "",
    title: str = "",
    fmt: str = ",.0f",
):
    """Annotated heatmap of a wide table (rows × columns).

    Args:
        wide: The table.
        label: Colour-bar label (with unit).
        xlabel: x-axis label.
        ylabel: y-axis label.
        title: Figure title.
        fmt: Number format of the annotations.

    Returns:
        The figure.
    """
    _style()
    fig, ax = plt.subplots(figsize=(1.3 * wide.shape[1] + 3, 0.6 * len(wide) + 1.5))
    sns.heatmap(wide, annot=True, fmt=fmt, cmap="YlGnBu", cbar_kws={"label": label}, ax=ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def standards_heatmap(table: pd.DataFrame, families: tuple[str, ...] | None = None):
    """Heatmap of annual cash (yuan) per reference person (rows) and city (columns).

    Args:
        table: Output of :func:`simlib.comparison.standards`.
        families: Restrict to these item families (all cash by default).

    Returns:
        The figure.
    """
    t = table if families is None else table[table["family"].isin(families)]
    wide = t.pivot_table(
        index="person", columns="city", values="yuan_per_year", aggfunc="sum", sort=False
    )[list(CITIES)]
    title = "Annual cash from the service list" + (f" ({', '.join(families)})" if families else "")
    return matrix_heatmap(wide, "yuan per year", title=title)


def family_bars(table: pd.DataFrame, family: str):
    """Grouped bars: one item family's annual cash per reference person, by city.

    Args:
        table: Output of :func:`simlib.comparison.standards`.
        family: Item family (e.g. ``"old_age_allowance"``).

    Returns:
        The figure.
    """
    _style()
    t = table[table["family"] == family]
    t = t[t.groupby("person")["yuan_per_year"].transform("sum") > 0]
    fig, ax = plt.subplots(figsize=(9, 4))
    sns.barplot(t, x="person", y="yuan_per_year", hue="city", hue_order=list(CITIES), ax=ax)
    ax.set_xlabel("")
    ax.set_ylabel("yuan per year")
    ax.set_title(f"{family.replace('_', ' ').capitalize()} by city")
    ax.tick_params(axis="x", rotation=15)
    fig.tight_layout()
    return fig


def line_by_year(df: pd.DataFrame, y: str, hue: str = "city", title: str = "", ylabel: str = ""):
    """Line plot of a yearly series (with a 95 % band when ``lower``/``upper`` are present).

    Args:
        df: Tidy table with ``year``, ``y`` and ``hue`` columns.
        y: Value column.
        hue: Column that separates lines.
        title: Figure title.
        ylabel: Axis label (with unit).

    Returns:
        The figure.
    """
    _style()
    fig, ax = plt.subplots(figsize=(8, 4))
    sns.lineplot(df, x="year", y=y, hue=hue, marker="o", ax=ax)
    if {"lower", "upper"} <= set(df.columns):
        for _, g in df.groupby(hue):
            ax.fill_between(g["year"], g["lower"], g["upper"], alpha=0.15)
    ax.set_title(title)
    ax.set_ylabel(ylabel or y)
    fig.tight_layout()
    return fig


def morris_bars(ranking: pd.DataFrame, top: int = 12, unit: str = ""):
    """Horizontal bars of Morris μ* (with its confidence) for the top assumptions.

    Args:
        ranking: Output of :func:`simlib.sensitivity.morris`.
        top: Number of assumptions shown.
        unit: Unit of the output, for the axis label.

    Returns:
        The figure.
    """
    _style()
    t = ranking.head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(t) + 1.5))
    ax.barh(t["key"], t["mu_star"], xerr=t["mu_star_conf"], color=sns.color_palette()[0])
    ax.set_xlabel(f"μ* (mean |elementary effect|){', ' + unit if unit else ''}")
    ax.set_title("Which assumptions drive the result (Morris screening)")
    fig.tight_layout()
    return fig

"""Readable seaborn figures. Each function returns the matplotlib Figure.

Chinese labels render: the first installed CJK font (Noto Sans CJK, Source Han Sans, WenQuanYi,
SimHei, …, or the Noto Sans CJK SC that the ``mplfonts`` package ships) is used for every
figure; when none is installed, a one-time warning says how to get one. Styling is applied
inside a context (:func:`style`), so a user's own matplotlib and seaborn settings — a CJK font
they chose, a theme — are never reset.

What a reader sees is the same on every page: each city keeps its colour (:func:`palette`),
legends sit outside the data, money is in 万元 on axes as in tables, axes carry thousands
separators (never "×1e7"), and titles name measures in words (:func:`measure_label`), never
as keys such as ``cost_yuan`` or ``beds:institution_bed``.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib import font_manager
from matplotlib import ticker as mticker

from simlib.core.paths import shown_in

#: CJK fonts tried in order (the first installed one is used).
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "Arial Unicode MS",
)
FIX = (
    "install one: pip install mplfonts (ships Noto Sans CJK SC), conda install -c "
    "conda-forge mplfonts, or apt install fonts-noto-cjk"
)


@functools.cache
def cjk_font() -> str | None:
    """Name of an installed font with Chinese glyphs (None, with a warning, if there is none)."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is not None and spec.origin:
        for f in sorted((Path(spec.origin).parent / "fonts").glob("NotoSansCJK*-Regular.otf")):
            with contextlib.suppress(OSError, RuntimeError):
                font_manager.fontManager.addfont(str(f))
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            return name
    warnings.warn(
        f"no CJK font found: Chinese labels will show as boxes; {FIX}", UserWarning, stacklevel=2
    )
    return None


@contextlib.contextmanager
def style():
    """Simlib's figure style, inside a context: whitegrid, notebook scale, a CJK font first."""
    font = cjk_font()
    rc = {"axes.unicode_minus": False}
    if font:
        rc["font.family"] = [font, "DejaVu Sans"]
    with (
        sns.axes_style("whitegrid"),
        sns.plotting_context("notebook"),
        plt.rc_context(rc),
        warnings.catch_warnings(),
    ):
        if font is None:  # cjk_font() said it once; not again for every glyph of every label
            warnings.filterwarnings("ignore", r"Glyph \d+ .* missing from font", UserWarning)
        yield


#: The colours lines and bars take, cities first in the order of ``params/cities/``.
COLOURS = "colorblind"
#: Readable names of the measures plotted most (others are worded by :func:`measure_label`).
MEASURE_LABELS = {
    "cost_yuan": "清单支出 service-list cost",
    "cash_yuan": "现金支出 recurring cash",
    "once_yuan": "一次性支出 one-off cash",
    "service_yuan": "服务支出 in-kind services",
    "bed_yuan": "床位支出 beds",
    "enrolled": "享受服务人次 enrolments (person-items)",
    "eligible": "符合条件人次 eligible (person-items)",
    "fte": "服务人员 staff FTE (in-kind services)",
    "minutes": "服务时间 staff minutes",
    "pop60": "60岁及以上人口 persons 60+",
    "pop65": "65岁及以上人口 persons 65+",
    "pop80": "80岁及以上人口 persons 80+",
    "covered60": "享有现金或床位的60+人口 60+ eligible for cash or a bed",
}


def measure_label(measure: str) -> str:
    """A measure in words for titles, axes (``beds:institution_bed``: "beds: institution bed")."""
    if measure in MEASURE_LABELS:
        return MEASURE_LABELS[measure]
    family, _, kind = measure.partition(":")
    if family == "payer_yuan":
        from simlib.rules.funding import PAYER_NAMES

        if kind in PAYER_NAMES:
            zh, en = PAYER_NAMES[kind]
            return f"{zh}支出 cost borne by the {en}"
    if kind:
        return f"{family}: {kind.replace('_', ' ')}"
    return measure.replace("_", " ")


@functools.cache
def _city_names() -> tuple[tuple[str, ...], ...]:
    """Every city's key, English and Chinese names (without 市), in the params' order."""
    from simlib.params import cities, load_city

    out = []
    for key in cities():
        ctx = load_city(key).context
        out.append((key, ctx.name_en, ctx.name_zh, ctx.name_zh.removesuffix("市")))
    return tuple(out)


def city_of(label: str) -> int | None:
    """The position of the city a label names (key, English or Chinese name), if any."""
    text = str(label).lower()
    for i, names in enumerate(_city_names()):
        if any(n and n.lower() in text for n in names):
            return i
    return None


def palette(labels) -> dict:
    """A colour per label: a city's label always takes that city's colour, on every page.

    Args:
        labels: The labels of the lines or bars (city keys, "大同 Datong", "Datong · baseline" …).

    Returns:
        ``{label: colour}``; labels that name no city take the colours after the cities'.
    """
    labels = list(dict.fromkeys(labels))
    n_cities = len(_city_names())
    colours = sns.color_palette(COLOURS, n_colors=max(10, n_cities + len(labels)))
    out, spare = {}, n_cities
    for label in labels:
        i = city_of(label)
        if i is None:
            i, spare = spare, spare + 1
        out[label] = colours[i % len(colours)]
    return out


def _readable_axis(ax, values) -> None:
    """Thousands separators on the y axis (no "×1e7" offset) when the numbers are large."""
    finite = pd.to_numeric(pd.Series(values), errors="coerce").abs().dropna()
    if len(finite) and finite.max() >= 1000:
        ax.yaxis.set_major_formatter(mticker.StrMethodFormatter("{x:,.0f}"))


def _legend_outside(ax) -> None:
    """The legend to the right of the axes, where it covers no data."""
    if ax.get_legend() is not None:
        sns.move_legend(ax, "upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


def in_wan(df: pd.DataFrame, unit_col: str = "unit") -> pd.DataFrame:
    """Money in 万元 (10 000 yuan), as tables show it: rows whose unit is ``yuan`` converted."""
    if unit_col not in df.columns:
        return df
    out = df.copy()
    money = out[unit_col].eq("yuan")
    for c in ("value", "lower", "upper", "se"):
        if c in out.columns:
            out[c] = out[c].astype(float)
            out.loc[money, c] = out.loc[money, c] * 1e-4
    out.loc[money, unit_col] = "万元"
    return out


def _note(fig, note: str) -> None:
    if note:
        fig.text(0.01, 0.005, note, fontsize=7, color="0.35", ha="left", va="bottom")


def matrix_heatmap(
    wide: pd.DataFrame,
    label: str,
    xlabel: str = "",
    ylabel: str = "",
    title: str = "",
    fmt: str = ",.0f",
    note: str = "",
):
    """Annotated heatmap of a wide table (rows × columns).

    Args:
        wide: The table.
        label: Colour-bar label (with unit).
        xlabel: x-axis label.
        ylabel: y-axis label.
        title: Figure title.
        fmt: Number format of the annotations.
        note: A footnote (what the numbers rest on).

    Returns:
        The figure.
    """
    with style():
        fig, ax = plt.subplots(figsize=(1.3 * wide.shape[1] + 3, 0.6 * len(wide) + 1.5))
        sns.heatmap(wide, annot=True, fmt=fmt, cmap="YlGnBu", cbar_kws={"label": label}, ax=ax)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        fig.tight_layout()
        _note(fig, note)
    return fig


def standards_heatmap(table: pd.DataFrame, families: tuple[str, ...] | None = None):
    """Heatmap of annual cash (yuan) per reference person (rows) and city (columns).

    Args:
        table: Output of :func:`simlib.reporting.tables.standards`.
        families: Restrict to these item families (all cash by default).

    Returns:
        The figure.
    """
    t = table if families is None else table[table["family"].isin(families)]
    wide = t.pivot_table(
        index="person_zh", columns="city", values="yuan_per_year", aggfunc="sum", sort=False
    )
    title = "各城市清单每年发放现金 Annual cash from the service list" + (
        f" ({', '.join(families)})" if families else ""
    )
    return matrix_heatmap(wide, "元/年 yuan per year", title=title)


def family_bars(table: pd.DataFrame, family: str):
    """Grouped bars: one item family's annual cash per reference person, by city.

    Args:
        table: Output of :func:`simlib.reporting.tables.standards`.
        family: Item family (e.g. ``"old_age_allowance"``).

    Returns:
        The figure.
    """
    t = table[table["family"] == family]
    t = t[t.groupby("person")["yuan_per_year"].transform("sum") > 0]
    with style():
        fig, ax = plt.subplots(figsize=(9, 4))
        sns.barplot(
            t, x="person_zh", y="yuan_per_year", hue="city", palette=palette(t["city"]), ax=ax
        )
        _legend_outside(ax)
        ax.set_xlabel("")
        ax.set_ylabel("元/年 yuan per year")
        ax.set_title(f"{family.replace('_', ' ').capitalize()} by city")
        ax.tick_params(axis="x", rotation=15)
        fig.tight_layout()
    return fig


def line_by_year(
    df: pd.DataFrame,
    y: str,
    hue: str = "city",
    title: str = "",
    ylabel: str = "",
    note: str = "",
):
    """Line plot of a yearly series, each line with its 95 % band in the line's own colour.

    Args:
        df: Tidy table with ``year``, ``y`` and ``hue`` columns (and ``lower``/``upper``).
        y: Value column.
        hue: Column that separates lines.
        title: Figure title.
        ylabel: Axis label (with unit).
        note: A footnote (sample, replications, seed).

    Returns:
        The figure.
    """
    order = list(dict.fromkeys(df[hue]))
    colours = palette(order)
    with style():
        fig, ax = plt.subplots(figsize=(8, 4.2))
        sns.lineplot(
            df,
            x="year",
            y=y,
            hue=hue,
            hue_order=order,
            palette=colours,
            marker="o",
            errorbar=None,  # the bands are the run's intervals, drawn below
            ax=ax,
        )
        if {"lower", "upper"} <= set(df.columns):
            for key in order:
                g = df[df[hue] == key].dropna(subset=["lower", "upper"])
                if len(g):
                    ax.fill_between(
                        g["year"],
                        g["lower"],
                        g["upper"],
                        alpha=0.15,
                        color=colours[key],
                        label="_band",
                    )
        ax.set_title(title)
        ax.set_ylabel(ylabel or y)
        ax.set_xlabel("year 年份")
        ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True))
        _readable_axis(ax, df[y])
        _legend_outside(ax)
        fig.tight_layout()
        _note(fig, note)
    return fig


def plot(result, measure: str = "cost_yuan", title: str = "", ylabel: str = ""):
    """A run's yearly total of a measure with its 95 % band, labelled with what it rests on.

    Money is drawn in 万元, as tables show it; the title names the measure in words.

    Args:
        result: A :class:`~simlib.experiments.result.Result`.
        measure: The measure (``cost_yuan``, ``fte``, ``enrolled`` …).
        title: Figure title (the measure in words by default).
        ylabel: Axis label (the measure's unit by default).

    Returns:
        The figure.
    """
    t = in_wan(result.totals(measure))
    t["city"] = result.meta.get("city", "")
    unit = t["unit"].iloc[0] if len(t) else ""
    return line_by_year(
        t, "value", title=title or measure_label(measure), ylabel=ylabel or unit, note=result.label
    )


def compare(result, baseline, measure: str = "cost_yuan", title: str = ""):
    """The paired difference ``result − baseline`` of a measure by year, with its 95 % band.

    Args:
        result: The scenario run.
        baseline: The reference run (same city, seed, sample, replications).
        measure: The measure.
        title: Figure title.

    Returns:
        The figure.
    """
    d = in_wan(result.compare(baseline, measure))
    unit = d["unit"].iloc[0] if len(d) else ""
    label = title or (
        f"{shown_in(str(result.meta.get('scenario')))} − "
        f"{shown_in(str(baseline.meta.get('scenario')))}: {measure_label(measure)}"
    )
    return difference_by_year(d, title=label, ylabel=f"difference, {unit}", note=result.label)


def difference_by_year(df: pd.DataFrame, title: str = "", ylabel: str = "", note: str = ""):
    """A paired difference by year (:meth:`simlib.Result.compare`) with its 95 % band.

    Args:
        df: Output of ``compare`` grouped by year.
        title: Figure title.
        ylabel: Axis label (with unit).
        note: A footnote.

    Returns:
        The figure.
    """
    with style():
        fig, ax = plt.subplots(figsize=(8, 4))
        colour = sns.color_palette()[0]
        ax.plot(df["year"], df["value"], marker="o", color=colour)
        if df["lower"].notna().any():
            ax.fill_between(df["year"], df["lower"], df["upper"], alpha=0.2, color=colour)
        ax.axhline(0, color="0.4", lw=0.8)
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        ax.set_xlabel("year 年份")
        ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True))
        _readable_axis(ax, df["value"])
        fig.tight_layout()
        _note(fig, note)
    return fig


def morris_bars(
    ranking: pd.DataFrame, top: int = 12, unit: str = "", title: str = "", note: str = ""
):
    """Horizontal bars of Morris μ* (with its confidence) for the top assumptions.

    Args:
        ranking: Output of :func:`simlib.experiments.sensitivity.morris`.
        top: Number of assumptions shown.
        unit: Unit of the output, for the axis label.
        title: Figure title.
        note: A footnote (what the numbers rest on).

    Returns:
        The figure (one row per assumption, even where two share a label).
    """
    t = ranking.head(top).iloc[::-1]
    with style():
        fig, ax = plt.subplots(figsize=(9, 0.38 * len(t) + 1.5))
        pos = list(range(len(t)))
        ax.barh(pos, t["mu_star"], xerr=t["mu_star_conf"], color=sns.color_palette()[0])
        ax.set_yticks(pos, t["label"])
        ax.set_xlabel(f"μ* (mean |elementary effect|){', ' + unit if unit else ''}")
        ax.set_title(title or "Which assumptions drive the result (Morris screening)")
        fig.tight_layout()
        _note(fig, note)
    return fig


def sobol_bars(indices: pd.DataFrame, top: int = 10, title: str = "", note: str = ""):
    """First-order and total Sobol indices with their 95 % confidence, top assumptions.

    Args:
        indices: Output of :func:`simlib.experiments.uncertainty.sobol_indices`.
        top: Number of assumptions shown.
        title: Figure title.
        note: A footnote (what the numbers rest on).

    Returns:
        The figure.
    """
    t = indices.head(top).iloc[::-1]
    with style():
        fig, ax = plt.subplots(figsize=(9, 0.45 * len(t) + 1.5))
        pos = range(len(t))
        ax.barh([p + 0.2 for p in pos], t["ST"], height=0.4, xerr=t["ST_conf"], label="total ST")
        ax.barh([p - 0.2 for p in pos], t["S1"], height=0.4, xerr=t["S1_conf"], label="first S1")
        ax.set_yticks(list(pos), t["label"])
        ax.set_xlabel("share of output variance")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        if title:
            ax.set_title(title)
        fig.tight_layout()
        _note(fig, note)
    return fig

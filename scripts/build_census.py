"""Rebuild the county census tables (params/population/census/*.parquet) from their xlsx sources.

Run from the project root::

    python scripts/build_census.py DIR

where ``DIR`` holds ``census_county_2020_v1.xlsx`` and ``census_county_2010_v1.xlsx`` of Lei
Dong's open dataset "census" (GitHub leiii/census, folder ``data/census/``, MIT licence; copy
of the licence: ``params/population/census/LICENSE``). Needs ``openpyxl`` (the ``excel``
extra); simlib itself only reads the Parquet files, through :mod:`simlib.params.census`.

What the script does, and nothing else (no value is edited):

* keeps one row per county-level unit: the national, province and prefecture total rows, the
  ``市辖区``/``县`` subtotals and the ``省直辖县级行政区划`` group rows are dropped; a
  prefecture-level city without counties (东莞市, 中山市, 嘉峪关市, 儋州市 …) is kept as its own
  county row;
* gives every row ``区划代码`` (6-digit text; empty where the census lists the unit without a
  code, e.g. development zones), ``省``, ``市`` (the prefecture; a municipality's name for its
  districts; a county directly under the province is its own ``市``) and ``区县``. The 2010
  workbook has only ``地区`` and ``区划代码``: its ``省``/``市`` are read from the total rows
  above each county;
* 2010 only: column names lose their line breaks, ``45-49岁（女)`` gets its closing
  parenthesis, two cells whose text is two numbers run together (``各种职业人口总计`` and
  ``电力、燃气及水的生产和供应业`` of one county) become empty, and the units the workbook
  lists without any figure (南沙群岛, 中沙群岛) are left out;
* columns whose values are all whole numbers are stored as integers (nullable), the others
  as floats; the Parquet files carry no pandas metadata (byte-stable across pandas versions).

It prints, per province, the population of the province row against the sum of its county
rows, so a row lost or counted twice shows.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

OUT = Path("params/population/census")
#: 2010 subtotal rows listed without a code (not counties).
SUBTOTALS_2010 = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
#: The four municipalities (province-level; their districts' 市 is the municipality).
MUNICIPALITIES = {"11", "12", "31", "50"}


def _code(value) -> str | None:
    return None if pd.isna(value) else f"{int(value):06d}"


def counties_2020(path: Path) -> pd.DataFrame:
    """The 2020 workbook's county rows (columns unchanged, 区划代码 as text)."""
    df = pd.read_excel(path)
    code = df["区划代码"].map(_code)
    group = df.groupby(["省", "市"])["区县"].transform("size")
    total = (
        (df["省"] == "全国")
        | code.str.endswith("0000", na=False)
        | (code.str.endswith("00", na=False) & (group > 1))
        | (code.isna() & df["区县"].str.endswith("直辖县级行政区划"))
    )
    out = df[~total].copy()
    out["区划代码"] = code[~total]
    return out.reset_index(drop=True)


def counties_2010(path: Path) -> pd.DataFrame:
    """The 2010 workbook's county rows, with 省 and 市 read from the total rows above them."""
    df = pd.read_excel(path)
    df.columns = [str(c).replace("\n", "").strip() for c in df.columns]
    df = df.rename(columns={"45-49岁（女)": "45-49岁（女）", "地区": "区县"})
    for col in ("各种职业人口总计", "电力、燃气及水的生产和供应业"):
        df[col] = pd.to_numeric(df[col], errors="coerce")  # the two run-together cells
    rows, prov, pref, direct, muni = [], None, None, False, False
    named = df[df["区县"].notna() & df["合计"].notna()]
    codes = [_code(v) for v in named["区划代码"]]
    for i, (idx, r) in enumerate(named.iterrows()):
        code, name = codes[i], str(r["区县"]).strip()
        nxt = codes[i + 1] if i + 1 < len(codes) else None
        if code and code.endswith("0000"):
            prov, pref, direct, muni = name, None, False, code[:2] in MUNICIPALITIES
            continue
        if code is None and name in SUBTOTALS_2010:
            direct = name.endswith("直辖县级行政区划")
            continue
        if code and code.endswith("00") and not muni:
            pref, direct = name, False
            # a prefecture-level city without counties is its own county row
            if nxt is not None and nxt[:4] == code[:4] and not nxt.endswith("00"):
                continue
            if nxt is None and i + 1 < len(codes) and _no_code_child(named, i + 1):
                continue
        city = prov if muni else (name if direct or (code and code[2:4] == "90") else pref)
        rows.append({"区划代码": code, "省": prov, "市": city, "区县": name, "_idx": idx})
    keys = pd.DataFrame(rows).set_index("_idx")
    body = df.loc[keys.index].drop(columns=["区划代码", "区县"])
    out = pd.concat([keys, body], axis=1)
    return out.reset_index(drop=True)


def _no_code_child(named: pd.DataFrame, j: int) -> bool:
    """Whether row ``j`` is a county listed without a code (大兴安岭 加格达奇 …)."""
    return str(named["区县"].iloc[j]).strip() not in SUBTOTALS_2010


def to_table(df: pd.DataFrame) -> pa.Table:
    """Whole-number columns as nullable int64, other values as float64, keys as text."""
    cols = {}
    for c in df.columns:
        s = df[c]
        if c in ("区划代码", "省", "市", "区县"):
            cols[c] = pa.array([None if pd.isna(x) else str(x) for x in s], pa.string())
            continue
        v = pd.to_numeric(s, errors="raise").astype("float64")
        whole = v.dropna().mod(1).eq(0).all() and v.dropna().abs().lt(2**53).all()
        if whole:
            cols[c] = pa.array([None if pd.isna(x) else int(x) for x in v], pa.int64())
        else:
            cols[c] = pa.array(v.to_numpy(), pa.float64(), from_pandas=True)
    return pa.table(cols)


def check(df: pd.DataFrame, source: Path, year: int) -> None:
    """Print each province's total against the sum of its county rows."""
    total = "人口数_合计" if year == 2020 else "合计"
    raw = pd.read_excel(source)
    if year == 2010:
        raw.columns = [str(c).replace("\n", "").strip() for c in raw.columns]
    code = raw["区划代码"].map(_code)
    prov_rows = raw[code.str.endswith("0000", na=False)]
    name = "省" if year == 2020 else "地区"
    sums = df.groupby("省")[total].sum()
    print(f"{year}: {len(df)} county rows")
    for _, r in prov_rows.iterrows():
        got, want = int(sums.get(r[name], 0)), int(r[total])
        flag = "" if got == want else f"  (differs by {got - want:+d})"
        print(f"  {r[name]:<10s} province {want:>11d}  counties {got:>11d}{flag}")


def main(src: Path) -> None:
    """Write ``county_2020.parquet`` and ``county_2010.parquet`` under :data:`OUT`."""
    OUT.mkdir(parents=True, exist_ok=True)
    for year, build in ((2020, counties_2020), (2010, counties_2010)):
        path = src / f"census_county_{year}_v1.xlsx"
        df = build(path)
        check(df, path, year)
        pq.write_table(
            to_table(df), OUT / f"county_{year}.parquet", compression="zstd", use_dictionary=True
        )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.split("\n\n")[1])
    main(Path(sys.argv[1]))

"""Excel, Stata and CSV exports of any table simlib returns, Chinese text intact.

>>> import simlib
>>> simlib.export.to_excel({"catalogue": simlib.catalogue(), "2025": simlib.standards(2025)},
...                        "lists.xlsx")
>>> simlib.export.to_stata(simlib.catalogue(), "catalogue.dta")
>>> simlib.export.to_csv(simlib.catalogue(), "catalogue.csv", excel=True)

Every function takes a DataFrame (or a Series, or a subclass such as the table
:func:`simlib.explain` returns) and leaves it unchanged. A meaningful index (anything but
0, 1, 2, …) becomes leading columns. Cells holding dicts or lists (the ``units`` of
:func:`simlib.explain`) are written as JSON text, ``{"visit": 2}``.

* :func:`to_excel` needs ``openpyxl`` (``pip install 'simlib[excel]'``);
* :func:`to_stata` writes format 118 (Stata 14+), whose strings are UTF-8;
* :func:`to_csv` writes UTF-8; ``excel=True`` adds the byte-order mark that Excel needs to
  read Chinese correctly when the file is double-clicked.

Text a spreadsheet would execute (a cell or column name starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return, such as a label a scenario file written by someone else
planted) is written with a leading apostrophe in Excel and CSV exports (:func:`safe_text`),
so it shows as text and never runs as a formula. Numbers stay numbers: numeric columns are
untouched, and a text cell that is just a number (``-5``, ``+1.5e3``) is not a formula.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from simlib.core.spreadsheet import FORMULA_START, safe_frame, safe_text  # noqa: F401 - API

#: Stata's longest variable name and label, and longest fixed-width string (bytes, 118).
STATA_NAME_MAX = 32
STATA_LABEL_MAX = 80
STATA_STR_MAX = 2045
#: Words Stata reserves (they cannot name a variable).
STATA_RESERVED = frozenset(
    "_all _b byte _coef _cons double float if in int long _n _N _pi _pred _rc _skip str# "
    "strL using with aggregate array boolean break case catch class colvector complex const "
    "continue default delegate delete do else eltypedef end enum explicit export external "
    "for friend function global goto inline int local long matrix NULL numeric pointer "
    "polymorphic pragma private protected public quad real return rowvector scalar short "
    "signed static string struct super switch template this throw transmorphic try typedef "
    "typename union unsigned using vector version virtual void volatile while".split()
)
#: Excel's longest sheet name, the characters a sheet name may not hold, longest cell text.
EXCEL_SHEET_MAX = 31
EXCEL_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
EXCEL_CELL_MAX = 32767
#: Control characters an .xlsx file cannot hold (all below 0x20 but tab, newline, return).
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


# --------------------------------------------------------------------------- shared


def _frame(table) -> pd.DataFrame:
    """A plain DataFrame copy of ``table``; a meaningful index becomes leading columns."""
    if isinstance(table, pd.Series):
        table = table.to_frame()
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame or Series, got {type(table).__name__}")
    df = pd.DataFrame(table, copy=True)  # drops subclasses (Explanation) and their metadata
    if isinstance(df.columns, pd.MultiIndex):
        df.columns = [" / ".join(str(p) for p in c if str(p) != "") for c in df.columns]
    else:
        df.columns = [str(c) for c in df.columns]
    if not _default_index(df.index):
        names = [
            n if n is not None else ("index" if df.index.nlevels == 1 else f"level_{i}")
            for i, n in enumerate(df.index.names)
        ]
        df.index = df.index.set_names(names)
        df = df.reset_index()
    return df


def _default_index(index: pd.Index) -> bool:
    return (
        isinstance(index, pd.RangeIndex)
        and index.start == 0
        and index.step == 1
        and index.name is None
    )


def _to_json(value) -> str:
    if isinstance(value, (set, frozenset)):
        value = sorted(value, key=str)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_json_default)


def _json_default(value):
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def _missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and np.isnan(value)


def _plain_objects(df: pd.DataFrame) -> pd.DataFrame:
    """Object columns made writable: dates → datetime64, bools → int8, containers → JSON."""
    for col in df.columns:
        s = df[col]
        if s.dtype != object:
            continue
        present = [v for v in s if not _missing(v)]
        if present and all(isinstance(v, (bool, np.bool_)) for v in present):
            df[col] = s.map(lambda v: np.nan if _missing(v) else int(v))
            if len(present) == len(s):
                df[col] = df[col].astype("int8")
        elif present and all(isinstance(v, (dt.date, np.datetime64)) for v in present):
            df[col] = pd.to_datetime(s.map(lambda v: None if _missing(v) else v))
        elif present and all(
            isinstance(v, (int, float, np.integer, np.floating))
            and not isinstance(v, (bool, np.bool_))
            for v in present
        ):
            df[col] = pd.to_numeric(s)
        else:
            df[col] = s.map(
                lambda v: (
                    None
                    if _missing(v)
                    else v
                    if isinstance(v, str)
                    else _to_json(v)
                    if isinstance(v, (dict, list, tuple, set, frozenset))
                    else str(v)
                )
            )
    return df


def _datetimes_naive(df: pd.DataFrame) -> pd.DataFrame:
    """Time-zone-aware datetimes as naive UTC (neither Excel nor Stata keeps a zone)."""
    for col in df.columns:
        if isinstance(df[col].dtype, pd.DatetimeTZDtype):
            df[col] = df[col].dt.tz_convert("UTC").dt.tz_localize(None)
    return df


def _path(path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    return p


# --------------------------------------------------------------------------- CSV


def to_csv(table, path, excel: bool = False) -> Path:
    """Write a table as CSV (UTF-8).

    Args:
        table: A DataFrame or Series.
        path: The file to write (its folder is created).
        excel: Add a byte-order mark (``utf-8-sig``) so that Excel, opening the file by
            double-click, reads Chinese text correctly. Other readers skip the mark
            (``pd.read_csv(path, encoding="utf-8-sig")``).

    Returns:
        The path written.
    """
    df = safe_frame(_plain_objects(_frame(table)))
    p = _path(path)
    df.to_csv(p, index=False, encoding="utf-8-sig" if excel else "utf-8")
    return p


# --------------------------------------------------------------------------- Excel


def _sheet_names(keys) -> list[str]:
    names: list[str] = []
    for i, key in enumerate(keys):
        base = EXCEL_SHEET_BAD.sub("_", str(key)).strip("'") or f"Sheet{i + 1}"
        name = base[:EXCEL_SHEET_MAX]
        n = 2
        while name.lower() in (x.lower() for x in names):
            suffix = f"_{n}"
            name = base[: EXCEL_SHEET_MAX - len(suffix)] + suffix
            n += 1
        names.append(name)
    return names


def _excel_text(value):
    if not isinstance(value, str):
        return value
    value = _ILLEGAL_XML.sub("", value)
    return value if len(value) <= EXCEL_CELL_MAX else value[: EXCEL_CELL_MAX - 1] + "…"


def to_excel(tables, path) -> Path:
    r"""Write one table, or several (one sheet each), to an ``.xlsx`` workbook.

    Args:
        tables: A DataFrame or Series (sheet ``Sheet1``), or a mapping sheet name → table.
            Sheet names are made valid for Excel (31 characters, none of ``[]:*?/\``) and
            unique.
        path: The workbook to write (its folder is created).

    Returns:
        The path written.

    Raises:
        ImportError: If ``openpyxl`` is not installed.
    """
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        raise ImportError(
            "to_excel needs openpyxl: pip install 'simlib[excel]' (or pip install openpyxl)"
        ) from None
    if isinstance(tables, Mapping):
        items = list(tables.items())
        if not items:
            raise ValueError("to_excel: no tables given")
    else:
        items = [("Sheet1", tables)]
    frames = [safe_frame(_datetimes_naive(_plain_objects(_frame(t)))) for _, t in items]
    p = _path(path)
    with pd.ExcelWriter(p, engine="openpyxl") as writer:
        for name, df in zip(_sheet_names(k for k, _ in items), frames, strict=True):
            for col in df.columns:
                if df[col].dtype == object or pd.api.types.is_string_dtype(df[col]):
                    df[col] = df[col].map(_excel_text)
            df.to_excel(writer, sheet_name=name, index=False, freeze_panes=(1, 0))
    return p


# --------------------------------------------------------------------------- Stata


def stata_names(columns) -> dict[str, str]:
    """Stata-valid variable names for column names: original → new (unchanged if valid).

    A valid name has at most 32 ASCII letters, digits or ``_``, does not start with a digit
    and is not reserved. Other characters become ``_``; a name with no ASCII letter or digit
    left (``清单支出``) becomes ``v<position>``; clashes get ``_2``, ``_3``, ….
    """
    out: dict[str, str] = {}
    taken: set[str] = set()
    for i, col in enumerate(columns, start=1):
        col = str(col)
        name = re.sub(r"[^A-Za-z0-9_]+", "_", col)
        if not re.search(r"[A-Za-z0-9]", name):
            name = f"v{i}"
        if name[0].isdigit():
            name = "_" + name
        if name in STATA_RESERVED:
            name = name + "_"
        name = name[:STATA_NAME_MAX]
        base, n = name, 2
        while name in taken:
            suffix = f"_{n}"
            name = base[: STATA_NAME_MAX - len(suffix)] + suffix
            n += 1
        taken.add(name)
        out[col] = name
    return out


def to_stata(table, path, data_label: str | None = None) -> Path:
    """Write a table as a Stata ``.dta`` file, format 118 (Stata 14 or newer; UTF-8 text).

    Columns are made writable: names are made Stata-valid (:func:`stata_names`) and each
    renamed variable's label holds its original name, so nothing is lost (``describe`` in
    Stata shows them); bools become 0/1 (int8); dates become Stata dates; dicts and lists
    become JSON text; text longer than 2045 bytes is stored as ``strL``.

    Args:
        table: A DataFrame or Series.
        path: The file to write (its folder is created).
        data_label: The dataset's label (at most 80 characters).

    Returns:
        The path written.
    """
    df = _datetimes_naive(_plain_objects(_frame(table)))
    names = stata_names(df.columns)
    labels = {
        new: (old if len(old) <= STATA_LABEL_MAX else old[: STATA_LABEL_MAX - 1] + "…")
        for old, new in names.items()
        if new != old
    }
    df.columns = [names[c] for c in df.columns]
    strl, dates = [], {}
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_bool_dtype(s):
            df[col] = s.astype("Int8") if s.hasnans else s.astype("int8")
        elif pd.api.types.is_datetime64_any_dtype(s):
            df[col] = s.astype("datetime64[ns]")
            has_time = bool(s.dropna().dt.normalize().ne(s.dropna()).any())
            dates[col] = "tc" if has_time else "td"
        elif pd.api.types.is_timedelta64_dtype(s):
            df[col] = s.dt.total_seconds()
            labels.setdefault(col, f"{col} (seconds)")
        elif isinstance(s.dtype, pd.CategoricalDtype):
            if not all(isinstance(c, str) for c in s.cat.categories):
                df[col] = s.astype(str).where(s.notna(), None)
        elif s.dtype == object or pd.api.types.is_string_dtype(s):
            text = s.astype(object).where(s.notna(), "")
            df[col] = text.astype(object)
            if max((len(str(v).encode("utf-8")) for v in text), default=0) > STATA_STR_MAX:
                strl.append(col)
    p = _path(path)
    df.to_stata(
        p,
        write_index=False,
        version=118,
        convert_dates=dates or None,
        variable_labels=labels or None,
        data_label=data_label,
        convert_strl=strl or None,
    )
    return p

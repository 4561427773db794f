"""Text a spreadsheet would run as a formula, escaped (CSV and Excel exports, stores).

A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is read by
Excel, LibreOffice and Google Sheets as a formula, which can fetch data or run commands
(OWASP "CSV injection"). simlib writes text that may come from someone else's scenario file
(labels, item names, scenario names) into CSV and Excel files, so every such file passes its
text through :func:`safe_text` first.
"""

from __future__ import annotations

import re

import pandas as pd

#: What a spreadsheet reads as the start of a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?")


def safe_text(value):
    """``value`` with a leading ``'`` if a spreadsheet would run it as a formula.

    Args:
        value: A cell or column name (anything but ``str`` is returned as it is).

    Returns:
        The value; text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return
        prefixed by ``'``, unless it is a plain number such as ``-5`` or ``+1.5e3``.
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return value
    if _PLAIN_NUMBER.fullmatch(value.strip()):
        return value
    return "'" + value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column names are :func:`safe_text`."""
    df = df.rename(columns=safe_text)
    for i in range(df.shape[1]):
        col = df.iloc[:, i]
        if col.dtype == object or pd.api.types.is_string_dtype(col):
            df.isetitem(i, col.map(safe_text))
    return df

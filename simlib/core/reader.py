"""The one strict reader of files: YAML and CSV under ``params/`` and users' scenario files.

Every file simlib reads as input goes through :func:`read_bytes`, so the same rules hold for
all of them:

* regular files only (a directory, a device or a symlink loop is refused), at most
  :data:`MAX_BYTES` long;
* UTF-8 text (a byte-order mark is tolerated); any other encoding is refused with the offset
  of the first bad byte and how to fix it;
* YAML through a safe loader that also refuses duplicate keys, mapping keys that are not text
  (``yes:`` or ``1:``), aliases and anchors (so no "billion laughs" alias bomb can expand),
  non-finite numbers (``.nan``, ``.inf``, ``1e400``) and impossible dates (``2024-13-45``);
* CSV with declared columns, each value converted and checked with its row named.

Every problem raises :class:`~simlib.core.errors.ParamError` naming the file (and line, key
or row); nothing is returned half-read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from simlib.core.errors import ParamError

#: Largest file read, bytes: far above any params file (the largest is ~50 KB), far below
#: anything that could exhaust memory.
MAX_BYTES = 5_000_000


def read_bytes(path: str | Path, where: str | None = None, limit: int = MAX_BYTES) -> bytes:
    """Read a regular file's bytes, refusing anything else.

    Args:
        path: The file.
        where: Name used in errors (the path by default).
        limit: Largest size accepted, bytes.

    Returns:
        The file's bytes.

    Raises:
        ParamError: If the file is missing, not a regular file, too large or unreadable.
    """
    where = where or str(path)
    p = Path(path)
    try:
        st = p.stat()  # follows symlinks; a loop raises ELOOP
    except FileNotFoundError:
        raise ParamError(f"{where}: file not found") from None
    except OSError as err:
        raise ParamError(f"{where}: cannot read ({err.strerror or err})") from None
    if not stat.S_ISREG(st.st_mode):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise ParamError(f"{where}: is {kind}; expected a file")
    if st.st_size > limit:
        raise ParamError(f"{where}: {st.st_size:,} bytes, more than the {limit:,} allowed")
    try:
        return p.read_bytes()
    except OSError as err:
        raise ParamError(f"{where}: cannot read ({err.strerror or err})") from None


def decode(data: bytes, where: str) -> str:
    """Decode UTF-8 text (a leading byte-order mark is dropped).

    Raises:
        ParamError: If the bytes are not UTF-8, naming the offset of the first bad byte.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        bad = data[err.start : err.start + 1].hex()
        raise ParamError(
            f"{where}: not UTF-8 text (byte 0x{bad} at offset {err.start}); "
            "save the file as UTF-8 (GBK and other encodings are not read)"
        ) from None


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- YAML


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader without aliases/anchors, with text keys, finite numbers and real dates."""

    def compose_node(self, parent, index):  # noqa: D102 - yaml internals
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise ParamError(
                f"line {event.start_mark.line + 1}: YAML aliases (*{event.anchor}) are not "
                "allowed; write the value out"
            )
        if getattr(event, "anchor", None) is not None:
            raise ParamError(
                f"line {event.start_mark.line + 1}: YAML anchors (&{event.anchor}) are not "
                "allowed; write the value out"
            )
        return super().compose_node(parent, index)


class _Unkeyed(ParamError):
    """A refused value (``.nan``, a bad date); the mapping holding it adds its key."""

    def __init__(self, node: yaml.Node, what: str):
        self.line, self.what = node.start_mark.line + 1, what
        super().__init__(f"line {self.line}: {what}")


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[Any, int] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            raise ParamError(f"line {line}: a mapping key must be text, not a list or mapping")
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, str):
            raise ParamError(
                f"line {line}: mapping key {key_node.value!r} is read as "
                f"{type(key).__name__}; keys must be text (quote it)"
            )
        if key in seen:
            raise ParamError(f"line {line}: duplicate key {key!r} (first at line {seen[key]})")
        seen[key] = line
        try:  # built now (and cached) so that a refused value is named by its key
            loader.construct_object(value_node, deep=deep)
        except _Unkeyed as err:
            raise ParamError(f"line {err.line}: {key}: {err.what}") from None
    return loader.construct_mapping(node, deep=deep)


def _construct_float(loader: _StrictLoader, node: yaml.ScalarNode) -> float:
    value = yaml.SafeLoader.construct_yaml_float(loader, node)
    if not math.isfinite(value):
        raise _Unkeyed(node, f"{node.value!r} is not a finite number")
    return value


def _construct_timestamp(loader: _StrictLoader, node: yaml.ScalarNode):
    try:
        value = yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as err:
        raise _Unkeyed(node, f"{node.value!r} is not a valid date ({err})") from None
    if isinstance(value, dt.datetime):
        raise _Unkeyed(node, f"{node.value!r}: give a date (YYYY-MM-DD) without a time")
    return value


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_StrictLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def parse_yaml(text: str, where: str) -> Any:
    """Parse YAML text strictly (see the module docstring).

    Args:
        text: The document.
        where: Name used in errors.

    Returns:
        The parsed document.

    Raises:
        ParamError: On any YAML error or refused construct, naming ``where``.
    """
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - strict SafeLoader subclass
    except ParamError as err:
        raise ParamError(f"{where}: {err}") from None
    except yaml.YAMLError as err:
        raise ParamError(f"{where}: not valid YAML: {_one_line(err)}") from None
    except RecursionError:
        raise ParamError(f"{where}: nested too deeply") from None


def _one_line(err: yaml.YAMLError) -> str:
    """A YAML error on one line: where (line, column), what, and while doing what."""
    if not isinstance(err, yaml.MarkedYAMLError) or not err.problem:
        return " ".join(str(err).split())
    mark = err.problem_mark or err.context_mark
    at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    context = f" ({err.context})" if err.context else ""
    return f"{at}{err.problem}{context}"


def read_yaml(path: str | Path, where: str | None = None) -> Any:
    """Read one YAML file strictly.

    Args:
        path: File to read.
        where: Name used in errors (the path by default).

    Returns:
        The parsed document.

    Raises:
        ParamError: If the file is missing, not a regular file, too large, not UTF-8, not
            valid YAML, or uses a refused construct.
    """
    where = where or str(path)
    return parse_yaml(decode(read_bytes(path, where), where), where)


# --------------------------------------------------------------------------- CSV


@dataclass(frozen=True)
class Column:
    """A declared CSV column.

    Attributes:
        name: Header name.
        kind: ``"text"``, ``"int"`` or ``"float"``.
        lo: Smallest allowed number.
        hi: Largest allowed number.
        labels: For text: the allowed values (empty: any non-empty text).
        required: Whether an empty cell is an error (else it reads as missing).
    """

    name: str
    kind: str = "text"
    lo: float | None = None
    hi: float | None = None
    labels: tuple[str, ...] = ()
    required: bool = True


def read_csv(
    path: str | Path, columns: tuple[Column, ...], where: str | None = None, data: bytes = b""
):
    """Read a CSV file whose columns are declared, converting and checking every value.

    Args:
        path: The file.
        columns: The declared columns (the header must hold exactly these, in any order).
        where: Name used in errors (the path by default).
        data: The file's bytes if already read (else read from ``path``).

    Returns:
        A pandas DataFrame with the declared columns converted.

    Raises:
        ParamError: Naming the file, row (as the line number) and column.
    """
    import numpy as np
    import pandas as pd

    where = where or str(path)
    text = decode(data or read_bytes(path, where), where)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise ParamError(f"{where}: not a readable CSV table ({err})") from None
    want = [c.name for c in columns]
    missing = [c for c in want if c not in df.columns]
    extra = [c for c in df.columns if c not in want]
    if missing or extra:
        raise ParamError(
            f"{where}: columns {list(df.columns)}; missing {missing}, unknown {extra} "
            f"(expected {want})"
        )
    if df.empty:
        raise ParamError(f"{where}: no rows")
    out = {}
    for col in columns:
        raw = df[col.name].str.strip()
        empty = raw == ""
        if col.required and empty.any():
            raise ParamError(
                f"{where}: line {int(np.flatnonzero(empty)[0]) + 2}: {col.name} is empty"
            )
        if col.kind == "text":
            if col.labels:
                bad = ~raw.isin(col.labels) & ~empty
                if bad.any():
                    i = int(np.flatnonzero(bad)[0])
                    raise ParamError(
                        f"{where}: line {i + 2}: {col.name} {raw.iloc[i]!r}; "
                        f"allowed: {', '.join(col.labels)}"
                    )
            out[col.name] = raw.to_numpy(dtype=object)
            continue
        num = pd.to_numeric(raw.where(~empty), errors="coerce")
        bad = num.isna() & ~empty
        if not np.isfinite(num.fillna(0)).all():
            bad |= ~np.isfinite(num.fillna(0))
        if col.kind == "int":
            bad |= (num.notna()) & (num != np.round(num.fillna(0)))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ParamError(
                f"{where}: line {i + 2}: {col.name} {raw.iloc[i]!r} is not a finite "
                f"{'whole number' if col.kind == 'int' else 'number'}"
            )
        for bound, ok in ((col.lo, num >= (col.lo or 0)), (col.hi, num <= (col.hi or 0))):
            if bound is None:
                continue
            badb = num.notna() & ~ok
            if badb.any():
                i = int(np.flatnonzero(badb)[0])
                lo = "-inf" if col.lo is None else f"{col.lo:g}"
                hi = "inf" if col.hi is None else f"{col.hi:g}"
                raise ParamError(
                    f"{where}: line {i + 2}: {col.name} {raw.iloc[i]} outside [{lo}, {hi}]"
                )
        out[col.name] = num.to_numpy(dtype=np.float64)
        if col.kind == "int" and col.required:
            out[col.name] = out[col.name].astype(np.int64)
    return pd.DataFrame(out)


def check_mapping(d: Any, where: str) -> Mapping:
    """``d`` itself if it is a mapping, else a ParamError naming ``where``."""
    if not isinstance(d, Mapping):
        raise ParamError(f"{where}: expected a mapping, got {type(d).__name__}")
    return d

"""The person table: the attributes every rule and the model speak about.

One row per person, one numpy column per attribute with an explicit dtype. Categorical
attributes are stored as small integer codes; :data:`SCHEMA` gives each code's label, and
the service-list YAML files name labels, never codes. ``docs/person_schema.md`` is the
reader's version of this table; a test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simlib.core.errors import did_you_mean


@dataclass(frozen=True)
class Attribute:
    """One column of the person table.

    Attributes:
        name: Column name.
        dtype: numpy dtype of the stored column.
        kind: ``"int"`` (a count or grade compared with min/max), ``"bool"`` or
            ``"category"`` (stored as codes into ``labels``).
        description: What the column holds, with its unit and the source term (zh).
        labels: For categories, the label of each code (code = position).
        lo: For ints, smallest allowed value.
        hi: For ints, largest allowed value.
    """

    name: str
    dtype: str
    kind: str
    description: str
    labels: tuple[str, ...] = ()
    lo: int | None = None
    hi: int | None = None
    labels_zh: tuple[str, ...] = ()

    def code(self, label: str) -> int:
        """The integer code of a category label, English or Chinese (ValueError if unknown)."""
        if label in self.labels:
            return self.labels.index(label)
        if label in self.labels_zh:
            return self.labels_zh.index(label)
        allowed = (
            ", ".join(f"{en} ({zh})" for en, zh in zip(self.labels, self.labels_zh, strict=True))
            if self.labels_zh
            else ", ".join(self.labels)
        )
        raise ValueError(
            f"{label!r} is not a value of {self.name}"
            f"{did_you_mean(label, self.labels + self.labels_zh)}; "
            f"allowed: {allowed}"
        )


_ATTRS = [
    Attribute(
        "age",
        "int16",
        "int",
        "Age in completed years (周岁) on 31 December of the model year.",
        lo=0,
        hi=120,
    ),
    Attribute(
        "sex", "int8", "category", "Sex (性别).", labels=("male", "female"), labels_zh=("男", "女")
    ),
    Attribute("urban", "bool", "bool", "Lives in an urban area (城镇) rather than rural (乡村)."),
    Attribute(
        "adl_level",
        "int8",
        "int",
        "Ability grade of GB/T 42195-2022 老年人能力评估规范: 0 能力完好 intact, "
        "1 轻度失能 mild, 2 中度失能 moderate, 3 重度失能 severe, 4 完全失能 total.",
        lo=0,
        hi=4,
    ),
    Attribute(
        "care_level",
        "int8",
        "category",
        "Care class used by 特困 care subsidies: 全自理 self-care, 半护理 partial care, "
        "全护理 full care. 生活不能自理 (cannot care for oneself) = partial or full.",
        labels=("self_care", "partial_care", "full_care"),
        labels_zh=("全自理", "半护理", "全护理"),
    ),
    Attribute(
        "assistance",
        "int8",
        "category",
        "Social assistance status: none, 低保边缘 dibao_edge (low-income margin), "
        "低保 dibao (minimum living guarantee), 特困 tekun (extreme poverty support).",
        labels=("none", "dibao_edge", "dibao", "tekun"),
        labels_zh=("无", "低保边缘", "低保", "特困"),
    ),
    Attribute(
        "tekun_mode",
        "int8",
        "category",
        "For 特困 persons: 分散供养 dispersed (at home) or 集中供养 centralized "
        "(in an institution); none for everyone else.",
        labels=("none", "dispersed", "centralized"),
        labels_zh=("无", "分散供养", "集中供养"),
    ),
    Attribute(
        "living",
        "int8",
        "category",
        "Living arrangement: with_family, empty_nest (空巢, only with spouse), alone (独居).",
        labels=("with_family", "empty_nest", "alone"),
        labels_zh=("与家人同住", "空巢", "独居"),
    ),
    Attribute("left_behind", "bool", "bool", "留守老年人: children away as migrant workers."),
    Attribute("in_institution", "bool", "bool", "Lives in a care institution (养老机构)."),
    Attribute(
        "fp_special", "bool", "bool", "计划生育特殊家庭: only child died or disabled (失独/伤残)."
    ),
    Attribute(
        "youfu",
        "bool",
        "bool",
        "重点优抚对象 with regular state 抚恤补助: martyr/因公牺牲/病故 families, "
        "disabled, demobilised or retired veterans.",
    ),
    Attribute("military_family", "bool", "bool", "现役军人家属: family of active servicemen."),
    Attribute(
        "no_supporter",
        "bool",
        "bool",
        "无法定赡养人、扶养人 or the supporters are unable to support (one 特困 criterion).",
    ),
    Attribute(
        "disability_grade",
        "int8",
        "int",
        "残疾人证 grade: 0 no certificate, 1 一级 (most severe) … 4 四级.",
        lo=0,
        hi=4,
    ),
    Attribute(
        "disability_type",
        "int8",
        "category",
        "残疾类别 on the certificate (none without one).",
        labels=(
            "none",
            "visual",
            "hearing",
            "speech",
            "physical",
            "intellectual",
            "mental",
            "multiple",
        ),
        labels_zh=("无", "视力", "听力", "言语", "肢体", "智力", "精神", "多重"),
    ),
    Attribute("hypertension", "bool", "bool", "Diagnosed hypertension (高血压)."),
    Attribute("diabetes", "bool", "bool", "Diagnosed type-2 diabetes (2型糖尿病)."),
    Attribute(
        "severe_mental", "bool", "bool", "Severe mental disorder (严重精神障碍) on register."
    ),
    Attribute(
        "pension",
        "int8",
        "category",
        "Pension drawn: none, employee (职工基本养老保险), resident (城乡居民基本养老保险).",
        labels=("none", "employee", "resident"),
        labels_zh=("无", "职工", "城乡居民"),
    ),
    Attribute("homeless", "bool", "bool", "生活无着的流浪、乞讨人员."),
]

#: The person table's columns, by name.
SCHEMA: dict[str, Attribute] = {a.name: a for a in _ATTRS}

Schema = dict[str, Attribute]


def extend(schema: Schema, attributes: Iterable[Attribute]) -> Schema:
    """A schema with more attributes (e.g. the columns a new process adds).

    Args:
        schema: The schema to extend.
        attributes: New attributes (their names must not exist yet).

    Returns:
        A new schema.

    Raises:
        ValueError: If an attribute name is already taken by a different attribute.
    """
    out = dict(schema)
    for a in attributes:
        if a.name in out and out[a.name] != a:
            raise ValueError(f"person attribute {a.name!r} is defined twice, differently")
        out[a.name] = a
    return out


def empty(n: int, schema: Schema = SCHEMA) -> dict[str, np.ndarray]:
    """Allocate a person table of ``n`` rows with every attribute at its default (code 0).

    Args:
        n: Number of persons.
        schema: The attributes (the base schema by default).

    Returns:
        Dict of column name to zero-filled numpy array of the schema dtype.
    """
    return {a.name: np.zeros(n, dtype=a.dtype) for a in schema.values()}


def _allowed(schema: Schema) -> str:
    return ", ".join(schema)


def from_frame(
    df: pd.DataFrame, *, where: str = "people", schema: Schema = SCHEMA
) -> dict[str, np.ndarray]:
    """Convert a readable person DataFrame (labels, English or Chinese) into coded columns.

    Missing columns take their default (0 / False / first label), so a test can write
    only the attributes that matter. Unknown columns are an error.

    Args:
        df: One row per person; categorical columns hold labels (``"dibao"`` or ``"低保"``)
            or codes.
        where: Name used in error messages.
        schema: The attributes (the base schema by default).

    Returns:
        Dict of column name to numpy array with the schema dtype.

    Raises:
        ValueError: On an unknown column, an unknown label or an out-of-range value.
    """
    unknown = [c for c in df.columns if c not in schema and c != "person_id"]
    if unknown:
        raise ValueError(
            f"{where}: unknown person attribute(s) {unknown}"
            f"{did_you_mean(unknown[0], schema)}; allowed: {_allowed(schema)}"
        )
    cols = empty(len(df), schema)
    for name, attr in schema.items():
        if name not in df.columns:
            continue
        values = df[name]
        if attr.kind == "category" and not pd.api.types.is_numeric_dtype(values):
            values = values.astype(object).where(values.notna(), attr.labels[0])
            try:
                lookup = {v: attr.code(v) for v in set(values)}
            except ValueError as err:
                raise ValueError(f"{where}: column {name!r}: {err}") from None
            cols[name] = values.map(lookup).to_numpy(dtype=attr.dtype)
            continue
        if not pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            values = values.astype(object).where(values.notna(), 0)
            if any(isinstance(v, str) for v in values):
                raise ValueError(f"{where}: column {name!r} must be numeric, got text")
        arr = values.fillna(0).to_numpy()
        if attr.kind == "bool":
            if not np.isin(arr, (0, 1)).all():
                raise ValueError(f"{where}: column {name!r} must be true/false")
        else:
            lo, hi = (0, len(attr.labels) - 1) if attr.kind == "category" else (attr.lo, attr.hi)
            if len(arr) and (arr.min() < lo or arr.max() > hi or (arr != np.round(arr)).any()):
                raise ValueError(
                    f"{where}: column {name!r} must hold whole numbers in [{lo}, {hi}]"
                )
        cols[name] = arr.astype(attr.dtype)
    return cols


def from_record(
    person: dict, *, where: str = "person", schema: Schema = SCHEMA
) -> dict[str, np.ndarray]:
    """Convert one person's attributes (labels or codes) into one-row coded columns.

    The fast path of :func:`from_frame` for a single record (used by ``explain``).

    Args:
        person: Attribute name → value; missing attributes take their default.
        where: Name used in error messages.
        schema: The attributes (the base schema by default).

    Returns:
        Dict of column name to a one-element numpy array.

    Raises:
        ValueError: On an unknown attribute, label or out-of-range value.
    """
    unknown = [k for k in person if k not in schema and k != "person_id"]
    if unknown:
        raise ValueError(
            f"{where}: unknown person attribute(s) {unknown}"
            f"{did_you_mean(unknown[0], schema)}; allowed: {_allowed(schema)}"
        )
    cols = empty(1, schema)
    for name, value in person.items():
        attr = schema.get(name)
        if attr is None or value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        if isinstance(value, str):
            if attr.kind != "category":
                raise ValueError(f"{where}: {name!r} must be numeric, got {value!r}")
            try:
                value = attr.code(value)
            except ValueError as err:
                raise ValueError(f"{where}: {err}") from None
        lo, hi = (0, len(attr.labels) - 1) if attr.kind == "category" else (attr.lo, attr.hi)
        if attr.kind != "bool" and not lo <= value <= hi:
            raise ValueError(f"{where}: {name!r} must lie in [{lo}, {hi}], got {value!r}")
        cols[name][0] = value
    return cols


def to_frame(cols: dict[str, np.ndarray], schema: Schema = SCHEMA) -> pd.DataFrame:
    """Convert coded columns into a readable DataFrame with categorical labels.

    Args:
        cols: Dict of column name to array (extra non-schema columns are kept as is).
        schema: The attributes (the base schema by default).

    Returns:
        DataFrame with pandas Categorical columns for the categorical attributes.
    """
    out = {}
    for name, arr in cols.items():
        attr = schema.get(name)
        if attr is not None and attr.kind == "category":
            out[name] = pd.Categorical.from_codes(arr.astype(np.int64), categories=attr.labels)
        else:
            out[name] = arr
    return pd.DataFrame(out)

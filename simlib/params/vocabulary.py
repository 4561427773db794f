"""Controlled vocabularies (``params/vocabulary/``) and model conventions (``conventions.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass

from simlib.core.checks import keys, read_quantity
from simlib.core.errors import ParamError
from simlib.params.tree import ParamTree, remembered

VOCABULARIES = ("service_types", "units", "placements", "families", "target_measures")


@dataclass(frozen=True)
class Vocabulary:
    """Names a params file may use, each with its description.

    Attributes:
        service_types: 服务类型 (zh) → English label.
        units: In-kind unit → description.
        placements: Placement kind → description.
        families: Item family → label.
        target_measures: How a target can be measured → description
            (:mod:`simlib.outcomes.targets` implements each).
    """

    service_types: dict[str, str]
    units: dict[str, str]
    placements: dict[str, str]
    families: dict[str, str]
    target_measures: dict[str, str]
    departments: dict[str, dict] = None

    def __getitem__(self, name: str) -> dict[str, str]:
        return getattr(self, name)

    def department(self, name: str) -> tuple[str, str]:
        """``(canonical Chinese name, English label)`` of a department as a list writes it."""
        for canon, d in self.departments.items():
            if name == canon or name in d["aliases"]:
                return canon, d["en"]
        return name, name


@remembered
def load_vocabulary(tree: ParamTree) -> Vocabulary:
    """Load the four vocabularies.

    Raises:
        ParamError: If a file is not a flat mapping of name: description.
    """
    out = {}
    for name in VOCABULARIES:
        rel = f"vocabulary/{name}.yaml"
        d = tree.yaml(rel)
        if not isinstance(d, dict) or not d or not all(isinstance(v, str) for v in d.values()):
            raise ParamError(f"{tree.where(rel)}: expected a flat mapping of name: description")
        out[name] = d
    rel = "vocabulary/departments.yaml"
    where = tree.where(rel)
    deps = tree.yaml(rel)
    if not isinstance(deps, dict) or not deps:
        raise ParamError(f"{where}: expected a mapping of department: {{en, aliases}}")
    seen: dict[str, str] = {}
    for canon, d in deps.items():
        d = keys(d, f"{where}: {canon}", {"en", "aliases"})
        if not isinstance(d["en"], str) or not isinstance(d["aliases"], list):
            raise ParamError(f"{where}: {canon}: en is text, aliases a list")
        for name in [canon, *d["aliases"]]:
            if name in seen:
                raise ParamError(f"{where}: {name!r} belongs to {seen[name]} and {canon}")
            seen[name] = canon
        deps[canon] = d
    return Vocabulary(**out, departments=deps)


@dataclass(frozen=True)
class Conventions:
    """Conventions of the model that are not about any one city.

    Attributes:
        in_force_cutoff_month: An item counts for year Y when in force by the 1st of this
            month of Y.
    """

    in_force_cutoff_month: int


@remembered
def load_conventions(tree: ParamTree) -> Conventions:
    """Load ``params/conventions.yaml``."""
    where = tree.where("conventions.yaml")
    d = keys(tree.yaml("conventions.yaml"), where, {"in_force_cutoff_month"})
    q = read_quantity(
        d["in_force_cutoff_month"], f"{where}: in_force_cutoff_month", lo=1, hi=12, integer=True
    )
    return Conventions(int(q.value))


def load_reference_persons(tree: ParamTree):
    """The typical persons of ``params/reference_persons.yaml`` as a person table.

    Returns:
        A DataFrame, one row per person: ``label``, ``label_zh`` and their attributes.

    Raises:
        ParamError: On a malformed entry or an unknown attribute or label.
    """
    import pandas as pd

    from simlib.core import people

    rel = "reference_persons.yaml"
    where = tree.where(rel)
    raw = keys(tree.yaml(rel), where, {"persons"})
    if not isinstance(raw["persons"], list):
        raise ParamError(f"{where}: persons: expected a list")
    rows = []
    for i, p in enumerate(raw["persons"]):
        p = keys(p, f"{where}: persons[{i}]", {"label", "label_zh", "attributes"})
        try:
            people.from_record(p["attributes"], where=f"{where}: {p['label']}")
        except (ValueError, AttributeError) as err:
            raise ParamError(str(err)) from None
        rows.append({"label": p["label"], "label_zh": p["label_zh"], **p["attributes"]})
    return pd.DataFrame(rows)

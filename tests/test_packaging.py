"""The project's own files: dependency lists agree, notebooks match their twins, docs are true."""

import re
import tomllib
from pathlib import Path

import yaml

from simlib.core import people
from simlib.reporting.notebooks import out_of_sync, pairs

ROOT = Path(__file__).resolve().parent.parent


def _spec(s: str) -> tuple[str, str]:
    m = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", s)
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip = dict(_spec(s) for s in project["dependencies"] + project["optional-dependencies"]["dev"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = dict(_spec(s) for s in env["dependencies"] if isinstance(s, str))
    conda.pop("pip")
    assert conda.pop("python") == ">=" + project["requires-python"].removeprefix(">=")
    assert conda == pip


def test_every_notebook_has_its_py_percent_twin_in_sync():
    assert pairs(), "no notebooks found"
    assert out_of_sync() == [], "run: make notebooks-sync"


def test_person_schema_doc_lists_every_attribute_and_label():
    doc = (ROOT / "docs" / "person_schema.md").read_text(encoding="utf-8")
    for name, attr in people.SCHEMA.items():
        assert f"`{name}`" in doc, name
        for label in attr.labels:
            assert label in doc, (name, label)


def test_every_top_level_folder_has_a_readme():
    for folder in ("simlib", "notebooks", "params", "tests", "docs", "benchmarks", "scripts"):
        assert (ROOT / folder / "README.md").exists(), folder

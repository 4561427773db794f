"""The layout shows the pipeline: layers import only downwards, no cycles, one step order.

Layers, bottom to top (``docs/architecture.md``): core → rules → params → population and
policy → outcomes → model → experiments → reporting → cli (and the lazy facade on top).
"""

import ast
import re
from pathlib import Path

import pytest

from simlib.model.model import ElderCareModel
from simlib.population.processes import PROCESSES

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "simlib"

LAYERS = {
    "core": 0,
    "rules": 1,
    "params": 2,
    "population": 3,
    "policy": 3,
    "outcomes": 4,
    "model": 5,
    "experiments": 6,
    "reporting": 7,
    "cli": 8,
    "__main__": 9,
    "__init__": 9,
}


def _module(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS["__init__"] if len(parts) == 1 else LAYERS[parts[1]]


def _imports(path: Path) -> list[tuple[str, int]]:
    """simlib modules imported anywhere in the file (module level or inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name.startswith("simlib")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("simlib"):
            out.append((node.module, node.lineno))
    return out


FILES = sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_belongs_to_a_layer():
    for f in FILES:
        _layer(_module(f))  # KeyError names a module outside the layers


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PKG)))
def test_imports_go_down_the_layers_only(path):
    here = _module(path)
    for target, line in _imports(path):
        if target == "simlib":
            continue  # the package itself (e.g. simlib.__version__), read lazily
        assert _layer(target) <= _layer(here), (
            f"{path.relative_to(ROOT)}:{line} imports {target} (layer {_layer(target)}) from "
            f"layer {_layer(here)}"
        )


def test_no_import_cycles_between_modules():
    graph = {}
    for f in FILES:
        here = _module(f)
        graph[here] = {t for t, _ in _imports(f) if t != here and t in {_module(g) for g in FILES}}
    seen, stack = {}, []

    def visit(node):
        seen[node] = "open"
        stack.append(node)
        for nxt in graph.get(node, ()):
            if seen.get(nxt) == "open":
                raise AssertionError(
                    "import cycle: " + " -> ".join([*stack[stack.index(nxt) :], nxt])
                )
            if nxt not in seen:
                visit(nxt)
        stack.pop()
        seen[node] = "done"

    for node in graph:
        if node not in seen:
            visit(node)


def test_only_the_params_layer_opens_files_under_params():
    """Everything else reads parameters through simlib.params (the tree, the loaders)."""
    pattern = re.compile(r"read_yaml\(|read_csv\(|read_bytes\(|\.read_text\(|open\(")
    for f in FILES:
        layer = _module(f).split(".")[1] if "." in _module(f) else ""
        if layer in ("core", "params"):
            continue
        for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line) and "params" in line.lower():
                raise AssertionError(f"{f.relative_to(ROOT)}:{i} reads params: {line.strip()}")


def _step_order(text: str) -> list[str]:
    """Process names in the order a numbered list (``1. death — …``) gives them."""
    return re.findall(r"^\s*\d+\.\s+\**([a-z_]+)\**\s+[—-]", text, flags=re.MULTILINE)


def test_the_step_order_is_written_once_and_followed():
    names = [p.name for p in PROCESSES]
    assert _step_order(ElderCareModel.__doc__) == names
    arch = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert _step_order(arch) == names


def test_no_city_list_is_hard_coded():
    """The cities are those of params/cities/: no code lists them."""
    cities = {p.stem for p in (ROOT / "params" / "cities").glob("*.yaml")}
    for f in [*FILES, *(ROOT / "scripts").glob("*.py")]:
        text = f.read_text(encoding="utf-8")
        found = [c for c in cities if re.search(rf"[\"']{c}[\"']", text)]
        code = [c for c in found if not _only_in_docstrings(text, c)]
        assert len(code) < 3, f"{f.relative_to(ROOT)} names cities {code}"


def _only_in_docstrings(text: str, word: str) -> bool:
    tree = ast.parse(text)
    docs = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)):
            d = ast.get_docstring(node, clean=False)
            if d:
                docs.add(d)
    return all(
        word not in line or any(line.strip() in d for d in docs) for line in text.splitlines()
    )


FOLDERS = sorted({p.parent for p in FILES})


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_package_folder_has_a_readme_naming_its_modules(folder):
    readme = folder / "README.md"
    if folder != PKG:  # subpackages: their __init__ docstring is the README
        text = (folder / "__init__.py").read_text(encoding="utf-8")
    else:
        assert readme.exists(), folder
        text = readme.read_text(encoding="utf-8")
    for f in folder.glob("*.py"):
        if f.name in ("__init__.py", "__main__.py"):
            continue
        assert f.stem in text, f"{folder.relative_to(ROOT)}: {f.name} is not described"


def test_no_module_outside_the_kinds_names_a_kind():
    """Consumers ask the kind registry; only ``rules/benefits.py`` names a kind's class."""
    from simlib.rules.benefits import kinds

    names = [cls.__name__ for cls in kinds()]
    assert {"Cash", "InKind", "Placement"} <= set(names)  # the registry holds the built-ins
    found = []
    for path in sorted(PKG.rglob("*.py")):
        if path == PKG / "rules" / "benefits.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [
            f"{path.relative_to(ROOT)}:{node.lineno} {node.id}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Name) and node.id in names
        ]
        found += [
            f"{path.relative_to(ROOT)}:{node.lineno} imports {a.name}"
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            for a in node.names
            if a.name in names
        ]
    assert not found, "ask the kind registry instead of naming a kind:\n" + "\n".join(found)

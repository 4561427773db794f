"""Every code block of the README and of docs/ runs, so an example cannot go wrong unseen.

Blocks are found in ``README.md`` and ``docs/**/*.md`` (any block added later is covered) and
run per document, in document order, in one fresh folder per document:

* ``python``: each block alone, as a plain script (``python block.py``) in a fresh interpreter,
  as a reader who copies it would run it;
* ``bash``/``sh``/``shell``/``console``: with ``bash -euo pipefail``, ``python`` being this
  interpreter and ``simlib`` this checkout;
* ``yaml``: parsed; a block marked ``<!-- ci: file NAME -->`` on the line before its fence is
  also written to ``NAME`` in the document's folder before any block runs, so the
  document's commands use it as a reader would.

A block that cannot run in CI (a cluster, an install, the full report) is marked on the line
before its fence with ``<!-- ci: skip — REASON -->``. The marking is deliberate: it needs a
reason, and a skipped block is still checked for syntax (Python compiled, bash ``-n``, YAML
parsed). Blocks in any other language, or none, are refused: mark them or tag them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
PYTHON = ("python", "py", "python3")
BASH = ("bash", "sh", "shell", "console")
YAML = ("yaml", "yml")
HOW_TO_MARK = (
    "mark a block that cannot run in CI on the line before its fence with "
    "'<!-- ci: skip — REASON -->'; a YAML block other blocks read with "
    "'<!-- ci: file NAME -->'"
)
#: Seconds one block may run (the README's blocks are sized to take a few seconds each).
TIMEOUT_S = 600

FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w+-]*)[^\n]*$")
MARK = re.compile(r"<!--\s*ci:\s*(?P<kind>skip|file)\b\s*[—:-]*\s*(?P<arg>.*?)\s*-->")


@dataclass
class Block:
    """One fenced code block of a document."""

    doc: Path
    line: int  # of the opening fence, 1-based
    lang: str
    code: str
    mark: str | None = None  # "skip" or "file"
    arg: str = ""  # the skip's reason or the file's name

    @property
    def where(self) -> str:
        doc = self.doc.relative_to(ROOT) if self.doc.is_relative_to(ROOT) else self.doc.name
        return f"{doc}:{self.line}"


def blocks(doc: Path) -> list[Block]:
    """The fenced code blocks of a Markdown file, with the ci marker before each, if any."""
    lines = doc.read_text(encoding="utf-8").splitlines()
    out, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, start = m["indent"], i
        body = []
        i += 1
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i])
            i += 1
        prev = next((ln for ln in reversed(lines[:start]) if ln.strip()), "")
        mark = MARK.search(prev)
        out.append(
            Block(
                doc,
                start + 1,
                m["lang"].lower(),
                "\n".join(body) + "\n",
                mark["kind"] if mark else None,
                mark["arg"] if mark else "",
            )
        )
        i += 1
    return out


ALL = [b for doc in DOCS for b in blocks(doc)]
DOCS_WITH_BLOCKS = [d for d in DOCS if any(b.doc == d for b in ALL)]


def test_the_documents_have_blocks_and_the_parser_finds_them():
    readme = [b for b in ALL if b.doc.name == "README.md" and b.doc.parent == ROOT]
    assert {"python", "bash", "yaml"} <= {b.lang for b in readme}, readme


@pytest.mark.parametrize("block", ALL, ids=lambda b: b.where)
def test_every_block_is_runnable_or_deliberately_marked(block):
    assert block.lang in (*PYTHON, *BASH, *YAML), (
        f"{block.where}: a ```{block.lang or '(no language)'} block cannot be run; tag it "
        f"python, bash or yaml, or {HOW_TO_MARK}"
    )
    if block.mark == "skip":
        assert len(block.arg) >= 10, f"{block.where}: a skipped block must say why; {HOW_TO_MARK}"
    if block.mark == "file":
        assert block.lang in YAML and re.fullmatch(r"[\w.-]+\.ya?ml", block.arg), (
            f"{block.where}: 'ci: file' names the YAML file a block is written to, got "
            f"{block.arg!r}"
        )
    # even a skipped block must be valid: compiled, parsed, or bash -n
    if block.lang in PYTHON:
        compile(block.code, block.where, "exec")
    elif block.lang in YAML:
        yaml.safe_load(block.code)
    else:
        done = subprocess.run(["bash", "-n"], input=block.code, capture_output=True, text=True)
        assert done.returncode == 0, f"{block.where}: bash syntax: {done.stderr}"


def _env() -> dict[str, str]:
    """This interpreter as ``python`` and this checkout as ``simlib``."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PATH": path, "PYTHONPATH": pythonpath, "MPLBACKEND": "Agg"}


@pytest.mark.parametrize("doc", DOCS_WITH_BLOCKS, ids=lambda d: str(d.relative_to(ROOT)))
def test_every_block_of_the_document_runs(doc, tmp_path):
    mine = [b for b in ALL if b.doc == doc]
    for b in mine:
        if b.mark == "file":
            (tmp_path / b.arg).write_text(b.code, encoding="utf-8")
    env = _env()
    for n, b in enumerate(mine):
        if b.mark == "skip" or b.lang in YAML:
            continue  # YAML is parsed above; skipped blocks are checked for syntax only
        if b.lang in PYTHON:
            script = tmp_path / f"_block{n}.py"
            script.write_text(b.code, encoding="utf-8")
            cmd = [sys.executable, str(script)]
        else:
            cmd = ["bash", "-euo", "pipefail", "-c", b.code]
        done = subprocess.run(
            cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=TIMEOUT_S
        )
        assert done.returncode == 0, (
            f"{b.where}: the ```{b.lang} block failed (exit {done.returncode}); fix it, or "
            f"{HOW_TO_MARK}.\n--- stdout\n{done.stdout[-3000:]}\n--- stderr\n"
            f"{done.stderr[-3000:]}"
        )


def test_a_missing_reason_or_an_untagged_block_is_refused(tmp_path):
    doc = tmp_path / "x.md"
    doc.write_text(
        "<!-- ci: skip -->\n```bash\nls\n```\n\n```\nplain\n```\n\n"
        "<!-- ci: skip — needs a SLURM cluster -->\n```python\nx = 1\n```\n",
        encoding="utf-8",
    )
    found = blocks(doc)
    assert [(b.lang, b.mark, b.arg) for b in found] == [
        ("bash", "skip", ""),
        ("", None, ""),
        ("python", "skip", "needs a SLURM cluster"),
    ]
    for b in found[:2]:
        with pytest.raises(AssertionError, match="ci: skip"):
            test_every_block_is_runnable_or_deliberately_marked(b)
    test_every_block_is_runnable_or_deliberately_marked(found[2])

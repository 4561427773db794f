"""Paths as a reader should see them: never the absolute path of the machine that made them.

Results, manifests, figure footnotes, reports and command hints travel to other machines;
an absolute path there says where the builder kept their files, not what the run used.
:func:`shown` words a path relative to the working folder or the project (the checkout
holding ``simlib/``), or under ``~``; only a path outside all three stays as it is.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

#: The checkout (or site-packages folder) that holds the ``simlib`` package.
PROJECT = Path(__file__).resolve().parents[2]


def shown(path: str | os.PathLike, base: str | os.PathLike | None = None) -> str:
    """A path worded for outputs: relative to the working folder or project, else under ``~``.

    Args:
        path: Any path (a relative one is returned unchanged).
        base: Word it relative to this folder first (e.g. :data:`PROJECT` for a command
            run from the project folder), then as usual.

    Returns:
        ``"params/scenarios/x.yaml"``, ``"~/reforms/x.yaml"``, or the path itself when it
        lies outside the working folder, the project and the home folder.
    """
    p = Path(path).expanduser()
    if not p.is_absolute():
        return str(path)
    p = p.resolve()
    bases = [Path(base).expanduser().resolve()] if base is not None else []
    for b in (*bases, Path.cwd().resolve(), PROJECT):
        if p.is_relative_to(b) and p != b:
            return str(p.relative_to(b))
    home = Path.home().resolve()
    if p.is_relative_to(home) and p != home:
        return str(Path("~") / p.relative_to(home))
    return str(p)


#: An absolute POSIX path inside a text (up to a space or a separator of simlib's labels).
_ABSOLUTE = re.compile(r"(?<![\w.~/])/(?:[^\s·,;+()'\"]+)")


def shown_in(text: str) -> str:
    """Every absolute path inside a text (a label, a stacked scenario's name) :func:`shown`."""
    return _ABSOLUTE.sub(lambda m: shown(m.group(0)), text)


def portable(value):
    """A manifest (nested dicts and lists) with every string's absolute paths :func:`shown`."""
    if isinstance(value, str):
        return shown_in(value) if "/" in value else value
    if isinstance(value, dict):
        return {k: portable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [portable(v) for v in value]
    return value

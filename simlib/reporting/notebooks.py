"""Notebook tooling: keep ``.ipynb`` and their jupytext ``py:percent`` twins in step.

``python -m simlib.notebooks sync`` rebuilds every ``notebooks/*.ipynb`` from its ``.py``
twin and executes it, storing fresh outputs. It is the only way stored outputs change, so a
changed checked number shows up in review as a diff of the ``.ipynb``.

``python -m simlib.notebooks check`` fails when a notebook's cells differ from its twin.
"""

from __future__ import annotations

import sys
from pathlib import Path

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
#: Seconds one notebook may run before execution is stopped.
TIMEOUT_S = 900


def pairs(folder: Path = NOTEBOOK_DIR) -> list[tuple[Path, Path]]:
    """``(py, ipynb)`` paths of every paired notebook, in name order."""
    return [(py, py.with_suffix(".ipynb")) for py in sorted(folder.glob("[0-9]*.py"))]


def _cells(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def out_of_sync(folder: Path = NOTEBOOK_DIR) -> list[str]:
    """Names of notebooks whose ``.ipynb`` cells differ from their ``.py`` twin (or lack one)."""
    import jupytext
    import nbformat

    bad = []
    for py, ipynb in pairs(folder):
        if not ipynb.exists():
            bad.append(f"{ipynb.name} (missing)")
            continue
        if _cells(jupytext.read(py)) != _cells(nbformat.read(ipynb, as_version=4)):
            bad.append(ipynb.name)
    return bad


def execute(nb, cwd: Path, parameters: dict | None = None, timeout: int = TIMEOUT_S, clients=None):
    """Execute a notebook in place (kernel ``python3``), optionally overriding parameters.

    Parameters are injected papermill-style: a cell after the one tagged ``parameters``
    assigns the given literals.

    Args:
        nb: The notebook (changed in place).
        cwd: The kernel's working folder.
        parameters: Values injected after the ``parameters`` cell.
        timeout: Seconds a cell may run.
        clients: A list the notebook's client is appended to (so that a caller stopping
            the execution can stop its kernel: ``client.km``).
    """
    import nbformat
    from nbclient import NotebookClient

    if parameters:
        idx = next(
            (i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])),
            None,
        )
        if idx is None:
            raise ValueError("the notebook has no cell tagged 'parameters'")
        src = "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
        cell = nbformat.v4.new_code_cell(src, metadata={"tags": ["injected-parameters"]})
        nb.cells.insert(idx + 1, cell)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
        # The kernel's start-up notice about unencrypted local TCP is noise on a
        # single-user machine; errors still show.
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )
    if clients is not None:
        clients.append(client)
    client.execute()
    return nb


def sync(folder: Path = NOTEBOOK_DIR, names: list[str] | None = None) -> None:
    """Rebuild and execute each ``.ipynb`` from its ``.py`` twin (outputs stored)."""
    import jupytext
    import nbformat

    for py, ipynb in pairs(folder):
        if names and py.stem not in names:
            continue
        print(f"executing {py.name} …", flush=True)
        nb = jupytext.read(py)
        nb.metadata["jupytext"] = {"formats": "ipynb,py:percent"}
        nb.metadata["kernelspec"] = {
            "display_name": "Python 3",
            "language": "python",
            "name": "python3",
        }
        execute(nb, folder)
        nbformat.write(nb, ipynb)


def main(argv: list[str] | None = None) -> int:
    """``sync [NAME …]`` or ``check``."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in ("sync", "check"):
        print("usage: python -m simlib.notebooks sync [NAME ...] | check", file=sys.stderr)
        return 2
    if argv[0] == "sync":
        sync(names=argv[1:] or None)
        return 0
    bad = out_of_sync()
    for name in bad:
        print(f"out of sync with its .py twin: {name} (run: make notebooks-sync)", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The main job (``make run``): execute every notebook into a browsable report folder.

The report holds:

* ``notebooks/``: each notebook executed at its documented (CI-sized) defaults;
* ``html/``: their HTML renderings, figures embedded;
* ``tables/``: the tidy result tables (CSV) behind the notebooks;
* ``index.html``: links to all of the above.

The folder is built in a temporary directory next to the target and moved into place only
when every notebook succeeded, so a failed run leaves any previous report untouched.
"""

from __future__ import annotations

import html
import os
import shutil
import tempfile
import time
from pathlib import Path

#: Environment variable naming the folder where :func:`save_table` writes (set by the report).
TABLES_ENV = "SIMLIB_REPORT_TABLES"


def save_table(name: str, df) -> None:
    """Save a notebook's tidy result table into the report (no-op outside ``make run``).

    Args:
        name: File stem (``tables/<name>.csv``).
        df: The table.
    """
    folder = os.environ.get(TABLES_ENV)
    if folder:
        df.to_csv(Path(folder) / f"{name}.csv", index=False)


def result_tables() -> dict[str, object]:
    """Tables the report writes itself, besides those the notebooks save (name → DataFrame)."""
    from simlib.policy.explain import catalogue
    from simlib.reporting.tables import standards

    return {"catalogue": catalogue(), "standards_2025": standards(2025)}


def build_report(out: str | Path = "report", notebook_dir: Path | None = None) -> Path:
    """Execute all notebooks and write the report folder.

    Args:
        out: Report folder (replaced when the build succeeds).
        notebook_dir: Folder of the paired notebooks (``notebooks/`` by default).

    Returns:
        Path of ``index.html``.
    """
    import jupytext
    import nbformat
    from nbconvert import HTMLExporter
    from tqdm.auto import tqdm

    from simlib.reporting.notebooks import NOTEBOOK_DIR, execute, pairs

    notebook_dir = notebook_dir or NOTEBOOK_DIR
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".report-", dir=out.parent))
    try:
        for sub in ("notebooks", "html", "tables"):
            (tmp / sub).mkdir()
        rows = []
        exporter = HTMLExporter()
        todo = pairs(notebook_dir)
        os.environ[TABLES_ENV] = str(tmp / "tables")  # inherited by the notebook kernels
        for py, _ in tqdm(todo, desc="notebooks", unit="nb"):
            start = time.perf_counter()
            nb = jupytext.read(py)
            nb.metadata["kernelspec"] = {
                "display_name": "Python 3",
                "language": "python",
                "name": "python3",
            }
            execute(nb, notebook_dir)
            nbformat.write(nb, tmp / "notebooks" / f"{py.stem}.ipynb")
            body, _ = exporter.from_notebook_node(nb)
            (tmp / "html" / f"{py.stem}.html").write_text(body, encoding="utf-8")
            title = next(
                (
                    c.source.splitlines()[0].lstrip("# ")
                    for c in nb.cells
                    if c.cell_type == "markdown"
                ),
                py.stem,
            )
            rows.append((py.stem, title, time.perf_counter() - start))
        for name, df in result_tables().items():
            df.to_csv(tmp / "tables" / f"{name}.csv", index=False)
        tables = sorted(p.stem for p in (tmp / "tables").glob("*.csv"))
        (tmp / "index.html").write_text(_index(rows, tables), encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        os.environ.pop(TABLES_ENV, None)
        if tmp.exists():
            shutil.rmtree(tmp)
    print(f"report written to {out / 'index.html'}")
    return out / "index.html"


def _index(rows: list[tuple[str, str, float]], tables: list[str]) -> str:
    items = "\n".join(
        f'<li><a href="html/{s}.html">{html.escape(t)}</a> '
        f'(<a href="notebooks/{s}.ipynb">ipynb</a>, {sec:.0f} s)</li>'
        for s, t, sec in rows
    )
    tabs = "\n".join(f'<li><a href="tables/{t}.csv">{t}.csv</a></li>' for t in tables)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>simlib report</title>
<style>body{{font-family:sans-serif;max-width:50em;margin:2em auto;line-height:1.5}}</style>
</head><body>
<h1>simlib report — basic elderly care service systems of five cities</h1>
<p>Every notebook executed at its documented defaults. Numbers trace to the service-list
items in <code>params/</code>; see each notebook's summary of findings.</p>
<h2>Notebooks</h2><ol>{items}</ol>
<h2>Result tables</h2><ul>{tabs}</ul>
</body></html>
"""

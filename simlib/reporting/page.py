"""What a notebook page states about itself: its settings, its tables, its prose.

Every notebook opens with a :class:`Page`, which shows what the page's numbers rest on
(sample, replications, seed, simlib version, params hash) and carries it to every table it
shows, every figure it saves and every sentence it writes::

    page = Page("03_projection", sample=sample, reps=reps, seed=seed)
    page.table(headline_wide(res), "headline", caption="Headline, 2025-2035")
    page.figure(fig, "cost_by_year")
    page.say("Cost per person 60+ in 2025: {v:,.0f} yuan (se {se:.1f}).", v=..., se=...)

Prose is a template filled from computed values, so a sentence can never disagree with the
table beside it. Outside the report (:mod:`simlib.reporting.report`), tables and figures are
only shown; inside it they are also written to the report's ``tables/`` and ``figures/``
folders, each CSV with the provenance columns :data:`PROVENANCE`.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pandas as pd

#: Environment variable naming the report folder being built (set by the report builder).
REPORT_ENV = "SIMLIB_REPORT_DIR"
#: Columns added to every table saved into the report.
PROVENANCE = ("sample", "reps", "seed", "simlib_version", "params_sha256")


def _report_dir(sub: str) -> Path | None:
    folder = os.environ.get(REPORT_ENV)
    if not folder:
        return None
    path = Path(folder) / sub
    path.mkdir(parents=True, exist_ok=True)
    return path


def _stamp(run: dict, version: str, params_hash: str) -> str:
    """One line: what a table or figure rests on (a page without runs says so)."""
    tail = f"simlib {version} · params {params_hash[:10]}"
    if run.get("sample") is None:
        return f"from the params files (no simulation) · {tail}"
    return f"sample {run['sample']} · {run['reps']} reps · seed {run['seed']} · {tail}"


def _display(obj) -> None:
    try:
        from IPython.display import display

        display(obj)
    except ImportError:  # a plain script: print the text form
        print(obj if not hasattr(obj, "data") else obj.data)


class Page:
    """A notebook page: its settings, shown once and stamped on every output.

    Args:
        name: The notebook's name (file stem), used to name saved tables and figures.
        sample: Fraction of persons simulated in the page's headline runs.
        reps: Replications of those runs.
        seed: Base seed.
        **settings: Other settings the page's numbers depend on (shown in the header).
    """

    def __init__(self, name: str, sample=None, reps=None, seed=None, show: bool = True, **settings):
        import simlib
        from simlib.params import read_tree

        self.name = name
        self.settings = {"sample": sample, "reps": reps, "seed": seed, **settings}
        self.version = simlib.__version__
        self.params_hash = read_tree().hash
        self.stamp = _stamp(
            {"sample": sample, "reps": reps, "seed": seed},
            self.version,
            self.params_hash,
        )
        if show:
            self.header()

    def header(self) -> None:
        """Show what the page's numbers rest on (a Markdown block)."""
        from IPython.display import Markdown

        rows = [f"| {k} | {v} |" for k, v in self.settings.items() if v is not None]
        rows += [
            f"| simlib | {self.version} |",
            f"| params (sha256) | `{self.params_hash[:16]}` |",
            f"| executed | {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC |",
        ]
        _display(Markdown("| setting | value |\n|---|---|\n" + "\n".join(rows)))

    def provenance(self, source=None) -> dict:
        """Provenance fields of a table: from its run when given, else the page's settings."""
        if source is not None and hasattr(source, "meta"):
            m = source.meta
            return {
                "sample": m.get("sample"),
                "reps": source.n_reps,
                "seed": m.get("seed"),
                "simlib_version": m.get("simlib_version", self.version),
                "params_sha256": m.get("params_sha256", self.params_hash),
            }
        s = self.settings
        return {
            "sample": s.get("sample"),
            "reps": s.get("reps"),
            "seed": s.get("seed"),
            "simlib_version": self.version,
            "params_sha256": self.params_hash,
        }

    def table(
        self, df: pd.DataFrame, name: str, caption: str = "", source=None, digits: int = 1
    ) -> None:
        """Show a table with a caption stating what it rests on; save it into the report.

        Args:
            df: The table (tidy; a ``unit`` column where it holds quantities).
            name: File stem in the report's ``tables/`` (prefixed with the page's name).
            caption: What the table shows.
            source: The :class:`~simlib.experiments.result.Result` it comes from, if one
                (its own sample, replications and seed are stated).
            digits: Decimals shown for non-integer numbers.
        """
        prov = self.provenance(source)
        stamp = _stamp(prov, prov["simlib_version"], str(prov["params_sha256"]))
        folder = _report_dir("tables")
        if folder is not None:
            df.assign(**prov).to_csv(folder / f"{self.name}__{name}.csv", index=False)
        floats = [c for c in df.columns if pd.api.types.is_float_dtype(df[c])]
        styler = (
            df.style.hide(axis="index")
            .format(f"{{:,.{digits}f}}", subset=floats, na_rep="–")
            .set_caption(f"{caption}<br><small>{stamp}</small>" if caption else stamp)
        )
        _display(styler)

    def figure(self, fig, name: str) -> None:
        """Show a figure once, save it (PNG) into the report's ``figures/``, and close it.

        The figure is displayed here and closed, so it appears exactly once whatever the
        notebook's matplotlib backend does at the end of the cell. The plotting functions
        already write what the figure rests on in its footnote.
        """
        import matplotlib.pyplot as plt

        folder = _report_dir("figures")
        if folder is not None:
            fig.savefig(folder / f"{self.name}__{name}.png", dpi=120, bbox_inches="tight")
        _display(fig)
        plt.close(fig)

    def say(self, template: str, **values) -> None:
        """Show a sentence (Markdown) whose numbers come from ``values``, formatted by code.

        Args:
            template: ``str.format`` template, e.g. ``"{v:,.0f} yuan (se {se:.1f})"``.
            **values: The computed numbers. A NaN or missing value is an error, not a blank.
        """
        for k, v in values.items():
            if isinstance(v, (float, np.floating)) and np.isnan(v):
                raise ValueError(f"say(): {k} is NaN; a sentence cannot state it")
        text = template.format(**values)
        from IPython.display import Markdown

        _display(Markdown(text))

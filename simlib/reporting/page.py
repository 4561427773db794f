"""What a notebook page states about itself: its settings, its tables, its prose.

Every notebook opens with a :class:`Page`, which shows what the page's numbers rest on
(sample, replications, seed, simlib version, params hash) and carries it to every table it
shows, every figure it saves and every sentence it writes::

    page = Page("03_projection", sample=sample, reps=reps, seed=seed)
    page.table(headline_wide(res), "headline", caption="Headline, 2025-2035", source=res)
    page.figure(fig, "cost_by_year")
    page.say("Cost per person 60+ in 2025: {v:,.0f} yuan (se {se:.1f}).", v=..., se=...)

Prose is a template filled from computed values, so a sentence can never disagree with the
table beside it.

A table states the replications it rests on, not the page's request: ``run(target_rse=…)``
may add replications to some runs (one city 29 where the page asked for 10). A table's own
``reps`` column is kept as it is (never overwritten), and its caption states the range;
otherwise the replications are those of its ``source`` run(s) (one
:class:`~simlib.experiments.result.Result`, a dict or list of them, or a mapping of
``sample``/``reps``/``seed`` for draws made by hand), or ``source="params"`` for a table
read from the params files. On a page whose runs may add replications (it declares
``target_rse``), a table that says neither is an error, so no table can state the request
in place of what was run. :func:`replications` words the same for prose and footnotes.

Outside the report (:mod:`simlib.reporting.report`), tables and figures are
only shown; inside it they are also written to the report's ``tables/`` and ``figures/``
folders, each CSV with the provenance columns :data:`PROVENANCE`.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pandas as pd

from simlib.core.spreadsheet import safe_frame

#: Environment variable naming the report folder being built (set by the report builder).
REPORT_ENV = "SIMLIB_REPORT_DIR"
#: Columns that hold fractions (``rse``: se ÷ value; ``relative``: difference ÷ reference;
#: a payer's ``share_of_cost`` and the ``assumed_share`` of a cost, ``tables.by_payer``):
#: saved as fractions, shown as percentages.
PERCENT_COLUMNS = ("rse", "relative", "share_of_cost", "assumed_share")
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
    reps = run["reps"]
    reps = reps if isinstance(reps, str) else f"{reps} rep{'' if reps == 1 else 's'}"
    return f"sample {run['sample']} · {reps} · seed {run['seed']} · {tail}"


def _counts(source) -> dict[str, int]:
    """Replications per run of a source: ``{label: n}`` (labels are the runs' cities)."""
    if hasattr(source, "n_reps"):
        return {str(getattr(source, "meta", {}).get("city", "run")): int(source.n_reps)}
    if isinstance(source, dict):
        return {str(k): int(v.n_reps) for k, v in source.items()}
    out: dict[str, int] = {}
    for r in source:
        key = str(getattr(r, "meta", {}).get("city", f"run {len(out) + 1}"))
        out[key if key not in out else f"{key} ({len(out) + 1})"] = int(r.n_reps)
    return out


def replications(source, word: str = "replications") -> str:
    """How many replications the runs behind a table, a figure or a sentence have.

    Args:
        source: A :class:`~simlib.experiments.result.Result`, a dict ``{label: Result}``,
            a list of them, or a mapping ``{label: n}`` of counts.
        word: The noun (``"replications"`` in prose, ``"reps"`` in footnotes).

    Returns:
        ``"10 replications"`` when every run has the same number; otherwise the range and the
        runs that differ from the most common count, e.g.
        ``"10–29 replications (xiaoyi 29, the others 10)"``.
    """
    if isinstance(source, dict) and all(isinstance(v, (int, np.integer)) for v in source.values()):
        counts = {str(k): int(v) for k, v in source.items()}
    else:
        counts = _counts(source)
    values = sorted(set(counts.values()))
    if len(values) == 1:
        return f"{values[0]} {word}"
    common = max(values, key=lambda v: (list(counts.values()).count(v), -v))
    odd = ", ".join(f"{k} {v}" for k, v in counts.items() if v != common)
    rest = "the others" if list(counts.values()).count(common) > 1 else "the other"
    return f"{values[0]}–{values[-1]} {word} ({odd}, {rest} {common})"


def _reps_column(df: pd.DataFrame) -> str:
    """The replications a table's own ``reps`` column states, as one phrase."""
    reps = df["reps"].dropna().astype(int)
    for by in ("city", "population", "scenario", "list"):
        if by in df.columns and reps.groupby(df[by]).nunique().max() == 1:
            return replications(reps.groupby(df[by], sort=False).first().to_dict(), "reps")
    values = sorted(set(reps))
    if len(values) == 1:
        return f"{values[0]} reps"
    return f"{values[0]}–{values[-1]} reps (per row: column reps)"


def _plain_warnings() -> None:
    """Show simlib's warnings as ``UserWarning: message``, without the file that raised them.

    A page's stored outputs and the report travel; the default format starts with the
    absolute path of simlib's source (or of the kernel's cell file) on the machine that
    executed the page. Warnings from other packages keep the default format.
    """
    import warnings

    default = warnings.formatwarning
    if getattr(default, "simlib_plain", False):
        return
    package = str(Path(__file__).resolve().parents[1])

    def plain(message, category, filename, lineno, line=None):
        if str(filename).startswith(package) or "ipykernel_" in str(filename):
            return f"{category.__name__}: {message}\n"
        return default(message, category, filename, lineno, line)

    plain.simlib_plain = True
    warnings.formatwarning = plain


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
        _plain_warnings()
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
        """Provenance fields of a table: from its run(s) when given, else the page's settings.

        Args:
            source: What the table rests on (see :meth:`table`). With runs of different
                replications, ``reps`` is the phrase of :func:`replications`.
        """
        base = {"simlib_version": self.version, "params_sha256": self.params_hash}
        if isinstance(source, str) and source == "params":
            return {"sample": None, "reps": None, "seed": None, **base}
        if source is None:
            s = self.settings
            return {"sample": s.get("sample"), "reps": s.get("reps"), "seed": s.get("seed"), **base}
        if isinstance(source, dict) and "reps" in source and not hasattr(source["reps"], "meta"):
            return {**base, **{k: source.get(k) for k in ("sample", "reps", "seed")}}
        runs = (
            [source]
            if hasattr(source, "n_reps")
            else list(source.values() if isinstance(source, dict) else source)
        )
        metas = [getattr(r, "meta", {}) for r in runs]
        counts = {r.n_reps for r in runs}
        samples = list(dict.fromkeys(m.get("sample") for m in metas))
        seeds = list(dict.fromkeys(m.get("seed") for m in metas))
        return {
            "sample": samples[0] if len(samples) == 1 else " / ".join(map(str, samples)),
            "reps": counts.pop() if len(counts) == 1 else replications(source, "reps"),
            "seed": seeds[0] if len(seeds) == 1 else " / ".join(map(str, seeds)),
            "simlib_version": metas[0].get("simlib_version", self.version),
            "params_sha256": metas[0].get("params_sha256", self.params_hash),
        }

    def table(
        self, df: pd.DataFrame, name: str, caption: str = "", source=None, digits: int = 1
    ) -> None:
        """Show a table with a caption stating what it rests on; save it into the report.

        The replications stated are those the table's numbers rest on: the table's own
        ``reps`` column when it has one (kept in the CSV, never overwritten), else its
        ``source``'s. The saved CSV gains the :data:`PROVENANCE` columns it lacks.

        Args:
            df: The table (tidy; a ``unit`` column where it holds quantities).
            name: File stem in the report's ``tables/`` (prefixed with the page's name).
            caption: What the table shows.
            source: What it rests on: a :class:`~simlib.experiments.result.Result`, a dict
                or list of them, a mapping ``{"sample", "reps", "seed"}`` for draws made by
                hand, or ``"params"`` for a table read from the params files (no run).
            digits: Decimals shown for non-integer numbers.

        Raises:
            ValueError: When the page declares ``target_rse`` (its runs may add
                replications) and the table has neither a ``reps`` column nor a ``source``;
                or when runs with different replications stand behind a table without a
                ``reps`` column (one count per row is needed).
        """
        has_reps = "reps" in df.columns and df["reps"].notna().any()
        if source is None and not has_reps and "target_rse" in self.settings:
            raise ValueError(
                f"table {name!r}: say what it rests on: source=result (or a dict of results) "
                "or a 'reps' column; source='params' for a table read from the params files. "
                "target_rse may add replications, so the page's reps would misstate it"
            )
        prov = self.provenance(source)
        if isinstance(prov["reps"], str) and not has_reps:
            raise ValueError(
                f"table {name!r} rests on runs with {prov['reps']}: give it a 'reps' column "
                "(one count per row)"
            )
        if has_reps:
            prov = {**prov, "reps": _reps_column(df)}
        stamp = _stamp(prov, prov["simlib_version"], str(prov["params_sha256"]))
        folder = _report_dir("tables")
        if folder is not None:
            extra = {k: v for k, v in prov.items() if k not in df.columns}
            path = folder / f"{self.name}__{name}.csv"
            safe_frame(df.assign(**extra)).to_csv(path, index=False)
        floats = [c for c in df.columns if pd.api.types.is_float_dtype(df[c])]
        shares = [c for c in floats if c in PERCENT_COLUMNS]  # fractions, shown as %
        floats = [c for c in floats if c not in shares]
        styler = (
            df.style.hide(axis="index")
            .format(f"{{:,.{digits}f}}", subset=floats, na_rep="–")
            .format("{:+.2%}", subset=[c for c in shares if c == "relative"], na_rep="–")
            .format("{:.2%}", subset=[c for c in shares if c != "relative"], na_rep="–")
            .set_caption(f"{caption}<br><small>{stamp}</small>" if caption else stamp)
        )
        _display(styler)

    def rests_on(self, source) -> str:
        """The footnote line of a figure drawn from ``source`` (its own replications).

        Args:
            source: As for :meth:`table`.
        """
        prov = self.provenance(source)
        return _stamp(prov, prov["simlib_version"], str(prov["params_sha256"]))

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

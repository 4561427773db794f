"""Your scenario, built by hand or with an interactive panel, saved for the command line.

The scenario format (``docs/params_format.md``) can change any amount, eligibility bound or
target, from any year; these helpers write such a scenario from a few choices, check it
exactly as a run would, save it, and compare it — on its own or stacked on another scenario
such as ``targets_2025`` — with common random numbers::

    amounts("datong")                 # every amount of the list: cash yuan, multiples, units
    eligibility_bounds("datong")      # every age bound and group list of the eligibility rules
    modelled_targets("datong")        # every target the model measures
    scen = build_scenario("my reform", sets={
        ("datong.8", "benefit.cash[0].yuan"): (105, 2026),
        ("datong.13", "eligibility.all[0].min"): (55, 2026)})
    path = save_scenario("datong", scen, "results/scenarios/my_reform.yaml", on="targets_2025")
    out = compare_scenario("datong", path, [2025, 2026, 2030], on="targets_2025")
    out.table, out.notes, out.gains   # paired differences, what to know, who gains
    scenario_panel("datong")          # the same, with widgets

"compare" and "save" accept exactly the same scenarios: both go through
:func:`check_scenario`. The saved file runs unchanged from the CLI: ``python -m simlib run
--city datong --scenario targets_2025 results/scenarios/my_reform.yaml``.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from simlib.core.errors import ParamError
from simlib.experiments.run import run, scenario_label
from simlib.params import load_city, load_inputs, read_tree

#: What :func:`compare_scenario` reports: measure → (Chinese, English).
MEASURES = {
    "enrolled": ("享受服务人次", "enrolments (person-items)"),
    "fte": ("服务人员（全职当量）", "staff FTE"),
    "beds:institution_bed": ("机构床位", "institution beds"),
    "cost_yuan": ("清单支出（万元）", "service-list cost (万元)"),
}


def _band(when) -> str:
    """Who within an item a component is for, in words (never a condition's repr)."""
    from simlib.rules.conditions import Always

    if when is None or isinstance(when, Always):
        return "all eligible"
    lo, hi = getattr(when, "lo", None), getattr(when, "hi", None)
    if getattr(when, "attr", None) == "age" and lo is not None:
        return f"age {lo}–{hi}" if hi is not None else f"age {lo}+"
    return when.describe()


def modelled_targets(city: str) -> pd.DataFrame:
    """The targets of a city's plan that the model measures (and a scenario may move).

    Returns:
        target_id, name_zh, name_en, value, year, unit.
    """
    rows = [
        {
            "target_id": t.id,
            "name_zh": t.name_zh,
            "name_en": t.name_en,
            "value": t.value,
            "year": t.year,
            "unit": t.unit,
        }
        for t in load_city(city).targets
        if t.measure is not None
    ]
    return pd.DataFrame(rows)


def amounts(city: str) -> pd.DataFrame:
    """Every amount of a city's list a scenario may change: cash yuan, multiples, units.

    Returns:
        item_id, name_zh, name_en, kind (``yuan``, ``multiple`` of a standard, ``units``),
        band (who within the item), path (inside the item, for a scenario's ``set:``),
        value, per, and what (a readable one-line label).
    """
    rows = []
    for it in load_city(city).items:
        index: dict[str, int] = {}  # a component's place among its kind's entries
        for c in it.benefit.components:
            k = index[c.key] = index.get(c.key, -1) + 1
            for name, kind, value, unit in c.editable():  # each kind says what may change
                path = f"benefit.{c.key}[{k}].{name}"
                per = getattr(c, "per", "")
                rows.append((it, kind, _band(getattr(c, "when", None)), path, value, per, unit))
    return pd.DataFrame(
        [
            {
                "item_id": it.id,
                "name_zh": it.name_zh,
                "name_en": it.name_en,
                "kind": kind,
                "band": band,
                "path": path,
                "value": float(value),
                "per": per,
                "what": f"{it.id} {it.name_zh} ({band}): {float(value):,.4g} {unit}/{per}",
            }
            for it, kind, band, path, value, per, unit in rows
        ]
    )


def eligibility_bounds(city: str) -> pd.DataFrame:
    """Every age bound and group list in the eligibility rules of a city's items.

    Named definitions (``{ref: economic_hardship}``) are changed through the definition;
    they are not listed here.

    Returns:
        item_id, name_zh, name_en, attr, bound (``min``, ``max`` or ``in``), path (inside
        the item), value (years, or a list of labels), allowed (the labels a group list may
        hold), and what (a readable label).
    """
    from simlib.core.people import SCHEMA

    loaded = load_city(city)
    names = {it.id: it for it in loaded.items}
    rows = []

    def walk(node, path, it):
        if isinstance(node, dict):
            attr = node.get("attr")
            if attr is not None:
                for bound in ("min", "max"):
                    if bound in node:
                        rows.append((it, attr, bound, f"{path}.{bound}", node[bound], ()))
                if "in" in node:
                    allowed = SCHEMA[attr].labels if attr in SCHEMA else ()
                    rows.append((it, attr, "in", f"{path}.in", list(node["in"]), allowed))
            for k in ("all", "any"):
                for i, part in enumerate(node.get(k) or []):
                    walk(part, f"{path}.{k}[{i}]", it)
            if "not" in node:
                walk(node["not"], f"{path}.not", it)

    for raw in read_tree().yaml(f"services/{loaded.key}.yaml").get("items") or []:
        it = names.get(raw.get("id"))
        if it is not None and raw.get("eligibility"):
            walk(raw["eligibility"], "eligibility", it)
    columns = ["item_id", "name_zh", "name_en", "attr", "bound", "path", "value", "allowed"]
    return pd.DataFrame(
        [
            {
                "item_id": it.id,
                "name_zh": it.name_zh,
                "name_en": it.name_en,
                "attr": attr,
                "bound": bound,
                "path": path,
                "value": value,
                "allowed": list(allowed),
                "what": f"{it.id} {it.name_zh}: {attr} {_bound_text(bound, value)}",
            }
            for it, attr, bound, path, value, allowed in rows
        ],
        columns=[*columns, "what"],
    )


def _bound_text(bound: str, value) -> str:
    if bound == "min":
        return f"≥ {value}"
    if bound == "max":
        return f"≤ {value}"
    return "in {" + ", ".join(map(str, value)) + "}"


def build_scenario(
    description: str,
    cash: dict[tuple[str, int], tuple[float, int | None]] | None = None,
    targets: dict[str, tuple[float, int]] | None = None,
    sets: dict[tuple[str, str], tuple[Any, int | None]] | None = None,
) -> dict:
    """A scenario (the file format, as a dict) from amounts, eligibility bounds and targets.

    Args:
        description: One line saying what the reform is.
        cash: ``(item_id, component) → (yuan, from_year)``: a new fixed cash amount, from a
            year (None: from the start).
        targets: ``target_id → (value, year)``: a target's new value and year.
        sets: ``(item_id, path) → (value, from_year)``: any other value inside an item —
            an amount (:func:`amounts`: ``benefit.in_kind[0].n``) or an eligibility bound
            (:func:`eligibility_bounds`: ``eligibility.all[0].min``).

    Returns:
        The scenario as a dict (see :func:`save_scenario`); one change per item and year.
    """
    out: dict = {"description": description}
    merged: dict[tuple[str, int | None], dict] = {}
    for (item, k), (yuan, start) in (cash or {}).items():
        merged.setdefault((item, start), {})[f"benefit.cash[{int(k)}].yuan"] = float(yuan)
    for (item, path), (value, start) in (sets or {}).items():
        v = list(value) if isinstance(value, (list, tuple)) else value
        merged.setdefault((item, start), {})[path] = v
    changes = []
    for (item, start), paths in merged.items():
        change: dict = {"item": item}
        if start is not None:
            change["from"] = int(start)
        change["set"] = paths
        changes.append(change)
    if changes:
        out["changes"] = changes
    if targets:
        out["targets"] = {t: {"value": float(v), "year": int(y)} for t, (v, y) in targets.items()}
    return out


def _stack(scenario, on: str | None):
    """The scenario run: ``scenario`` alone, or stacked on ``on``."""
    return scenario if on in (None, "baseline") else [on, scenario]


def _years_of(scenario) -> list[int]:
    """Every year a scenario dates a change, a take-up ramp or a target."""
    from simlib.params.scenarios import read_scenario

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a stack's conflicts are said by check_scenario
        s = read_scenario(scenario, read_tree())
    return [
        *s.years,
        *(y for _, y in s.take_up.values()),
        *(y for _, y in s.targets.values() if y is not None),
    ]


def check_scenario(
    city: str, scenario, on: str | None = "baseline", end_year: int | None = None
) -> tuple[Any, list[str]]:
    """Check a scenario exactly as a run would; what "compare" and "save" both call.

    Args:
        city: The city.
        scenario: The scenario (name, path, dict).
        on: A scenario it is stacked on (``"targets_2025"``), or ``"baseline"``.
        end_year: The run's last year (by default the latest year the scenario names, and
            at least 2025).

    Returns:
        ``(inputs, notes)``: the loaded inputs, and one readable line per thing the user
        should know (a value outside its documented range, a change after the end year, a
        scenario that changes nothing, a conflict with the scenario it is stacked on).

    Raises:
        ParamError: Naming the key, when the scenario is invalid.
    """
    from simlib.experiments.run import scenario_notes

    full = _stack(scenario, on)
    end = end_year or max([2025, *_years_of(full)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        inputs = load_inputs(city, full)
    notes = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    notes += scenario_notes(inputs, end)
    return inputs, list(dict.fromkeys(notes))


def save_scenario(
    city: str,
    scenario: dict,
    path: str | Path,
    overwrite: bool = False,
    on: str | None = "baseline",
) -> Path:
    """Check a scenario as a run of ``city`` would (:func:`check_scenario`), then save it.

    Nothing is written when the scenario is invalid (the error names the key), and the
    file appears whole or not at all (temporary file, then rename).

    Args:
        city: The city the scenario is for.
        scenario: The scenario dict (:func:`build_scenario`).
        path: Where to write it (``.yaml``).
        overwrite: Replace an existing file.
        on: The scenario it is stacked on (checked together, as "compare" runs them).

    Returns:
        The path written.
    """
    import yaml

    path = Path(path)
    if path.suffix not in (".yaml", ".yml"):
        raise ParamError(f"{path}: a scenario file ends in .yaml")
    if path.exists() and not overwrite:
        raise ParamError(f"{path} exists; pass overwrite=True to replace it")
    check_scenario(city, scenario, on)  # raises ParamError naming the key; nothing written yet
    text = yaml.safe_dump(scenario, allow_unicode=True, sort_keys=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".yaml", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
    return path


@dataclass
class Comparison:
    """What :func:`compare_scenario` computed.

    Attributes:
        table: Per year compared × measure: baseline, scenario, difference with its 95 %
            interval and SE, relative, distinguishable, reps, unit (money in 万元).
        notes: One readable line per thing to know (warnings, target notes).
        base: The reference run (the baseline, or the scenario stacked on).
        alt: The scenario's run.
        gains: Who gains (:class:`simlib.experiments.gains.Gains`), if asked for.
        label: What the numbers rest on.
    """

    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    base: Any = None
    alt: Any = None
    gains: Any = None
    label: str = ""


def compare_scenario(
    city: str,
    scenario,
    years=(2025,),
    *,
    on: str | None = "baseline",
    sample: float = 0.01,
    reps: int = 2,
    seed: int = 1,
    gains_by: str | None = None,
    step: Callable[[int, int, str], None] | None = None,
    end_year: int | None = None,
    **kwargs,
) -> Comparison:
    """Scenario − reference in the years compared, for enrolment, staff, beds and cost.

    The one function the panel and notebook 07 compute with. Both runs share the seed and
    sample (common random numbers), and run to the latest of the years compared and the
    years the scenario names, so a change or target from 2026 is compared, not refused.

    Args:
        city: City key.
        scenario: A scenario (name, path or dict).
        years: The years compared (an int or several).
        on: The reference: ``"baseline"``, or a scenario the reform is stacked on
            (``"targets_2025"``: the reform's effect on top of it).
        sample: Sample of the runs.
        reps: Replications.
        seed: Seed (shared: common random numbers).
        gains_by: Also count who gains, by this grouping (``"age5"``, ``"sex"`` …).
        step: Called as ``step(done, total, what)`` before each run (a progress bar).
        end_year: Run to this year at least (a year's numbers do not depend on the years
            after it: a later end year reuses the population paths of longer runs).
        **kwargs: Passed to :func:`simlib.run` (cache, backend, workers).

    Returns:
        The :class:`Comparison`.
    """
    years = sorted({int(y) for y in ([years] if isinstance(years, int) else years)})
    full = _stack(scenario, on)
    end_year = max([*years, *_years_of(full), *([int(end_year)] if end_year else [])])
    _, notes = check_scenario(city, scenario, on, end_year)
    common = dict(sample=sample, reps=reps, seed=seed, end_year=end_year, **kwargs)
    total = 2 if gains_by else 1
    ref = on or "baseline"
    rows = []
    gains = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if step:
            step(0, total, f"running {ref} and the scenario")
        if scenario_label(ref) == scenario_label(full, 1):  # the reference against itself
            base = alt = run(city, ref, **common)
        else:  # one call: each replication's population path read once for both
            base, alt = run(city, scenarios=[ref, full], **common).values()
        if gains_by:
            from simlib.experiments.gains import who_gains

            if step:
                step(1, total, "counting who gains")
            gains = who_gains(
                city, full, ref, by=gains_by, years=years, sample=sample, reps=reps, seed=seed,
                end_year=end_year,
            )  # fmt: skip
            gains.summary([], years[-1])  # its replication warning, said here with the rest
        for m, (zh, en) in MEASURES.items():
            scale = 1e-4 if m == "cost_yuan" else 1.0
            try:
                d = alt.compare(base, m).set_index("year")
                b = base.totals(m).set_index("year")["value"]
            except ParamError:  # a measure no item of the list gives
                continue
            for y in years:
                if y not in d.index:
                    continue
                rows.append(
                    {
                        "year": y,
                        "measure": en,
                        "指标": zh,
                        "baseline": b.get(y, 0.0) * scale,
                        "scenario": (b.get(y, 0.0) + d.loc[y, "value"]) * scale,
                        "difference": d.loc[y, "value"] * scale,
                        "lower": d.loc[y, "lower"] * scale,
                        "upper": d.loc[y, "upper"] * scale,
                        "se": d.loc[y, "se"] * scale,
                        "relative": d.loc[y, "relative"],
                        "distinguishable": bool(d.loc[y, "distinguishable"]),
                        "reps": int(d.loc[y, "reps"]),
                        "unit": "万元" if m == "cost_yuan" else d.loc[y, "unit"],
                    }
                )
    notes += [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    notes += target_notes(city, scenario, base)
    if step:
        step(total, total, "done")
    table = pd.DataFrame(rows)
    table.attrs["label"] = alt.label
    return Comparison(table, list(dict.fromkeys(notes)), base, alt, gains, alt.label)


def target_notes(city: str, scenario, base) -> list[str]:
    """For each target a scenario states, what stating it does, in one line each.

    In the baseline, provision follows the documented take-up, not the plan's targets; a
    target stated in a scenario makes provision follow it (a share target sets its family's
    take-up to the target by its year; a count target's take-up is solved so the count is
    met). So restating a target at its documented value is not a no-op wherever the
    reference misses it, and lowering it still raises provision while it stays above what
    the reference delivers. The line says which, with the reference run's own numbers.

    Args:
        city: The city.
        scenario: The scenario (name, path, dict).
        base: The reference run (its take-up and its projected values), or None.

    Returns:
        One line per stated target.
    """
    from simlib.outcomes.targets import MEASURES as TARGET_MEASURES
    from simlib.outcomes.targets import evaluate_targets
    from simlib.params.scenarios import read_scenario

    stated = read_scenario(scenario, read_tree()).targets
    if not stated:
        return []
    documented = {t.id: t for t in load_city(city).targets}
    ev = evaluate_targets(base).set_index("target_id") if base is not None else None
    out = []
    for tid, (value, year) in stated.items():
        t = documented.get(tid)
        if t is None:
            continue
        year = year or t.year
        family, kind = TARGET_MEASURES.get(t.measure, (None, None))
        if family is None or kind in ("beds", "posts"):
            out.append(
                f"target {tid}: a capacity or staffing rule; a scenario reports it but does "
                "not drive provision by it, so stating it changes nothing"
            )
            continue

        def fmt(v, share=t.unit == "share"):
            return f"{v:.0%}" if share else f"{v:,.0f}"

        said = f"target {tid} ({fmt(t.value)} by {t.year} in the plan): "
        proj = float("nan")
        if ev is not None and tid in ev.index:
            proj = float(ev.loc[tid, "projected"])
        if pd.notna(proj):
            take = base.inputs.outcomes.take_up_for(family, t.year)
            said += (
                f"the {base.meta.get('scenario', 'reference')} run "
                f"{'meets' if proj >= t.value else 'misses'} it (projects {fmt(proj)} in "
                f"{t.year}, {family} take-up {take:.0%}). "
            )
        said += (
            f"Stated in a scenario, a target drives provision: {family} take-up is set to "
            f"{'the target' if kind == 'share' else 'what meets it'} by {year}"
        )
        misses = pd.isna(proj) or proj < t.value
        if value == t.value and year == t.year:
            said += ", so restating it at its documented value is not a no-op" + (
                " (the reference misses it)" if misses else ""
            )
        elif pd.isna(proj) or value > proj:
            said += (
                f"; at {fmt(value)} it is above what the reference delivers, so provision "
                "and cost rise"
                + (" even though it is lower than the plan's" if value < t.value else "")
            )
        out.append(said + ".")
    return out


def quick_compare(
    city: str,
    scenario,
    year=2025,
    *,
    sample: float = 0.01,
    reps: int = 2,
    seed: int = 1,
    end_year: int | None = None,
    on: str | None = "baseline",
    **kwargs,
) -> pd.DataFrame:
    """:func:`compare_scenario`'s table alone (kept for scripts written before it).

    Args:
        city: City key.
        scenario: A scenario (name, path or dict).
        year: Year(s) compared.
        sample: Sample of both runs.
        reps: Replications of both runs.
        seed: Seed (shared: common random numbers).
        end_year: Ignored (the runs end at the latest year compared or named).
        on: The reference (``"baseline"`` or a scenario the reform is stacked on).
        **kwargs: Passed to :func:`simlib.run` (cache, backend, workers).

    Returns:
        year, measure, 指标, baseline, scenario, difference, lower, upper, se, relative,
        distinguishable, reps, unit — money in 万元.
    """
    res = compare_scenario(
        city, scenario, year, on=on, sample=sample, reps=reps, seed=seed, **kwargs
    )
    return res.table


def _num(x) -> str:
    if pd.isna(x):
        return "—"
    return f"{x:,.1f}" if abs(x) < 100 else f"{x:,.0f}"


def _signed(x) -> str:
    if pd.isna(x):
        return "—"
    return f"{x:+,.1f}" if abs(x) < 100 else f"{x:+,.0f}"


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """A comparison table for people: thousands separators, no scientific notation, %.

    Args:
        table: :attr:`Comparison.table`.

    Returns:
        The same rows as text: counts and 万元 with separators (one decimal below 100),
        relative in %, the interval as one "lower – upper" column.
    """
    interval = [
        "—" if pd.isna(lo) else f"{_signed(lo)} – {_signed(hi)}"
        for lo, hi in zip(table["lower"], table["upper"], strict=True)
    ]
    return pd.DataFrame(
        {
            "year": table["year"].astype(int).astype(str),
            "指标 measure": table["指标"] + " · " + table["measure"],
            "baseline": table["baseline"].map(_num),
            "scenario": table["scenario"].map(_num),
            "difference": table["difference"].map(_signed),
            "95 % interval": interval,
            "relative": table["relative"].map(lambda x: "—" if pd.isna(x) else f"{x:+.1%}"),
            "clear?": table["distinguishable"].map({True: "yes", False: "no"}),
            "reps": table["reps"].astype(str),
            "unit": table["unit"],
        }
    )


def scenario_panel(
    city: str = "datong",
    folder: str | Path = "results/scenarios",
    *,
    sample: float = 0.01,
    reps: int = 2,
    seed: int = 1,
    year: int = 2025,
    years=None,
    on: str = "baseline",
):
    """An interactive panel: amounts, eligibility bounds and dates, targets; compare, save.

    Every row is live: an amount, a bound or a target set to something other than the
    list's own value is part of the scenario, and "keep" keeps it while another item is
    edited. The scenario is shown as the YAML file "save" writes, and "compare" runs exactly
    that (:func:`compare_scenario`; "save" checks it the same way). Runs use a small sample
    so that a comparison takes seconds; the saved file runs at any scale from the CLI.

    Args:
        city: The city shown first.
        folder: Where "save" writes ``<name>.yaml``.
        sample: Sample of the panel's runs.
        reps: Replications of the panel's runs.
        seed: Seed.
        year: A year compared (kept for scripts written before ``years``).
        years: The years compared (default: ``year``, 2026 and 2030).
        on: The scenario the reform is stacked on (``"baseline"``: none).

    Returns:
        The ipywidgets box (display it in a notebook).
    """
    import ipywidgets as w
    import yaml
    from IPython.display import display

    from simlib.params import cities, read_tree
    from simlib.params.scenarios import list_scenarios

    full = w.Layout(width="100%")
    wide = {"style": {"description_width": "initial"}}
    row = w.Layout(width="100%", flex_flow="row wrap", align_items="center")
    pick = w.Dropdown(options=list(cities()), value=city, description="city", **wide)
    base = w.Dropdown(
        options=list(dict.fromkeys(["baseline", *list_scenarios(read_tree())])),
        value=on,
        description="stacked on",
        **wide,
    )
    name = w.Text(value="my_reform", description="name", **wide)
    shown = years if years is not None else sorted({year, 2026, 2030})
    when_text = w.Text(value=", ".join(map(str, shown)), description="years compared", **wide)
    item = w.Dropdown(description="amount", layout=w.Layout(width="50%"), **wide)
    amount = w.FloatText(description="new amount", layout=w.Layout(width="24%"), **wide)
    amount_from = w.IntText(
        value=2026, description="amount from", layout=w.Layout(width="22%"), **wide
    )
    bound = w.Dropdown(description="eligibility", layout=w.Layout(width="50%"), **wide)
    bound_value = w.Text(description="new bound", layout=w.Layout(width="24%"), **wide)
    bound_from = w.IntText(
        value=2026, description="bound from", layout=w.Layout(width="22%"), **wide
    )
    target = w.Dropdown(description="target", layout=w.Layout(width="50%"), **wide)
    target_value = w.FloatText(description="new target", layout=w.Layout(width="24%"), **wide)
    target_year = w.IntText(description="by year", layout=w.Layout(width="22%"), **wide)
    keep = w.Button(description="keep these changes", layout=w.Layout(width="auto"))
    clear = w.Button(description="clear", layout=w.Layout(width="auto"))
    gains_by = w.Dropdown(
        options=[("no who-gains table", None), *[(g, g) for g in _groupings()]],
        description="who gains by",
        **wide,
    )
    go = w.Button(description="compare", button_style="primary")
    save = w.Button(description="save")
    bar = w.IntProgress(value=0, min=0, max=3, layout=w.Layout(width="30%", visibility="hidden"))
    status = w.Label()
    preview = w.HTML(layout=full)
    out = w.Output(layout=full)
    kept: dict = {"sets": {}, "targets": {}}
    lists: dict = {}

    def refill(_=None):
        lists["amounts"] = amounts(pick.value)
        lists["bounds"] = eligibility_bounds(pick.value)
        lists["targets"] = modelled_targets(pick.value)
        item.options = [(r.what, i) for i, r in enumerate(lists["amounts"].itertuples())]
        bound.options = [(r.what, i) for i, r in enumerate(lists["bounds"].itertuples())]
        target.options = [("(none)", None)] + [
            (f"{r.target_id}: {r.value:,.4g} {r.unit} by {r.year}", r.target_id)
            for r in lists["targets"].itertuples()
        ]
        kept["sets"].clear()
        kept["targets"].clear()
        # ipywidgets 8 selects nothing when options change: the first amount and bound
        item.index = 0 if item.options else None
        bound.index = 0 if bound.options else None
        target.index = 0
        on_item()
        on_bound()
        show()

    def on_item(_=None):
        if item.value is not None:
            amount.value = float(lists["amounts"].iloc[item.value]["value"])
        show()

    def on_bound(_=None):
        if bound.value is not None:
            r = lists["bounds"].iloc[bound.value]
            bound_value.value = _bound_input(r["value"])
        show()

    def on_target(_=None):
        if target.value:
            t = lists["targets"].set_index("target_id").loc[target.value]
            target_value.value, target_year.value = float(t["value"]), int(t["year"])
        show()

    def live() -> tuple[dict, dict]:
        """The kept changes and the rows' current edits that differ from the list."""
        sets = dict(kept["sets"])
        goals = dict(kept["targets"])
        if item.value is not None:
            r = lists["amounts"].iloc[item.value]
            if amount.value != r["value"]:
                sets[(r["item_id"], r["path"])] = (amount.value, amount_from.value or None)
        if bound.value is not None:
            r = lists["bounds"].iloc[bound.value]
            v = _bound_parse(bound_value.value, r)
            if v != r["value"]:
                sets[(r["item_id"], r["path"])] = (v, bound_from.value or None)
        if target.value:
            goals[target.value] = (target_value.value, target_year.value)
        return sets, goals

    def current() -> dict:
        sets, goals = live()
        return build_scenario(f"{name.value} (panel, {pick.value})", targets=goals, sets=sets)

    def show(_=None):
        try:
            text = yaml.safe_dump(current(), allow_unicode=True, sort_keys=False)
        except ParamError as err:
            text = f"# {err}"
        stack = "" if base.value == "baseline" else f" (stacked on {base.value})"
        preview.value = (
            f"<details open><summary>the scenario{stack}: what compare runs and save writes"
            f"</summary><pre style='white-space:pre-wrap'>{_html(text)}</pre></details>"
        )

    def on_keep(_):
        sets, goals = live()
        kept["sets"].update(sets)
        kept["targets"].update(goals)
        show()

    def on_clear(_):
        kept["sets"].clear()
        kept["targets"].clear()
        on_item()
        on_bound()
        target.index = 0

    def step(done, total, what):
        bar.max, bar.value = total, done
        status.value = f"{what} … ({done} of {total})" if done < total else ""

    def on_go(_):
        out.clear_output()
        with out:
            try:
                chosen = _years(when_text.value)
                bar.layout.visibility = "visible"
                res = compare_scenario(
                    pick.value,
                    current(),
                    chosen,
                    on=base.value,
                    sample=sample,
                    reps=reps,
                    seed=seed,
                    gains_by=gains_by.value,
                    step=step,
                )
            except ParamError as err:
                print(f"not compared: {err}")
                return
            finally:
                bar.layout.visibility = "hidden"
                status.value = ""
            for line in res.notes:
                print(f"⚠ {line}")
            print(res.label)
            display(readable(res.table).style.hide(axis="index"))
            if res.gains is not None:
                from simlib.reporting.distribution import gains_table

                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # the replications are stated above
                    display(gains_table(res.gains, max(chosen), zh=True).style.hide(axis="index"))

    def on_save(_):
        with out:
            try:
                path = save_scenario(
                    pick.value,
                    current(),
                    Path(folder) / f"{name.value}.yaml",
                    True,
                    on=base.value,
                )
            except ParamError as err:
                print(f"not saved: {err}")
                return
            stack = "" if base.value == "baseline" else f"{base.value} "
            print(
                f"saved {_shown_path(path)}; run it: python -m simlib run --city {pick.value} "
                f"--scenario {stack}{_shown_path(path)}"
            )

    pick.observe(refill, "value")
    item.observe(on_item, "value")
    bound.observe(on_bound, "value")
    target.observe(on_target, "value")
    for widget in (
        amount,
        amount_from,
        bound_value,
        bound_from,
        target_value,
        target_year,
        name,
        base,
    ):
        widget.observe(show, "value")  # fmt: skip
    keep.on_click(on_keep)
    clear.on_click(on_clear)
    go.on_click(on_go)
    save.on_click(on_save)
    refill()
    return w.VBox(
        [
            w.HBox([pick, base, name, when_text], layout=row),
            w.HBox([item, amount, amount_from], layout=row),
            w.HBox([bound, bound_value, bound_from], layout=row),
            w.HBox([target, target_value, target_year], layout=row),
            w.HBox([keep, clear, gains_by, go, save, bar, status], layout=row),
            preview,
            out,
        ],
        layout=full,
    )


def _groupings() -> list[str]:
    from simlib.outcomes.groups import GROUPINGS

    return list(GROUPINGS)


def _html(text: str) -> str:
    import html

    return html.escape(text)


def _shown_path(path: Path) -> str:
    """A path as a reader should see it: relative to the working folder when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _bound_input(value) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _bound_parse(text: str, row) -> Any:
    """An eligibility bound typed in the panel: an age, or labels separated by commas."""
    text = str(text).strip()
    if row["bound"] in ("min", "max"):
        try:
            return int(text)
        except ValueError:
            raise ParamError(f"{row['what']}: expected whole years, got {text!r}") from None
    labels = [t.strip() for t in text.split(",") if t.strip()]
    bad = [t for t in labels if row["allowed"] and t not in row["allowed"]]
    if bad or not labels:
        raise ParamError(
            f"{row['what']}: {', '.join(bad) or 'nothing'} — allowed: {', '.join(row['allowed'])}"
        )
    return labels


def _years(text: str) -> list[int]:
    """Years typed as ``2025, 2026, 2030`` (or a range ``2025-2030``)."""
    out: list[int] = []
    for part in str(text).replace(" ", "").split(","):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        try:
            a, b = int(lo), int(hi or lo)
        except ValueError:
            raise ParamError(f"years compared: cannot read {part!r} (write 2025, 2030)") from None
        if not 2021 <= a <= b <= 2050:
            raise ParamError(f"years compared: {part} is outside 2021–2050")
        out += range(a, b + 1)
    if not out:
        raise ParamError("years compared: give at least one year")
    return sorted(set(out))

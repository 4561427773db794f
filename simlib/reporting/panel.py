"""Your scenario, built by hand or with an interactive panel, saved for the command line.

The scenario format (``docs/params_format.md``) can raise an allowance, change a target or
delay it; these helpers write such a scenario from a few choices, check it exactly as a run
would, save it, and compare it with the baseline under common random numbers::

    choices = cash_amounts("datong")          # every fixed cash amount a list pays
    goals = modelled_targets("datong")        # every target the model measures
    scen = build_scenario("my reform", cash={("datong.8", 0): (100, 2026)},
                          targets={"datong.visit_rate_2025": (0.8, 2026)})
    path = save_scenario("datong", scen, "results/scenarios/my_reform.yaml")
    quick_compare("datong", path, sample=0.01, reps=2)      # paired differences
    scenario_panel("datong")                                # the same, with widgets

The saved file runs unchanged from the CLI: ``python -m simlib run --city datong
--scenario results/scenarios/my_reform.yaml``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from simlib.core.errors import ParamError
from simlib.experiments.run import run
from simlib.params import load_city, load_inputs
from simlib.rules.benefits import Cash

#: What :func:`quick_compare` reports: measure → (Chinese, English).
MEASURES = {
    "enrolled": ("享受服务人次", "enrolments (person-items)"),
    "fte": ("服务人员（全职当量）", "staff FTE"),
    "beds:institution_bed": ("机构床位", "institution beds"),
    "cost_yuan": ("清单支出（万元）", "service-list cost (万元)"),
}


def cash_amounts(city: str) -> pd.DataFrame:
    """Every fixed cash amount of a city's list.

    Amounts set as a multiple of a standard are changed through the standard instead.

    Returns:
        item_id, name_zh, name_en, component (index among the item's cash entries), band
        (who within the item), yuan, per.
    """
    rows = []
    for it in load_city(city).items:
        cash = [c for c in it.benefit.components if isinstance(c, Cash)]
        for k, c in enumerate(cash):
            if c.yuan is None:
                continue
            rows.append(
                {
                    "item_id": it.id,
                    "name_zh": it.name_zh,
                    "name_en": it.name_en,
                    "component": k,
                    "band": _band(c.when),
                    "yuan": float(c.yuan),
                    "per": c.per,
                }
            )
    return pd.DataFrame(rows)


def _band(when) -> str:
    if when is None:
        return "all eligible"
    lo, hi = getattr(when, "lo", None), getattr(when, "hi", None)
    if getattr(when, "attr", None) == "age" and lo is not None:
        return f"age {lo}–{hi}" if hi is not None else f"age {lo}+"
    return str(when)


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


def build_scenario(
    description: str,
    cash: dict[tuple[str, int], tuple[float, int | None]] | None = None,
    targets: dict[str, tuple[float, int]] | None = None,
) -> dict:
    """A scenario (the file format, as a dict) from amounts and targets.

    Args:
        description: One line saying what the reform is.
        cash: ``(item_id, component) → (yuan, from_year)``: a new amount per period, from
            a year (None: from the start).
        targets: ``target_id → (value, year)``: a target's new value and year.

    Returns:
        The scenario as a dict (see :func:`save_scenario`).
    """
    out: dict = {"description": description}
    changes = []
    for (item, k), (yuan, start) in (cash or {}).items():
        change = {"item": item, "set": {f"benefit.cash[{int(k)}].yuan": float(yuan)}}
        if start is not None:
            change["from"] = int(start)
        changes.append(change)
    if changes:
        out["changes"] = changes
    if targets:
        out["targets"] = {t: {"value": float(v), "year": int(y)} for t, (v, y) in targets.items()}
    return out


def save_scenario(city: str, scenario: dict, path: str | Path, overwrite: bool = False) -> Path:
    """Check a scenario exactly as a run of ``city`` would, then write it as YAML.

    Nothing is written when the scenario is invalid (the error names the key), and the
    file appears whole or not at all (temporary file, then rename).

    Args:
        city: The city the scenario is for.
        scenario: The scenario dict (:func:`build_scenario`).
        path: Where to write it (``.yaml``).
        overwrite: Replace an existing file.

    Returns:
        The path written.
    """
    import yaml

    path = Path(path)
    if path.suffix not in (".yaml", ".yml"):
        raise ParamError(f"{path}: a scenario file ends in .yaml")
    if path.exists() and not overwrite:
        raise ParamError(f"{path} exists; pass overwrite=True to replace it")
    load_inputs(city, scenario)  # raises ParamError naming the key; nothing written yet
    text = yaml.safe_dump(scenario, allow_unicode=True, sort_keys=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".yaml", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
    return path


def quick_compare(
    city: str,
    scenario,
    year: int = 2025,
    *,
    sample: float = 0.01,
    reps: int = 2,
    seed: int = 1,
    end_year: int | None = None,
    **kwargs,
) -> pd.DataFrame:
    """Scenario − baseline in ``year`` for enrolment, staff, beds and cost (paired).

    Args:
        city: City key.
        scenario: A scenario (name, path or dict).
        year: Year compared.
        sample: Sample of both runs.
        reps: Replications of both runs.
        seed: Seed (shared: common random numbers).
        end_year: Last simulated year (``year`` by default: the quickest run).
        **kwargs: Passed to :func:`simlib.run` (cache, backend, workers).

    Returns:
        measure, 指标, baseline, scenario, difference, lower, upper, se, relative,
        distinguishable, reps, unit — money in 万元.
    """
    common = dict(sample=sample, reps=reps, seed=seed, end_year=end_year or year, **kwargs)
    base = run(city, "baseline", **common)
    alt = run(city, scenario, **common)
    rows = []
    for m, (zh, en) in MEASURES.items():
        scale = 1e-4 if m == "cost_yuan" else 1.0
        d = alt.compare(base, m).set_index("year").loc[year]
        b = base.totals(m).set_index("year").loc[year, "value"]
        rows.append(
            {
                "measure": en,
                "指标": zh,
                "baseline": b * scale,
                "scenario": (b + d["value"]) * scale,
                "difference": d["value"] * scale,
                "lower": d["lower"] * scale,
                "upper": d["upper"] * scale,
                "se": d["se"] * scale,
                "relative": d["relative"],
                "distinguishable": bool(d["distinguishable"]),
                "reps": int(d["reps"]),
                "unit": "万元" if m == "cost_yuan" else d["unit"],
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["label"] = alt.label
    return out


def scenario_panel(
    city: str = "datong",
    folder: str | Path = "results/scenarios",
    *,
    sample: float = 0.01,
    reps: int = 2,
    seed: int = 1,
    year: int = 2025,
):
    """An interactive panel: pick a city, move amounts and targets, compare, save.

    Runs use a small sample so that a comparison takes seconds; the saved file runs at any
    scale from the CLI or :func:`simlib.run`.

    Args:
        city: The city shown first.
        folder: Where "save" writes ``<name>.yaml``.
        sample: Sample of the panel's runs.
        reps: Replications of the panel's runs.
        seed: Seed.
        year: Year compared.

    Returns:
        The ipywidgets box (display it in a notebook).
    """
    import ipywidgets as w
    from IPython.display import display

    from simlib.params import cities

    pick = w.Dropdown(options=list(cities()), value=city, description="city")
    item = w.Dropdown(description="amount", layout=w.Layout(width="60%"))
    yuan = w.FloatText(description="yuan")
    start = w.IntText(value=year, description="from")
    target = w.Dropdown(description="target", layout=w.Layout(width="60%"))
    value = w.FloatText(description="value")
    when = w.IntText(description="by year")
    name = w.Text(value="my_reform", description="name")
    go, save = w.Button(description="compare"), w.Button(description="save")
    out = w.Output()

    def refill(_=None):
        amounts = cash_amounts(pick.value)
        item.options = [
            (f"{r.item_id} {r.name_zh} ({r.band}): {r.yuan:g}/{r.per}", (r.item_id, r.component))
            for r in amounts.itertuples()
        ]
        goals = modelled_targets(pick.value)
        target.options = [("(none)", None)] + [
            (f"{r.target_id}: {r.value:g} {r.unit} by {r.year}", r.target_id)
            for r in goals.itertuples()
        ]
        # ipywidgets 8 selects nothing when options change: show the first amount, no target
        item.index = 0 if item.options else None
        target.index = 0

    def current() -> dict:
        cash = {item.value: (yuan.value, start.value)} if item.value else {}
        goals = {target.value: (value.value, when.value)} if target.value else {}
        return build_scenario(f"{name.value} (panel, {pick.value})", cash, goals)

    def on_item(_=None):
        if item.value:
            a = cash_amounts(pick.value).set_index(["item_id", "component"])
            yuan.value = float(a.loc[item.value, "yuan"])

    def on_target(_=None):
        if target.value:
            t = modelled_targets(pick.value).set_index("target_id").loc[target.value]
            value.value, when.value = float(t["value"]), int(t["year"])

    def on_go(_):
        out.clear_output()
        with out:
            try:
                display(
                    quick_compare(pick.value, current(), year, sample=sample, reps=reps, seed=seed)
                )
            except ParamError as err:
                print(f"invalid scenario: {err}")

    def on_save(_):
        with out:
            try:
                path = save_scenario(
                    pick.value, current(), Path(folder) / f"{name.value}.yaml", True
                )
                print(
                    f"saved {path}; run it: python -m simlib run --city {pick.value} "
                    f"--scenario {path}"
                )
            except ParamError as err:
                print(f"not saved: {err}")

    pick.observe(refill, "value")
    item.observe(on_item, "value")
    target.observe(on_target, "value")
    go.on_click(on_go)
    save.on_click(on_save)
    refill()
    on_item()
    return w.VBox(
        [
            pick,
            w.HBox([item, yuan, start]),
            w.HBox([target, value, when]),
            w.HBox([name, go, save]),
            out,
        ]
    )

# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 07 · Your scenario: write a reform, run it against the baseline, save it (自定义情景)
#
# **Question.** What would *your* reform change? This page builds a scenario from scratch —
# an allowance raised from a given year, a target changed and its year delayed — checks it
# exactly as a run would, runs it against the baseline with the same seed (paired,
# common random numbers), shows the differences with their intervals, and saves the
# scenario file so the command line reproduces the run. At the end an interactive panel
# does the same for any city in seconds, at a small sample.
#
# The scenario format is documented in `docs/params_format.md` (`changes:` for any item,
# standard, definition or outcome parameter, dated with `from:`; `targets:` for alternative
# targets, which the model turns into take-up paths that meet them).

# %% tags=["parameters"]
city = "datong"
allowance_item = "datong.8"
allowance_component = 0
allowance_yuan = 100
allowance_from = 2026
target_id = "datong.visit_rate_2025"
target_value = 0.8
target_year = 2026
compare_years = [2025, 2026, 2030]
scenario_name = "my_reform"
scenario_dir = "../results/scenarios"
panel_sample = 0.01
sample = 0.02
reps = 2
seed = 1
cache = None
backend = "serial"
workers = 1

# %%
from pathlib import Path

import pandas as pd

import simlib
from simlib.outcomes.targets import evaluate_targets
from simlib.reporting import plotting
from simlib.reporting.page import Page
from simlib.reporting.panel import (
    build_scenario,
    cash_amounts,
    modelled_targets,
    save_scenario,
    scenario_panel,
)

page = Page("07_your_scenario", sample=sample, reps=reps, seed=seed, city=city)
runs = dict(sample=sample, reps=reps, seed=seed, cache=cache, backend=backend, workers=workers)
ctx = simlib.load_city(city).context

# %% [markdown]
# ## 1. What can be changed
#
# Every fixed cash amount of the city's list (amounts defined as a multiple of a standard
# change through the standard), and every target the model measures.

# %%
page.table(cash_amounts(city), "cash_amounts", f"{ctx.name_zh} {ctx.name_en}: cash amounts")
page.table(modelled_targets(city), "targets", f"{ctx.name_zh} {ctx.name_en}: modelled targets")

# %% [markdown]
# ## 2. The scenario, written and checked
#
# `save_scenario` applies the scenario to the city's parameters exactly as a run does and
# writes the file only if that succeeds (a bad item, path or value is an error naming it).

# %%
amounts = cash_amounts(city).set_index(["item_id", "component"])
old_yuan = float(amounts.loc[(allowance_item, allowance_component), "yuan"])
old_target = modelled_targets(city).set_index("target_id").loc[target_id]
scenario = build_scenario(
    f"{ctx.name_en}: {allowance_item} from {old_yuan:g} to {allowance_yuan:g} yuan from "
    f"{allowance_from}; {target_id} at {target_value:g} by {target_year}",
    cash={(allowance_item, allowance_component): (allowance_yuan, allowance_from)},
    targets={target_id: (target_value, target_year)},
)
path = save_scenario(city, scenario, Path(scenario_dir) / f"{scenario_name}.yaml", overwrite=True)
print(path.read_text(encoding="utf-8"))

# %% [markdown]
# ## 3. Run it against the baseline

# %%
end_year = max(compare_years)
base = simlib.run(city, "baseline", end_year=end_year, progress=True, **runs)
mine = simlib.run(city, str(path), end_year=end_year, progress=True, **runs)
print(base, mine, sep="\n")

# %% [markdown]
# Paired differences (scenario − baseline) by year, with their 95 % interval and standard
# error; `distinguishable` says whether the interval excludes zero. Money in 万元.

# %%
rows = []
for measure, (zh, en) in {
    "enrolled": ("享受服务人次", "enrolments (person-items)"),
    "fte": ("服务人员（全职当量）", "staff FTE"),
    "beds:institution_bed": ("机构床位", "institution beds"),
    "cost_yuan": ("清单支出", "service-list cost"),
}.items():
    d = mine.compare(base, measure)
    d = d[d["year"].isin(compare_years)].assign(measure=en, 指标=zh)
    if measure == "cost_yuan":
        d[["value", "lower", "upper", "se"]] *= 1e-4
        d["unit"] = "万元"
    rows.append(d)
diff = pd.concat(rows, ignore_index=True)[
    [
        "measure",
        "指标",
        "year",
        "value",
        "lower",
        "upper",
        "se",
        "relative",
        "distinguishable",
        "reps",
        "unit",
    ]
]
page.table(diff, "differences", "Your scenario − baseline", source=mine)

# %%
fig = plotting.compare(
    mine, base, "cost_yuan", title="清单支出差异 Cost difference, scenario − baseline"
)
page.figure(fig, "cost_difference")

# %% [markdown]
# The changed target, evaluated on the scenario's own run: the take-up path was derived
# so that the projected value meets the new target in its new year.

# %%
ev = evaluate_targets(mine)
ev = ev[ev["target_id"] == target_id][
    ["target_id", "name_zh", "name_en", "year", "unit", "target", "projected", "met"]
]
page.table(
    ev.reset_index(drop=True), "target", "The changed target under your scenario", source=mine
)
paths = pd.DataFrame(mine.meta.get("target_paths", []))
if len(paths):
    page.table(paths, "target_paths", "How the target is met (derived take-up)", source=mine)

# %% [markdown]
# ## 4. Reproduce it from the command line
#
# The saved file is the whole reform; its content and hash go into the run's manifest.

# %%
from simlib.core.paths import PROJECT, shown  # noqa: E402  (a path as the project sees it)

print(  # run from the project folder
    f"python -m simlib run --city {city} --scenario {shown(path.resolve(), PROJECT)} --sample {sample} "
    f"--reps {reps} "
    f"--seed {seed} --end-year {end_year} --out results/{scenario_name}"
)
print("scenario sha256:", simlib.read_scenario(str(path), simlib.params.read_tree()).hash)

# %% [markdown]
# ## Summary of findings

# %%
# NBVAL_CHECK_OUTPUT
last = max(compare_years)
cost = diff[(diff["measure"] == "service-list cost") & (diff["year"] == last)].iloc[0]
enrol = diff[(diff["measure"] == "enrolments (person-items)") & (diff["year"] == last)].iloc[0]
page.say(
    "- Raising {item} from {old:g} to {new:g} yuan from {start} and setting {target} to "
    "{tv:g} by {ty} (was {ov:g} by {oy}) changes {zh} {en}'s list cost in {last} by "
    "{cost:+,.0f} 万元 ({rel:+.1%}; 95 % interval {lo:+,.0f} to {hi:+,.0f}) and enrolments by "
    "{enrol:+,.0f} person-items.\n"
    "- Projected {target} in {ty}: {proj:.3g} against the new target {tv:g}.\n"
    "- Sample {sample}, {reps} replications, seed {seed}; the scenario file is {path}.",
    item=allowance_item,
    old=old_yuan,
    new=allowance_yuan,
    start=allowance_from,
    target=target_id,
    tv=target_value,
    ty=target_year,
    ov=float(old_target["value"]),
    oy=int(old_target["year"]),
    zh=ctx.name_zh,
    en=ctx.name_en,
    last=last,
    cost=float(cost["value"]),
    rel=float(cost["relative"]),
    lo=float(cost["lower"]),
    hi=float(cost["upper"]),
    enrol=float(enrol["value"]),
    proj=float(ev["projected"].iloc[0]),
    sample=sample,
    reps=reps,
    seed=seed,
    path=path.name,
)

# %% [markdown]
# ## 5. Try your own: the interactive panel
#
# Pick a city, an amount and a target, press **compare** (a run at `panel_sample` takes a
# few seconds), and **save** what you set as `<name>.yaml` in `scenario_dir`. The panel
# needs a live kernel (it shows nothing in the static report).

# %%
scenario_panel(city, scenario_dir, sample=panel_sample, reps=reps, seed=seed)

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
# # 04 · The 2025 targets: attainment, gaps and what closing them takes (2025年目标)
#
# **Question.** Which of each city's quantified 2024/2025 targets (发展目标) does the
# baseline meet, how large are the gaps, and what do the alternative-target scenarios
# (`params/scenarios/`) change in enrolment, staff, beds and cost?
#
# How to read: all scenarios of a city share the seed, so replication *r* of each rests on
# the same population draws (common random numbers) and the differences from the baseline
# are paired: their intervals are far narrower than either run's, and `distinguishable`
# says whether a difference's 95 % interval excludes zero. Targets the model cannot
# measure (facility ratings, coverage of places, administrative rules) are listed whole,
# each with the reason.
#
# The runs end in `end_year` (2027: the latest year a scenario here names, `targets_slow`
# meeting the targets two years late). A year's numbers do not depend on the years after
# it, so they are evaluated on the first years of the population paths the other pages
# simulated to 2035, not simulated again; `target_rse` adds replications until every
# headline total to 2027 has a relative standard error of at most its value.

# %% tags=["parameters"]
cities = ["jincheng", "datong", "xiaoyi", "changzhi", "puyang"]
scenarios = ["baseline", "targets_2025", "targets_slow", "broad_hardship"]
year = 2025
end_year = 2027
sample = 0.02
reps = 2
seed = 1
cache = None
backend = "serial"
workers = 1
target_rse = None

# %%
import pandas as pd

import simlib
from simlib.reporting import plotting
from simlib.reporting.page import Page, replications
from simlib.reporting.tables import compare_scenarios, headline

page = Page(
    "04_targets_2025", sample=sample, reps=reps, seed=seed, target_rse=target_rse, year=year
)
runs = dict(
    sample=sample,
    reps=reps,
    seed=seed,
    end_year=end_year,
    cache=cache,
    backend=backend,
    workers=workers,
    target_rse=target_rse,
)
label = {
    c: f"{simlib.load_city(c).context.name_zh} {simlib.load_city(c).context.name_en}"
    for c in cities
}
diffs, targets, results = [], [], {}
for c in cities:
    d, t, r = compare_scenarios(c, tuple(scenarios), year, progress=True, **runs)
    diffs.append(d.assign(city=label[c]))
    targets.append(t.assign(city=label[c]))
    results[c] = r
diffs = pd.concat(diffs, ignore_index=True)
targets = pd.concat(targets, ignore_index=True)
# what each row rests on: target_rse may give a city's runs more replications than asked
n_reps = {(label[c], s): r.n_reps for c, by in results.items() for s, r in by.items()}
baselines = {c: by[scenarios[0]] for c, by in results.items()}
every_run = {f"{c} {s}": r for c, by in results.items() for s, r in by.items()}

# %% [markdown]
# ## Baseline attainment of every modelled target
#
# `gap` is target − projected (in the target's unit); `met_means` says what `met` compares
# (e.g. a bed floor against the beds demanded); the `extra_…` columns are what closing the
# gap takes at the list's standards (persons, staff FTE, 万元 a year).

# %%
base = targets[(targets.scenario == scenarios[0]) & targets.modelled].copy()
base["extra_wan_yuan"] = base.pop("extra_yuan") * 1e-4
base["reps"] = [n_reps[k] for k in zip(base["city"], base["scenario"], strict=True)]
cols = [
    "city",
    "target_id",
    "name_zh",
    "name_en",
    "year",
    "unit",
    "target",
    "projected",
    "gap",
    "met",
    "met_means",
    "extra_persons",
    "extra_fte",
    "extra_wan_yuan",
    "reps",
]
page.table(
    base[cols].reset_index(drop=True),
    "baseline_targets",
    "Modelled targets under the baseline",
    source=baselines,
)

# %% [markdown]
# ## Targets met, by scenario

# %%
modelled = targets[targets.modelled]
met = (
    modelled.assign(met=modelled["met"].astype(bool))
    .groupby(["city", "scenario"], sort=False)["met"]
    .agg(met="sum", modelled="count")
    .reset_index()
)
met["unit"] = "targets"
met["reps"] = [n_reps[k] for k in zip(met["city"], met["scenario"], strict=True)]
page.table(met, "targets_met", "Modelled targets met per city and scenario", source=every_run)

# %% [markdown]
# ## Targets the model cannot measure, and why

# %%
unmeasured = targets[(targets.scenario == scenarios[0]) & ~targets.modelled]
page.table(
    unmeasured[
        ["city", "target_id", "name_zh", "name_en", "year", "unit", "target", "note"]
    ].reset_index(drop=True),
    "unmodelled_targets",
    "Every quantified target the model does not measure, with the reason",
    source="params",
)

# %% [markdown]
# ## What each scenario changes, paired against the baseline
#
# Mean difference per replication, its 95 % interval and standard error; money in 万元.

# %%
shown = diffs.copy()
money = shown["unit"] == "yuan"
for col in ("value", "lower", "upper", "se"):
    shown.loc[money, col] = shown.loc[money, col] * 1e-4
shown.loc[money, "unit"] = "万元"
shown = shown[
    [
        "city",
        "scenario",
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
page.table(shown, "differences", f"Scenario − baseline in {year}", source=every_run)

# %%
rel = (
    shown[shown["measure"] == "service-list cost"].pivot_table(
        index="city", columns="scenario", values="relative", sort=False
    )
    * 100
)
fig = plotting.matrix_heatmap(
    rel,
    "% of the baseline cost",
    xlabel="scenario",
    ylabel="",
    title=f"清单支出变化 Change in service-list cost, {year}",
    fmt="+.1f",
    note=page.rests_on(every_run),
)
page.figure(fig, "cost_change_heatmap")

# %%
heads = pd.concat(
    [
        headline(r, (year,)).assign(city=label[c], scenario=s)
        for c, by in results.items()
        for s, r in by.items()
    ],
    ignore_index=True,
)
page.table(heads, "headline", f"Headline measures per scenario, {year}", source=every_run)

# %% [markdown]
# ## Summary of findings

# %%
# NBVAL_CHECK_OUTPUT
alt = [s for s in scenarios if s != scenarios[0]]
cost = shown[(shown["measure"] == "service-list cost")].set_index(["city", "scenario"])
b = met[met.scenario == scenarios[0]]
best = cost["relative"].idxmax()
page.say(
    "- Under the baseline {met} of {modelled} modelled targets are met across the {n} cities; "
    "{unmeasured} quantified targets cannot be measured by the model (listed above).\n"
    "- Closing every baseline gap at the lists' standards takes {fte:,.0f} more staff and "
    "{yuan:,.0f} 万元 a year in {year} (sum over cities).\n"
    "- The largest cost change is {city}'s under `{scenario}`: {rel:+.1%} "
    "({val:,.0f} 万元, 95 % interval {lo:,.0f} to {hi:,.0f}).\n"
    "- {dist} of {ndiff} scenario × city cost differences are distinguishable from noise.\n"
    "- Sample {sample}, {reps}, seed {seed}.",
    met=int(b["met"].sum()),
    modelled=int(b["modelled"].sum()),
    n=len(cities),
    unmeasured=len(unmeasured),
    fte=float(base["extra_fte"].sum()),
    yuan=float(base["extra_wan_yuan"].sum()),
    year=year,
    city=best[0],
    scenario=best[1],
    rel=float(cost.loc[best, "relative"]),
    val=float(cost.loc[best, "value"]),
    lo=float(cost.loc[best, "lower"]),
    hi=float(cost.loc[best, "upper"]),
    dist=int(cost["distinguishable"].sum()),
    ndiff=len(cost),
    sample=sample,
    reps=replications(every_run),
    seed=seed,
)

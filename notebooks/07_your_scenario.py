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
# # 07 · Your scenario: a reform of your own, traced, compared, who gains, saved (自定义情景)
#
# **Question.** What would *your* reform change, and for whom? This page builds a reform
# from scratch — an amount raised and an eligibility age lowered, both from a given year —
# stacks it on another scenario (the 2025 targets met on time), checks it exactly as a run
# would, traces one person under it item by item, runs it against the scenario it is
# stacked on with the same seed (paired, common random numbers), shows the differences in
# the years you choose with their intervals, says who gains and who loses by age group and
# household, exports the tables, and saves the scenario file so the command line reproduces
# the run. An interactive panel at the end does the same for any change in seconds.
#
# The scenario format is documented in `docs/params_format.md` (`changes:` for any item,
# standard, definition or outcome parameter, dated with `from:`; `targets:` for alternative
# targets; several scenarios given as a list apply in order).

# %% tags=["parameters"]
city = "datong"
stacked_on = "targets_2025"
amount_item = "datong.8"
amount_path = "benefit.cash[0].yuan"
amount_value = 105
amount_from = 2026
bound_item = "datong.13"
bound_path = "eligibility.all[0].min"
bound_value = 55
bound_from = 2026
person = {"age": 57, "assistance": "dibao", "adl_level": 3}
trace_year = 2026
target_id = "datong.visit_rate_2025"
compare_years = [2025, 2026, 2030]
end_year = 2030
gains_year = 2030
gains_by = ["age5", "household"]
scenario_name = "my_reform"
scenario_dir = "../results/scenarios"
export_dir = "../results/exports"
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
from simlib.core.paths import PROJECT, shown
from simlib.reporting.distribution import gains_figure, gains_table
from simlib.reporting.export import to_excel
from simlib.reporting.page import Page
from simlib.reporting.panel import (
    amounts,
    build_scenario,
    check_scenario,
    compare_scenario,
    eligibility_bounds,
    modelled_targets,
    save_scenario,
    scenario_panel,
    target_notes,
)

page = Page("07_your_scenario", sample=sample, reps=reps, seed=seed, city=city)
runs = dict(sample=sample, reps=reps, seed=seed, cache=cache, backend=backend, workers=workers)
ctx = simlib.load_city(city).context

# %% [markdown]
# ## 1. What can be changed
#
# Every amount of the list (fixed cash, multiples of a city standard, units of a service),
# every age bound and group list of its eligibility rules, and every target the model
# measures — each with the path a scenario's `set:` names. Shown here for the two items the
# reform changes; the full tables are `amounts(city)` and `eligibility_bounds(city)`.

# %%
columns = ["item_id", "name_zh", "name_en", "band", "path", "value", "per"]
a = amounts(city)
page.table(
    a[a["item_id"] == amount_item][columns],
    "amounts",
    f"{ctx.name_zh} {ctx.name_en}: amounts of {amount_item}",
    source="params",
)
b = eligibility_bounds(city)
page.table(
    b[b["item_id"] == bound_item][["item_id", "name_zh", "attr", "bound", "path", "value"]],
    "eligibility",
    f"{ctx.name_zh} {ctx.name_en}: eligibility bounds of {bound_item}",
    source="params",
)
page.table(
    modelled_targets(city),
    "targets",
    f"{ctx.name_zh} {ctx.name_en}: modelled targets",
    source="params",
)

# %% [markdown]
# ## 2. The reform, written, stacked and checked
#
# `save_scenario` applies the reform on top of `stacked_on` exactly as a run does and writes
# the file only if that succeeds (a bad item, path or value is an error naming it). What the
# user should know — a value outside its documented range, a change dated after the run's
# end, a reform that changes nothing — is said in one line each.

# %%
old_amount = float(a.set_index(["item_id", "path"]).loc[(amount_item, amount_path), "value"])
old_bound = b.set_index(["item_id", "path"]).loc[(bound_item, bound_path), "value"]
scenario = build_scenario(
    f"{ctx.name_en}: {amount_item} {old_amount:g} → {amount_value:g} from {amount_from}; "
    f"{bound_item} {bound_path.rsplit('.', 1)[-1]} age {old_bound} → {bound_value} from "
    f"{bound_from}",
    sets={
        (amount_item, amount_path): (amount_value, amount_from),
        (bound_item, bound_path): (bound_value, bound_from),
    },
)
path = save_scenario(
    city, scenario, Path(scenario_dir) / f"{scenario_name}.yaml", overwrite=True, on=stacked_on
)
print(path.read_text(encoding="utf-8"))
_, notes = check_scenario(city, str(path), stacked_on, max(compare_years))
for line in notes:
    print(f"⚠ {line}")

# %% [markdown]
# ## 3. One person under the reform, beside the scenario it is stacked on
#
# `explain(city, person, year, scenario=[...])` traces every item's conditions for one
# person under the stack and shows the baseline's amount beside each item the reform
# changes for her (amounts are entitlements, before take-up).

# %%
ex = simlib.explain(city, person, trace_year, scenario=[stacked_on, str(path)])
print(ex[ex["changed"]])
traced = ex[ex["changed"]][
    ["item_id", "name_zh", "name_en", "base_eligible", "eligible", "base_yuan_per_year",
     "yuan_per_year"]
]  # fmt: skip
page.table(
    traced.reset_index(drop=True),
    "person",
    f"What the reform changes for {person} in {trace_year} (yuan a year)",
    source="params",
)

# %% [markdown]
# ## 4. Run it against the scenario it is stacked on
#
# `compare_scenario` runs `stacked_on` and the stack with the same seed and sample, in one
# call (each replication's population simulated once), to `end_year` (2030, the last year
# compared and counted: a year's numbers do not depend on the years after it, so the runs
# are evaluated on the first years of the population paths the other pages simulated to
# 2035, not simulated again) or the latest year compared or named if later, and
# gives paired differences (reform − reference) in the years compared with their 95 %
# interval and standard error; `distinguishable` says whether the interval excludes zero.
# Money in 万元. It also counts who gains.

# %%
res = compare_scenario(
    city, str(path), compare_years, on=stacked_on, gains_by=gains_by, end_year=end_year, **runs
)  # fmt: skip
for line in res.notes:
    print(f"⚠ {line}")
diff = res.table[
    ["measure", "指标", "year", "baseline", "scenario", "difference", "lower", "upper", "se",
     "relative", "distinguishable", "reps", "unit"]
]  # fmt: skip
page.table(diff, "differences", f"Your reform − {stacked_on}", source=res.alt)

# %%
fig = simlib.plotting.compare(
    res.alt, res.base, "cost_yuan", title=f"清单支出差异 Cost difference, reform − {stacked_on}"
)
page.figure(fig, "cost_difference")

# %% [markdown]
# ## 5. Who gains
#
# Both lists are applied to the same persons every year; a person gains when the expected
# yuan a year of what the list's non-pension items give them (cash, services at unit cost,
# beds at cost, × take-up) rises, and loses when it falls. Counted per replication, then
# described: persons, gainers, losers, the average gain per person with its 95 % interval,
# the total gain in 万元.

# %%
for by in gains_by:
    page.table(
        gains_table(res.gains, gains_year, by, zh=True),
        f"who_gains_{by}",
        f"谁受益 Who gains in {gains_year}, by {by}",
        source=res.alt,
    )

# %%
page.figure(gains_figure(res.gains, gains_year, gains_by[0]), "who_gains")

# %% [markdown]
# ## 6. Export, and reproduce it from the command line
#
# The tables go to one Excel workbook (one sheet each; `simlib.export` also writes CSV and
# Stata). The saved scenario file is the whole reform; with `stacked_on` before it on the
# command line it reproduces the run, and `gains` the who-gains tables.

# %%
book = to_excel(
    {
        "differences": diff,
        **{f"who_gains_{by}": res.gains.table(gains_year, by) for by in gains_by},
        "who_gains_all_years": res.gains.summary(),
    },
    Path(export_dir) / f"{scenario_name}.xlsx",
)
print(f"wrote {book.name}: sheets", ", ".join(pd.ExcelFile(book).sheet_names))
shown_path = shown(path.resolve(), PROJECT)  # the command line runs from the project folder
print(
    f"python -m simlib run --city {city} --scenario {stacked_on} {shown_path} "
    f"--sample {sample} --reps {reps} --seed {seed} --end-year {max(compare_years)} "
    f"--out results/{scenario_name}"
)
print(
    f"python -m simlib gains --city {city} --reform {stacked_on} {shown_path} "
    f"--baseline {stacked_on} --by {' '.join(gains_by)} --sample {sample} --reps {reps} "
    f"--end-year {gains_year}"
)
stack = simlib.read_scenario([stacked_on, str(path)], simlib.params.read_tree())
print("stack:", stack.name, "· sha256", stack.hash[:16])

# %% [markdown]
# ## 7. Targets: what restating or moving one does
#
# In the baseline, provision follows the documented take-up, not the plan's targets. A
# target stated in a scenario drives provision. So restating a target at its documented
# value changes the numbers wherever the baseline misses it, and a lower target can still
# raise cost. The line below says which, with the baseline run's own numbers.

# %%
base = simlib.run(city, "baseline", end_year=end_year, **runs)
doc = modelled_targets(city).set_index("target_id").loc[target_id]
restated = build_scenario("restated", targets={target_id: (doc["value"], int(doc["year"]))})
for line in target_notes(city, restated, base):
    print(line)

# %% [markdown]
# ## Summary of findings

# %%
# NBVAL_CHECK_OUTPUT
last = max(compare_years)
t = diff.set_index(["measure", "year"])
cost = t.loc[("service-list cost (万元)", last)]
before = t.loc[("service-list cost (万元)", min(compare_years))]
everyone = res.gains.table(gains_year, gains_by[0]).set_index(gains_by[0]).loc["all"]
page.say(
    "- On top of {on}, raising {ai} from {ao:g} to {av:g} from {af} and setting {bi}'s age "
    "bound from {bo} to {bv} from {bf} changes {zh} {en}'s list cost in {last} by "
    "{cost:+,.0f} 万元 ({rel:+.1%}; 95 % interval {lo:+,.0f} to {hi:+,.0f}); in {first} by "
    "{c0:+,.0f} 万元.\n"
    "- In {gy}, {gainers:,.0f} of {persons:,.0f} persons gain ({share:.1f} %), {losers:,.0f} "
    "lose; the average gain is {avg:,.1f} yuan a person a year.\n"
    "- Sample {sample}, {reps} replications, seed {seed}; the scenario file is {path}.",
    on=stacked_on,
    ai=amount_item,
    ao=old_amount,
    av=amount_value,
    af=amount_from,
    bi=bound_item,
    bo=old_bound,
    bv=bound_value,
    bf=bound_from,
    zh=ctx.name_zh,
    en=ctx.name_en,
    last=last,
    cost=float(cost["difference"]),
    rel=float(cost["relative"]),
    lo=float(cost["lower"]),
    hi=float(cost["upper"]),
    first=min(compare_years),
    c0=float(before["difference"]),
    gy=gains_year,
    gainers=float(everyone["gainers"]),
    persons=float(everyone["persons"]),
    share=float(everyone["gainers %"]),
    losers=float(everyone["losers"]),
    avg=float(everyone["gain per person (yuan/yr)"]),
    sample=sample,
    reps=int(cost["reps"]),
    seed=seed,
    path=path.name,
)

# %% [markdown]
# ## 8. Try your own: the interactive panel
#
# Pick a city and the scenario to stack on; change any amount, eligibility bound (an age, or
# a list of groups separated by commas) or target, each from a year; "keep" a change and
# edit another. The scenario shown is exactly what **compare** runs (at `panel_sample`, a
# few seconds, with a progress bar) and **save** writes as `<name>.yaml` in `scenario_dir`.
# The panel needs a live kernel (it shows nothing in the static report).

# %%
scenario_panel(
    city, scenario_dir, sample=panel_sample, reps=reps, seed=seed, years=compare_years,
    on=stacked_on,
)  # fmt: skip

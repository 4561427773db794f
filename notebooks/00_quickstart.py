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
# # 00 · Quickstart: one city, its service list, the numbers a bureau asks for (快速入门)
#
# **Question.** Under its own service list (基本养老服务清单) and documented take-up, how many
# older people in a city are enrolled, how much staff time and how many beds does that mean,
# and what does it cost, from 2020 to 2035?
#
# How to read: every number below is computed by the run in this notebook; the table
# captions and figure footnotes say what it rests on (sample, replications, seed, simlib
# version and params hash). Change the parameters cell and re-run to see another city or
# scenario; `make run` executes this page at full scale.

# %% tags=["parameters"]
city = "xiaoyi"
scenario = "baseline"
year = 2025
person_age = 82
person_assistance = "dibao"
person_living = "alone"
sample = 0.02
reps = 2
seed = 1
cache = None
backend = "serial"
workers = 1
target_rse = None

# %% [markdown]
# Parameters: `city` is any of `simlib.CITIES` (or its Chinese name); `scenario` a file in
# `params/scenarios/` or your own YAML (notebook 07); `sample` the fraction of residents
# simulated (1.0: one agent per resident); `reps` independent replications (10 or more for
# published intervals); `target_rse` (e.g. 0.01) adds replications until every headline
# total's Monte-Carlo relative standard error is at most that (the report sets 0.01);
# `cache` a folder where finished runs are kept and re-read.

# %%
import simlib
from simlib.reporting.page import Page
from simlib.reporting.tables import cost_by_item, headline, headline_wide

page = Page(
    "00_quickstart",
    sample=sample,
    reps=reps,
    seed=seed,
    target_rse=target_rse,
    city=city,
    scenario=scenario,
)
runs = dict(
    sample=sample,
    reps=reps,
    seed=seed,
    cache=cache,
    backend=backend,
    workers=workers,
    target_rse=target_rse,
)
ctx = simlib.load_city(city).context
res = simlib.run(city, scenario, progress=True, **runs)
print(res)

# %% [markdown]
# ## Headline numbers
#
# Each cell is the mean over replications ± its Monte-Carlo standard error. Enrolments count
# person-items (one person in two items counts twice); "eligible for cash or a bed" counts
# persons. Cost is the service-list budget (cash, services, beds) in yuan of 2024; pensions
# are not in it.

# %%
h = headline(res)
page.table(h, "headline", f"{ctx.name_zh} {ctx.name_en}: headline measures (tidy)", source=res)
page.table(
    headline_wide(res), "headline_wide", f"{ctx.name_zh} {ctx.name_en}: value ± se", source=res
)

# %%
fig = simlib.plot(res, "cost_yuan", title=f"{ctx.name_zh} {ctx.name_en}: service-list cost")
page.figure(fig, "cost_by_year")

# %% [markdown]
# ## Where the money goes

# %%
top = cost_by_item(res, year)
page.table(top, "cost_by_item", f"Ten largest items by cost in {year} (万元)", source=res)

# %% [markdown]
# ## One person, explained
#
# Every amount traces to its document item (`source`).

# %%
person = {"age": person_age, "assistance": person_assistance, "living": person_living}
ex = simlib.explain(city, person, year)
mine = ex[ex.eligible][["item_id", "name_zh", "name_en", "yuan_per_year", "units", "source"]]
page.table(
    mine.reset_index(drop=True), "one_person", f"Items for {person} in {year}", source="params"
)

# %% [markdown]
# ## Summary of findings


# %%
# NBVAL_CHECK_OUTPUT
def at(measure, y):
    """The headline row of a measure in a year."""
    return h[(h["measure"] == measure) & (h["year"] == y)].iloc[0]


cost, per60 = at("service-list cost", year), at("cost per person 60+", year)
pop, fte = at("persons 60+", year), at("staff FTE (in-kind services)", year)
beds = at("institution beds", year)
last = int(h["year"].max())
page.say(
    "- **{zh} {en}, {year}**: {pop:,.0f} residents aged 60+; the list costs "
    "{cost:,.0f} 万元 (± {cost_se:,.0f}), {per60:,.0f} yuan per resident 60+ "
    "(± {per60_se:,.1f}); in-kind services need {fte:,.0f} full-time staff and institutions "
    "{beds:,.0f} beds.\n"
    "- By {last} the cost is {growth:+.0%} on {year} and the 60+ population {pgrowth:+.0%}.\n"
    "- The largest item in {year} is {item_zh} ({item_en}), {item_share:.0%} of the cost.\n"
    "- The person above ({age}, {assistance}, living {living}) qualifies for {n_items} items "
    "worth {cash:,.0f} yuan a year in cash.\n"
    "- Sample {sample}, {reps} replications, seed {seed}.",
    zh=ctx.name_zh,
    en=ctx.name_en,
    year=year,
    pop=pop["value"],
    cost=cost["value"],
    cost_se=cost["se"] if reps > 1 else 0.0,
    per60=per60["value"],
    per60_se=per60["se"] if reps > 1 else 0.0,
    fte=fte["value"],
    beds=beds["value"],
    last=last,
    growth=at("service-list cost", last)["value"] / cost["value"] - 1,
    pgrowth=at("persons 60+", last)["value"] / pop["value"] - 1,
    item_zh=top["name_zh"].iloc[0],
    item_en=top["name_en"].iloc[0],
    item_share=top["value"].iloc[0] / cost["value"],
    age=person_age,
    assistance=person_assistance,
    living=person_living,
    n_items=len(mine),
    cash=float(mine["yuan_per_year"].sum()),
    sample=sample,
    reps=res.n_reps,
    seed=seed,
)

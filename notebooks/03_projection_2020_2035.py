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
# # 03 · Baseline projections 2020–2035, five cities (基线预测)
#
# **Question.** Under each city's own list and documented take-up, how do enrolment, staff
# for in-kind services (FTE), institution beds and the list's cost evolve to 2035 — per city,
# per county and per lead department?
#
# How to read: every run shares the seed, so the cities' numbers rest on independent,
# reproducible draws; each table states its sample and replications, each figure shows the
# 95 % band of its replications in the line's own colour. The summary at the end is
# formatted from the tables.

# %% tags=["parameters"]
cities = ["jincheng", "datong", "xiaoyi", "changzhi", "puyang"]
scenario = "baseline"
years = [2025, 2030, 2035]
county_year = 2030
map_city = "datong"
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
from simlib.reporting.tables import by_payer, county_table, headline, projections

page = Page(
    "03_projection_2020_2035",
    sample=sample,
    reps=reps,
    seed=seed,
    target_rse=target_rse,
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
names = {c: simlib.load_city(c).context for c in cities}
label = {c: f"{ctx.name_zh} {ctx.name_en}" for c, ctx in names.items()}
results = {c: simlib.run(c, scenario, progress=True, **runs) for c in cities}
proj = projections({label[c]: r for c, r in results.items()})

# %% [markdown]
# ## Headline measures by city
#
# One row per city, measure and year: mean over replications, 95 % interval of the
# replications, Monte-Carlo standard error and its relative size (`rse`: se ÷ value, shown
# as a percentage, as `relative` differences are elsewhere).

# %%
heads = pd.concat(
    [headline(r, tuple(years)).assign(city=label[c]) for c, r in results.items()],
    ignore_index=True,
)
heads = heads[["city", *heads.columns.drop("city")]]
page.table(heads, "headline", "Headline measures by city and year", source=results)

# %%
wide = heads.assign(
    cell=[
        f"{v:,.0f} ± {s:,.0f}" if abs(v) >= 100 else f"{v:,.1f} ± {s:,.1f}"
        for v, s in zip(heads["value"], heads["se"].fillna(0), strict=True)
    ]
).pivot_table(
    index=["city", "measure", "unit", "reps"],
    columns="year",
    values="cell",
    aggfunc="first",
    sort=False,
)
wide.columns = [str(y) for y in wide.columns]
page.table(wide.reset_index(), "headline_wide", "Value ± se by city and year", source=results)

# %% [markdown]
# ## Trajectories
#
# The population is projected from the 2020 census; the service measures start in the first
# year a city's list is in force. Each title states the years its lines cover.

# %%
for measure, zh in [
    ("cost per person 60+", "人均支出（每位60+老人）"),
    ("staff FTE (in-kind services)", "服务人员（全职当量）"),
    ("institution beds", "机构床位"),
    ("enrolments (person-items)", "享受服务人次"),
]:
    part = proj[proj["measure"] == measure]
    fig = plotting.line_by_year(
        part,
        "value",
        title=f"{zh} {measure}, {part['year'].min()}–{part['year'].max()}",
        ylabel=part["unit"].iloc[0],
        note=page.rests_on({label[c]: r for c, r in results.items()}),
    )
    page.figure(fig, measure.split(" (")[0].replace(" ", "_"))
starts = proj[proj["measure"] == "service-list cost"].groupby("city")["year"].min()
page.say(
    "Service measures start in {years} (the first year each city's list is in force); the "
    "population lines run {p0}–{p1}.",
    years="; ".join(f"{y} ({', '.join(g.index)})" for y, g in starts.groupby(starts)),
    p0=int(proj["year"].min()),
    p1=int(proj["year"].max()),
)

# %% [markdown]
# ## By county
#
# Facility demand (institution beds in use) and cost per resident aged 60+ by county and
# district (区县), with county names beside the codes.

# %%
res = results[map_city]
beds = county_table(res, "beds:institution_bed", county_year)
per60 = res.per_older_resident("cost_yuan", 60, ("year", "county"))
per60 = per60[per60["year"] == county_year].drop(columns="year")
by_county = beds.merge(
    per60[["county", "value", "se"]].rename(
        columns={"value": "cost_per_60plus_yuan", "se": "cost_per_60plus_se"}
    ),
    on="county",
)
page.table(by_county, "by_county", f"{label[map_city]}, {county_year}: beds and cost", source=res)

# %%
try:
    from simlib.reporting.maps import county_map

    fig = county_map(res, "beds:institution_bed", county_year)
    page.figure(fig, "map_beds")
    fig = county_map(res, "cost_yuan", county_year, per_older_resident=60)
    page.figure(fig, "map_cost_per_60plus")
except ImportError as err:  # the optional extra "maps" is not installed
    print(err)

# %% [markdown]
# ## Cost by lead department

# %%
dept = pd.concat(
    [r.by_department(county_year).assign(city=label[c]) for c, r in results.items()],
    ignore_index=True,
)
for col in ("value", "lower", "upper", "se"):
    dept[col] = dept[col] * 1e-4
dept["unit"] = "万元"
page.table(
    dept[
        ["city", "department_zh", "department_en", "value", "lower", "upper", "se", "reps"]
    ].assign(unit="万元"),
    "by_department",
    f"Cost by lead department (first named in the list), {county_year}",
    source=results,
)

# %% [markdown]
# ## Cost by payer (支出责任)
#
# Who bears the list's cost: each item's cost split by payer — central, provincial, city and
# county governments, an insurance fund, and the person's co-payment (outside the list's
# cost). Only Puyang's list states who pays each item, and it names payers without shares
# where several share the cost; there, and for the four Shanxi lists (which state nothing),
# the shares are flagged assumptions (`params/funding.yaml`, `docs/params_format.md`).
# `assumed_share` is the part of the year's cost that rests on such flagged splits.

# %%
payers = by_payer({label[c]: r for c, r in results.items()}, [county_year])
page.table(
    payers,
    "by_payer",
    f"Cost by payer, {county_year} (万元; share of the city's public cost)",
    source=results,
)
page.say(
    "In {year} the city and county governments bear {lo:.0%} to {hi:.0%} of the list's cost "
    "by city; {a_lo:.0%} to {a_hi:.0%} of the cost rests on flagged (assumed or default) "
    "splits.",
    year=county_year,
    lo=payers[payers.payer == "city"]["share_of_cost"].min(),
    hi=payers[payers.payer == "city"]["share_of_cost"].max(),
    a_lo=payers["assumed_share"].min(),
    a_hi=payers["assumed_share"].max(),
)

# %% [markdown]
# ## Summary of findings

# %%
# NBVAL_CHECK_OUTPUT
first, last = years[0], years[-1]


def value(city, measure, year):
    """A headline value (mean over replications)."""
    row = heads[(heads.city == label[city]) & (heads.measure == measure) & (heads.year == year)]
    return float(row["value"].iloc[0])


per = {c: value(c, "cost per person 60+", first) for c in cities}
lo, hi = min(per, key=per.get), max(per, key=per.get)
growth = {
    c: value(c, "service-list cost", last) / value(c, "service-list cost", first) - 1
    for c in cities
}
pop_growth = {c: value(c, "persons 60+", last) / value(c, "persons 60+", first) - 1 for c in cities}
fte = {c: value(c, "staff FTE (in-kind services)", first) for c in cities}
top_dept = dept.loc[dept.groupby("city")["value"].idxmax(), ["city", "department_zh"]]
page.say(
    "- In {first} the list costs {lo_v:,.0f} yuan per resident aged 60+ in {lo} and "
    "{hi_v:,.0f} in {hi}, the extremes of the {n} cities.\n"
    "- From {first} to {last} total cost grows by {g_lo:.0%} to {g_hi:.0%} by city, against "
    "{p_lo:.0%} to {p_hi:.0%} for the 60+ population.\n"
    "- In-kind services need {f_lo:,.0f} to {f_hi:,.0f} full-time staff per city in {first}.\n"
    "- The largest budget holder is {dept} in {n_dept} of the {n} cities.\n"
    "- Sample {sample}, {reps}, seed {seed}; largest relative standard error "
    "of a headline figure {rse:.2%}.",
    first=first,
    last=last,
    lo=label[lo],
    hi=label[hi],
    lo_v=per[lo],
    hi_v=per[hi],
    n=len(cities),
    g_lo=min(growth.values()),
    g_hi=max(growth.values()),
    p_lo=min(pop_growth.values()),
    p_hi=max(pop_growth.values()),
    f_lo=min(fte.values()),
    f_hi=max(fte.values()),
    dept=top_dept["department_zh"].mode().iloc[0],
    n_dept=int((top_dept["department_zh"] == top_dept["department_zh"].mode().iloc[0]).sum()),
    sample=sample,
    reps=replications({label[c]: r for c, r in results.items()}),
    seed=seed,
    rse=float(heads["rse"].max()) if reps > 1 else 0.0,
)

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
# # 08 · Programmes beside the lists: the 2026 care voucher and long-term care insurance (清单之外的项目)
#
# **Question.** Since the five lists were written, national programmes reach the same people:
# the 2026 care voucher (养老服务消费补贴, nationwide for the 12 months of 2026) and long-term
# care insurance (长期护理保险: 晋城 is a pilot city; the 2025 opinions aim at a national
# system). What does each add to what a city spends on its older residents, 2024–2030, and
# who pays for it — against the lists alone?
#
# How to read: every scenario of a city runs on the same simulated population (one seed,
# common random numbers), so differences between scenarios are the programmes'. The
# programmes are items beside the lists (`params/programmes/`, `programme.<name>.<n>`); the
# lists alone are the items of the lists in the same runs. The voucher rests on news reports
# of the notice, the purchase model (what a disabled person buys in care) and the take-up are
# flagged assumptions, and long-term care insurance is at typical pilot rules (flagged): see
# `params/programmes/voucher_2026.yaml`, `params/care_purchase.yaml` and the scenarios. In the
# cities other than Jincheng, `ltci_jincheng_pilot` is the baseline.

# %% tags=["parameters"]
cities = ["jincheng", "datong", "xiaoyi", "changzhi", "puyang"]
scenarios = ["baseline", "voucher_to_2030", "ltci_jincheng_pilot", "ltci_nationwide"]
first_year = 2024
last_year = 2030
end_year = 2030
voucher_year = 2026
sample = 0.01
reps = 2
seed = 1
cache = None
backend = "serial"
workers = 1
target_rse = None

# %%
import warnings

import numpy as np
import pandas as pd

import simlib
from simlib.experiments.result import describe
from simlib.params.programmes import funding_table
from simlib.reporting import plotting
from simlib.reporting.page import Page

page = Page("08_programmes", sample=sample, reps=reps, seed=seed, target_rse=target_rse)
runs = dict(
    sample=sample,
    reps=reps,
    seed=seed,
    cache=cache,
    backend=backend,
    workers=workers,
    target_rse=target_rse,
    end_year=end_year,
)
label = {
    c: f"{simlib.load_city(c).context.name_zh} {simlib.load_city(c).context.name_en}"
    for c in cities
}
SCENARIO_ZH = {
    "baseline": "基线（2026年消费补贴）",
    "voucher_to_2030": "消费补贴延至2030年",
    "ltci_jincheng_pilot": "晋城长护险试点",
    "ltci_nationwide": "长护险2027年起全国实施",
}
with warnings.catch_warnings():
    # a city a scenario does not reach (Jincheng's pilot elsewhere) runs as the baseline
    warnings.filterwarnings("ignore", message=".*changes nothing in a run", category=UserWarning)
    # evaluated to end_year (2030, the last year shown) on the first years of the paths
    # notebook 03 also uses (to 2035: a year's numbers do not depend on the years after
    # it); one call per city: each replication's path read once and every scenario
    # evaluated on it. A scenario that changes nothing in a city (Jincheng's pilot
    # elsewhere) is evaluated once with the baseline: its numbers are the baseline's
    by_city = {c: simlib.run(c, scenarios=scenarios, progress=True, **runs) for c in cities}
results = {(c, s): by_city[c][s] for c in cities for s in scenarios}

# %% [markdown]
# ## What each programme costs, by city and year (万元)
#
# Public cost (`cost_yuan`) of the lists' own items (`list`) and of each programme, per city,
# scenario and year: mean over replications and the 95 % interval of the replications.

# %%
rows = []
for (c, s), res in results.items():
    per = res.per_rep("cost_yuan", ("year", "programme"))
    per = per[per["year"].between(first_year, last_year)]
    t = describe(per, ["year", "programme"])
    rows.append(t.assign(city=label[c], scenario=s))
by_prog = pd.concat(rows, ignore_index=True)
for col in ("value", "lower", "upper", "se"):
    by_prog[col] = by_prog[col] / 1e4
by_prog["unit"] = "万元"
by_prog["scenario_zh"] = by_prog["scenario"].map(SCENARIO_ZH)
by_prog = by_prog[
    [
        "city",
        "scenario",
        "scenario_zh",
        "programme",
        "year",
        "value",
        "lower",
        "upper",
        "se",
        "reps",
        "unit",
    ]
]
page.table(
    by_prog,
    "cost_by_programme",
    "Public cost by city, scenario, programme and year 各项目支出（万元）",
    source=results,
)

# %% [markdown]
# ## Against the lists alone
#
# What the programmes add, per city and year, as a share of the list's own cost: the ratio
# is taken in each replication, then described.

# %%
added = []
for (c, s), res in results.items():
    per = res.per_rep("cost_yuan", ("year", "programme"))
    per = per[per["year"].between(first_year, last_year)]
    wide = per.pivot_table(
        index=["year", "rep"], columns="programme", values="value", fill_value=0.0
    )
    progs = [p for p in wide.columns if p != "list"]
    extra = wide[progs].sum(axis=1) if progs else wide["list"] * 0.0
    for what, v in (
        ("programmes, 万元", extra / 1e4),
        ("added to the list, share", extra / wide["list"]),
    ):
        d = describe(v.rename("value").reset_index(), ["year"])
        added.append(d.assign(city=label[c], scenario=s, measure=what))
added = pd.concat(added, ignore_index=True)
added["unit"] = np.where(added["measure"].str.startswith("added"), "share", "万元")
added = added[["city", "scenario", "measure", "year", "value", "lower", "upper", "reps", "unit"]]
page.table(
    added,
    "added_to_lists",
    "What the programmes add to the lists alone 项目在清单之外的增加（万元；占清单支出比例）",
    source=results,
)

# %% [markdown]
# ## Who pays (支出责任)
#
# Each programme's public cost split by payer (`payer_yuan:<payer>`: its `funding:`; the
# voucher's central share of 85–95 % as reported, its local rest a flagged assumption; the
# insurance fund pays long-term care insurance), and the co-payment of the voucher's users
# (`person`: their care bill less insurance and voucher, outside the public cost). The lists'
# own cost by payer is in notebook 03.

# %%
pays = []
with warnings.catch_warnings():  # the table states the replications it rests on
    warnings.filterwarnings("ignore", message="this interval rests on", category=UserWarning)
    for (c, s), res in results.items():
        t = res.by_payer(("year", "programme"))
        t = t[t["year"].between(first_year, last_year) & (t["programme"] != "list")]
        pays.append(t.assign(city=label[c], scenario=s))
pays = pd.concat(pays, ignore_index=True)
for col in ("value", "lower", "upper", "se"):
    pays[col] = pays[col] / 1e4
pays["unit"] = "万元"
pays = pays[
    [
        "city",
        "scenario",
        "programme",
        "payer",
        "payer_zh",
        "year",
        "value",
        "lower",
        "upper",
        "reps",
        "unit",
    ]
]
page.table(
    pays,
    "by_payer",
    "Programme cost by payer 各项目按支出主体（万元）",
    source=results,
)

# %%
fund = funding_table("ltci_nationwide")
page.table(
    fund.assign(unit="share"),
    "funding_shares",
    "Funding shares of each programme and their provenance 资金分担比例",
    source="params",
)

# %% [markdown]
# ## The voucher extended to 2030, every city
#
# The voucher's yearly cost if it ran at its 2026 rules to 2030 (`voucher_to_2030`): it grows
# with the number of disabled older people.

# %%
ext = by_prog[(by_prog["scenario"] == "voucher_to_2030") & (by_prog["programme"] == "voucher_2026")]
fig = plotting.line_by_year(
    ext,
    "value",
    title=f"消费补贴延至2030年 Care voucher extended to 2030, {ext['year'].min()}–{ext['year'].max()}",
    ylabel="万元",
    note=page.rests_on({label[c]: results[(c, "voucher_to_2030")] for c in cities}),
)
page.figure(fig, "voucher_to_2030")

# %%
# NBVAL_CHECK_OUTPUT
# Which programme pays in which years, per scenario (any city): the dates in force.
paid = by_prog[(by_prog["programme"] != "list") & (by_prog["value"] > 0)]
years_paid = paid.groupby(["scenario", "programme"])["year"].agg(
    lambda y: f"{y.min()}" if y.min() == y.max() else f"{y.min()}–{y.max()}"
)
print(years_paid.to_string())

# %% [markdown]
# ## Summary of findings

# %%
b26 = by_prog[
    (by_prog.scenario == "baseline")
    & (by_prog.programme == "voucher_2026")
    & (by_prog.year == voucher_year)
]
top = b26.loc[b26["value"].idxmax()]
share26 = added[
    (added.scenario == "baseline")
    & (added.year == voucher_year)
    & (added.measure.str.startswith("added"))
]
ltci = by_prog[(by_prog.scenario == "ltci_nationwide") & (by_prog.programme == "ltci_national")]
ltci_last = ltci[ltci.year == ltci.year.max()]["value"].sum()
central = pays[
    (pays.scenario == "baseline")
    & (pays.year == voucher_year)
    & (pays.payer == "central")
    & (pays.programme == "voucher_2026")
]
person = pays[
    (pays.scenario == "baseline")
    & (pays.year == voucher_year)
    & (pays.payer == "person")
    & (pays.programme == "voucher_2026")
]
page.say(
    "- In {vy} the care voucher costs {total:,.0f} 万元 across the {n} cities (largest in "
    "{city}: {v:,.0f} 万元, 95 % interval {lo:,.0f} to {hi:,.0f}); it adds {smin:.1%} to "
    "{smax:.1%} to the lists' own cost that year; as enacted it pays in {paid_years} only.\n"
    "- The central government pays {cen:,.0f} 万元 of it; the voucher's users pay {per:,.0f} "
    "万元 of their care bills themselves.\n"
    "- Long-term care insurance in every city from {lstart} at typical pilot rules (flagged) would "
    "cost the insurance funds {ltci:,.0f} 万元 in {last} across the {n} cities.\n"
    "- Sample {sample:.0%} of the population, {reps} replications per run, seed {seed}.",
    vy=voucher_year,
    paid_years=years_paid.loc[("baseline", "voucher_2026")],
    lstart=int(ltci[ltci["value"] > 0].year.min()),
    total=b26["value"].sum(),
    n=len(cities),
    city=top["city"],
    v=top["value"],
    lo=top["lower"] if pd.notna(top["lower"]) else top["value"],
    hi=top["upper"] if pd.notna(top["upper"]) else top["value"],
    smin=share26["value"].min(),
    smax=share26["value"].max(),
    cen=central["value"].sum(),
    per=person["value"].sum(),
    ltci=ltci_last,
    last=int(ltci.year.max()),
    sample=sample,
    reps=reps,
    seed=seed,
)

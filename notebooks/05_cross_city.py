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
# # 05 · Policy transfer: every city's list on every city's population (政策移植：清单 × 人口)
#
# **Question.** What would each city's older population cost, and how many of them would
# a list reach, if the city applied another city's service list (基本养老服务清单) or the
# harmonised list (the item families all lists share, each at the most generous standard
# among them, the city's other items kept)? Which of these differences from the city's own list
# are larger than Monte-Carlo noise, and how much of the spread between cities is the list
# and how much the population?
#
# How to read: every list applied to a city runs on the same population draws (one seed:
# common random numbers), so the difference from the city's own list is paired, replication
# by replication; `distinguishable` says whether its 95 % interval excludes zero. Cost is
# the service-list budget per resident aged 60+ (yuan a year, prices of 2024); coverage the
# share of residents aged 60+ eligible for a cash benefit or a placement. The summary of
# findings at the end is written from the computed values.

# %% tags=["parameters"]
year = 2030
end_year = 2030
sample = 0.01
reps = 2
seed = 1
cache = None
backend = "serial"
workers = 1

# %% [markdown]
# Parameters: `year` the year compared; `end_year` the runs' last year (2030, the year
# compared: a year's numbers do not depend on the years after it, so the lists are evaluated
# on the first years of the population paths the other pages simulated to 2035, not
# simulated again, and not evaluated in the years nobody reads); `sample` the fraction of residents
# simulated (1.0: one agent per resident); `reps` independent replications of every run (10
# or more for published intervals); `cache` a folder where finished runs are kept and
# re-read.

# %%
import warnings

import pandas as pd

import simlib
from simlib.experiments.result import MIN_REPS, describe
from simlib.reporting import plotting
from simlib.reporting.page import Page
from simlib.reporting.tables import cross_city, cross_city_runs

page = Page("05_cross_city", sample=sample, reps=reps, seed=seed, year=year)
runs = dict(
    sample=sample,
    reps=reps,
    seed=seed,
    end_year=end_year,
    cache=cache,
    backend=backend,
    workers=workers,
)
keys = list(simlib.CITIES)
lists = [*keys, "harmonised"]
name = {
    k: f"{simlib.load_city(k).context.name_zh} {simlib.load_city(k).context.name_en}" for k in keys
}
name["harmonised"] = "统一清单 harmonised"
if reps < MIN_REPS:  # said once here, not once per run
    page.say(
        "Every interval below rests on {reps} replications, so its 95 % bounds are about the "
        "smallest and largest replication; use {need} or more for published intervals.",
        reps=reps,
        need=MIN_REPS,
    )
warnings.filterwarnings("ignore", r"this (interval|difference) rests on", UserWarning)
# one call per population: its paths simulated (or read) once, every list evaluated on them
results = cross_city_runs(**runs)
table = cross_city(year, results=results)
print(f"{len(table)} population × list runs, {reps} replications each, {year}")

# %% [markdown]
# ## Coverage with its interval, and its paired difference from the own list
#
# `cross_city` gives the mean coverage; its interval and the paired difference come from
# the same runs' replications.


# %%
def coverage(res):
    """Share (%) of residents 60+ eligible for cash or a placement, per replication."""
    cov = res.per_rep("covered60").set_index(["year", "rep"])["value"]
    p60 = res.per_rep("pop60").set_index(["year", "rep"])["value"]
    return (100 * cov / p60).xs(year, level="year")


def described(per_rep):
    """Mean, 95 % interval, se and reps of one value per replication."""
    return describe(per_rep.rename("value").reset_index().assign(year=year), ["year"]).iloc[0]


rows = []
for pop in keys:
    own = coverage(results[pop][pop])
    for lst in lists:
        c = coverage(results[pop][lst])
        level, diff = described(c), described(c - own)
        rows.append(
            {
                "population": pop,
                "list": lst,
                "value": level["value"],
                "lower": level["lower"],
                "upper": level["upper"],
                "se": level["se"],
                "diff_vs_own": diff["value"],
                "diff_lower": diff["lower"],
                "diff_upper": diff["upper"],
                "distinguishable": lst != pop and bool(diff["lower"] > 0 or diff["upper"] < 0),
            }
        )
cover = pd.DataFrame(rows)

# %% [markdown]
# ## All numbers (tidy)
#
# One row per population × list × measure: the level with its 95 % interval (2.5–97.5 % of
# the replications) and Monte-Carlo standard error, and the paired difference from the
# population's own list with its interval.

# %%
cost = table.rename(
    columns={
        "cost_per_60plus_yuan": "value",
        "diff_vs_own_yuan": "diff_vs_own",
    }
).drop(columns=["coverage_60plus"])
long = pd.concat(
    [
        cost.assign(
            measure="cost per person 60+",
            指标="人均支出（每位60+老人）",
            unit="yuan per person 60+",
        ),
        cover.assign(
            measure="coverage of the 60+",
            指标="享有现金或床位的60+老人占比",
            unit="% of residents 60+",
            reps=table["reps"].to_numpy(),
        ),
    ],
    ignore_index=True,
)
long.insert(1, "人口 population", long["population"].map(name))
long.insert(3, "清单 list", long["list"].map(name))
long["own_list"] = long["population"] == long["list"]
cols = [
    "population",
    "人口 population",
    "list",
    "清单 list",
    "own_list",
    "measure",
    "指标",
    "value",
    "lower",
    "upper",
    "se",
    "diff_vs_own",
    "diff_lower",
    "diff_upper",
    "distinguishable",
    "reps",
    "unit",
]
long = long[cols]
page.table(
    long,
    "cross_city",
    f"Every list on every population, {year}: level and paired difference from the own list",
)


# %% [markdown]
# ## Cost per resident aged 60+ (rows: population, columns: list applied)


# %%
def wide(measure, column="value"):
    """A measure as a population × list matrix (readable names, cities in order)."""
    t = long[long["measure"] == measure]
    m = t.pivot(index="population", columns="list", values=column).loc[keys, lists]
    return m.rename(index=name, columns=name)


per60 = wide("cost per person 60+")
fig = plotting.matrix_heatmap(
    per60.rename(columns=lambda s: s.replace(" ", "\n", 1)),
    "元/人/年 yuan per person 60+ a year",
    xlabel="清单 list applied",
    ylabel="人口 population",
    title=f"人均清单支出 Service-list cost per resident aged 60+, {year}",
    note=page.stamp,
)
page.figure(fig, "cost_per_60plus_heatmap")


# %%
def cells(measure, digits, sign=False):
    """``value [lower–upper]`` per population × list, as text."""
    t = long[long["measure"] == measure].copy()
    f = f"{{:{'+' if sign else ''},.{digits}f}}"
    if sign:
        t["text"] = [
            "own list 本市清单"
            if own
            else f"{f.format(v)} [{f.format(lo)}, {f.format(hi)}]" + ("" if d else " ≈0")
            for v, lo, hi, d, own in zip(
                t["diff_vs_own"],
                t["diff_lower"],
                t["diff_upper"],
                t["distinguishable"],
                t["own_list"],
                strict=True,
            )
        ]
    else:
        t["text"] = [
            f"{f.format(v)} [{f.format(lo)}–{f.format(hi)}]"
            for v, lo, hi in zip(t["value"], t["lower"], t["upper"], strict=True)
        ]
    m = t.pivot(index="population", columns="list", values="text").loc[keys, lists]
    m = m.rename(index=name, columns=name).rename_axis(index="人口 population \\ 清单 list")
    unit = t["unit"].iloc[0]
    return m.reset_index().assign(unit=unit)


page.table(
    cells("cost per person 60+", 0),
    "cost_matrix",
    f"Cost per resident aged 60+ in {year}: mean [95 % interval], yuan a year",
)
page.table(
    cells("cost per person 60+", 0, sign=True),
    "cost_difference_matrix",
    f"Paired difference from the own list in {year}: mean [95 % interval], yuan per resident "
    "60+ a year; ≈0 marks a difference not distinguishable from noise",
)

# %% [markdown]
# ## Coverage: share of residents aged 60+ eligible for a cash benefit or a placement

# %%
fig = plotting.matrix_heatmap(
    wide("coverage of the 60+").rename(columns=lambda s: s.replace(" ", "\n", 1)),
    "% of residents 60+",
    xlabel="清单 list applied",
    ylabel="人口 population",
    title=f"覆盖率 Share of the 60+ eligible for cash or a bed, {year}",
    fmt=".1f",
    note=page.stamp,
)
page.figure(fig, "coverage_heatmap")

# %%
page.table(
    cells("coverage of the 60+", 1),
    "coverage_matrix",
    f"Coverage in {year}: mean [95 % interval], % of residents aged 60+",
)
page.table(
    cells("coverage of the 60+", 1, sign=True),
    "coverage_difference_matrix",
    f"Paired difference in coverage from the own list in {year}: mean [95 % interval], "
    "percentage points; ≈0 marks a difference not distinguishable from noise",
)

# %% [markdown]
# ## Per population: the most and least generous list, the harmonised list
#
# "Generous" is the cost per resident aged 60+ the list would spend on that population.
# `distinguishable transfers` counts the other lists (the four other cities' and the
# harmonised one) whose paired cost difference from the own list excludes zero.

# %%
c = long[long["measure"] == "cost per person 60+"].set_index(["population", "list"])
v = long[long["measure"] == "coverage of the 60+"].set_index(["population", "list"])
summary = []
for pop in keys:
    by_list = c.loc[pop].loc[keys, "value"]
    harm = c.loc[(pop, "harmonised")]
    summary.append(
        {
            "人口 population": name[pop],
            "own list": c.loc[(pop, pop), "value"],
            "most generous list": name[by_list.idxmax()],
            "most generous": by_list.max(),
            "least generous list": name[by_list.idxmin()],
            "least generous": by_list.min(),
            "harmonised − own": harm["diff_vs_own"],
            "harmonised − own, %": 100 * harm["diff_vs_own"] / c.loc[(pop, pop), "value"],
            "widest-reaching list": name[v.loc[pop].loc[keys, "value"].idxmax()],
            "distinguishable transfers": int(c.loc[pop]["distinguishable"].sum()),
            "transfers": len(lists) - 1,
            "unit": "yuan per person 60+ a year",
        }
    )
summary = pd.DataFrame(summary)
page.table(
    summary, "by_population", f"Which list is most and least generous on each population, {year}"
)

# %% [markdown]
# ## How much of the spread is the list, how much the population
#
# A two-way split of the cost per resident aged 60+ over the cities' own lists (rows:
# population, columns: list, the harmonised list left out): the share of the sum of squares
# around the grand mean due to the list (column means), the population (row means) and what
# neither explains alone (interaction).

# %%
m = per60.iloc[:, : len(keys)]
grand = m.to_numpy().mean()
ss_list = len(m) * ((m.mean(axis=0) - grand) ** 2).sum()
ss_pop = m.shape[1] * ((m.mean(axis=1) - grand) ** 2).sum()
ss_all = ((m - grand) ** 2).to_numpy().sum()
split = pd.DataFrame(
    {
        "source": ["清单 list", "人口 population", "交互 interaction"],
        "share": [
            100 * ss_list / ss_all,
            100 * ss_pop / ss_all,
            100 * (ss_all - ss_list - ss_pop) / ss_all,
        ],
        "range of means, yuan": [
            m.mean(axis=0).max() - m.mean(axis=0).min(),
            m.mean(axis=1).max() - m.mean(axis=1).min(),
            float("nan"),
        ],
        "unit": "% of the sum of squares",
    }
)
page.table(split, "list_vs_population", f"Cost per resident 60+ in {year}: list or population?")

# %%
# NBVAL_CHECK_OUTPUT
print(per60.round(0).astype(int).to_string())
print(wide("coverage of the 60+").round(1).to_string())
print(
    "distinguishable transfers:",
    int(c["distinguishable"].sum()),
    "of",
    len(keys) * (len(lists) - 1),
)

# %% [markdown]
# ## Summary of findings

# %%
own = pd.Series({p: c.loc[(p, p), "value"] for p in keys})
most = summary["most generous list"].value_counts()
least = summary["least generous list"].value_counts()
widest = summary["widest-reaching list"].value_counts()
rel = summary.set_index("人口 population")["harmonised − own, %"]
transfers = c.drop(index=[(p, p) for p in keys])
page.say(
    "- Under their own lists the cities spend {own_lo:,.0f} ({own_lo_city}) to {own_hi:,.0f} "
    "({own_hi_city}) yuan a year per resident aged 60+ in {year}.\n"
    "- The most generous list is {most} on {n_most} of {n_pop} populations; the least "
    "generous is {least} on {n_least}.\n"
    "- Across the {n_cells} population × list combinations of the cities' own lists, the list "
    "accounts for {s_list:.0f} % of the spread in cost per resident 60+, the population for "
    "{s_pop:.0f} % and their interaction for {s_int:.0f} %.\n"
    "- {n_dist} of {n_trans} transfers (another city's list, or the harmonised list) change "
    "the cost per resident 60+ by more than the Monte-Carlo noise of the paired difference "
    "(95 % interval excluding zero); the largest change is {big:+,.0f} yuan ({big_list} on "
    "{big_pop}).\n"
    "- The harmonised list costs {h_lo:+.1f} % ({h_lo_pop}) to {h_hi:+.1f} % ({h_hi_pop}) "
    "more than the own list.\n"
    "- Coverage (eligible for cash or a placement) ranges from {cov_lo:.1f} % to "
    "{cov_hi:.1f} % of the 60+; the widest-reaching list is {widest} on {n_widest} of "
    "{n_pop} populations.\n"
    "- Sample {sample}, {reps} replications, seed {seed}.",
    year=year,
    own_lo=own.min(),
    own_lo_city=name[own.idxmin()],
    own_hi=own.max(),
    own_hi_city=name[own.idxmax()],
    most=most.index[0],
    n_most=int(most.iloc[0]),
    least=least.index[0],
    n_least=int(least.iloc[0]),
    n_pop=len(keys),
    n_cells=int(m.size),
    s_list=split["share"].iloc[0],
    s_pop=split["share"].iloc[1],
    s_int=split["share"].iloc[2],
    n_dist=int(transfers["distinguishable"].sum()),
    n_trans=len(transfers),
    big=transfers.loc[transfers["diff_vs_own"].abs().idxmax(), "diff_vs_own"],
    big_list=name[transfers["diff_vs_own"].abs().idxmax()[1]],
    big_pop=name[transfers["diff_vs_own"].abs().idxmax()[0]],
    h_lo=rel.min(),
    h_lo_pop=rel.idxmin(),
    h_hi=rel.max(),
    h_hi_pop=rel.idxmax(),
    cov_lo=v["value"].min(),
    cov_hi=v["value"].max(),
    widest=widest.index[0],
    n_widest=int(widest.iloc[0]),
    sample=sample,
    reps=reps,
    seed=seed,
)

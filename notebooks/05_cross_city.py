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
# # 05 · Policy transfer: every city's list on every city's population
#
# **Question.** How much of the difference in cost and coverage between cities is the list
# and how much the population? And what would the harmonised list (the shared items at the
# most generous standard of the five) cost?
#
# **Summary of findings:**
# - The list, more than the population, sets the cost: Puyang's list costs about 1 000 yuan per
#   person 60+ on every city's population, the Shanxi lists about 690–800.
# - Between 20 % and 32 % of the 60+ are eligible for a cash benefit or a bed; Changzhi's
#   list reaches the most.
# - The harmonised list (shared items at the most generous standard of the five) raises cost
#   per person 60+ by a few per cent in the Shanxi cities and by about 10 % in Puyang.

# %% tags=["parameters"]
sample = 0.02
seed = 1
year = 2030

# %%
import simlib
from simlib.analysis import cross_city

table = cross_city(year, sample=sample, seed=seed, years=(2020, year))

# %%
simlib.report.save_table("cross_city", table)

# %% [markdown]
# ## Cost per person aged 60+ (yuan, rows: population, columns: list)

# %%
# NBVAL_CHECK_OUTPUT
cost = table.pivot(index="population", columns="list", values="cost_per_60plus_yuan")
cost = cost.loc[list(simlib.CITIES), [*simlib.CITIES, "harmonised"]]
cost.round(0)

# %% [markdown]
# ## Coverage: share of the 60+ eligible for a cash benefit or a placement

# %%
# NBVAL_CHECK_OUTPUT
cov = table.pivot(index="population", columns="list", values="coverage_60plus")
cov = cov.loc[list(simlib.CITIES), [*simlib.CITIES, "harmonised"]]
cov.round(3)

# %%
fig = simlib.plotting.matrix_heatmap(
    cost, f"yuan per person 60+ ({year})", xlabel="list applied", ylabel="population"
)

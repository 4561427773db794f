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
# # 06 · Uncertainty: replications, and which assumptions drive cost
#
# **Question.** How wide is the Monte-Carlo interval of the projections, is a scenario
# difference larger than that noise, and which of the flagged assumptions (each with its
# documented range) drive the 2025 cost and staff need most?
#
# **Summary of findings:**
# - At a 2 % sample of Xiaoyi the 95 % Monte-Carlo interval of yearly cost is about ±10 %;
#   it narrows with larger samples and more replications.
# - Under common random numbers the harmonised-minus-baseline difference varies far less
#   across replications than the baseline itself: the difference is the policy's.
# - Cost is driven most by the unit cost of a caring visit and the visit take-up; staff need
#   by visit take-up, minutes per visit and travel time. The 探访 system is both the main
#   lever and the main uncertainty.

# %% tags=["parameters"]
city = "xiaoyi"
sample = 0.02  # the interval shrinks with larger samples (1.0 = full scale)
reps = 5  # replications; 20+ for publication intervals
seed = 1
trajectories = 2  # Morris trajectories (runs = trajectories × (assumptions + 1)); 10+ for papers
backend = "processes"  # serial | processes | dask (see README: running on a cluster)

# %%
import pandas as pd

import simlib
from simlib.sensitivity import morris

base = simlib.run(city, "baseline", sample=sample, reps=reps, seed=seed)
harm = simlib.run(city, "harmonised", sample=sample, reps=reps, seed=seed)

# %% [markdown]
# ## Cost with its 95 % Monte-Carlo interval (mean and 2.5–97.5 % of replications)

# %%
# NBVAL_CHECK_OUTPUT
t = base.totals("cost_yuan")
t[t.year.isin([2025, 2030, 2035])].round({"value": -3, "lower": -3, "upper": -3})

# %%
fig = base.plot("cost_yuan", title=f"{city}: cost with 95 % interval", ylabel="yuan per year")

# %% [markdown]
# ## A scenario difference under common random numbers
# Both scenarios use the same seed, so every replication pair shares its population draw for
# draw: the difference per replication is the policy's.


# %%
# NBVAL_CHECK_OUTPUT
def per_rep(res):
    r = res.reps[(res.reps.measure == "cost_yuan") & (res.reps.year == 2030)]
    return r.groupby("rep")["value"].sum()


diff = per_rep(harm) - per_rep(base)
pd.Series(
    {
        "mean difference, yuan": diff.mean(),
        "min": diff.min(),
        "max": diff.max(),
        "baseline interval width": per_rep(base).max() - per_rep(base).min(),
    }
).round(-3)

# %% [markdown]
# ## Which assumptions drive the 2025 cost (Morris screening over every flagged range)

# %%
rank = morris(
    city, "cost_yuan", 2025, trajectories=trajectories, sample=0.01, seed=seed, backend=backend
)
rank[["key", "mu_star", "sigma", "low", "high"]].head(12).round({"mu_star": -3, "sigma": -3})

# %%
simlib.report.save_table(f"morris_cost_{city}", rank)

# %%
fig = simlib.plotting.morris_bars(rank, unit="yuan")

# %% [markdown]
# ## … and the 2025 staff need (FTE)

# %%
rank_fte = morris(
    city, "fte", 2025, trajectories=trajectories, sample=0.01, seed=seed, backend=backend
)
rank_fte[["key", "mu_star", "sigma", "low", "high"]].head(8).round({"mu_star": 1, "sigma": 1})

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
# # 02 · Synthetic populations and their validation
#
# **Question.** Does the synthetic population reproduce the 2020 census, the sourced
# disability prevalence and the life table, and how does each city's older population grow
# to 2035?
#
# **Summary of findings:**
# - At a 5 % sample every county is within sampling error of the census (at full scale every
#   county × sex × age cell is exact; tested).
# - Base-year ADL disability prevalence is within 2 percentage points of the sourced
#   curve in every age group.
# - The model's mortality reproduces the WPP 2024 period life expectancy at 60 and 80 for both
#   sexes within Monte-Carlo error.
# - The 80+ population grows two- to fourfold by 2035 in every city, as the large 1950s–60s
#   birth cohorts reach 80.

# %% tags=["parameters"]
sample = 0.05  # fraction of persons; at 1.0 the census is reproduced exactly
seed = 1
cohort = 20_000  # persons in the life-expectancy check

# %%
import pandas as pd

import simlib
from simlib.validation import (
    adl_prevalence_comparison,
    census_comparison,
    life_expectancy_check,
)

models = {c: simlib.ElderCareModel(c, sample=sample, rng=seed) for c in simlib.CITIES}

# %% [markdown]
# ## Synthetic vs census, persons aged 45+ by county (Datong)
# At a sample fraction each county differs from the census by sampling error only; at
# `sample = 1.0` every county × sex × age-group cell is exact (tested).

# %%
census_comparison(models["datong"])

# %% [markdown]
# ## ADL disability prevalence: simulated base year vs sourced target (Datong)

# %%
# NBVAL_CHECK_OUTPUT
adl_prevalence_comparison(models["datong"]).round(3)

# %% [markdown]
# ## Life expectancy: the model's mortality vs the WPP 2024 life table (2020)

# %%
# NBVAL_CHECK_OUTPUT
rows = []
for sex, label in ((0, "male"), (1, "female")):
    for age in (60, 80):
        r = life_expectancy_check(sex, age, n=cohort, seed=seed)
        rows.append({"sex": label, "age": age, **r})
pd.DataFrame(rows).round(2)

# %% [markdown]
# ## Projected older population to 2035

# %%
for m in models.values():
    m.run()
proj = pd.concat([m.outcomes().assign(city=c) for c, m in models.items()], ignore_index=True)
pops = (
    proj[proj.measure.isin(["pop60", "pop65", "pop80"])]
    .groupby(["city", "measure", "year"])["value"]
    .sum()
    .unstack("year")
)

# %%
# NBVAL_CHECK_OUTPUT
pops[[2020, 2025, 2030, 2035]].round(-3)

# %%
tidy = pops.stack().rename("value").reset_index()
fig = simlib.plotting.line_by_year(
    tidy[tidy.measure == "pop80"], "value", title="Persons aged 80+", ylabel="persons"
)

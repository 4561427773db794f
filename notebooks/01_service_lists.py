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
# # 01 · The five service lists side by side (基本养老服务清单)
#
# **Question.** What does each city's basic elderly care service list promise, to whom, and
# at what standard? Every number below is computed from the rules in `params/services/`,
# each traceable to its annex item (`source` column, or `simlib.explain`).
#
# **Summary of findings** (checked by the outputs below):
# - The lists run from 22 items (Datong) to 30 (Jincheng, Puyang); most are 物质帮助
#   (material assistance) and 照护/关爱服务 (care and caring services).
# - The old-age allowance (高龄津贴) differs most: at 85 it is 600–840 yuan a year, at 95
#   from 840 (Datong, Xiaoyi) to 2 400 yuan (Jincheng); every city pays 3 600 at 100+.
# - For a rural 特困 person at home needing full care, cash support is several times the
#   allowance a non-poor 85-year-old receives, and differs by city through the 低保 standard
#   and the care-subsidy multiples.

# %% tags=["parameters"]
year = 2025  # calendar year: items must be in force (issued by 1 July)

# %%
import pandas as pd

import simlib
from simlib.comparison import family_matrix, items_by_type

pd.set_option("display.width", 120)

# %% [markdown]
# ## Items per city and service type

# %%
# NBVAL_CHECK_OUTPUT
items_by_type()

# %% [markdown]
# ## Which kinds of item each list has (1) or lacks (0)

# %%
family_matrix()

# %% [markdown]
# ## Standards compared: annual cash for typical persons
#
# The persons are defined in `params/reference_persons.yaml`; the amounts are the sum of
# `yuan_per_year` over each city's items of a family (e.g. every item that is an
# old-age allowance). Assumed values (e.g. Datong's 80–99 allowance, left to counties)
# are flagged in the catalogue's `assumption` column.

# %%
# NBVAL_CHECK_OUTPUT
table = simlib.standards(year)
key = table[table.family.isin(["old_age_allowance", "service_subsidy", "care_subsidy"])]
key.pivot_table(index=["family", "person"], columns="city", values="yuan_per_year", aggfunc="sum")[
    list(simlib.CITIES)
].round(0)

# %%
fig = simlib.plotting.family_bars(table, "old_age_allowance")

# %%
fig = simlib.plotting.standards_heatmap(table)

# %% [markdown]
# ## Every number traces to its document item
#
# `simlib.explain` lists, for one person, each item's conditions (✓/✗), amount and source.

# %%
ex = simlib.explain("datong", {"age": 85, "assistance": "dibao", "urban": True}, year)
ex[ex.eligible][["item_id", "name_zh", "name_en", "yuan_per_year", "source"]]

# %% [markdown]
# The whole catalogue (all 131 items of the five lists) is one call:

# %%
cat = simlib.catalogue()
cat[["city", "item_id", "name_zh", "name_en", "service_type_en", "benefit", "assumption"]].head(10)

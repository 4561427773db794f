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
# # 00 · Quickstart: one city, the baseline, the numbers a bureau asks for
#
# **Question.** Under its own service list and documented take-up, how many older people in
# a city are enrolled, how much visiting work and how many beds does that mean, and what does
# it cost, from 2020 to 2035?
#
# **Summary of findings** (Xiaoyi 孝义, CI-sized sample; see the outputs):
# - Xiaoyi's 60+ population grows from about 93 000 (2025) to about 138 000 (2035), and the
#   service-list budget from about 67 to about 102 million yuan a year, 700–740 yuan per
#   person aged 60+.
# - Caring visits (探访关爱) are the largest item, ahead of 特困 dispersed support and the
#   old-age allowance; in-kind services need some 260–400 full-time staff.
# - One person's entitlements are explained item by item, each with its annex source.

# %% tags=["parameters"]
city = "xiaoyi"  # any of simlib.CITIES
scenario = "baseline"  # any file in params/scenarios/
sample = 0.05  # fraction of persons simulated; 1.0 = one agent per resident (full scale)
reps = 2  # replications (independent random streams); 20+ for publication intervals
seed = 1

# %%
import simlib
from simlib.analysis import cost_by_item, headline

res = simlib.run(city, scenario, sample=sample, reps=reps, seed=seed)

# %% [markdown]
# ## Headline numbers
# Enrolments count person-items (one person in two items counts twice). Cost is the
# service-list budget (cash, services, beds) in constant yuan of 2024; pensions are not in it.

# %%
# NBVAL_CHECK_OUTPUT
headline(res)

# %%
simlib.report.save_table(f"quickstart_{city}", res.table)

# %%
fig = res.plot("cost_yuan", title=f"{city}: service-list cost per year", ylabel="yuan per year")

# %% [markdown]
# ## Where the money goes in 2030

# %%
# NBVAL_CHECK_OUTPUT
cost_by_item(res, 2030).round(-3)

# %% [markdown]
# ## One person, explained
# Every amount traces to its document item:

# %%
ex = simlib.explain(city, {"age": 82, "assistance": "dibao", "living": "alone"}, 2030)
ex[ex.eligible][["item_id", "name_zh", "name_en", "yuan_per_year", "units", "source"]]

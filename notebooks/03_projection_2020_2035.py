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
# # 03 · Baseline projections 2020–2035, five cities
#
# **Question.** Under each city's own list, how do enrolment, visiting workload (FTE),
# institution beds and fiscal cost evolve to 2035, per city, per county and per department?
#
# **Summary of findings:**
# - The service-list cost per person aged 60+ is about 720–800 yuan a year in the four Shanxi
#   cities and about 1 000–1 100 in Puyang, whose list adds repair and cleaning visits and
#   minimum-wage-linked care payments for 特困.
# - Total cost rises by roughly 40–50 % from 2025 to 2035, a little faster than the 60+
#   population, as the oldest (and most supported) ages grow fastest.
# - In-kind services need about 1 500–3 300 full-time staff per city in 2025, most of them for
#   caring visits; civil affairs (民政局) carries most of the budget.

# %% tags=["parameters"]
sample = 0.02  # fraction of persons; 1.0 = full scale (about a minute per city)
reps = 2
seed = 1

# %%
import simlib
from simlib.analysis import projections

results = {c: simlib.run(c, "baseline", sample=sample, reps=reps, seed=seed) for c in simlib.CITIES}
proj = projections(results)

# %% [markdown]
# ## Headline measures by city, 2025 and 2035

# %%
# NBVAL_CHECK_OUTPUT
proj[proj.year.isin([2025, 2035])].pivot_table(
    index="measure", columns=["city", "year"], values="value"
).round(0)

# %%
simlib.report.save_table("projections_baseline", proj)

# %%
fig = simlib.plotting.line_by_year(
    proj[proj.measure == "cost per person 60+, yuan"],
    "value",
    title="Service-list cost per person aged 60+",
    ylabel="yuan per year",
)

# %%
fig = simlib.plotting.line_by_year(
    proj[proj.measure == "staff FTE (in-kind services)"],
    "value",
    title="Staff needed for in-kind services",
    ylabel="full-time equivalents",
)

# %% [markdown]
# ## Institution beds demanded by county in 2030 (Datong)

# %%
beds = results["datong"].totals("beds:institution_bed", ("year", "county"))
beds[beds.year == 2030][["county", "value"]].round(0)

# %% [markdown]
# ## Cost by lead department in 2030 (Puyang)

# %%
# NBVAL_CHECK_OUTPUT
results["puyang"].by_department(2030).sort_values("value", ascending=False).round(-3)

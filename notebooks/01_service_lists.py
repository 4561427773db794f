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
# # 01 · The five service lists side by side (基本养老服务清单对比)
#
# **Question.** What does each city's basic elderly care service list promise, to whom, and
# at what standard?
#
# No simulation: every number below is computed from the rules in `params/services/` and the
# cities' standards in `params/cities/`, each traceable to its annex item (the `source`
# column, or `simlib.explain`). Amounts are yuan per person per year in the price year of the
# lists; assumed values (where a list leaves a standard to counties or to a local rate not
# found) are flagged. The summary of findings is at the end.

# %% tags=["parameters"]
year = 2025  # calendar year: items in force that year are compared
city = "datong"  # the city of the worked example (any of simlib.CITIES)
person = {"age": 85, "assistance": "dibao", "urban": True}  # the worked example's person
family = "old_age_allowance"  # the item family drawn city by city

# %%
import pandas as pd

import simlib
from simlib.params import load_vocabulary, read_tree
from simlib.reporting import plotting, tables
from simlib.reporting.page import Page

page = Page("01_service_lists", year=year, city=city)
cat = simlib.catalogue(programmes=False)  # the lists alone (programmes: notebook 08)
cities = list(simlib.CITIES)
names = {c: simlib.load_city(c).context for c in cities}
city_zh = {c: names[c].name_zh for c in cities}
city_en = {c: names[c].name_en for c in cities}


def _split(label: str) -> tuple[str, str]:
    """'English label (中文)' → (中文, English label)."""
    en, _, zh = label.rpartition(" (")
    return (zh.rstrip(")"), en) if en else ("", label)


fam_zh = {k: _split(v)[0] for k, v in load_vocabulary(read_tree()).families.items()}
fam_en = {k: _split(v)[1] for k, v in load_vocabulary(read_tree()).families.items()}

# %% [markdown]
# ## The lists at a glance
#
# One row per city: when its list took effect, how many items it has, and how many of them
# the model can quantify (a cash amount, an in-kind service, a bed, or a household benefit)
# rather than only record (e.g. "priority in public transport"). Pension items are in the
# lists but outside the list's budget.

# %%
kinds = ["quantified", "cash", "in_kind", "placement", "household", "pension", "assumption"]
overview = (
    cat.groupby("city")
    .agg(
        effective=("effective", "min"),
        items=("item_id", "count"),
        **{k: (k, "sum") for k in kinds},
    )
    .reset_index()
)
overview.insert(1, "city_zh", overview["city"].map(city_zh))
overview.insert(2, "city_en", overview["city"].map(city_en))
overview["effective"] = overview["effective"].dt.strftime("%Y-%m-%d")
overview["unit"] = "items"
page.table(
    overview,
    "lists_overview",
    caption=(
        "Items per list: quantified = with an amount, service or bed the model counts; "
        "cash / in_kind / placement / household = benefit kinds (an item may have several); "
        "assumption = an amount assumed where the list is silent 各城市清单概况"
    ),
)

# %%
# NBVAL_CHECK_OUTPUT
print(overview[["city", "effective", "items", "quantified", "cash", "assumption"]].to_string())

# %% [markdown]
# ## Items per city and service type (服务类型)
#
# The service types are the lists' own columns (物质帮助, 照护服务, 关爱服务 …).

# %%
by_type = tables.items_by_type().reset_index()
by_type["unit"] = "items"
page.table(by_type, "items_by_type", caption="Items per city and service type 各类服务项目数")
n_types = (cat.groupby("city")["service_type_zh"].nunique()).sort_values()
page.say(
    "The lists use from {lo} ({lo_c}) to {hi} ({hi_c}) service types.",
    lo=int(n_types.iloc[0]),
    lo_c=", ".join(city_en[c] for c in n_types[n_types == n_types.iloc[0]].index),
    hi=int(n_types.iloc[-1]),
    hi_c=", ".join(city_en[c] for c in n_types[n_types == n_types.iloc[-1]].index),
)

# %%
# NBVAL_CHECK_OUTPUT
print(tables.items_by_type().to_string())

# %% [markdown]
# ## Which kinds of item each list has (1) or lacks (0)
#
# Items are grouped into families: the same kind of item across the five lists (e.g. every
# 高龄津贴 is an `old_age_allowance`), defined in `params/vocabulary/families.yaml`.

# %%
fm = tables.family_matrix()
fm_table = fm.reset_index()
fm_table.insert(1, "family_zh", fm_table["family"].map(fam_zh))
fm_table.insert(2, "family_en", fm_table["family"].map(fam_en))
fm_table["n_cities"] = fm.sum(axis=1).to_numpy()
fm_table["unit"] = "1 = in the list"
page.table(fm_table, "family_matrix", caption="Item families in each list 各清单包含的服务类别")

# %%
differ = fm[fm.sum(axis=1) < len(cities)]  # the families not in every list
labelled = differ.rename(index=lambda f: f"{fam_zh.get(f, '')} {f}")
labelled.columns = [f"{city_zh[c]}\n{c}" for c in labelled.columns]
fig = plotting.matrix_heatmap(
    labelled,
    "1 = in the list",
    title="各清单不同的服务类别 Item families not in every list",
    fmt="d",
    note=page.stamp,
)
page.figure(fig, "family_matrix")

# %%
n_fam = len(fm)
shared = int((fm.sum(axis=1) == len(cities)).sum())
single = fm[fm.sum(axis=1) == 1]
only_in = single.idxmax(axis=1).value_counts()
page.say(
    "Of {n} item families, {shared} are in all {k} lists and {single} in one list only "
    "({most} has {most_n} of those).",
    n=n_fam,
    shared=shared,
    k=len(cities),
    single=len(single),
    most=f"{city_en[only_in.index[0]]} {city_zh[only_in.index[0]]}",
    most_n=int(only_in.iloc[0]),
)

# %% [markdown]
# ## To whom: the target groups of the cash items
#
# The 对象 (target group) column of each list, for the families that pay cash. The wording
# differs even where the rule is the same; the encoded conditions are in `simlib.explain`.

# %%
cash_fams = cat.loc[cat["cash"] & ~cat["pension"], "family"].unique()
groups = (
    cat[cat["family"].isin(cash_fams)]
    .groupby(["family", "city"])["target_group_zh"]
    .agg(lambda s: "；".join(dict.fromkeys(s)))
    .unstack("city")
    .reindex(columns=cities)
    .fillna("—")
    .reset_index()
)
groups.insert(1, "family_zh", groups["family"].map(fam_zh))
page.table(groups, "target_groups", caption="Target group (对象) of each cash item family, by city")

# %% [markdown]
# ## At what standard: annual cash for typical persons
#
# The typical persons are defined in `params/reference_persons.yaml` (illustrations, not
# data). Each amount is the sum of `yuan_per_year` over a city's items of one family: what
# the person would receive in cash in a year if they took the benefit up. In-kind services
# and beds are counted in notebook 03, not here: a benefit given in kind (e.g. free electricity
# in kWh rather than in yuan) shows as 0 yuan.

# %%
std = tables.standards(year)
cash = std[std.groupby("family")["yuan_per_year"].transform("sum") > 0].copy()
wide = (
    cash.pivot_table(
        index=["family", "person_zh", "person"],
        columns="city",
        values="yuan_per_year",
        aggfunc="sum",
        sort=False,
    )
    .reindex(columns=cities)
    .reset_index()
)
wide = wide[wide[cities].fillna(0).sum(axis=1) > 0]
wide.insert(1, "family_zh", wide["family"].map(fam_zh))
wide["unit"] = "yuan per person per year"
page.table(
    wide,
    "standards",
    caption=(
        f"Annual cash by item family and typical person, {year} "
        "(– = the list has no item of that family) 典型老人每年可得现金"
    ),
    digits=0,
)

# %%
# NBVAL_CHECK_OUTPUT
print(wide.set_index(["family", "person"])[cities].round(0).to_string())

# %%
fig = plotting.standards_heatmap(std)
page.figure(fig, "standards_heatmap")

# %%
fig = plotting.family_bars(std, family)
page.figure(fig, f"{family}_by_city")

# %% [markdown]
# ### Where the cities differ most
#
# For each family and person where the amounts differ: the lowest and the highest amount
# across the cities that have the family.

# %%
spread = (
    cash.dropna(subset=["yuan_per_year"])
    .groupby(["family", "person_zh", "person"], sort=False)
    .apply(
        lambda g: pd.Series(
            {
                "lowest": g["yuan_per_year"].min(),
                "lowest_in": ", ".join(g.loc[g.yuan_per_year == g.yuan_per_year.min(), "city"]),
                "highest": g["yuan_per_year"].max(),
                "highest_in": ", ".join(g.loc[g.yuan_per_year == g.yuan_per_year.max(), "city"]),
            }
        ),
        include_groups=False,
    )
    .reset_index()
)
spread["gap"] = spread["highest"] - spread["lowest"]
spread = spread[spread["gap"] > 0]
spread = spread.sort_values("gap", ascending=False, ignore_index=True)
spread.insert(1, "family_zh", spread["family"].map(fam_zh))
spread["unit"] = "yuan per person per year"
page.table(
    spread, "standards_spread", caption=f"Lowest and highest annual cash across cities, {year}"
)

# %%
top = spread.iloc[0]
page.say(
    "The widest gap is in {fam_zh} ({fam}) for the person '{who}': {lo:,.0f} yuan a year in "
    "{lo_in} against {hi:,.0f} in {hi_in}.",
    fam_zh=top["family_zh"],
    fam=top["family"],
    who=top["person"],
    lo=top["lowest"],
    lo_in=top["lowest_in"],
    hi=top["highest"],
    hi_in=top["highest_in"],
)

# %% [markdown]
# ## The standards the amounts rest on
#
# Several items pay a multiple of a local standard (e.g. 分散供养特困 at a multiple of 当地低保标准).
# Where the city's own figure was not found, a sourced proxy stands in and is marked as an
# assumption (with its range in `params/cities/<city>.yaml`).

# %%
rows = []
for c in cities:
    for s in names[c].standards.values():
        values = s.value if isinstance(s.value, dict) else {"all": s.value}
        for variant, v in values.items():
            rows.append(
                {
                    "city": c,
                    "city_zh": city_zh[c],
                    "standard": s.name,
                    "standard_zh": s.name_zh,
                    "variant": variant,
                    "value": float(v),
                    "unit": s.unit,
                    "assumption": s.provenance.assumption,
                    "source": s.provenance.source or "assumption (see rationale in params)",
                }
            )
local = pd.DataFrame(rows)
page.table(local, "local_standards", caption="Local standards used by the lists 地方标准", digits=0)

# %% [markdown]
# ## Assumed amounts
#
# Items whose amount or count is assumed (the list leaves it to counties, or states no
# figure). Notebook 06 varies each over its documented range.

# %%
assumed = cat.loc[cat["assumption"], ["city", "item_id", "name_zh", "name_en", "benefit"]]
assumed = assumed.assign(city_zh=assumed["city"].map(city_zh)).reset_index(drop=True)
page.table(assumed, "assumed_items", caption="Items with an assumed amount 含假设数值的项目")

# %% [markdown]
# ## Every number traces to its document item
#
# `simlib.explain` shows, for one person, each item's conditions (✓ met, ✗ not met), the
# amounts and the annex item it comes from. Click an item for its conditions.

# %%
ex = simlib.explain(city, person, year)
ex[ex.eligible]

# %%
got = ex[ex.eligible].assign(
    units=lambda d: d["units"].map(lambda u: "; ".join(f"{v:g} {k}" for k, v in u.items()))
)
got = got[["item_id", "name_zh", "name_en", "yuan_per_year", "yuan_once", "units", "source"]]
got["unit"] = "yuan per year; units per year"
page.table(
    got.reset_index(drop=True),
    "explain_example",
    caption=f"{city_zh[city]} {city}, {year}: the items {person} is eligible for",
    digits=0,
)
page.say(
    "In {c}, this person is eligible for {n} of the {k} items in force; {m} of them pay cash, "
    "{cash:,.0f} yuan a year in all.",
    c=f"{city_en[city]} {city_zh[city]}",
    n=int(ex["eligible"].sum()),
    k=int(ex["in_force"].sum()),
    m=int((got["yuan_per_year"] > 0).sum()),
    cash=float(got["yuan_per_year"].sum()),
)

# %% [markdown]
# The whole catalogue (every item of the five lists, with its conditions summarised) is one
# call: `simlib.catalogue()`; the first rows:

# %%
page.table(
    cat[["city", "item_id", "name_zh", "name_en", "service_type_zh", "benefit", "source"]].head(8),
    "catalogue_head",
    caption="simlib.catalogue(), first rows",
)

# %% [markdown]
# ## Summary of findings

# %%
big, small = overview.loc[overview["items"].idxmax()], overview.loc[overview["items"].idxmin()]
page.say(
    "- The lists run from {n_lo} items ({lo}) to {n_hi} ({hi}); the model quantifies "
    "{q_lo}–{q_hi} items per list, and {a} items in all rest on an assumed amount.",
    n_lo=int(small["items"]),
    lo=f"{small['city_en']} {small['city_zh']}",
    n_hi=int(big["items"]),
    hi=f"{big['city_en']} {big['city_zh']}",
    q_lo=int(overview["quantified"].min()),
    q_hi=int(overview["quantified"].max()),
    a=int(overview["assumption"].sum()),
)
page.say(
    "- {shared} of {n} item families are common to all {k} lists; {single} appear in one list "
    "only, most of them in {most}.",
    shared=shared,
    n=n_fam,
    k=len(cities),
    single=len(single),
    most=f"{city_en[only_in.index[0]]} {city_zh[only_in.index[0]]}",
)
for _, r in spread.head(3).iterrows():
    page.say(
        "- {fam_zh} ({fam}), person '{who}': from {lo:,.0f} yuan a year ({lo_in}) to "
        "{hi:,.0f} ({hi_in}).",
        fam_zh=r["family_zh"],
        fam=r["family"],
        who=r["person"],
        lo=r["lowest"],
        lo_in=r["lowest_in"],
        hi=r["highest"],
        hi_in=r["highest_in"],
    )
per_std = local.drop_duplicates(["city", "standard"])
everywhere = per_std.groupby("standard_zh")["assumption"].agg(["all", "size"])
everywhere = everywhere[everywhere["all"] & (everywhere["size"] == len(cities))].index
page.say(
    "- {n} of the {k} local standards the amounts rest on are proxies (assumptions); "
    "in every city: {names}.",
    n=int(per_std["assumption"].sum()),
    k=len(per_std),
    names="、".join(everywhere) or "none",
)

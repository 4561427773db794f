"""A city's old-age mortality level: its derivation from the 2010 census, and its death rates.

The model's death rates are China's (WPP 2024, ``params/population/wpp2024_mx.csv``). A city's
old-age mortality departs from China's (the back-cast's 80+, notebook 02), and the 2010 census
measures by how much, without any post-2020 figure (:func:`census_mortality_levels`): the
city's deaths of the census year (Nov 2009 – Oct 2010: each county's crude death rate ×
residents, the 2010 county table) over the deaths China's census death rates (table 6-1 by
5-year age group and sex, 85+ pooled) give the city's residents of every age, by age and sex
(an all-age standardised mortality ratio, SMR), over the same ratio for its province (the
province's county rows). The level is the city's mortality relative to its province, whose
mortality is taken as China's: the ratio of two areas counted by one provincial census
operation, where the census's under-reporting of deaths (Shanxi 2020: about 68 % of the
deaths its sample survey gives) largely cancels. A province's own ratio to China's census
(Shanxi 1.12 at all ages, 1.18 at 60+; Henan 1.03, 1.05) also holds differences in death
reporting between provinces, which the census cannot separate from mortality; the level it
would give (``level_china``: the city's SMR against China × the province's 60+ SMR / all-age
SMR) is the range's other end. A first derivation took ``level_china`` as the value (1.13–1.45):
the back-cast then kept 11–14 % too few persons aged 80+ in every city (notebook 02 states
it), so the province became the reference: a choice made after that back-cast.

The level multiplies China's rates at ages :data:`OLD_AGE` and over
(``health.yaml: death.city_mortality_level.<city>``, a flagged derived value with its
range; the scenario ``china_mortality_rates`` sets every city's to 1).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simlib.core.errors import ParamError
from simlib.core.reader import Column
from simlib.params.demography import MAX_AGE, Mortality

#: First age the city mortality level applies to (years): the ages of the province's
#: old-age SMR in the derivation.
OLD_AGE = 60
#: The census year of the deaths the levels come from.
CENSUS_YEAR = 2010
#: The provincial deaths by age and sex (census tables 6-1 and 1-7, 2010 and 2020).
PROVINCE_DEATHS = "sources/reference/census_province_deaths_age_sex_5yr.csv"
#: Its columns.
DEATHS_COLUMNS = (
    Column("census_year", "int", lo=2010, hi=2020),
    Column("area"),
    Column("age_group"),
    *(
        Column(f"{k}_{sex}", "int", lo=0)
        for k in ("deaths", "census_pop")
        for sex in ("male", "female")
    ),
    *(Column(f"derived_rate_{sex}_permille", "float", lo=0) for sex in ("male", "female")),
)
#: The county table's crude death rate (‰).
DEATH_RATE = "死亡率（‰）"
#: The provinces of the reference table, by their name in the county table.
PROVINCES = {"山西省": "Shanxi", "河南省": "Henan"}


def level_by_age(health, city: str | None) -> np.ndarray:
    """The multiplier of China's death rates for a city, ``[sex, age]`` (1 below :data:`OLD_AGE`).

    A city without an entry in ``death.city_mortality_level`` (a city added with
    ``simlib new-city``) has China's rates until its level is derived
    (:func:`census_mortality_levels`) and entered.

    Args:
        health: Health parameters (``death.city_mortality_level``).
        city: City key, or None (China's rates: every multiplier 1).

    Returns:
        float array ``[2, MAX_AGE + 1]``.
    """
    out = np.ones((2, MAX_AGE + 1))
    if city is not None:
        out[:, OLD_AGE:] = health.section("death").values.get(f"city_mortality_level.{city}", 1.0)
    return out


def city_mortality(mortality: Mortality, health, city: str | None) -> Mortality:
    """China's table with the city's old-age level applied (:func:`level_by_age`).

    Args:
        mortality: China's single-year table.
        health: Health parameters.
        city: City key, or None (China's table returned as it is).

    Returns:
        The city's table.
    """
    if city is None:
        return mortality
    return Mortality(mortality.mx * level_by_age(health, city)[:, :, None])


def _china_rates(deaths: pd.DataFrame, area: str) -> dict[tuple[int, int], float]:
    """Deaths per person by (sex, county-table age group) of one area's census year."""
    d = deaths[deaths["area"] == area].copy()
    d["start"] = d["age_group"].astype(str).str.extract(r"^(\d+)")[0].astype(int)
    d["start"] = np.where(d["start"] >= 85, 85, np.where(d["start"].between(1, 4), 1, d["start"]))
    g = d.groupby("start")[
        ["deaths_male", "deaths_female", "census_pop_male", "census_pop_female"]
    ].sum()
    return {
        (s, int(a)): float(r[f"deaths_{sex}"] / r[f"census_pop_{sex}"])
        for s, sex in enumerate(("male", "female"))
        for a, r in g.iterrows()
    }


def census_mortality_levels(
    cities, deaths: pd.DataFrame | None = None, params_dir: str | Path | None = None
) -> pd.DataFrame:
    """Each city's old-age mortality level from the 2010 census (see the module docstring).

    The one derivation of a city's age-standardised mortality ratio: the back-cast's
    evidence (:func:`simlib.experiments.backcast.old_age_mortality_evidence`) reads it too.

    Args:
        cities: City keys.
        deaths: The census deaths by province, 5-year age group and sex
            (``params/`` :data:`PROVINCE_DEATHS`, reference material outside the params hash);
            columns :data:`DEATHS_COLUMNS`. None reads it from the params tree.
        params_dir: The params tree (the bundled one by default).

    Returns:
        One row per city: city, province, deaths (the city's census-year deaths, persons),
        smr_city and smr_province (all ages, against China's census rates), smr_province_60plus,
        level (``smr_city / smr_province``) and level_china (``smr_city ×
        smr_province_60plus / smr_province``), all ratios.
    """
    from simlib.params import load_inputs, read_tree
    from simlib.params.census import AGE_STARTS, age_column, county_census, prefecture_rows

    tree = read_tree(params_dir)
    if deaths is None:
        deaths = pd.read_csv(tree.root / PROVINCE_DEATHS)
    missing = [c.name for c in DEATHS_COLUMNS if c.name not in deaths.columns]
    if missing:
        raise ParamError(f"{PROVINCE_DEATHS}: missing columns {missing}")
    deaths = deaths[deaths["census_year"] == CENSUS_YEAR]
    china = _china_rates(deaths, "China")
    t = county_census(CENSUS_YEAR, params_dir=tree.root)
    expected = np.zeros(len(t))
    for s, zh in enumerate("男女"):
        for a in AGE_STARTS:
            n = pd.to_numeric(t[age_column(CENSUS_YEAR, zh, a)]).fillna(0).to_numpy(float)
            expected += n * china[(s, a)]
    rate = pd.to_numeric(t[DEATH_RATE]).to_numpy(float)
    if np.isnan(rate).any():
        raise ParamError(f"{CENSUS_YEAR} county census table: a county without {DEATH_RATE}")
    t = t.assign(_obs=rate / 1000 * pd.to_numeric(t["合计"]).to_numpy(float), _exp=expected)

    def province_smr(area: str, lo: int) -> float:
        # the province's deaths at ages >= lo over China's census rates of each 5-year
        # group and sex times the province's census population of that group
        c = deaths[deaths["area"] == "China"].set_index("age_group")
        d = deaths[deaths["area"] == area].set_index("age_group")
        d = d[d.index.astype(str).str.extract(r"^(\d+)")[0].astype(int).to_numpy() >= lo]
        obs = exp = 0.0
        for sex in ("male", "female"):
            rate = c.loc[d.index, f"deaths_{sex}"] / c.loc[d.index, f"census_pop_{sex}"]
            obs += float(d[f"deaths_{sex}"].sum())
            exp += float((d[f"census_pop_{sex}"] * rate).sum())
        return obs / exp

    rows = []
    for city in cities:
        name = str(load_inputs(city, params_dir=tree.root).context.name_zh)
        r = t.loc[prefecture_rows(t, name).index]
        province = str(r["省"].iloc[0])
        if province not in PROVINCES:
            raise ParamError(f"{PROVINCE_DEATHS}: no deaths by age for {province} ({city})")
        smr_city = float(r["_obs"].sum() / r["_exp"].sum())
        prov = t[t["省"] == province]
        smr_prov = float(prov["_obs"].sum() / prov["_exp"].sum())
        p_all = province_smr(PROVINCES[province], 0)
        p_old = province_smr(PROVINCES[province], OLD_AGE)
        rows.append(
            {
                "city": city,
                "province": province,
                "deaths": float(r["_obs"].sum()),
                "smr_city": smr_city,
                "smr_province": smr_prov,
                "smr_province_60plus": p_old,
                "level": smr_city / smr_prov,
                "level_china": smr_city * p_old / p_all,
            }
        )
    return pd.DataFrame(rows)

"""The back-cast: the 2010 census run to 2020 by the model against the 2020 census (#25 §4).

Expected values are the 2020 county census table's counts; tolerances are those of
``simlib.experiments.backcast.TOLERANCES``, stated before the first run with their reasons.
"""

from __future__ import annotations

import pandas as pd
import pytest

from simlib.experiments.backcast import (
    COMPARED_STARTS,
    STATE_TOLERANCES,
    TOLERANCES,
    backcast_comparison,
    backcast_state_comparison,
    run_backcast,
)
from simlib.params import cities, load_inputs, read_tree
from simlib.params.demography import census_of_year, load_single_year


@pytest.fixture(scope="module")
def runs():
    # 10 % of each city: a city × sex × 5-year cell of 55-74 holds >= 600 agents (Xiaoyi's
    # smallest, women 70-74, ~6 600 persons), a relative sd <= 4 %; the 60+ totals hold
    # >= 7 000 agents, sd ~1 %; the 80+ totals >= 1 000 (sd ~3 %, Xiaoyi).
    return [run_backcast(c, sample=0.1, seed=2) for c in cities()]


@pytest.fixture(scope="module")
def table(runs) -> pd.DataFrame:
    return backcast_comparison(runs)


def test_the_2010_census_is_read_for_every_city():
    tree = read_tree()
    single = load_single_year(tree, 2010).set_index("age")
    # 2010 census table 6-4 (average population Nov 2009 - Oct 2010): the 1959-61 dip sits
    # at ages 48-50 in 2010; persons aged 49 are well below those aged 47 and 51
    both = single["male"] + single["female"]
    assert both[49] < 0.7 * (both[47] + both[51]) / 2  # 12.2 million against 20.1
    c = census_of_year(tree, 2010, "xiaoyi", "孝义市")
    # 孝义市, 2010 county table: 468 770 residents, 268 253 urban
    assert c.counties["population"].tolist() == [468770]
    assert c.counties["urban"].tolist() == [268253]
    assert c.age_sex["count"].sum() > 0 and set(c.age_sex["sex"]) == {"male", "female"}


def test_city_totals_of_the_60_plus_match_the_2020_census(table):
    totals = table[(table["level"] == "total") & (table["age"] == "60+")]
    assert len(totals) == len(cities())
    assert totals["within"].all(), totals[["city", "ratio", "tolerance"]]
    assert (totals["tolerance"] == TOLERANCES["city_60plus"][0]).all()


def test_city_cells_below_75_match_the_2020_census(table):
    cells = table[
        (table["level"] == "city") & table["age"].isin(["55-59", "60-64", "65-69", "70-74"])
    ]
    assert len(cells) == 4 * 2 * len(cities())
    assert cells["within"].all(), cells.loc[~cells["within"], ["city", "sex", "age", "ratio"]]


@pytest.fixture(scope="module")
def china_table() -> pd.DataFrame:
    # the variant on China's death rates (every city's old-age level 1), same sample
    return backcast_comparison(
        [run_backcast(c, sample=0.1, seed=2, china_rates=True) for c in cities()]
    )


def test_every_city_figure_is_within_its_stated_tolerance(table):
    # With each city's old-age mortality level of the 2010 census (health.yaml:
    # death.city_mortality_level), every city × sex × 5-year group and every 60+ and 80+
    # total is within its tolerance (TOLERANCES, unchanged since the first run). Sampling at
    # 10 %: the 80+ totals' sd ~2-3 %, the 85+ cells' ~3-5 %.
    city = table[table["level"] != "county"]
    assert len(city) == len(cities()) * (2 * len(COMPARED_STARTS) + 2)
    assert city["within"].all(), city.loc[~city["within"], ["city", "sex", "age", "ratio"]]


def test_on_chinas_rates_jinchengs_oldest_outlive_their_census(table, china_table):
    # On China's rates (scenario china_mortality_rates) 晋城 keeps 16-19 % more persons aged
    # 80+ than its 2020 census counts, outside the 15 % stated (first runs: 1.16 at 10 %, 1.18
    # with the 2010 census-day table; > 1.10 is 3 sd below); its level 1.23 brings the ratio
    # to about 1.0. The level moves every city's 80+ ratio the way its sign says.
    old = china_table[(china_table["level"] == "total") & (china_table["age"] == "80+")]
    old = old.set_index("city")
    assert old.loc["jincheng", "ratio"] > 1.10
    assert not old.loc["jincheng", "within"]
    new = table[(table["level"] == "total") & (table["age"] == "80+")].set_index("city")
    inputs = load_inputs("xiaoyi")
    for city in cities():
        level = inputs.health.values[f"city_mortality_level.{city}"]
        assert (new.loc[city, "ratio"] < old.loc[city, "ratio"]) == (level > 1), city


def test_the_back_cast_misses_where_the_2010_census_recorded_high_old_age_mortality(
    china_table,
):
    # Stated before computing the census measures: if the 80+ misses (on China's rates) come
    # from the cities' mortality departing from China's (not from the model's dynamics),
    # then (1) the cities whose oldest the model over-keeps are those whose 2010 census
    # recorded the highest age-standardised death rates, and (2) the censuses' own ten-year
    # survival of the 70+ is lowest there, below their province's.
    from simlib.experiments.backcast import old_age_mortality_evidence

    ev = old_age_mortality_evidence(list(cities())).set_index("city")
    old = china_table[(china_table["level"] == "total") & (china_table["age"] == "80+")]
    ev["backcast_80plus"] = old.set_index("city")["ratio"]
    # (1) 晋城 and 长治 have the two highest 80+ ratios (1.18, 1.12) and the two highest
    # 2010 death rates relative to Shanxi (the city levels of health.yaml: 1.23, 1.19, against
    # <= 1.09 elsewhere); across the five cities the ranks agree (Spearman >= 0.8: at most one
    # adjacent swap). The evidence reads the levels' own derivation
    # (mortality.census_mortality_levels: all ages, China's census rates as the standard),
    # which replaced its own (40+, WPP 2010 rates, deaths under 40 in the numerator only:
    # 1.25 and 1.21); the ranks of the five cities are the same on both.
    top2 = set(ev["backcast_80plus"].nlargest(2).index)
    assert top2 == set(ev["level"].nlargest(2).index) == {"jincheng", "changzhi"}
    assert ev[["backcast_80plus", "smr_city"]].corr("spearman").iloc[0, 1] >= 0.8
    assert (ev.loc[["jincheng", "changzhi"], "level"] > 1.15).all()
    inputs = load_inputs("xiaoyi")
    for city, r in ev.iterrows():
        # one derivation: the evidence's level is the one the dynamics read (2 decimals)
        assert inputs.health.values[f"city_mortality_level.{city}"] == round(r["level"], 2)
    # (2) census 80+ of 2020 over 70+ of 2010: 晋城 0.40, 长治 0.41 against Shanxi 0.45
    for city in ("jincheng", "changzhi"):
        assert ev.loc[city, "csr_city"] < 0.95 * ev.loc[city, "csr_province"], ev.loc[city]


def test_health_and_living_arrangement_of_the_60_plus_arrive_at_the_2020_census(runs):
    # The 2010 population's health (ADL grades, care classes) and households run ten years;
    # in 2020 the five cities' 60+ against the 2020 census's national figures (no Shanxi or
    # Henan table of 健康状况 or 居住状况 was found), tolerances of STATE_TOLERANCES stated
    # before the first run: 生活不能自理 (standardised to China's ages) within 25 %, 空巢 or 独居
    # within 10 %, 独居 within 30 %. Sampling: ~25 000 agents aged 60+ at 10 %, ~500 of them
    # unable (sd ~4.5 % of the share); the living shares' sd < 1 %.
    single = load_inputs("datong").census.single_year
    t = backcast_state_comparison(runs, single).set_index("key")
    assert list(t.index) == list(STATE_TOLERANCES)
    assert t.loc["unable_60plus", "census"] == 0.0234  # Guo et al. 2022, 2020 long form
    assert t["within"].all(), t[["model", "census", "ratio", "tolerance"]]
    # the trend of falling onset since 2010 leaves the back-cast's 2020 share below the
    # 2020-calibrated base year's (the census's 2.34 %): the direction of the evidence
    # (the census share fell from 2010 to 2020; Shaanxi 3.2 % to 2.1 %)
    assert t.loc["unable_60plus", "ratio"] < 1
    for city in cities():  # every city's own shares are plain fractions
        assert ((t[city] > 0) & (t[city] < 1)).all()

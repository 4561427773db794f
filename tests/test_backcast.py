"""The back-cast: the 2010 census run to 2020 by the model against the 2020 census (#25 §4).

Expected values are the 2020 county census table's counts; tolerances are those of
``simlib.experiments.backcast.TOLERANCES``, stated before the first run with their reasons.
"""

from __future__ import annotations

import pandas as pd
import pytest

from simlib.experiments.backcast import (
    TOLERANCES,
    backcast_comparison,
    run_backcast,
)
from simlib.params import cities, read_tree
from simlib.params.demography import census_of_year, load_single_year


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    # 10 % of each city: a city × sex × 5-year cell of 55-74 holds >= 600 agents (Xiaoyi's
    # smallest, women 70-74, ~6 600 persons), a relative sd <= 4 %; the 60+ totals hold
    # >= 7 000 agents, sd ~1 %; the 80+ totals >= 1 000 (sd ~3 %, Xiaoyi).
    return backcast_comparison([run_backcast(c, sample=0.1, seed=2) for c in cities()])


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


def test_the_oldest_are_matched_but_in_jincheng(table):
    # 80+ totals within 15 % in four cities; 晋城 keeps about 16 % more persons aged 80+
    # than its 2020 census counts (women 75+ most): its old-age death rates are above
    # China's, or its 2010 census counted its oldest more generously. A miss, stated in
    # notebook 02; the assertion fails when it is fixed, so the statement is revisited.
    old = table[(table["level"] == "total") & (table["age"] == "80+")].set_index("city")
    assert old.drop("jincheng")["within"].all(), old[["ratio"]]
    # first runs: 1.16 at 10 %; > 1.10 is 3 sd (~2 %) below it
    assert old.loc["jincheng", "ratio"] > 1.10

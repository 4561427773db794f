"""Synthetic base populations reproduce the census; states match their sourced prevalences."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simlib.model import ElderCareModel
from simlib.model.reporters import AGE_GROUP_LABELS, age_group_index
from simlib.params import cities, load_inputs
from simlib.params.health import age_curve
from simlib.population.calibration import adl_prevalence, calibrate_adl, fit_table
from simlib.population.synthesis import (
    LEAD_IN,
    apportion,
    census_day_shape,
    census_day_single_year,
    single_year_weights,
    synthesize,
    to_year_end,
)

CITIES = cities()
REFERENCE = Path(__file__).resolve().parent.parent / "params" / "sources" / "reference"


def _synthesize(city, rng, sample):
    inputs = load_inputs(city)
    counties = [str(c) for c in inputs.context.counties]
    return synthesize(inputs.census, inputs.mortality, city, counties, rng, sample)


def _census_cells(city):
    age_sex, _ = load_inputs(city).census.city(city)
    return age_sex.set_index(["county", "sex", "age_start"])["count"]


def _agent_cells(pop):
    c = pop.cols
    df = pop.to_frame()
    grp = age_group_index(c["age"])
    starts = np.asarray([int(g.split("-")[0].rstrip("+")) for g in AGE_GROUP_LABELS])
    df["age_start"] = starts[grp]
    return df.groupby(["county", "sex", "age_start"], observed=True)["weight"].sum()


@pytest.mark.parametrize("city", CITIES)
def test_full_scale_population_equals_census_exactly(city):
    pop = _synthesize(city, np.random.default_rng(0), sample=1.0)
    census = _census_cells(city)
    agents = _agent_cells(pop).reindex(census.index, fill_value=0)
    assert (agents.to_numpy() == census.to_numpy()).all()
    assert len(pop) == census.sum()


def test_sample_population_within_sampling_error():
    f = 0.05
    pop = _synthesize("datong", np.random.default_rng(3), sample=f)
    census = _census_cells("datong")
    agents = _agent_cells(pop).reindex(census.index, fill_value=0)
    # Each cell's agent count is floor(n f) + Bernoulli(frac(n f)): variance ≤ 1/4 agent,
    # i.e. ≤ (0.5 / f)² persons after weighting. The city total's error is the sum of
    # independent cell errors: allow 4 standard deviations.
    sd_total = 0.5 / f * np.sqrt(len(census))
    assert abs(agents.sum() - census.sum()) <= 4 * sd_total
    assert (np.abs(agents - census) <= 1 / f).all()  # never off by more than one agent


def test_single_year_split_keeps_totals_and_follows_mortality():
    mort = load_inputs("datong").mortality
    w = single_year_weights(mort, 0, 85, 110)
    assert w.sum() == pytest.approx(1)
    assert (np.diff(w) < 0).all()  # fewer people at each older age within 85+
    counts = apportion(1234, w)
    assert counts.sum() == 1234 and (counts >= 0).all()
    assert counts[0] > counts[5] > counts[10]


def test_age_curve_interpolates_log_linearly_and_holds_flat():
    pts = [(60, 0.1), (70, 0.4)]
    got = age_curve(pts, np.array([50, 60, 65, 70, 90]))
    assert got == pytest.approx([0.1, 0.1, 0.2, 0.4, 0.4])  # geometric midpoint at 65


@pytest.fixture(scope="module")
def datong():
    return ElderCareModel("datong", sample=0.2, rng=11)


def test_base_adl_prevalence_matches_sourced_targets(datong):
    section = datong.inputs.health.section("adl")
    c = datong.population.cols
    female, _ = datong.inputs.census.shares("datong")
    target = adl_prevalence(section, c["age"], c["sex"], female)
    for lo, hi in [(60, 69), (70, 79), (80, 110)]:
        m = (c["age"] >= lo) & (c["age"] <= hi)
        got = float(np.mean(c["adl_level"][m] > 0))
        want = float(np.mean(target[m]))
        se = np.sqrt(want * (1 - want) / m.sum())
        assert abs(got - want) < 4 * se, (lo, hi, got, want)  # 4 SE: α ≈ 6e-5 per band


def test_base_assistance_and_chronic_prevalence(datong):
    h = datong.inputs.health.values
    c = datong.population.cols
    old = c["age"] >= 60
    n = old.sum()
    assistance = datong.processes["assistance"]
    # 低保 and 特困 60+ shares average to the national figures over the urban/rural mix
    for code, name in ((2, "dibao"), (3, "tekun")):
        p = assistance.prevalence(name, c["age"][old], c["urban"][old])
        want = float(p.mean())
        got = float(np.mean(c["assistance"][old] == code))
        assert abs(got - want) < 4 * np.sqrt(want * (1 - want) / n), (name, got, want)
        # and the city average is close to the national 60+ figure it was split from
        assert want == pytest.approx(h[f"{name}_prevalence_60plus"], rel=0.15)
    rural_dibao = np.mean(c["assistance"][old & ~c["urban"]] == 2)
    urban_dibao = np.mean(c["assistance"][old & c["urban"]] == 2)
    assert rural_dibao > 3 * urban_dibao  # the rural ratio is 6
    assert 0.35 < np.mean(c["hypertension"][old]) < 0.6
    tekun = c["assistance"] == 3
    assert c["no_supporter"][tekun].all()
    assert (c["tekun_mode"][tekun] > 0).all() and (c["tekun_mode"][~tekun] == 0).all()
    central = c["tekun_mode"] == 2
    assert c["in_institution"][central].all()
    inst60 = float(np.mean(c["in_institution"][old]))
    # binomial se of a share near 0.8 % among ~10^4 agents is ~0.001; 0.004 is 4 se
    assert inst60 == pytest.approx(h["institution_share_60plus"], abs=0.004)
    assert (c["pension"][c["age"] < 60] == 0).all()
    assert np.mean(c["pension"][old] > 0) > 0.9


def test_adl_calibration_fits_the_sourced_curve():
    inputs = load_inputs("datong")
    fit = fit_table(calibrate_adl(inputs.health.section("adl"), inputs.mortality, 2020, 0.5))
    core = fit[(fit.age >= 46) & (fit.age <= 100)]
    # The chain reaches the target at every age where onset is not clipped at 0 or 1.
    free = core[(core.onset > 0) & (core.onset < 1)]
    assert len(free) > 0.9 * len(core)
    assert (free.fitted - free.target).abs().max() < 1e-9


def test_census_day_ages_are_the_average_population_half_a_year_on():
    # Table 6-4 (params/population/census2020_single_year.csv) averages Nov 2019 - Oct 2020,
    # i.e. ages about 1 May 2020. On 1 November the persons aged 58 are half of the table's
    # 57s (born 1962, the rebound: 24 416 345 both sexes) and half of its 58s (13 372 820),
    # less half a year of deaths (mx about 0.006 at 58: factor ~0.997).
    inputs = load_inputs("datong")
    day = census_day_single_year(inputs.census.single_year, inputs.mortality).set_index("age")
    both = day["male"] + day["female"]
    assert both[58] == pytest.approx((24416345 + 13372820) / 2 * 0.997, rel=0.003)
    # the open group keeps its own and gains half of the 99s: 118 365 + 72 199 / 2 = 154 464
    # both sexes (table 6-4), less half a year of deaths at mx 0.4-0.6 (factor 0.74-0.82)
    assert 154464 * 0.74 < both[100] < 154464 * 0.82
    assert day.index[0] == 45  # one age above the table's first (44)


def test_lead_in_to_year_end_kills_and_ages_two_months_worth():
    # 5 % of 大同 (~1.0e5 agents). Each agent has a birthday in Nov-Dec with probability
    # 2/12: the share's sampling sd is sqrt(p(1-p)/n) ~ 0.0012, allow 4 sd. Deaths: the
    # expected number is sum(1 - exp(-mx * 2/12)) by agent; allow 4 Poisson sd.
    inputs = load_inputs("datong")
    counties = [str(c) for c in inputs.context.counties]
    rng = np.random.default_rng(9)
    pop = synthesize(inputs.census, inputs.mortality, "datong", counties, rng, 0.05)
    age0 = pop.cols["age"].copy()
    mx = inputs.mortality.rate(pop.cols["sex"], age0, 2020)
    expected_deaths = (1 - np.exp(-mx * LEAD_IN)).sum()
    to_year_end(pop, inputs.mortality, rng)
    c = pop.cols
    dead = ~c["alive"]
    assert abs(dead.sum() - expected_deaths) < 4 * np.sqrt(expected_deaths)
    assert (c["death_year"][dead] == 2020).all() and (c["age"][dead] == age0[dead]).all()
    up = (c["age"] - age0)[~dead]
    assert set(np.unique(up)) <= {0, 1}
    n = up.size
    assert abs(up.mean() - 2 / 12) < 4 * np.sqrt((2 / 12) * (10 / 12) / n)


def test_entries_into_60_follow_the_census_day_single_years():
    # The persons aged 60 at the end of 2022 were aged 58 (10/12 of them) or 57 (2/12) on
    # census day, those of 2021 aged 59 or 58. 大同's 55-59 census group is split by the
    # census-day shape (census_day_shape: the 2010 census's table 3-1 carried ten years), so
    # the model's 60-year-olds of 2022 over those of 2021 should be the census-day ratio
    # (10 N58 + 2 N57) / (10 N59 + 2 N58) = 1.68 (less a year of deaths at 59, < 1 %),
    # against 1.48 with the shape derived from table 6-4 and 1.31 with table 6-4 read as
    # census-day ages. Sample 20 % (~2 000-3 000 agents aged 60): sd of the ratio ~ 3 %
    # (0.05); allow 0.08 (1.6 sd, and the 1.48 of the derived shape is 4 sd away).
    inputs = load_inputs("datong")
    day = census_day_shape(inputs.census, inputs.mortality).set_index("age")
    n = day["male"] + day["female"]
    want = (10 * n[58] + 2 * n[57]) / (10 * n[59] + 2 * n[58])
    m = ElderCareModel("datong", sample=0.2, rng=4, end_year=2022)
    counts = []
    for _ in range(2):
        m.step()
        c = m.population.cols
        counts.append(c["weight"][c["alive"] & (c["age"] == 60)].sum())
    assert want == pytest.approx(1.68, abs=0.01)
    assert counts[1] / counts[0] == pytest.approx(want, abs=0.08)


def test_the_2010_census_day_table_is_the_census_s_own():
    # params/population/census2010_census_day.csv: 2010 census table 3-1 (persons on
    # 1 November 2010). By hand from the table: men aged 49 (born Nov 1960 - Oct 1961, the
    # famine trough) 5 628 162, against 10 224 798 aged 48; its 5-year groups are table 1-7's
    # (sources/reference/census_province_age_sex_5yr.csv, China 2010: men 45-49 53 776 418).
    from simlib.params import read_tree
    from simlib.params.demography import census_of_year

    c = census_of_year(read_tree(), 2010, "xiaoyi", "孝义市")
    day = census_day_shape(c, load_inputs("xiaoyi").mortality).set_index("age")
    assert day.loc[49, "male"] == 5628162 and day.loc[48, "male"] == 10224798
    assert day.loc[45:49, "male"].sum() == 53776418
    assert day.index[0] == 45 and day.index[-1] == 100


def test_the_2020_shape_carries_the_2010_cohorts_ten_years():
    # 2020 has no table 3-1 here: ages 45-84 are the 2010 table 3-1's 35-74 times ten years
    # of survival. By hand: women aged 60 on 1 November 2020 were 50 on 1 November 2010
    # (6 891 832, table 3-1); their ten-year survival at 50-59 (WPP, women) is about 0.96-0.98.
    inputs = load_inputs("datong")
    day = census_day_shape(inputs.census, inputs.mortality).set_index("age")
    assert 0.96 * 6891832 < day.loc[60, "female"] < 0.98 * 6891832
    # The carried 5-year groups against the 2020 census's own (table 1-5, China, an
    # independent count): within 4 % at 55-84 (ten years of China's death rates and the two
    # censuses' coverage), the check that the cohorts were carried to the right ages.
    ref = pd.read_csv(REFERENCE / "census_province_age_sex_5yr.csv")
    ref = ref[(ref["census_year"] == 2020) & (ref["area"] == "China")].set_index("age_group")
    for a in range(55, 85, 5):
        for sex in ("male", "female"):
            carried = day.loc[a : a + 4, sex].sum()
            assert carried / ref.loc[f"{a}-{a + 4}", sex] == pytest.approx(1, abs=0.04), (a, sex)
    # Ages 85+ keep the derived shape (table 6-4 half a year on)
    derived = census_day_single_year(inputs.census.single_year, inputs.mortality).set_index("age")
    assert (day.loc[85:, ["male", "female"]] == derived.loc[85:, ["male", "female"]]).all().all()


def test_the_derived_fallback_measured_where_the_census_day_table_exists():
    # On 2010, the derivation from table 6-4 (average population Nov 2009 - Oct 2010)
    # against the census's own table 3-1: within each 5-year group of 45-99 the shares agree
    # within 3 points (measured: 1.9 at 45-54, the famine cohorts, and 2.8 at 95-99), where
    # table 6-4 read as census-day ages is off by up to 5.1 points. Stated in
    # census_day_shape's docstring and notebook 02.
    from simlib.params import read_tree
    from simlib.params.demography import load_census_day, load_single_year

    tree = read_tree()
    mort = load_inputs("xiaoyi").mortality
    truth = load_census_day(tree, 2010).set_index("age")
    derived = census_day_single_year(load_single_year(tree, 2010), mort, 2010).set_index("age")
    worst = 0.0
    for a in range(45, 100, 5):
        for sex in ("male", "female"):
            t = truth.loc[a : a + 4, sex] / truth.loc[a : a + 4, sex].sum()
            d = derived.loc[a : a + 4, sex] / derived.loc[a : a + 4, sex].sum()
            worst = max(worst, float((t - d).abs().max()))
    assert 0.01 < worst < 0.03


def test_city_mortality_levels_are_the_2010_census_derivation():
    # health.yaml's death.city_mortality_level is re-derived from the 2010 census
    # (simlib.population.mortality.census_mortality_levels), rounded to 2 decimals
    from simlib.population.mortality import census_mortality_levels

    inputs = load_inputs("xiaoyi")
    deaths = pd.read_csv(REFERENCE / "census_province_deaths_age_sex_5yr.csv")
    lv = census_mortality_levels(cities(), deaths).set_index("city")
    for city, r in lv.iterrows():
        value = inputs.health.values[f"city_mortality_level.{city}"]
        assert value == pytest.approx(round(r["level"], 2), abs=1e-9), city
    # hand-worked: 孝义市, 2010 county table: 468 770 residents at 5.46 ‰ (deaths Nov 2009 -
    # Oct 2010): 468 770 × 5.46 / 1000 = 2 559.5 deaths
    assert lv.loc["xiaoyi", "deaths"] == pytest.approx(468_770 * 5.46 / 1000, rel=1e-3)
    # the province's ratio from its county rows (crude rates) agrees with table 6-1's deaths
    # by age (1.1189 for Shanxi, 1.0344 for Henan: published_statistics.md §8) within 1 %:
    # the two census tables count the same deaths
    assert lv.loc["jincheng", "smr_province"] == pytest.approx(1.1189, rel=0.01)
    assert lv.loc["puyang", "smr_province"] == pytest.approx(1.0344, rel=0.01)
    # the level is the city's SMR over its province's; Jincheng 1.3722 / 1.1168 = 1.229
    assert lv.loc["jincheng", "level"] == pytest.approx(1.3722 / 1.1168, rel=1e-3)


def test_the_city_level_multiplies_chinas_rates_from_60():
    # Jincheng's level 1.23 (health.yaml): the death table of the step out of 2020 (calendar
    # 2021) at age 59 is China's 1 - exp(-mx), at 60 and over 1 - exp(-1.23 mx); without a
    # city (Context.city None) China's at every age. No relative risks bound.
    from simlib.params.demography import FIRST_YEAR
    from simlib.population.processes.base import Context
    from simlib.population.processes.death import Death

    inputs = load_inputs("jincheng")
    mx = inputs.mortality.mx[:, :, 2021 - FIRST_YEAR]
    city = Death(Context(inputs.health, inputs.mortality, 0.5, 0.5, 2020, city="jincheng"))
    china = Death(Context(inputs.health, inputs.mortality, 0.5, 0.5, 2020))
    for d in (city, china):
        d.bind([])
    t_city = city.table(2020).reshape(2, -1)
    t_china = china.table(2020).reshape(2, -1)
    assert np.allclose(t_china, 1 - np.exp(-mx), rtol=1e-6)
    assert np.allclose(t_city[:, :60], t_china[:, :60], rtol=1e-6)
    assert np.allclose(t_city[:, 60:], 1 - np.exp(-1.23 * mx[:, 60:]), rtol=1e-6)
    # a city without a level (added by new-city, not yet derived) has China's rates
    other = Death(Context(inputs.health, inputs.mortality, 0.5, 0.5, 2020, city="nowhere"))
    other.bind([])
    assert np.array_equal(other.table(2020), china.table(2020))


def test_census_cells_are_derived_once_per_content_and_never_reused_for_other_tables():
    import dataclasses

    from simlib.population import synthesis
    from simlib.population.processes import context_for

    inputs = load_inputs("xiaoyi")
    counties = [str(c) for c in inputs.context.counties]

    def built(census, seed):
        rng = np.random.default_rng(seed)
        pop = synthesize(census, inputs.mortality, "xiaoyi", counties, rng, 0.05)
        return pop.cols, rng.random()  # the stream goes on where it went on uncached

    synthesis._CELLS.clear()
    fresh = built(inputs.census, 7)
    kept = built(inputs.census, 7)  # from the cells kept by the first call
    for k in fresh[0]:
        assert np.array_equal(fresh[0][k], kept[0][k]), k
    assert fresh[1] == kept[1]
    # one census count changed (the largest cell: 10 times as many): new cells, never the
    # kept ones, and the same population as derived from nothing
    age_sex = inputs.census.age_sex.copy()
    big = age_sex.loc[age_sex["city"] == "xiaoyi", "count"].idxmax()
    age_sex.loc[big, "count"] *= 10
    other = dataclasses.replace(inputs.census, age_sex=age_sex)
    changed = built(other, 7)
    assert len(changed[0]["age"]) > len(fresh[0]["age"])
    synthesis._CELLS.clear()
    assert np.array_equal(built(other, 7)[0]["age"], changed[0]["age"])
    # the processes' census figures likewise
    ctx = context_for(inputs)
    again = context_for(dataclasses.replace(inputs, census=other))
    assert again.female_share != ctx.female_share
    assert (ctx.female_share, ctx.urban_share) == inputs.census.shares("xiaoyi")
    assert np.array_equal(ctx.widowed_counts, inputs.census.widowed("xiaoyi", counties))
    assert not ctx.widowed_counts.flags.writeable  # shared by every run: never changed

"""Synthetic base populations reproduce the census; states match their sourced prevalences."""

import numpy as np
import pytest

from simlib.model import ElderCareModel
from simlib.model.reporters import AGE_GROUP_LABELS, age_group_index
from simlib.params import cities, load_inputs
from simlib.params.health import age_curve
from simlib.population.calibration import adl_prevalence, calibrate_adl, fit_table
from simlib.population.synthesis import apportion, single_year_weights, synthesize

CITIES = cities()


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

"""Checks of the synthetic population and its dynamics against their sources (notebook 02)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simlib.core import people
from simlib.core.errors import ParamError
from simlib.model.reporters import AGE_GROUP_LABELS, age_group_index
from simlib.params import load_inputs
from simlib.params.demography import FIRST_YEAR, MAX_AGE, Mortality
from simlib.population.calibration import adl_prevalence
from simlib.population.mortality import city_mortality
from simlib.population.processes import Context, ProcessSet, context_for
from simlib.population.streams import Streams
from simlib.population.synthesis import BASE_YEAR, census_day_shape, synthesize, to_year_end


def census_comparison(model) -> pd.DataFrame:
    """Base-year agents (weighted) against the census, by county (persons 45+).

    Every agent counts, alive or not: the agents are the census-day residents, and the few
    who died in the two months to the base date (31 December 2020) were residents on census day.

    Args:
        model: A fresh :class:`~simlib.model.model.ElderCareModel` (base year).

    Returns:
        county, county_zh, census, synthetic, difference (persons).
    """
    age_sex, counties = model.inputs.census.city(model.city)
    census = age_sex.groupby("county")["count"].sum()
    pop = model.population
    synth = (
        pd.Series(pop.cols["weight"]).groupby(np.asarray(pop.counties)[pop.cols["county"]]).sum()
    )
    names = counties.set_index("county")["county_zh"]
    out = pd.DataFrame({"census": census, "synthetic": synth.reindex(census.index)})
    out.insert(0, "county_zh", names.reindex(census.index))
    out["difference"] = out["synthetic"] - out["census"]
    return out.reset_index().rename(columns={"index": "county"})


def adl_prevalence_comparison(model) -> pd.DataFrame:
    """Disability prevalence by age group: simulated now vs the sourced target curve."""
    c = model.population.cols
    alive = c["alive"]
    female, _ = model.inputs.census.shares(model.city)
    section = model.inputs.health.section("adl")
    target = adl_prevalence(section, c["age"], c["sex"], female)
    grp = age_group_index(c["age"])
    df = pd.DataFrame(
        {
            "age_group": np.asarray(AGE_GROUP_LABELS)[grp[alive]],
            "simulated": (c["adl_level"][alive] > 0).astype(float) * c["weight"][alive],
            "target": target[alive] * c["weight"][alive],
            "persons": c["weight"][alive],
        }
    )
    g = df.groupby("age_group", sort=False)[["simulated", "target", "persons"]].sum()
    out = pd.DataFrame(
        {
            "simulated": g["simulated"] / g["persons"],
            "target": g["target"] / g["persons"],
            "persons": g["persons"],
        }
    )
    return out.reindex([a for a in AGE_GROUP_LABELS if a in out.index]).reset_index()


def life_expectancy_check(sex: int, age: int, n: int = 20_000, seed: int = 1, year: int = 2020):
    """A closed cohort run through the model's processes vs the period life table.

    Mortality is held at ``year``'s table, and so are the age-specific rates of the other
    processes (scenario ``constant_rates``: a falling disability onset would lower mortality
    through the ADL relative risk); a death in a step counts half a year.

    Args:
        sex: 0 male, 1 female.
        age: Starting age.
        n: Cohort size.
        seed: Seed for states and dynamics.
        year: Period of the life table.

    Returns:
        ``{"simulated", "life_table", "mc_se"}`` in years.
    """
    inputs = load_inputs("datong", "constant_rates")
    mort = inputs.mortality
    y = year - FIRST_YEAR
    fixed = Mortality(np.repeat(mort.mx[:, :, y : y + 1], mort.mx.shape[2], axis=2))
    procs = ProcessSet(Context(inputs.health, fixed, 0.5, 0.5, year))
    cols = people.empty(n)
    cols["age"][:] = age
    cols["sex"][:] = sex
    cols.update(
        county=np.zeros(n, np.int16),
        weight=np.ones(n, np.float32),
        alive=np.ones(n, bool),
        death_year=np.zeros(n, np.int16),
    )
    streams = Streams(seed)
    for p in procs:
        p.init(cols, streams.base(p.name))
    lifetime = np.zeros(n)
    for k in range(2 * MAX_AGE):
        before = cols["alive"].copy()
        for p in procs:
            p.step(cols, year + k, streams.get(p.name, year + k))
        lifetime[before & ~cols["alive"]] = k + 0.5
        if not cols["alive"].any():
            break
    else:
        raise RuntimeError(f"cohort not extinct after {2 * MAX_AGE} years")
    return {
        "simulated": float(lifetime.mean()),
        "life_table": mort.life_expectancy(sex, age, year),
        "mc_se": float(lifetime.std(ddof=1) / np.sqrt(n)),
    }


def deaths_against_life_table(
    city: str, scenario="baseline", sample: float = 0.1, seed: int = 1, end_year: int = 2035
) -> pd.DataFrame:
    """Each year's deaths in the model against the deaths the city's life table gives its living.

    The city's life table is China's (WPP) with the city's old-age mortality level
    (:func:`simlib.population.mortality.city_mortality`). The death process multiplies its
    rate by each person's ADL relative risk and a scale that holds the mean at the life
    table's for the reference grade mix, re-solved each year for the mix the onset trend
    leads to (``Risk.scale_in``). So a trend in disability alone must leave the deaths on
    the life table: the model's expected deaths (the sum of its death probabilities over
    the living) and its drawn deaths are compared with the sum of the life-table
    probabilities ``1 − exp(−mx)`` over the same persons (sex, age at the year's start, the
    rates of the calendar year the death step covers).

    The population's path is that of ``ElderCareModel(city, scenario, sample=sample,
    seed=seed)`` (the same streams), run here by its processes alone;
    :func:`deaths_along_run` takes the same table while a model runs.

    Args:
        city: City key.
        scenario: Scenario (``"baseline"`` has the ADL onset trend; ``"constant_rates"`` none).
        sample: Fraction of persons represented by agents.
        seed: Seed.
        end_year: Last year whose deaths are counted.

    Returns:
        year (the calendar year of the deaths), life_table, expected, deaths (persons),
        expected_ratio, deaths_ratio (to the life table) and deaths_se (the drawn deaths'
        binomial standard error as a ratio to the life table).
    """
    inputs = load_inputs(city, scenario)
    procs = ProcessSet(context_for(inputs))
    streams = Streams(seed)
    rng = streams.base("population")
    counties = [str(c) for c in inputs.context.counties]
    pop = synthesize(inputs.census, inputs.mortality, city, counties, rng, sample, inputs.schema)
    table = city_mortality(inputs.mortality, inputs.health, city)  # the city's life table
    to_year_end(pop, table, rng)
    c = pop.cols
    for p in procs:
        p.init(c, streams.base(p.name))

    def step(year: int) -> None:
        for p in procs:
            p.step(c, year, streams.get(p.name, year))

    out = _deaths_by_year(c, procs["death"], table, range(2020, end_year), step)
    out.attrs.update(city=city, scenario=str(scenario), sample=sample, seed=seed)
    return out


def deaths_along_run(model) -> pd.DataFrame:
    """:func:`deaths_against_life_table`'s table, taken while a model runs to its end year.

    The model is run (``model.step()`` each year, as ``model.run()``), so a caller that runs
    the model anyway gets the table without simulating the population a second time.

    Args:
        model: An :class:`~simlib.model.model.ElderCareModel` in its base year.

    Returns:
        As :func:`deaths_against_life_table`, the years from the base year to the model's
        end year.

    Raises:
        ParamError: If the model has already stepped.
    """
    if model.year != BASE_YEAR:
        raise ParamError(f"deaths_along_run: the model is in {model.year}, not {BASE_YEAR}")
    inputs = model.inputs
    table = city_mortality(inputs.mortality, inputs.health, model.city)

    def step(year: int) -> None:
        model.step()

    out = _deaths_by_year(
        model.population.cols,
        model.processes["death"],
        table,
        range(BASE_YEAR, model.end_year),
        step,
    )
    out.attrs.update(city=model.city, scenario=inputs.scenario.name)
    return out


def _deaths_by_year(c, death, table: Mortality, years, step) -> pd.DataFrame:
    """The rows of :func:`deaths_against_life_table`: ``step(year)`` advances ``c`` a year."""
    rows = []
    for year in years:
        alive = c["alive"].copy()
        w = np.where(alive, c["weight"], 0.0)
        # the step out of `year` covers calendar year + 1: its rates (Death.table)
        q_table = -np.expm1(-table.rate(c["sex"], c["age"], year + 1))
        q_model = np.take(death.table(year), death.level(c)).astype(float)
        step(year)
        died = alive & ~c["alive"]
        life = float((w * q_table).sum())
        rows.append(
            (
                year + 1,
                life,
                float((w * q_model).sum()),
                float(c["weight"][died].sum()),
                float(np.sqrt((w * c["weight"] * q_model * (1 - q_model)).sum())) / life,
            )
        )
    out = pd.DataFrame(rows, columns=["year", "life_table", "expected", "deaths", "deaths_se"])
    out["expected_ratio"] = out["expected"] / out["life_table"]
    out["deaths_ratio"] = out["deaths"] / out["life_table"]
    return out[
        [
            "year",
            "life_table",
            "expected",
            "deaths",
            "expected_ratio",
            "deaths_ratio",
            "deaths_se",
        ]
    ]


def census_day_fallback_check() -> pd.DataFrame:
    """The single-year fallbacks measured on 2010, where the census's table 3-1 exists.

    For each 5-year group of 45–99 and each sex, the largest difference (percentage points)
    between a single age's share of its group in the 2010 census's table 3-1 (ages on census
    day) and (a) the shape derived from table 6-4, the average population of the census year
    carried half a year on (:func:`~simlib.population.synthesis.census_day_single_year`,
    the 2020 base's fallback from 85), (b) table 6-4 read as census-day ages.

    Returns:
        age_group, sex, derived_pp, average_as_census_day_pp.
    """
    from simlib.params import read_tree
    from simlib.params.demography import load_census_day, load_single_year
    from simlib.population.synthesis import census_day_single_year

    tree = read_tree()
    truth = load_census_day(tree, 2010).set_index("age")
    average = load_single_year(tree, 2010).set_index("age")
    derived = census_day_single_year(
        average.reset_index(), load_inputs("datong").mortality, 2010
    ).set_index("age")
    rows = []
    for a in range(45, 100, 5):
        for sex in ("male", "female"):

            def share(t, a=a, sex=sex):
                x = t.loc[a : a + 4, sex].astype(float)
                return x / x.sum()

            t = share(truth)
            rows.append(
                {
                    "age_group": f"{a}-{a + 4}",
                    "sex": sex,
                    "derived_pp": 100 * float((share(derived) - t).abs().max()),
                    "average_as_census_day_pp": 100 * float((share(average) - t).abs().max()),
                }
            )
    return pd.DataFrame(rows)


#: Published figures the population is checked against: (statistic, value, year, source).
#: Census and cross-sectional figures from before 2021; no post-2020 count is used.
PUBLISHED = {
    "unable_60plus": (
        0.0234,
        "sources/reference/published_statistics.md §R2.1: 2020 census long form, China 60+ "
        "生活不能自理 (Guo et al. 2022)",
    ),
    "institution_per_1000_60plus": (
        8.14,
        "sources/reference/published_statistics.md §2-3: ~2.15 million residents of 养老机构 "
        "(MCA, mid-2020) / 264.0 million aged 60+ (2020 census)",
    ),
    "age59_dip": (
        None,
        "sources/reference/census2010_census_day_single_year.csv: China 2010 census table "
        "3-1 (census day), carried ten years to 1 November 2020 (synthesis.census_day_shape; "
        "the 1959-61 birth dip: persons aged 59 against the mean of 57 and 61)",
    ),
    "empty_nest_or_alone_60plus": (
        0.568,
        "sources/reference/health_facts.md §5: 1.5亿 empty-nest older persons (2020 census) / "
        "264.0 million aged 60+",
    ),
    "alone_60plus": (
        0.149,
        "sources/reference/published_statistics.md §2: 2021 national survey of older people, "
        "59.7 % alone or with a spouse only, about a quarter of them alone (derived, rough)",
    ),
    "households_two_65plus": (
        None,
        "params/population/census2020_counties.csv: households with two members 65+ "
        "(有二个老人), 2020 census",
    ),
    "unable_years_at_60_male": (
        0.76,
        "sources/reference/published_statistics.md §R2.1: years lived 生活不能自理 at 60, men, "
        "2020 (Guo, Jiang & Mei 2025; Sullivan method on the census)",
    ),
    "unable_years_at_60_female": (
        1.18,
        "sources/reference/published_statistics.md §R2.1: years lived 生活不能自理 at 60, women, "
        "2020 (Guo, Jiang & Mei 2025; Sullivan method on the census)",
    ),
}


#: The statistics the population was calibrated to (the others are checks it was not fitted to).
CALIBRATED = ("unable_60plus", "institution_per_1000_60plus", "age59_dip")


def published_comparison(sample: float = 0.1, seed: int = 1, models=None) -> pd.DataFrame:
    """The five cities' base-year population (pooled) against published statistics.

    Each row: the statistic, the published value, the model's, their ratio, the tolerance
    and why, and whether the model is within it. Three states were calibrated to the first
    rows (生活不能自理, institution residents, single years of age); the others are checks the
    model was not fitted to.

    Args:
        sample: Sample of each city's population.
        seed: Seed.
        models: The cities' models of that sample and seed in their base year
            (``ElderCareModel(city, sample=sample, seed=seed)``, one per city of
            :func:`simlib.params.cities`, in its order), when the caller has built them to
            run: they are read, not stepped. None builds them.

    Returns:
        The comparison table.

    Raises:
        ParamError: If ``models`` are not the cities' base-year models.
    """
    from simlib.model.model import ElderCareModel
    from simlib.params import cities
    from simlib.population.processes.household import ALONE, WITH_FAMILY

    if models is None:
        models = [ElderCareModel(c, sample=sample, rng=seed, end_year=2021) for c in cities()]
    elif [(m.city, m.year, m.seed_entropy) for m in models] != [
        (c, BASE_YEAR, seed) for c in cities()
    ]:
        raise ParamError(
            f"published_comparison: models must be {list(cities())} in {BASE_YEAR} with seed "
            f"{seed}, got {[(m.city, m.year, m.seed_entropy) for m in models]}"
        )
    w, age, sex, cols = _pooled(models)
    old = age >= 60
    home = old & ~cols["in_institution"]
    unable = cols["care_level"] > 0
    single = models[0].inputs.census.single_year.set_index("age")
    # 生活不能自理 standardised to China's 60+ (the census figure is national)
    std = 0.0
    for s, name in enumerate(("male", "female")):
        for a in range(60, 101):
            m = (sex == s) & ((age == a) if a < 100 else (age >= 100))
            if w[m].sum() > 0:
                std += float(single.loc[a, name]) * (w[m] * unable[m]).sum() / w[m].sum()
    std /= float(single.loc[60:, ["male", "female"]].to_numpy().sum())
    by_age = np.bincount(age, weights=w, minlength=111)
    day = census_day_shape(models[0].inputs.census, models[0].inputs.mortality)
    day = day.set_index("age")[["male", "female"]].sum(axis=1)
    census_dip = float(day[59] / np.mean([day[57], day[61]]))
    model_dip = by_age[59] / np.mean([by_age[57], by_age[61]])
    pairs = sum(_couples_65plus(m) for m in models)
    census_pairs = sum(
        float(m.inputs.census.city(m.city)[1]["households_two_65plus"].sum()) for m in models
    )
    dle = _unable_years_at_60(models[0], cols, age, sex, w)
    rows = [
        (
            "unable_60plus",
            "生活不能自理, share of the 60+ (standardised to China's ages)",
            PUBLISHED["unable_60plus"][0],
            std,
            0.10,
            "calibrated (scripts/calibrate_severity.py); 10 % allows the sample and the chain's "
            "fit at single ages",
        ),
        (
            "institution_per_1000_60plus",
            "institution residents per 1 000 aged 60+",
            PUBLISHED["institution_per_1000_60plus"][0],
            1000 * (w * (old & cols["in_institution"])).sum() / w[old].sum(),
            0.10,
            "calibrated (institution_share_60plus); a national figure for the five cities",
        ),
        (
            "age59_dip",
            "persons aged 59 / mean of 57 and 61 (the 1959-61 birth dip)",
            census_dip,
            model_dip,
            0.15,
            "the national single-year shape splits each county's 5-year groups; counties differ; "
            "the model's ages are two months later (31 December)",
        ),
        (
            "empty_nest_or_alone_60plus",
            "空巢 or 独居, share of the 60+ at home",
            PUBLISHED["empty_nest_or_alone_60plus"][0],
            (w * (home & (cols["living"] != WITH_FAMILY))).sum() / w[home].sum(),
            0.10,
            "the target of the household process; 10 % for the five cities against China",
        ),
        (
            "alone_60plus",
            "独居, share of the 60+ at home",
            PUBLISHED["alone_60plus"][0],
            (w * (home & (cols["living"] == ALONE))).sum() / w[home].sum(),
            0.30,
            "not fitted: a rough split of a 2021 survey share; 30 %",
        ),
        (
            "households_two_65plus",
            "households with two members 65+ (couples), five cities",
            census_pairs,
            pairs,
            0.25,
            "not fitted: spouses paired by age rank; the census counts any two 65+ members",
        ),
        (
            "unable_years_at_60_male",
            "years lived 生活不能自理 at 60, men (Sullivan, 2020 table)",
            PUBLISHED["unable_years_at_60_male"][0],
            dle[0],
            0.40,
            "not fitted: the share at each age follows the ADL chain, not the census age profile",
        ),
        (
            "unable_years_at_60_female",
            "years lived 生活不能自理 at 60, women",
            PUBLISHED["unable_years_at_60_female"][0],
            dle[1],
            0.40,
            "not fitted: the share at each age follows the ADL chain, not the census age profile",
        ),
    ]
    out = pd.DataFrame(
        rows, columns=["key", "statistic", "published", "model", "tolerance", "reason"]
    )
    out["ratio"] = out["model"] / out["published"]
    out["within"] = (out["ratio"] - 1).abs() <= out["tolerance"]
    out["source"] = [PUBLISHED.get(k, (None, ""))[1] for k in out["key"]]
    out["calibrated"] = out["key"].isin(CALIBRATED)
    out.attrs.update(sample=sample, seed=seed, cities=list(cities()))
    return out[
        [
            "statistic",
            "published",
            "model",
            "ratio",
            "tolerance",
            "within",
            "calibrated",
            "reason",
            "source",
            "key",
        ]
    ]


def _pooled(models):
    keys = ("weight", "age", "sex", "in_institution", "care_level", "living", "alive")
    cols = {k: np.concatenate([m.population.cols[k] for m in models]) for k in keys}
    alive = cols["alive"]
    cols = {k: v[alive] for k, v in cols.items()}
    return cols["weight"].astype(float), cols["age"].astype(int), cols["sex"], cols


def _couples_65plus(model) -> float:
    c = model.population.cols
    i = np.flatnonzero(c["alive"] & (c["spouse"] >= 0))
    s = c["spouse"][i]
    both = (i < s) & (c["age"][i] >= 65) & (c["age"][s] >= 65) & c["alive"][s]
    return float(c["weight"][i[both]].sum())


def _unable_years_at_60(model, cols, age, sex, w) -> tuple[float, float]:
    """Sullivan: Σ person-years of the 2020 period life table × the share unable, from 60."""
    from simlib.core.units import rate_to_prob

    mort = model.inputs.mortality
    out = []
    for s in (0, 1):
        q = rate_to_prob(mort.mx[s, 60 : MAX_AGE + 1, 2020 - FIRST_YEAR])
        lx = np.concatenate([[1.0], np.cumprod(1 - q)[:-1]])
        person_years = lx * (1 - q / 2)
        share = np.zeros(person_years.size)
        for k, a in enumerate(range(60, MAX_AGE + 1)):
            m = (sex == s) & (age == a)
            if w[m].sum() > 0:
                share[k] = (w[m] * (cols["care_level"][m] > 0)).sum() / w[m].sum()
            elif k:
                share[k] = share[k - 1]
        out.append(float((person_years * share).sum()))
    return out[0], out[1]

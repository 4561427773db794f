"""A back-cast: the 2010 census carried to 2020 by the model's dynamics, against the 2020 census.

The way the Future Elderly Model validates: each city's residents aged 45+ on census day
(1 November 2010) are built from the 2010 county census table exactly as the 2020 base is
from the 2020 table (:func:`simlib.params.demography.census_of_year`; single years from the
2010 census-day shape), carried two months to 31 December 2010, run through every yearly
process for 2011–2019 with the WPP period death rates of each calendar year × the city's
old-age mortality level from its 2010 census (:mod:`simlib.population.mortality`; on China's
rates alone with ``china_rates=True``, the variant), and carried the
last ten months to 1 November 2020 (deaths at the 2020 rates and birthdays). They are then
the census's residents aged 55+ of 2020, and are compared with the 2020 census, county ×
sex × 5-year age group and the 60+ and 80+ totals, each against a tolerance stated before
the first run (:data:`TOLERANCES`), with its reason.

What the model leaves out is what the tolerances are for: the model is closed (no migration
of the 45+, ``net_migration`` 0), one mortality level at 60+ stands for each city's age
pattern of mortality (the tolerances were stated when China's rates stood for it), age reporting
at the oldest ages differs between censuses, and county boundaries changed between the two
censuses (大同 2018: 城区, 矿区, 南郊区 and 大同县 became 平城区, 云冈区 and 云州区; 长治 2018:
城区 and 郊区 became 潞州区, 长治县, 屯留县 and 潞城市 became districts). Counties whose code
and name are the same in both tables are compared one by one; the others of a city are
pooled (``"<city>: boundary change"``). Only census counts and period death rates enter:
nothing after 2020 is used.

The assistance prevalence trends (evidence from 2021 on) are off in the back-cast; the ADL
onset trend (evidence 1998–2014) runs from 2010.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simlib.params import load_inputs, read_tree
from simlib.params.demography import CENSUS_AGE_STARTS, census_of_year
from simlib.population.mortality import census_mortality_levels, city_mortality
from simlib.population.processes import Context, ProcessSet, schema_of
from simlib.population.streams import Streams
from simlib.population.synthesis import LEAD_IN, synthesize, to_year_end

#: The census the back-cast starts from and the one it is compared with.
START, END = 2010, 2020
#: Age groups compared in 2020 (the 45+ of 2010 are 55+ ten years on).
COMPARED_STARTS = tuple(a for a in CENSUS_AGE_STARTS if a >= 55)

#: Relative tolerances, stated before the first run, and why.
TOLERANCES = {
    "city_cell_55_79": (
        0.10,
        "city × sex × 5-year group, 55-79: the model is closed (no migration of the 45+), "
        "China's death rates stand for the city's, and the two censuses' coverage differs",
    ),
    "city_cell_80_84": (
        0.15,
        "city × sex, 80-84: as above, and the oldest ages' death rates and age reporting",
    ),
    "city_cell_85plus": (
        0.25,
        "city × sex, 85+: age heaping and exaggeration at the oldest ages in both censuses, "
        "and ten years of national old-age death rates standing for the city's",
    ),
    "county_cell": (
        0.20,
        "county × sex × 5-year group: as for the city, plus moves between a city's counties "
        "(older people follow children into the districts), which the city totals net out",
    ),
    "city_60plus": (
        0.06,
        "city 60+ total: the model is closed and uses national death rates",
    ),
    "city_80plus": (
        0.15,
        "city 80+ total: old-age mortality and age reporting",
    ),
}


def _tolerance(level: str, start: int) -> tuple[str, float, str]:
    if level == "county":
        key = "county_cell"
    elif start >= 85:
        key = "city_cell_85plus"
    elif start >= 80:
        key = "city_cell_80_84"
    else:
        key = "city_cell_55_79"
    return (key, *TOLERANCES[key])


#: Health and living arrangement of the 60+ on 1 November 2020, back-cast against the 2020
#: census: relative tolerances stated before the first run, and why. No Shanxi or Henan table
#: of the census's 健康状况 or 居住状况 is in the reference material
#: (``params/sources/reference/published_statistics.md`` §1, R2.1, R2.4), so the national
#: figures of ``validation.PUBLISHED`` stand for the five cities (a proxy).
STATE_TOLERANCES = {
    "unable_60plus": (
        0.25,
        "生活不能自理 (2020 long form, China): the back-cast starts in 2010 from the prevalence "
        "curve calibrated to 2020 (no 2010 table by age for Shanxi or Henan), so ten years of "
        "the onset trend and of the chain's drift are what is checked; the five cities stand "
        "for China (standardised to China's 60+ ages); the long form is a 10 % sample",
    ),
    "empty_nest_or_alone_60plus": (
        0.10,
        "空巢 or 独居 of the 60+ at home (China, 2020): the household process's target, reached "
        "here from the 2010 census's households after ten years of widowhood and children "
        "leaving; the five cities stand for China",
    ),
    "alone_60plus": (
        0.30,
        "独居 of the 60+ at home: a rough split of a 2021 national survey share, not a census "
        "table; the five cities stand for China",
    ),
}


@dataclass
class Backcast:
    """One city's back-cast.

    Attributes:
        city: City key.
        cells: ``unit, sex, age_start, model, census`` (persons on 1 November 2020; ``unit``
            a county code, or ``"<city>: boundary change"`` for pooled counties).
        sample: Sample fraction.
        seed: Seed.
        states: The living 60+ on 1 November 2020 by ``sex`` and single ``age`` (100 = 100+):
            ``persons``, ``unable`` (生活不能自理: a care class above 全自理), ``home`` (not
            in an institution), ``alone`` (独居) and ``not_with_family`` (独居 or 空巢) at home.
        rates: ``"city"`` (China's death rates × the city's old-age level) or ``"China"``.
    """

    city: str
    cells: pd.DataFrame
    sample: float
    seed: int
    states: pd.DataFrame | None = None
    rates: str = "city"


#: Counties whose code and name are unchanged but whose ground changed: 濮阳's two zones of
#: 2020 (河南濮阳工业园区 410971, 濮阳经济技术开发区 410972) were carved out of counties the
#: table does not name, taken here as 华龙区, 濮阳县 and 范县, which are pooled with them.
POOLED = {"puyang": ("410902", "410928", "410926")}


def _units(c2010: pd.DataFrame, c2020: pd.DataFrame, city: str) -> tuple[dict, dict]:
    """County code → comparison unit, for each year (unchanged counties alone, others pooled)."""
    key10 = dict(zip(c2010["county"], c2010["county_zh"], strict=True))
    key20 = dict(zip(c2020["county"], c2020["county_zh"], strict=True))
    same = {k for k in key10 if key20.get(k) == key10[k]} - set(POOLED.get(city, ()))
    pooled = f"{city}: boundary change"
    return (
        {k: (k if k in same else pooled) for k in key10},
        {k: (k if k in same else pooled) for k in key20},
    )


def run_backcast(
    city: str, sample: float = 0.1, seed: int = 1, china_rates: bool = False
) -> Backcast:
    """Build a city's 2010 census population, run it to 1 November 2020, count it.

    Args:
        city: City key.
        sample: Fraction of persons represented by agents, in (0, 1].
        seed: Seed of every stream.
        china_rates: Run on China's death rates (the city's old-age mortality level set to
            1, as the scenario ``china_mortality_rates``) instead of the city's.

    Returns:
        The :class:`Backcast` (model and 2020 census counts by unit, sex and age group).
    """
    scenario = {
        "description": "back-cast 2010-2020: assistance trends (evidence from 2021) off",
        "health": {"dibao_prevalence_trend": 0.0, "tekun_prevalence_trend": 0.0},
    }
    if china_rates:
        scenario["health"][f"city_mortality_level.{city}"] = 1.0
    schema = schema_of()
    inputs = load_inputs(city, scenario, schema=schema)
    tree = read_tree()
    prefecture = str(inputs.context.name_zh)
    census10 = census_of_year(tree, START, city, prefecture)
    counties10 = list(census10.counties["county"])
    mortality = inputs.mortality
    streams = Streams(seed)
    rng = streams.base("population")
    pop = synthesize(census10, mortality, city, counties10, rng, sample, schema, START)
    table = city_mortality(mortality, inputs.health, city)  # the city's old-age level
    to_year_end(pop, table, rng, START, LEAD_IN)
    female, urban = census10.shares(city)
    ctx = Context(
        inputs.health, mortality, female, urban, START, census10.widowed(city, counties10), city
    )
    procs = ProcessSet(ctx)
    cols = pop.cols
    for p in procs:
        p.init(cols, streams.base(p.name))
    for year in range(START, END - 1):  # steps into 2011 … 2019
        for p in procs:
            p.step(cols, year, streams.get(p.name, year))
    to_year_end(pop, table, streams.get("population", END), END, 1 - LEAD_IN)

    age_sex20 = inputs.census.city(city)[0]
    counties20 = inputs.census.city(city)[1]
    unit10, unit20 = _units(census10.counties, counties20, city)
    alive = cols["alive"]
    start = np.minimum(cols["age"] // 5 * 5, CENSUS_AGE_STARTS[-1])
    model = (
        pd.DataFrame(
            {
                "unit": np.asarray([unit10[c] for c in counties10])[cols["county"][alive]],
                "sex": np.where(cols["sex"][alive] == 0, "male", "female"),
                "age_start": start[alive],
                "model": cols["weight"][alive].astype(float),
            }
        )
        .groupby(["unit", "sex", "age_start"])["model"]
        .sum()
    )
    census = (
        age_sex20.assign(unit=age_sex20["county"].astype(str).map(unit20))
        .groupby(["unit", "sex", "age_start"])["count"]
        .sum()
        .rename("census")
    )
    cells = pd.concat([model, census], axis=1).fillna(0.0).reset_index()
    cells = cells[cells["age_start"].isin(COMPARED_STARTS)].reset_index(drop=True)
    return Backcast(city, cells, sample, seed, _states(cols), "China" if china_rates else "city")


def _states(cols: dict[str, np.ndarray]) -> pd.DataFrame:
    """The living 60+ by sex and single age: persons, unable, home, alone, not with family."""
    from simlib.population.processes.household import ALONE, WITH_FAMILY

    old = cols["alive"] & (cols["age"] >= 60)
    w = cols["weight"][old].astype(float)
    home = ~cols["in_institution"][old]
    living = cols["living"][old]
    frame = pd.DataFrame(
        {
            "sex": np.where(cols["sex"][old] == 0, "male", "female"),
            "age": np.minimum(cols["age"][old], 100),
            "persons": w,
            "unable": w * (cols["care_level"][old] > 0),
            "home": w * home,
            "alone": w * (home & (living == ALONE)),
            "not_with_family": w * (home & (living != WITH_FAMILY)),
        }
    )
    return frame.groupby(["sex", "age"], as_index=False).sum()


def backcast_state_comparison(runs: list[Backcast], single_year: pd.DataFrame) -> pd.DataFrame:
    """The back-cast's 60+ health and living arrangement in 2020 against the 2020 census.

    The cities are pooled; 生活不能自理 is standardised to China's 60+ by single age and sex
    (``single_year``, the census's single-year table), as the national figure it is compared
    with counts China's ages. The census's other health categories (健康, 基本健康, 不健康但
    生活能自理) are self-ratings the model does not hold.

    Args:
        runs: One :class:`Backcast` per city.
        single_year: China's population by single year of age (age, male, female; 100 = 100+).

    Returns:
        key, statistic, census (China, 2020), model, ratio, tolerance, within, reason, source
        and one column per city with its own (unstandardised) share.
    """
    from simlib.experiments.validation import PUBLISHED

    frames = [b.states.assign(city=b.city) for b in runs if b.states is not None]
    if not frames:
        raise ValueError("back-casts without states (run_backcast keeps them)")
    st = pd.concat(frames, ignore_index=True)
    pooled = st.groupby(["sex", "age"])[["persons", "unable"]].sum()
    china = single_year.set_index("age").loc[60:100, ["male", "female"]]
    std = 0.0
    for sex in ("male", "female"):
        share = (pooled.loc[sex, "unable"] / pooled.loc[sex, "persons"]).reindex(china.index)
        std += float((share.fillna(0) * china[sex]).sum())
    std /= float(china.to_numpy().sum())
    by_city = st.groupby("city")[["persons", "unable", "home", "alone", "not_with_family"]].sum()
    city_values = {
        "unable_60plus": by_city["unable"] / by_city["persons"],
        "empty_nest_or_alone_60plus": by_city["not_with_family"] / by_city["home"],
        "alone_60plus": by_city["alone"] / by_city["home"],
    }
    total = st[["home", "alone", "not_with_family"]].sum()
    model = {
        "unable_60plus": std,
        "empty_nest_or_alone_60plus": total["not_with_family"] / total["home"],
        "alone_60plus": total["alone"] / total["home"],
    }
    names = {
        "unable_60plus": "生活不能自理, share of the 60+ (standardised to China's ages)",
        "empty_nest_or_alone_60plus": "空巢 or 独居, share of the 60+ at home",
        "alone_60plus": "独居, share of the 60+ at home",
    }
    rows = []
    for key, (tol, why) in STATE_TOLERANCES.items():
        row = {
            "key": key,
            "statistic": names[key],
            "census": PUBLISHED[key][0],
            "model": float(model[key]),
            "tolerance": tol,
            "reason": why,
            "source": PUBLISHED[key][1],
        }
        row.update({c: float(v) for c, v in city_values[key].items()})
        rows.append(row)
    out = pd.DataFrame(rows)
    out["ratio"] = out["model"] / out["census"]
    out["within"] = (out["ratio"] - 1).abs() <= out["tolerance"]
    return out


def backcast_comparison(runs: list[Backcast]) -> pd.DataFrame:
    """Every compared figure of the back-casts against the 2020 census, with its tolerance.

    Args:
        runs: One :class:`Backcast` per city.

    Returns:
        city, level (``city``, ``county`` or ``total``), unit, sex, age (group or ``60+`` /
        ``80+``), model, census (persons, 1 November 2020), ratio, tolerance (relative),
        within, key and reason.
    """
    rows = []
    for b in runs:
        c = b.cells
        by_city = c.groupby(["sex", "age_start"])[["model", "census"]].sum()
        for (sex, a), r in by_city.iterrows():
            key, tol, why = _tolerance("city", a)
            rows.append((b.city, "city", b.city, sex, _label(a), r.model, r.census, tol, key, why))
        for (unit, sex, a), r in (
            c.groupby(["unit", "sex", "age_start"])[["model", "census"]].sum().iterrows()
        ):
            if unit.endswith("boundary change") or c["unit"].nunique() > 1:
                key, tol, why = _tolerance("county", a)
                rows.append(
                    (b.city, "county", unit, sex, _label(a), r.model, r.census, tol, key, why)
                )
        for label, lo, key in (("60+", 60, "city_60plus"), ("80+", 80, "city_80plus")):
            m = c[c["age_start"] >= lo]
            tol, why = TOLERANCES[key]
            rows.append(
                (
                    b.city,
                    "total",
                    b.city,
                    "both",
                    label,
                    m.model.sum(),
                    m.census.sum(),
                    tol,
                    key,
                    why,
                )
            )
    out = pd.DataFrame(
        rows,
        columns=[
            "city",
            "level",
            "unit",
            "sex",
            "age",
            "model",
            "census",
            "tolerance",
            "key",
            "reason",
        ],
    )
    out["ratio"] = out["model"] / out["census"]
    out["within"] = (out["ratio"] - 1).abs() <= out["tolerance"]
    return out


def _label(start: int) -> str:
    return f"{start}+" if start >= CENSUS_AGE_STARTS[-1] else f"{start}-{start + 4}"


def old_age_mortality_evidence(
    cities: list[str],
    runs: list[Backcast] | None = None,
    levels: pd.DataFrame | None = None,
):
    """Why a city's oldest outlive the 2020 census in the back-cast: the censuses' own evidence.

    The back-cast's variant on China's death rates (``run_backcast(china_rates=True)``) gives
    every city China's rates. Two census measures say how each city's old-age mortality
    departed from China's over 2010–2020, without the model:

    * ``smr_city`` / ``level``: the 2010 census's age-standardised mortality ratio against
      China's census death rates, and over its province's: the derivation of the city
      mortality levels, :func:`simlib.population.mortality.census_mortality_levels` (one
      place; China's own county rows give 1.002 on that standard, so ``smr_city`` is the
      city against China).
    * ``csr_city`` / ``csr_province`` / ``csr_china``: the 2020 census's 80+ over the 2010
      census's 70+ (same cohorts, ten years on): net of deaths and migration, with no model.

    Args:
        cities: City keys.
        runs: Their back-casts on China's rates, for the model's 80+ ratio
            (``backcast_80plus``), or None.
        levels: ``census_mortality_levels(cities)`` if the caller has it, or None (derived).

    Returns:
        One row per city: city, province, backcast_80plus, smr_city, level (ratios: deaths
        over those expected), csr_city, csr_province, csr_china (ratios: persons over persons).
    """
    from simlib.params.census import age_column, county_census, prefecture_rows

    tree = read_tree()
    if levels is None:
        levels = census_mortality_levels(cities, params_dir=tree.root)
    levels = levels.set_index("city")
    t10 = county_census(START, params_dir=tree.root)
    t20 = county_census(END, params_dir=tree.root)

    def old(table: pd.DataFrame, year: int, lo: int) -> float:
        return sum(
            float(pd.to_numeric(table[age_column(year, zh, a)]).sum())
            for zh in "男女"
            for a in range(lo, 90, 5)
        )

    csr_china = old(t20, END, 80) / old(t10, START, 70)
    ratio = {}
    if runs is not None:
        comp = backcast_comparison(runs)
        ratio = comp[(comp["level"] == "total") & (comp["age"] == "80+")].set_index("city")["ratio"]
    rows = []
    for city in cities:
        name = str(load_inputs(city).context.name_zh)
        r10 = prefecture_rows(t10, name)
        r20 = prefecture_rows(t20, name)
        province = str(r10["省"].iloc[0])
        p10, p20 = t10[t10["省"] == province], t20[t20["省"] == province]
        rows.append(
            {
                "city": city,
                "province": province,
                "backcast_80plus": float(ratio[city]) if city in ratio else np.nan,
                "smr_city": float(levels.loc[city, "smr_city"]),
                "level": float(levels.loc[city, "level"]),
                "csr_city": old(r20, END, 80) / old(r10, START, 70),
                "csr_province": old(p20, END, 80) / old(p10, START, 70),
                "csr_china": csr_china,
            }
        )
    return pd.DataFrame(rows)

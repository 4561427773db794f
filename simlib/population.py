"""Synthetic base-year populations from the 2020 census, and the health parameters.

:func:`synthesize` builds one agent per resident aged 45+ at the census (or a sample of them,
with weights) for every county of a city:

1. County × sex × 5-year age counts come from ``params/population/census2020_age_sex.csv``.
2. Each 5-year group (and 85+, up to :data:`~simlib.demography.MAX_AGE`) is split into single
   years in proportion to life-table survivorship ``l(x)`` of the 2015–2020 WPP period table
   (:func:`single_year_weights`): within a group, older ages hold fewer people, as mortality
   says. At full scale the split is a deterministic largest-remainder apportionment, so every
   census cell is reproduced exactly; at a sample fraction ``f`` each cell gets
   ``floor(n f)`` agents plus one with probability ``frac(n f)`` and weight ``1/f``.
3. Base-year states are drawn from the prevalences in ``params/population/health.yaml``.

The census reference date (1 November 2020) is taken as the state of simulated year 2020;
each model step moves the population one year on (``docs/architecture.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simlib import people
from simlib.calibration import AdlCalibration, calibrate_adl
from simlib.demography import MAX_AGE, Mortality, load_mortality
from simlib.params import PARAMS_DIR, ParamError, _keys, read_quantity, read_yaml
from simlib.units import rate_to_prob

#: Age groups of the census table (start ages); the last is open (85+).
CENSUS_AGE_STARTS = (45, 50, 55, 60, 65, 70, 75, 80, 85)
#: WPP period whose life table shapes the single-year split of the census groups.
SPLIT_PERIOD_YEAR = 2017
#: 老年人: the lists and the national 低保/特困/living-arrangement figures count from 60
#: (every seed's "60周岁及以上老年人").
OLD_AGE = 60
#: Age from which the institution-share source counts (CLHLS 65+, health.yaml).
INSTITUTION_SHARE_AGE = 65
#: Calendar year of the base population (census reference date 1 November 2020).
BASE_YEAR = 2020
#: ADL grade names in code order (see people.SCHEMA["adl_level"]).
ADL_GRADES = ("intact", "mild", "moderate", "severe", "total")

# --------------------------------------------------------------------------- health params


def age_curve(points: list[tuple[float, float]], ages: np.ndarray) -> np.ndarray:
    """Interpolate a positive age curve log-linearly, flat beyond its ends.

    Args:
        points: ``(age, value)`` pairs, values > 0.
        ages: Ages (years) to evaluate at.

    Returns:
        The curve at ``ages``.
    """
    xs, ys = zip(*sorted(points), strict=True)
    return np.exp(np.interp(ages, np.asarray(xs, float), np.log(np.asarray(ys, float))))


@dataclass
class Health:
    """Validated contents of ``params/population/health.yaml``.

    Attributes:
        curves: Name → list of ``(age, value)`` points.
        values: Name → scalar value.
        shares: Name → ``{label: value}`` (for shares, summing to 1).
        raw: The parsed file (for provenance listings).
    """

    curves: dict[str, list[tuple[float, float]]]
    values: dict[str, float]
    shares: dict[str, dict[str, float]]
    raw: dict[str, Any]

    def curve(self, name: str, ages: np.ndarray) -> np.ndarray:
        """Evaluate the named curve at ``ages``."""
        return age_curve(self.curves[name], ages)

    def with_values(self, **overrides: float) -> Health:
        """Return a copy with some scalar values replaced (for scenarios and tests).

        Raises:
            ParamError: If a name is not a scalar of health.yaml.
        """
        unknown = set(overrides) - set(self.values)
        if unknown:
            raise ParamError(
                f"params/population/health.yaml: no scalar {sorted(unknown)}; "
                f"scalars: {', '.join(sorted(self.values))}"
            )
        return Health(self.curves, {**self.values, **overrides}, self.shares, self.raw)

    def scaled_curve(self, name: str, factor: float) -> Health:
        """Return a copy with a curve multiplied by ``factor`` (for tests and sensitivity)."""
        curves = dict(self.curves)
        curves[name] = [(a, v * factor) for a, v in self.curves[name]]
        return Health(curves, self.values, self.shares, self.raw)


_PROB_UNITS = ("probability", "probability per year", "share")


@cache
def load_health(params_dir: Path = PARAMS_DIR) -> Health:
    """Load and validate ``params/population/health.yaml``.

    Each entry is one of: a curve (``points``), a share table (``values`` mapping), the
    care-level thresholds, or a scalar quantity. Every number needs a source or an
    assumption with a range; probabilities must lie in [0, 1]; shares must sum to 1.

    Args:
        params_dir: Root of the params tree.

    Returns:
        The :class:`Health` parameters.

    Raises:
        ParamError: Naming file, entry and key.
    """
    where = "params/population/health.yaml"
    raw = read_yaml(params_dir / "population" / "health.yaml")
    if not isinstance(raw, dict):
        raise ParamError(f"{where}: expected a mapping of parameters")
    curves, values, shares = {}, {}, {}
    for name, entry in raw.items():
        w = f"{where}: {name}"
        if not isinstance(entry, dict):
            raise ParamError(f"{w}: expected a mapping")
        if "points" in entry:
            e = _keys(entry, w, {"description", "unit", "points"}, {"note"})
            pts = []
            for i, p in enumerate(e["points"]):
                p = dict(p)
                age = p.pop("age", None)
                if not isinstance(age, (int, float)):
                    raise ParamError(f"{w}.points[{i}]: needs a numeric age")
                q = read_quantity({**p, "unit": e["unit"]}, f"{w}.points[{i}]", lo=0, hi=1)
                if q.value <= 0:
                    raise ParamError(f"{w}.points[{i}]: curve values must be > 0")
                pts.append((float(age), float(q.value)))
            if len({a for a, _ in pts}) != len(pts):
                raise ParamError(f"{w}.points: ages must differ")
            curves[name] = pts
        elif name == "care_level_min_adl":
            e = _keys(entry, w, {"description", "unit", "partial_care", "full_care"})
            for k in ("partial_care", "full_care"):
                q = read_quantity({**e[k], "unit": e["unit"]}, f"{w}.{k}", lo=1, hi=4)
                values[f"care_level_min_adl.{k}"] = float(q.value)
            if values["care_level_min_adl.partial_care"] > values["care_level_min_adl.full_care"]:
                raise ParamError(f"{w}: partial_care threshold above full_care")
        elif "values" in entry:
            e = _keys(
                entry,
                w,
                {"unit", "values"},
                {"description", "source", "note", "assumption", "range", "rationale"},
            )
            read_quantity(
                {k: v for k, v in e.items() if k not in ("values", "description")}
                | {"value": min(e["values"].values())},
                w,
            )
            vals = {k: float(v) for k, v in e["values"].items()}
            if e["unit"] == "share" and abs(sum(vals.values()) - 1) > 1e-3:
                raise ParamError(f"{w}.values: shares sum to {sum(vals.values()):.4f}, not 1")
            shares[name] = vals
        else:
            lo_hi = (0, 1) if entry.get("unit") in _PROB_UNITS else (None, None)
            q = read_quantity(entry, w, lo=lo_hi[0], hi=lo_hi[1])
            values[name] = float(q.value)
    for name, labels in (
        ("adl_grade_shares", ADL_GRADES[1:]),
        ("adl_mortality_rr", ADL_GRADES),
        ("institution_adl_weights", ADL_GRADES),
    ):
        if name not in shares or list(shares[name]) != list(labels):
            raise ParamError(f"{where}: {name} needs values for {list(labels)} in that order")
    return Health(curves, values, shares, raw)


# --------------------------------------------------------------------------- census


@cache
def load_census(params_dir: Path = PARAMS_DIR) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The census tables copied into ``params/population`` (see scripts/extract_reference.py).

    Returns:
        ``(age_sex, counties)``: county × sex × age-group counts, and county totals.
    """
    base = params_dir / "population"
    age_sex = pd.read_csv(base / "census2020_age_sex.csv", dtype={"county": str})
    counties = pd.read_csv(base / "census2020_counties.csv", dtype={"county": str})
    return age_sex, counties


def single_year_weights(mortality: Mortality, sex: int, start: int, stop: int) -> np.ndarray:
    """Shares of a census age group ``[start, stop]`` falling on each single year of age.

    Proportional to survivorship ``l(x)`` from ``start`` in the
    :data:`SPLIT_PERIOD_YEAR` period life table, i.e. the stationary population within the
    group.

    Args:
        mortality: The mortality table.
        sex: 0 male, 1 female.
        start: First age of the group.
        stop: Last age of the group (inclusive).

    Returns:
        Shares summing to 1, one per age ``start..stop``.
    """
    q = rate_to_prob(mortality.mx[sex, start:stop, SPLIT_PERIOD_YEAR - 2000])
    lx = np.concatenate([[1.0], np.cumprod(1 - q)])
    return lx / lx.sum()


def _apportion(n: int, weights: np.ndarray) -> np.ndarray:
    """Largest-remainder apportionment of ``n`` over ``weights`` (exact total)."""
    exact = n * weights
    base = np.floor(exact).astype(np.int64)
    short = n - base.sum()
    if short:
        order = np.argsort(-(exact - base), kind="stable")
        base[order[:short]] += 1
    return base


@dataclass
class Population:
    """A city's agents: the person columns plus model bookkeeping columns.

    Attributes:
        cols: Person table (:mod:`simlib.people` schema) plus ``county`` (index into
            ``counties``), ``weight`` (persons per agent), ``alive`` and ``death_year``.
        counties: County keys (区划代码 as text) in index order.
        sample: Sample fraction the agents represent.
    """

    cols: dict[str, np.ndarray]
    counties: list[str]
    sample: float

    def __len__(self) -> int:
        return len(self.cols["age"])

    def to_frame(self) -> pd.DataFrame:
        """All agents as a readable DataFrame (labels for categories, county codes)."""
        df = people.to_frame(self.cols)
        df["county"] = pd.Categorical.from_codes(self.cols["county"], self.counties)
        return df

    def person(self, i: int) -> dict[str, Any]:
        """One agent as a readable record."""
        return self.to_frame().iloc[i].to_dict()


def census_shares(city: str, params_dir: Path = PARAMS_DIR) -> tuple[float, float]:
    """Female and urban shares of a city's census population aged 45+.

    The urban share weights each county's all-age urban share by its 45+ population (the
    census table gives urban/rural for all ages only).

    Returns:
        ``(female_share, urban_share)``.
    """
    age_sex, counties = load_census(params_dir)
    tab = age_sex[age_sex["city"] == city]
    if tab.empty:
        raise ParamError(f"no census rows for city {city!r} in params/population")
    female = tab.loc[tab["sex"] == "female", "count"].sum() / tab["count"].sum()
    n45 = tab.groupby("county")["count"].sum()
    cty = counties.set_index("county").loc[n45.index]
    urban = float((n45 * cty["urban"] / cty["population"]).sum() / n45.sum())
    return float(female), urban


def synthesize(
    city: str,
    rng: np.random.Generator,
    sample: float = 1.0,
    health: Health | None = None,
    params_dir: Path = PARAMS_DIR,
    adl: AdlCalibration | None = None,
) -> Population:
    """Build the base-year (2020) population of a city's residents aged 45+.

    Args:
        city: City key.
        rng: Random generator for this module (a child stream of the model's seed).
        sample: Fraction of persons represented by agents, in (0, 1].
        health: Health parameters (loaded if not given).
        params_dir: Root of the params tree.
        adl: The ADL calibration whose grade mix the base grades follow (computed for
            the census shares and year 2020 if not given).

    Returns:
        The :class:`Population`.

    Raises:
        ParamError: For an unknown city or a sample outside (0, 1].
    """
    if not 0 < sample <= 1:
        raise ParamError(f"sample must lie in (0, 1], got {sample}")
    health = health or load_health(params_dir)
    mortality = load_mortality(params_dir)
    age_sex, county_tab = load_census(params_dir)
    tab = age_sex[age_sex["city"] == city]
    if tab.empty:
        raise ParamError(f"no census rows for city {city!r} in params/population")
    county_keys = list(dict.fromkeys(tab["county"]))
    ages, sexes, cidx = [], [], []
    for (county, sex, start), n in tab.set_index(["county", "sex", "age_start"])["count"].items():
        s = 0 if sex == "male" else 1
        stop = start + 4 if start < CENSUS_AGE_STARTS[-1] else MAX_AGE
        w = single_year_weights(mortality, s, start, stop)
        if sample == 1:
            k = _apportion(int(n), w)
        else:
            expected = n * sample
            m = int(np.floor(expected)) + int(rng.random() < expected - np.floor(expected))
            k = rng.multinomial(m, w)
        a = np.repeat(np.arange(start, stop + 1), k)
        ages.append(a)
        sexes.append(np.full(a.size, s))
        cidx.append(np.full(a.size, county_keys.index(county)))
    n = sum(a.size for a in ages)
    cols = people.empty(n)
    cols["age"][:] = np.concatenate(ages)
    cols["sex"][:] = np.concatenate(sexes)
    cols["county"] = np.concatenate(cidx).astype(np.int16)
    cols["weight"] = np.full(n, 1.0 / sample, dtype=np.float32)
    cols["alive"] = np.ones(n, dtype=bool)
    cols["death_year"] = np.zeros(n, dtype=np.int16)
    urban_share = (
        county_tab.set_index("county")
        .loc[county_keys, ["urban", "population"]]
        .pipe(lambda d: (d["urban"] / d["population"]).to_numpy())
    )
    cols["urban"][:] = rng.random(n) < urban_share[cols["county"]]
    female, urban = census_shares(city, params_dir)
    adl = adl or calibrate_adl(health, mortality, BASE_YEAR, female)
    assign_base_states(cols, health, rng, adl, urban)
    return Population(cols, county_keys, sample)


# --------------------------------------------------------------------------- base states


def care_level_from_adl(health: Health, adl: np.ndarray) -> np.ndarray:
    """Map ADL grades to the 特困 care classes (0 全自理, 1 半护理, 2 全护理)."""
    partial = health.values["care_level_min_adl.partial_care"]
    full = health.values["care_level_min_adl.full_care"]
    return ((adl >= partial).astype(np.int8) + (adl >= full).astype(np.int8)).astype(np.int8)


def assistance_prevalence(health: Health, name: str, age, urban, urban_share: float):
    """P(status) by age and residence for ``dibao`` or ``tekun``.

    The 60+ prevalence is split into urban and rural so that rural is ``ratio`` times
    urban and the average over the city's residence mix equals the national figure; below
    60 the dibao prevalence is scaled by ``dibao_prevalence_45_59_ratio`` (特困 is not
    assigned below 60: it is an old-age status in the lists).
    """
    p60 = health.values[f"{name}_prevalence_60plus"]
    ratio = health.values[f"{name}_rural_ratio"]
    p_urban = p60 / (urban_share + (1 - urban_share) * ratio)
    p = np.where(urban, p_urban, p_urban * ratio)
    if name == "dibao":
        return np.where(age >= OLD_AGE, p, p * health.values["dibao_prevalence_45_59_ratio"])
    return np.where(age >= OLD_AGE, p, 0.0)


def empty_nest_or_alone_prevalence(health: Health, age) -> np.ndarray:
    """P(empty-nest or living alone) by age: the 60+ share, scaled below 60.

    Never below the living-alone curve (living alone is a kind of empty nest).
    """
    v = health.values
    ratio = np.where(np.asarray(age) >= OLD_AGE, 1.0, v["empty_nest_45_59_ratio"])
    return np.maximum(
        ratio * v["empty_nest_or_alone_60plus"], health.curve("alone_prevalence", age)
    )


def assign_base_states(
    cols: dict[str, np.ndarray], health: Health, rng, adl: AdlCalibration, urban_share: float
) -> None:
    """Draw every base-year state from its prevalence (in place).

    Args:
        cols: Person table with age, sex, urban set.
        health: Health parameters.
        rng: Random generator.
        adl: ADL calibration: base grades follow its expected grade mix by sex and age.
        urban_share: Urban share of the city's 45+ (splits national prevalences).
    """
    n = len(cols["age"])
    age, sex, urban = cols["age"], cols["sex"], cols["urban"]
    v, sh = health.values, health.shares
    # ADL grade: inverse-CDF draw from the calibrated mix of each person's sex and age
    cdf = np.cumsum(adl.grade_dist[sex, np.minimum(age, MAX_AGE)], axis=1)
    u = rng.random(n)[:, None]
    cols["adl_level"][:] = np.minimum((u >= cdf).sum(axis=1), cdf.shape[1] - 1)
    cols["care_level"][:] = care_level_from_adl(health, cols["adl_level"])
    # Chronic conditions
    cols["hypertension"][:] = rng.random(n) < health.curve("hypertension_prevalence", age)
    cols["diabetes"][:] = rng.random(n) < health.curve("diabetes_prevalence", age)
    cols["severe_mental"][:] = rng.random(n) < v["severe_mental_prevalence"]
    # Assistance: one draw, exclusive statuses (特困, then 低保, then 低保边缘)
    p_tekun = assistance_prevalence(health, "tekun", age, urban, urban_share)
    p_dibao = assistance_prevalence(health, "dibao", age, urban, urban_share)
    u = rng.random(n)
    code = people.SCHEMA["assistance"].code
    status = np.full(n, code("none"), dtype=np.int8)
    status[u < p_tekun + p_dibao + v["dibao_edge_prevalence"]] = code("dibao_edge")
    status[u < p_tekun + p_dibao] = code("dibao")
    status[u < p_tekun] = code("tekun")
    cols["assistance"][:] = status
    tekun = status == code("tekun")
    central = tekun & (rng.random(n) < v["tekun_centralized_share"])
    mode = people.SCHEMA["tekun_mode"].code
    cols["tekun_mode"][:] = np.where(
        central, mode("centralized"), np.where(tekun, mode("dispersed"), 0)
    )
    cols["no_supporter"][:] = tekun | (rng.random(n) < v["no_supporter_non_tekun"])
    # Living arrangement
    p_alone = health.curve("alone_prevalence", age)
    p_nest = empty_nest_or_alone_prevalence(health, age)
    u = rng.random(n)
    living = people.SCHEMA["living"].code
    cols["living"][:] = np.where(
        u < p_alone,
        living("alone"),
        np.where(u < p_nest, living("empty_nest"), 0),
    )
    cols["left_behind"][:] = ~urban & (age >= OLD_AGE) & (rng.random(n) < v["left_behind_rural"])
    # Institutions: 特困 集中供养, then others by ADL weight so the 65+ share matches
    w = np.asarray(list(sh["institution_adl_weights"].values()))[cols["adl_level"]]
    old = age >= INSTITUTION_SHARE_AGE
    target = v["institution_share_65plus"] * old.sum() - (central & old).sum()
    c = max(target, 0.0) / max(w[old & ~central].sum(), 1e-12)
    inst = central | (old & (rng.random(n) < np.clip(c * w, 0, 1)))
    cols["in_institution"][:] = inst
    cols["living"][inst] = living("with_family")  # a collective household
    # Family and status flags
    cols["fp_special"][:] = rng.random(n) < v["fp_special"]
    cols["youfu"][:] = (age >= OLD_AGE) & (rng.random(n) < v["youfu"])
    cols["military_family"][:] = (age >= OLD_AGE) & (rng.random(n) < v["military_family"])
    # Disability certificate
    p_cert = v["disability_certificate_60plus"] * np.where(
        age >= OLD_AGE, 1.0, v["disability_certificate_45_59_ratio"]
    )
    cert = rng.random(n) < p_cert
    grades = 1 + rng.choice(4, size=n, p=list(sh["disability_grade_shares"].values()))
    types = 1 + rng.choice(7, size=n, p=list(sh["disability_type_shares"].values()))
    cols["disability_grade"][:] = np.where(cert, grades, 0)
    cols["disability_type"][:] = np.where(cert, types, 0)
    assign_pensions(cols, health, rng, cols["age"] >= v["pension_age"])


def assign_pensions(cols: dict[str, np.ndarray], health: Health, rng, who: np.ndarray) -> None:
    """Draw the pension type of the persons in mask ``who`` (in place)."""
    v = health.values
    n = int(who.sum())
    urban = cols["urban"][who]
    p_emp = np.where(urban, v["pension_employee_urban"], v["pension_employee_rural"])
    u = rng.random(n)
    code = people.SCHEMA["pension"].code
    kind = np.where(
        u < p_emp,
        code("employee"),
        np.where(u < p_emp + (1 - p_emp) * v["pension_resident_coverage"], code("resident"), 0),
    )
    cols["pension"][who] = kind

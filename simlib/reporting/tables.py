"""Tables a reader publishes: headlines with their precision, projections, comparisons, lists.

Every table built from runs carries its interval and Monte-Carlo standard error
(:mod:`simlib.experiments.result`), names its unit, and gives money in 万元 (10 000 yuan).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simlib.core.errors import ParamError
from simlib.experiments.result import WAN, Result
from simlib.experiments.run import run
from simlib.outcomes.targets import evaluate_targets
from simlib.params import cities, load_city, read_tree
from simlib.params.vocabulary import load_reference_persons
from simlib.policy.engine import apply_services
from simlib.policy.explain import catalogue

#: Headline measures: measure → (Chinese, English) label.
HEADLINES = {
    "pop60": ("60岁及以上人口", "persons 60+"),
    "covered60": ("享有现金或床位的60+人口", "60+ eligible for cash or a bed"),
    "enrolled": ("享受服务人次", "enrolments (person-items)"),
    "fte": ("服务人员（全职当量）", "staff FTE (in-kind services)"),
    "beds:institution_bed": ("机构床位", "institution beds"),
    "cost_yuan": ("清单支出", "service-list cost"),
}
PER_60 = ("人均支出（每位60+老人）", "cost per person 60+")


def headline(result: Result, years=(2025, 2030, 2035)) -> pd.DataFrame:
    """The headline measures of a run in selected years, each with its precision.

    Args:
        result: A run.
        years: Years to show (those not simulated are skipped).

    Returns:
        Tidy table: measure, 指标, year, value, lower, upper, se, rse (se as a fraction of
        the value, like ``relative`` in comparisons; pages show both as %), reps, unit.
        Money is in 万元; cost per person 60+ in yuan.
    """
    frames = []
    for m, (zh, en) in HEADLINES.items():
        t = result.totals(m)
        if m == "cost_yuan":
            t[["value", "lower", "upper", "se"]] *= WAN
            t["unit"] = "万元"
        frames.append(t.assign(measure=en, 指标=zh))
    t = result.per_older_resident()
    t["unit"] = "yuan per person 60+"
    frames.append(t.assign(measure=PER_60[1], 指标=PER_60[0]))
    out = pd.concat(frames, ignore_index=True)
    out = out[out["year"].isin(years)]
    out["rse"] = out["se"] / out["value"].where(out["value"] != 0)
    cols = ["measure", "指标", "year", "value", "lower", "upper", "se", "rse", "reps", "unit"]
    return out[cols].reset_index(drop=True)


def headline_wide(result: Result, years=(2025, 2030, 2035)) -> pd.DataFrame:
    """:func:`headline` as a reader's table: one row per measure, ``value ± se`` per year."""
    h = headline(result, years)
    h["cell"] = [_pm(v, s) for v, s in zip(h["value"], h["se"], strict=True)]
    wide = h.pivot_table(
        index=["measure", "unit"], columns="year", values="cell", aggfunc="first", sort=False
    )
    wide.columns = [str(c) for c in wide.columns]
    return wide.reset_index()


def _pm(value: float, se: float) -> str:
    if np.isnan(se):
        return f"{value:,.0f}"
    digits = 0 if abs(value) >= 100 else 1
    return f"{value:,.{digits}f} ± {se:,.{digits + (1 if se < 1 else 0)}f}"


def projections(results: dict[str, Result]) -> pd.DataFrame:
    """Tidy yearly headline measures for several runs (label, year, measure, value, …)."""
    frames = []
    for label, res in results.items():
        h = headline(res, years=tuple(range(2020, 2051)))
        frames.append(h.assign(city=label))
    cols = [
        "city",
        "year",
        "measure",
        "指标",
        "value",
        "lower",
        "upper",
        "se",
        "rse",
        "reps",
        "unit",
    ]
    return pd.concat(frames, ignore_index=True)[cols]


def cost_by_item(result: Result, year: int, top: int = 10) -> pd.DataFrame:
    """The ``top`` items by cost in ``year`` (万元, with interval), with names (zh, en)."""
    t = result.totals("cost_yuan", ("year", "item_id"))
    t = t[t["year"] == year].nlargest(top, "value")
    names = result.items()[["item_id", "name_zh", "name_en"]]
    t = t.merge(names, on="item_id", how="left")
    for c in ("value", "lower", "upper", "se"):
        t[c] = t[c] * WAN
    t["unit"] = "万元"
    return t[["item_id", "name_zh", "name_en", "value", "lower", "upper", "se", "reps", "unit"]]


def by_payer(results: dict[str, Result], years) -> pd.DataFrame:
    """Costs by payer (支出责任) per city and year, in 万元 with intervals.

    Args:
        results: Runs by label (a city's name).
        years: Years to show (those a run did not simulate are skipped).

    Returns:
        city, year, payer, 支付方 (Chinese), payer_en, value, lower, upper, se (万元), reps,
        ``share_of_cost``: of the city's public cost (``cost_yuan``; ``person`` co-payments
        lie outside it), ``assumed_share``: of the year's public cost, the part whose split
        rests on flagged shares or defaults (:meth:`~simlib.experiments.result.Result.by_payer`).
    """
    frames = []
    for label, r in results.items():
        t = r.by_payer(("year",))
        t = t[t["year"].isin(years)].copy()
        t[["value", "lower", "upper", "se"]] *= WAN
        t["unit"] = "万元"
        assumed = _assumed_share(r)
        t["assumed_share"] = t["year"].map(assumed)
        frames.append(t.assign(city=label))
    out = pd.concat(frames, ignore_index=True).rename(
        columns={"payer_zh": "支付方", "share": "share_of_cost"}
    )
    cols = ["city", "year", "payer", "支付方", "payer_en", "value", "lower", "upper", "se"]
    return out[[*cols, "reps", "share_of_cost", "assumed_share", "unit"]]


def _assumed_share(result: Result) -> pd.Series:
    """Per year, the share of the public cost of items whose split is flagged (mean of reps)."""
    if result.inputs is None:
        from simlib.core.errors import ParamError

        raise ParamError(
            f"{result.meta.get('city')}: this result has no inputs (read from disk after its "
            "params changed), so which splits are flagged is unknown; re-run it"
        )
    flagged = {
        it.id
        for period in result.inputs.periods
        for it in period.services.items
        if it.funding.assumed
    }
    r = result.reps[result.reps["measure"] == "cost_yuan"]
    tot = r.groupby("year")["value"].sum()
    part = r[r["item_id"].isin(flagged)].groupby("year")["value"].sum()
    return (part.reindex(tot.index, fill_value=0.0) / tot.where(tot > 0)).rename("assumed")


def county_table(result: Result, measure: str, year: int) -> pd.DataFrame:
    """A measure by county in ``year``, county names (zh, en) beside the codes."""
    t = result.totals(measure, ("year", "county"))
    t = t[t["year"] == year].drop(columns="year")
    counties = result.inputs.context.counties if result.inputs is not None else {}
    names = {str(k): v for k, v in counties.items()}
    t.insert(1, "county_zh", t["county"].map(lambda c: names.get(c, {}).get("name_zh", "")))
    t.insert(2, "county_en", t["county"].map(lambda c: names.get(c, {}).get("name_en", "")))
    return t.reset_index(drop=True)


def compare_scenarios(
    city: str, scenarios: tuple[str, ...], year: int, **kwargs
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Result]]:
    """Run a city under several scenarios (same seed: common random numbers) and compare.

    Each replication's population is simulated once and every scenario evaluated on it
    (:func:`simlib.run` with ``scenarios``).

    Args:
        city: City key.
        scenarios: Scenario names or files; the first is the reference.
        year: Year of the comparison.
        **kwargs: Passed to :func:`simlib.run` (sample, seed, reps, end_year, cache).

    Returns:
        ``(differences, targets, results)``: per scenario and headline measure the paired
        difference from the first scenario in ``year`` (with interval and whether it is
        distinguishable from noise); every target's projected value and gap per scenario; and
        the runs.
    """
    results = run(city, scenarios=list(scenarios), **kwargs)  # one simulation per replication
    ref = results[str(scenarios[0])]
    rows, targets = [], []
    for s, res in results.items():
        for m, (zh, en) in HEADLINES.items():
            if s == str(scenarios[0]):
                continue
            d = res.compare(ref, m)
            d = d[d["year"] == year].assign(scenario=s, measure=en, 指标=zh)
            rows.append(d)
        targets.append(evaluate_targets(res).assign(scenario=s))
    diffs = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    return diffs, pd.concat(targets, ignore_index=True), results


def cross_city(year: int = 2030, *, results: dict | None = None, **kwargs) -> pd.DataFrame:
    """Every city's list on every city's population (policy transfer), plus the harmonised list.

    Runs with one seed share their population draws, so each list's difference from the
    city's own list is paired: ``distinguishable`` says whether its 95 % interval excludes 0.

    Args:
        year: Year compared.
        results: The runs, as :func:`cross_city_runs` gives them (run here when None).
        **kwargs: Passed to :func:`cross_city_runs` (sample, seed, reps, end_year, cache).

    Returns:
        Tidy table: population, list, cost per person 60+ (yuan, with lower, upper, se),
        coverage (share of 60+ eligible for a cash benefit or a placement), the paired
        difference in cost per person 60+ from the own list (with its interval) and
        ``distinguishable``.
    """
    if results is None:
        results = cross_city_runs(**kwargs)
    rows = []
    for pop, by in results.items():
        own = by[pop]
        for lst, res in by.items():
            per = res.per_older_resident().set_index("year").loc[year]
            cov = res.per_rep("covered60").set_index(["year", "rep"])["value"]
            p60 = res.per_rep("pop60").set_index(["year", "rep"])["value"]
            share = (cov / p60).loc[year]
            diff = _per60_diff(res, own, year)
            rows.append(
                {
                    "population": pop,
                    "list": lst,
                    "cost_per_60plus_yuan": per["value"],
                    "lower": per["lower"],
                    "upper": per["upper"],
                    "se": per["se"],
                    "coverage_60plus": float(share.mean()),
                    "diff_vs_own_yuan": diff["value"],
                    "diff_lower": diff["lower"],
                    "diff_upper": diff["upper"],
                    "distinguishable": bool(diff["distinguishable"]) if lst != pop else False,
                    "reps": int(per["reps"]),
                }
            )
    return pd.DataFrame(rows)


def cross_city_runs(**kwargs) -> dict[str, dict[str, Result]]:
    """Every city's list and the harmonised list on every city's population, one call each.

    Each population's replications are simulated (or read) once and every list evaluated
    on them (:func:`simlib.run` with ``lists``).

    Args:
        **kwargs: Passed to :func:`simlib.run` (sample, seed, reps, end_year, cache).

    Returns:
        ``{population: {list: result}}``: the cities' lists in :func:`cities` order (the
        population's own among them), then ``"harmonised"``.
    """
    keys = cities()
    out = {}
    for pop in keys:
        by = run(pop, scenarios=["harmonised"], lists=keys, **kwargs)
        out[pop] = {**{k: by[k] for k in keys}, "harmonised": by["harmonised"]}
    return out


def _per60_diff(res: Result, own: Result, year: int) -> pd.Series:
    from simlib.experiments.result import describe

    a = (
        res.per_rep("cost_yuan").set_index(["year", "rep"])["value"]
        / res.per_rep("pop60").set_index(["year", "rep"])["value"]
    )
    b = (
        own.per_rep("cost_yuan").set_index(["year", "rep"])["value"]
        / own.per_rep("pop60").set_index(["year", "rep"])["value"]
    )
    d = (a - b).loc[year].rename("value").reset_index().assign(year=year)
    out = describe(d, ["year"]).iloc[0]
    out["distinguishable"] = bool((out["lower"] > 0) | (out["upper"] < 0))
    return out


# --------------------------------------------------------------------------- the lists


def standards(year: int = 2025, keys: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Annual cash each city's list pays each reference person, by item family.

    Args:
        year: Calendar year (items must be in force).
        keys: City keys (all by default).

    Returns:
        Tidy DataFrame: city, person, person_zh, family, yuan_per_year (recurring cash,
        summed over the city's items of that family).
    """
    persons = load_reference_persons(read_tree())
    table = persons.drop(columns=["label", "label_zh"])
    frames = []
    for key in keys or cities():
        city = load_city(key)
        fam = {it.id: it.family or "other" for it in city.items}
        out = apply_services(city, table, year)
        out["family"] = out["item_id"].map(fam)
        out["city"] = key
        frames.append(out)
    df = pd.concat(frames, ignore_index=True)
    df["person"] = persons["label"].to_numpy()[df["person_id"]]
    df["person_zh"] = persons["label_zh"].to_numpy()[df["person_id"]]
    return (
        df.groupby(["city", "person", "person_zh", "family"], sort=False)["yuan_per_year"]
        .sum()
        .reset_index()
    )


def items_by_type() -> pd.DataFrame:
    """Number of list items per city and service type (zh and en), with a total row."""
    cat = catalogue(programmes=False)
    t = cat.pivot_table(
        index=["service_type_zh", "service_type_en"],
        columns="city",
        values="item_id",
        aggfunc="count",
        fill_value=0,
    )
    t.loc[("合计", "total"), :] = t.sum()
    return t.astype(int)


def family_matrix() -> pd.DataFrame:
    """Which item families each city's list contains (1) or lacks (0)."""
    cat = catalogue(programmes=False)
    m = pd.crosstab(cat["family"], cat["city"]).clip(upper=1)
    return m.sort_values(list(m.columns), ascending=False)


def check_years(result: Result, years) -> None:
    """Raise if a year asked for was not simulated."""
    have = set(result.reps["year"])
    missing = [y for y in years if y not in have]
    if missing:
        raise ParamError(
            f"years {missing} were not simulated (the run covers {min(have)}–{max(have)})"
        )

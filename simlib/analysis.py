"""Tables the notebooks show: projections, scenario comparisons, cross-city transfer."""

from __future__ import annotations

import pandas as pd

from simlib.params import CITIES
from simlib.runner import Result, run
from simlib.targets import evaluate_targets

#: Headline measures of a projection and how they are labelled.
HEADLINES = {
    "pop60": "persons 60+",
    "covered60": "60+ eligible for cash or a bed",
    "enrolled": "enrolments (person-items)",
    "fte": "staff FTE (in-kind services)",
    "beds:institution_bed": "institution beds",
    "cost_yuan": "cost, yuan",
}


def headline(result: Result, years: tuple[int, ...] = (2025, 2030, 2035)) -> pd.DataFrame:
    """The headline measures of a run in selected years (rows: measure, columns: year).

    Args:
        result: A run.
        years: Years to show (those not simulated are skipped).

    Returns:
        Wide table, values rounded to whole units, plus cost per person 60+.
    """
    rows = {}
    for m, label in HEADLINES.items():
        t = result.fte() if m == "fte" else result.totals(m)
        rows[label] = t.set_index("year")["value"]
    rows["cost per person 60+, yuan"] = result.per_older_resident().set_index("year")["value"]
    df = pd.DataFrame(rows).T
    return df[[y for y in years if y in df.columns]].round(0)


def projections(results: dict[str, Result]) -> pd.DataFrame:
    """Tidy yearly headline measures for several cities' runs (city, year, measure, value)."""
    frames = []
    for city, res in results.items():
        for m, label in HEADLINES.items():
            t = res.fte() if m == "fte" else res.totals(m)
            frames.append(t.assign(city=city, measure=label))
        t = res.per_older_resident()
        frames.append(t.assign(city=city, measure="cost per person 60+, yuan"))
    return pd.concat(frames, ignore_index=True)[
        ["city", "year", "measure", "value", "lower", "upper"]
    ]


def cost_by_item(result: Result, year: int, top: int = 10) -> pd.DataFrame:
    """The ``top`` items by cost in ``year``, with names (en, zh)."""
    from simlib.services import catalogue

    t = result.totals("cost_yuan", ("year", "item_id"))
    t = t[t["year"] == year].nlargest(top, "value")
    cat = catalogue()[["item_id", "name_en", "name_zh"]]
    return t.merge(cat, on="item_id", how="left")[["item_id", "name_en", "name_zh", "value"]]


def compare_scenarios(
    city: str, scenarios: tuple[str, ...], year: int, **kwargs
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run a city under several scenarios (same seed: common random numbers).

    Args:
        city: City key.
        scenarios: Scenario names.
        year: Year of the comparison.
        **kwargs: Passed to :func:`simlib.run` (sample, seed, reps, years).

    Returns:
        ``(headlines, targets)``: headline measures per scenario in ``year``, and every
        target's projected value and gap per scenario.
    """
    heads, targets = {}, []
    for s in scenarios:
        res = run(city, s, **kwargs)
        heads[s] = headline(res, (year,))[year]
        targets.append(evaluate_targets(res).assign(scenario=s))
    return pd.DataFrame(heads), pd.concat(targets, ignore_index=True)


def cross_city(year: int = 2030, **kwargs) -> pd.DataFrame:
    """Every city's list on every city's population (policy transfer), plus the harmonised list.

    Args:
        year: Year compared.
        **kwargs: Passed to :func:`simlib.run` (sample, seed, years).

    Returns:
        Tidy table: population, list (a city or ``harmonised``), cost per person 60+
        (yuan) and coverage (share of 60+ eligible for a cash benefit or a placement).
    """
    rows = []
    for pop in CITIES:
        for lst in (*CITIES, "harmonised"):
            if lst == "harmonised":
                res = run(pop, "harmonised", **kwargs)
            else:
                res = run(pop, "baseline", list_city=lst, **kwargs)
            per = res.per_older_resident().set_index("year")["value"][year]
            cov = res.totals("covered60").set_index("year")["value"][year]
            p60 = res.totals("pop60").set_index("year")["value"][year]
            rows.append(
                {
                    "population": pop,
                    "list": lst,
                    "cost_per_60plus_yuan": per,
                    "coverage_60plus": cov / p60,
                }
            )
    return pd.DataFrame(rows)

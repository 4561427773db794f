"""One obvious call: run a city under a scenario, with replications, into a tidy result.

>>> res = simlib.run("datong", scenario="targets_2025", reps=5, sample=0.01, seed=1)
>>> res.table            # year, city, county, item_id, measure, value, lower, upper
>>> res.totals("cost_yuan")
>>> res.plot("cost_yuan")

Replication ``r`` of seed ``s`` uses the streams of ``SeedSequence(s).spawn``-key ``(r,)``,
so every scenario run with the same seed shares common random numbers: the populations are
identical draw for draw, and a difference between scenarios is the policy's, not noise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simlib.model import ElderCareModel
from simlib.outcomes import fte, load_outcome_params
from simlib.params import CITIES, PARAMS_DIR, ParamError, load_city
from simlib.scenarios import (
    Scenario,
    apply_health,
    apply_outcomes,
    build_services,
    load_scenario,
)

#: Quantiles of the replication distribution reported as the 95 % interval.
INTERVAL = (0.025, 0.975)


def rep_seed(seed: int, rep: int) -> np.random.SeedSequence:
    """The seed sequence of replication ``rep`` of ``seed`` (independent across reps)."""
    return np.random.SeedSequence(seed, spawn_key=(rep,))


def run_one(
    city: str,
    scenario: Scenario,
    *,
    end_year: int,
    sample: float,
    seed: int,
    rep: int,
    list_city: str | None = None,
    params_dir: Path = PARAMS_DIR,
) -> pd.DataFrame:
    """Run one replication and return its outcome rows (with a ``rep`` column).

    Args:
        city: Population city.
        scenario: The scenario.
        end_year: Last simulated year.
        sample: Sample fraction.
        seed: Base seed.
        rep: Replication number.
        list_city: Whose list is applied (``city`` by default).
        params_dir: Root of the params tree.

    Returns:
        Tidy outcome rows: year, city, county, item_id, measure, value, rep.
    """
    services = build_services(scenario, list_city or city, params_dir)
    model = ElderCareModel(
        load_city(city, params_dir),
        sample=sample,
        end_year=end_year,
        rng=rep_seed(seed, rep),
        health=apply_health(scenario),
        params_dir=params_dir,
        services=services,
        outcome_params=apply_outcomes(scenario, load_outcome_params(params_dir)),
    )
    model.run()
    out = model.outcomes()
    out["rep"] = rep
    return out


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95 % interval across replications of each (year, city, county, item, measure).

    Args:
        rows: Replication rows with a ``rep`` column.

    Returns:
        Tidy table with value (mean), lower and upper.
    """
    keys = ["year", "city", "county", "item_id", "measure"]
    g = rows.groupby(keys, sort=False)["value"]
    out = g.mean().rename("value").to_frame()
    out["lower"] = g.quantile(INTERVAL[0])
    out["upper"] = g.quantile(INTERVAL[1])
    return out.reset_index()


@dataclass
class Result:
    """Outcomes of a run: tidy tables and plots.

    Attributes:
        table: Summary rows: year, city, county, item_id, measure, value, lower, upper.
        reps: Every replication's rows (with ``rep``).
        meta: What was run (city, scenario, seed, sample, reps, years, list_city, times).
    """

    table: pd.DataFrame
    reps: pd.DataFrame
    meta: dict = field(default_factory=dict)

    def totals(self, measure: str, by: tuple[str, ...] = ("year",)) -> pd.DataFrame:
        """A measure summed over items and counties, per replication, then summarised.

        Args:
            measure: e.g. ``"cost_yuan"``, ``"enrolled"``, ``"beds:institution_bed"``.
            by: Grouping columns (``year``, ``county``, ``item_id``).

        Returns:
            Tidy table: ``by`` columns, value (mean over reps), lower, upper.
        """
        r = self.reps[self.reps["measure"] == measure]
        if r.empty:
            known = sorted(self.reps["measure"].unique())
            raise ParamError(f"no measure {measure!r} in this result; measures: {known}")
        per_rep = r.groupby([*by, "rep"])["value"].sum().reset_index()
        g = per_rep.groupby(list(by))["value"]
        out = g.mean().rename("value").to_frame()
        out["lower"] = g.quantile(INTERVAL[0])
        out["upper"] = g.quantile(INTERVAL[1])
        return out.reset_index()

    def fte(self, by: tuple[str, ...] = ("year",)) -> pd.DataFrame:
        """Staff full-time equivalents for all in-kind services (from ``minutes``)."""
        t = self.totals("minutes", by)
        params = load_outcome_params()
        for c in ("value", "lower", "upper"):
            t[c] = fte(t[c], params)
        return t

    def per_older_resident(self, measure: str = "cost_yuan", age: int = 60) -> pd.DataFrame:
        """A measure per resident aged ``age``+ by year (ratio of replication totals)."""
        num = self.reps[self.reps["measure"] == measure].groupby(["year", "rep"])["value"].sum()
        den = self.reps[self.reps["measure"] == f"pop{age}"].groupby(["year", "rep"])["value"].sum()
        ratio = (num / den).rename("value").reset_index()
        g = ratio.groupby("year")["value"]
        out = g.mean().rename("value").to_frame()
        out["lower"] = g.quantile(INTERVAL[0])
        out["upper"] = g.quantile(INTERVAL[1])
        return out.reset_index()

    def by_department(self, year: int, measure: str = "cost_yuan") -> pd.DataFrame:
        """A measure in ``year`` by lead department (first named) of each item."""
        from simlib.services import catalogue

        cat = catalogue()[["item_id", "lead_department_zh"]]
        cat["department_zh"] = cat["lead_department_zh"].str.split("、").str[0]
        t = self.totals(measure, ("year", "item_id"))
        t = t[t["year"] == year].merge(cat[["item_id", "department_zh"]], on="item_id", how="left")
        return t.groupby("department_zh", as_index=False)[["value", "lower", "upper"]].sum()

    def by_spending(self, year: int, measure: str = "cost_yuan") -> pd.DataFrame:
        """A measure in ``year`` by the spending responsibility (支出责任) the list names.

        Only Puyang's list states who pays; items without it are grouped as "not stated".
        """
        from simlib.services import catalogue

        cat = catalogue()[["item_id", "spending_zh"]].fillna({"spending_zh": "not stated"})
        t = self.totals(measure, ("year", "item_id"))
        t = t[t["year"] == year].merge(cat, on="item_id", how="left")
        return t.groupby("spending_zh", as_index=False)[["value", "lower", "upper"]].sum()

    def plot(self, measure: str = "cost_yuan", title: str = "", ylabel: str = ""):
        """Line plot of a measure's yearly total with its 95 % band."""
        from simlib.plotting import line_by_year

        t = self.totals(measure)
        t["city"] = self.meta.get("city", "")
        return line_by_year(t, "value", title=title or measure, ylabel=ylabel or measure)


def run(
    city: str,
    scenario: str = "baseline",
    *,
    years: tuple[int, int] = (2020, 2035),
    reps: int = 1,
    sample: float = 0.01,
    seed: int = 1,
    list_city: str | None = None,
    progress: bool = False,
    params_dir: Path = PARAMS_DIR,
) -> Result:
    """Run ``reps`` replications of a city under a scenario.

    Args:
        city: Population city (e.g. ``"datong"``).
        scenario: Scenario name in ``params/scenarios/``.
        years: ``(2020, last year)``; the base year is always the census year 2020.
        reps: Number of replications (independent streams).
        sample: Fraction of persons represented by agents, in (0, 1].
        seed: Base seed.
        list_city: Apply this city's list instead of the city's own (policy transfer).
        progress: Show a progress bar over replications.
        params_dir: Root of the params tree.

    Returns:
        The :class:`Result`.

    Raises:
        ParamError: On an unknown city or scenario, or invalid years, reps or sample.
    """
    for key in (city, list_city):
        if key is not None and key not in CITIES:
            raise ParamError(f"unknown city {key!r}; available: {', '.join(CITIES)}")
    if years[0] != 2020 or not 2020 < years[1] <= 2050:
        raise ParamError(f"years must be (2020, Y) with 2020 < Y <= 2050, got {years}")
    if not isinstance(reps, int) or reps < 1:
        raise ParamError(f"reps must be a positive integer, got {reps!r}")
    if not 0 < sample <= 1:
        raise ParamError(f"sample must lie in (0, 1], got {sample}")
    scen = load_scenario(scenario, params_dir)
    started = dt.datetime.now(dt.UTC)
    it = range(reps)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc=f"{city} · {scenario}", unit="rep")
    rows = pd.concat(
        [
            run_one(
                city,
                scen,
                end_year=years[1],
                sample=sample,
                seed=seed,
                rep=r,
                list_city=list_city,
                params_dir=params_dir,
            )
            for r in it
        ],
        ignore_index=True,
    )
    meta = {
        "city": city,
        "scenario": scenario,
        "list_city": list_city or city,
        "seed": seed,
        "reps": reps,
        "sample": sample,
        "years": list(years),
        "started": started.isoformat(),
        "finished": dt.datetime.now(dt.UTC).isoformat(),
    }
    return Result(summarise(rows), rows, meta)

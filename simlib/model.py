"""The Mesa model: one city's older population, aged year by year under its service list."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import mesa
import numpy as np
import pandas as pd

from simlib import dynamics
from simlib.demography import load_mortality
from simlib.dynamics import Rates, Streams
from simlib.outcomes import Ledger, OutcomeParams, load_outcome_params
from simlib.params import PARAMS_DIR, City, ParamError, load_city
from simlib.population import Health, Population, load_health, synthesize
from simlib.reporters import MODEL_REPORTERS

#: Calendar year of the base population (census reference date 1 November 2020).
BASE_YEAR = 2020


def seed_sequence(rng: int | np.random.Generator | np.random.SeedSequence | None):
    """Turn the model's ``rng`` argument into the SeedSequence all streams derive from.

    Args:
        rng: An integer seed, a numpy Generator (its seed sequence is used), a
            SeedSequence, or None (fresh entropy; read it back from ``.entropy``).

    Returns:
        The root :class:`numpy.random.SeedSequence`.
    """
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        ss = rng.bit_generator.seed_seq
        if not isinstance(ss, np.random.SeedSequence):
            raise ParamError("rng: the Generator must be built from a SeedSequence")
        return ss
    if rng is not None and (not isinstance(rng, (int, np.integer)) or isinstance(rng, bool)):
        raise ParamError(f"rng must be an int seed, a numpy Generator or None, got {rng!r}")
    return np.random.SeedSequence(rng)


class ElderCareModel(mesa.Model):
    """A city's residents aged 45+ at the 2020 census, one agent each, aged year by year.

    People are held as columnar numpy arrays (:class:`~simlib.population.Population`), not
    one Python object per agent; Mesa provides the shell: random generator, clock and
    data collection. The dead are marked (``alive = False``), never deleted.

    Step order (one step = one calendar year, from ``year`` to ``year + 1``;
    :mod:`simlib.dynamics` implements it):

    1. death (WPP mx × ADL relative risk, scaled to the life table at the calibrated mix);
    2. ADL onset, recovery and progression, then care class;
    3. chronic-disease incidence;
    4. 低保 / 低保边缘 exit and entry, 特困 entry;
    5. moves to empty-nest and to living alone;
    6. institution entry (willing 特困, severe disability);
    7. ageing, pensions from the pension age, net migration;
    8. the service list applied to everyone alive and outcomes aggregated
       (:class:`~simlib.outcomes.Ledger`), and data collection on the new year's state
       (reporters in :mod:`simlib.reporters`).

    Args:
        city: City key or a loaded :class:`~simlib.params.City`.
        sample: Fraction of persons represented by agents, in (0, 1]; weights scale
            results back to persons.
        end_year: Last calendar year simulated (the base year is 2020).
        rng: Integer seed, numpy Generator, or None. One seed gives independent child
            streams per module and year, so two models with the same seed share common
            random numbers.
        health: Health parameters (the bundled ones by default).
        params_dir: Root of the params tree.
        reporters: DataCollector model reporters (:data:`~simlib.reporters.MODEL_REPORTERS`).
        services: The list applied each year (the city's own by default; another city's for
            policy transfer, or a scenario's modified list).
        outcome_params: Take-up, workload and cost parameters (bundled by default).

    Example:
        >>> m = ElderCareModel("xiaoyi", sample=0.01, rng=1)
        >>> m.run()
        >>> m.summary().tail(1)  # doctest: +SKIP
    """

    def __init__(
        self,
        city: str | City = "datong",
        *,
        sample: float = 0.01,
        end_year: int = 2035,
        rng: int | np.random.Generator | None = None,
        health: Health | None = None,
        params_dir: Path = PARAMS_DIR,
        reporters: Mapping | None = None,
        services: City | None = None,
        outcome_params: OutcomeParams | None = None,
    ):
        root = seed_sequence(rng)
        super().__init__(rng=np.random.default_rng(root))
        self.city = load_city(city, params_dir) if isinstance(city, str) else city
        if not BASE_YEAR < end_year <= 2050:
            raise ParamError(f"end_year must lie in {BASE_YEAR + 1}..2050, got {end_year}")
        self.seed_entropy = root.entropy
        self.streams = Streams(root)
        self.health = health or load_health(params_dir)
        self.mortality = load_mortality(params_dir)
        self.year = BASE_YEAR
        self.end_year = end_year
        self.population: Population = synthesize(
            self.city.key, self.streams.get("population"), sample, self.health, params_dir
        )
        c = self.population.cols
        self.rates = Rates.build(
            self.health,
            self.mortality,
            BASE_YEAR,
            female_share=float(np.mean(c["sex"] == 1)),
            urban_share=float(np.mean(c["urban"])),
        )
        self.services = services or self.city
        self.ledger = Ledger(
            self.services,
            self.population.counties,
            outcome_params or load_outcome_params(params_dir),
        )
        self.datacollector = mesa.DataCollector(model_reporters=dict(reporters or MODEL_REPORTERS))
        self._collect()

    def _collect(self) -> None:
        self.ledger.collect(self.population.cols, self.year)
        self.datacollector.collect(self)

    def step(self) -> None:
        """Advance one calendar year (see the class docstring for the order)."""
        dynamics.step_year(
            self.population, self.year, self.health, self.mortality, self.rates, self.streams
        )
        self.year += 1
        self._collect()
        if self.year >= self.end_year:
            self.running = False

    def run(self, progress: bool = False) -> ElderCareModel:
        """Step until ``end_year``.

        Args:
            progress: Show a progress bar (tqdm).

        Returns:
            The model itself, for chaining.
        """
        years = range(self.year, self.end_year)
        if progress:
            from tqdm.auto import tqdm

            years = tqdm(years, desc=f"{self.city.key} {self.year}–{self.end_year}", unit="yr")
        for _ in years:
            self.step()
        return self

    # ----------------------------------------------------------------- readable results

    def summary(self) -> pd.DataFrame:
        """Yearly totals: year, alive, dead, agents (one row per collected year)."""
        df = self.datacollector.get_model_vars_dataframe()
        return df[[c for c in df.columns if c != "states"]].reset_index(drop=True)

    def states(self) -> pd.DataFrame:
        """Yearly counts by county × age group × sex × state (tidy, all years)."""
        df = self.datacollector.get_model_vars_dataframe()
        return pd.concat(df["states"].tolist(), ignore_index=True)

    def outcomes(self) -> pd.DataFrame:
        """Yearly enrolment, workload, beds and cost per item × county (tidy, all years)."""
        out = self.ledger.table()
        out.insert(1, "city", self.city.key)
        return out

    def people(self) -> pd.DataFrame:
        """The whole population now (alive and dead) as a readable DataFrame."""
        return self.population.to_frame()

    def person(self, i: int) -> dict:
        """Agent ``i`` as a readable record."""
        return self.population.person(i)

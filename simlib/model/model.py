"""The Mesa model: one city's older population, aged year by year under its service list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import mesa
import numpy as np
import pandas as pd

from simlib.core.errors import ParamError, ParamTypeError, checked_arguments
from simlib.model.reporters import MODEL_REPORTERS, PATH_REPORTERS, Collector
from simlib.outcomes.ledger import Ledger
from simlib.params import Inputs, load_inputs
from simlib.population.mortality import city_mortality
from simlib.population.processes import PROCESSES, Process, ProcessSet, context_for, schema_of
from simlib.population.streams import Streams, seed_sequence
from simlib.population.synthesis import BASE_YEAR, Population, synthesize, to_year_end

#: Last calendar year a model may run to (the mortality table's end).
LAST_YEAR = 2050


class ElderCareModel(mesa.Model):
    """A city's residents aged 45+ at the 2020 census, one agent each, aged year by year.

    People are held as columnar numpy arrays (:class:`~simlib.population.synthesis.Population`),
    not one Python object per agent. ``benchmarks/bench_model.py`` measures the difference in
    time: idiomatic Mesa with one ``mesa.Agent`` per person, running only four of these rules
    (death, an ADL step, ageing, one eligibility count), is 25 to 33 times slower per
    agent-year than this model running all of its processes and the whole list
    (``docs/performance.md``); the memory of the one-object-per-agent version is not
    measured. Mesa provides the shell: random generator, clock and data collection (the
    model reporters include the outcome totals; the yearly state counts are kept as arrays
    until read, see :class:`~simlib.model.reporters.Collector`). Inspect people with
    :meth:`people` and :meth:`person`. The dead are marked (``alive = False``), never deleted.

    ``mesa.batch_run`` runs the model but, with Mesa 3.3.1 (the newest release on PyPI),
    does not return its final year: row ``Step`` k holds year ``start year + k`` for
    k = 0 … steps − 1, so a run to ``end_year`` stops at ``end_year − 1``; with the default
    ``data_collection_period=-1`` the one row is year ``end_year − 1`` (Mesa indexes the
    collected values by step, and the model also collects its start year; mesa issue
    #2514, fixed upstream by mesa PR #3109, unreleased). For the final year read
    ``model.run().datacollector`` or use :func:`simlib.run`.

    Dates: a year's state refers to 31 December (年末), the date of the statistical bulletins'
    stocks, and the step into a year covers that calendar year's flows. The base state (2020)
    is the census of 1 November 2020 carried two months on
    (:func:`~simlib.population.synthesis.to_year_end`: the deaths and birthdays of November and
    December), so ages are completed years on 31 December.

    Step order (one step = one calendar year, from ``year`` to ``year + 1``; the processes
    of :data:`simlib.population.processes.PROCESSES`, in this order):

    1. death — WPP mx × every declared relative risk (ADL grade), scaled to the life table;
    2. adl — ADL onset, recovery and progression, then the care class;
    3. chronic — hypertension and diabetes incidence;
    4. assistance — 低保 / 低保边缘 exit and entry, 特困 entry (集中供养 if willing);
    5. institution — entry of willing 特困 and by severe disability;
    6. household — widowhood of those whose spouse died, children leaving, and the living
       arrangement (独居, 空巢, with family) that follows;
    7. status — (drawn once in the base year; no yearly change);
    8. ageing — age + 1, pensions from the pension age, net migration;

    then the list in force applied to everyone alive and outcomes aggregated
    (:class:`~simlib.outcomes.ledger.Ledger`), and data collection on the new year's state.

    Args:
        city: City key or name (ignored when ``inputs`` is given).
        scenario: Scenario name, YAML path, dict or Scenario (ignored when ``inputs`` is given).
        inputs: Everything the run uses (:func:`simlib.params.load_inputs`); loaded from
            ``city`` and ``scenario`` when not given.
        sample: Fraction of persons represented by agents, in (0, 1]; weights scale
            results back to persons.
        end_year: Last calendar year simulated (the base year is 2020).
        rng: Integer seed, numpy Generator or SeedSequence, or None. One seed gives
            independent child streams per process and year, so two models with the same
            seed share common random numbers.
        seed: The same as an integer ``rng`` (the name :func:`simlib.run` and the CLI use).
        list_city: Apply this city's list (policy transfer; ignored with ``inputs``).
        params_dir: A params directory (ignored with ``inputs``).
        processes: Process classes in step order (:data:`PROCESSES` by default).
        reporters: DataCollector model reporters (:data:`MODEL_REPORTERS` by default).
        groups: Groupings of persons the outcomes are also aggregated by
            (:data:`simlib.outcomes.groups.GROUPINGS`): :meth:`outcomes` then has one
            column per grouping.
        record: Also record the population's path (:meth:`trajectory`), on which any
            list, take-up, price or target can later be evaluated without simulating
            (:mod:`simlib.outcomes.trajectory`).
        outcomes: Evaluate the list each year (the ledger). ``False`` only with ``record``:
            the path is simulated and stored, and the outcome reporters are left out.

    Example:
        >>> m = ElderCareModel("xiaoyi", sample=0.01, rng=1)
        >>> m.run()
        >>> m.summary().tail(1)  # doctest: +SKIP
    """

    @checked_arguments
    def __init__(
        self,
        city: str = "datong",
        scenario="baseline",
        *,
        inputs: Inputs | None = None,
        sample: float = 0.01,
        end_year: int = 2035,
        rng: int | np.random.Generator | np.random.SeedSequence | None = None,
        seed: int | None = None,
        list_city: str | None = None,
        params_dir: str | Path | None = None,
        processes: Sequence[type[Process]] | None = None,
        reporters: Mapping | None = None,
        groups: Sequence[str] = (),
        record: bool = False,
        outcomes: bool = True,
    ):
        if seed is not None:  # the name run(), the CLI and sweeps use; rng is Mesa's
            if rng is not None:
                raise ParamError("give seed or rng, not both (they are the same thing)")
            if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
                raise ParamTypeError(f"seed: expected a non-negative integer, got {seed!r}")
            rng = int(seed)
        root = seed_sequence(rng)
        super().__init__(rng=np.random.default_rng(root))
        processes = tuple(processes or PROCESSES)
        schema = schema_of(processes)
        if inputs is None:
            inputs = load_inputs(
                city, scenario, list_city=list_city, params_dir=params_dir, schema=schema
            )
        elif not isinstance(inputs, Inputs):
            raise ParamTypeError(
                f"inputs: expected simlib.params.Inputs, got {type(inputs).__name__}"
            )
        check_sample(sample)
        check_end_year(end_year)
        missing = set(schema) - set(inputs.schema)
        if missing:
            raise ParamError(
                f"inputs were loaded without the columns {sorted(missing)} the processes add; "
                "pass schema=simlib.population.processes.schema_of(processes) to load_inputs"
            )
        self.inputs = inputs
        self.city = inputs.city
        self.seed_entropy = root.entropy
        self.streams = Streams(root)
        self.year = BASE_YEAR
        self.end_year = end_year
        self.processes = ProcessSet(context_for(inputs, BASE_YEAR), processes)
        self.state_groups = [p.reported() for p in self.processes.processes if p.reported()]
        counties = [str(c) for c in inputs.context.counties]
        synthesis = self.streams.base("population")
        census_day = synthesize(
            inputs.census, inputs.mortality, inputs.city, counties, synthesis, sample, inputs.schema
        )
        self.population: Population = to_year_end(
            census_day, city_mortality(inputs.mortality, inputs.health, inputs.city), synthesis
        )
        for p in self.processes:
            p.init(self.population.cols, self.streams.base(p.name))
        if not outcomes and not record:
            raise ParamError("outcomes=False needs record=True (else the run computes nothing)")
        self.ledger = Ledger(inputs, counties, groups=tuple(groups)) if outcomes else None
        if reporters is None:
            reporters = MODEL_REPORTERS if outcomes else PATH_REPORTERS
        self.recorder = None
        if record:
            from simlib.outcomes.trajectory import Recorder

            self.recorder = Recorder(
                self.city,
                counties,
                inputs.schema,
                len(self.population.cols["alive"]),
                end_year - BASE_YEAR + 1,
            )
        self.datacollector = Collector(model_reporters=dict(reporters))
        self._collect()

    def _collect(self) -> None:
        if self.ledger is not None:
            self.ledger.record(self.population.cols, self.year)
        if self.recorder is not None:
            self.recorder.record(self.population.cols, self.year)
        self.datacollector.collect(self)

    def trajectory(self):
        """The population's path so far (:class:`~simlib.outcomes.trajectory.Trajectory`).

        Raises:
            ParamError: If the model was built without ``record=True``.
        """
        if self.recorder is None:
            raise ParamError("build the model with record=True to keep its trajectory")
        return self.recorder.trajectory()

    def step(self) -> None:
        """Advance one calendar year (see the class docstring for the order)."""
        cols = self.population.cols
        for p in self.processes:
            p.step(cols, self.year, self.streams.get(p.name, self.year))
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

            years = tqdm(years, desc=f"{self.city} {self.year}–{self.end_year}", unit="yr")
        for _ in years:
            self.step()
        return self

    # ----------------------------------------------------------------- readable results

    def summary(self) -> pd.DataFrame:
        """Yearly totals: year, alive, dead, agents and outcome totals (one row per year)."""
        dc = self.datacollector
        return dc.get_model_vars_dataframe([c for c in dc.model_reporters if c != "states"])

    def states(self) -> pd.DataFrame:
        """Yearly counts by county × age group × sex × state (tidy, all years)."""
        return pd.concat(self.datacollector.model_vars["states"], ignore_index=True)

    def outcomes(self) -> pd.DataFrame:
        """Yearly enrolment, workload, beds and cost per item × county (tidy, all years)."""
        if self.ledger is None:
            raise ParamError("built with outcomes=False: evaluate its trajectory instead")
        out = self.ledger.table()
        out.insert(1, "city", self.city)
        return out

    def people(self) -> pd.DataFrame:
        """The whole population now (alive and dead) as a readable DataFrame."""
        return self.population.to_frame()

    def person(self, i: int) -> dict:
        """Agent ``i`` as a readable record."""
        return self.population.person(i)


def check_sample(sample) -> float:
    """``sample`` if it is a number in (0, 1], else a clear error."""
    if isinstance(sample, bool) or not isinstance(sample, (int, float, np.floating)):
        raise ParamTypeError(f"sample: expected a fraction in (0, 1] (a number), got {sample!r}")
    if not 0 < sample <= 1:
        raise ParamError(f"sample must lie in (0, 1], got {sample}")
    return float(sample)


def check_end_year(end_year) -> int:
    """``end_year`` if it is a year in 2021..2050, else a clear error."""
    if isinstance(end_year, bool) or not isinstance(end_year, (int, np.integer)):
        raise ParamTypeError(f"end_year: expected a calendar year (int), got {end_year!r}")
    if not BASE_YEAR < end_year <= LAST_YEAR:
        raise ParamError(f"end_year must lie in {BASE_YEAR + 1}..{LAST_YEAR}, got {end_year}")
    return int(end_year)

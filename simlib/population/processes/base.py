"""What a process of the population model is: its columns, stream, parameters, draws and step.

A :class:`Process` (as a Starsim module or a LASER component) declares

* ``name`` — its random stream and its section of ``params/population/health.yaml``;
* ``owns`` — the person columns it draws and writes (no two processes own a column);
* ``writes`` — columns it writes besides those it owns, and ``follows`` — the processes it
  must run after: two processes that write one column need a declared order;
* ``reads`` — columns of others it reads as they stand this year (their writers run before
  it), and ``reads_last_year`` — columns it reads before their writer's step this year (e.g.
  the age before ageing adds a year);
* ``columns`` — new person attributes it adds beyond the base schema (extensions only);
* ``params`` — the entries of its section and their form (``curve``, ``value``, ``table``,
  ``group``): a missing or unknown entry is an error naming the file and section;
* ``init`` — the base-year draw of its columns; ``step`` — its yearly transition;
* optionally ``risk`` — a mortality relative risk by the level of one of its columns, which
  the death process multiplies into every person's death rate.

The model runs the processes in one ordered list (:data:`simlib.population.processes.PROCESSES`);
:class:`~simlib.population.processes.ProcessSet` checks the declarations against that order.
The death process reads each declared risk's column as it stands when death runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from simlib.core.people import Attribute
from simlib.params.demography import MAX_AGE, Mortality
from simlib.params.health import Health, Section, check_entries
from simlib.population.streams import agent_uniforms, draw_keys

#: Single years of age the rate tables cover.
AGES = np.arange(MAX_AGE + 1)
#: 老年人: the lists and the national 低保/特困/living-arrangement figures count from 60.
OLD_AGE = 60


@dataclass(frozen=True)
class Context:
    """What processes need to derive their rates, shared by all processes of a run.

    Attributes:
        health: Health parameters.
        mortality: Single-year mortality.
        female_share: Female share of the city's census population 45+.
        urban_share: Urban share of the city's census population 45+.
        base_year: Calendar year of the base population.
        widowed_counts: Widowed persons per county and sex ``[county, sex]`` (census).
        city: City key, for the city's old-age mortality level
            (:func:`simlib.population.mortality.level_by_age`); None: China's rates.
    """

    health: Health
    mortality: Mortality
    female_share: float
    urban_share: float
    base_year: int = 2020
    widowed_counts: np.ndarray | None = None
    city: str | None = None


@dataclass(frozen=True)
class Risk:
    """A mortality relative risk declared by a process.

    Attributes:
        column: The person column whose level sets the risk (integer codes 0..k-1).
        rr: Relative risk per level (level 0 is usually 1).
        scale: ``[sex, age]`` factor that keeps the population death probability at the life
            table's when the column follows its reference distribution.
        yearly: Optional ``[year, sex, age]`` scales from ``first_year`` on, for a reference
            distribution that moves with a secular trend (the ADL onset trend); the last row
            holds for later years.
        first_year: Calendar year of ``yearly``'s first row.
    """

    column: str
    rr: np.ndarray
    scale: np.ndarray
    yearly: np.ndarray | None = None
    first_year: int = 0

    def scale_in(self, year: int) -> np.ndarray:
        """The ``[sex, age]`` scale of the death step out of calendar ``year``."""
        if self.yearly is None:
            return self.scale
        return self.yearly[min(max(year - self.first_year, 0), len(self.yearly) - 1)]


class Process:
    """Base class of the population model's processes (see the module docstring)."""

    name: ClassVar[str] = ""
    owns: ClassVar[tuple[str, ...]] = ()
    columns: ClassVar[tuple[Attribute, ...]] = ()
    params: ClassVar[dict[str, str]] = {}
    #: Columns it writes besides those it owns (documented reasons only).
    writes: ClassVar[tuple[str, ...]] = ()
    #: Columns of others (or of the synthesis) it reads this year, after their writers' step.
    reads: ClassVar[tuple[str, ...]] = ()
    #: Columns it reads before their writer's step this year (last year's value).
    reads_last_year: ClassVar[tuple[str, ...]] = ()
    #: Names of processes it must run after (needed when it writes a column another writes).
    follows: ClassVar[tuple[str, ...]] = ()
    #: Owned columns counted each year by the state reporter (all owned by default).
    reports: ClassVar[tuple[str, ...] | None] = None

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.p = self.section(ctx.health)

    @classmethod
    def section(cls, health: Health) -> Section:
        """This process's validated section of the health parameters (empty if none declared).

        Raises:
            ParamError: On a missing section, or a missing or unknown entry.
        """
        if not cls.params:
            return Section(cls.name)
        sec = health.section(cls.name)
        check_entries(sec, cls.params, f"params/population/health.yaml: {cls.name}")
        return sec

    def init(self, cols: dict[str, np.ndarray], rng: np.random.Generator) -> None:
        """Draw the base-year values of the owned columns (in place)."""

    def step(self, cols: dict[str, np.ndarray], year: int, rng: np.random.Generator) -> None:
        """Move the owned columns from ``year`` to ``year + 1`` (in place)."""

    @classmethod
    def reported(cls) -> tuple[str, ...]:
        """Columns the state reporter counts for this process."""
        return cls.owns if cls.reports is None else cls.reports

    def risk(self) -> Risk | None:
        """The mortality relative risk this process declares (None: none)."""
        return None


def entry_for_prevalence(p_now: np.ndarray, p_next: np.ndarray, exit_prob: float = 0.0):
    """Yearly entry probability that carries prevalence ``p_now`` at age a to ``p_next`` at a+1.

    Solves ``p_next = p_now (1 − exit) + (1 − p_now) · entry`` (mortality assumed equal in
    and out of the state), clipped to [0, 1].

    Args:
        p_now: Prevalence at age a.
        p_next: Prevalence at age a + 1.
        exit_prob: Yearly probability of leaving the state (other than death).

    Returns:
        Entry probability per year.
    """
    p_now, p_next = np.asarray(p_now, float), np.asarray(p_next, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = (p_next - p_now * (1 - exit_prob)) / (1 - p_now)
    return np.clip(np.nan_to_num(e), 0.0, 1.0)


def incidence(prevalence: np.ndarray, exit_prob: float = 0.0) -> np.ndarray:
    """Yearly entry probabilities by single year of age that keep an age prevalence curve."""
    p = np.asarray(prevalence, float)
    return entry_for_prevalence(p, np.append(p[1:], p[-1]), exit_prob)


def uniforms(rng: np.random.Generator, n: int, k: int = 1):
    """``k`` float32 uniform draws per agent, alive or dead (common random numbers).

    Counter-based (:func:`~simlib.population.streams.agent_uniforms`): ``k`` keys come from
    ``rng``, and agent ``i``'s draw of each kind depends on nothing but its key and ``i``.
    The built-in processes take the keys (:func:`~simlib.population.streams.draw_keys`) and
    let their numba kernels draw inline (:func:`~simlib.population.streams.agent_uniform`)
    only where a draw is used; the numbers are the same.

    Args:
        rng: The process's generator for the year.
        n: Number of agents.
        k: Number of draws per agent.

    Returns:
        One float32 array of ``n`` draws, or a tuple of ``k`` of them.
    """
    draws = agent_uniforms(draw_keys(rng, k), n)
    return draws[0] if k == 1 else tuple(draws)

"""The processes of the population model, in the one order the model runs them.

Each year the model calls ``step`` of every process in :data:`PROCESSES` order; in the base
year it calls ``init`` in the same order (a process may read what an earlier one drew). The
model's docstring and ``docs/architecture.md`` list this order; a test keeps them in step.
"""

from __future__ import annotations

from collections.abc import Sequence

from simlib.core.errors import ParamError
from simlib.core.people import SCHEMA, Schema, extend
from simlib.population.processes.adl import Adl
from simlib.population.processes.ageing import Ageing
from simlib.population.processes.assistance import Assistance
from simlib.population.processes.base import Context, Process
from simlib.population.processes.chronic import Chronic
from simlib.population.processes.death import Death
from simlib.population.processes.household import Household
from simlib.population.processes.institution import Institution
from simlib.population.processes.status import Status

#: The processes, in step order.
PROCESSES: tuple[type[Process], ...] = (
    Death,
    Adl,
    Chronic,
    Assistance,
    Institution,
    Household,
    Status,
    Ageing,
)

#: Columns the synthesis itself creates (not owned by any process).
SYNTHESIS_COLUMNS = ("age", "sex", "urban", "county", "weight", "alive", "death_year")


def context_for(inputs, base_year: int = 2020) -> Context:
    """The processes' context for a run's inputs (census shares and widowed counts)."""
    counties = [str(c) for c in inputs.context.counties]
    female, urban = inputs.census.shares(inputs.city)
    widowed = inputs.census.widowed(inputs.city, counties)
    return Context(inputs.health, inputs.mortality, female, urban, base_year, widowed)


def schema_of(processes: Sequence[type[Process]] = PROCESSES) -> Schema:
    """The person schema: the base attributes plus any a process adds."""
    return extend(SCHEMA, [a for p in processes for a in p.columns])


class ProcessSet:
    """The processes of one run, built from the run's parameters.

    Args:
        ctx: Shared context (health parameters, mortality, census shares).
        processes: Process classes in step order (:data:`PROCESSES` by default). A death
            process (``name == "death"``) receives every other process's relative risk.

    Raises:
        ParamError: If two processes own one column, a name repeats, or a process's
            parameters are missing or unknown.
    """

    def __init__(self, ctx: Context, processes: Sequence[type[Process]] = PROCESSES):
        names = [p.name for p in processes]
        if len(set(names)) != len(names):
            raise ParamError(f"processes: a name is used twice: {names}")
        owner: dict[str, str] = {c: "synthesis" for c in SYNTHESIS_COLUMNS if c != "alive"}
        for p in processes:
            for col in p.owns:
                if col in owner and owner[col] != "synthesis":
                    raise ParamError(
                        f"processes: column {col!r} is owned by both {owner[col]} and {p.name}"
                    )
                owner[col] = p.name
        self.owner = owner
        self.processes = [p(ctx) for p in processes]
        risks = [r for p in self.processes if (r := p.risk()) is not None]
        for p in self.processes:
            if p.name == "death":
                p.bind(risks)

    def __iter__(self):
        return iter(self.processes)

    def __getitem__(self, name: str) -> Process:
        for p in self.processes:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        """Process names in step order."""
        return [p.name for p in self.processes]


__all__ = ["PROCESSES", "Context", "Process", "ProcessSet", "context_for", "schema_of"]

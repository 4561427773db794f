"""The processes of the population model, in the one order the model runs them.

Each year the model calls ``step`` of every process in :data:`PROCESSES` order; in the base
year it calls ``init`` in the same order (a process may read what an earlier one drew). The
model's docstring and ``docs/architecture.md`` list this order; a test keeps them in step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from simlib.core.errors import ParamError, did_you_mean
from simlib.core.people import SCHEMA, Schema, extend
from simlib.core.plugins import class_ref, load_class, source_digest
from simlib.population.processes.adl import Adl
from simlib.population.processes.ageing import Ageing
from simlib.population.processes.assistance import Assistance
from simlib.population.processes.base import Context, Process
from simlib.population.processes.chronic import Chronic
from simlib.population.processes.death import Death
from simlib.population.processes.household import Household
from simlib.population.processes.institution import Institution
from simlib.population.processes.status import Status
from simlib.population.synthesis import ByContent, content_digest

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


def check_order(processes: Sequence[type[Process]]) -> dict[str, str]:
    """Check what the processes declare against their step order.

    * no name repeats, and no two processes own one column;
    * every name in ``follows`` is a process that runs earlier;
    * two processes that write one column (``owns`` or ``writes``) have a declared order:
      the later one ``follows`` the earlier (directly or through others);
    * a column in ``reads`` is written by no process that runs later (or by none);
      a column in ``reads_last_year`` is written by a process that runs later (or the
      declaration is not true); every read column exists.

    Args:
        processes: Process classes in step order.

    Returns:
        Column → owning process name (``synthesis`` for the columns the synthesis creates).

    Raises:
        ParamError: Naming the process, the column and what to declare.
    """
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
    position = {n: i for i, n in enumerate(names)}
    after: dict[str, set[str]] = {}  # name → every process it is declared to follow
    for p in processes:
        seen = set()
        for f in p.follows:
            if f not in position:
                raise ParamError(
                    f"process {p.name}: follows {f!r}{did_you_mean(f, names)}, which is not in "
                    f"the process list ({', '.join(names)})"
                )
            if position[f] > position[p.name]:
                raise ParamError(
                    f"process {p.name}: declares it follows {f}, but {f} runs after it; "
                    f"put {p.name} after {f} in the process list"
                )
            seen |= {f, *after[f]}
        after[p.name] = seen
    writers: dict[str, list[str]] = {}
    for p in processes:
        for col in dict.fromkeys((*p.owns, *p.writes)):
            writers.setdefault(col, []).append(p.name)
    for col, ws in writers.items():
        for i, early in enumerate(ws):
            for late in ws[i + 1 :]:
                if early not in after[late]:
                    raise ParamError(
                        f"processes: {early} and {late} both write column {col!r} with no "
                        f"declared order; declare follows = ({early!r},) in {late}"
                    )
    known = set(schema_of(processes)) | set(owner) | set(writers) | {"alive"}
    for p in processes:
        both = set(p.reads) & set(p.reads_last_year)
        if both:
            raise ParamError(f"process {p.name}: {sorted(both)} in both reads and reads_last_year")
        for col in (*p.reads, *p.reads_last_year):
            if col not in known:
                raise ParamError(
                    f"process {p.name}: reads unknown column {col!r}"
                    f"{did_you_mean(col, sorted(known))}"
                )
        for col in p.reads:
            later = [w for w in writers.get(col, ()) if position[w] > position[p.name]]
            if later:
                raise ParamError(
                    f"process {p.name}: reads {col!r} this year, but {later[0]} writes it later "
                    f"in the step; run {p.name} after {later[0]} (follows = ({later[0]!r},)) "
                    f"or declare {col!r} in reads_last_year"
                )
        for col in p.reads_last_year:
            later = [w for w in writers.get(col, ()) if position[w] > position[p.name]]
            if not later:
                raise ParamError(
                    f"process {p.name}: declares it reads last year's {col!r}, but no process "
                    f"writes {col!r} after it; declare {col!r} in reads"
                )
    return owner


def process_ref(process: type[Process] | str) -> str:
    """The reference of a process class that a worker can import: ``module:Class``.

    A class loaded from a file (``path/to/file.py:Class``) keeps its file reference.

    Raises:
        ParamError: If ``process`` is not a :class:`Process` subclass, or is defined where
            no other process can import it (a notebook cell, ``__main__``).
    """
    if isinstance(process, str):
        process = load_process(process)
    if not (isinstance(process, type) and issubclass(process, Process)):
        raise ParamError(f"processes: expected a Process subclass, got {process!r}")
    return class_ref(process, "process")


def load_process(ref: str) -> type[Process]:
    """The process class a reference names: ``module:Class`` or ``path/to/file.py:Class``.

    Raises:
        ParamError: If the module or file cannot be imported, the class is missing, or it is
            not a :class:`Process` subclass.
    """
    return load_class(ref, Process, "process")


def process_list(extra: Sequence[type[Process] | str] = ()) -> tuple[type[Process], ...]:
    """The model's processes with ``extra`` ones.

    Each extra process replaces the built-in process of its ``name`` in place, or is
    appended after the built-in ones (in the given order).

    Args:
        extra: Process classes or references (``module:Class``, ``file.py:Class``).

    Returns:
        Process classes in step order (:data:`PROCESSES` when ``extra`` is empty).
    """
    out = list(PROCESSES)
    for e in extra:
        cls = load_process(e) if isinstance(e, str) else e
        process_ref(cls)  # a clear error for a non-process
        names = [p.name for p in out]
        if cls.name in names:
            out[names.index(cls.name)] = cls
        else:
            out.append(cls)
    return tuple(out)


def process_digest(refs: Sequence[str]) -> str:
    """A hash of the source files of the referenced processes ("" for none).

    Part of a run's identity: editing an experimental process's file gives its runs a new id.
    """
    if not refs:
        return ""
    h = hashlib.sha256()
    for ref in refs:
        h.update(ref.encode())
        h.update(source_digest(load_process(ref)).encode())
    return h.hexdigest()


def context_for(inputs, base_year: int = 2020) -> Context:
    """The processes' context for a run's inputs (census shares and widowed counts)."""
    counties = tuple(str(c) for c in inputs.context.counties)
    female, urban, widowed = _census_context(inputs.census, inputs.city, counties)
    return Context(inputs.health, inputs.mortality, female, urban, base_year, widowed, inputs.city)


#: The census figures of :func:`_census_context` (a handful of cities).
_CENSUS_CONTEXT = ByContent()


def _census_context(census, city: str, counties: tuple[str, ...]) -> tuple:
    """A city's female and urban shares and widowed counts (read-only), once per content.

    The same in every run of the city whatever its seed, sample or health parameters; kept
    by the census's content (:func:`~simlib.population.synthesis.content_digest`), the city
    and its counties.
    """

    def make():
        female, urban = census.shares(city)
        widowed = census.widowed(city, list(counties))
        widowed.flags.writeable = False
        return female, urban, widowed

    return _CENSUS_CONTEXT.get((content_digest(census), city, counties), make)


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
        ParamError: If two processes own one column, a name repeats, the declarations
            disagree with the step order (:func:`check_order`), or a process's parameters
            are missing or unknown.
    """

    def __init__(self, ctx: Context, processes: Sequence[type[Process]] = PROCESSES):
        self.owner = check_order(processes)
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


__all__ = [
    "PROCESSES",
    "Context",
    "Process",
    "ProcessSet",
    "context_for",
    "load_process",
    "process_digest",
    "process_list",
    "process_ref",
    "schema_of",
]

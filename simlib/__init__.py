"""simlib: an agent-based model of China's basic elderly care service system (基本养老服务体系).

The common tasks are one line each::

    import simlib
    simlib.catalogue()                                  # every item of the five lists
    simlib.explain("datong", {"age": 85, "assistance": "低保"}, 2025)   # one person, why
    res = simlib.run("datong", "targets_2025", reps=10, sample=0.01, seed=1)
    res.totals("cost_yuan")                             # with interval, SE and reps
    base = simlib.run("datong", reps=10, sample=0.01, seed=1)
    res.compare(base, "cost_yuan")                      # paired differences, with intervals
    simlib.plot(res, "cost_yuan")                       # a figure with its 95 % band
    simlib.load_results("results/datong_targets_2025_seed1")

Names are imported when first used, so ``import simlib`` is fast (plotting, reporting, dask
and SALib load only when needed).
"""

from __future__ import annotations

import importlib

__version__ = "0.3.0"

#: Public name → module that defines it (imported on first use).
_EXPORTS = {
    "ElderCareModel": "simlib.model.model",
    "Inputs": "simlib.params.inputs",
    "City": "simlib.params",
    "ParamError": "simlib.core.errors",
    "Result": "simlib.experiments.result",
    "Scenario": "simlib.params.scenarios",
    "apply_services": "simlib.policy.engine",
    "catalogue": "simlib.policy.explain",
    "cities": "simlib.params",
    "evaluate_targets": "simlib.outcomes.targets",
    "explain": "simlib.policy.explain",
    "load_city": "simlib.params",
    "load_inputs": "simlib.params.inputs",
    "load_results": "simlib.experiments.store",
    "save": "simlib.experiments.store",
    "plot": "simlib.reporting.plotting",
    "read_scenario": "simlib.params.scenarios",
    "registry": "simlib.params.assumptions",
    "run": "simlib.experiments.run",
    "standards": "simlib.reporting.tables",
    "who_gains": "simlib.experiments.gains",
}
#: Public sub-modules reachable as attributes (``simlib.plotting.line_by_year``).
_MODULES = {
    "plotting": "simlib.reporting.plotting",
    "report": "simlib.reporting.report",
    "tables": "simlib.reporting.tables",
    "export": "simlib.reporting.export",
    "params": "simlib.params",
}


def __getattr__(name: str):
    if name == "CITIES":
        from simlib.params import cities

        return cities()
    if name in _EXPORTS:
        module = importlib.import_module(_EXPORTS[name])
        value = getattr(module, name)
        globals()[name] = value
        return value
    if name in _MODULES:
        module = importlib.import_module(_MODULES[name])
        globals()[name] = module
        return module
    raise AttributeError(f"module 'simlib' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_EXPORTS, *_MODULES, "CITIES"])


__all__ = sorted([*_EXPORTS, "CITIES", "__version__"])

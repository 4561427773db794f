"""simlib: an agent-based model of China's basic elderly care service system.

The common tasks are one line each::

    import simlib
    city = simlib.load_city("datong")                  # list, context and targets
    simlib.catalogue()                                 # every item of the five lists
    simlib.apply_services(city, people, year=2025)     # who gets what, person × item
    simlib.explain(city, {"age": 85, "assistance": "dibao"}, year=2025)
    simlib.ElderCareModel("datong", sample=0.01, rng=1).run()   # the population model
    simlib.run("datong", "targets_2025", reps=5).totals("cost_yuan")   # scenarios, outcomes
"""

from simlib import plotting, report
from simlib.comparison import standards
from simlib.model import ElderCareModel
from simlib.params import CITIES, City, ParamError, load_city
from simlib.runner import Result, run
from simlib.services import apply_services, catalogue, evaluate, explain

__version__ = "0.1.0"

__all__ = [
    "CITIES",
    "City",
    "ElderCareModel",
    "ParamError",
    "Result",
    "apply_services",
    "catalogue",
    "evaluate",
    "explain",
    "load_city",
    "plotting",
    "report",
    "run",
    "standards",
]

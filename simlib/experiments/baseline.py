"""Key summary numbers kept as a committed regression baseline (``tests/baseline.yaml``).

Refresh only on purpose, with ``python scripts/refresh_baseline.py``, and explain the change
in the commit; ``tests/test_baseline.py`` prints a readable diff when a number moves.
"""

from __future__ import annotations

from simlib.experiments.run import run
from simlib.params import cities

#: The run every key number comes from (small, fast, seeded).
SETTINGS = {"sample": 0.02, "seed": 1, "reps": 1, "end_year": 2030}


def key_numbers() -> dict[str, dict[str, float]]:
    """Per city: persons aged 60+, enrolment, FTE, beds and cost in 2025 and 2030."""
    import warnings

    out = {}
    for city in cities():
        res = run(city, "baseline", **SETTINGS)
        nums = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # one replication: no interval is asked for
            for year in (2025, 2030):
                for measure in ("pop60", "enrolled", "beds:institution_bed", "cost_yuan", "fte"):
                    t = res.totals(measure).set_index("year")
                    nums[f"{measure.split(':')[0]}_{year}"] = round(float(t.value[year]), 3)
        out[city] = nums
    return out

"""Key summary numbers kept as a committed regression baseline (``tests/baseline.yaml``).

Refresh only on purpose, with ``python scripts/refresh_baseline.py``, and explain the change
in the commit; ``tests/test_baseline.py`` prints a readable diff when a number moves.
"""

from __future__ import annotations

from simlib.params import CITIES
from simlib.runner import run

#: The run every key number comes from (small, fast, seeded).
SETTINGS = {"sample": 0.02, "seed": 1, "reps": 1, "years": (2020, 2030)}


def key_numbers() -> dict[str, dict[str, float]]:
    """Per city: persons alive and aged 60+, enrolment, FTE, beds and cost in 2025 and 2030."""
    out = {}
    for city in CITIES:
        res = run(city, "baseline", **SETTINGS)
        nums = {}
        for year in (2025, 2030):
            for measure in ("pop60", "enrolled", "beds:institution_bed", "cost_yuan"):
                t = res.totals(measure)
                nums[f"{measure.split(':')[0]}_{year}"] = round(
                    float(t.set_index("year").value[year]), 3
                )
            nums[f"fte_{year}"] = round(float(res.fte().set_index("year").value[year]), 3)
        out[city] = nums
    return out

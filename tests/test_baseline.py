"""Key results equal the committed baseline (refresh: python scripts/refresh_baseline.py)."""

from pathlib import Path

import pytest
import yaml

from simlib.experiments.baseline import key_numbers

BASELINE = Path(__file__).with_name("baseline.yaml")


def test_key_numbers_match_the_committed_baseline():
    want = yaml.safe_load(BASELINE.read_text())
    got = key_numbers()
    diffs = [
        f"{city:9s} {k:18s} {want[city][k]:>16,.3f} -> {got[city].get(k, float('nan')):>16,.3f}"
        for city in want
        for k in want[city]
        if got[city].get(k) != pytest.approx(want[city][k], rel=1e-9)
    ]
    assert not diffs, "results moved (refresh on purpose with scripts/refresh_baseline.py):\n" + (
        "\n".join(diffs)
    )

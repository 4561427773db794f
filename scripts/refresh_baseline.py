"""Rewrite tests/baseline.yaml from the current code and params (run on purpose only)."""

from pathlib import Path

import yaml

from simlib.experiments.baseline import SETTINGS, key_numbers

if __name__ == "__main__":
    path = Path(__file__).resolve().parent.parent / "tests" / "baseline.yaml"
    header = (
        "# Regression baseline: key numbers of simlib.experiments.baseline.key_numbers(),\n"
        f"# settings {SETTINGS}.\n# Refresh only with scripts/refresh_baseline.py, and say why.\n"
    )
    path.write_text(header + yaml.safe_dump(key_numbers(), sort_keys=True, allow_unicode=True))
    print(f"wrote {path}")

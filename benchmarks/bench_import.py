"""Benchmark: what ``import simlib`` costs, against ``import pandas``, in fresh interpreters.

Run: ``.venv/bin/python benchmarks/bench_import.py [--rounds 7]``. Each round starts one fresh
interpreter per command, in alternating order, so a slow moment of the machine hits every
command alike:

* ``python -c pass``: the interpreter alone (the floor under every other number);
* ``python -c "import pandas"``: the reference;
* ``python -c "import simlib"``: the goal is at most about 1.5 × pandas;
* ``python -m simlib --help``: the command line's start-up.

Each time is a whole process launch measured from outside (``time.perf_counter`` around
``subprocess.run``), as a user feels it. The script prints min and median per command and
the ratios to pandas, and writes ``benchmarks/import_results.json``. It also lists the
third-party packages each command imported (from ``sys.modules`` after it ran). These are
measurements, not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: name → the command's arguments after the interpreter.
COMMANDS = {
    "python": ["-c", "pass"],
    "import pandas": ["-c", "import pandas"],
    "import simlib": ["-c", "import simlib"],
    "simlib --help": ["-m", "simlib", "--help"],
}

#: Prints the top-level third-party packages loaded (run after the command's own work).
_MODULES = r"""
import json, sys
std = set(sys.stdlib_module_names) | set(sys.builtin_module_names) | {"simlib", "__main__"}
top = {m.split(".")[0] for m in sys.modules}
print(json.dumps(sorted(m for m in top - std if not m.startswith("_"))))
"""
_PROBES = {
    "python": "pass",
    "import pandas": "import pandas",
    "import simlib": "import simlib",
    "simlib --help": (
        "import runpy, sys\nsys.argv = ['simlib', '--help']\n"
        "try:\n    runpy.run_module('simlib', run_name='__main__')\nexcept SystemExit:\n    pass\n"
    ),
}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env


def _time(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=_env(), check=True, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - t0


def _modules(name: str) -> list[str]:
    code = _PROBES[name] + "\n" + _MODULES
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_env(),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7, help="launches of each command (7)")
    ap.add_argument("--out", type=Path, default=HERE / "import_results.json")
    args = ap.parse_args(argv)

    for a in COMMANDS.values():  # warm the file cache and .pyc files; not counted
        _time(a)
    times: dict[str, list[float]] = {k: [] for k in COMMANDS}
    names = list(COMMANDS)
    for r in range(args.rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            times[name].append(_time(COMMANDS[name]))

    ref = statistics.median(times["import pandas"])
    ref_min = min(times["import pandas"])
    rows = {}
    print(f"{'command':<16} {'min ms':>8} {'median ms':>10} {'× pandas (median)':>18} {'× min':>7}")
    for name, ts in times.items():
        med, lo = statistics.median(ts), min(ts)
        rows[name] = {
            "min_s": lo,
            "median_s": med,
            "ratio_to_pandas_median": med / ref,
            "ratio_to_pandas_min": lo / ref_min,
            "times_s": ts,
            "third_party_imported": _modules(name),
        }
        print(f"{name:<16} {lo * 1e3:8.1f} {med * 1e3:10.1f} {med / ref:18.2f} {lo / ref_min:7.2f}")
    print()
    for name, row in rows.items():
        print(f"{name}: imports {', '.join(row['third_party_imported']) or '(nothing)'}")

    result = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "rounds": args.rounds,
        "commands": {k: " ".join(["python", *v]) for k, v in COMMANDS.items()},
        "results": rows,
    }
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten: {args.out}")
    return result


if __name__ == "__main__":
    main()

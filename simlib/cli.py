"""The ``python -m simlib`` command line.

Sub-commands:
    check [CITY ...]   validate the params of the given cities (all by default)
    list               show cities, scenarios and items
    run                run a city under a scenario; write Parquet, CSV and a manifest
    sweep              a grid of cities × scenarios × replications on a backend (resumable)
    report --out DIR   the main job: run every notebook into a report folder
"""

from __future__ import annotations

import argparse
import sys

from simlib.params import CITIES, ParamError, load_city


def _check(args: argparse.Namespace) -> int:
    status = 0
    for key in args.cities or CITIES:
        try:
            city = load_city(key)
        except ParamError as err:
            print(f"FAIL {key}: {err}", file=sys.stderr)
            status = 1
            continue
        print(f"ok   {city!r}")
    return status


def _list(args: argparse.Namespace) -> int:
    from simlib.scenarios import list_scenarios, load_scenario

    print("cities:")
    for key in CITIES:
        city = load_city(key)
        print(
            f"  {key:10s} {city.context.name_zh}  {len(city.items):3d} items  "
            f"{len(city.targets):3d} targets  {len(city.context.counties):3d} counties"
        )
    print("scenarios:")
    for name in list_scenarios():
        print(f"  {name:16s} {load_scenario(name).description}")
    if args.items:
        from simlib.services import catalogue

        cat = catalogue(list(CITIES) if args.items == "all" else [args.items])
        for _, r in cat.iterrows():
            print(f"  {r.item_id:12s} {r.name_zh}  {r.name_en}  [{r.benefit}]")
    return 0


def _run(args: argparse.Namespace) -> int:
    from simlib.output import write_run
    from simlib.runner import run

    # run() validates every input before anything is written.
    result = run(
        args.city,
        args.scenario,
        years=(2020, args.end_year),
        reps=args.reps,
        sample=args.sample,
        seed=args.seed,
        list_city=args.list_city,
        progress=True,
    )
    print(f"wrote {write_run(result, args.out)}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from simlib.scenarios import load_scenario
    from simlib.sweep import failures, grid, sweep

    for name in args.scenarios:
        load_scenario(name)  # validate before anything is written
    if not 0 < args.sample <= 1 or args.reps < 1:
        raise ParamError("sample must lie in (0, 1] and reps be positive")
    specs = grid(
        args.cities,
        args.scenarios,
        reps=args.reps,
        seed=args.seed,
        sample=args.sample,
        end_year=args.end_year,
    )
    rows = sweep(
        specs,
        args.out,
        backend=args.backend,
        workers=args.workers,
        client=args.scheduler,
        progress=True,
    )
    failed = failures(args.out)
    print(
        f"{rows['run_id'].nunique() if len(rows) else 0} of {len(specs)} runs in {args.out}; "
        f"{len(failed)} failed (see failures.jsonl)"
    )
    return 1 if failed else 0


def _report(args: argparse.Namespace) -> int:
    from simlib.report import build_report

    build_report(args.out)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: Arguments (``sys.argv[1:]`` by default).

    Returns:
        Process exit status.
    """
    parser = argparse.ArgumentParser(prog="python -m simlib", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check", help="validate params files")
    p.add_argument("cities", nargs="*", metavar="CITY", help=f"any of {', '.join(CITIES)}")
    p.set_defaults(func=_check)
    p = sub.add_parser("list", help="cities, scenarios (and items)")
    p.add_argument("--items", metavar="CITY", help="also list the items of CITY (or 'all')")
    p.set_defaults(func=_list)
    p = sub.add_parser("run", help="run a city under a scenario")
    p.add_argument("--city", required=True, choices=CITIES)
    p.add_argument("--scenario", default="baseline")
    p.add_argument("--reps", type=int, default=1)
    p.add_argument("--sample", type=float, default=0.01, help="fraction of persons (0, 1]")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--end-year", type=int, default=2035)
    p.add_argument("--list-city", choices=CITIES, help="apply this city's list instead")
    p.add_argument("--out", default="results", help="output folder (default: results)")
    p.set_defaults(func=_run)
    p = sub.add_parser("sweep", help="cities × scenarios × replications, resumable")
    p.add_argument("--cities", nargs="+", choices=CITIES, required=True)
    p.add_argument("--scenarios", nargs="+", default=["baseline"])
    p.add_argument("--reps", type=int, default=1)
    p.add_argument("--sample", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--end-year", type=int, default=2035)
    p.add_argument("--backend", choices=["serial", "processes", "dask"], default="processes")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--scheduler", help="dask scheduler address (default: a LocalCluster)")
    p.add_argument("--out", default="sweep")
    p.set_defaults(func=_sweep)
    p = sub.add_parser("report", help="execute every notebook into a report folder")
    p.add_argument("--out", default="report", help="report folder (default: report)")
    p.set_defaults(func=_report)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ParamError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

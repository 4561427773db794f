"""The ``python -m simlib`` command line.

Sub-commands:
    check [CITY ...]   validate the params of the given cities (all by default)
    list               show cities and the size of their lists
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
    for key in CITIES:
        city = load_city(key)
        print(
            f"{key:10s} {city.context.name_zh}  {len(city.items):3d} items  "
            f"{len(city.targets):3d} targets  {len(city.context.counties):3d} counties"
        )
    return 0


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
    p = sub.add_parser("list", help="cities and their lists")
    p.set_defaults(func=_list)
    p = sub.add_parser("report", help="execute every notebook into a report folder")
    p.add_argument("--out", default="report", help="report folder (default: report)")
    p.set_defaults(func=_report)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ParamError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

"""The ``python -m simlib`` command line (also installed as ``simlib``).

Sub-commands:
    check [CITY ...]   validate every params file and scenario, exactly as a run would
    list               show cities and scenarios (--items CITY: the items of a list)
    run                run a city under a scenario; write Parquet, CSV and a manifest
    gains              who gains from a reform: gainers, losers, average gain by group
    sweep              cities × scenarios × replications on a backend (resumable)
    report             the main job: every notebook executed into a report folder
    new-city NAME      a new city's files from the 2020 census (city, empty list, targets)

Every argument is checked before any work starts; a bad one prints one line and exits 2.
"""

from __future__ import annotations

import argparse
import sys

#: Exit status for bad input (a params file, a scenario, an argument).
BAD_INPUT = 2


def _bounded(convert, what: str, ok, allowed: str):
    """An argparse type: ``convert`` the text (else "expected <what>"), then check ``ok``.

    The bounds are those of the library's checks (``simlib.model.model.check_sample``,
    ``check_end_year``, ``simlib.experiments.run.check_reps``, ``check_seed``), stated here so
    that parsing the command line imports nothing heavy.
    """

    def parse(text: str):
        try:
            v = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not ok(v):  # NaN and inf fail every bound
            raise argparse.ArgumentTypeError(f"must {allowed}, got {v}")
        return v

    return parse


_fraction = _bounded(float, "a number in (0, 1]", lambda v: 0 < v <= 1, "lie in (0, 1]")
_percent = _bounded(float, "a percentage", lambda v: 0 < v < 100, "lie in (0, 100)")
_positive = _bounded(int, "a whole number", lambda v: v >= 1, "be ≥ 1")
_seed = _bounded(int, "a whole number", lambda v: v >= 0, "be ≥ 0")
_year = _bounded(int, "a year", lambda v: 2021 <= v <= 2050, "lie in 2021..2050")


def _check(args: argparse.Namespace) -> int:
    from simlib.experiments.check import check_all

    problems = check_all(args.cities or None, args.params_dir)
    for line in problems:
        print(f"FAIL {line}", file=sys.stderr)
    if not problems:
        print("ok: every params file, city and scenario validates as a run would")
    return BAD_INPUT if problems else 0


def _list(args: argparse.Namespace) -> int:
    from simlib.params import cities, load_city, read_tree
    from simlib.params.scenarios import list_scenarios, read_scenario

    tree = read_tree(args.params_dir)
    print("cities:")
    for key in cities(args.params_dir):
        city = load_city(key, args.params_dir)
        print(
            f"  {key:10s} {city.context.name_zh}  {len(city.items):3d} items  "
            f"{len(city.targets):3d} targets  {len(city.context.counties):3d} counties"
        )
    print("scenarios:")
    for name in list_scenarios(tree):
        print(f"  {name:16s} {read_scenario(name, tree).description}")
    if args.items:
        from simlib.policy.explain import catalogue

        cat = catalogue(None if args.items == "all" else args.items)
        for _, r in cat.iterrows():
            print(f"  {r.item_id:12s} {r.name_zh}  {r.name_en}  [{r.benefit}]")
    return 0


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from simlib.experiments.run import as_scenario, prepared, run
    from simlib.experiments.store import run_name, write_run
    from simlib.experiments.sweep import check_free, check_out_dir

    # every argument, the scenario and its targets (take-up paths derived) checked first
    scenario = args.scenario[0] if len(args.scenario) == 1 else as_scenario(args.scenario)
    prep = prepared(
        args.city,
        scenario,
        sample=args.sample,
        seed=args.seed,
        end_year=args.end_year,
        list_city=args.list_city,
        params_dir=args.params_dir,
        processes=args.process,
        groups=args.groups,
    )
    spec, inputs = prep.spec, prep.inputs
    out = check_out_dir(args.out, create=False)
    check_free(out)
    target = out / run_name({**spec.fields(), "city": inputs.city})
    if target.exists() and not args.overwrite:
        from simlib.core.errors import ParamError

        raise ParamError(f"{target} exists; use another --out, or --overwrite to replace it")
    if target.exists():
        from simlib.experiments.store import RUN_FILES, check_own

        check_own(target, RUN_FILES, "a run folder")
    result = run(
        args.city,
        scenario,
        reps=args.reps,
        progress=True,
        params_dir=args.params_dir,
        prepared=prep,  # prepared once, above: its notes were said there
    )
    print(f"wrote {Path(write_run(result, out, overwrite=args.overwrite))}")
    return 0


def _gains(args: argparse.Namespace) -> int:
    import pandas as pd

    from simlib.experiments.gains import who_gains
    from simlib.reporting.distribution import gains_table

    def one(names):
        return names[0] if len(names) == 1 else names

    g = who_gains(
        args.city,
        one(args.reform),
        one(args.baseline),
        by=args.by,
        reps=args.reps,
        sample=args.sample,
        seed=args.seed,
        end_year=args.end_year,
        list_city=args.list_city,
        params_dir=args.params_dir,
        progress=True,
    )
    year = args.year or int(g.reps["year"].max())
    print(f"who gains in {year} · {g.label}")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        for by in g.groups:
            print(gains_table(g, year, by).to_string(index=False))
    if args.out:
        from pathlib import Path

        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        g.summary().to_csv(out, index=False)
        print(f"wrote {out} (every year and group, with intervals)")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from simlib.experiments.run import process_refs
    from simlib.experiments.sweep import (
        check_free,
        check_out_dir,
        failures,
        grid,
        identities,
        sweep,
    )

    specs = grid(
        args.cities,
        args.scenarios,
        reps=args.reps,
        seed=args.seed,
        sample=args.sample,
        end_year=args.end_year,
        params_dir=args.params_dir,
        processes=process_refs(args.process),
    )
    identities(specs)  # every city, scenario and target checked before anything is written
    check_out_dir(args.out, create=False)
    check_free(args.out)
    rows = sweep(
        specs,
        args.out,
        backend=args.backend,
        workers=args.workers,
        client=args.scheduler,
        progress=True,
        overwrite=args.overwrite,
    )
    failed = failures(args.out)
    n = rows["run_id"].nunique() if len(rows) else 0
    print(
        f"{n} of {len(specs)} runs in {args.out}; {len(failed)} failed"
        + (" (see _failures.jsonl)" if failed else "")
    )
    return 1 if failed else 0


def _report(args: argparse.Namespace) -> int:
    from simlib.reporting.report import build_report, check_report_out

    check_report_out(args.out)  # a file, a read-only folder, a full disk, others' files
    build_report(
        args.out,
        sample=args.sample,
        reps=args.reps,
        seed=args.seed,
        target_rse="auto" if args.target_rse is None else args.target_rse / 100,
        no_input=args.no_input,
    )
    return 0


def _new_city(args: argparse.Namespace) -> int:
    from simlib.params.skeleton import new_city

    written = new_city(args.name, key=args.key, name_en=args.name_en, params_dir=args.params_dir)
    for path in written:
        print(f"wrote {path}")
    key = written[-1].stem
    print(
        f"next: the document under sources/documents/, the list's items in "
        f"services/{key}.yaml, then `python -m simlib --params-dir {written[-1].parents[1]} "
        f"check {key}`"
    )
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser (cities are checked when used, so ``--help`` reads no files)."""
    p = argparse.ArgumentParser(prog="python -m simlib", description=__doc__.split("\n")[0])
    p.add_argument("--params-dir", help="a params directory (default: the bundled one)")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("check", help="validate params files and scenarios")
    s.add_argument("cities", nargs="*", metavar="CITY", help="cities to check (default: all)")
    s.set_defaults(func=_check)
    s = sub.add_parser("list", help="cities and scenarios (and items)")
    s.add_argument("--items", metavar="CITY", help="also list the items of CITY (or 'all')")
    s.set_defaults(func=_list)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--reps", type=_positive, default=1, help="replications (default 1)")
    common.add_argument(
        "--sample",
        type=_fraction,
        default=0.01,
        help="fraction of persons simulated, (0, 1] (default 0.01)",
    )
    common.add_argument("--seed", type=_seed, default=1)
    common.add_argument("--end-year", type=_year, default=2035)
    common.add_argument(
        "--process",
        action="append",
        default=[],
        metavar="MODULE:CLASS",
        help="an experimental process (module:Class or path/to/file.py:Class), replacing the "
        "built-in process of its name or run after them; repeatable. Its runs are kept apart "
        "from the default model's",
    )
    common.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing run (or the runs of other params in a sweep folder); "
        "only files simlib wrote are ever removed",
    )
    s = sub.add_parser("run", help="run a city under a scenario", parents=[common])
    s.add_argument("--city", required=True, help="city key or name (datong, 大同)")
    s.add_argument(
        "--scenario",
        nargs="+",
        default=["baseline"],
        help="a scenario name of params/scenarios/ or a path to a .yaml file; several are "
        "applied in order (a stack: --scenario targets_2025 my_reform.yaml)",
    )
    s.add_argument(
        "--groups",
        nargs="+",
        default=[],
        help="also aggregate by groupings of persons: age5 sex urban assistance care_level "
        "living household",
    )
    s.add_argument("--list-city", help="apply this city's list instead (policy transfer)")
    s.add_argument("--out", default="results", help="output folder (default: results)")
    s.set_defaults(func=_run)
    s = sub.add_parser(
        "gains", help="who gains from a reform, by group of persons", parents=[common]
    )
    s.add_argument("--city", required=True, help="city key or name (datong, 大同)")
    s.add_argument(
        "--reform",
        nargs="+",
        required=True,
        help="scenario names or .yaml files; several are applied in order (a stack)",
    )
    s.add_argument(
        "--baseline",
        nargs="+",
        default=["baseline"],
        help="what the reform is compared with (default: baseline; e.g. targets_2025)",
    )
    s.add_argument(
        "--by",
        nargs="+",
        default=["age5"],
        help="groupings: age5 sex urban assistance care_level living household (default age5)",
    )
    s.add_argument("--year", type=_year, help="the year shown (default: the last)")
    s.add_argument("--list-city", help="apply this city's list instead (policy transfer)")
    s.add_argument("--out", help="also write every year and group, with intervals, to this CSV")
    s.set_defaults(func=_gains)
    s = sub.add_parser(
        "sweep", help="cities × scenarios × replications, resumable", parents=[common]
    )
    s.add_argument("--cities", nargs="+", required=True)
    s.add_argument("--scenarios", nargs="+", default=["baseline"])
    s.add_argument("--backend", choices=["serial", "processes", "dask"], default="processes")
    s.add_argument("--workers", type=_positive, default=2)
    s.add_argument("--scheduler", help="dask scheduler address (default: a LocalCluster)")
    s.add_argument("--out", default="sweep")
    s.set_defaults(func=_sweep)
    s = sub.add_parser("report", help="execute every notebook into a report folder")
    s.add_argument("--out", default="report", help="report folder (default: report)")
    s.add_argument(
        "--sample",
        type=_fraction,
        default=None,
        help="sample of the headline runs (default: the report's full-scale setting)",
    )
    s.add_argument("--reps", type=_positive, default=None, help="replications of headline runs")
    s.add_argument("--seed", type=_seed, default=None)
    s.add_argument(
        "--target-rse",
        type=_percent,
        default=None,
        metavar="PERCENT",
        help="add replications until every headline total's relative standard error is at "
        "most PERCENT (default: 1 at full scale, none when --sample or --reps is given)",
    )
    s.add_argument(
        "--no-input",
        action="store_true",
        help="a reader's version: pages without their code cells (the notebooks keep them)",
    )
    s.set_defaults(func=_report)
    s = sub.add_parser(
        "new-city",
        help="write a new city's files from the 2020 census (e.g. new-city 太原市)",
        description="Write cities/, services/ and targets/<key>.yaml for a prefecture (or "
        "county-level city) of the 2020 census: its counties and codes, an empty list and "
        "targets. A directory that is not a params tree becomes an overlay of the bundled "
        "params. Existing files are never overwritten.",
    )
    s.add_argument(
        "name", help="the prefecture's Chinese name (太原市, 太原) or a county-level city's"
    )
    s.add_argument("--key", help="city key, lower-case ASCII (default: city<区划代码>)")
    s.add_argument("--name-en", help="English name (default: a placeholder)")
    s.add_argument(
        "--params-dir",
        default=argparse.SUPPRESS,
        help="where to write (default: the repository's params/)",
    )
    s.set_defaults(func=_new_city)
    s = sub.add_parser("warmup", help="compile every kernel into numba's cache (done at install)")
    s.set_defaults(func=_warmup)
    return p


def _warmup(args) -> int:
    from simlib.experiments.warmup import warmup

    print(f"kernels compiled or loaded in {warmup():.1f} s of CPU")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: Arguments (``sys.argv[1:]`` by default).

    Returns:
        Process exit status: 0 success, 1 some runs failed, 2 bad input.
    """
    try:
        args = parser().parse_args(argv)
    except SystemExit as exit_:  # argparse: --help (0) or a bad argument (2), already printed
        return int(exit_.code or 0)
    import warnings

    from simlib.core.errors import ParamError

    # a warning is one readable line on the console, not a source line under a path
    plain = warnings.formatwarning
    warnings.formatwarning = lambda message, category, *_, **__: (
        f"warning: {message}\n" if issubclass(category, UserWarning) else f"{message}\n"
    )
    try:
        return args.func(args)
    except ParamError as err:
        print(f"error: {err}", file=sys.stderr)
        return BAD_INPUT
    except OSError as err:  # a disk or file error no check foresaw: one line, not a traceback
        where = f"{err.filename}: " if err.filename else ""
        print(f"error: {where}{err.strerror or err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        warnings.formatwarning = plain

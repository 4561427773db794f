"""Fault injection (issue #11): no bad parameter, scenario or command line gives a result.

Each class of fault the issue lists is applied to a copy of ``params/`` (or written into a
scenario file, or given on the command line) and must be refused the same way everywhere:

* :func:`simlib.params.load_inputs` (and building the processes, as ``simlib check`` does)
  raises a :class:`~simlib.core.errors.ParamError` naming the file and the key (or the CSV
  line and column);
* the command line (``check``, ``run``) exits 2 with the message on stderr, before any
  computation;
* nothing is written: the params copy is byte for byte unchanged and no output folder exists.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

import simlib.experiments.run
import simlib.experiments.store  # noqa: F401 - imported now: timings measure work, not imports
import simlib.experiments.sweep
from simlib.cli import main
from simlib.core.errors import ParamError
from simlib.core.reader import read_yaml
from simlib.params import load_inputs
from simlib.params.tree import NOT_PARAMS, default_params_dir
from simlib.population.processes import Context, ProcessSet

CITY = "xiaoyi"
#: A refusal must come before any computation: well under this many seconds.
FAST = 2.0
RUN = ["--sample", "0.01", "--end-year", "2021"]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def pristine(tmp_path_factory) -> Path:
    """One copy of the bundled params (without sources/), taken once: never modified."""
    dst = tmp_path_factory.mktemp("pristine") / "params"
    shutil.copytree(default_params_dir(), dst, ignore=shutil.ignore_patterns(*NOT_PARAMS))
    return dst


@pytest.fixture(scope="session")
def _scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("scratch") / "params"


@pytest.fixture
def params(pristine, _scratch) -> Path:
    """A fresh writable copy of the params tree, for one fault.

    Always at the same path, so the files a fault leaves alone are parsed once per session
    (the reader caches by path and content hash) and the suite stays fast.
    """
    if _scratch.exists():
        shutil.rmtree(_scratch)
    shutil.copytree(pristine, _scratch)
    return _scratch


@pytest.fixture
def no_compute(monkeypatch, tmp_path):
    """Fail the test if a run or sweep starts computing; work inside ``tmp_path``."""

    def refuse(*args, **kwargs):
        raise AssertionError("bad input reached the computation")

    monkeypatch.setattr(simlib.experiments.run, "run", refuse)
    monkeypatch.setattr(simlib.experiments.sweep, "sweep", refuse)
    monkeypatch.chdir(tmp_path)


def snapshot(root: Path) -> dict[str, object]:
    """Every entry under ``root``: file bytes, symlink targets, folders (symlinks not followed)."""
    out: dict[str, object] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            rel = p.relative_to(root).as_posix()
            mode = p.lstat().st_mode
            if stat.S_ISLNK(mode):
                out[rel] = ("link", os.readlink(p))
            elif stat.S_ISDIR(mode):
                out[rel] = ("dir", stat.S_IMODE(mode))
            elif stat.S_ISREG(mode):
                out[rel] = p.read_bytes()
            else:  # a FIFO: reading it would block
                out[rel] = ("special", stat.S_IFMT(mode))
    return out


def cli(capsys, *argv: str) -> tuple[int, str, str, float]:
    """Run the command line; return ``(status, stdout, stderr, seconds)``."""
    capsys.readouterr()
    t0 = time.perf_counter()
    status = main(list(argv))
    seconds = time.perf_counter() - t0
    out, err = capsys.readouterr()
    return status, out, err, seconds


def assert_words(message: str, words: list[str]) -> None:
    for w in words:
        assert w in message, f"error {message!r} should mention {w!r}"


def assert_one_error_line(err: str, words: list[str]) -> None:
    lines = err.strip("\n").splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {lines}"
    assert lines[0].startswith("error: "), lines[0]
    assert_words(lines[0], words)


# --------------------------------------------------------------------------- editing a copy

SENTINEL = "FAULT_SENTINEL_7F3A"


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):  # never write anchors: the reader refuses them
        return True


def _walk(doc, path: tuple):
    """The container holding ``path[-1]`` (a str step on a list finds the item with that id).

    The last step may name a new key of a mapping (a key added by the fault).
    """
    node = doc
    for step in path[:-1]:
        node = node[_index(node, step)]
    last = path[-1]
    return node, (last if isinstance(node, dict) else _index(node, last))


def _index(node, step):
    if isinstance(node, list) and isinstance(step, str):
        ids = [i for i, x in enumerate(node) if isinstance(x, dict) and x.get("id") == step]
        assert ids, f"fixture: no item {step!r}"
        return ids[0]
    if isinstance(node, dict) and step not in node:
        raise AssertionError(f"fixture: no key {step!r} (keys: {list(node)})")
    return step


Edit = Callable[[Path], list[str]]


def put(rel: str, path: tuple, literal: str, at: bool = False) -> Edit:
    """Set the value at ``path`` of a YAML file to the YAML text ``literal``.

    With ``at``, the error must also name the line and key: ``line <n>: <key>: ``.
    """

    def edit(root: Path) -> list[str]:
        doc = read_yaml(root / rel)
        node, key = _walk(doc, path)
        node[key] = SENTINEL
        text = yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10**6)
        assert text.count(SENTINEL) == 1
        (root / rel).write_text(text.replace(SENTINEL, literal), encoding="utf-8")
        line = text.split(SENTINEL)[0].count("\n") + 1
        return [f"line {line}: {key}: "] if at else []

    return edit


def drop(rel: str, path: tuple) -> Edit:
    """Delete the entry at ``path`` of a YAML file."""

    def edit(root: Path) -> list[str]:
        doc = read_yaml(root / rel)
        node, key = _walk(doc, path)
        gone = node.pop(key)
        text = yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10**6)
        (root / rel).write_text(text, encoding="utf-8")
        return [str(gone["code"])] if isinstance(gone, dict) and "code" in gone else []

    return edit


def raw(rel: str, change: Callable[[bytes], bytes]) -> Edit:
    """Replace a file's bytes."""

    def edit(root: Path) -> list[str]:
        p = root / rel
        p.write_bytes(change(p.read_bytes()))
        return []

    return edit


def cell(rel: str, match: dict[str, str], column: str, value: str, line: bool = True) -> Edit:
    """Set one CSV cell (first row matching ``match``); the error must name its line."""

    def edit(root: Path) -> list[str]:
        p = root / rel
        rows = list(csv.reader(io.StringIO(p.read_text(encoding="utf-8"))))
        head = rows[0]
        i = next(
            i
            for i, r in enumerate(rows[1:], start=1)
            if all(r[head.index(k)] == v for k, v in match.items())
        )
        rows[i][head.index(column)] = value
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        p.write_text(buf.getvalue(), encoding="utf-8")
        return [f"line {i + 1}"] if line else []

    return edit


def add_row(rel: str, match: dict[str, str], column: str, value: str) -> Edit:
    """Append a copy of the first row matching ``match`` with one cell changed."""

    def edit(root: Path) -> list[str]:
        p = root / rel
        rows = list(csv.reader(io.StringIO(p.read_text(encoding="utf-8"))))
        head = rows[0]
        row = next(r for r in rows[1:] if all(r[head.index(k)] == v for k, v in match.items()))
        row = list(row)
        row[head.index(column)] = value
        with p.open("a", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerow(row)
        return []

    return edit


def header(rel: str, old: str, new: str) -> Edit:
    """Rename a CSV column."""

    def edit(root: Path) -> list[str]:
        p = root / rel
        first, rest = p.read_text(encoding="utf-8").split("\n", 1)
        cols = first.split(",")
        assert old in cols
        p.write_text(",".join(new if c == old else c for c in cols) + "\n" + rest, "utf-8")
        return []

    return edit


def replace_path(rel: str, how: str) -> Edit:
    """Put a directory, a symlink loop or a FIFO where a file should be."""

    def edit(root: Path) -> list[str]:
        p = root / rel
        p.unlink()
        if how == "dir":
            p.mkdir()
            (p / "x.yaml").write_text("a: 1\n", encoding="utf-8")
        elif how == "fifo":
            os.mkfifo(p)  # opening it to read would wait for a writer forever
        else:
            os.symlink(p.name, p)  # points at itself
        return []

    return edit


def prepend(rel: str, text: str) -> Edit:
    """Put YAML text at the top of a file."""
    return raw(rel, lambda b: text.encode("utf-8") + b)


# --------------------------------------------------------------------------- file faults


@dataclass(frozen=True)
class Fault:
    """A fault in one params file, the words its error must hold, the city that reads it."""

    id: str
    edit: Edit
    words: list[str]
    city: str = CITY
    processes: bool = False  # build the processes too (health.yaml entries)
    reason: str | None = None  # xfail: what the code still needs
    run_reason: str | None = None  # xfail of the run stage only


SVC = "services/xiaoyi.yaml"
CTY = "cities/xiaoyi.yaml"
OUT = "outcomes.yaml"
HEALTH = "population/health.yaml"
AGE_SEX = "population/census2020_age_sex.csv"
COUNTIES = "population/census2020_counties.csv"
WPP = "population/wpp2024_mx.csv"
TGT = "targets/xiaoyi.yaml"
P = "params/"

#: The processes check their health.yaml entries when built, which ``run`` does only after
#: creating --out and starting the replications.
ENTRIES_AFTER_OUT = (
    "needs simlib/cli.py (_run) or simlib/experiments/run.py (specs): build the "
    "ProcessSet from the loaded inputs, as simlib check does, before check_out_dir creates "
    "--out and before run() starts (today the run starts and leaves an empty --out)"
)
CASH = ("items", "xiaoyi.9", "benefit", "cash", 0, "yuan")
IN_KIND = ("items", "xiaoyi.6", "benefit", "in_kind", 0, "n")
DIBAO = ("standards", "dibao", "value", "urban")
TAKE_UP = ("take_up", "by_family", "care_subsidy", "value")
MINUTES = ("minutes_per_unit", "values", "visit", "value")
XIAOYI_ROW = {"city": "xiaoyi"}

FAULTS = [
    # ---- numbers that are not finite, or outside their physical domain
    Fault("cash_nan", put(SVC, CASH, ".nan", at=True), [P + SVC, "yuan", "finite"]),
    Fault("cash_inf", put(SVC, CASH, ".inf", at=True), [P + SVC, "yuan", "finite"]),
    Fault("cash_1e400_float", put(SVC, CASH, "1.0e+400", at=True), [P + SVC, "yuan", "finite"]),
    Fault("cash_1e400_text", put(SVC, CASH, "1e400"), [P + SVC, "xiaoyi.9", "yuan", "1e400"]),
    Fault("cash_1e300_yuan", put(SVC, CASH, "1.0e+300"), [P + SVC, "xiaoyi.9", "yuan", "outside"]),
    Fault("cash_negative", put(SVC, CASH, "-70"), [P + SVC, "xiaoyi.9", "yuan", "outside"]),
    Fault("in_kind_inf", put(SVC, IN_KIND, ".inf", at=True), [P + SVC, "n", "finite"]),
    Fault("in_kind_nan", put(SVC, IN_KIND, ".nan", at=True), [P + SVC, "n", "finite"]),
    Fault("in_kind_negative", put(SVC, IN_KIND, "-1"), [P + SVC, "xiaoyi.6", "outside"]),
    Fault("dibao_1e400", put(CTY, DIBAO, "1.0e+400", at=True), [P + CTY, "urban", "finite"]),
    Fault("dibao_nan", put(CTY, DIBAO, ".nan", at=True), [P + CTY, "urban", "finite"]),
    Fault("dibao_1e300", put(CTY, DIBAO, "1.0e+300"), [P + CTY, "dibao", "urban", "outside"]),
    Fault("take_up_nan", put(OUT, TAKE_UP, ".nan", at=True), [P + OUT, "value", "finite"]),
    Fault("take_up_above_one", put(OUT, TAKE_UP, "1.5"), [P + OUT, "care_subsidy", "outside"]),
    Fault("minutes_inf", put(OUT, MINUTES, ".inf", at=True), [P + OUT, "value", "finite"]),
    Fault("minutes_negative", put(OUT, MINUTES, "-30"), [P + OUT, "visit", "outside"]),
    Fault(
        "ramp_start_year_nan",
        put(OUT, ("ramp_start_year", "value"), ".nan", at=True),
        [P + OUT, "value", "finite"],
    ),
    Fault(
        "fte_hours_zero",
        put(OUT, ("fte_hours_per_year", "value"), "0"),
        [P + OUT, "fte_hours_per_year", "outside"],
    ),
    Fault(
        "health_prevalence_nan",
        put(HEALTH, ("chronic", "severe_mental_prevalence", "value"), ".nan", at=True),
        [P + HEALTH, "value", "finite"],
        processes=True,
    ),
    Fault(
        "health_curve_point_inf",
        put(HEALTH, ("adl", "adl_prevalence", "points", 1, "value"), ".inf", at=True),
        [P + HEALTH, "value", "finite"],
        processes=True,
    ),
    Fault(
        "health_prevalence_above_one",
        put(HEALTH, ("assistance", "dibao_prevalence_60plus", "value"), "5.61"),
        [P + HEALTH, "dibao_prevalence_60plus", "outside"],
        processes=True,
    ),
    Fault(
        "adl_mortality_ratio_negative",
        put(HEALTH, ("adl", "adl_mortality_rr", "values", "mild"), "-1.5"),
        [P + HEALTH, "adl_mortality_rr", "mild", "outside"],
        processes=True,
    ),
    Fault(
        "health_share_text",
        put(HEALTH, ("adl", "adl_grade_shares", "values", "mild"), "a lot"),
        [P + HEALTH, "adl_grade_shares", "mild", "'a lot'"],
        processes=True,
    ),
    Fault(
        "health_unknown_entry",
        put(HEALTH, ("adl", "adl_onset_multiplierr"), "{value: 1.0, unit: ratio, source: x}"),
        [P + HEALTH, "adl", "adl_onset_multiplierr", "did you mean"],
        processes=True,
    ),
    Fault(
        "health_missing_entry",
        drop(HEALTH, ("adl", "adl_onset_multiplier")),
        [P + HEALTH, "adl", "missing", "adl_onset_multiplier"],
        processes=True,
    ),
    # ---- cross-checks: overlapping age bands, counties, labels, measures
    Fault(
        "cash_age_bands_overlap",
        put(
            "services/datong.yaml", ("items", "datong.8", "benefit", "cash", 0, "when", "max"), "95"
        ),
        [P + "services/datong.yaml", "datong.8", "80-95", "90-99", "overlap"],
        city="datong",
    ),
    Fault(
        "cash_age_bands_overlap_nested",
        put(SVC, ("items", "xiaoyi.8", "benefit", "cash", 1, "when", "min"), "90"),
        [P + SVC, "xiaoyi.8", "overlap"],
    ),
    Fault(
        "cash_age_bands_overlap_two_items",
        put("services/datong.yaml", ("items", "datong.9", "eligibility", "min"), "95"),
        [P + "services/datong.yaml", "datong.9", "overlap"],
        city="datong",
    ),
    Fault(
        "county_removed",
        drop("cities/datong.yaml", ("counties", 0)),
        [P + "cities/datong.yaml", "counties", "missing"],
        city="datong",
    ),
    Fault("census_unknown_sex", cell(AGE_SEX, XIAOYI_ROW, "sex", "M"), [P + AGE_SEX, "sex", "'M'"]),
    Fault(
        "target_unknown_measure",
        put(TGT, ("targets", 0, "measure"), "visit_ratee"),
        [P + TGT, "xiaoyi.lottery_fund_share", "measure", "visit_ratee"],
    ),
    Fault("target_id_int", put(TGT, ("targets", 0, "id"), "42"), [P + TGT, "id", "42"]),
    Fault(
        "ref_to_list",
        put(SVC, ("items", "xiaoyi.9", "eligibility"), "{ref: [economic_hardship]}"),
        [P + SVC, "xiaoyi.9", "eligibility", "ref"],
    ),
    # ---- the reader: encodings, file kinds, YAML constructs, dates, sizes
    Fault(
        "gbk_encoded",
        raw(CTY, lambda b: b.decode("utf-8").encode("gbk")),
        [P + CTY, "not UTF-8", "GBK"],
    ),
    Fault(
        "stray_0xff",
        raw(OUT, lambda b: b.replace(b"\nprice_year:", b"\n\xffprice_year:", 1)),
        [P + OUT, "0xff", "offset"],
    ),
    Fault("symlink_loop", replace_path(OUT, "loop"), [P + OUT, "cannot read"]),
    Fault("directory_for_file", replace_path(OUT, "dir"), [P + OUT, "directory"]),
    Fault("directory_for_csv", replace_path(AGE_SEX, "dir"), [P + AGE_SEX, "directory"]),
    Fault("fifo_for_file", replace_path(OUT, "fifo"), [P + OUT, "not a regular file"]),
    Fault(
        "nested_too_deeply",
        raw("conventions.yaml", lambda b: b + b"x: " + b"[" * 800 + b"]" * 800 + b"\n"),
        [P + "conventions.yaml", "nested too deeply"],
    ),
    Fault(
        "too_large",
        raw("conventions.yaml", lambda b: b + b"#" * 5_000_001),
        [P + "conventions.yaml", "bytes"],
    ),
    Fault("complex_key", prepend(OUT, "? [a, b]\n: 1\n"), [P + OUT, "line 1", "key"]),
    Fault("int_key", prepend(OUT, "1: x\n"), [P + OUT, "line 1", "key", "text"]),
    Fault("bool_key", prepend(OUT, "yes: x\n"), [P + OUT, "line 1", "key", "text"]),
    Fault("duplicate_key", prepend(OUT, "price_year: 1\n"), [P + OUT, "duplicate", "price_year"]),
    Fault(
        "invalid_date",
        put(SVC, ("document", "effective", "value"), "2024-13-45", at=True),
        [P + SVC, "2024-13-45", "date"],
    ),
    Fault("yaml_anchor", prepend(OUT, "x: &a 1\n"), [P + OUT, "anchor"]),
    Fault(
        "python_tag",
        prepend(OUT, "x: !!python/object/apply:os.system ['true']\n"),
        [P + OUT, "not valid YAML"],
    ),
    Fault("unparseable", raw(OUT, lambda b: b + b"\ntake_up: [\n"), [P + OUT, "not valid YAML"]),
    # ---- census and WPP tables
    Fault(
        "census_negative_count",
        cell(AGE_SEX, XIAOYI_ROW, "count", "-5"),
        [P + AGE_SEX, "count", "-5"],
    ),
    Fault(
        "census_empty_count",
        cell(AGE_SEX, XIAOYI_ROW, "count", ""),
        [P + AGE_SEX, "count", "empty"],
    ),
    Fault(
        "census_text_count",
        cell(AGE_SEX, XIAOYI_ROW, "count", "many"),
        [P + AGE_SEX, "count", "'many'"],
    ),
    Fault(
        "census_fractional_count",
        cell(AGE_SEX, XIAOYI_ROW, "count", "12.5"),
        [P + AGE_SEX, "count", "whole"],
    ),
    Fault(
        "census_nan_count",
        cell(AGE_SEX, XIAOYI_ROW, "count", "nan"),
        [P + AGE_SEX, "count", "finite"],
    ),
    Fault(
        "census_renamed_column",
        header(AGE_SEX, "count", "persons"),
        [P + AGE_SEX, "'count'", "'persons'"],
    ),
    Fault(
        "census_unknown_county",
        cell(AGE_SEX, XIAOYI_ROW, "county", "999999"),
        [P + AGE_SEX, "999999", P + COUNTIES],
    ),
    Fault(
        "census_bad_age_group",
        cell(AGE_SEX, XIAOYI_ROW, "age_start", "47"),
        [P + AGE_SEX, "age_start", "47"],
    ),
    Fault(
        "counties_renamed_county",  # the age table's county is no longer in the county table
        cell(COUNTIES, XIAOYI_ROW, "county", "999999", line=False),
        [P + AGE_SEX, "county 141181", P + COUNTIES],
    ),
    Fault(
        "counties_extra_county",  # the census has a county the city file does not list
        add_row(COUNTIES, XIAOYI_ROW, "county", "999999"),
        [P + CTY, "counties", "'999999'", "census"],
    ),
    Fault(
        "counties_urban_rural",
        cell(COUNTIES, XIAOYI_ROW, "urban", "1"),
        [P + COUNTIES, "urban + rural"],
    ),
    Fault("wpp_text_mx", cell(WPP, {"sex": "female"}, "mx", "abc"), [P + WPP, "mx", "'abc'"]),
    Fault("wpp_inf_mx", cell(WPP, {"sex": "female"}, "mx", "inf"), [P + WPP, "mx", "finite"]),
    Fault("wpp_negative_mx", cell(WPP, {"sex": "male"}, "mx", "-0.01"), [P + WPP, "mx"]),
    Fault("wpp_unknown_sex", cell(WPP, {"sex": "male"}, "sex", "m"), [P + WPP, "sex", "'m'"]),
    Fault("wpp_renamed_column", header(WPP, "mx", "qx"), [P + WPP, "'mx'", "'qx'"]),
]


def _params(faults, stage: str = ""):
    out = []
    for f in faults:
        reason = f.reason or (getattr(f, "run_reason", None) if stage == "run" else None)
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        out.append(pytest.param(f, id=f.id, marks=marks))
    return out


def load_and_build(city: str, params_dir: Path, scenario="baseline") -> None:
    """Load a run's inputs and build its processes, as ``simlib check`` does."""
    inputs = load_inputs(city, scenario, params_dir=params_dir)
    female, urban = inputs.census.shares(inputs.city)
    ProcessSet(Context(inputs.health, inputs.mortality, female, urban))


@pytest.mark.parametrize("fault", _params(FAULTS))
def test_file_fault_is_refused_by_load_and_check(fault: Fault, params, tmp_path, capsys):
    words = fault.words + fault.edit(params)
    before = snapshot(params), snapshot(tmp_path)

    # The library: one ParamError, on one line, naming the file and the key.
    with pytest.raises(ParamError) as err:
        if fault.processes:
            load_and_build(fault.city, params)
        else:
            load_inputs(fault.city, params_dir=params)
    message = str(err.value)
    assert "\n" not in message, message
    assert_words(message, words)

    # simlib check: exit 2, no "ok", and the problem once: "FAIL <message> (in <city> ·
    # <scenario> and N more)", or "FAIL <message>" when the tree itself cannot be read.
    status, out, err_text, _ = cli(capsys, "--params-dir", str(params), "check", fault.city)
    assert status == 2
    assert "ok" not in out
    lines = err_text.strip("\n").splitlines()
    assert lines and all(line.startswith("FAIL ") for line in lines), lines
    where = re.compile(rf" \(in {fault.city} · \w+( and \d+ more)?\)$")
    assert [where.sub("", line.removeprefix("FAIL ")) for line in lines] == [message]
    assert (snapshot(params), snapshot(tmp_path)) == before


@pytest.mark.parametrize("fault", _params(FAULTS, "run"))
def test_file_fault_stops_a_run_before_any_work(fault: Fault, params, tmp_path, capsys, no_compute):
    words = fault.words + fault.edit(params)
    before = snapshot(params), snapshot(tmp_path)
    out_dir = tmp_path / "out"
    status, _, err_text, seconds = cli(
        capsys,
        "--params-dir",
        str(params),
        "run",
        "--city",
        fault.city,
        "--out",
        str(out_dir),
        *RUN,
    )
    assert status == 2
    assert_one_error_line(err_text, words)
    assert seconds < FAST
    assert not out_dir.exists()
    assert (snapshot(params), snapshot(tmp_path)) == before


def test_the_pristine_copy_validates(pristine, capsys):
    # Every fault above is refused for its own sake: without it, the same copy is accepted.
    load_and_build(CITY, pristine)
    load_and_build("datong", pristine)
    status, out, err, _ = cli(capsys, "--params-dir", str(pristine), "check")
    assert (status, err) == (0, ""), err
    assert out.startswith("ok")


# --------------------------------------------------------------------------- scenario faults


@dataclass(frozen=True)
class ScenarioFault:
    """A scenario file's text and the words its error must hold."""

    id: str
    text: str | bytes
    words: list[str]
    reason: str | None = None


SCENARIO_FAULTS = [
    ScenarioFault(
        "dibao_exit_probability_5",
        "description: x\nhealth: {dibao_exit: 5.0}\n",
        ["dibao_exit", "outside [0, 1]"],
    ),
    ScenarioFault(
        "travel_minutes_negative",
        "description: x\noutcomes: {travel_minutes: -100}\n",
        ["travel_minutes", "-100", "outside"],
    ),
    ScenarioFault(
        "adl_onset_multiplier_negative",
        "description: x\nhealth: {adl_onset_multiplier: -5}\n",
        ["adl_onset_multiplier", "-5", "outside"],
    ),
    ScenarioFault(
        "care_level_partial_care_9",
        "description: x\nchanges:\n  - health: care_level_min_adl\n"
        "    set: {partial_care.value: 9}\n",
        ["care_level_min_adl", "partial_care", "9", "outside"],
    ),
    ScenarioFault(
        "care_level_partial_care_9_shorthand",
        "description: x\nhealth: {care_level_min_adl.partial_care: 9}\n",
        ["care_level_min_adl", "partial_care", "9", "outside"],
    ),
    ScenarioFault(
        "fte_hours_zero",
        "description: x\noutcomes: {fte_hours: 0}\n",
        ["fte_hours", "outside"],
    ),
    ScenarioFault("description_int", "description: 42\n", ["description", "42"]),
    ScenarioFault("description_missing", "health: {dibao_exit: 0.1}\n", ["description"]),
    ScenarioFault(
        "ramp_start_year_nan",
        "description: x\noutcomes: {ramp_start_year: .nan}\n",
        ["ramp_start_year", "finite"],
    ),
    ScenarioFault(
        "ramp_start_year_late",
        "description: x\noutcomes: {ramp_start_year: 2040}\n",
        ["ramp_start_year", "2040", "outside"],
    ),
    ScenarioFault(
        "travel_minutes_inf",
        "description: x\noutcomes: {travel_minutes: .inf}\n",
        ["travel_minutes", "finite"],
    ),
    ScenarioFault(
        "take_up_target_above_one",
        "description: x\ntake_up: {caring_visits: {target: 1.5, year: 2025}}\n",
        ["caring_visits", "target", "outside"],
    ),
    ScenarioFault(
        "take_up_unknown_family",
        "description: x\ntake_up: {caring_visit: {target: 0.9, year: 2025}}\n",
        ["caring_visit", "did you mean"],
    ),
    ScenarioFault(
        "health_unknown_entry",
        "description: x\nhealth: {dibao_exitt: 0.1}\n",
        ["dibao_exitt", "did you mean"],
    ),
    ScenarioFault(
        "unknown_top_level_key",
        "description: x\nhelth: {dibao_exit: 0.1}\n",
        ["helth", "did you mean"],
    ),
    ScenarioFault(
        "item_cash_1e300",
        "description: x\nchanges:\n  - item: xiaoyi.9\n    set:\n"
        "      benefit.cash[0].yuan: 1.0e+300\n",
        ["xiaoyi.9", "yuan", "outside"],
    ),
    ScenarioFault(
        "item_ref_to_list",
        "description: x\nchanges:\n  - item: xiaoyi.9\n"
        "    set: {eligibility: {ref: [economic_hardship]}}\n",
        ["xiaoyi.9", "eligibility", "ref"],
    ),
    ScenarioFault(
        "standard_negative",
        "description: x\nchanges:\n  - standard: xiaoyi.care_subsidy\n    set: {value: -100}\n",
        ["care_subsidy", "-100", "outside"],
    ),
    ScenarioFault(
        "target_value_negative",
        "description: x\ntargets: {xiaoyi.lottery_fund_share: {value: -1}}\n",
        ["xiaoyi.lottery_fund_share", "value", "outside"],
    ),
    ScenarioFault(
        "unknown_target",
        "description: x\ntargets: {xiaoyi.lottery_fund_shar: {value: 0.5}}\n",
        ["xiaoyi.lottery_fund_shar", "did you mean"],
    ),
    ScenarioFault(
        "from_year_text",
        "description: x\nchanges:\n  - item: xiaoyi.9\n    from: soon\n"
        '    set: {"benefit.cash[0].yuan": 80}\n',
        ["from", "soon"],
    ),
    ScenarioFault(
        "invalid_date",
        "description: x\nchanges:\n  - item: xiaoyi.9\n    set: {effective: 2024-13-45}\n",
        ["2024-13-45", "date"],
    ),
    ScenarioFault("gbk_encoded", "description: 基线\n".encode("gbk"), ["not UTF-8"]),
    ScenarioFault("complex_key", "description: x\n? [a, b]\n: 1\n", ["line 2", "key"]),
    ScenarioFault("alias", "description: &d x\nnote: *d\n", ["anchor"]),
]


@pytest.mark.parametrize("fault", _params(SCENARIO_FAULTS))
def test_scenario_fault_is_refused(fault, pristine, tmp_path, capsys, no_compute):
    path = tmp_path / "scenario.yaml"
    if isinstance(fault.text, bytes):
        path.write_bytes(fault.text)
    else:
        path.write_text(fault.text, encoding="utf-8")
    words = [str(path), *fault.words]
    before, before_params = snapshot(tmp_path), snapshot(pristine)

    with pytest.raises(ParamError) as err:
        load_and_build(CITY, pristine, path)
    assert "\n" not in str(err.value)
    assert_words(str(err.value), words)

    out_dir = tmp_path / "out"
    status, _, err_text, seconds = cli(
        capsys,
        "--params-dir",
        str(pristine),
        "run",
        "--city",
        CITY,
        "--scenario",
        str(path),
        "--out",
        str(out_dir),
        *RUN,
    )
    assert status == 2
    assert_one_error_line(err_text, words)
    assert seconds < FAST
    assert not out_dir.exists()
    assert snapshot(tmp_path) == before
    assert snapshot(pristine) == before_params


@pytest.mark.parametrize("how", ["dir", "loop", "missing"])
def test_scenario_path_that_is_not_a_file(how, pristine, tmp_path, capsys, no_compute):
    path = tmp_path / "scenario.yaml"
    if how == "dir":
        path.mkdir()
    elif how == "loop":
        os.symlink(path.name, path)
    before = snapshot(tmp_path)
    with pytest.raises(ParamError) as err:
        load_inputs(CITY, path, params_dir=pristine)
    assert_words(str(err.value), [str(path)])
    status, _, err_text, seconds = cli(
        capsys,
        "--params-dir",
        str(pristine),
        "run",
        "--city",
        CITY,
        "--scenario",
        str(path),
        "--out",
        str(tmp_path / "out"),
        *RUN,
    )
    assert status == 2 and seconds < FAST
    assert_one_error_line(err_text, [str(path)])
    assert snapshot(tmp_path) == before


# --------------------------------------------------------------------------- the reader


def test_byte_order_mark_is_accepted(pristine, params, tmp_path, capsys):
    # A BOM is what Windows editors write: the files mean the same with and without it.
    for rel in (SVC, CTY, OUT, HEALTH, AGE_SEX, COUNTIES, WPP):
        (params / rel).write_bytes(b"\xef\xbb\xbf" + (params / rel).read_bytes())
    scenario = tmp_path / "bom.yaml"
    scenario.write_bytes(b"\xef\xbb\xbfdescription: with a BOM\nhealth: {dibao_exit: 0.1}\n")
    a = load_inputs(CITY, params_dir=pristine)
    b = load_inputs(CITY, params_dir=params)
    assert b.context.standards == a.context.standards
    assert [it.id for it in b.services.items] == [it.id for it in a.services.items]
    assert b.outcomes == a.outcomes
    assert b.census.age_sex.equals(a.census.age_sex)
    assert (b.mortality.mx == a.mortality.mx).all()
    s = load_inputs(CITY, scenario, params_dir=params)
    assert s.scenario.description == "with a BOM"
    assert s.health.values["dibao_exit"] == 0.1
    status, out, err, _ = cli(capsys, "--params-dir", str(params), "check", CITY)
    assert (status, err) == (0, ""), err


def _alias_bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_quickly(pristine, params, tmp_path, capsys, no_compute):
    # 9 levels of 9 aliases: 9**9 ≈ 387 million strings if expanded.
    (params / "conventions.yaml").write_text(
        _alias_bomb() + (params / "conventions.yaml").read_text("utf-8"), encoding="utf-8"
    )
    scenario = tmp_path / "bomb.yaml"
    scenario.write_text("description: x\n" + _alias_bomb(), encoding="utf-8")
    before = snapshot(params), snapshot(tmp_path)
    cases = (
        (params, "baseline", "params/conventions.yaml: line 1"),
        (pristine, scenario, f"{scenario}: line 2"),
    )
    for params_dir, scen, where in cases:
        t0 = time.perf_counter()
        with pytest.raises(ParamError) as err:
            load_inputs(CITY, scen, params_dir=params_dir)
        assert time.perf_counter() - t0 < FAST
        assert_words(str(err.value), [where, "anchor"])
        status, _, err_text, seconds = cli(
            capsys,
            "--params-dir",
            str(params_dir),
            "run",
            "--city",
            CITY,
            "--scenario",
            str(scen),
            "--out",
            str(tmp_path / "out"),
            *RUN,
        )
        assert status == 2 and seconds < FAST
        assert_one_error_line(err_text, [where, "anchor"])
    assert (snapshot(params), snapshot(tmp_path)) == before


def test_an_edit_between_two_loads_is_picked_up(params):
    # The caches are keyed by content: editing outcomes.yaml in a running session is seen.
    original = (params / OUT).read_bytes()
    first = load_inputs(CITY, params_dir=params)
    put(OUT, ("travel_minutes", "value"), "37")(params)
    second = load_inputs(CITY, params_dir=params)
    assert (first.outcomes.travel_minutes, second.outcomes.travel_minutes) != (37, 37)
    assert second.outcomes.travel_minutes == 37
    assert second.params_hash != first.params_hash
    # Back to the same bytes: the same hash (content, not time, identifies the params).
    (params / OUT).write_bytes(original)
    assert load_inputs(CITY, params_dir=params).params_hash == first.params_hash
    # A broken edit is seen too: the cache never serves the last good parse.
    put(OUT, ("travel_minutes", "value"), ".nan")(params)
    with pytest.raises(ParamError, match="value: '.nan' is not a finite number"):
        load_inputs(CITY, params_dir=params)


def test_check_reports_an_unparseable_outcomes_file(params, capsys):
    (params / OUT).write_text("take_up: [\n  unclosed\n", encoding="utf-8")
    before = snapshot(params)
    status, out, err, _ = cli(capsys, "--params-dir", str(params), "check")
    assert status == 2
    assert "ok" not in out
    assert err.startswith("FAIL ")
    assert_words(err, [P + OUT, "not valid YAML"])
    assert snapshot(params) == before


def test_check_reports_one_fault_once(params, capsys):
    put(OUT, TAKE_UP, ".nan")(params)
    status, _, err, _ = cli(capsys, "--params-dir", str(params), "check", CITY)
    assert status == 2
    assert len(err.strip("\n").splitlines()) == 1, err


# --------------------------------------------------------------------------- the command line


def _read_only_out(tmp_path: Path) -> Path:
    """An --out that cannot be created: in a 0o500 folder, or (as root) under a file."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    probe = locked / "probe"
    try:
        probe.mkdir()
    except OSError:
        return locked / "out"
    probe.rmdir()  # root ignores the mode: a folder under a regular file cannot be made
    locked.chmod(0o700)
    (tmp_path / "file").write_text("not a folder\n", encoding="utf-8")
    return tmp_path / "file" / "out"


MISUSES = [
    # (id, command line (--params-dir and --out are added), words its error must hold)
    ("sample_zero", ["run", "--city", CITY, "--sample", "0"], ["--sample", "(0, 1]"]),
    ("sample_text", ["run", "--city", CITY, "--sample", "x"], ["--sample", "'x'"]),
    ("sample_nan", ["run", "--city", CITY, "--sample", "nan"], ["--sample"]),
    ("sample_above_one", ["run", "--city", CITY, "--sample", "1.5"], ["--sample", "1.5"]),
    ("reps_zero", ["run", "--city", CITY, "--reps", "0"], ["--reps", "≥ 1"]),
    ("reps_text", ["run", "--city", CITY, "--reps", "two"], ["--reps", "'two'"]),
    ("seed_negative", ["run", "--city", CITY, "--seed", "-1"], ["--seed"]),
    ("end_year_2019", ["run", "--city", CITY, "--end-year", "2019"], ["--end-year", "2019"]),
    ("end_year_2051", ["run", "--city", CITY, "--end-year", "2051"], ["--end-year", "2051"]),
    ("unknown_city", ["run", "--city", "xiaoyii"], ["xiaoyii", "did you mean 'xiaoyi'"]),
    (
        "unknown_list_city",
        ["run", "--city", CITY, "--list-city", "datongg"],
        ["datongg", "did you mean 'datong'"],
    ),
    (
        "unknown_scenario",
        ["run", "--city", CITY, "--scenario", "basline"],
        ["basline", "did you mean 'baseline'"],
    ),
    (
        "missing_scenario_file",
        ["run", "--city", CITY, "--scenario", "nowhere.yaml"],
        ["nowhere.yaml", "not found"],
    ),
    ("no_city", ["run"], ["--city"]),
    ("unknown_command", ["simulate"], ["simulate"]),
    ("params_dir_missing", ["--params-dir", "no/such/dir", "check"], ["no/such/dir"]),
    ("unknown_backend", ["sweep", "--cities", CITY, "--backend", "gpu"], ["--backend", "gpu"]),
    ("workers_zero", ["sweep", "--cities", CITY, "--workers", "0"], ["--workers"]),
    ("sweep_unknown_city", ["sweep", "--cities", CITY, "taiyuann"], ["taiyuann"]),
    (
        "sweep_unknown_scenario",
        ["sweep", "--cities", CITY, "--scenarios", "basline"],
        ["basline", "did you mean 'baseline'"],
    ),
    ("check_unknown_city", ["check", "xiaoyii"], ["xiaoyii", "did you mean 'xiaoyi'"]),
    ("report_sample_zero", ["report", "--sample", "0"], ["--sample"]),
]


@pytest.mark.parametrize(("argv", "words"), [pytest.param(a, w, id=i) for i, a, w in MISUSES])
def test_command_line_misuse_exits_2_before_any_work(
    argv, words, pristine, tmp_path, capsys, no_compute
):
    if argv[0] in ("run", "sweep"):
        argv = [*argv, "--out", str(tmp_path / "out")]
    if argv[0] != "--params-dir":
        argv = ["--params-dir", str(pristine), *argv]
    before = snapshot(tmp_path)
    status, out, err, seconds = cli(capsys, *argv)
    assert status == 2, (out, err)
    assert seconds < FAST
    lines = err.strip("\n").splitlines()
    if lines and lines[0].startswith("usage:"):  # argparse: usage, then "prog: error: ..."
        assert "error: " in lines[-1]
        assert_words(lines[-1], words)
    elif "check" in argv:
        assert len(lines) == 1 and lines[0].startswith("FAIL "), lines
        assert_words(lines[0], words)
    else:
        assert_one_error_line(err, words)
    assert "ok" not in out
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("kind", ["file", "read_only"])
@pytest.mark.parametrize("command", ["run", "sweep"])
def test_unusable_out_fails_before_the_run(kind, command, pristine, tmp_path, capsys, no_compute):
    if kind == "file":
        out = tmp_path / "results"
        out.write_text("a file, not a folder\n", encoding="utf-8")
    else:
        out = _read_only_out(tmp_path)
    before = snapshot(tmp_path)
    who = ["--city", CITY] if command == "run" else ["--cities", CITY, "--backend", "serial"]
    status, _, err, seconds = cli(
        capsys, "--params-dir", str(pristine), command, *who, "--out", str(out), *RUN
    )
    assert status == 2
    assert seconds < FAST
    assert_one_error_line(err, ["--out", str(out)])
    assert snapshot(tmp_path) == before
    assert not (out.exists() and out.is_dir())


def test_fault_list_covers_the_issue():
    # One test id per fault: ids are unique, and every class of the issue is present.
    groups = [[f.id for f in FAULTS], [f.id for f in SCENARIO_FAULTS], [m[0] for m in MISUSES]]
    for group in groups:
        assert len(set(group)) == len(group)
    ids = {i for group in groups for i in group}
    for needed in (
        "cash_nan",
        "in_kind_inf",
        "dibao_1e400",
        "take_up_nan",
        "minutes_inf",
        "health_prevalence_nan",
        "adl_mortality_ratio_negative",
        "cash_1e300_yuan",
        "cash_age_bands_overlap",
        "county_removed",
        "census_unknown_sex",
        "target_unknown_measure",
        "gbk_encoded",
        "stray_0xff",
        "symlink_loop",
        "directory_for_file",
        "complex_key",
        "invalid_date",
        "ref_to_list",
        "target_id_int",
        "health_share_text",
        "ramp_start_year_nan",
        "census_negative_count",
        "census_empty_count",
        "census_renamed_column",
        "wpp_text_mx",
        "census_unknown_county",
        "dibao_exit_probability_5",
        "travel_minutes_negative",
        "adl_onset_multiplier_negative",
        "care_level_partial_care_9",
        "fte_hours_zero",
        "description_int",
        "sample_zero",
        "sample_text",
        "reps_zero",
        "seed_negative",
        "end_year_2019",
        "unknown_city",
        "unknown_scenario",
        "unknown_backend",
        "workers_zero",
    ):
        assert needed in ids, needed

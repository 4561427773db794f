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
from simlib.params.tree import default_params_dir
from simlib.population.processes import Context, ProcessSet

CITY = "xiaoyi"
#: A refusal of the alias bomb must not expand it (9**9 strings: minutes of CPU and gigabytes):
#: far under this many CPU seconds whatever the machine's load. Other refusals are checked
#: structurally (the ``no_compute`` fixture fails a test whose bad input reaches a run).
BOMB_CPU = 20.0
RUN = ["--sample", "0.01", "--end-year", "2021"]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def pristine(tmp_path_factory) -> Path:
    """One copy of the bundled params, taken once: never modified.

    With sources/: ``simlib check`` requires every document a params file cites.
    """
    dst = tmp_path_factory.mktemp("pristine") / "params"
    shutil.copytree(default_params_dir(), dst)
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
    """Run the command line; return ``(status, stdout, stderr, cpu_seconds)``."""
    capsys.readouterr()
    t0 = time.process_time()
    status = main(list(argv))
    seconds = time.process_time() - t0
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
        # characters GBK lacks (the file's '−') become '?', as an editor saving as GBK does
        raw(CTY, lambda b: b.decode("utf-8").encode("gbk", errors="replace")),
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
    ScenarioFault(  # issue #24: a target of a misspelt city used to be ignored silently
        "target_city_misspelt",
        "description: x\ntargets: {datongg.visit_rate_2025: {value: 0.8}}\n",
        ["datongg.visit_rate_2025", "did you mean 'datong.visit_rate_2025'"],
    ),
    ScenarioFault(  # issue #24: ... and so was a target id without its city
        "target_without_city",
        "description: x\ntargets: {visit_rate_2025: {value: 0.8}}\n",
        ["visit_rate_2025", "'datong.visit_rate_2025' or", "<city>.<name>"],
    ),
    ScenarioFault(
        "target_of_another_city_unknown",
        "description: x\ntargets: {datong.visit_rate_2052: {value: 0.8}}\n",
        ["datong.visit_rate_2052", "did you mean 'datong.visit_rate_2025'"],
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
    assert status == 2
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
        t0 = time.process_time()
        with pytest.raises(ParamError) as err:
            load_inputs(CITY, scen, params_dir=params_dir)
        assert time.process_time() - t0 < BOMB_CPU
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
        assert status == 2 and seconds < BOMB_CPU
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
    # issue #24: a sample that leaves a county without an agent, an empty scenario name
    (
        "sample_below_one_agent_per_county",
        ["run", "--city", CITY, "--sample", "1e-9"],
        ["sample 1e-09", "smallest county", "at least"],
    ),
    (
        "sweep_sample_below_one_agent_per_county",
        ["sweep", "--cities", CITY, "--sample", "1e-9"],
        ["sample 1e-09", "smallest county"],
    ),
    ("scenario_empty", ["run", "--city", CITY, "--scenario", ""], ["scenario", "empty"]),
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


# =========================================================================== issue #24
# Results that cannot be wrong, mixed, lost or destroyed. Each test names the failure of the
# issue it covers; each failed on the code before the fix (see the commit messages).

import errno  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
from contextlib import contextmanager  # noqa: E402

import pandas as pd  # noqa: E402

import simlib  # noqa: E402
from simlib.core.errors import StoreError  # noqa: E402
from simlib.experiments.store import load_results  # noqa: E402
from simlib.experiments.sweep import grid, sweep, verify  # noqa: E402

T_CITY = "datong"
T_RUN = {"sample": 0.01, "end_year": 2025}
T_ARGS = ["--sample", "0.01", "--end-year", "2025"]
#: A reform that only states alternative targets: a share (visit rate) and a share met
#: under a reading of the body (home adaptation). Its numbers differ from the baseline's
#: only if the take-up paths that meet the targets are derived.
REFORM = (
    "description: Datong reform by targets\n"
    "targets:\n"
    "  datong.visit_rate_2025: {value: 0.8}\n"
    "  datong.home_adaptation_2025: {value: 1.0}\n"
)
BODY = ["year", "county", "item_id", "measure", "value", "rep"]


def _body(rows: pd.DataFrame) -> pd.DataFrame:
    """The outcome rows alone, in a canonical order (for bit-for-bit comparisons)."""
    return rows[BODY].sort_values(BODY[:4] + ["rep"]).reset_index(drop=True)


def _total(rows: pd.DataFrame, measure: str, year: int) -> float:
    sel = rows[(rows["measure"] == measure) & (rows["year"] == year)]
    return float(sel["value"].sum())


def _one(results, stem: str):
    """The result of a load_results dict whose scenario is ``stem``."""
    hits = [r for k, r in results.items() if k.split("·")[1] == stem]
    assert len(hits) == 1, list(results)
    return hits[0]


def test_every_entry_point_and_backend_runs_the_same_scenario(tmp_path, capsys, monkeypatch):
    # "A sweep ignores a scenario's targets: it returns the baseline's numbers under the
    # reform's name". Every bundled scenario and a target scenario, through run() (serial,
    # processes, cached and re-read), sweep() (serial, processes, dask), the CLI's run and
    # sweep: the same rows bit for bit (same seed: the same draws everywhere).
    monkeypatch.chdir(tmp_path)
    reform = tmp_path / "reform.yaml"
    reform.write_text(REFORM, encoding="utf-8")
    from simlib.params.scenarios import list_scenarios
    from simlib.params.tree import read_tree

    scenarios = [*list_scenarios(read_tree()), str(reform)]
    ref = {s: simlib.run(T_CITY, s, **T_RUN).reps for s in scenarios}
    # the reform differs from the baseline (else this test could not see targets ignored)
    assert _total(ref[str(reform)], "cost_yuan", 2025) > _total(ref["baseline"], "cost_yuan", 2025)

    def same(rows, s, how):
        pd.testing.assert_frame_equal(_body(rows), _body(ref[s]), obj=f"{how} · {Path(s).stem}")

    # the bundled scenarios share one path (a name); the backends and the CLI's run are
    # compared on the baseline and the reform, to keep the suite quick
    two = ["baseline", str(reform)]
    cache = tmp_path / "cache"
    for s in scenarios:
        same(simlib.run(T_CITY, s, cache=cache, **T_RUN).reps, s, "run(cache=)")
    for s in scenarios:  # read back from the cache, every scenario its own
        same(simlib.run(T_CITY, s, cache=cache, **T_RUN).reps, s, "run(cache=) re-read")
    same(simlib.run(T_CITY, str(reform), backend="processes", **T_RUN).reps, str(reform), "procs")
    for backend, which in (("serial", scenarios), ("processes", two), ("dask", two)):
        rows = sweep(grid([T_CITY], which, **T_RUN), tmp_path / backend, backend=backend)
        for s in which:
            sel = rows[rows["scenario"] == s]
            assert len(sel), (backend, s)
            same(sel, s, f"sweep {backend}")
    for s in two:
        status, _, err, _ = cli(capsys, "run", "--city", T_CITY, "--scenario", s, *T_ARGS)
        assert status == 0, err
        stem = Path(s).stem
        same(load_results(tmp_path / "results" / f"{T_CITY}_{stem}_seed1").reps, s, "CLI run")
    status, _, err, _ = cli(
        capsys, "sweep", "--cities", T_CITY, "--scenarios", *scenarios, "--backend", "serial",
        "--out", "cli-sweep", *T_ARGS,
    )  # fmt: skip
    assert status == 0, err
    loaded = load_results(tmp_path / "cli-sweep")
    assert len(loaded) == len(scenarios)
    for s in scenarios:
        same(_one(loaded, Path(s).stem).reps, s, "CLI sweep")


def assert_last_error_line(err: str, words: list[str]) -> None:
    """A run's progress bars, then one error line, the last."""
    lines = err.strip("\n").splitlines()
    errors = [x for x in lines if x.startswith("error")]
    assert errors == lines[-1:], lines
    assert_words(errors[0], words)
    assert "Traceback" not in err


def _take_up(target: float) -> str:
    return f"description: v\ntake_up: {{caring_visits: {{target: {target}, year: 2025}}}}\n"


def test_a_scenario_file_edited_between_two_sweeps_stays_two_results(tmp_path):
    # "a scenario file edited between two sweeps into one folder gives one result with the
    # 60+ population doubled and both versions' costs added"
    path = tmp_path / "reform.yaml"
    out = tmp_path / "sweep"
    refs = []
    for target in (0.9, 0.3):
        path.write_text(_take_up(target), encoding="utf-8")
        sweep(grid([T_CITY], [str(path)], **T_RUN), out)
        refs.append(simlib.run(T_CITY, yaml.safe_load(_take_up(target)), **T_RUN).reps)
    got = load_results(out)
    assert isinstance(got, dict) and len(got) == 2, got
    bodies = sorted((_body(r.reps) for r in got.values()), key=lambda b: b["value"].sum())
    want = sorted((_body(r) for r in refs), key=lambda b: b["value"].sum())
    for b, w in zip(bodies, want, strict=True):
        pd.testing.assert_frame_equal(b, w)  # each version its own numbers, pop60 not doubled


def test_two_dict_scenarios_cached_in_one_folder_stay_two(tmp_path):
    # "two different dict scenarios cached in one folder are merged the same way"
    cache = tmp_path / "cache"
    runs = [
        simlib.run(T_CITY, yaml.safe_load(_take_up(t)), cache=cache, **T_RUN) for t in (0.9, 0.3)
    ]
    assert _total(runs[0].reps, "cost_yuan", 2025) != _total(runs[1].reps, "cost_yuan", 2025)
    got = load_results(cache)
    assert isinstance(got, dict) and len(got) == 2
    for r in got.values():
        assert any(_body(r.reps).equals(_body(x.reps)) for x in runs)
        assert _total(r.reps, "pop60", 2025) == _total(runs[0].reps, "pop60", 2025)


def test_the_bundled_baseline_and_a_user_baseline_yaml_are_two_runs(tmp_path):
    # "a sweep of the bundled baseline plus a user file named baseline.yaml returns only one"
    mine = tmp_path / "baseline.yaml"
    mine.write_text(_take_up(0.3), encoding="utf-8")
    rows = sweep(grid([T_CITY], ["baseline", str(mine)], **T_RUN), tmp_path / "sweep")
    assert rows["run_id"].nunique() == 2
    got = load_results(tmp_path / "sweep")
    assert isinstance(got, dict) and len(got) == 2, got
    bundled = simlib.run(T_CITY, "baseline", **T_RUN).reps
    user = simlib.run(T_CITY, str(mine), **T_RUN).reps
    found = [_body(r.reps) for r in got.values()]
    assert any(f.equals(_body(bundled)) for f in found)
    assert any(f.equals(_body(user)) for f in found)


def test_an_unknown_target_in_a_sweep_is_refused_before_any_work(tmp_path, capsys, no_compute):
    # "Misspelt or unknown target ids run silently (exit 0 with the baseline's numbers)"
    for tid, close in (("datongg.visit_rate_2025", "did you mean 'datong.visit_rate_2025'"),
                       ("visit_rate_2025", "'datong.visit_rate_2025' or")):  # fmt: skip
        path = tmp_path / "typo.yaml"
        path.write_text(f"description: x\ntargets: {{{tid}: {{value: 0.8}}}}\n", encoding="utf-8")
        for argv in (
            ["run", "--city", T_CITY, "--scenario", str(path), "--out", "out"],
            ["sweep", "--cities", T_CITY, "--scenarios", str(path), "--out", "out"],
        ):
            status, _, err, seconds = cli(capsys, *argv, *T_ARGS)
            assert status == 2
            assert_one_error_line(err, [tid, close])
            assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- never delete


def test_report_out_holding_user_files_is_refused_before_the_build(tmp_path, capsys, monkeypatch):
    # "report --out on an existing folder deletes the user's files in it without asking"
    import simlib.reporting.notebooks as notebooks

    def no_build(*a, **k):
        raise AssertionError("the build started")

    monkeypatch.setattr(notebooks, "execute", no_build)
    out = tmp_path / "report"
    out.mkdir()
    (out / "notes.txt").write_text("my notes\n", encoding="utf-8")
    before = snapshot(tmp_path)
    status, _, err, seconds = cli(capsys, "report", "--out", str(out), "--sample", "0.01")
    assert status == 2
    assert_one_error_line(err, [str(out), "notes.txt", "did not write"])
    assert snapshot(tmp_path) == before


def test_a_report_folder_a_build_wrote_may_be_replaced_and_nothing_else(tmp_path):
    from simlib.reporting.report import OWN_RECORD, _record_files, check_report_out

    out = tmp_path / "report"
    (out / "tables").mkdir(parents=True)
    (out / "index.html").write_text("<html/>", encoding="utf-8")
    (out / "tables" / "a.csv").write_text("x\n1\n", encoding="utf-8")
    _record_files(out)  # what a build writes last
    assert (out / OWN_RECORD).is_file()
    assert check_report_out(out) == out.resolve()  # a report simlib wrote: replaceable
    (out / "tables" / "mine.csv").write_text("y\n2\n", encoding="utf-8")
    with pytest.raises(ParamError, match="tables/mine.csv"):
        check_report_out(out)
    (out / "tables" / "mine.csv").unlink()
    record = json.loads((out / OWN_RECORD).read_text(encoding="utf-8"))
    record["files"].append("tables/mine.csv")  # a hand-edited record is not trusted
    (out / OWN_RECORD).write_text(json.dumps(record), encoding="utf-8")
    (out / "tables" / "mine.csv").write_text("y\n2\n", encoding="utf-8")
    with pytest.raises(ParamError, match="did not write"):
        check_report_out(out)


def test_sweep_overwrite_removes_only_the_runs_simlib_wrote(tmp_path, capsys, pristine):
    # "sweep --overwrite deletes everything in the folder, including files it never wrote"
    params = tmp_path / "params"
    shutil.copytree(pristine, params)
    out = tmp_path / "sweep"
    argv = ["sweep", "--cities", CITY, "--backend", "serial", "--out", str(out), *RUN]
    assert cli(capsys, "--params-dir", str(params), *argv)[0] == 0
    old_parts = sorted(p.name for p in out.glob("run_id=*"))
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    (out / "analysis").mkdir()
    (out / "analysis" / "fig.png").write_bytes(b"\x89PNG")
    # other params: the folder's runs are stale
    put(OUT, ("unit_cost_yuan", "values", "visit", "value"), "30")(params)
    status, _, err, _ = cli(capsys, "--params-dir", str(params), *argv)
    assert status == 2 and "--overwrite" in err
    status, _, err, _ = cli(capsys, "--params-dir", str(params), *argv, "--overwrite")
    assert status == 0, err
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine\n"
    assert (out / "analysis" / "fig.png").read_bytes() == b"\x89PNG"
    assert not {p.name for p in out.glob("run_id=*")} & set(old_parts)  # stale runs removed
    assert len(list(out.glob("run_id=*"))) == 1


def test_run_overwrite_refuses_a_run_folder_holding_user_files(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = ["run", "--city", CITY, "--out", "results", *RUN]
    assert cli(capsys, *argv)[0] == 0
    (folder,) = (tmp_path / "results").iterdir()
    (folder / "my_plot.png").write_bytes(b"\x89PNG")
    before = snapshot(tmp_path)
    status, _, err, _ = cli(capsys, *argv, "--overwrite")
    assert status == 2
    assert_one_error_line(err, [f"results/{folder.name}", "my_plot.png", "did not write"])
    assert snapshot(tmp_path) == before
    (folder / "my_plot.png").unlink()
    assert cli(capsys, *argv, "--overwrite")[0] == 0  # simlib's own run is replaced


# --------------------------------------------------------------------------- damaged stores


def _flip_bit(path: Path, at: float = 0.5) -> None:
    data = bytearray(path.read_bytes())
    i = int(len(data) * at)
    data[i] ^= 0x04
    path.write_bytes(bytes(data))


def test_a_flipped_bit_in_a_partition_is_found_rerun_on_resume_and_named_on_load(tmp_path):
    # "a one-bit flip in a partition is kept on resume and returned by load_results"
    specs = grid([CITY], ["baseline"], reps=3, sample=0.01, end_year=2021)
    full = sweep(specs, tmp_path)
    rid = sorted(full["run_id"].unique())[1]
    part = tmp_path / f"run_id={rid}" / "part-0.parquet"
    _flip_bit(part)
    done, problems = verify(tmp_path)
    assert rid not in done and [p[:2] for p in problems] == [(str(part), rid)]
    with pytest.raises(StoreError) as err:
        load_results(tmp_path)
    assert_words(str(err.value), [str(part), rid, "damaged"])
    again = sweep(specs, tmp_path)  # resume: the damaged run is run again
    pd.testing.assert_frame_equal(_body(again), _body(full))
    assert verify(tmp_path)[1] == []
    assert load_results(tmp_path).n_reps == 3


def test_a_truncated_partition_is_an_error_unless_partial_is_asked_for(tmp_path):
    # "a truncated partition makes load_results return 2 of 3 replications without a warning"
    sweep(grid([CITY], ["baseline"], reps=3, sample=0.01, end_year=2021), tmp_path)
    part = next(tmp_path.glob("run_id=*")) / "part-0.parquet"
    part.write_bytes(part.read_bytes()[:200])
    with pytest.raises(StoreError) as err:
        load_results(tmp_path)
    assert_words(str(err.value), [str(part), "partial=True"])
    with pytest.warns(UserWarning, match="1 runs left out"):
        res = load_results(tmp_path, partial=True)
    assert res.n_reps == 2


def test_a_damaged_sweep_identity_is_one_line(tmp_path, capsys):
    sweep(grid([CITY], ["baseline"], sample=0.01, end_year=2021), tmp_path)
    (tmp_path / "_sweep.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(StoreError, match="_sweep.json: damaged"):
        load_results(tmp_path)
    argv = ["sweep", "--cities", CITY, "--backend", "serial", "--out", str(tmp_path), *RUN]
    status, _, err, _ = cli(capsys, *argv)
    assert status == 2
    assert_one_error_line(err, ["_sweep.json", "damaged", "--overwrite"])


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("saved")
    return simlib.save(simlib.run(CITY, sample=0.01, end_year=2021, reps=2), out)


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        ("manifest_not_json", ["manifest.json", "damaged"]),
        ("manifest_city_edited", ["manifest.json", "edited"]),
        ("manifest_city_edited_and_resealed", ["manifest.json", "city 'datong'"]),
        ("reps_bit_flip", ["reps.parquet", "damaged"]),
        ("reps_truncated", ["reps.parquet", "damaged"]),
        ("reps_missing", ["reps.parquet"]),
    ],
)
def test_a_damaged_run_folder_is_a_clear_error(damage, words, saved_run, tmp_path):
    # "a damaged manifest or reps.parquet (JSONDecodeError, ArrowInvalid instead of a simlib
    # error). A hand-edited manifest's city is accepted unchecked."
    from simlib.experiments.sweep import sealed

    run = tmp_path / saved_run.name
    shutil.copytree(saved_run, run)
    manifest = run / "manifest.json"
    meta = json.loads(manifest.read_text(encoding="utf-8"))
    if damage == "manifest_not_json":
        manifest.write_text(manifest.read_text(encoding="utf-8")[:-40], encoding="utf-8")
    elif damage == "manifest_city_edited":
        manifest.write_text(json.dumps({**meta, "city": "datong"}), encoding="utf-8")
    elif damage == "manifest_city_edited_and_resealed":  # by someone who read this code
        manifest.write_text(json.dumps(sealed({**meta, "city": "datong"})), encoding="utf-8")
    elif damage == "reps_bit_flip":
        _flip_bit(run / "reps.parquet")
    elif damage == "reps_truncated":
        p = run / "reps.parquet"
        p.write_bytes(p.read_bytes()[:300])
    else:
        (run / "reps.parquet").unlink()
    with pytest.raises(ParamError) as err:
        load_results(run)
    assert "\n" not in str(err.value)
    assert_words(str(err.value), words)
    assert load_results(saved_run).n_reps == 2  # the original is read back


# --------------------------------------------------------------------------- full disk


@contextmanager
def small_disk(where: Path, size_kib: int):
    """A ``size_kib`` KiB tmpfs mounted at ``where`` (root only); yields True if mounted.

    Where the machine does not allow it, yields False and the caller simulates a full disk
    by making the Parquet writer raise ENOSPC.
    """
    where.mkdir(parents=True, exist_ok=True)
    mounted = (
        os.geteuid() == 0
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(where)],
            capture_output=True,
        ).returncode
        == 0
    )
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", str(where)], check=True)


def _fill(disk: Path, leave: int) -> Path:
    """Fill ``disk`` to ``leave`` bytes free with a filler file."""
    filler = disk / "filler"
    free = shutil.disk_usage(disk).free
    filler.write_bytes(b"\0" * max(free - leave, 0))
    return filler


def _enospc_after(monkeypatch, n: int) -> None:
    """Simulate a disk that fills up after ``n`` Parquet writes."""
    real = pd.DataFrame.to_parquet
    count = {"n": 0}

    def write(self, *a, **k):
        count["n"] += 1
        if count["n"] > n:
            raise OSError(errno.ENOSPC, "No space left on device", str(a[0]) if a else None)
        return real(self, *a, **k)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", write)


def test_a_full_disk_is_refused_before_a_run_or_sweep(tmp_path, capsys, monkeypatch, no_compute):
    # "Tracebacks: a full disk during run, sweep ..." — a disk already full: before any work
    disk = tmp_path / "disk"
    with small_disk(disk, 512) as mounted:
        if mounted:
            _fill(disk, 0)
        else:  # simulated: the free space reported is nil
            usage = shutil.disk_usage(tmp_path)
            monkeypatch.setattr(shutil, "disk_usage", lambda p: usage._replace(free=0))
        for command, who in (("run", ["--city", CITY]), ("sweep", ["--cities", CITY])):
            out = disk / "out"
            status, _, err, seconds = cli(capsys, command, *who, "--out", str(out), *RUN)
            assert status == 2
            assert_one_error_line(err, ["--out", str(out), "MiB free"])
            assert not out.exists()


def test_a_disk_that_fills_mid_sweep_stops_with_one_line_and_resumes(tmp_path, capsys, monkeypatch):
    # "Tracebacks: a full disk during ... sweep or mid-sweep"
    import simlib.experiments.sweep as sweep_mod

    disk = tmp_path / "disk"
    out = disk / "sweep"
    argv = ["sweep", "--cities", CITY, "--reps", "8", "--backend", "serial", "--out", str(out)]
    with small_disk(disk, 512) as mounted:
        monkeypatch.setattr(sweep_mod, "MIN_FREE", 16 << 10)
        if mounted:  # each partition is ~15 KiB: room for a few runs, not eight
            filler = _fill(disk, 60 << 10)
        else:
            _enospc_after(monkeypatch, 3)
        status, _, err, _ = cli(capsys, *argv, *RUN)
        assert status == 2
        assert_last_error_line(err, [str(out), "disk is full", "resume"])
        assert not list(out.glob(".tmp-*")), "no half-written partition left"
        done, problems = verify(out)
        assert 1 <= len(done) < 8
        assert all(what == "planned, never finished" for _, _, what in problems)
        if mounted:
            filler.unlink()
        else:
            monkeypatch.undo()
        status, _, err, _ = cli(capsys, *argv, *RUN)
        assert status == 0, err
        assert len(verify(out)[0]) == 8 and verify(out)[1] == []
        assert load_results(out).n_reps == 8


def test_a_disk_that_fills_while_a_run_is_written_leaves_nothing(tmp_path, capsys, monkeypatch):
    # "Tracebacks: a full disk during run"
    import simlib.experiments.sweep as sweep_mod

    disk = tmp_path / "disk"
    out = disk / "results"
    with small_disk(disk, 512) as mounted:
        monkeypatch.setattr(sweep_mod, "MIN_FREE", 16 << 10)
        monkeypatch.setattr(sweep_mod, "MIN_FREE", 4 << 10)
        if mounted:  # the run's files take ~40 KiB
            _fill(disk, 8 << 10)
        else:
            _enospc_after(monkeypatch, 0)
        status, _, err, _ = cli(
            capsys, "run", "--city", T_CITY, "--reps", "3", "--out", str(out), *T_ARGS
        )
        assert status == 2
        assert_last_error_line(err, [str(out), "disk is full"])
        assert out.is_dir() and not list(out.iterdir()), "nothing half-written"


# --------------------------------------------------------------------------- report --out


@pytest.mark.parametrize("kind", ["file", "read_only", "full_disk"])
def test_report_out_is_checked_before_the_build(kind, tmp_path, capsys, monkeypatch):
    # "report --out pointing at a file (only after the whole build) or at a read-only folder"
    import simlib.reporting.notebooks as notebooks
    import simlib.reporting.report as report

    def no_build(*a, **k):
        raise AssertionError("the build started")

    monkeypatch.setattr(notebooks, "execute", no_build)
    if kind == "file":
        out = tmp_path / "report"
        out.write_text("a file\n", encoding="utf-8")
        words = [str(out), "not a folder"]
    elif kind == "read_only":
        out = _read_only_out(tmp_path)
        words = ["--out", str(out)]
    else:
        out = tmp_path / "report"
        monkeypatch.setattr(report, "REPORT_MIN_FREE", 1 << 60)
        words = [str(out), "MiB free"]
    before = snapshot(tmp_path)
    status, _, err, seconds = cli(capsys, "report", "--out", str(out), "--sample", "0.01")
    assert status == 2
    assert_one_error_line(err, words)
    assert snapshot(tmp_path) == before


# --------------------------------------------------------------------------- silent nonsense


def test_an_infeasible_target_is_said_on_the_console(tmp_path, capsys, monkeypatch):
    # "an infeasible target is recorded only in the manifest"
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "much.yaml"
    path.write_text(
        "description: x\ntargets: {puyang.home_adaptations_2025: {value: 1.0e+9}}\n",
        encoding="utf-8",
    )
    with pytest.warns(UserWarning) as said:  # the CLI prints each as one "warning:" line
        status, _, err, _ = cli(capsys, "run", "--city", "puyang", "--scenario", str(path), *T_ARGS)
    assert status == 0, err
    lines = [str(w.message) for w in said if "home_adaptations_2025" in str(w.message)]
    assert len(lines) == 1, [str(w.message) for w in said]
    assert_words(lines[0], ["puyang", "cannot be met", "infeasible"])


def test_a_target_year_after_the_end_leaves_no_out_folder(tmp_path, capsys, no_compute):
    # "a target year after the run's end leaves an empty --out folder"
    path = tmp_path / "reform.yaml"
    path.write_text(REFORM, encoding="utf-8")
    for argv in (
        ["run", "--city", T_CITY, "--scenario", str(path)],
        ["sweep", "--cities", T_CITY, "--scenarios", str(path)],
    ):
        out = tmp_path / "out"
        status, _, err, seconds = cli(
            capsys, *argv, "--out", str(out), "--sample", "0.01", "--end-year", "2024"
        )
        assert status == 2
        assert_one_error_line(err, ["datong.visit_rate_2025", "2025", "after the run's end 2024"])
        assert not out.exists()


# --------------------------------------------------------------------------- exports


FORMULAS = ['=HYPERLINK("http://x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=1"]


def _planted() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "label": [*FORMULAS, "-5", "+1.5e3", "plain", "a=b"],
            "value": [-3.5, -1.0, 0.0, 2.0, 1e9, -5.0, 3.0, 4.0, -0.25],
            "=cmd": range(9),
        }
    )


def test_csv_export_escapes_formulas_and_keeps_numbers(tmp_path):
    # "a text cell starting with = is written ... as a live formula"
    p = simlib.export.to_csv(_planted(), tmp_path / "t.csv", excel=True)
    back = pd.read_csv(p, encoding="utf-8-sig", keep_default_na=False)
    assert list(back.columns) == ["label", "value", "'=cmd"]
    assert list(back["label"][: len(FORMULAS)]) == ["'" + f for f in FORMULAS]
    assert list(back["label"][len(FORMULAS) :]) == ["-5", "+1.5e3", "plain", "a=b"]
    assert back["value"].tolist() == _planted()["value"].tolist()  # negatives stay numbers
    assert pd.api.types.is_float_dtype(back["value"])


def test_excel_export_writes_no_formula_and_keeps_numbers(tmp_path):
    import openpyxl  # the [excel] extra, part of [dev]

    p = simlib.export.to_excel({"planted": _planted()}, tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(p)["planted"]
    cells = [c for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a live formula"
    labels = [ws.cell(row=r, column=1).value for r in range(2, 11)]
    assert labels[: len(FORMULAS)] == ["'" + f for f in FORMULAS]
    values = [ws.cell(row=r, column=2).value for r in range(2, 11)]
    assert values == _planted()["value"].tolist()
    assert all(isinstance(v, (int, float)) for v in values)


def test_readme_states_the_trust_model_of_a_remote_scheduler():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    at = readme.index("--scheduler")
    near = readme[max(0, at - 1500) : at + 1500]
    assert_words(near, ["pickle", "trust"])

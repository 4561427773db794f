"""docs/extending.md works: a new city and a new process added without touching simlib/.

The toy city's files (tests/fixtures/toyville/) and the toy process
(tests/fixtures/toy_process.py) are added to a copy of params/; the model runs them.
"""

import shutil
import sys
from pathlib import Path

import pytest

from simlib.model import ElderCareModel
from simlib.params import cities, load_city
from simlib.params.tree import default_params_dir
from simlib.population.processes import PROCESSES, schema_of

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
from toy_process import Toy  # noqa: E402


@pytest.fixture(scope="module")
def params(tmp_path_factory):
    dst = tmp_path_factory.mktemp("ext") / "params"
    shutil.copytree(default_params_dir(), dst, ignore=shutil.ignore_patterns("sources"))
    toy = FIXTURES / "toyville"
    for name, rel in (("cities", "cities"), ("services", "services"), ("targets", "targets")):
        shutil.copy(toy / f"{name}.yaml", dst / rel / "toyville.yaml")
    for csv in ("census2020_age_sex.csv", "census2020_counties.csv"):
        with (dst / "population" / csv).open("a", encoding="utf-8") as f:
            f.write((toy / csv).read_text(encoding="utf-8"))
    with (dst / "population" / "health.yaml").open("a", encoding="utf-8") as f:
        f.write((toy / "health.yaml").read_text(encoding="utf-8"))
    return dst


def test_a_new_city_is_found_from_its_files(params):
    assert "toyville" in cities(params)
    schema = schema_of((*PROCESSES, Toy))  # its list reads the toy process's new state
    city = load_city("玩具市", params, schema=schema)  # found by its Chinese name too
    assert city.key == "toyville" and len(city.items) == 2


def test_a_new_process_with_a_new_state_runs_and_its_item_pays(params):
    model = ElderCareModel(
        "toyville",
        params_dir=params,
        processes=(*PROCESSES, Toy),
        sample=0.5,
        rng=3,
        end_year=2026,
    )
    c = model.population.cols
    assert c["toy_flag"].mean() == pytest.approx(0.1, abs=0.02)  # ~15 000 agents: SD 0.003
    model.run()
    out = model.outcomes()
    year = out[(out.year == 2026) & (out.item_id == "toyville.2")]
    cash = year[year.measure == "cash_yuan"].value.sum()
    # by hand: every living toy_flag person aged 60+ gets 100 yuan a month, times take-up
    take = model.inputs.policy(2026).outcomes.take_up_for("care_subsidy", 2026)
    who = c["alive"] & c["toy_flag"] & (c["age"] >= 60)
    assert cash == pytest.approx(1200 * take * float(c["weight"][who].sum()))
    # the declared relative risk raises mortality among the toy state
    dead_toy = 1 - c["alive"][c["toy_flag"]].mean()
    dead_other = 1 - c["alive"][~c["toy_flag"]].mean()
    assert dead_toy > dead_other
    states = model.states()
    assert "toy_flag" in set(states.variable)  # the reporter counts the new state


def test_an_unknown_entry_of_the_new_section_is_refused(params, tmp_path):
    from simlib.core.errors import ParamError

    bad = tmp_path / "params"
    shutil.copytree(params, bad)
    path = bad / "population" / "health.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("toy_onset:", "toy_onsett:"), encoding="utf-8"
    )
    with pytest.raises(ParamError, match="toy_onsett.*did you mean 'toy_onset'"):
        ElderCareModel("toyville", params_dir=bad, processes=(*PROCESSES, Toy), sample=0.1)


def test_a_process_goes_through_run_sweeps_and_the_cli_apart_from_the_default_model(
    params, tmp_path
):
    import simlib
    from simlib.cli import main
    from simlib.experiments.spec import RunSpec
    from simlib.experiments.sweep import identities, load

    kw = {"params_dir": params, "sample": 0.05, "end_year": 2025, "seed": 2}
    serial = simlib.run("toyville", processes=[Toy], **kw)
    assert serial.meta["processes"] == "toy_process:Toy"
    # the same run on worker processes, the process named by its file: the same numbers
    cache = tmp_path / "cache"
    ref = f"{FIXTURES / 'toy_process.py'}:Toy"
    spread = simlib.run("toyville", processes=[ref], cache=cache, backend="processes", **kw)
    assert spread.totals("cash_yuan").value.tolist() == serial.totals("cash_yuan").value.tolist()
    # a default-model run and a toy run of one city share a cache but never a run
    kw = {"params_dir": params, "sample": 0.02, "end_year": 2022, "cache": cache}
    plain = simlib.run("xiaoyi", **kw)
    toy = simlib.run("xiaoyi", processes=[Toy], **kw)
    assert len(load(cache).run_id.unique()) == 3
    # the toy's relative risk of 3 kills more: the two runs differ
    assert toy.totals("pop60").value.iloc[-1] < plain.totals("pop60").value.iloc[-1]
    spec = RunSpec(city="xiaoyi", params_dir=str(params))
    with_toy = RunSpec(city="xiaoyi", params_dir=str(params), processes=("toy_process:Toy",))
    a, b = identities([spec, with_toy])[0]
    assert a != b
    # the command line, run and sweep: written apart from the default model's folder
    common = ["--params-dir", str(params)]
    args = ["--sample", "0.05", "--end-year", "2025", "--process", "toy_process:Toy"]
    assert main([*common, "run", "--city", "toyville", *args, "--out", str(tmp_path / "o")]) == 0
    (folder,) = (tmp_path / "o").iterdir()
    assert folder.name.startswith("toyville_baseline_proc-")
    out = tmp_path / "sw"  # on dask: a worker imports the process by its reference
    assert (
        main(
            [
                *common,
                "sweep",
                "--cities",
                "toyville",
                "--backend",
                "dask",
                "--workers",
                "1",
                *args,
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert set(load(out).processes) == {"toy_process:Toy"}


def test_a_process_reference_that_names_nothing_is_a_clear_error(params, tmp_path, capsys):
    from simlib.cli import main
    from simlib.core.errors import ParamError
    from simlib.population.processes import load_process

    with pytest.raises(ParamError, match="no class 'Tyo'.*did you mean 'Toy'"):
        load_process("toy_process:Tyo")
    with pytest.raises(ParamError, match="cannot import 'no_such_module'"):
        load_process("no_such_module:Toy")
    with pytest.raises(ParamError, match="expected 'module:Class'"):
        load_process("toy_process")
    argv = ["run", "--city", "xiaoyi", "--process", "simlib.core.people:Attribute"]
    assert main([*argv, "--out", str(tmp_path)]) == 2
    assert "not a simlib Process subclass" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())

"""docs/extending.md works: each recipe, followed from fixture files, touches no file in simlib/.

* a city: the toy city's files (tests/fixtures/toyville/) added to a copy of params/;
* a state with its process: tests/fixtures/toy_process.py, through the model, run(), sweeps
  on worker processes and dask, and the command line;
* a benefit kind: tests/fixtures/toy_kind/ (a voucher: a share of a bill, capped) named in a
  params copy's kinds.yaml, through explain, apply_services, the catalogue and its exports,
  the assumption registry, run() on worker processes, totals/readable, harmonised lists and
  the command line;
* a scenario: a reform file anywhere.
"""

import shutil
import sys
from pathlib import Path

import pytest
import yaml

from simlib.model import ElderCareModel
from simlib.params import cities, load_city
from simlib.params.tree import default_params_dir
from simlib.population.processes import PROCESSES, schema_of

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
from toy_process import Toy  # noqa: E402

KIND = FIXTURES / "toy_kind"


@pytest.fixture(scope="module")
def params(tmp_path_factory):
    dst = tmp_path_factory.mktemp("ext") / "params"
    shutil.copytree(default_params_dir(), dst)
    toy = FIXTURES / "toyville"
    shutil.copy(toy / "document.txt", dst / "sources" / "documents" / "toyville.txt")
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
    listed = yaml.safe_load((FIXTURES / "toyville" / "services.yaml").read_text(encoding="utf-8"))
    # its own items (the national programmes, params/programmes/, follow them)
    assert city.key == "toyville" and len(city.services.own_items) == len(listed["items"])


def test_check_refuses_a_cited_document_that_does_not_exist(kind_params, tmp_path):
    from simlib.experiments.check import check_all

    bad = tmp_path / "params"
    shutil.copytree(kind_params, bad)
    (bad / "sources" / "documents" / "xiaoyi.txt").unlink()
    problems = check_all(["xiaoyi"], bad)
    assert any(
        "params/services/xiaoyi.yaml line" in p and "sources/documents/xiaoyi.txt" in p
        for p in problems
    ), problems


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
    assert "Attribute is not a subclass of Process" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


# --------------------------------------------------------------------------- a benefit kind


@pytest.fixture(scope="module")
def kind_params(tmp_path_factory):
    """A params copy whose kinds.yaml names the toy voucher and whose Xiaoyi list gives it."""
    from simlib.core.reader import parse_yaml

    dst = tmp_path_factory.mktemp("kind") / "params"
    shutil.copytree(default_params_dir(), dst)
    (dst / "kinds").mkdir()
    shutil.copy(KIND / "voucher.py", dst / "kinds" / "voucher.py")
    shutil.copy(KIND / "kinds.yaml", dst / "kinds.yaml")
    path = dst / "services" / "xiaoyi.yaml"
    lst = parse_yaml(path.read_text(encoding="utf-8"), "xiaoyi")
    item = parse_yaml((KIND / "item.yaml").read_text(encoding="utf-8"), "item")
    item["number"] = max(it["number"] for it in lst["items"]) + 1
    item["id"] = f"xiaoyi.{item['number']}"
    lst["items"].append(item)
    path.write_text(yaml.safe_dump(lst, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return dst


def _voucher_item(city):
    (item,) = [it for it in city.items if it.name_en.endswith("(toy)")]
    return item


#: By hand (tests/fixtures/toy_kind/item.yaml): 12 × min(0.5 × 400, 150) yuan a year.
VOUCHER_YUAN = 12 * 150


def test_a_new_kind_is_explained_applied_and_catalogued(kind_params, tmp_path):
    import pandas as pd

    import simlib
    from simlib.policy.explain import catalogue
    from simlib.reporting.export import to_csv

    city = load_city("xiaoyi", kind_params)
    item = _voucher_item(city)
    ex = simlib.explain(city, {"age": 92}, 2025)
    row = ex[ex.item_id == item.id].iloc[0]
    assert row.eligible and row.voucher_yuan == VOUCHER_YUAN
    assert "1,800 yuan in vouchers/year" in str(ex)
    assert "1,800 yuan in vouchers/year" in ex._repr_html_()
    people = pd.DataFrame({"person_id": [1, 2], "age": [92, 70]})
    applied = simlib.apply_services(city, people, 2025)
    mine = applied[applied.item_id == item.id]
    assert mine.voucher_yuan.tolist() == [VOUCHER_YUAN, 0]
    assert applied[applied.item_id != item.id].voucher_yuan.eq(0).all()
    cat = catalogue("xiaoyi", params_dir=kind_params).set_index("item_id")
    assert cat.loc[item.id, "voucher"] and cat.voucher.sum() == 1
    assert "voucher 0.5 of 400 yuan" in cat.loc[item.id, "benefit"]
    back = pd.read_csv(to_csv(cat, tmp_path / "catalogue.csv"))
    assert back.set_index("item_id").loc[item.id, "voucher"]
    # a list that does not use the kind shows no column for it
    assert "voucher" not in catalogue("datong").columns


def test_a_new_kinds_assumptions_are_in_the_registry_and_can_be_varied(kind_params):
    from simlib.params import load_inputs
    from simlib.params.assumptions import registry

    item = _voucher_item(load_city("xiaoyi", kind_params))
    key = f"item:{item.id}.voucher[0]"
    row = registry("xiaoyi", kind_params).set_index("key").loc[key]
    assert (row.value, row.low, row.high, row.unit) == (0.5, 0.3, 0.7, "share")
    varied = load_inputs("xiaoyi", params_dir=kind_params, overrides={key: 0.3})
    (c,) = _voucher_item(varied.services).benefit.components
    assert c.yuan_per_year() == pytest.approx(12 * 0.3 * 400)  # 120 a month, under the cap


def test_a_new_kind_runs_on_workers_and_its_measure_is_known(kind_params, tmp_path):
    import simlib

    kw = {"params_dir": kind_params, "sample": 0.05, "end_year": 2026, "seed": 4}
    res = simlib.run("xiaoyi", backend="processes", cache=tmp_path / "runs", **kw)
    item = _voucher_item(res.inputs.services)
    per_item = res.reps[res.reps.item_id == item.id].groupby("measure").value.sum()
    # by hand: each enrolled person (eligible × take-up) is paid the voucher's yearly value
    assert per_item["voucher_yuan"] == pytest.approx(VOUCHER_YUAN * per_item["enrolled"])
    assert per_item["cost_yuan"] == pytest.approx(per_item["voucher_yuan"])
    total = res.totals("voucher_yuan")
    readable = res.readable("voucher_yuan")
    assert readable.unit.eq("万元 (10k yuan)").all()
    assert readable.value.iloc[-1] == pytest.approx(total.value.iloc[-1] / 1e4, abs=0.05)


def test_a_new_kind_joins_harmonised_lists_and_the_cli(kind_params, tmp_path):
    from simlib.cli import main
    from simlib.params import load_inputs

    inputs = load_inputs("datong", "harmonised", params_dir=kind_params)
    (composite,) = [it for it in inputs.services.items if it.family == "service_subsidy"]
    assert any(c.key == "voucher" for c in composite.benefit.components)
    out = tmp_path / "out"
    argv = ["--params-dir", str(kind_params), "run", "--city", "xiaoyi", "--sample", "0.02"]
    assert main([*argv, "--end-year", "2026", "--out", str(out)]) == 0
    assert main(["--params-dir", str(kind_params), "check", "xiaoyi"]) == 0


# --------------------------------------------------------------------------- a scenario


def test_the_scenario_recipe_changes_what_it_says_from_its_year(tmp_path):
    """The reform file of docs/extending.md, read from the doc itself, does what it says."""
    import re

    from simlib.params import load_inputs

    doc = (Path(__file__).parents[1] / "docs" / "extending.md").read_text(encoding="utf-8")
    section = doc.split("## Add a scenario", 1)[1]
    text = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    path = tmp_path / "my_reform.yaml"
    path.write_text(text, encoding="utf-8")
    inputs = load_inputs("datong", path)

    def allowance(year):
        (item,) = [it for it in inputs.policy(year).services.items if it.id == "datong.8"]
        return item.benefit.components[0].yuan

    assert allowance(2026) == 100 and allowance(2030) == 100
    assert allowance(2025) != 100  # the documented amount holds until the reform's year

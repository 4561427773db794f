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

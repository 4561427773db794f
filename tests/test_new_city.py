"""A sixth city from a census prefecture, run from a params directory outside the repository.

Issue #22's done-when for cities: `python -m simlib new-city 太原市` writes the skeleton into a
folder in tmp_path (which becomes an overlay of the bundled params), the test adds a short
list, and the city runs through simlib.run and the CLI with no file under simlib/ or tests/
edited. 太原市 is none of the five cities.
"""

from __future__ import annotations

import textwrap

import pytest

import simlib
from simlib.cli import main
from simlib.core.errors import ParamError
from simlib.params import load_inputs
from simlib.params.census import age_column, county_census
from simlib.params.skeleton import new_city
from simlib.params.tree import read_tree

DOC = """太原市基本养老服务清单（示例，测试用）
1. 高龄津贴：80周岁及以上老年人，每人每月50元。
2. 特困人员护理补贴：60周岁及以上特困人员，每人每月100元。
"""

ITEMS = """\
document:
  file: sources/documents/taiyuan.txt
  title_zh: 太原市基本养老服务清单（测试）
  number_zh: 测试〔2024〕1号
  effective: {value: 2024-01-01, unit: date, source: "sources/documents/taiyuan.txt, title"}
items:
  - id: taiyuan.1
    number: 1
    name_zh: 高龄津贴
    name_en: Old-age allowance
    target_group_zh: 80周岁及以上老年人
    standard_zh: 每人每月50元
    service_type_zh: 物质帮助
    lead_department_zh: [市民政局]
    family: old_age_allowance
    source: "sources/documents/taiyuan.txt, item 1"
    eligibility: {attr: age, min: 80}
    benefit:
      cash:
        - {yuan: 50, per: month}
  - id: taiyuan.2
    number: 2
    name_zh: 特困人员护理补贴
    name_en: Care subsidy for 特困 persons
    target_group_zh: 60周岁及以上特困人员
    standard_zh: 每人每月100元
    service_type_zh: 物质帮助
    lead_department_zh: [市民政局]
    family: care_subsidy
    source: "sources/documents/taiyuan.txt, item 2"
    eligibility:
      all:
        - {attr: age, min: 60}
        - {attr: assistance, in: [tekun]}
    benefit:
      cash:
        - {yuan: 100, per: month}
"""


@pytest.fixture(scope="module")
def overlay(tmp_path_factory):
    """new-city's skeleton in a fresh folder, completed with a two-item list."""
    root = tmp_path_factory.mktemp("outside") / "my_params"
    assert main(["new-city", "太原市", "--key", "taiyuan", "--params-dir", str(root)]) == 0
    services = root / "services" / "taiyuan.yaml"
    skeleton = services.read_text(encoding="utf-8")
    assert "items: []" in skeleton
    services.write_text(skeleton.split("# document:")[0] + textwrap.dedent(ITEMS), encoding="utf-8")
    (root / "sources" / "documents").mkdir(parents=True)
    (root / "sources" / "documents" / "taiyuan.txt").write_text(DOC, encoding="utf-8")
    return root


def test_the_skeleton_has_every_census_county_of_the_prefecture(overlay):
    inputs = load_inputs("taiyuan", params_dir=overlay)
    census = county_census(2020, prefecture="太原市")
    assert sorted(str(c) for c in inputs.context.counties if isinstance(c, int)) == sorted(
        census["区划代码"].dropna()
    )
    assert len(inputs.context.counties) == len(census) == 11  # 10 coded + 1 without a code
    # the census inputs are the county table's: persons 45+ of 太原市, summed here by hand
    # from the table's own age columns
    want = sum(
        int(census[age_column(2020, sex, a)].sum())
        for sex in ("男", "女")
        for a in range(45, 90, 5)
    )
    age_sex, _ = inputs.census.city("taiyuan")
    assert int(age_sex["count"].sum()) == want
    # the bundled cities are unchanged by the overlay
    assert (
        load_inputs("datong", params_dir=overlay)
        .census.city("datong")[0]
        .equals(load_inputs("datong").census.city("datong")[0])
    )


def test_the_overlay_is_part_of_the_params_hash(overlay):
    assert read_tree(overlay).hash != read_tree().hash
    assert "cities/taiyuan.yaml" in read_tree(overlay).digests


@pytest.mark.filterwarnings("ignore:this interval rests on 1 replication")
def test_the_sixth_city_runs_through_simlib_run(overlay):
    r = simlib.run("taiyuan", sample=0.02, reps=1, seed=3, end_year=2025, params_dir=overlay)
    eligible = r.totals("eligible", by=("year", "item_id")).set_index(["year", "item_id"])
    pop80 = r.totals("pop80", by=("year",)).set_index("year")["value"]
    # by hand: item 1 is everyone aged 80+, so its eligible count is the 80+ population
    assert eligible.loc[(2025, "taiyuan.1"), "value"] == pytest.approx(pop80.loc[2025])
    assert eligible.loc[(2025, "taiyuan.2"), "value"] > 0  # some 特困 persons 60+
    cash = r.totals("cash_yuan", by=("year", "item_id")).set_index(["year", "item_id"])
    # at most 50 yuan × 12 months for each eligible person (take-up ≤ 1)
    assert 0 < cash.loc[(2025, "taiyuan.1"), "value"] <= 600 * pop80.loc[2025] * (1 + 1e-9)


def test_the_sixth_city_runs_through_the_cli(overlay, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["--params-dir", str(overlay), "run", "--city", "太原", "--sample", "0.02"]
    assert main([*argv, "--end-year", "2022", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    written = list(out.rglob("*.parquet"))
    assert written, "the run wrote no results"
    assert main(["--params-dir", str(overlay), "check", "taiyuan"]) == 0


def test_new_city_refuses_to_overwrite_and_suggests_names(overlay, tmp_path, capsys):
    before = (overlay / "cities" / "taiyuan.yaml").read_text(encoding="utf-8")
    assert main(["new-city", "太原市", "--key", "taiyuan", "--params-dir", str(overlay)]) == 2
    assert "already has the city 'taiyuan'" in capsys.readouterr().err
    assert (overlay / "cities" / "taiyuan.yaml").read_text(encoding="utf-8") == before
    assert main(["new-city", "太元", "--params-dir", str(tmp_path / "x")]) == 2
    assert "did you mean" in capsys.readouterr().err and not (tmp_path / "x").exists()
    with pytest.raises(ParamError, match="ambiguous"):
        new_city("黄", params_dir=tmp_path / "y")
    with pytest.raises(ParamError, match="lower-case ASCII"):
        new_city("太原市", key="Taiyuan!", params_dir=tmp_path / "y")


def test_a_county_level_city_is_its_own_city(tmp_path):
    # 介休市, a county-level city under 晋中市 (code 140781 in the 2020 census)
    files = new_city("介休市", key="jiexiu", params_dir=tmp_path / "p")
    text = files[1].read_text(encoding="utf-8")
    assert "{code: 140781, name_zh: 介休市" in text and "name_zh: 介休市" in text
    # a city the bundled params already have is refused, even into a new overlay
    with pytest.raises(ParamError, match="already has the city 'xiaoyi'"):
        new_city("孝义市", params_dir=tmp_path / "q")
    assert not (tmp_path / "q").exists()

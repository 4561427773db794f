"""Strict loading: every class of bad params file gives a clear error naming file and key."""

import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

import simlib
from simlib.core.errors import ParamError
from simlib.core.reader import read_yaml
from simlib.params import cities, load_city, load_inputs
from simlib.params.tree import default_params_dir
from simlib.population.processes import Context, ProcessSet

CITIES = cities()
PARAMS_DIR = default_params_dir()


def annex_items(key: str) -> int:
    """Items of a city's annex, as params/sources/documents.yaml records them (annex_items)."""
    docs = read_yaml(PARAMS_DIR / "sources" / "documents.yaml")
    assert key in docs and "annex_items" in docs[key], (
        f"params/sources/documents.yaml: no annex_items for {key} (count the annex's items)"
    )
    return docs[key]["annex_items"]


@pytest.mark.parametrize("key", CITIES)
def test_item_count_equals_annex_and_every_item_is_sourced(key):
    city = load_city(key)
    own = city.services.own_items  # without the programmes (params/programmes/)
    assert len(own) == annex_items(key)
    # numbered 1..n in annex order, so no item is skipped or doubled
    assert [it.number for it in own] == list(range(1, annex_items(key) + 1))
    doc = city.services.document["file"]
    for it in own:
        assert doc in it.source and f"item {it.number}" in it.source, it.id
        assert it.name_zh and it.name_en and it.standard_zh, it.id
        assert it.benefit.quantified or it.benefit.reason, it.id


def _assumption_blocks(node, path=""):
    if isinstance(node, dict):
        if node.get("assumption") is True:
            yield path, node
        for k, v in node.items():
            yield from _assumption_blocks(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _assumption_blocks(v, f"{path}[{i}]")


def test_every_assumption_in_params_has_a_range_and_rationale():
    """Numbers need [low, high]; an assumed reading of a phrase needs alternative variants."""
    files = sorted(p for p in PARAMS_DIR.rglob("*.yaml") if "sources" not in p.parts)
    n = 0
    for f in files:
        for path, block in _assumption_blocks(read_yaml(f)):
            n += 1
            assert block.get("rationale"), f"{f}{path}: assumption without rationale"
            if "variants" in block:  # an assumed reading: its range is the alternatives
                assert len(block["variants"]) >= 2, f"{f}{path}: one reading only"
                continue
            rng = block.get("range")
            assert isinstance(rng, list) and len(rng) == 2 and rng[0] <= rng[1], f"{f}{path}"
    assert n > 20  # the params do rely on assumptions; this test must have seen them


# ------------------------------------------------------------------ bad files, clear errors


@pytest.fixture
def params(tmp_path):
    """A writable copy of the bundled params tree."""
    dst = tmp_path / "params"
    shutil.copytree(PARAMS_DIR, dst)
    return dst


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text not found in {path.name}: {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


JIN = "services/jincheng.yaml"
CASES = [
    # (file, old text, new text, words the error must contain)
    (
        JIN,
        "    name_en: Old-age allowance\n",
        "    name_en: Old-age allowance\n    colour: red\n",
        ["params/services/jincheng.yaml", "jincheng.16", "unknown key", "colour"],
    ),
    (
        JIN,
        "    name_en: Old-age allowance\n",
        "    name_en: Old-age allowance\n    name_en: Longevity allowance\n",
        ["duplicate key", "name_en"],
    ),
    (
        JIN,
        "{yuan: 800, per: year,",
        "{yuan: eight hundred, per: year,",
        ["jincheng.16", "yuan", "expected"],
    ),
    (
        JIN,
        "{yuan: 800, per: year,",
        "{yuan: 800, per: fortnight,",
        ["jincheng.16", "per", "fortnight", "allowed"],
    ),
    (JIN, "{yuan: 800, per: year,", "{yuan: -800, per: year,", ["jincheng.16", "outside [0"]),
    (
        JIN,
        "    eligibility: {attr: age, min: 80}\n",
        "    eligibility: {attr: agee, min: 80}\n",
        ["jincheng.16", "unknown person attribute", "agee", "allowed"],
    ),
    (
        JIN,
        "    eligibility: {attr: age, min: 80}\n",
        "    eligibility: {attr: age, min: 180}\n",
        ["jincheng.16", "outside"],
    ),
    (
        JIN,
        "        - {ref: economic_hardship}\n",
        "        - {ref: poor}\n",
        ["unknown definition", "poor", "economic_hardship"],
    ),
    (
        JIN,
        "        - {attr: assistance, in: [tekun]}\n",
        "        - {attr: assistance, in: [rich]}\n",
        ["assistance", "rich", "dibao"],
    ),
    (
        JIN,
        "of: care_subsidy",
        "of: care_allowance",
        ["unknown standard", "care_allowance", "care_subsidy"],
    ),
    (
        JIN,
        '    source: "sources/documents/jincheng.txt, annex item 16"\n',
        "",
        ["jincheng.16", "missing key", "source"],
    ),
    (JIN, "          range: [1, 4]\n", "", ["jincheng.24", "range"]),
    (
        JIN,
        "id: jincheng.16\n    number: 16",
        "id: jincheng.16\n    number: 61",
        ["expected jincheng.61"],
    ),
    (
        JIN,
        "    eligibility: {attr: age, min: 80}\n",
        "    eligibility: age >= 80\n",
        ["jincheng.16", "mapping"],
    ),
    (
        "cities/jincheng.yaml",
        "    value: 100\n    unit: yuan/month",
        "    value: 100\n    unit: dollars",
        ["care_subsidy", "unit", "yuan/month"],
    ),
    (
        "cities/jincheng.yaml",
        "    value: {urban: 628, rural: 496}\n",
        "    value: {urban: 1628, rural: 496}\n",
        ["dibao", "outside its range"],
    ),
    (
        "cities/jincheng.yaml",
        "      broad: {attr: assistance, in: [dibao_edge, dibao, tekun]}\n",
        "",
        ["economic_hardship", "at least two variants"],
    ),
    (
        "population/health.yaml",
        "value: 0.0561",
        "value: 5.61",
        ["dibao_prevalence_60plus", "outside"],
    ),
    (
        "population/health.yaml",
        "values: {mild: 0.5803,",
        "values: {mild: 0.5225,",
        ["adl_grade_shares", "sum"],
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "words"), CASES, ids=[c[3][-1] for c in CASES])
def test_bad_params_give_clear_errors(params, file, old, new, words):
    path = params / file
    _edit(path, old, new)
    before = {p: p.read_bytes() for p in params.rglob("*") if p.is_file()}
    with pytest.raises(ParamError) as err:
        if file.startswith("population"):
            inputs = load_inputs("jincheng", params_dir=params)
            ProcessSet(Context(inputs.health, inputs.mortality, 0.5, 0.5))
        else:
            load_city("jincheng", params)
    message = str(err.value)
    for w in words:
        assert w in message, f"error {message!r} should mention {w!r}"
    # Loading never writes: the tree is byte for byte as before.
    assert before == {p: p.read_bytes() for p in params.rglob("*") if p.is_file()}


def test_no_eval_of_yaml_tags(params):
    # A YAML tag that would build a Python object is refused by the safe loader.
    _edit(params / JIN, "city: jincheng\n", "city: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(ParamError, match="not valid YAML"):
        load_city("jincheng", params)


def test_unknown_city_lists_the_cities():
    with pytest.raises(ParamError, match="available: changzhi, datong, jincheng"):
        simlib.load_city("taiyuan")


def test_definition_variant_must_exist():
    with pytest.raises(ParamError, match="no variant 'widest'"):
        load_city("jincheng", definition_variants={"economic_hardship": "widest"})


def test_vocabularies_are_flat_mappings():
    for name in ("service_types", "units", "placements", "families", "target_measures"):
        d = yaml.safe_load((PARAMS_DIR / "vocabulary" / f"{name}.yaml").read_text("utf-8"))
        assert d and all(isinstance(v, str) for v in d.values()), name


def test_a_documents_copy_equals_a_deep_copy_and_shares_nothing_mutable():
    import copy
    import datetime

    from simlib.params import read_tree
    from simlib.params.tree import _copy

    doc = {"a": [1, 2.5, {"b": None, "c": [True, "x"]}], "d": datetime.date(2020, 11, 1)}
    got = _copy(doc)
    assert got == copy.deepcopy(doc)
    got["a"][2]["c"].append("changed")  # a caller changing its copy
    assert doc["a"][2]["c"] == [True, "x"]
    # through the tree: a changed copy never reaches the cached document
    tree = read_tree()
    first = tree.yaml("outcomes.yaml")
    first.clear()
    assert tree.yaml("outcomes.yaml")


# ------------------------------------------------------------------ loaders by content


def test_a_remembered_loader_never_gives_one_trees_result_to_other_content():
    from simlib.params import read_tree
    from simlib.params.outcomes import load_outcomes
    from simlib.params.vocabulary import load_vocabulary

    tree = read_tree()
    vocab = load_vocabulary(tree)
    base = load_outcomes(tree, vocab)
    doc = tree.yaml("outcomes.yaml")
    old = doc["travel_minutes"]["value"]
    doc["travel_minutes"]["value"] = old + 1
    changed = tree.with_documents({"outcomes.yaml": doc}, "test")
    got = load_outcomes(changed, vocab)
    assert got.travel_minutes == base.travel_minutes + 1  # the changed document's value
    assert load_outcomes(tree, vocab) is base  # the files' own, given again
    # the same change again (another copy, another tree): the same result
    again = tree.with_documents({"outcomes.yaml": changed.yaml("outcomes.yaml")}, "other")
    assert load_outcomes(again, vocab) is got
    # a change to a document the loader does not read keeps its result
    health = "population/health.yaml"
    other = tree.with_documents({health: tree.yaml(health)}, "h")
    assert load_outcomes(other, vocab) is base


def test_overridden_inputs_equal_those_loaded_without_the_memo(monkeypatch):
    from simlib.experiments.spec import RunSpec
    from simlib.experiments.wiring import inputs_for

    reg = simlib.registry("jincheng").set_index("key")
    keys = ["outcomes:travel_minutes", "health:net_migration"]
    specs = [
        RunSpec(city="jincheng", overrides=((k, float(reg.loc[k, end])),))
        for k in keys
        for end in ("low", "high")
    ]
    fast = [inputs_for(s) for s in specs]
    load_inputs.__globals__["_CACHE"].clear()  # load each again, every loader run in full
    monkeypatch.setenv("SIMLIB_PARAMS_MEMO", "0")
    slow = [inputs_for(s) for s in specs]
    for a, b in zip(fast, slow, strict=True):
        assert a.hash == b.hash
        assert a.health == b.health and a.outcomes == b.outcomes
        assert a.periods == b.periods and a.context == b.context
        assert a.targets == b.targets and a.vocabulary == b.vocabulary
        assert np.array_equal(a.mortality.mx, b.mortality.mx)
        assert a.census.age_sex.equals(b.census.age_sex)
        # read-only without the memo too (tests/test_memo.py: with it), so a caller that
        # changed a result in place fails the same way whichever is set
        with pytest.raises(TypeError, match="read-only"):
            b.outcomes.take_up.clear()
        with pytest.raises(TypeError, match="read-only"):
            b.services.items.append(None)
    # the low and the high end differ where they should
    assert fast[0].outcomes.travel_minutes < fast[1].outcomes.travel_minutes
    assert fast[2].health != fast[3].health and fast[2].outcomes == fast[3].outcomes


def test_a_rewritten_file_is_hashed_again(params):
    import os
    import time

    from simlib.params import read_tree

    f = params / "outcomes.yaml"
    old = time.time() - 60  # settled: its digest is kept by its stat
    os.utime(f, (old, old))
    first = read_tree(params).hash
    assert read_tree(params).hash == first
    f.write_text(f.read_text(encoding="utf-8").replace("0.8", "0.7", 1), encoding="utf-8")
    assert read_tree(params).hash != first

"""The params memo's contract enforced: what a remembered loader gives is read-only.

``params/tree.py: remembered`` hands one loader result to every later caller with the same
content (design points, sweeps, runs), so a caller changing it in place would change every
later run's parameters. These tests change each kind of result in place and expect an error
(or, for pandas tables, which cannot be locked, a change that stays the caller's own); they
pickle the results (sweeps with backend "processes" send them to workers) and deep-copy them
(how a caller takes a copy it may change).
"""

import copy
import dataclasses
import importlib
import json
import pickle

import numpy as np
import pytest

from simlib.params import load_city, load_inputs, read_tree
from simlib.params.readonly import FrozenDict, FrozenList, freeze

CITY = "datong"


def _mod(name):
    return importlib.import_module(f"simlib.params.{name}")


def _loaded():
    """Every kind of remembered result (and the two caches built from them), by name."""
    tree = read_tree()
    voc = _mod("vocabulary")
    vocab = voc.load_vocabulary(tree)
    conventions = voc.load_conventions(tree)
    ctx = _mod("cities").load_context(tree, CITY)
    dated = _mod("dated")
    # a year in which a city standard takes a dated value (the documents _in_force gives)
    in_force = next(
        r
        for y in range(2015, 2036)
        if (r := dated._in_force(tree, y, conventions.in_force_cutoff_month, None))[0]
    )
    return {
        "vocabulary": vocab,
        "conventions": conventions,
        "context": ctx,
        "services": _mod("services").load_services(tree, CITY, ctx, vocab, conventions),
        "outcomes": _mod("outcomes").load_outcomes(tree, vocab),
        "health": _mod("health").load_health(tree),
        "census": _mod("demography").load_census(tree, ctx),
        "mortality": _mod("demography").load_mortality(tree),
        "programme_take_up": _mod("programmes").programme_take_up(tree),
        "in_force": in_force,
        "assumption_rows": _mod("assumptions")._rows(tree, CITY),
        "inputs": load_inputs(CITY),
        "city": load_city(CITY),
    }


def _first(mapping):
    return next(iter(mapping))


# what changing each kind in place tries, and the error it must meet
CHANGES = {
    "vocabulary": [lambda v: v.units.update(x="y"), lambda v: v.families.pop(_first(v.families))],
    "conventions": [lambda c: setattr(c, "in_force_cutoff_month", 1)],
    "context": [
        lambda c: c.standards.clear(),
        lambda c: c.counties[_first(c.counties)].__setitem__("name_zh", "x"),
        lambda c: setattr(c, "standards", {}),
        lambda c: c.definitions[_first(c.definitions)].variants.popitem(),
    ],
    "services": [
        lambda s: s.items.append(s.items[0]),
        lambda s: s.items.sort(key=str),
        lambda s: s.document.__setitem__("title", "x"),
        lambda s: setattr(s, "items", []),
    ],
    "outcomes": [
        lambda o: o.take_up.__setitem__(_first(o.take_up), 0.0),
        lambda o: o.unit_cost.clear(),
        lambda o: o.quota[_first(o.quota)].per_year.clear(),
    ],
    "health": [
        lambda h: h.sections.pop(_first(h.sections)),
        lambda h: next(s for s in h.sections.values() if s.values).values.clear(),
        lambda h: next(s for s in h.sections.values() if s.shares).shares.popitem(),
        lambda h: next(c for s in h.sections.values() for c in s.curves.values()).append((1, 1)),
    ],
    "mortality": [lambda m: m.mx.__setitem__((0, 0, 0), 1.0), lambda m: m.mx.__imul__(2)],
    "programme_take_up": [lambda d: d.__setitem__("x", 0.5)],
    "in_force": [
        lambda r: r[0].clear(),
        lambda r: r[0][_first(r[0])].__setitem__("standards", {}),
        lambda r: r[1].__setitem__("x", "y"),
    ],
    "assumption_rows": [lambda rows: rows.pop(), lambda rows: rows[0].__setitem__("value", 0)],
    "inputs": [
        lambda i: i.outcomes.take_up.__setitem__("x", 1.0),
        lambda i: i.scenario.content.__setitem__("x", 1),
        lambda i: i.context.standards.clear(),
        lambda i: i.services.items.pop(),
        lambda i: i.mortality.mx.fill(0.0),
        lambda i: i.schema.clear(),
    ],
    "city": [lambda c: c.targets.clear(), lambda c: setattr(c, "key", "x")],
}
REFUSED = (TypeError, ValueError, dataclasses.FrozenInstanceError)


@pytest.fixture(scope="module")
def loaded():
    return _loaded()


@pytest.mark.parametrize(
    "kind,i", [(k, i) for k, fs in CHANGES.items() for i in range(len(fs))], ids=str
)
def test_changing_a_remembered_result_in_place_is_refused(loaded, kind, i):
    value = loaded[kind]
    before = pickle.dumps(value)
    with pytest.raises(REFUSED) as err:
        CHANGES[kind][i](value)
    if err.type is TypeError:  # ours: says what was refused and how to change a copy
        assert "read-only" in str(err.value) and "copy" in str(err.value)
    assert pickle.dumps(value) == before  # nothing changed before the refusal
    assert _loaded()[kind] is value  # and the memo gives the same object again


def test_a_census_table_changed_by_a_caller_changes_only_its_own_copy(loaded):
    census = loaded["census"]
    first = census.age_sex["count"].sum()
    table = census.age_sex
    table.loc[table.index[0], "count"] = 10**9  # a caller's change of the table it was given
    table["extra"] = 1
    assert census.age_sex["count"].sum() == first  # the census kept is unchanged
    assert "extra" not in census.age_sex.columns
    assert _loaded()["census"] is census


def test_results_pickle_and_unpickle_equal_and_read_only(loaded):
    for kind, value in loaded.items():
        for protocol in (4, 5):  # multiprocessing's default, and the newest
            back = pickle.loads(pickle.dumps(value, protocol=protocol))
            if kind == "census":
                for name in ("age_sex", "counties", "single_year", "census_day"):
                    a, b = getattr(value, name), getattr(back, name)
                    assert (a is None and b is None) or a.equals(b), name
                continue
            if kind == "mortality":
                assert np.array_equal(back.mx, value.mx) and not back.mx.flags.writeable
                continue
            if kind == "inputs":
                assert back.hash == value.hash
                assert back.periods == value.periods and back.context == value.context
                assert back.health == value.health and back.targets == value.targets
                assert not back.mortality.mx.flags.writeable
            else:
                assert back == value, kind
            for change in CHANGES.get(kind, []):  # still refused in the receiving process
                with pytest.raises(REFUSED):
                    change(back)


def test_a_deep_copy_is_the_callers_own_and_may_be_changed(loaded):
    services = copy.deepcopy(loaded["services"])
    assert services == loaded["services"]
    assert type(services.document) is dict and type(services.items) is list
    services.document["title"] = "changed"  # a dataclass field: dataclasses.replace for those
    ctx = copy.deepcopy(loaded["context"])
    ctx.standards.clear()
    assert loaded["context"].standards  # the original untouched
    rows = copy.deepcopy(loaded["assumption_rows"])
    rows[0]["value"] = -1
    assert loaded["assumption_rows"][0]["value"] != -1


def test_the_read_only_containers_behave_as_dicts_and_lists_otherwise():
    src = {"a": [1, {"b": (2, [3])}], "s": {1, 2}}
    frozen = freeze(src)
    assert type(frozen) is FrozenDict and type(frozen["a"]) is FrozenList
    assert type(frozen["a"][1]["b"][1]) is FrozenList and type(frozen["s"]) is frozenset
    assert frozen == src and frozen["a"] == [1, {"b": (2, [3])}]  # equal to the plain values
    assert json.dumps(frozen["a"]) == json.dumps(src["a"])
    src["a"].append("mine")  # the loader's own objects are not the frozen ones
    assert frozen["a"] == [1, {"b": (2, [3])}]
    assert copy.copy(frozen) is frozen and type(dict(frozen)) is dict and list(frozen["a"])
    with pytest.raises(TypeError, match=r"cannot set 'z'"):
        frozen["z"] = 1
    with pytest.raises(TypeError, match=r"cannot append"):
        frozen["a"].append(1)
    with pytest.raises(TypeError, match=r"cannot extend it with \+="):
        lst = frozen["a"]
        lst += [1]
    with pytest.raises(TypeError, match=r"\|="):
        d = frozen
        d |= {"z": 1}
    assert frozen == {"a": [1, {"b": (2, [3])}], "s": {1, 2}}
    array = np.arange(3.0)
    view = freeze(array)
    assert array.flags.writeable and not view.flags.writeable  # a view: the input is kept
    assert freeze(view) is view


def test_a_document_given_by_a_frozen_result_reads_back_as_a_plain_copy():
    """Dated standards put their documents (a remembered result) into the tree: tree.yaml
    still gives a copy the loader may change."""
    tree = read_tree()
    doc = freeze(tree.yaml("outcomes.yaml"))
    changed = tree.with_documents({"outcomes.yaml": doc}, "test")
    got = changed.yaml("outcomes.yaml")
    assert type(got) is dict and got == doc
    got["price_year"]["value"] = 1  # the caller's own
    assert changed.yaml("outcomes.yaml")["price_year"] == doc["price_year"]


def test_what_the_dynamics_key_hashes_of_the_loaded_values_survives_a_pickle_trip(loaded):
    """A process given pickled inputs pickles their loaded values to the same bytes.

    (The key also hashes the census rows of the city, new tables of their own that pandas
    pickles differently after one trip; sweep workers load their inputs from the spec.)
    """
    from simlib.population.processes import context_for

    inputs = loaded["inputs"]
    ctx = context_for(inputs)
    for protocol in (4, 5):
        back = context_for(pickle.loads(pickle.dumps(inputs, protocol=protocol)))
        for part in ("health", "mortality"):
            assert pickle.dumps(getattr(back, part), 5) == pickle.dumps(getattr(ctx, part), 5)


def test_frozen_values_write_as_plain_yaml():
    import yaml

    plain = {"a": [1, {"b": (2.5, "x")}], "c": None}
    frozen = freeze(copy.deepcopy(plain))
    for dump in (yaml.safe_dump, yaml.dump):
        assert dump(frozen, allow_unicode=True) == dump(plain, allow_unicode=True)

"""The fast paths give the same numbers as the plain ones, bit for bit.

* ``cells`` (evaluate the list once per cell of agents with equal attributes) vs
  ``persons`` (evaluate it on every agent): the same outcome rows;
* numba kernels vs pure numpy (``SIMLIB_ENGINE=numpy``): the same population after every
  step, the same cells, the same state counts, the same outcomes, the same yearly summary;
* the counter-based yearly draws: the same numbers from the numba kernel and numpy, each
  agent's draw independent of how many agents there are;
* the model's DataCollector, which keeps state counts as arrays until read, holds what
  Mesa's own DataCollector holds.
"""

import math

import mesa
import numpy as np
import pandas as pd
import pytest

from simlib.model import ElderCareModel, reporters
from simlib.model import model as model_mod
from simlib.outcomes import cells as cells_mod
from simlib.outcomes import households as households_mod
from simlib.outcomes import ledger as ledger_mod
from simlib.population import streams
from simlib.population.processes import household as household_mod

KEY = ["year", "county", "item_id", "measure"]


def _run(city, scenario="baseline", engine="cells", **kw):
    model = ElderCareModel(
        city,
        scenario,
        sample=kw.get("sample", 0.05),
        rng=kw.get("rng", 2),
        end_year=kw.get("end_year", 2030),
    )
    if engine != "cells":
        model.ledger = ledger_mod.Ledger(model.inputs, model.ledger.counties, engine=engine)
        model.ledger.record(model.population.cols, model.year)
    return model.run()


@pytest.mark.parametrize(
    ("city", "scenario"),
    [("jincheng", "baseline"), ("puyang", "harmonised"), ("datong", "targets_2025")],
)
def test_cells_and_persons_give_the_same_outcomes(city, scenario):
    a = _run(city, scenario, "persons").outcomes().set_index(KEY)["value"]
    b = _run(city, scenario, "cells").outcomes().set_index(KEY)["value"]
    assert a.index.equals(b.index)
    # sums in another order: equal to the last bits of a double
    np.testing.assert_allclose(b.to_numpy(), a.to_numpy(), rtol=1e-12, atol=1e-9)


def test_numba_and_numpy_give_the_same_population_and_outcomes(monkeypatch):
    runs = {}
    for engine in ("numpy", "numba"):
        monkeypatch.setenv("SIMLIB_ENGINE", engine)
        runs[engine] = _run("xiaoyi", sample=0.2, rng=4, end_year=2035)
    a, b = runs["numpy"].population.cols, runs["numba"].population.cols
    assert [k for k in a if not np.array_equal(a[k], b[k])] == []
    pd.testing.assert_frame_equal(runs["numpy"].outcomes(), runs["numba"].outcomes())
    pd.testing.assert_frame_equal(runs["numpy"].states(), runs["numba"].states())
    pd.testing.assert_frame_equal(runs["numpy"].summary(), runs["numba"].summary())


def test_cell_grouping_is_the_same_in_numba_and_numpy(monkeypatch):
    rng = np.random.default_rng(0)
    n = 20_000
    alive = rng.random(n) < 0.9
    age = rng.integers(45, 111, n).astype(np.int16)
    keys = (rng.integers(0, 4, n).astype(np.int8), (rng.random(n) < 0.3).view(np.int8))
    bits = cells_mod.widths([4, 4, 2])
    bands = cells_mod.age_bands(np.array([60, 80], np.int16))
    county = np.sort(rng.integers(0, 3, n)).astype(np.int16)
    # unequal weights: equal sums to the last bit need the same order of additions
    weight = rng.uniform(1.0, 3.0, n).astype(np.float32)
    out = {}
    for engine in ("numpy", "numba"):
        monkeypatch.setenv("SIMLIB_ENGINE", engine)
        out[engine] = cells_mod.group(alive, age, bands, keys, bits, county, weight, 3, 2)
    a, b = out["numpy"], out["numba"]
    assert np.array_equal(a.cid, b.cid) and np.array_equal(a.rep, b.rep)
    assert np.array_equal(a.counts, b.counts)
    # every living agent in one cell; cells × counties sum to the weighted living
    assert (a.cid[alive] >= 0).all() and (a.cid[~alive] == -1).all()
    assert a.counts.sum() == pytest.approx(weight[alive].astype(float).sum())
    assert 20 <= len(a) <= 3 * 4 * 2  # age bands × key values: 24 combinations, most present


def test_one_off_marks_are_the_same_in_numba_and_numpy(monkeypatch):
    rng = np.random.default_rng(1)
    cid = rng.integers(-1, 50, 10_000).astype(np.int32)  # -1: the dead, never marked
    eligible = rng.random(50) < 0.4
    start = (rng.random(10_000) < 0.2).astype(np.int8)
    out = {}
    for engine in ("numpy", "numba"):
        monkeypatch.setenv("SIMLIB_ENGINE", engine)
        out[engine] = start.copy()
        cells_mod.mark(out[engine], eligible, cid)
    assert np.array_equal(out["numpy"], out["numba"])
    living = cid >= 0
    expected = start.astype(bool)
    expected[living] |= eligible[cid[living]]  # worked out directly: marked, or already
    assert np.array_equal(out["numba"].astype(bool), expected)
    assert out["numba"][~living].sum() == start[~living].sum()


def test_state_counts_are_the_same_in_numba_and_numpy(monkeypatch):
    model = ElderCareModel("jincheng", sample=0.05, rng=3, end_year=2022).run()
    monkeypatch.setenv("SIMLIB_ENGINE", "numba")
    a = reporters.state_counts(model)
    monkeypatch.setenv("SIMLIB_ENGINE", "numpy")
    b = reporters.state_counts(model)
    pd.testing.assert_frame_equal(a, b)


def _household_cols(n=9_000, seed=0):
    """Columns with every household case: couples (both, one or none alive, a partner in an
    institution), spouses not modelled, singles, the dead, with and without children."""
    rng = np.random.default_rng(seed)
    spouse = np.full(n, household_mod.NO_SPOUSE, np.int32)
    pairs = rng.permutation(n)[: n // 2].reshape(-1, 2)
    spouse[pairs[:, 0]], spouse[pairs[:, 1]] = pairs[:, 1], pairs[:, 0]
    spouse[rng.random(n) < 0.1] = household_mod.SPOUSE_NOT_MODELLED
    idx = np.arange(n, dtype=np.int32)
    return {
        "alive": rng.random(n) < 0.8,
        "spouse": spouse,
        "household": np.where(spouse >= 0, np.minimum(idx, spouse), idx).astype(np.int32),
        "with_children": rng.random(n) < 0.4,
        "in_institution": rng.random(n) < 0.05,
        "living": rng.integers(0, 3, n).astype(np.int8),
        "age": rng.integers(45, household_mod.AGES.size, n).astype(np.int16),
    }


def test_household_step_and_living_are_the_same_in_numba_and_numpy(monkeypatch):
    process = ElderCareModel("xiaoyi", sample=0.01, rng=1).processes["household"]
    out = {}
    for engine in ("numpy", "numba"):
        monkeypatch.setenv("SIMLIB_ENGINE", engine)
        cols = _household_cols()
        process.step(cols, 2021, np.random.default_rng(9))
        living = _household_cols(seed=1)
        if engine == "numba":
            household_mod._living_kernel()(
                living["alive"],
                living["spouse"],
                living["with_children"],
                living["in_institution"],
                living["living"],
            )
        else:
            household_mod.derive_living(living)
        out[engine] = (cols, living["living"])
    (a, a_living), (b, b_living) = out["numpy"], out["numba"]
    assert [k for k in a if not np.array_equal(a[k], b[k])] == []
    assert np.array_equal(a_living, b_living)
    # the step did something: widowhood, children leaving, moving in
    before = _household_cols()
    assert (a["spouse"] != before["spouse"]).any()
    assert (a["with_children"] != before["with_children"]).any()


@pytest.mark.parametrize("eligible_share", [0.002, 0.3, 1.0])
def test_household_sums_are_the_same_in_numba_and_numpy(monkeypatch, eligible_share):
    """The kernel visits only the households of eligible agents, the numpy twin every agent:
    the same households, amounts (added in the same order: equal to the last bit) and
    one-off marks, whether few, many or all rows are eligible."""
    rng = np.random.default_rng(int(eligible_share * 1000))
    n, rows, n_c = 30_000, 500, 4
    spouse = np.full(n, -1, np.int32)
    pairs = rng.permutation(n)[: n // 2].reshape(-1, 2)  # a third of agents in couples
    spouse[pairs[:, 0]], spouse[pairs[:, 1]] = pairs[:, 1], pairs[:, 0]
    single = spouse == -1
    spouse[single & (rng.random(n) < 0.1)] = -2  # spouse younger than 45, not modelled
    alive = rng.random(n) < 0.85
    spouse[alive & (spouse >= 0) & ~alive[np.maximum(spouse, 0)]] = -1  # widowed
    row = np.where(alive, rng.integers(0, rows, n), -1)
    cols = {
        "spouse": spouse,
        "alive": alive,
        "in_institution": rng.random(n) < 0.03,
        "county": np.sort(rng.integers(0, n_c, n)).astype(np.int16),
        "weight": np.full(n, 2.5, np.float32),
    }
    eligible = rng.random(rows) < eligible_share
    values = rng.random((rows, 2)) * 1000  # not whole numbers: the order of additions shows
    once = np.array([False, True])
    received = (rng.random(n) < 0.2).astype(np.int8)
    out = {}
    for engine in ("numpy", "numba"):
        monkeypatch.setenv("SIMLIB_ENGINE", engine)
        got = received.copy()
        households, sums = households_mod.household_sums(
            row, eligible, values, once, got, cols, n_c
        )
        out[engine] = (households, sums, got)
    for a, b in zip(out["numpy"], out["numba"], strict=True):
        assert np.array_equal(a, b)
    assert out["numba"][0].sum() > 0 and (out["numba"][2] != received).any()


def test_weighted_counts_of_the_living_and_the_dead_are_the_same_in_numba_and_numpy(
    monkeypatch,
):
    model = ElderCareModel("jincheng", sample=0.3, rng=3, end_year=2024).run()
    c = model.population.cols
    # one weight for all (counted × weight in numba), then for the living only, then none
    for change in (None, c["alive"], slice(None, None, 7)):
        if change is not None:
            c["weight"][change] *= np.float32(1.0123)
        got = {}
        for engine in ("numpy", "numba"):
            monkeypatch.setenv("SIMLIB_ENGINE", engine)
            got[engine] = (reporters.n_alive(model), reporters.n_dead(model))
        assert got["numpy"] == got["numba"]
        alive, dead = c["weight"][c["alive"]], c["weight"][~c["alive"]]
        assert got["numba"] == (math.fsum(alive), math.fsum(dead))  # exact sums


def test_the_collector_holds_what_mesas_datacollector_holds(monkeypatch):
    fast = ElderCareModel("xiaoyi", sample=0.05, rng=5, end_year=2024).run()
    monkeypatch.setattr(model_mod, "Collector", mesa.DataCollector)
    plain = ElderCareModel("xiaoyi", sample=0.05, rng=5, end_year=2024).run()
    assert type(plain.datacollector) is mesa.DataCollector
    # the yearly state counts are kept as arrays until read
    assert len(fast.datacollector._pending["states"]) == 5
    pd.testing.assert_frame_equal(
        fast.datacollector.get_model_vars_dataframe(["year", "alive", "cost_yuan"]),
        plain.datacollector.get_model_vars_dataframe()[["year", "alive", "cost_yuan"]],
    )
    assert len(fast.datacollector._pending["states"]) == 5  # not built for those columns
    a, b = fast.datacollector.model_vars, plain.datacollector.model_vars
    assert list(a) == list(b)
    for name in a:
        assert len(a[name]) == len(b[name]) == 5
        if name == "states":
            for x, y in zip(a[name], b[name], strict=True):
                pd.testing.assert_frame_equal(x, y)
        else:
            assert a[name] == b[name], name
    assert fast.datacollector._pending["states"] == []  # built on first read, once
    fast.step()  # collecting again after a read keeps the order
    assert fast.datacollector.model_vars["states"][-1]["year"].iloc[0] == fast.year
    assert len(fast.states()) > 0 and fast.states()["year"].is_monotonic_increasing


def test_a_kernels_inline_draw_is_the_element_of_the_draw_array():
    """The processes' kernels draw inline (agent_uniform), their numpy twins take rows of
    agent_uniforms: agent i's draw must be the same number, in a kernel and in Python."""
    import numba

    keys = streams.draw_keys(np.random.default_rng(12), 2)
    n = 5_001
    arrays = streams.agent_uniforms(keys, n)

    @numba.njit
    def inline(k, n):
        out = np.empty(n, np.float32)
        for i in range(n):
            out[i] = streams.agent_uniform(k, i)
        return out

    streams._uniform_kernel()  # registers the helper with numba, as any kernel does
    for j in range(2):
        assert np.array_equal(inline(keys[j], n), arrays[j])
    with np.errstate(over="ignore"):  # uint64 arithmetic is modulo 2**64 by design
        for i in (0, 1, 4_999):
            assert streams.agent_uniform(keys[1], i) == arrays[1, i]


def test_counter_based_draws_are_the_same_in_numba_and_numpy(monkeypatch):
    keys = streams.draw_keys(np.random.default_rng(11), 3)
    assert keys.dtype == np.uint64 and len(set(keys.tolist())) == 3
    out = {}
    for engine in ("numpy", "numba"):
        monkeypatch.setenv("SIMLIB_ENGINE", engine)
        out[engine] = streams.agent_uniforms(keys, 100_003)
        # agent i's draw depends on its key and i only, not on the number of agents
        assert np.array_equal(streams.agent_uniforms(keys[1:], 17), out[engine][1:, :17])
    a, b = out["numpy"], out["numba"]
    assert a.dtype == np.float32 and a.shape == (3, 100_003)
    assert np.array_equal(a, b)
    # uniform on [0, 1) in steps of 2**-24: mean 1/2 and variance 1/12 within 5 SE, the
    # deciles filled evenly, and the three kinds of draw uncorrelated
    assert a.min() >= 0 and a.max() < 1 and np.all(a * 2**24 == np.floor(a * 2**24))
    n = a.shape[1]
    assert np.abs(a.mean(axis=1) - 0.5).max() < 5 * np.sqrt(1 / 12 / n)
    assert np.abs(a.var(axis=1) - 1 / 12).max() < 5 * np.sqrt(1 / 180 / n)
    deciles = np.stack([np.bincount((row * 10).astype(int), minlength=10) for row in a])
    assert np.abs(deciles - n / 10).max() < 5 * np.sqrt(n * 0.09)
    corr = np.corrcoef(a)[np.triu_indices(3, 1)]
    assert np.abs(corr).max() < 5 / np.sqrt(n)
    # neighbouring agents are not correlated either
    assert abs(np.corrcoef(a[0, :-1], a[0, 1:])[0, 1]) < 5 / np.sqrt(n)

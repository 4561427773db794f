"""The fast paths give the same numbers as the plain ones, bit for bit.

* ``cells`` (evaluate the list once per cell of agents with equal attributes) vs
  ``persons`` (evaluate it on every agent): the same outcome rows;
* numba kernels vs pure numpy (``SIMLIB_ENGINE=numpy``): the same population after every
  step, the same cells, the same state counts, the same outcomes.
"""

import numpy as np
import pandas as pd
import pytest

from simlib.model import ElderCareModel, reporters
from simlib.outcomes import cells as cells_mod
from simlib.outcomes import ledger as ledger_mod

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


def test_cell_grouping_is_the_same_in_numba_and_numpy(monkeypatch):
    rng = np.random.default_rng(0)
    n = 20_000
    alive = rng.random(n) < 0.9
    age = rng.integers(45, 111, n).astype(np.int16)
    keys = (rng.integers(0, 4, n).astype(np.int8), (rng.random(n) < 0.3).view(np.int8))
    bits = cells_mod.widths([4, 4, 2])
    bands = cells_mod.age_bands(np.array([60, 80], np.int16))
    county = np.sort(rng.integers(0, 3, n)).astype(np.int16)
    weight = np.full(n, 2.0, np.float32)
    out = {}
    for engine in ("numpy", "numba"):
        monkeypatch.setenv("SIMLIB_ENGINE", engine)
        out[engine] = cells_mod.group(alive, age, bands, keys, bits, county, weight, 3, 2)
    a, b = out["numpy"], out["numba"]
    assert np.array_equal(a.cid, b.cid) and np.array_equal(a.rep, b.rep)
    assert np.array_equal(a.counts, b.counts)
    # every living agent in one cell; cells × counties sum to the weighted living
    assert (a.cid[alive] >= 0).all() and (a.cid[~alive] == -1).all()
    assert a.counts.sum() == pytest.approx(2.0 * alive.sum())
    assert 20 <= len(a) <= 3 * 4 * 2  # age bands × key values: 24 combinations, most present


def test_state_counts_are_the_same_in_numba_and_numpy(monkeypatch):
    model = ElderCareModel("jincheng", sample=0.05, rng=3, end_year=2022).run()
    monkeypatch.setenv("SIMLIB_ENGINE", "numba")
    a = reporters.state_counts(model)
    monkeypatch.setenv("SIMLIB_ENGINE", "numpy")
    b = reporters.state_counts(model)
    pd.testing.assert_frame_equal(a, b)

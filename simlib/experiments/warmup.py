"""Compile every numba kernel once into numba's on-disk cache, so no run waits for it.

A kernel compiles the first time it runs with a new type signature and is then cached next
to its source (``__pycache__``, or ``NUMBA_CACHE_DIR``). A fresh install has no cache, and
its first full-scale run paid some 12–15 s of CPU compiling. :func:`warmup` runs every code
path once at a tiny sample — a model recording its path and evaluating its list, a list
replayed on the path, and a run through :func:`simlib.run` — so that later runs only load
the compiled kernels (about half a second, numba's import included). ``make`` calls it at
install (``python -m simlib warmup``); a cluster worker on another file system can call it
once at start-up.
"""

from __future__ import annotations

import time


def warmup(city: str = "xiaoyi") -> float:
    """Run every kernel once at a tiny sample; return the CPU seconds it took.

    Args:
        city: City of the tiny runs.

    Returns:
        CPU seconds (most of it compilation when the cache was cold).
    """
    from simlib.core.jit import engine
    from simlib.experiments import trajectories
    from simlib.experiments.run import run
    from simlib.model.model import ElderCareModel
    from simlib.outcomes.trajectory import replay

    start = time.process_time()
    if engine() != "numba":
        return 0.0
    model = ElderCareModel(city, sample=0.005, rng=1, end_year=2026, record=True).run()
    replay(model.trajectory(), model.inputs)
    model.states()
    run(city, reps=1, sample=0.005, seed=1, end_year=2026)
    trajectories.clear_memory()
    return time.process_time() - start

"""Layer 6: experiments — runs, replications, sweeps, sensitivity and uncertainty.

* :mod:`~simlib.experiments.spec` — :class:`RunSpec`, what identifies one run;
* :mod:`~simlib.experiments.run` — the one function that wires a run (:func:`run_one`) and
  :func:`run` with replications;
* :mod:`~simlib.experiments.result` — :class:`Result`: tidy tables with honest intervals,
  paired comparisons, plots;
* :mod:`~simlib.experiments.store` — runs and sweeps on disk (atomic, manifest last);
* :mod:`~simlib.experiments.sweep` — grids on serial / processes / dask, resumable;
* :mod:`~simlib.experiments.sensitivity`, :mod:`~simlib.experiments.uncertainty` — Morris,
  Sobol and parameter-uncertainty intervals over the assumption registry.
"""

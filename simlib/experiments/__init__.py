"""Layer 6: experiments — runs, replications, sweeps, sensitivity and uncertainty.

* :mod:`~simlib.experiments.spec` — :class:`RunSpec`, what identifies one run;
* :mod:`~simlib.experiments.prepare` — the one scenario preparation of every entry point
  (checks, targets → take-up paths, notes, the run's identity);
* :mod:`~simlib.experiments.wiring` — the one function that wires a run (:func:`build_model`);
* :mod:`~simlib.experiments.trajectories` — each dynamics simulated once, its population
  path kept (memory; on disk as raw arrays, memory-mapped when read) and every policy
  evaluated on it;
* :mod:`~simlib.experiments.warmup` — every numba kernel compiled once into the cache (at
  install), so no run waits for compilation;
* :mod:`~simlib.experiments.run` — :func:`run`: replications into a result;
* :mod:`~simlib.experiments.result` — :class:`Result`: tidy tables with honest intervals,
  paired comparisons;
* :mod:`~simlib.experiments.gains` — :func:`who_gains`: gainers, losers and the average gain
  per person, by group, with the same per-replication intervals;
* :mod:`~simlib.experiments.store` — runs on disk (atomic, manifest last), read back;
* :mod:`~simlib.experiments.sweep` — grids on serial / processes / dask, resumable;
* :mod:`~simlib.experiments.target_paths` — alternative targets → the take-up path that meets
  them (target-driven scenarios);
* :mod:`~simlib.experiments.sensitivity` — Morris screening over the assumption registry;
* :mod:`~simlib.experiments.swing` — each outcome parameter's one-at-a-time swing of the
  headline figures over its range (issue #26's 5 % test);
* :mod:`~simlib.experiments.uncertainty` — parameter and Monte-Carlo uncertainty together,
  and Sobol indices;
* :mod:`~simlib.experiments.recipients` — benefit recipients against published administrative
  counts (take-up calibration, notebook 02's administrative validation);
* :mod:`~simlib.experiments.validation` — the population against its sources and published
  statistics;
* :mod:`~simlib.experiments.backcast` — the 2010 census run to 2020 against the 2020 census;
* :mod:`~simlib.experiments.check` — ``simlib check``: everything validated as a run would;
* :mod:`~simlib.experiments.baseline` — the key numbers of the regression baseline.
"""

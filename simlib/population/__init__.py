"""Layer 3 (population): the synthetic population and the processes that age it.

* :mod:`~simlib.population.synthesis` — census → agents, one per resident 45+ (or a sample);
* :mod:`~simlib.population.processes` — the ordered processes (death, ADL, chronic disease,
  assistance, living arrangement, institution, status, ageing), each owning its columns,
  random stream, parameters, base-year draw and yearly step;
* :mod:`~simlib.population.calibration` — the ADL chain calibrated to its prevalence curve;
* :mod:`~simlib.population.mortality` — a city's old-age mortality level from its 2010
  census deaths, and the city's death rates;
* :mod:`~simlib.population.streams` — one seed, independent streams per process and year.
"""

"""Layer 4: outcomes — enrolment, workload, beds and cost per item × county; targets.

* :mod:`~simlib.outcomes.ledger` — the yearly aggregation of a list applied to a population;
* :mod:`~simlib.outcomes.cells` — agents grouped into cells of equal attributes, so the list
  is evaluated once per cell;
* :mod:`~simlib.outcomes.trajectory` — a population path recorded once (fine cells, each
  agent's cell by year) and any list replayed on it with the ledger's numbers;
* :mod:`~simlib.outcomes.households` — household benefits counted once per household;
* :mod:`~simlib.outcomes.quota` — quota items: a yearly capacity allocated to the eligible
  households in a stated order;
* :mod:`~simlib.outcomes.groups` — groups of persons (age group, sex, household …) that
  results can be broken down by;
* :mod:`~simlib.outcomes.measures` — every measure's unit and meaning;
* :mod:`~simlib.outcomes.targets` — projected values of a city's targets and what closing a
  gap takes.
"""

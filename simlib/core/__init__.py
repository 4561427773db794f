"""Layer 0: strict reading, checks and units, and the person table's schema.

Nothing here knows about cities, service lists or the model; every layer above builds on it.

* :mod:`~simlib.core.errors` — ``ParamError``, ``StoreError`` and "did you mean";
* :mod:`~simlib.core.reader` — the one strict reader of YAML and CSV files;
* :mod:`~simlib.core.checks` — keys, types, numbers in their unit's domain, provenance;
* :mod:`~simlib.core.units` — periods, rates and probabilities, unit domains, FTE;
* :mod:`~simlib.core.people` — the person table: attributes, dtypes, labels (zh/en);
* :mod:`~simlib.core.jit` — optional numba kernels and their numpy twins;
* :mod:`~simlib.core.paths` — paths as outputs show them (relative, or under ``~``);
* :mod:`~simlib.core.spreadsheet` — text a spreadsheet would run as a formula, escaped;
* :mod:`~simlib.core.plugins` — classes named by reference (``module:Class``,
  ``file.py:Class``): experimental processes, a params directory's benefit kinds.
"""

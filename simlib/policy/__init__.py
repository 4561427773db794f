"""Layer 3 (policy): a city's service list applied to people.

* :mod:`~simlib.policy.engine` — :func:`apply_services` (who gets what, person × item);
* :mod:`~simlib.policy.explain` — :func:`explain` (one person, item by item, why) and
  :func:`catalogue` (every item of every list).
"""

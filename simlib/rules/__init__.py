"""Layer 1: the rules grammar, benefit kinds, items and lists.

Pure rule objects: nothing here reads a file. :mod:`simlib.params` builds them from YAML.

* :mod:`~simlib.rules.conditions` — eligibility conditions (all/any/not/ref/attr) compiled
  into objects that evaluate a whole person table at once and trace one person;
* :mod:`~simlib.rules.benefits` — one class per benefit kind (cash, in-kind, placement):
  parse, amount, describe, merge, measures and cost, assumption slots;
* :mod:`~simlib.rules.funding` — who pays: an item's cost split by payer (支出责任);
* :mod:`~simlib.rules.items` — items, harmonised composite items, service lists.
"""

"""Benefit kinds a params directory brings: ``params/kinds.yaml``.

The built-in kinds (cash, in-kind, placement) need no file. A params directory whose lists
use another kind names the class that reads it, by reference (a file under the params
directory, so that its code is part of the params hash, or an importable module)::

    # params/kinds.yaml
    kinds:
      - kinds/voucher.py:Voucher      # relative to the params directory
      - mypackage.kinds:LongTermCare  # importable

Loading the services of the tree registers them (:func:`simlib.rules.benefits.register_kind`)
before any list is parsed, in every process that loads the tree (a sweep's workers too).
"""

from __future__ import annotations

from simlib.core.checks import keys
from simlib.core.errors import ParamError
from simlib.core.plugins import load_class
from simlib.params.tree import ParamTree
from simlib.rules.benefits import Component, register_kind

#: The file naming a tree's own benefit kinds (optional).
KINDS_FILE = "kinds.yaml"


def load_kinds(tree: ParamTree) -> tuple[type[Component], ...]:
    """Import and register the benefit kinds ``params/kinds.yaml`` names (none if absent).

    Raises:
        ParamError: On a malformed file, a reference that names no ``Component`` subclass,
            or a kind whose key or measures another kind has.
    """
    if KINDS_FILE not in tree:
        return ()
    where = tree.where(KINDS_FILE)
    d = keys(tree.yaml(KINDS_FILE), where, {"kinds"}, {"note"})
    refs = d["kinds"]
    if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
        raise ParamError(f"{where}.kinds: expected a list of 'file.py:Class' references")
    out = []
    for i, ref in enumerate(refs):
        try:
            home = tree.file(KINDS_FILE).parent
            out.append(register_kind(load_class(ref, Component, "benefit kind", home)))
        except ParamError as err:
            raise ParamError(f"{where}.kinds[{i}]: {err}") from None
    return tuple(out)

"""Read-only loaded parameters: what a remembered loader hands out cannot be changed in place.

:func:`simlib.params.tree.remembered` gives one loader result to every later caller with
the same inputs (every design point, sweep and run), so a caller changing it in place would
change the parameters of every run after it. :func:`freeze` makes a result read-only
before it is kept (and when the memo is off, so both behave alike):

* dicts become :class:`FrozenDict`, lists :class:`FrozenList` (subclasses of ``dict`` and
  ``list``: they compare, iterate, serialise to JSON and pickle like them), sets
  ``frozenset``; changing one raises :class:`TypeError` naming the key or operation;
* numpy arrays become read-only views (``flags.writeable`` False: numpy raises
  ``ValueError: assignment destination is read-only``);
* dataclass instances keep their identity, their fields frozen in place (the frozen
  dataclasses refuse assignment themselves);
* tuples are rebuilt only if something in them changed; anything else (scalars, dates,
  functions, pandas tables) is left as it is. A pandas table cannot be locked:
  :class:`~simlib.params.demography.Census` hands out copy-on-write copies of its tables
  instead, so a caller's change stays its own.

A pickled result unpickles read-only (sweeps send inputs to worker processes): the
containers pickle as themselves, numpy keeps the flag with pickle protocol 5, and
:class:`~simlib.params.demography.Mortality` sets it again whatever the protocol. A
:func:`copy.deepcopy` of a result is the caller's own, mutable copy (plain dicts and lists,
writeable arrays inside; the frozen dataclasses stay frozen and the mortality table
read-only: change those with :func:`dataclasses.replace`); that is how a caller that must
change a loaded value takes it (:func:`thaw`). YAML writes the containers as the plain
mapping and list they stand for.

The cost: a walk over what a loader built, once per result kept (about 0.5 ms of CPU for
a city's service list of ~1,100 objects; over Datong's 218 one-at-a-time design points,
0.9 ms of a point's ~16 ms of loading, measured inside :func:`freeze` on a busy machine).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import weakref
from typing import Any, NoReturn

import numpy as np
import yaml

#: Types whose values cannot be changed in place (nothing in them to freeze).
_ATOMS = frozenset(
    {str, int, float, bool, complex, bytes, type(None), dt.date, dt.datetime, frozenset, range}
)


def _refuse(what: str, detail: str) -> NoReturn:
    raise TypeError(
        f"{what} of loaded parameters is read-only ({detail}): the loaders remember their "
        "results and give the same object to every later caller; change a copy "
        "(copy.deepcopy, dict(...), list(...), dataclasses.replace)"
    )


def _refusing(what: str, op: str):
    """A method that refuses to ``op`` (named in its error)."""

    def refuse(self, *args, **kwargs) -> NoReturn:
        _refuse(what, f"cannot {op}")

    refuse.__name__ = op
    return refuse


class FrozenDict(dict):
    """A ``dict`` that refuses every change (``TypeError`` naming the key)."""

    __slots__ = ()

    def __setitem__(self, key, value) -> NoReturn:
        _refuse("a mapping", f"cannot set {key!r}")

    def __delitem__(self, key) -> NoReturn:
        _refuse("a mapping", f"cannot delete {key!r}")

    def __ior__(self, other) -> NoReturn:
        _refuse("a mapping", "cannot update it with |=")

    update = _refusing("a mapping", "update")
    pop = _refusing("a mapping", "pop")
    popitem = _refusing("a mapping", "popitem")
    clear = _refusing("a mapping", "clear")
    setdefault = _refusing("a mapping", "setdefault")

    def __reduce__(self):
        return (type(self), (dict(self),))

    def __deepcopy__(self, memo) -> dict:
        return {copy.deepcopy(k, memo): copy.deepcopy(v, memo) for k, v in self.items()}

    def __copy__(self) -> FrozenDict:
        return self


class FrozenList(list):
    """A ``list`` that refuses every change (``TypeError`` naming the operation)."""

    __slots__ = ()

    def __setitem__(self, index, value) -> NoReturn:
        _refuse("a list", f"cannot set item {index!r}")

    def __delitem__(self, index) -> NoReturn:
        _refuse("a list", f"cannot delete item {index!r}")

    def __iadd__(self, other) -> NoReturn:
        _refuse("a list", "cannot extend it with +=")

    def __imul__(self, other) -> NoReturn:
        _refuse("a list", "cannot repeat it with *=")

    append = _refusing("a list", "append")
    extend = _refusing("a list", "extend")
    insert = _refusing("a list", "insert")
    pop = _refusing("a list", "pop")
    remove = _refusing("a list", "remove")
    clear = _refusing("a list", "clear")
    sort = _refusing("a list", "sort")
    reverse = _refusing("a list", "reverse")

    def __reduce__(self):
        return (type(self), (list(self),))

    def __deepcopy__(self, memo) -> list:
        return [copy.deepcopy(v, memo) for v in self]

    def __copy__(self) -> FrozenList:
        return self


# YAML writes them as the plain mapping and list they stand for (a scenario built from
# loaded values, a manifest), with every dumper, safe or not
for _name in ("SafeDumper", "Dumper", "CSafeDumper", "CDumper"):
    if hasattr(yaml, _name):
        getattr(yaml, _name).add_representer(
            FrozenDict, yaml.representer.SafeRepresenter.represent_dict
        )
        getattr(yaml, _name).add_representer(
            FrozenList, yaml.representer.SafeRepresenter.represent_list
        )


def freeze(obj: Any) -> Any:
    """``obj`` made read-only (see the module docstring); dataclasses are frozen in place.

    Args:
        obj: A loader's result.

    Returns:
        The read-only result: ``obj`` itself where nothing in it could change.
    """
    out = _freeze(obj, {})
    if _fields(type(out)):
        try:  # a later result holding this one (inputs hold the lists) skips its walk
            _DONE[id(out)] = out
        except TypeError:  # no weak reference to it (slots)
            pass
    return out


#: Dataclass results :func:`freeze` made read-only, by id (held weakly: a copy, or a new
#: object at a reused id, is not in it).
_DONE: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()


#: Field names per class; () for a class that is not a dataclass (left as it is).
_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(t: type) -> tuple[str, ...]:
    names = _FIELDS.get(t)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(t)) if dataclasses.is_dataclass(t) else ()
        _FIELDS[t] = names
    return names


def _freeze(obj: Any, seen: dict[int, tuple[Any, Any]]) -> Any:
    # seen: id → (object, its frozen form); holding the object keeps its id from being reused.
    # Atoms are tested before each call: most values are, and a call costs more than the test.
    t = type(obj)
    if t in _ATOMS or t is FrozenDict or t is FrozenList:
        return obj
    key = id(obj)
    if key in seen:
        return seen[key][1]
    if t is dict:
        out: Any = FrozenDict(
            {k: v if type(v) in _ATOMS else _freeze(v, seen) for k, v in obj.items()}
        )
    elif t is list:
        out = FrozenList([v if type(v) in _ATOMS else _freeze(v, seen) for v in obj])
    elif t is tuple:
        out = obj
        for v in obj:
            if type(v) not in _ATOMS and _freeze(v, seen) is not v:
                out = tuple(_freeze(w, seen) for w in obj)  # seen: each frozen once
                break
    elif t is set:
        out = frozenset(obj)
    elif t is np.ndarray:
        if obj.flags.writeable:
            out = obj.view()
            out.flags.writeable = False
        else:
            out = obj
    else:
        names = _fields(t)
        if not names or _DONE.get(key) is obj:
            return obj  # not a dataclass (scalars, paths, functions, tables), or done
        seen[key] = (obj, obj)  # before its fields: a field may lead back to it
        for name in names:
            value = getattr(obj, name, None)
            if type(value) in _ATOMS:
                continue
            new = _freeze(value, seen)
            if new is not value:
                object.__setattr__(obj, name, new)
        return obj
    seen[key] = (obj, out)
    return out


def thaw(obj: Any) -> Any:
    """A mutable deep copy of a frozen value (plain dicts and lists, writeable arrays)."""
    return copy.deepcopy(obj)


__all__ = ["FrozenDict", "FrozenList", "freeze", "thaw"]

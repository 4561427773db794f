"""The errors simlib raises on bad input, and a "did you mean" helper for their messages."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ParamError(ValueError):
    """Bad input: a params file, a scenario, an argument. The message names where and what.

    The command line turns it into a one-line message and exit status 2.
    """


class ParamTypeError(ParamError, TypeError):
    """An argument or value of the wrong type (also a :class:`TypeError`)."""


def did_you_mean(value: object, choices: Iterable[object]) -> str:
    """A suffix naming the closest allowed choice, or the empty string.

    Args:
        value: What was given.
        choices: What is allowed.

    Returns:
        ``"; did you mean 'x'?"`` when a close match exists, else ``""``.
    """
    names = [str(c) for c in choices]
    close = difflib.get_close_matches(str(value), names, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def unknown(what: str, value: object, choices: Iterable[object]) -> ParamError:
    """A :class:`ParamError` for a value outside a closed set, listing the set.

    Args:
        what: What the value is (``"city"``, ``"measure"``).
        value: What was given.
        choices: What is allowed.

    Returns:
        The error (to be raised by the caller).
    """
    choices = list(choices)
    return ParamError(
        f"unknown {what} {value!r}{did_you_mean(value, choices)} "
        f"(allowed: {', '.join(map(str, choices)) or 'none'})"
    )


def checked_arguments(func):
    """Decorate a public function so a misspelt or surplus argument says what was meant.

    ``run("datong", samples=0.1)`` raises :class:`ParamTypeError` "run(): no argument
    'samples'; did you mean 'sample'? (arguments: …)" instead of Python's bare TypeError.
    The signature and docstring are kept (``functools.wraps``).
    """
    import functools
    import inspect

    sig = inspect.signature(func)
    names = [p for p in sig.parameters if p != "self"]
    label = func.__qualname__.replace(".__init__", "")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            sig.bind(*args, **kwargs)
        except TypeError as err:
            bad = next((k for k in kwargs if k not in sig.parameters), None)
            if bad is not None:
                raise ParamTypeError(
                    f"{label}(): no argument {bad!r}{did_you_mean(bad, names)} "
                    f"(arguments: {', '.join(names)})"
                ) from None
            raise ParamTypeError(f"{label}(): {err} (arguments: {', '.join(names)})") from None
        return func(*args, **kwargs)

    return wrapper


class StoreError(ParamError):
    """A store (an output folder, a run or a sweep) cannot be written, or read back as recorded.

    A full disk, a damaged or missing file, a partial result: the message names the folder,
    the file and the run. The command line turns it into one line (exit status 2).
    """


def write_error(where: object, what: str, err: OSError) -> StoreError:
    """A one-line :class:`StoreError` for an ``OSError`` raised while writing ``what``.

    Args:
        where: The output folder.
        what: What was being written (``"run 3f2a…"``, ``"the report"``).
        err: The error.

    Returns:
        The error (to be raised by the caller, ``from None``).
    """
    import errno

    why = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is exceeded",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
    }.get(err.errno, err.strerror or str(err))
    return StoreError(f"{where}: cannot write {what}: {why}; nothing half-written was kept")

"""Compiled kernels, optional: numba when installed, a pure-numpy path otherwise.

The yearly step's hot loops (the processes' steps, the yearly draws, grouping agents into
cells, household sums, counting states) have a numba kernel and a pure-numpy implementation
that the tests compare with it. :func:`engine` says
which one runs: ``numba`` by default when it is installed, ``numpy`` when it is not or when
the environment sets ``SIMLIB_ENGINE=numpy``. numba is imported only when a kernel is first
used, so ``import simlib`` stays fast.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable


def engine() -> str:
    """``numba`` (default, when installed) or ``numpy`` (``SIMLIB_ENGINE=numpy``)."""
    if os.environ.get("SIMLIB_ENGINE", "numba") == "numpy":
        return "numpy"
    try:
        import numba  # noqa: F401
    except ImportError:
        return "numpy"
    return "numba"


#: Scalar helpers kernels may call (:func:`inlined`), registered with numba on first compile.
_HELPERS: list[Callable] = []


def inlined(fn: Callable) -> Callable:
    """Decorator: a scalar helper that kernels call and numba compiles into them.

    ``fn`` stays a plain Python function (numpy code may call it too); before the first
    kernel compiles, it is registered with ``numba.extending.register_jitable``. numba's disk
    cache keys a kernel on its own source file only: after changing a helper, delete the
    ``__pycache__/*.nbi`` and ``*.nbc`` files of the kernels that call it.
    """
    _HELPERS.append(fn)
    return fn


def _register_helpers() -> None:
    """Register the helpers not yet registered (each once: numba keeps every registration)."""
    global _N_REGISTERED
    if _N_REGISTERED == len(_HELPERS):
        return
    from numba.extending import register_jitable

    for fn in _HELPERS[_N_REGISTERED:]:
        register_jitable(fn)
    _N_REGISTERED = len(_HELPERS)


#: How many of :data:`_HELPERS` are registered with numba (helpers only ever get appended).
_N_REGISTERED = 0


def kernel(fn: Callable) -> Callable[[], Callable]:
    """Decorator: a function returning ``fn`` compiled with numba (once, cached on disk).

    Use as ``@kernel`` on a plain-Python loop function; call ``name()(args)`` to run it.
    """

    @functools.cache
    def compiled():
        import numba

        _register_helpers()
        return numba.njit(cache=True, nogil=True)(fn)

    return compiled

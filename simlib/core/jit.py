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


def kernel(fn: Callable) -> Callable[[], Callable]:
    """Decorator: a function returning ``fn`` compiled with numba (once, cached on disk).

    Use as ``@kernel`` on a plain-Python loop function; call ``name()(args)`` to run it.
    """

    @functools.cache
    def compiled():
        import numba

        return numba.njit(cache=True, nogil=True)(fn)

    return compiled

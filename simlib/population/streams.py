"""One seed, many independent random streams: one per process and year.

``Streams(seed).get("death", 2021)`` is the same generator in every run with the same seed,
whatever else the run did, and independent of every other (process, year). A process's
stream is keyed by a hash of its name, not by its position in the process list, so adding a
process leaves every other stream unchanged. Replication ``r`` of seed ``s`` is
``SeedSequence(s, spawn_key=(r,))``; two runs with the same seed and replication share common
random numbers whatever their policy.
"""

from __future__ import annotations

import zlib

import numpy as np

from simlib.core.errors import ParamTypeError

#: Spawn-key slot of the base-year draws (simulated years are ≥ 2020).
BASE_DRAW = 0


def seed_sequence(rng: int | np.random.Generator | np.random.SeedSequence | None):
    """Turn a model's ``rng`` argument into the SeedSequence all streams derive from.

    Args:
        rng: An integer seed, a numpy Generator (its seed sequence is used), a
            SeedSequence, or None (fresh entropy; read it back from ``.entropy``).

    Returns:
        The root :class:`numpy.random.SeedSequence`.

    Raises:
        ParamTypeError: For anything else.
    """
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        ss = rng.bit_generator.seed_seq
        if not isinstance(ss, np.random.SeedSequence):
            raise ParamTypeError("rng: the Generator must be built from a SeedSequence")
        return ss
    if rng is not None and (not isinstance(rng, (int, np.integer)) or isinstance(rng, bool)):
        raise ParamTypeError(f"rng must be an int seed, a numpy Generator or None, got {rng!r}")
    if rng is not None and rng < 0:
        raise ParamTypeError(f"rng: a seed must be ≥ 0, got {rng}")
    return np.random.SeedSequence(rng)


def rep_seed(seed: int, rep: int) -> np.random.SeedSequence:
    """The seed sequence of replication ``rep`` of ``seed`` (independent across reps)."""
    return np.random.SeedSequence(seed, spawn_key=(rep,))


class Streams:
    """Independent random streams per (process, year) from one seed."""

    def __init__(self, seed: int | np.random.SeedSequence | None):
        self.root = (
            seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        )

    def get(self, name: str, year: int) -> np.random.Generator:
        """Generator of process ``name`` for simulated year ``year`` (or :data:`BASE_DRAW`)."""
        key = (*self.root.spawn_key, zlib.crc32(name.encode()), year)
        return np.random.default_rng(np.random.SeedSequence(self.root.entropy, spawn_key=key))

    def base(self, name: str) -> np.random.Generator:
        """Generator of process ``name``'s base-year draws."""
        return self.get(name, BASE_DRAW)

"""One seed, many independent random streams: one per process and year.

``Streams(seed).get("death", 2021)`` is the same generator in every run with the same seed,
whatever else the run did, and independent of every other (process, year). A process's
stream is keyed by a hash of its name, not by its position in the process list, so adding a
process leaves every other stream unchanged. Replication ``r`` of seed ``s`` is
``SeedSequence(s, spawn_key=(r,))``; two runs with the same seed and replication share common
random numbers whatever their policy.

The yearly per-agent draws are *counter-based* (:func:`agent_uniforms`): a process takes one
64-bit key per kind of draw from its (process, year) generator, and agent ``i``'s draw is a
hash of (key, ``i``), the SplitMix64 output function. An agent's draw thus depends only on
the seed, the replication, the process, the year, the kind of draw and the agent's index,
never on how many agents there are or who died. The hash is computed by a numba kernel or by
its numpy twin, which give the same numbers bit for bit. The kernel takes about a quarter of
the time of numpy's float32 ``Generator.random`` (0.6 against 2.4 ms per 1.5 million draws);
the numpy twin about three times as long. The processes' numba kernels do not use the array:
they compute each draw inline (:func:`agent_uniform`) for the agents that use it.
"""

from __future__ import annotations

import zlib

import numpy as np

from simlib.core.errors import ParamTypeError
from simlib.core.jit import engine, inlined, kernel

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


#: SplitMix64 (Steele, Lea and Flood 2014, as in Java's ``SplittableRandom``): the counter's
#: increment (odd: the golden ratio × 2**64) and the two multipliers of the output function.
GAMMA = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)
#: 2**-24: a float32 uniform keeps the top 24 bits of the hash, as numpy's float32 draws do.
_TO_UNIT = np.float32(2.0**-24)
#: Agents per chunk of the numpy twin.
_CHUNK = 1 << 16


def draw_keys(rng: np.random.Generator, k: int) -> np.ndarray:
    """``k`` 64-bit keys from a (process, year) generator, one per kind of draw.

    Args:
        rng: The process's generator for the year (:meth:`Streams.get`).
        k: Number of kinds of draw.

    Returns:
        uint64 array of ``k`` keys.
    """
    return rng.integers(0, np.iinfo(np.uint64).max, size=k, dtype=np.uint64, endpoint=True)


def agent_uniforms(keys: np.ndarray, n: int) -> np.ndarray:
    """Uniform [0, 1) draws per key and agent, counter-based (see the module docstring).

    Draw ``i`` of key ``k`` is ``(mix(k + (i + 1) · GAMMA) >> 40) · 2**-24`` in float32,
    ``mix`` being SplitMix64's output function: 24 random bits, as numpy's float32 draws.

    Args:
        keys: uint64 keys (:func:`draw_keys`).
        n: Number of agents.

    Returns:
        float32 array ``[keys, agents]``; each row is contiguous.
    """
    keys = np.asarray(keys, dtype=np.uint64)
    out = np.empty((keys.size, n), np.float32)
    if engine() == "numba":
        _uniform_kernel()(keys, out)
        return out
    for start in range(0, n, _CHUNK):  # in chunks that stay in cache
        stop = min(start + _CHUNK, n)
        counter = np.arange(start + 1, stop + 1, dtype=np.uint64) * GAMMA  # modulo 2**64
        tmp = np.empty_like(counter)
        for j, key in enumerate(keys):
            z = counter + key
            np.right_shift(z, np.uint64(30), out=tmp)
            z ^= tmp
            z *= MIX1
            np.right_shift(z, np.uint64(27), out=tmp)
            z ^= tmp
            z *= MIX2
            np.right_shift(z, np.uint64(31), out=tmp)
            z ^= tmp
            z >>= np.uint64(40)
            np.multiply(z, _TO_UNIT, out=out[j, start:stop], casting="unsafe")
    return out


@inlined
def agent_uniform(key, i):
    """Agent ``i``'s draw of ``key``: one element of :func:`agent_uniforms`, as a scalar.

    The processes' numba kernels call it inline, only for the agents and kinds of draw they
    use (the living; the grade at onset only for those with an onset), instead of reading a
    precomputed ``[keys, agents]`` array; their numpy twins use :func:`agent_uniforms`.
    Called from plain Python it gives the same number, and numpy warns of the uint64
    overflow, which is intended (the arithmetic is modulo 2**64).

    Args:
        key: A uint64 key (:func:`draw_keys`).
        i: Agent index (≥ 0).

    Returns:
        float32 in [0, 1).
    """
    z = key + np.uint64(i + 1) * GAMMA
    z = (z ^ (z >> np.uint64(30))) * MIX1
    z = (z ^ (z >> np.uint64(27))) * MIX2
    z = z ^ (z >> np.uint64(31))
    # < 2**24: exact in int64 and in float32 (a signed conversion is the fast one)
    return np.float32(np.int64(z >> np.uint64(40))) * _TO_UNIT


@kernel
def _uniform_kernel(keys, out):
    for j in range(keys.shape[0]):
        key = keys[j]
        row = out[j]
        for i in range(row.shape[0]):
            row[i] = agent_uniform(key, i)

"""Cells: living agents grouped by the attributes a service list reads.

A list's rules read a couple of dozen categorical attributes, and its age conditions compare
with a few thresholds; the number of distinct combinations among a city's living agents (some
10–60 thousand) is far smaller than the number of agents (up to 1.5 million). :func:`group`
assigns each living agent to its *cell* — its combination of key attributes (age reduced to
the band between thresholds) — and sums the agents' weights per cell and county. The list is
then evaluated once per cell, and each amount aggregated per county by one small
matrix-vector product with the cell × county counts.

Two implementations give the same cells: a numba kernel (one pass over blocks of agents:
the block's keys built one key column at a time, then an open-addressing hash table and the
counts) and a pure-numpy one (``np.unique``) that the tests compare it with. Set
``SIMLIB_ENGINE=numpy`` to use the latter everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simlib.core.jit import engine, inlined, kernel


@dataclass
class Cells:
    """Living agents grouped into cells.

    Attributes:
        cid: Cell of each agent (−1 for the dead), int32.
        rep: One agent index per cell (its representative).
        counts: Weighted persons per cell × county, float64 ``[cells, counties]``.
    """

    cid: np.ndarray
    rep: np.ndarray
    counts: np.ndarray

    def __len__(self) -> int:
        return len(self.rep)

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Per-county sums of a per-cell value (weighted persons × value)."""
        return np.asarray(values, dtype=np.float64) @ self.counts


def key_columns(cols: dict[str, np.ndarray], names: list[str]):
    """The key columns as int8 arrays (booleans viewed as int8, no copy)."""
    out = []
    for n in names:
        c = cols[n]
        out.append(c.view(np.int8) if c.dtype == np.bool_ else c.astype(np.int8, copy=False))
    return tuple(out)


def age_bands(age_edges: np.ndarray, max_age: int = 120) -> np.ndarray:
    """Lookup table: single year of age → band between consecutive edges (int8)."""
    return np.searchsorted(age_edges, np.arange(max_age + 1), side="right").astype(np.int8)


def widths(cardinalities: list[int]) -> np.ndarray:
    """Bits each key column needs (at least 1), checked to fit a 64-bit key."""
    w = np.array([max(1, int(np.ceil(np.log2(max(c, 2))))) for c in cardinalities], np.int64)
    if w.sum() > 62:
        raise ValueError(f"the cell key needs {w.sum()} bits; at most 62 fit")
    return w


def group(
    alive: np.ndarray,
    age: np.ndarray,
    bands: np.ndarray,
    keys: tuple[np.ndarray, ...],
    bits: np.ndarray,
    county: np.ndarray,
    weight: np.ndarray,
    n_counties: int,
    table_bits: int = 16,
) -> Cells:
    """Group living agents into cells of equal key columns and sum weights per county.

    Args:
        alive: Which agents are alive.
        age: Age per agent (years).
        bands: Age band of each single year of age (:func:`age_bands`): the first key column.
        keys: int8 key columns (values below ``2 ** bits``).
        bits: Bits of the age band and of each key column (:func:`widths`).
        county: County index per agent (int16).
        weight: Persons per agent.
        n_counties: Number of counties.
        table_bits: Initial hash-table size, in bits (enlarged until the cells fit at most
            half full).

    Returns:
        The :class:`Cells`; cells are numbered in order of first appearance.
    """
    if engine() == "numpy":
        band_col = bands[np.minimum(age, bands.size - 1)]
        return _group_numpy(alive, (band_col, *keys), bits, county, weight, n_counties)
    run = _group_kernel()
    while True:
        cid, rep, counts, ok = run(
            alive, age, bands, keys, bits, county, weight, n_counties, table_bits
        )
        if ok:
            return Cells(cid, rep, counts)
        table_bits += 2


def pack(keys: tuple[np.ndarray, ...], bits: np.ndarray) -> np.ndarray:
    """The 64-bit key of every agent (numpy)."""
    key = np.zeros(len(keys[0]), np.int64)
    for col, b in zip(keys, bits, strict=True):
        key <<= int(b)
        key |= col.astype(np.int64)
    return key


def _group_numpy(alive, keys, bits, county, weight, n_counties) -> Cells:
    idx = np.flatnonzero(alive)
    key = pack(keys, bits)[idx]
    uniq, first, inv = np.unique(key, return_index=True, return_inverse=True)
    # number cells in order of first appearance, as the numba kernel does
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    cell = rank[inv]
    cid = np.full(alive.size, -1, np.int32)
    cid[idx] = cell
    counts = np.zeros((uniq.size, n_counties))
    np.add.at(counts, (cell, county[idx].astype(np.intp)), weight[idx].astype(np.float64))
    return Cells(cid, idx[first[order]], counts)


#: Agents per block of the grouping kernel: the block's keys (8 bytes each) stay in L1.
BLOCK = 4096


@inlined
def probe(table_key, table_id, k, u, shift, mask):
    """The cell of key ``k`` in an open-addressing table, inserted as cell ``u`` if absent.

    The grouping kernels' one hash table (here and in :mod:`simlib.outcomes.trajectory`):
    Fibonacci hashing (``k`` × 2**64 / φ, the top bits), linear probing, ``-1`` marking an
    empty slot. The caller keeps the table at most half full.

    Args:
        table_key: Keys by slot (int64, ``-1`` empty), ``mask + 1`` slots.
        table_id: Cell numbers by slot (int32).
        k: The packed key (non-negative int64).
        u: The number a new cell gets (the cells found so far).
        shift: 64 minus the table's bits (uint64).
        mask: Slots minus 1.

    Returns:
        ``(cell, new)``: the key's cell number (int32) and whether it was inserted.
    """
    h = np.int64((np.uint64(k) * np.uint64(0x9E3779B97F4A7C15)) >> shift)
    while True:
        tk = table_key[h]
        if tk == k:
            return table_id[h], False
        if tk == -1:
            table_key[h] = k
            table_id[h] = u
            return np.int32(u), True
        h = (h + 1) & mask


@inlined
def block_keys(buf, age, bands, keys, widths, start, m):
    """The packed keys of agents ``start`` to ``start + m``, written into ``buf``.

    The grouping kernels' first pass over a block of agents (here and for a trajectory's
    fine cells, :mod:`simlib.outcomes.trajectory`): the age band, then each key column
    shifted in, one column at a time, a tight loop over contiguous int8 that LLVM
    vectorises (building each agent's key by iterating over the tuple of columns per agent
    was 2-3 times slower).
    """
    top = bands.shape[0] - 1
    block_age = age[start : start + m]
    for t in range(m):
        buf[t] = bands[min(block_age[t], top)]
    j = 1
    for col in keys:
        w = widths[j]
        block_col = col[start : start + m]
        for t in range(m):
            buf[t] = (buf[t] << w) | np.int64(block_col[t])
        j += 1


@kernel
def _group_kernel(alive, age, bands, keys, widths, county, weight, n_c, bits):
    # Per block of agents: first the keys of the whole block (block_keys), then the hash
    # look-ups in agent order, so cells are numbered in order of first appearance.
    n = alive.shape[0]
    cap = 1 << bits
    limit = cap // 2
    table_key = np.full(cap, -1, np.int64)
    table_id = np.empty(cap, np.int32)
    cid = np.full(n, -1, np.int32)
    rep = np.empty(limit + 1, np.int64)
    counts = np.zeros((n_c, limit + 1))  # county-major: a county's agents touch one row
    u = 0
    shift = np.uint64(64 - bits)
    buf = np.empty(BLOCK, np.int64)
    for start in range(0, n, BLOCK):
        m = min(BLOCK, n - start)
        block_keys(buf, age, bands, keys, widths, start, m)
        for t in range(m):
            i = start + t
            if not alive[i]:
                continue
            c, new = probe(table_key, table_id, buf[t], u, shift, cap - 1)
            if new:
                rep[u] = i
                u += 1
            if u > limit:  # more than half full: the caller retries with a larger table
                return cid, rep[:0].copy(), np.zeros((0, n_c)), False
            cid[i] = c
            counts[county[i], c] += weight[i]
    return cid, rep[:u].copy(), counts[:, :u].T.copy(), True


def mark(got: np.ndarray, eligible: np.ndarray, cid: np.ndarray) -> None:
    """Set ``got`` (int8, per agent) to 1 for every living agent of an eligible cell."""
    if engine() == "numpy":
        living = cid >= 0
        got[living] |= eligible[cid[living]].view(np.int8)
        return
    _mark_kernel()(got, eligible, cid)


@kernel
def _mark_kernel(got, eligible, cid):
    # Branch-free (the dead look up a 0 in front of the cells): twice as fast as testing
    # ``c >= 0 and eligible[c]``, whose outcome the CPU cannot predict.
    flag = np.zeros(eligible.shape[0] + 1, np.int8)
    for c in range(eligible.shape[0]):
        flag[c + 1] = eligible[c]
    for i in range(cid.shape[0]):
        got[i] |= flag[cid[i] + 1]


def once_sums(
    row: np.ndarray,
    eligible: np.ndarray,
    values: np.ndarray,
    got: np.ndarray,
    county: np.ndarray,
    weight: np.ndarray,
    n_counties: int,
) -> np.ndarray:
    """One-off amounts of an item, paid the first year a person is eligible, per county.

    Each living agent of an eligible row who has not yet received the item adds its weight
    to its row × county (:func:`once_weights`); every eligible agent is then marked as having
    received it. The amounts are the rows' amounts times those persons, added row by row
    (:func:`once_totals`). Every living agent of a population a trajectory can keep carries
    the same weight, so the persons are exact whatever the order of the agents, and a ledger
    run in the model and one replayed on a stored trajectory (which visits the agents fine
    cell by fine cell, :func:`once_sums_on_path`) give the same numbers to the last bit.

    Args:
        row: Per agent, its row in the evaluation table (−1 for the dead), int32 or int64.
        eligible: Per row, whether the item's eligibility holds.
        values: ``[rows, components]`` one-off amounts per row (yuan or units per person).
        got: Per agent, 1 once the item was received (int8, updated in place).
        county: County index per agent.
        weight: Persons per agent.
        n_counties: Number of counties.

    Returns:
        ``[components, counties]`` amounts (weighted persons × amount) of first receipts.
    """
    return once_totals(values, once_weights(row, eligible, got, county, weight, n_counties))


def once_weights(row, eligible, got, county, weight, n_counties: int) -> np.ndarray:
    """Persons receiving a one-off item for the first time, ``[rows, counties]`` (marks ``got``).

    Args are those of :func:`once_sums` (``values`` aside).
    """
    if engine() == "numpy":
        living = row >= 0
        e = np.zeros(row.size, bool)
        e[living] = eligible[row[living]]
        idx = np.flatnonzero(e & (got == 0))
        out = np.zeros((eligible.size, n_counties))
        np.add.at(out, (row[idx], county[idx].astype(np.intp)), weight[idx].astype(np.float64))
        got[e] = 1
        return out
    return _once_weights_kernel()(row, eligible.view(np.uint8), got, county, weight, n_counties)


def once_totals(values: np.ndarray, persons: np.ndarray) -> np.ndarray:
    """``[components, counties]``: each row's amounts × its persons, added row by row.

    Args:
        values: ``[rows, components]`` one-off amounts per row.
        persons: ``[rows, counties]`` persons receiving them (:func:`once_weights`).
    """
    values = np.ascontiguousarray(values, dtype=np.float64)
    if engine() == "numpy":  # a cumulative sum adds row after row, as the kernel does
        out = np.zeros((values.shape[1], persons.shape[1]))
        if len(persons):
            for j in range(values.shape[1]):
                out[j] = np.cumsum(values[:, j, None] * persons, axis=0)[-1]
        return out
    return _once_totals_kernel()(values, persons)


def listed(row: np.ndarray, flag: np.ndarray) -> np.ndarray:
    """The agents whose row is flagged, ascending (numba; ``flag[r + 1]`` for row ``r``).

    Args:
        row: Per agent, its row (−1 for the dead).
        flag: Per row, after a 0 for the dead: whether it is listed (uint8).
    """
    return _listed_kernel()(row, flag)


@kernel
def _listed_kernel(row, flag):
    # branch-free: the dead look up the 0 in front of the rows
    n = row.shape[0]
    found = np.empty(n + 1, np.int64)
    m = 0
    for i in range(n):
        found[m] = i
        m += flag[row[i] + 1]
    return found[:m].copy()


@kernel
def _once_weights_kernel(row, eligible, got, county, weight, n_c):
    # the model's agents in agent order: first receipts' weights per row × county
    persons = np.zeros((eligible.shape[0], n_c))
    for i in range(row.shape[0]):
        r = row[i]
        if r >= 0 and eligible[r] and got[i] == 0:
            persons[r, county[i]] += weight[i]
            got[i] = 1
    return persons


@kernel
def _once_path_kernel(found, cell, fid, got, county, n_rows, n_c, w):
    # a stored path's agents of eligible fine cells (``found``, ascending): the same persons
    # per row × county as the model's (sums of one weight: exact in any order)
    persons = np.zeros((n_rows, n_c))
    for k in range(found.shape[0]):
        a = found[k]
        if got[a] == 0:
            persons[cell[fid[a]], county[a]] += w
            got[a] = 1
    return persons


@kernel
def _once_totals_kernel(values, persons):
    # row after row (the same order for the model and a path); an empty row adds nothing
    n, n_c = persons.shape
    k = values.shape[1]
    out = np.zeros((k, n_c))
    for r in range(n):
        for c in range(n_c):
            p = persons[r, c]
            if p != 0.0:
                for j in range(k):
                    out[j, c] += values[r, j] * p
    return out


@dataclass
class Members:
    """One year's living agents listed by fine cell (a stored path's index, CSR).

    The agents of fine cell ``f`` are ``order[start[f]:start[f + 1]]``, ascending, so the
    agents of a few fine cells are found without a pass over every agent
    (:meth:`of`); and the fine cells' agents per county are kept sparse (most fine cells
    live in one or two counties). Built once per path and year (:meth:`build`); a path read
    from disk lists its agents by fine cell only when first asked (:meth:`ordered`, from
    ``fid``), which keeps the list off the disk.

    Attributes:
        order: Living agents by fine cell, each cell's ascending (int32); None until
            :meth:`ordered` lists them from ``fid``.
        start: ``[fine cells + 1]`` offsets into ``order`` (int64).
        n: Agents (alive or dead).
        nz_cell: Fine cell of each nonzero fine cell × county count (int32).
        nz_county: Its county (int16).
        nz_agents: Its agents (int32).
        fid: Per agent, its fine cell (−1: dead); needed only while ``order`` is None.
    """

    order: np.ndarray | None
    start: np.ndarray
    n: int
    nz_cell: np.ndarray
    nz_county: np.ndarray
    nz_agents: np.ndarray
    fid: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def build(cls, fid: np.ndarray, agents: np.ndarray, listed: bool = True) -> Members:
        """The index of a year from each agent's fine cell and the agents per fine cell.

        Args:
            fid: Per agent, its fine cell (−1: dead).
            agents: ``[fine cells, counties]`` living agents.
            listed: List the agents by fine cell now; else when first asked
                (:meth:`ordered`), as for a path read from disk.
        """
        if engine() == "numpy":
            nz_cell, nz_county = np.nonzero(agents)
            nz_agents = agents[nz_cell, nz_county].astype(np.int32)
            nz = (nz_cell.astype(np.int32), nz_county.astype(np.int16), nz_agents)
            start = np.zeros(len(agents) + 1, np.int64)
            np.cumsum(agents.sum(axis=1), out=start[1:])
        else:
            start, *nz = _members_kernel()(np.ascontiguousarray(agents))
        out = cls(None, start, int(fid.size), *nz, fid=fid)
        if listed:
            out.ordered()
        return out

    def ordered(self) -> np.ndarray:
        """``order``, listed from ``fid`` the first time it is asked for."""
        if self.order is None:
            if engine() == "numpy":
                self.order = _order_numpy(self.fid)
            else:
                self.order = _order_kernel()(self.fid, self.start)
            self.fid = None
        return self.order

    @property
    def nbytes(self) -> int:
        """Memory held (bytes)."""
        arrays = (self.order, self.start, self.nz_cell, self.nz_county, self.nz_agents)
        return int(sum(a.nbytes for a in arrays if a is not None))

    def of(self, flag: np.ndarray, cell=None, away=None) -> np.ndarray:
        """The agents of the flagged fine cells, ascending (int64).

        Args:
            flag: Per fine cell, whether its agents are wanted (bool); with ``cell``, per
                row of an evaluation table.
            cell: Per fine cell, its row (fine cell ``f`` is wanted if ``flag[cell[f]]``).
            away: Per fine cell, whether its agents are left out (bool), e.g. those
                living in an institution.
        """
        n_fine = self.start.size - 1
        cell = np.arange(n_fine) if cell is None else cell
        away = np.zeros(n_fine, bool) if away is None else away
        if engine() == "numpy":
            wanted = np.flatnonzero(flag[cell] & ~away)
            order = self.ordered()
            parts = [order[self.start[f] : self.start[f + 1]] for f in wanted]
            return np.sort(np.concatenate([np.zeros(0, np.int32), *parts])).astype(np.int64)
        return _members_of_kernel()(
            self.ordered(),
            self.start,
            flag.view(np.uint8),
            cell,
            away.view(np.uint8),
            self.n,
            _DEBRUIJN,
        )


#: The bit scan's table: bit ``i`` of a word, isolated and multiplied by :data:`_MAGIC`, has
#: ``i`` at its top 6 bits' entry (de Bruijn sequence; no popcount/ctz intrinsic in numba).
_MAGIC = 0x03F79D71B4CB0A89
_DEBRUIJN = np.zeros(64, np.int64)
for _i in range(64):
    _DEBRUIJN[(((1 << _i) * _MAGIC) & (2**64 - 1)) >> 58] = _i


@kernel
def _members_kernel(agents):
    n_f, n_c = agents.shape
    start = np.zeros(n_f + 1, np.int64)
    nnz = 0
    for f in range(n_f):
        total = 0
        for c in range(n_c):
            total += agents[f, c]
            nnz += agents[f, c] != 0
        start[f + 1] = start[f] + total
    nz_cell = np.empty(nnz, np.int32)
    nz_county = np.empty(nnz, np.int16)
    nz_agents = np.empty(nnz, np.int32)
    e = 0
    for f in range(n_f):
        for c in range(n_c):
            if agents[f, c] != 0:
                nz_cell[e] = f
                nz_county[e] = c
                nz_agents[e] = agents[f, c]
                e += 1
    return start, nz_cell, nz_county, nz_agents


def _order_numpy(fid: np.ndarray) -> np.ndarray:
    """The living agents by fine cell, each cell's ascending (numpy twin of the kernel)."""
    living = np.flatnonzero(fid >= 0)
    return living[np.argsort(fid[living], kind="stable")].astype(np.int32)


@kernel
def _order_kernel(fid, start):
    # a counting sort of the living agents by fine cell: each cell's in agent order
    pos = start[:-1].copy()
    order = np.empty(start[-1], np.int32)
    for i in range(fid.shape[0]):
        f = fid[i]
        if f >= 0:
            order[pos[f]] = i
            pos[f] += 1
    return order


@kernel
def _members_of_kernel(order, start, flag, cell, away, n, debruijn):
    # The flagged cells' agents set bits in a bitmap of all agents, read back word by word in
    # ascending order: O(listed + agents / 64), not a pass over the agents; one pass over
    # the fine cells finds and marks them.
    n_f = cell.shape[0]
    words = (n + 63) >> 6
    bits = np.zeros(words, np.uint64)
    one = np.uint64(1)
    m = 0
    for f in range(n_f):
        if flag[cell[f]] and not away[f]:
            lo, hi = start[f], start[f + 1]
            m += hi - lo
            for p in range(lo, hi):
                a = order[p]
                bits[a >> 6] |= one << np.uint64(a & 63)
    out = np.empty(m, np.int64)
    magic = np.uint64(0x03F79D71B4CB0A89)
    k = 0
    for wi in range(words):
        x = bits[wi]
        while x != 0:
            low = x & (~x + one)
            out[k] = wi * 64 + debruijn[(low * magic) >> np.uint64(58)]
            k += 1
            x ^= low
    return out


def once_sums_on_path(
    fid: np.ndarray,
    members: Members,
    cell: np.ndarray,
    eligible: np.ndarray,
    values: np.ndarray,
    got: np.ndarray,
    county: np.ndarray,
    weight: float,
    n_counties: int,
) -> np.ndarray:
    """:func:`once_sums` on a stored trajectory year: the agents of eligible fine cells only.

    The agents of the fine cells whose row is eligible are found through ``members`` (no
    pass over every agent) and visited in agent order; the persons per row × county are
    sums of one weight, so they equal the model's, and :func:`once_totals` adds the same
    terms in the same order.

    Args:
        fid: Per agent, its fine cell this year (−1: dead).
        members: The year's living agents by fine cell.
        cell: Per fine cell, its row in the evaluation table.
        eligible: Per row, whether the item's eligibility holds.
        values: ``[rows, components]`` one-off amounts per row.
        got: Per agent, 1 once the item was received (int8, updated in place).
        county: County index per agent.
        weight: The living agents' common weight (persons per agent, a float32 value).
        n_counties: Number of counties.

    Returns:
        ``[components, counties]`` amounts of first receipts, equal to :func:`once_sums`
        with ``row = cell[fid]`` and every living agent's weight ``weight``.
    """
    if engine() == "numpy":
        row = np.append(cell, -1)[fid]
        w = np.full(fid.size, weight, np.float32)
        return once_sums(row, eligible, values, got, county, w, n_counties)
    found = members.of(eligible, cell)  # ascending: the flags are read in agent order
    persons = _once_path_kernel()(
        found,
        cell,
        fid,
        got,
        county,
        eligible.size,
        n_counties,
        np.float64(np.float32(weight)),
    )
    return once_totals(values, persons)

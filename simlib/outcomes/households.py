"""Household benefits counted once per household (a home adaptation, an electricity allowance).

A household is a couple living at home, or a person at home without a spouse there (see
:mod:`simlib.population.processes.household`); institution residents live collectively and
get no household benefit. A household is eligible when any member at home is eligible, is
counted once (at its lower-indexed member) with that member's weight, and receives per
benefit component the larger of its members' amounts. A one-off household benefit is given
the first year the household is eligible, and both members are marked as having received it.

:func:`household_sums` has a numba kernel and a numpy twin that the tests compare.
"""

from __future__ import annotations

import numpy as np

from simlib.core.jit import engine, kernel


def household_sums(
    row: np.ndarray,
    eligible: np.ndarray,
    values: np.ndarray,
    once: np.ndarray,
    received: np.ndarray | None,
    cols: dict[str, np.ndarray],
    n_counties: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Eligible households and their amounts, per county.

    Args:
        row: Per agent, its row in the evaluation table (−1 for the dead).
        eligible: Per row, eligibility for the item.
        values: ``[rows, components]`` amounts per row (0 where not received).
        once: Per component, whether it is one-off.
        received: Per agent, 1 once its household received the item's one-off benefits
            (updated in place; None when the item has none).
        cols: The population's columns (spouse, alive, in_institution, county, weight).
            Spouse links between the living must be mutual, as the household process keeps
            them: the kernel finds a household through any eligible member.
        n_counties: Number of counties.

    Returns:
        ``(households, sums)``: eligible households per county, and ``[components,
        counties]`` amounts (one-off components: households served for the first time).
    """
    got = received if received is not None else np.zeros(row.size, np.int8)
    args = (
        row,
        eligible,
        np.ascontiguousarray(values, dtype=np.float64),
        once,
        got,
        cols["spouse"],
        cols["alive"],
        cols["in_institution"],
        cols["county"],
        cols["weight"],
        n_counties,
    )
    if engine() == "numba":
        return _kernel()(*args)
    return _numpy(*args)


def _numpy(row, eligible, values, once, got, spouse, alive, inst, county, weight, n_c):
    home = alive & ~inst & (row >= 0)
    linked = spouse >= 0
    partner = np.zeros(row.size, bool)
    partner[linked] = home[linked] & home[spouse[linked]]
    s = np.where(partner, spouse, 0)
    rep = home & ~(partner & (s < np.arange(row.size)))
    e_self = np.zeros(row.size, bool)
    e_self[home] = eligible[row[home]]
    e_partner = partner & e_self[s]
    e = rep & (e_self | e_partner)
    idx = np.flatnonzero(e)
    w = weight[idx].astype(np.float64)
    households = np.bincount(county[idx], weights=w, minlength=n_c)
    mine = np.where(e_self[idx, None], values[np.maximum(row[idx], 0)], 0.0)
    other = np.where(e_partner[idx, None], values[np.maximum(row[s[idx]], 0)], 0.0)
    amount = np.maximum(mine, other)
    first = got[idx] == 0
    sums = np.zeros((values.shape[1], n_c))
    for j in range(values.shape[1]):
        take = amount[:, j] * (first if once[j] else 1.0)
        sums[j] = np.bincount(county[idx], weights=take * w, minlength=n_c)
    if once.any():
        served = idx[first]
        got[served] = 1
        both = served[partner[served]]
        got[spouse[both]] = 1
    return households, sums


@kernel
def _kernel(row, eligible, values, once, got, spouse, alive, inst, county, weight, n_c):
    # Few agents are eligible for a household item (some 2,000 of 1.3 million in Datong), so
    # the kernel first lists them in one branch-free pass, then visits only their households'
    # representatives, in ascending order, as the numpy twin adds them (the same sums to the
    # last bit).
    n = row.shape[0]
    k = values.shape[1]
    households = np.zeros(n_c)
    sums = np.zeros((k, n_c))
    any_once = False
    for j in range(k):
        any_once = any_once or once[j]
    found = np.empty(n + 1, np.int64)
    m = 0
    for i in range(n):
        r = row[i]
        found[m] = i
        m += alive[i] & (not inst[i]) & (r >= 0) & eligible[max(r, 0)]
    reps = np.empty(m, np.int64)
    for t in range(m):
        i = found[t]
        s = spouse[i]
        partner = s >= 0 and alive[s] and not inst[s] and row[s] >= 0
        reps[t] = s if partner and s < i else i
    reps = np.unique(reps)  # sorted
    for i in reps:
        s = spouse[i]
        partner = s >= 0 and alive[s] and not inst[s] and row[s] >= 0
        e_self = eligible[row[i]]
        e_partner = partner and eligible[row[s]]
        if not (e_self or e_partner):  # as the twin, were a spouse link one-sided
            continue
        w = np.float64(weight[i])
        c = county[i]
        households[c] += w
        first = got[i] == 0
        for j in range(k):
            v = values[row[i], j] if e_self else 0.0
            if e_partner:
                v = max(v, values[row[s], j])
            if once[j]:
                if first:
                    sums[j, c] += v * w
            else:
                sums[j, c] += v * w
        if any_once and first:
            got[i] = 1
            if partner:
                got[s] = 1
    return households, sums


def household_sums_on_path(
    fid: np.ndarray,
    cell: np.ndarray,
    inst: np.ndarray,
    eligible: np.ndarray,
    values: np.ndarray,
    once: np.ndarray,
    received: np.ndarray | None,
    spouse: np.ndarray,
    county: np.ndarray,
    weight: float,
    n_counties: int,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`household_sums` on a stored trajectory year (:mod:`simlib.outcomes.trajectory`).

    The same households, the same terms added in the same order, with each agent's row,
    life and institution read through its fine cell instead of per-agent columns.

    Args:
        fid: Per agent, its fine cell this year (−1: dead).
        cell: Per fine cell, its row in the evaluation table.
        inst: Per fine cell, whether its agents live in an institution.
        eligible: Per row, eligibility for the item.
        values: ``[rows, components]`` amounts per row.
        once: Per component, whether it is one-off.
        received: Per agent, 1 once its household received the item's one-off benefits
            (updated in place; None when the item has none).
        spouse: Each agent's spouse (−1, −2: none).
        county: County index per agent.
        weight: The living agents' common weight (persons per agent, float32 value).
        n_counties: Number of counties.

    Returns:
        ``(households, sums)`` as :func:`household_sums`.
    """
    if engine() == "numpy":
        row = np.append(cell, -1)[fid]
        cols = {
            "spouse": spouse,
            "alive": fid >= 0,
            "in_institution": np.append(inst, False)[fid],
            "county": county,
            "weight": np.full(fid.size, weight, np.float32),
        }
        return household_sums(row, eligible, values, once, received, cols, n_counties)
    got = received if received is not None else np.zeros(fid.size, np.int8)
    inst = inst.view(np.uint8) if inst.dtype == np.bool_ else inst
    flag = np.zeros(cell.size + 1, np.uint8)  # per fine cell: at home and eligible
    flag[1:] = (inst == 0) & eligible[cell]
    return _path_kernel()(
        fid,
        cell,
        inst,
        flag,
        eligible,
        np.ascontiguousarray(values, dtype=np.float64),
        once,
        got,
        spouse,
        county,
        np.float32(weight),
        n_counties,
    )


@kernel
def _path_kernel(fid, cell, inst, flag, eligible, values, once, got, spouse, county, weight, n_c):
    # _kernel with row[i] = cell[fid[i]], alive[i] = fid[i] >= 0, inst[i] = inst[fid[i]]
    # and one weight: the same visits and additions, in the same order.
    n = fid.shape[0]
    k = values.shape[1]
    households = np.zeros(n_c)
    sums = np.zeros((k, n_c))
    any_once = False
    for j in range(k):
        any_once = any_once or once[j]
    found = np.empty(n + 1, np.int64)
    m = 0
    for i in range(n):  # branch-free: one flag per agent's fine cell (0 for the dead)
        found[m] = i
        m += flag[fid[i] + 1]
    reps = np.empty(m, np.int64)
    for t in range(m):
        i = found[t]
        s = spouse[i]
        partner = s >= 0 and fid[s] >= 0 and inst[fid[s]] == 0
        reps[t] = s if partner and s < i else i
    reps = np.unique(reps)  # sorted
    w = np.float64(weight)
    for i in reps:
        s = spouse[i]
        partner = s >= 0 and fid[s] >= 0 and inst[fid[s]] == 0
        ri = cell[fid[i]]
        e_self = eligible[ri]
        e_partner = partner and eligible[cell[fid[s]]]
        if not (e_self or e_partner):
            continue
        c = county[i]
        households[c] += w
        first = got[i] == 0
        for j in range(k):
            v = values[ri, j] if e_self else 0.0
            if e_partner:
                v = max(v, values[cell[fid[s]], j])
            if once[j]:
                if first:
                    sums[j, c] += v * w
            else:
                sums[j, c] += v * w
        if any_once and first:
            got[i] = 1
            if partner:
                got[s] = 1
    return households, sums

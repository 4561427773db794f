"""Household benefits counted once per household (a home adaptation, an electricity allowance).

A household is a couple living at home, or a person at home without a spouse there (see
:mod:`simlib.population.processes.household`); institution residents live collectively and
get no household benefit. A household is eligible when any member at home is eligible, is
counted once (at its lower-indexed member) with that member's weight, and receives per
benefit component the larger of its members' amounts. A one-off household benefit is given
the first year the household is eligible, and both members are marked as having received it.

:func:`household_sums` (the model's) and :func:`household_sums_on_path` (a stored path's)
find the eligible agents at home each their own way, then share one numba kernel; the numpy
twin, per agent, is what the tests compare both with.
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
    marked: bool = False,
) -> tuple[np.ndarray, ...]:
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
        marked: Also return the agents this call marked in ``received`` (0 before, 1
            after), ascending: a quota (:mod:`simlib.outcomes.quota`) chooses among them
            without a pass over every agent.

    Returns:
        ``(households, sums)``: eligible households per county, and ``[components,
        counties]`` amounts (one-off components: households served for the first time);
        with ``marked``, ``(households, sums, marked)``.
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
    if engine() == "numpy":
        return _marked(_numpy(*args), marked)
    from simlib.outcomes.cells import listed

    spouse, alive, inst, county, weight = (cols[k] for k in COLUMNS)
    flag = np.zeros(eligible.size + 1, np.uint8)  # per row, after a 0 for the dead
    flag[1:] = eligible
    found = listed(row, flag)
    found = found[~inst[found]]  # at home, in a row eligible for the item
    s = spouse[found]
    s0 = np.maximum(s, 0)
    home = (s >= 0) & alive[s0] & ~inst[s0] & (row[s0] >= 0)
    other = np.where(home, row[s0], -1)
    out = _sum(found, row[found], other, *args[1:6], county, weight, n_counties)
    return _marked(out, marked)


def _marked(out: tuple, marked: bool) -> tuple:
    """``(households, sums)``, with the marked agents (ascending) when asked for."""
    return (out[0], out[1], np.sort(out[2])) if marked else (out[0], out[1])


#: The population's columns the model's household sums read.
COLUMNS = ("spouse", "alive", "in_institution", "county", "weight")


def _sum(found, own, other, eligible, values, once, got, spouse, county, weight, n_c):
    """The households of the listed agents and their sums: the one kernel, model and path.

    Args:
        found: Agents at home whose row is eligible, ascending.
        own: Their rows.
        other: Per listed agent, its spouse's row when the spouse lives at home, else −1.
        eligible: Per row, eligibility for the item.
        values: ``[rows, components]`` amounts per row (float64, C order).
        once: Per component, whether it is one-off.
        got: Per agent, 1 once its household received the one-off benefits (updated).
        spouse: Each agent's spouse (−1, −2: none).
        county: County index per agent.
        weight: Per agent weights (array) or the living's common weight (a float32 value).
        n_c: Number of counties.

    Returns:
        ``(households, sums, marked)``, ``marked`` the agents whose ``got`` went 0 → 1.
    """
    s = spouse[found]
    partner = other >= 0
    swap = partner & (s < found)  # a household is counted at its lower-indexed member
    rep = np.where(swap, s, found)
    rep_row = np.where(swap, other, own)
    mate = np.where(partner, np.where(swap, found, s), -1)
    mate_row = np.where(swap, own, other)
    rep, first = np.unique(rep, return_index=True)  # sorted: the twin's order
    if np.ndim(weight):
        w = weight[rep]
    else:
        w = np.full(rep.size, weight, np.float32)
    return _kernel()(
        rep,
        rep_row[first],
        mate[first],
        mate_row[first],
        w,
        eligible,
        values,
        once,
        got,
        county,
        n_c,
    )


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
    marked = np.zeros(0, np.int64)
    if once.any():
        served = idx[first]
        got[served] = 1
        mates = spouse[served[partner[served]]]
        mates = mates[got[mates] == 0]  # a mate served alone before is not marked again
        got[mates] = 1
        marked = np.unique(np.concatenate([served, mates]).astype(np.int64))
    return households, sums, marked


@kernel
def _kernel(rep, rep_row, mate, mate_row, weight, eligible, values, once, got, county, n_c):
    # Few agents are eligible for a household item (some 2,000 of 1.3 million in Datong), so
    # only their households are visited: each once, at its lower-indexed member ``rep``
    # (ascending, as the numpy twin adds them: the same sums to the last bit), with its
    # spouse at home ``mate`` (−1: none) and both members' rows.
    k = values.shape[1]
    households = np.zeros(n_c)
    sums = np.zeros((k, n_c))
    marked = np.empty(2 * rep.shape[0], np.int64)  # agents whose got goes 0 -> 1
    m = 0
    any_once = False
    for j in range(k):
        any_once = any_once or once[j]
    for t in range(rep.shape[0]):
        i = rep[t]
        s = mate[t]
        e_self = eligible[rep_row[t]]
        e_partner = s >= 0 and eligible[mate_row[t]]
        if not (e_self or e_partner):  # as the twin, were a spouse link one-sided
            continue
        w = np.float64(weight[t])
        c = county[i]
        households[c] += w
        first = got[i] == 0
        for j in range(k):
            v = values[rep_row[t], j] if e_self else 0.0
            if e_partner:
                v = max(v, values[mate_row[t], j])
            if once[j]:
                if first:
                    sums[j, c] += v * w
            else:
                sums[j, c] += v * w
        if any_once and first:
            got[i] = 1
            marked[m] = i
            m += 1
            if s >= 0 and got[s] == 0:
                got[s] = 1
                marked[m] = s
                m += 1
    return households, sums, marked[:m].copy()


def household_sums_on_path(
    fid: np.ndarray,
    members,
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
    marked: bool = False,
) -> tuple[np.ndarray, ...]:
    """:func:`household_sums` on a stored trajectory year (:mod:`simlib.outcomes.trajectory`).

    The same households, the same terms added in the same order, by the same kernel: the
    eligible agents at home are found through the year's index of agents by fine cell (no
    pass over every agent), and each agent's row, life and institution read through its
    fine cell instead of per-agent columns.

    Args:
        fid: Per agent, its fine cell this year (−1: dead).
        members: The year's living agents by fine cell
            (:class:`~simlib.outcomes.cells.Members`).
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
        marked: Also return the agents marked, as :func:`household_sums`.

    Returns:
        ``(households, sums)`` (and ``marked``) as :func:`household_sums`.
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
        return household_sums(row, eligible, values, once, received, cols, n_counties, marked)
    got = received if received is not None else np.zeros(fid.size, np.int8)
    away = inst.astype(bool, copy=False)
    found = members.of(eligible, cell, away=away)  # at home, in an eligible row
    own = cell[fid[found]]
    s = spouse[found]
    fs = fid[np.maximum(s, 0)]
    home = (s >= 0) & (fs >= 0) & ~away[fs]
    other = np.where(home, cell[fs], -1)
    values = np.ascontiguousarray(values, dtype=np.float64)
    w = np.float32(weight)
    out = _sum(found, own, other, eligible, values, once, got, spouse, county, w, n_counties)
    return _marked(out, marked)

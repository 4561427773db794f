"""Quota items: a yearly programme capacity allocated to the eligible households, not a share.

Some items are delivered as yearly programme quotas (home adaptation, 适老化改造: so many
households a year), not as an entitlement each eligible person takes up with some
probability. For a family with a quota (``params/outcomes.yaml``, ``quota:``;
:class:`~simlib.params.outcomes.Quota`), the ledger first finds, as for any one-off household
benefit, the eligible households at home not yet served
(:func:`~simlib.outcomes.households.household_sums` marks them); :func:`allocate` then keeps
the marks of those the year's capacity reaches, in the order of the stated rule, and clears
the others' (they stay in the queue for the next year). Only the served households' one-off
amounts are counted, at take-up 1.

The allocation reads only the year's population (each agent's ADL grade, age, spouse,
weight and county) and the policy, both equal in a full simulation and in a replay on a
stored trajectory (:mod:`simlib.outcomes.trajectory`), and adds the same terms in the same
order, so both give the same numbers to the last bit. Policy still never feeds back into the
dynamics: being served only sets the ledger's own marks.
"""

from __future__ import annotations

import numpy as np

from simlib.core.jit import engine, kernel
from simlib.params.outcomes import QUOTA_RULES


def allocate(
    new: np.ndarray,
    cols: dict[str, np.ndarray],
    member_values: np.ndarray,
    once: np.ndarray,
    capacity: float,
    rule: str,
    n_counties: int,
    before: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which of this year's candidate households the capacity serves, and their amounts.

    A household is the candidates linked as spouses (both were marked by the household
    sums), or a candidate alone; it is represented by its lower agent index and weighs that
    agent's weight (persons per agent). Households are served in the rule's order while the
    persons served stay within half a household of the capacity (the quota is met to the
    nearest agent).

    Args:
        new: Candidate agents in ascending order: members at home of the eligible households
            not served before, as the household sums marked them this year.
        cols: Per-agent columns ``spouse``, ``weight``, ``county``, ``adl_level``, ``age``.
        member_values: ``[len(new), components]`` each candidate's own amounts (0 where the
            member is not eligible).
        once: Per component, whether it is one-off.
        capacity: Households the quota serves this year (≥ 0).
        rule: One of :data:`~simlib.params.outcomes.QUOTA_RULES`.
        n_counties: Number of counties (aggregation slots).
        before: Households the programme served in its years before the list took effect
            (the first year the item is evaluated): served first, in the same order, and
            marked, but not counted (their cost fell before the simulated list).

    Returns:
        ``(served, sums, served_before)``: the candidate agents served (ascending;
        ``before``'s included), ``[components, counties]`` one-off amounts of the households
        served this year (0 for recurring components), and per county the households served
        as ``before``'s.
    """
    if rule not in QUOTA_RULES:
        raise ValueError(f"quota rule must be one of {QUOTA_RULES}, got {rule!r}")
    k = member_values.shape[1]
    sums = np.zeros((k, n_counties))
    if new.size == 0 or capacity + before <= 0:
        return new[:0], sums, np.zeros(n_counties)
    s = cols["spouse"][new].astype(np.int64)
    paired = (s >= 0) & (new[np.minimum(np.searchsorted(new, s), new.size - 1)] == s)
    rep = np.where(paired, np.minimum(new, s), new)
    hh, inv = np.unique(rep, return_inverse=True)
    adl = np.zeros(hh.size, np.int64)
    np.maximum.at(adl, inv, cols["adl_level"][new].astype(np.int64))
    age = np.zeros(hh.size, np.int64)
    np.maximum.at(age, inv, cols["age"][new].astype(np.int64))
    value = np.zeros((hh.size, k))
    np.maximum.at(value, inv, member_values)
    if rule == "neediest_first":
        order = np.lexsort((hh, -age, -adl))
    else:
        order = np.lexsort((hh, -adl, -age))
    w = cols["weight"][hh].astype(np.float64)
    mid = np.cumsum(w[order]) - w[order] / 2  # persons served up to the household's middle
    n_before = int(np.count_nonzero(mid <= before))
    n_served = int(np.count_nonzero(mid <= before + capacity))
    chosen = np.sort(order[n_before:n_served])  # households counted, in agent order
    county = cols["county"][hh[chosen]].astype(np.intp)
    for j in range(k):
        if once[j]:
            sums[j] = np.bincount(
                county, weights=value[chosen, j] * w[chosen], minlength=n_counties
            )
    served = new[np.isin(inv, order[:n_served])]
    early = np.sort(order[:n_before])
    served_before = np.bincount(
        cols["county"][hh[early]].astype(np.intp), weights=w[early], minlength=n_counties
    )
    return served, sums, served_before


def served_persons(
    rows: np.ndarray,
    eligible: np.ndarray,
    served: np.ndarray,
    cols: dict[str, np.ndarray],
    n_counties: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Eligible persons at home, and their households, already served by a quota item.

    Args:
        rows: Per agent, its row in the evaluation table (−1: dead); anything indexed by
            an array of agents (a stored path's rows are read only where indexed).
        eligible: Per row, eligibility for the item.
        served: The agents whose households were served so far (``received`` 1),
            ascending: thousands, not every agent, so the sums are those of a pass over
            every agent without one.
        cols: Per-agent columns ``spouse``, ``weight``, ``county``, ``in_institution`` (each
            indexed by an array of agents only).
        n_counties: Number of counties.

    Returns:
        ``(persons, households)`` per county: eligible persons living in a served household,
        and those households (counted once, at the lower-indexed member at home).
    """
    cand = served
    inst = cols["in_institution"]
    r = rows[cand]
    idx = cand[(r >= 0) & ~inst[cand].astype(bool) & eligible[np.maximum(r, 0)]]
    county = cols["county"]
    w = cols["weight"][idx].astype(np.float64)
    persons = np.bincount(county[idx].astype(np.intp), weights=w, minlength=n_counties)
    s = cols["spouse"][idx].astype(np.int64)
    s0 = np.maximum(s, 0)
    partner = (s >= 0) & (rows[s0] >= 0) & ~inst[s0].astype(bool)
    rep = np.unique(np.where(partner, np.minimum(idx, s), idx))
    w_rep = cols["weight"][rep].astype(np.float64)
    households = np.bincount(county[rep].astype(np.intp), weights=w_rep, minlength=n_counties)
    return persons, households


def served_persons_on_path(
    fid: np.ndarray,
    cell: np.ndarray,
    inst: np.ndarray,
    eligible: np.ndarray,
    served: np.ndarray,
    spouse: np.ndarray,
    county: np.ndarray,
    weight: float,
    got: np.ndarray,
    n_counties: int,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`served_persons` on a stored trajectory year, in one pass over ``served``.

    Each agent's row and institution are read through its fine cell. Every living agent
    of a path carries the same weight, so the counts are sums of one weight, exact in any
    order: the same bits as :func:`served_persons`.

    Args:
        fid: Per agent, its fine cell this year (−1: dead).
        cell: Per fine cell, its row in the evaluation table.
        inst: Per fine cell, whether its agents live in an institution.
        eligible: Per row, eligibility for the item.
        served: The agents whose households were served so far, ascending.
        spouse: Each agent's spouse (−1, −2: none).
        county: County index per agent.
        weight: The living agents' common weight (persons per agent, a float32 value).
        got: Per agent, 1 once its household was served (``served`` are those with 1).
        n_counties: Number of counties.

    Returns:
        ``(persons, households)`` per county, as :func:`served_persons`.
    """
    if engine() == "numpy":
        cols = {
            "in_institution": np.append(inst, False)[fid],
            "county": county,
            "weight": np.full(fid.size, weight, np.float32),
            "spouse": spouse,
        }
        return served_persons(np.append(cell, -1)[fid], eligible, served, cols, n_counties)
    inst8 = inst.view(np.uint8) if inst.dtype == np.bool_ else inst.astype(np.uint8)
    return _served_kernel()(
        fid,
        cell,
        inst8,
        eligible.view(np.uint8),
        served,
        spouse,
        county,
        got,
        n_counties,
        np.float64(np.float32(weight)),
    )


@kernel
def _served_kernel(fid, cell, inst, eligible, served, spouse, county, got, n_c, w):
    # an agent counts if alive, at home and in an eligible row; its household is counted
    # once, at its lower-indexed member at home: at the spouse instead when the spouse is
    # at home, lower-indexed and counted itself (served, at home, in an eligible row)
    persons = np.zeros(n_c)
    households = np.zeros(n_c)
    for k in range(served.shape[0]):
        a = served[k]
        f = fid[a]
        if f < 0 or inst[f] or not eligible[cell[f]]:
            continue
        persons[county[a]] += w
        s = spouse[a]
        rep = a
        if s >= 0:
            fs = fid[s]
            if fs >= 0 and not inst[fs] and s < a:
                rep = s
                if got[s] == 1 and eligible[cell[fs]]:
                    continue  # the spouse is counted itself, at the same household
        households[county[rep]] += w
    return persons, households

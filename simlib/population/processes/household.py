"""Households: spouses linked, living arrangement from who lives with whom, widowhood by death.

The model holds persons 45+; a household here is a couple (two agents, or an agent whose
spouse is younger than 45 and so not modelled) or a single person, with or without younger
family members (children) living with them, who are not agents. From that:

* 独居 (alone): no spouse at home and no children;
* 空巢 (empty nest): a spouse at home and no children;
* with family: children at home; institution residents live in a collective household.
"""

from __future__ import annotations

import numpy as np

from simlib.core.jit import engine, kernel
from simlib.core.people import SCHEMA
from simlib.population.processes.base import AGES, OLD_AGE, Process, entry_for_prevalence
from simlib.population.streams import agent_uniform, agent_uniforms, draw_keys

_L = SCHEMA["living"].code
WITH_FAMILY, EMPTY_NEST, ALONE = _L("with_family"), _L("empty_nest"), _L("alone")
#: ``spouse`` values: an agent index, or one of these.
NO_SPOUSE, SPOUSE_NOT_MODELLED = -1, -2


class Household(Process):
    """Spouses, households and living arrangement.

    Base year: each person is married, widowed or otherwise single. The widowed share by age
    and sex follows ``widowed_<sex>`` (an age shape) scaled per county and sex so that the
    widowed agents match the county's 2020 census count (long-form share of the 15+, all
    taken as 45+); ``unmarried_other_45plus`` are never married or divorced. Married men and
    women of a county are paired by age rank, oldest first (wives are then about as much
    younger as the age structure implies); a married person left over has a spouse younger
    than 45, not modelled. A household then lives with children (younger family, not
    modelled) with the probability that, given its marital status and the head's age,
    reproduces ``alone_prevalence`` (独居) and ``empty_nest_or_alone_60plus`` (空巢 or 独居).

    Each year: a person whose spouse died is widowed (widowhood follows deaths, not a rate);
    children leave a household at the rate that keeps the empty-nest profile; a spouse who
    entered an institution no longer lives at home. ``living`` follows from all that.
    Rural residents 60+ are left-behind (留守) at ``left_behind_rural``.
    """

    name = "household"
    owns = ("living", "left_behind", "spouse", "household", "with_children")
    reads = ("alive", "in_institution", "sex", "urban", "county")
    reads_last_year = ("age", "weight")
    reports = ("living",)
    params = {
        "widowed_female": "curve",
        "widowed_male": "curve",
        "unmarried_other_45plus": "value",
        "alone_prevalence": "curve",
        "empty_nest_or_alone_60plus": "value",
        "empty_nest_45_59_ratio": "value",
        "left_behind_rural": "value",
    }
    #: Bookkeeping columns (not person attributes rules read): allocated by this process.
    bookkeeping = {"spouse": np.int32, "household": np.int32, "with_children": np.bool_}

    def __init__(self, ctx):
        super().__init__(ctx)
        nest = self.nest_or_alone(AGES)
        self.leave = entry_for_prevalence(nest, np.append(nest[1:], nest[-1])).astype(np.float32)
        self.alone = self.p.curve("alone_prevalence", AGES)

    def nest_or_alone(self, age) -> np.ndarray:
        """P(empty nest or alone) by age: the 60+ share, scaled below 60, never below alone."""
        v = self.p.values
        ratio = np.where(np.asarray(age) >= OLD_AGE, 1.0, v["empty_nest_45_59_ratio"])
        return np.maximum(
            ratio * v["empty_nest_or_alone_60plus"], self.p.curve("alone_prevalence", age)
        )

    def widowed(self, age, sex, county, counts) -> np.ndarray:
        """P(widowed) per person: the age shape scaled to each county's census count.

        Args:
            age: Ages.
            sex: Sex codes.
            county: County index per person.
            counts: ``[county, sex]`` widowed persons the census gives.

        Returns:
            Probabilities, clipped to [0, 1].
        """
        shape = np.where(
            sex == 1, self.p.curve("widowed_female", age), self.p.curve("widowed_male", age)
        )
        p = np.zeros(age.size)
        for c in range(counts.shape[0]):
            for s in (0, 1):
                m = (county == c) & (sex == s)
                expected = shape[m].sum()
                if expected > 0:
                    p[m] = shape[m] * counts[c, s] / expected
        return np.clip(p, 0.0, 1.0)

    def init(self, cols, rng):  # noqa: D102 - see the class docstring
        n = cols["age"].size
        age, sex, county = cols["age"], cols["sex"], cols["county"]
        for name, dtype in self.bookkeeping.items():
            cols[name] = np.zeros(n, dtype)
        counts = self.ctx.widowed_counts
        if counts is None:  # no census counts (a synthetic cohort): the shape as it is
            widowed = np.where(
                sex == 1, self.p.curve("widowed_female", age), self.p.curve("widowed_male", age)
            )
        else:  # every agent stands for 1/sample persons; the census count is of persons
            w = float(cols["weight"][0]) if n else 1.0
            widowed = self.widowed(age, sex, county, counts / w)
        p_single = np.clip(widowed + self.p.values["unmarried_other_45plus"], 0, 1)
        married = rng.random(n) >= p_single
        spouse = np.full(n, NO_SPOUSE, np.int32)
        for c in np.unique(county):
            men = np.flatnonzero(married & (county == c) & (sex == 0))
            women = np.flatnonzero(married & (county == c) & (sex == 1))
            men = men[np.argsort(-age[men], kind="stable")]
            women = women[np.argsort(-age[women], kind="stable")]
            k = min(men.size, women.size)
            spouse[men[:k]] = women[:k]
            spouse[women[:k]] = men[:k]
            spouse[men[k:]] = SPOUSE_NOT_MODELLED
            spouse[women[k:]] = SPOUSE_NOT_MODELLED
        idx = np.arange(n, dtype=np.int32)
        cols["spouse"][:] = spouse
        cols["household"][:] = np.where(spouse >= 0, np.minimum(idx, spouse), idx)
        # children at home: by marital status and the household head's (older member's) age
        head_age = np.where(spouse >= 0, np.maximum(age, age[np.maximum(spouse, 0)]), age)
        couple = spouse != NO_SPOUSE
        e = self.nest_or_alone(head_age)
        a = self.p.curve("alone_prevalence", head_age)
        # 独居 and 空巢 are shares of those at home by their own age, and a single's own age is
        # its household's head age: a single at home lives alone with P = alone_prevalence /
        # (share of singles among those at home at that age), a couple without children with
        # P = (empty_nest_or_alone - alone) / (share of couples), at its head's age. The base
        # year then holds the profile the yearly step keeps (move_in): no jump in 2021.
        home = ~cols["in_institution"]
        n_home = np.maximum(np.bincount(age[home], minlength=AGES.size), 1)
        single_share = np.bincount(age[home & ~couple], minlength=AGES.size) / n_home
        couple_share = np.bincount(age[home & couple], minlength=AGES.size) / n_home
        no_children = np.where(
            couple,
            np.clip((e - a) / np.maximum(couple_share[head_age], 1e-9), 0, 1),
            np.clip(a / np.maximum(single_share[head_age], 1e-9), 0, 1),
        )
        u = rng.random(n)
        rep = cols["household"]
        cols["with_children"][:] = u[rep] >= no_children[rep]
        cols["left_behind"][:] = (
            ~cols["urban"] & (age >= OLD_AGE) & (rng.random(n) < self.p.values["left_behind_rural"])
        )
        if engine() == "numba":
            _living_kernel()(
                cols["alive"],
                cols["spouse"],
                cols["with_children"],
                cols["in_institution"],
                cols["living"],
            )
        else:
            derive_living(cols)

    def step(self, cols, year, rng):  # noqa: D102 - see the class docstring
        keys = draw_keys(rng, 2)
        top = AGES.size - 1
        if engine() == "numba":
            n_home, n_alone, alone = _household_kernel()(
                cols["alive"],
                cols["spouse"],
                cols["household"],
                cols["with_children"],
                cols["in_institution"],
                cols["living"],
                cols["age"],
                keys[0],
                self.leave,
                top,
            )
            _move_in_kernel()(
                alone,
                cols["living"],
                cols["with_children"],
                cols["age"],
                keys[1],
                self.move_in_probability(n_home, n_alone),
                top,
            )
            return
        u, u_move = agent_uniforms(keys, cols["alive"].size)
        _household_numpy(cols, u, self.leave)
        derive_living(cols)
        self.move_in(cols, u_move)

    def move_in_probability(self, n_home: np.ndarray, n_alone: np.ndarray) -> np.ndarray:
        """P(moving in with family) this year for a person living alone, by age next year.

        Args:
            n_home: Living agents at home (not in an institution), by age next year.
            n_alone: Living agents living alone, by age next year.

        Returns:
            float32 probability by single year of age: the share of those living alone in
            excess of ``alone_prevalence`` × those at home (0 where none live alone).
        """
        target = self.alone * n_home
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(n_alone > 0, (n_alone - target) / n_alone, 0.0)
        return np.clip(p, 0.0, 1.0).astype(np.float32)

    def move_in(self, cols, u: np.ndarray) -> None:
        """Persons living alone move in with family where 独居 exceeds its age profile.

        Widowhood (by death) and children leaving fill the 独居 group; at each age the
        excess over ``alone_prevalence`` among persons at home moves in with family (children)
        this year, each with the same probability. The sourced profile stays the input; the
        dynamics decide who lives alone (mostly the recently widowed). The step runs before
        ageing, so the profile is held at the age each person will have next year. This is
        the numpy twin; the numba path counts in :func:`_household_kernel`, which also lists
        who lives alone, and moves them with :func:`_move_in_kernel`.

        Args:
            cols: The population's columns (``with_children`` and ``living`` updated).
            u: One float32 uniform draw per agent.
        """
        alone = cols["alive"] & (cols["living"] == ALONE)
        home = cols["alive"] & ~cols["in_institution"]
        age = np.minimum(cols["age"] + 1, AGES.size - 1)
        n_home = np.bincount(age[home], minlength=AGES.size)
        n_alone = np.bincount(age[alone], minlength=AGES.size)
        p = self.move_in_probability(n_home, n_alone)
        movers = alone & (u < p[age])
        cols["with_children"][movers] = True
        cols["living"][movers] = WITH_FAMILY


def _share_by_age(flag: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Share of ``flag`` among persons of each single year of age, per person."""
    n = np.bincount(age, minlength=int(age.max()) + 1 if age.size else 1)
    k = np.bincount(age, weights=flag, minlength=n.size)
    return (k / np.maximum(n, 1))[age]


def derive_living(cols) -> None:
    """Set ``living`` of the living from the household (in place).

    Collective in an institution; else with children → with family; a spouse at home →
    empty nest; otherwise alone. A dead person keeps the arrangement they died in. The numpy
    twin of :func:`_living_kernel` (base year) and of the living part of
    :func:`_household_kernel` (yearly step).
    """
    spouse, alive, inst = cols["spouse"], cols["alive"], cols["in_institution"]
    at_home = spouse == SPOUSE_NOT_MODELLED
    linked = spouse >= 0
    partner = spouse[linked]
    at_home[linked] = alive[partner] & ~inst[partner]
    living = np.where(
        inst | cols["with_children"], WITH_FAMILY, np.where(at_home, EMPTY_NEST, ALONE)
    )
    cols["living"][alive] = living[alive]


def _household_numpy(cols, u, leave) -> None:
    alive, spouse = cols["alive"], cols["spouse"]
    linked = spouse >= 0
    widowed = linked & alive
    widowed[linked] &= ~alive[spouse[linked]]
    spouse[widowed] = NO_SPOUSE
    rep = cols["household"]
    head_age = np.where(
        spouse >= 0, np.maximum(cols["age"], cols["age"][np.maximum(spouse, 0)]), cols["age"]
    )
    go = alive & cols["with_children"] & (u[rep] < leave[head_age])
    # a household's members share the draw of its representative, so both leave together
    cols["with_children"][go] = False


@kernel
def _household_kernel(alive, spouse, household, with_children, inst, living, age, key, leave, top):
    # One pass does what the numpy twin does in three (_household_numpy, derive_living and
    # the counts of Household.move_in): every update of agent i reads only its own spouse
    # entry and columns no other agent's update writes (alive, in_institution, age). The
    # dead are skipped: they keep the arrangement they died in.
    n_ages = top + 1
    n_home = np.zeros(n_ages, np.int64)
    n_alone = np.zeros(n_ages, np.int64)
    alone = np.empty(alive.shape[0], np.int32)  # who lives alone, for the move-in pass
    k = 0
    for i in range(alive.shape[0]):
        if not alive[i]:
            continue
        s = spouse[i]
        if s >= 0 and not alive[s]:  # widowed by this year's death
            s = -1
            spouse[i] = -1
        if with_children[i]:
            head = age[i]
            if s >= 0 and age[s] > head:
                head = age[s]
            # one draw per household (its representative's), inline: all leave together
            if agent_uniform(key, household[i]) < leave[head]:
                with_children[i] = False
        if inst[i] or with_children[i]:
            v = WITH_FAMILY
        elif s == SPOUSE_NOT_MODELLED or (s >= 0 and alive[s] and not inst[s]):
            v = EMPTY_NEST
        else:
            v = ALONE
        living[i] = v
        if not inst[i]:
            a = min(age[i] + 1, top)
            n_home[a] += 1
            if v == ALONE:
                n_alone[a] += 1
                alone[k] = i
                k += 1
    return n_home, n_alone, alone[:k]


@kernel
def _move_in_kernel(alone, living, with_children, age, key, p, top):
    # only the living who live alone (listed by _household_kernel), not every agent
    for i in alone:
        if agent_uniform(key, i) < p[min(age[i] + 1, top)]:
            with_children[i] = True
            living[i] = WITH_FAMILY


@kernel
def _living_kernel(alive, spouse, with_children, inst, living):
    # derive_living's numba twin (the base year; the yearly step fuses it).
    for i in range(alive.shape[0]):
        if not alive[i]:
            continue
        s = spouse[i]
        if inst[i] or with_children[i]:
            living[i] = WITH_FAMILY
        elif s == SPOUSE_NOT_MODELLED or (s >= 0 and alive[s] and not inst[s]):
            living[i] = EMPTY_NEST
        else:
            living[i] = ALONE

"""What processes declare (reads, writes, follows) is true and is checked against the order.

The declarations are compared with what each process's ``init`` and ``step`` actually read
from the person columns (a dict that records every key asked for), so a declaration can
neither be missing nor stale; :func:`check_order` refuses orders the declarations forbid.
"""

import sys
from pathlib import Path

import pytest

from simlib.core.errors import ParamError
from simlib.model import ElderCareModel
from simlib.population.processes import PROCESSES, check_order
from simlib.population.processes.base import Process

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from toy_process import Toy  # noqa: E402


class _Recording(dict):
    """Person columns that record which keys are read."""

    def __init__(self, cols):
        super().__init__(cols)
        self.seen = set()

    def __getitem__(self, key):
        self.seen.add(key)
        return super().__getitem__(key)


def test_every_process_declares_exactly_the_columns_it_reads():
    model = ElderCareModel("xiaoyi", sample=0.01, rng=1, end_year=2022)
    cols = model.population.cols
    risk_columns = {p.risk().column for p in model.processes if p.risk() is not None}
    for p in model.processes:
        seen = set()
        for call in ("init", "step"):
            rec = _Recording(cols)
            if call == "init":
                p.init(rec, model.streams.base(p.name))
            else:
                p.step(rec, 2020, model.streams.get(p.name, 2020))
            seen |= rec.seen
        declared = {*p.owns, *p.writes, *p.reads, *p.reads_last_year}
        if p.name == "death":  # it reads every declared risk's column (see base.py)
            declared |= risk_columns
        assert seen - set(p.owns) - set(p.writes) <= declared, p.name
        assert set(p.reads) | set(p.reads_last_year) <= seen, p.name  # nothing stale


def test_the_toy_process_declares_what_it_reads():
    assert {"alive", "age"} == set(Toy.reads)
    check_order((*PROCESSES, Toy))


def _process(name, **decl):
    return type(name.title(), (Process,), {"name": name, **decl})


def test_two_writers_of_a_column_need_a_declared_order():
    # a second writer of adl_level, run after the built-in processes, with no order declared
    late = _process("late", writes=("adl_level",))
    with pytest.raises(ParamError, match="adl and late both write column 'adl_level'.*follows"):
        check_order((*PROCESSES, late))
    # declaring it is not enough while institution reads this year's adl_level before it
    ordered = _process("late", writes=("adl_level",), follows=("adl",))
    with pytest.raises(ParamError, match="institution: reads 'adl_level' this year, but late"):
        check_order((*PROCESSES, ordered))
    # run right after adl, it is accepted
    order = list(PROCESSES)
    order.insert(order.index(next(p for p in PROCESSES if p.name == "adl")) + 1, ordered)
    check_order(order)


def test_a_reader_runs_after_its_writer_or_says_it_reads_last_year():
    early = _process("early", reads=("in_institution",))
    with pytest.raises(
        ParamError, match="early: reads 'in_institution' this year, but institution"
    ):
        check_order((early, *PROCESSES))
    lagged = _process("early", reads_last_year=("in_institution",))
    check_order((lagged, *PROCESSES))
    # a false "last year" is refused too: nothing writes in_institution after the toy
    with pytest.raises(ParamError, match="reads last year's 'in_institution', but no process"):
        check_order((*PROCESSES, lagged))


def test_follows_names_an_earlier_process_and_reads_a_known_column():
    with pytest.raises(ParamError, match="follows 'deth'.*did you mean 'death'"):
        check_order((*PROCESSES, _process("x", follows=("deth",))))
    with pytest.raises(ParamError, match="x: declares it follows ageing, but ageing runs after"):
        check_order((_process("x", follows=("ageing",)), *PROCESSES))
    with pytest.raises(ParamError, match="unknown column 'adl_levle'.*did you mean 'adl_level'"):
        check_order((*PROCESSES, _process("x", reads=("adl_levle",))))

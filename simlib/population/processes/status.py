"""Attributes drawn once in the base year: 计生特殊家庭, 优抚, 军属, 残疾人证."""

from __future__ import annotations

import numpy as np

from simlib.population.processes.base import OLD_AGE, Process


class Status(Process):
    """Family and status flags and the disability certificate (no yearly change).

    Family-planning special families, 重点优抚对象, families of servicemen and 残疾人证 (grade
    and type) are drawn from their prevalences. Homelessness (生活无着) has no figure and is
    left false for everyone.
    """

    name = "status"
    owns = (
        "fp_special",
        "youfu",
        "military_family",
        "disability_grade",
        "disability_type",
        "homeless",
    )
    reads_last_year = ("age",)
    reports = ()
    params = {
        "fp_special": "value",
        "youfu": "value",
        "military_family": "value",
        "disability_certificate_60plus": "value",
        "disability_certificate_45_59_ratio": "value",
        "disability_grade_shares": "table",
        "disability_type_shares": "table",
    }

    def init(self, cols, rng):  # noqa: D102 - see the class docstring
        v, sh = self.p.values, self.p.shares
        age, n = cols["age"], cols["age"].size
        cols["fp_special"][:] = rng.random(n) < v["fp_special"]
        cols["youfu"][:] = (age >= OLD_AGE) & (rng.random(n) < v["youfu"])
        cols["military_family"][:] = (age >= OLD_AGE) & (rng.random(n) < v["military_family"])
        p_cert = v["disability_certificate_60plus"] * np.where(
            age >= OLD_AGE, 1.0, v["disability_certificate_45_59_ratio"]
        )
        cert = rng.random(n) < p_cert
        grades = 1 + rng.choice(4, size=n, p=list(sh["disability_grade_shares"].values()))
        types = 1 + rng.choice(7, size=n, p=list(sh["disability_type_shares"].values()))
        cols["disability_grade"][:] = np.where(cert, grades, 0)
        cols["disability_type"][:] = np.where(cert, types, 0)

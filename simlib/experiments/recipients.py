"""The model's benefit recipients against published administrative counts.

Published recipients of the old-age subsidies (老年人补贴) are national series of the
民政事业发展统计公报 and the 国家老龄事业发展公报; no count for Shanxi, Henan or the five cities
was found (``../shared/research/outcome_data.md`` §1.3-1.4, §5). Two uses:

* **calibration** (:func:`take_up_from_recipients`, ``scripts/calibrate_take_up.py``): the
  take-up of a family is the published recipients per resident aged 60+ divided by the model's
  *eligible* per resident aged 60+ (the five cities pooled), so that the model enrols the
  national rate. A national rate stands in for the cities' (a proxy), so the result stays an
  assumption, with the calibration as its source;
* **validation** (:func:`recipients_comparison`, notebook 02): the model's *enrolled* per
  1 000 residents aged 60+, by city, against the national rate, flagged where more than ×2 apart.

Counts are of persons at year end (万人) over the 60+ population at year end (万人).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

#: Ratio beyond which a city's rate and the published one are flagged (either direction).
FLAG_RATIO = 2.0


@dataclass(frozen=True)
class Published:
    """A published national count of older recipients of one benefit family.

    Attributes:
        family: Item family (``params/vocabulary/families.yaml``).
        year: Year end of the count.
        recipients: Recipients, 万人 (10 000 persons).
        pop60: Residents aged 60+ at the same date, 万人.
        label: What was counted, as published.
        source: Original document, and the copy it was read in.
    """

    family: str
    year: int
    recipients: float
    pop60: float
    label: str
    source: str

    @property
    def per_1000_60plus(self) -> float:
        """Recipients per 1 000 residents aged 60+."""
        return 1000 * self.recipients / self.pop60


_B2024 = (
    "2024年民政事业发展统计公报 (民政部, 2025): '截至2024年底,全国60周岁及以上老年人口"
    "31031万人…享受高龄津贴的老年人3752.8万人,享受护理补贴的老年人93.2万人,"
    "享受养老服务补贴的老年人587.3万人'; read in the re-post "
    "https://www.anyang100.com/article/172507311.html ('内容整理自:民政部官网'), "
    "not on mca.gov.cn itself"
)
_B2023 = (
    "2023年度国家老龄事业发展公报 (民政部、全国老龄办, 2024-10-11): '全国60周岁及以上"
    "老年人口29697万人…享受高龄津贴的老年人3547.8万人,享受养老服务补贴的老年人621.4万人,"
    "享受护理补贴的老年人98.5万人'; "
    "read in the re-post http://shzxl.org.cn/show-127183.html of 山西省民政厅 "
    "https://mzt.shanxi.gov.cn/ywsd/202410/t20241012_9672339.html"
)

#: National series (outcome_data.md §1.1, checked against the re-posts named in each source).
NATIONAL: tuple[Published, ...] = (
    Published("old_age_allowance", 2024, 3752.8, 31031, "享受高龄津贴的老年人", _B2024),
    Published("care_subsidy", 2024, 93.2, 31031, "享受护理补贴的老年人", _B2024),
    Published("service_subsidy", 2024, 587.3, 31031, "享受养老服务补贴的老年人", _B2024),
    Published("old_age_allowance", 2023, 3547.8, 29697, "享受高龄津贴的老年人", _B2023),
    Published("care_subsidy", 2023, 98.5, 29697, "享受护理补贴的老年人", _B2023),
    Published("service_subsidy", 2023, 621.4, 29697, "享受养老服务补贴的老年人", _B2023),
)

#: Why a city's rate may differ from the national one, by family (shown with the comparison).
WHY_CITIES_DIFFER = {
    "old_age_allowance": (
        "the national count mixes provinces that start at 70, 75, 80 or 90 and some that pay only "
        "the poor; the cities' lists set their own ages; the cities' share of the 80+ differs"
    ),
    "care_subsidy": (
        "provinces set their own 经济困难 and 失能 thresholds and assessment practice; Shanxi's "
        "and Henan's 低保 shares of the 60+ differ from China's; dispersed 特困 get their care "
        "money "
        "inside 特困 support, not as 护理补贴"
    ),
    "service_subsidy": (
        "the five lists pay it to narrow groups (e.g. Jincheng: 低保 aged 80-99), many provinces "
        "to all 经济困难 older people; the national count includes 综合补贴-like schemes"
    ),
}


def national(year: int) -> dict[str, Published]:
    """The published national counts of ``year``, by family.

    Raises:
        KeyError: If no count of that year is held.
    """
    out = {p.family: p for p in NATIONAL if p.year == year}
    if not out:
        years = sorted({p.year for p in NATIONAL})
        raise KeyError(f"no published recipient counts for {year}; years held: {years}")
    return out


def _rates(res, year: int) -> pd.DataFrame:
    """Per family in ``year``: eligible, enrolled (means) and the enrolled's SE; the 60+."""
    out = {}
    with warnings.catch_warnings():
        # only means and standard errors are read, not intervals: the few-replications
        # warning about intervals does not apply
        warnings.simplefilter("ignore", UserWarning)
        for measure in ("eligible", "enrolled"):
            t = res.totals(measure, by=("year", "family"))
            t = t[t["year"] == year].set_index("family")
            out[measure] = t["value"]
            if measure == "enrolled":
                out["enrolled_se"] = t["se"]
    pop = res.totals("pop60", by=("year",))
    pop60 = float(pop.loc[pop["year"] == year, "value"].iloc[0])
    df = pd.DataFrame(out).fillna(0.0)
    df["pop60"] = pop60
    return df


def recipients_comparison(
    results: Mapping[str, object], year: int = 2024, model_year: int | None = None
) -> pd.DataFrame:
    """Model recipients per 1 000 aged 60+, by city and pooled, against the national rate.

    Args:
        results: City key → :class:`~simlib.experiments.result.Result` covering
            ``model_year``.
        year: Year of the published counts (:data:`NATIONAL`).
        model_year: Year of the model's rates (``year`` by default; later when a city's list
            comes into force after it: Xiaoyi's and Changzhi's from 2025).

    Returns:
        One row per family × city (and ``pooled``): eligible and enrolled per 1 000 aged 60+
        (replication means), the enrolled's Monte-Carlo SE (0 with one replication), the
        published national rate, ratio (enrolled / published), ``flag`` (ratio above
        :data:`FLAG_RATIO` or below its inverse), why cities may differ, and ``reps``, the
        city's replications (none on the pooled rows, which combine the cities' runs).
    """
    pub = national(year)
    rows, pooled = [], {}
    for city, res in results.items():
        df = _rates(res, model_year or year)
        for fam, p in pub.items():
            el = float(df["eligible"].get(fam, 0.0))
            en = float(df["enrolled"].get(fam, 0.0))
            se = float(df["enrolled_se"].get(fam, 0.0))
            se = 0.0 if math.isnan(se) else se  # one replication: no SE
            pop60 = float(df["pop60"].iloc[0])
            acc = pooled.setdefault(fam, [0.0, 0.0, 0.0, 0.0])
            acc[0] += el
            acc[1] += en
            acc[2] += se**2  # the cities' runs are independent
            acc[3] += pop60
            rows.append((fam, city, *(1000 * v / pop60 for v in (el, en, se)), p.per_1000_60plus))
    for fam, (el, en, var, pop60) in pooled.items():
        rates = (1000 * v / pop60 for v in (el, en, math.sqrt(var)))
        rows.append((fam, "pooled", *rates, pub[fam].per_1000_60plus))
    out = pd.DataFrame(
        rows,
        columns=[
            "family",
            "city",
            "eligible_per_1000",
            "enrolled_per_1000",
            "enrolled_se_per_1000",
            "published_per_1000",
        ],
    )
    out["ratio"] = out["enrolled_per_1000"] / out["published_per_1000"]
    out["flag"] = (out["ratio"] > FLAG_RATIO) | (out["ratio"] < 1 / FLAG_RATIO)
    out["why_cities_differ"] = out["family"].map(WHY_CITIES_DIFFER)
    # each city's replications (they may differ: target_rse adds some); pooled combines them
    out["reps"] = out["city"].map({c: r.n_reps for c, r in results.items()}).astype("Int64")
    sources = {f: p.source for f, p in pub.items()}
    out.attrs.update(year=year, model_year=model_year or year, sources=sources)
    return out


def take_up_from_recipients(comparison: pd.DataFrame) -> pd.DataFrame:
    """Take-up that makes the pooled cities enrol the national rate.

    Args:
        comparison: Output of :func:`recipients_comparison`.

    Returns:
        One row per family: published and model-eligible per 1 000 aged 60+ (pooled), the
        implied take-up (published ÷ eligible) and ``identified``: False where the implied
        value exceeds 1 (the cities' rule is narrower than the national mix of rules, so the
        count cannot fix take-up; a value of 1 is only a bound).
    """
    p = comparison[comparison["city"] == "pooled"].set_index("family")
    out = pd.DataFrame(
        {
            "published_per_1000": p["published_per_1000"],
            "eligible_per_1000": p["eligible_per_1000"],
        }
    )
    out["implied_take_up"] = out["published_per_1000"] / out["eligible_per_1000"]
    out["identified"] = out["implied_take_up"] <= 1.0
    return out

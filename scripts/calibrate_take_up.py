"""Calibrate take-up to published recipients, and derive wage-based unit costs.

Take-up (``params/outcomes.yaml`` ``take_up.by_family``) of the families with a published
national recipient count (``simlib/experiments/recipients.py: NATIONAL``): the five cities are
run under the baseline, pooled, and take-up = published recipients per resident aged 60+ ÷ the
model's eligible per resident aged 60+, in the calibration year. Where that exceeds 1 the
cities' rules are narrower than the national mix and the count cannot fix take-up (printed as
not identified). Senior education (老年教育, every resident aged 60+ eligible): national
in-school learners aged 60+ per resident aged 60+ (:func:`senior_education_take_up`).
Public transport (free city buses, every resident aged 65+ eligible in Datong): the free-ride
cards Datong's bus company had issued per Datong resident aged 65+
(:func:`public_transport_take_up`), a proxy for the other cities.
Legal aid (法律援助, Datong item 12 and Puyang item 28): the older people national legal-aid
institutions helped each year (2013-2018) per resident aged 60+, over the model's eligible
per resident aged 60+ in the cities listing it (:func:`legal_aid_take_up`); the rate per
resident aged 60+ stands in for the litigation-fee waiver (司法救助) too.
Inputs: the national counts of 2024 (check: 2023) against the model's
2025 (the first year all five lists are in force), the baseline scenario, the
2020 census population aged forward by the model (no post-2020 stock is fitted).

Unit costs of staff-delivered units (``unit_cost_yuan``): labour cost per hour = monthly
care-worker pay × 12 × (1 + employer on-costs) ÷ ``fte_hours_per_year``, times the unit's
minutes plus travel (home units) ÷ 60. A primary-care follow-up: the urban average wage
(the same on-costs and hours) × its minutes; the health check's minutes are bounded above by
its price at that labour cost. Inputs printed below with their sources.

Run: ``PYTHONPATH=$PWD .venv/bin/python scripts/calibrate_take_up.py [--sample 0.05 --reps 2]``
and copy the printed values into ``params/outcomes.yaml`` (each entry cites this script).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import pandas as pd

import simlib
from simlib.experiments.recipients import recipients_comparison, take_up_from_recipients
from simlib.params import load_inputs

#: Care-worker pay, yuan/month: 2025 national job postings, average (reportify summary of
#: a recruitment-platform report, ../shared/research/outcome_data.md §3; third-party). The
#: 2025 range reported by 经济观察报 (via reportify) is 5 000-7 000; entry level 4 000-6 000.
PAY_YUAN_MONTH = 5720
#: Employer on-costs (social insurance, housing fund), share of pay: an assumption — Shanxi's
#: employer pension contribution is 16 %, medical about 8 %, the rest about 2 %; the housing
#: fund is often not paid to care workers.
ON_COSTS = 0.26
#: Senior education (老年教育): in-school learners of the universities and schools for the
#: aged at end-2019, 万人, and the share of them aged under 60 (about half aged 60-69 and
#: over 80 % under 70: 80 % - 50 % = 30 %), 中国老年大学协会《中国老年教育发展报告
#: (2019-2020)》 as reported by Xinhua 2021-10-19 (re-posts jkchina.org, cinic.org.cn).
SENIOR_LEARNERS_WAN = 1088.2
SENIOR_LEARNERS_UNDER_60 = 0.30
#: The 2020 census file holding China's residents aged 60+ (the denominator).
CENSUS_5YR = Path(__file__).resolve().parents[1] / (
    "params/sources/reference/census_province_age_sex_5yr.csv"
)
#: Free-ride cards (敬老卡) for residents aged 65+ issued by Datong's bus company by
#: October 2021, cumulative since the age was lowered to 65 in July 2019 (大同晚报
#: 2021-10-12, http://epaper.dtnews.cn/dtwb/html/2021-10/12/content_52_134508.htm).
DATONG_BUS_CARDS = 167_000
#: The 2020 census by city, county, sex and 5-year age group (the model's own input).
CENSUS_CITIES = Path(__file__).resolve().parents[1] / "params/population/census2020_age_sex.csv"
#: Average wage of urban non-private units, 2023, yuan a year (国家统计局, reported by 羊城晚报
#: 2024-05-21 and in the 中国统计年鉴2024 summaries): the labour cost of primary-care staff,
#: who are paid near the urban average (no primary-care wage for Shanxi or Henan was found).
URBAN_WAGE_2023 = 120_698
#: The yearly 65+ health check's price, yuan (unit_cost_yuan.health_check: Xinjiang's
#: universal check, 1.49 billion yuan for 17.5 million residents, ecns.cn 2017-03-05).
HEALTH_CHECK_YUAN = 85
#: Legal aid (法律援助) for older people: persons aged 60+ helped by legal-aid institutions
#: over the five years to November 2018, and those years (Ministry of Justice, Xinhua
#: 2018-11-29, "Nearly 7 mln Chinese receive legal aid in past five years": "helped … 585,000
#: elderly people"; read at subsites.chinadaily.com.cn/ministries/justice/2018-11/30/c_301099.htm
#: and archive.shine.cn, Shanghai Daily 2018-11-30).
LEGAL_AID_ELDERLY = 585_000
LEGAL_AID_YEARS = 5
#: China's residents aged 60+ at the middle of that period, end-2015, 万人 (NBS: "The number
#: of Chinese older than 60 reached 220 million by the end of 2015", China Daily 2016-04-11,
#: global.chinadaily.com.cn/travel/2016-04/11/content_24421979.htm).
POP60_END_2015_WAN = 22_000
#: Units whose cost is staff time (the others are subsidies or prices set by a document).
STAFF_UNITS = ("visit", "home_care_visit", "cleaning", "maintenance_visit")


def china_60plus_wan(path=CENSUS_5YR) -> float:
    """China's residents aged 60+ in the 2020 census, 万人 (sum of the 5-year groups)."""
    d = pd.read_csv(path)
    d = d[(d["census_year"] == 2020) & (d["area"] == "China")]
    old = d[d["age_group"].str.match(r"^(6[05]|[789]\d|100)")]
    return float((old["male"] + old["female"]).sum()) / 1e4


def senior_education_take_up() -> float:
    """Take-up of senior education: learners aged 60+ per resident aged 60+ (national).

    Every resident aged 60+ is eligible (Jincheng item 5, Changzhi item 21), so recipients
    per resident aged 60+ is the take-up itself.
    """
    return SENIOR_LEARNERS_WAN * (1 - SENIOR_LEARNERS_UNDER_60) / china_60plus_wan()


def city_residents(city: str, min_age: int, path=CENSUS_CITIES) -> int:
    """Residents of ``city`` aged ``min_age``+ on census day 2020 (persons, all counties)."""
    d = pd.read_csv(path).drop_duplicates()
    return int(d[(d["city"] == city) & (d["age_start"] >= min_age)]["count"].sum())


def public_transport_take_up() -> float:
    """Take-up of free city buses: Datong's free-ride cards per Datong resident aged 65+.

    Every resident aged 65+ is eligible (Datong item 7), so cards per resident aged 65+ is
    the take-up (an upper reading: the count is cumulative since 2019).
    """
    return DATONG_BUS_CARDS / city_residents("datong", 65)


def legal_aid_per_60plus() -> float:
    """Older legal-aid recipients per year per resident aged 60+ (national, 2013-2018)."""
    return LEGAL_AID_ELDERLY / LEGAL_AID_YEARS / (POP60_END_2015_WAN * 1e4)


def family_eligible_per_60plus(results, family: str, year: int) -> tuple[float, list[str]]:
    """Eligible persons of ``family`` per resident aged 60+, pooled over the cities listing it.

    Only cities with an item of the family count (the national recipients are of places
    that grant it); each city's eligible and 60+ are replication means in ``year``.
    """
    el = pop = 0.0
    cities = []
    for city, res in results.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # means only, no intervals
            t = res.totals("eligible", by=("year", "family"))
            p = res.totals("pop60", by=("year",))
        t = t[(t["year"] == year) & (t["family"] == family)]
        if t.empty or float(t["value"].iloc[0]) == 0:
            continue
        el += float(t["value"].iloc[0])
        pop += float(p.loc[p["year"] == year, "value"].iloc[0])
        cities.append(city)
    return el / pop, cities


def legal_aid_take_up(results, year: int) -> tuple[float, float, list[str]]:
    """Take-up of legal aid: national recipients per 60+ ÷ the model's eligible per 60+.

    Returns:
        (take-up, the model's eligible per resident aged 60+, the cities pooled).
    """
    share, cities = family_eligible_per_60plus(results, "legal_aid", year)
    return legal_aid_per_60plus() / share, share, cities


def main(sample: float, reps: int, year: int, model_year: int, seed: int) -> None:
    """Print the take-up calibration and the wage-based unit costs."""
    pop60 = china_60plus_wan()
    print(
        f"Senior education: {SENIOR_LEARNERS_WAN} 万 learners (end-2019) × "
        f"(1 − {SENIOR_LEARNERS_UNDER_60}) aged 60+ ÷ {pop60:.1f} 万 aged 60+ (2020 census) = "
        f"{senior_education_take_up():.4f}\n"
    )
    print(
        f"Public transport: {DATONG_BUS_CARDS} free-ride cards (Datong, October 2021) ÷ "
        f"{city_residents('datong', 65)} Datong residents aged 65+ (2020 census) = "
        f"{public_transport_take_up():.4f}\n"
    )
    results = {
        c: simlib.run(c, "baseline", sample=sample, reps=reps, seed=seed, end_year=model_year)
        for c in simlib.CITIES
    }
    rate = legal_aid_per_60plus()
    tu, share, pooled = legal_aid_take_up(results, model_year)
    print(
        f"Legal aid: {LEGAL_AID_ELDERLY} older recipients over {LEGAL_AID_YEARS} years "
        f"(2013-2018) ÷ {POP60_END_2015_WAN} 万 aged 60+ (end-2015) = {rate:.6f} a year per "
        f"resident aged 60+; model eligible for legal aid per resident aged 60+ "
        f"({'+'.join(pooled)}, {model_year}) {share:.3f}; take-up {rate:.6f} / {share:.3f} = "
        f"{tu:.5f}\n"
    )
    cmp = recipients_comparison(results, year, model_year)
    pd_opts = dict(float_format=lambda v: f"{v:.3f}")
    print(
        f"Recipients per 1 000 aged 60+: published {year}, model {model_year} "
        f"(sample {sample}, {reps} reps, seed {seed})"
    )
    print(cmp.drop(columns="why_cities_differ").to_string(index=False, **pd_opts))
    print("\nTake-up implied by the national counts (pooled five cities):")
    print(take_up_from_recipients(cmp).to_string(**pd_opts))
    for fam, src in cmp.attrs["sources"].items():
        print(f"  {fam}: {src}")
    check = take_up_from_recipients(recipients_comparison(results, year - 1, model_year))
    print(f"\nCheck, {year - 1} counts: implied take-up")
    print(check["implied_take_up"].to_string(float_format=lambda v: f"{v:.3f}"))
    variant = "care_subsidy_self_report"
    alt = {
        c: simlib.run(c, variant, sample=sample, reps=reps, seed=seed, end_year=model_year)
        for c in simlib.CITIES
    }
    alt_cmp = recipients_comparison(alt, year, model_year)
    care = alt_cmp[(alt_cmp["family"] == "care_subsidy") & (alt_cmp["city"] == "pooled")]
    print(
        f"\nCheck, reading {variant}: care subsidy eligible "
        f"{care['eligible_per_1000'].iloc[0]:.2f}, enrolled {care['enrolled_per_1000'].iloc[0]:.2f}"
        f" per 1 000 aged 60+ against {care['published_per_1000'].iloc[0]:.2f} published "
        f"(ratio {care['ratio'].iloc[0]:.2f})"
    )

    out = load_inputs("jincheng").outcomes
    hourly = PAY_YUAN_MONTH * 12 * (1 + ON_COSTS) / out.fte_hours
    print(
        f"\nLabour cost per hour: {PAY_YUAN_MONTH} yuan/month × 12 × (1 + {ON_COSTS}) / "
        f"{out.fte_hours:g} h = {hourly:.1f} yuan"
    )
    health = URBAN_WAGE_2023 * (1 + ON_COSTS) / out.fte_hours
    follow = out.minutes["follow_up"]
    print(
        f"Primary-care labour cost per hour: {URBAN_WAGE_2023} yuan/year × (1 + {ON_COSTS}) / "
        f"{out.fte_hours:g} h = {health:.1f} yuan\n"
        f"  follow_up: {follow:g} min → {health * follow / 60:.0f}"
        f" yuan (now {out.unit_cost['follow_up']:g})\n"
        f"  health_check minutes, top: {HEALTH_CHECK_YUAN} yuan a check all staff time → "
        f"{60 * HEALTH_CHECK_YUAN / health:.0f} min (now {out.minutes['health_check']:g})"
    )
    for unit in STAFF_UNITS:
        minutes = out.minutes[unit] + (out.travel_minutes if unit in out.home_units else 0)
        print(
            f"  {unit}: ({out.minutes[unit]:g} + travel) = {minutes:g} min → "
            f"{hourly * minutes / 60:.0f} yuan (now {out.unit_cost[unit]:g})"
        )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=float, default=0.05)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--model-year", type=int, default=2025, help="every list in force")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    main(a.sample, a.reps, a.year, a.model_year, a.seed)

"""Why a person gets what: :func:`explain`, and every item of every list: :func:`catalogue`."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from types import SimpleNamespace

import pandas as pd

from simlib.core import people as people_mod
from simlib.core.errors import ParamError, ParamTypeError, checked_arguments
from simlib.params import load_city, read_tree
from simlib.params.tree import check_city, city_keys
from simlib.policy.engine import check_year, resolve_city
from simlib.rules.benefits import kinds, kinds_in
from simlib.rules.conditions import PersonTable


class Explanation(pd.DataFrame):
    """The table :func:`explain` returns: a DataFrame, shown as a tree of conditions.

    In Jupyter it renders each item with its conditions (✓ passed, ✗ failed), the amounts
    and the source; ``print()`` gives the same as plain text. All DataFrame operations work
    (``ex[ex.eligible]`` is an Explanation of the eligible items).
    """

    _metadata = ["title"]

    @property
    def _constructor(self):
        return Explanation

    def _rows(self):
        cols = {"item_id", "conditions", "eligible", "in_force"}
        if not cols <= set(self.columns):
            return None
        return [SimpleNamespace(**r, row=r) for r in pd.DataFrame(self).to_dict("records")]

    def __str__(self) -> str:
        rows = self._rows()
        if rows is None:
            return pd.DataFrame.__repr__(self)
        out = [getattr(self, "title", "") or "explanation"]
        for r in rows:
            mark = "✓" if r.eligible else ("·" if not r.in_force else "✗")
            out.append(f"{mark} {r.item_id} {r.name_zh} {r.name_en}: {_amounts(r.row)}{_was(r)}")
            out += [f"    {line}" for line in r.conditions.splitlines()]
            out.append(f"    source: {r.source}")
        return "\n".join(out)

    def __repr__(self) -> str:
        return self.__str__()

    def _repr_html_(self) -> str:
        rows = self._rows()
        if rows is None:
            return pd.DataFrame._repr_html_(self)
        parts = [f"<div><strong>{html.escape(getattr(self, 'title', '') or '')}</strong><ul>"]
        for r in rows:
            colour = "#1a7f37" if r.eligible else "#888"
            mark = "✓" if r.eligible else ("not in force" if not r.in_force else "✗")
            cond = "".join(
                f"<div style='margin-left:{1.2 * (len(line) - len(line.lstrip()))}em'>"
                f"{html.escape(line.strip())}</div>"
                for line in r.conditions.splitlines()
            )
            parts.append(
                f"<li><span style='color:{colour}'>{html.escape(mark)}</span> "
                f"<b>{html.escape(r.item_id)}</b> {html.escape(r.name_zh)} "
                f"({html.escape(r.name_en)}): {_amounts(r.row, as_html=True)}"
                f"<b>{html.escape(_was(r))}</b>"
                f"<details><summary>conditions and source</summary>{cond}"
                f"<div><i>source: {html.escape(r.source)}</i></div></details></li>"
            )
        parts.append("</ul></div>")
        return "".join(parts)


def _amounts(row: dict, prefix: str = "", as_html: bool = False) -> str:
    """What a row says a person receives: every kind's text (escaped for HTML).

    With ``prefix`` (``base_``), the fields of that name: the baseline beside a reform.
    """
    from html import escape

    bits = []
    for kind in kinds():
        if all(prefix + k in row for k in kind.explain_fields):
            got = kind.explain_text({k: row[prefix + k] for k in kind.explain_fields})
            bits += [kind.explain_html(b) for b in got] if as_html else got
    if not row["quantified"]:
        bits.append("not quantified")
    text = ", ".join(bits) if bits else "nothing"
    return text if not as_html or bits else escape(text)


def _was(r) -> str:
    """`` (baseline: …)`` for an item a scenario changed for this person, else empty."""
    if not getattr(r, "changed", False):
        return (
            "  (rule changed by the scenario; the same for this person)"
            if getattr(r, "rule_changed", False)
            else ""
        )
    before = _amounts(r.row, "base_") if r.base_eligible else "not eligible"
    return f"  ← changed; baseline: {before}"


@checked_arguments
def explain(
    city, person: Mapping | pd.Series, year: int, scenario=None, params_dir=None
) -> Explanation:
    """Explain, item by item, what one person gets from a city's list and why.

    Args:
        city: A loaded city or a city name (``"datong"``, ``"大同"``).
        person: The person's attributes (labels, English or Chinese, for categories);
            missing ones take their defaults.
        year: Calendar year (warns if no item of the list is in force yet).
        scenario: A reform (a scenario name, YAML path, dict, Scenario, or a list of them
            applied in order): the person is traced under the list it puts in force in
            ``year``, beside the baseline, item by item.
        params_dir: A params directory (with ``scenario``; the bundled one by default).

    Returns:
        An :class:`Explanation`: one row per item (including items not in force) with
        ``item_id``, ``name_zh``, ``name_en``, ``in_force``, ``eligible``, ``conditions``
        (one line per condition, ✓/✗ and indentation showing the tree), the fields of every
        benefit kind (:func:`~simlib.rules.benefits.kinds`: ``yuan_per_year`` and
        ``yuan_once`` for cash, ``units`` per year for in-kind units, ``placement`` for a
        bed, and those of any kind the list uses), ``quantified`` and ``source``.
        With a ``scenario``, these describe the person under the reform, and
        ``base_eligible`` and ``base_<field>`` for every kind's field
        (``base_yuan_per_year``, ``base_units`` …) the same person under the baseline;
        ``changed`` says whether the person's eligibility or amounts differ (an item the
        reform adds or removes is changed), and
        ``rule_changed`` whether the item's conditions read differently. Amounts are
        entitlements, before take-up.
    """
    city = resolve_city(city, year)
    if isinstance(person, pd.Series):
        person = person.to_dict()
    if not isinstance(person, Mapping):
        raise ParamTypeError(
            f"person: expected a mapping of attributes, got {type(person).__name__}"
        )
    try:
        cols = PersonTable(people_mod.from_record(dict(person)))
    except ValueError as err:
        raise ParamError(str(err)) from None
    who = ", ".join(f"{k}={v}" for k, v in person.items())
    if scenario is None:
        year = check_year(year, city.services)
        ex = Explanation(_trace(city.services, city.items, cols, year))
        ex.title = f"{city.context.name_zh} {city.key}, {year}: {who}"
        return ex
    from simlib.params import load_inputs

    inputs = load_inputs(city.key, scenario, params_dir=params_dir)
    base = load_inputs(city.key, "baseline", params_dir=params_dir)
    year = check_year(year, base.services)
    reform_list, base_list = inputs.policy(year).services, base.policy(year).services
    rows = _trace(reform_list, reform_list.items, cols, year)
    before = {r["item_id"]: r for r in _trace(base_list, base_list.items, cols, year)}
    for r in rows:
        b = before.pop(r["item_id"], None)
        _beside(r, b)
    empty = _empty_fields([*reform_list.items, *base_list.items])
    for b in before.values():  # items the reform removed
        r = {**b, "in_force": False, "eligible": False, **empty}
        r["conditions"] = "(removed by the scenario)"
        _beside(r, b)
        rows.append(r)
    ex = Explanation(rows)
    ex.title = (
        f"{city.context.name_zh} {city.key}, {year}, under {inputs.scenario.name} "
        f"(beside the baseline): {who}"
    )
    return ex


def _beside(r: dict, b: dict | None) -> None:
    """Add the baseline's view of an item (``b``; None: the reform added it) to row ``r``."""
    empty = {k: v for kind in kinds() for k, v in kind.explain_fields.items() if k in r}
    fields = list(empty)
    r["base_eligible"] = bool(b and b["eligible"])
    for k in fields:
        r[f"base_{k}"] = b.get(k, empty[k]) if b else empty[k]
    r["changed"] = (
        b is None or r["eligible"] != b["eligible"] or any(r[k] != b.get(k) for k in fields)
    )
    r["rule_changed"] = b is None or r["conditions"] != b["conditions"]


def _empty_fields(items) -> dict:
    """Every explain field of the kinds the items use (built-in kinds always), received none."""
    used = kinds_in([c for it in items for c in it.benefit.components])
    return {k: v for kind in used for k, v in kind.explain_fields.items()}


def _trace(services, items, cols, year: int) -> list[dict]:
    """One row per item: in force, eligible, the traced conditions, the amounts."""
    results = {r.item.id: r for r in services.evaluate(cols, year)}
    empty = _empty_fields(items)
    out = []
    for item in items:
        r = results.get(item.id)
        trace = item.eligibility.trace(cols)
        lines = "\n".join(f"{'  ' * d}{'✓' if ok else '✗'} {text}" for d, text, ok in trace)
        out.append(
            {
                "item_id": item.id,
                "name_zh": item.name_zh,
                "name_en": item.name_en,
                "in_force": r is not None,
                "eligible": bool(r.eligible[0]) if r else False,
                "conditions": lines,
                **empty,
                **(r.explain_row(0) if r is not None else {}),
                "quantified": item.benefit.quantified,
                "source": item.source,
            }
        )
    return out


@checked_arguments
def catalogue(
    cities: str | Iterable[str] | None = None, params_dir=None, programmes: bool = True
) -> pd.DataFrame:
    """All items of the given cities' lists in one tidy table.

    Args:
        cities: A city name or several (all cities by default).
        params_dir: A params directory (the bundled one by default).
        programmes: Also list the items of the programmes that reach each city
            (``params/programmes/``); False: the lists' own items only.

    Returns:
        One row per item with city, ``item_id``, number, names (zh/en), target group,
        service type (zh/en), lead departments, spending responsibility, ``funding`` (who
        pays: shares by payer, flagged when assumed or a default), ``effective``
        (a date), a flag per benefit kind (``cash``, ``in_kind``, ``placement`` and any
        kind the lists use), a short benefit summary, assumption flag and source. The items of
        the programmes that reach each city (``params/programmes/``) follow its own, with
        ``programme`` naming the programme (None for the list's own items).
    """
    tree = read_tree(params_dir)
    if cities is None:
        keys = list(city_keys(tree))
    elif isinstance(cities, str):
        keys = [check_city(cities, tree)]
    elif isinstance(cities, Iterable) and not isinstance(cities, (bytes, Mapping)):
        keys = list(dict.fromkeys(check_city(c, tree) for c in cities))
        if not keys:
            raise ParamError("cities: an empty list; name at least one city (None gives all)")
    else:
        raise ParamTypeError(f"cities: expected a city name or a list, got {type(cities).__name__}")
    lists = {key: load_city(key, params_dir) for key in keys}
    used = kinds_in(
        [c for city in lists.values() for it in city.items for c in it.benefit.components]
    )
    rows = []
    for key, city in lists.items():
        for it in city.items if programmes else city.services.own_items:
            b = it.benefit
            rows.append(
                {
                    "city": key,
                    "city_zh": city.context.name_zh,
                    "item_id": it.id,
                    "number": it.number,
                    "name_zh": it.name_zh,
                    "name_en": it.name_en,
                    "target_group_zh": it.target_group_zh,
                    "service_type_zh": it.service_type_zh,
                    "service_type_en": it.service_type_en,
                    "lead_department_zh": "、".join(it.lead_department_zh),
                    "spending_zh": it.spending_zh,
                    "funding": it.funding.describe(),
                    "effective": pd.Timestamp(it.effective),
                    **{k: v for kind in used for k, v in kind.flag(b).items()},
                    "quantified": b.quantified,
                    "household": b.household,
                    "pension": it.pension,
                    "family": it.family,
                    "programme": it.programme,
                    "benefit": b.describe(),
                    "assumption": any(c.provenance.assumption for c in b.components),
                    "source": it.source,
                }
            )
    return pd.DataFrame(rows)

"""A new city's files, written from the census: ``python -m simlib new-city 太原市``.

:func:`new_city` finds the prefecture (or county-level city) in China's 2020 county census
table (:mod:`simlib.params.census`) and writes three files into a params directory:

* ``cities/<key>.yaml``: name, province and every county with its 区划代码 from the census;
  standards and definitions empty, with the format's comments;
* ``services/<key>.yaml``: the document block to fill in and an empty item list;
* ``targets/<key>.yaml``: an empty target list.

A directory that is not yet a params tree becomes an *overlay* of the bundled params (an
``overlay.yaml`` is written; :mod:`simlib.params.tree`), so the new city runs beside the
bundled ones with only its own files. Nothing is overwritten: if any of the three files
exists, nothing is written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from simlib.core.errors import ParamError
from simlib.params.census import census_table, prefecture_rows
from simlib.params.tree import OVERLAY, city_aliases, city_keys, default_params_dir, read_tree

#: A city key: lower-case ASCII, as the file names and item ids (``taiyuan.1``) use it.
KEY = re.compile(r"[a-z][a-z0-9_]*")


def new_city(
    name: str,
    *,
    key: str | None = None,
    name_en: str | None = None,
    params_dir: str | Path | None = None,
) -> list[Path]:
    """Write the skeleton files of a new city from the 2020 census.

    Args:
        name: The prefecture's Chinese name (``"太原市"``, ``"太原"``) or a county-level
            city's (``"孝义市"``).
        key: The city key (file names, item ids): lower-case ASCII such as ``"taiyuan"``.
            Default ``city<code>``, from the 区划代码 (``city140100``).
        name_en: The English name (default: a placeholder to replace).
        params_dir: Where to write: a params tree, or a folder that becomes an overlay of the
            bundled params (created if missing). Default: the repository's ``params/`` (only
            in a checkout, not an installed package).

    Returns:
        The files written.

    Raises:
        ParamError: On an unknown (with a did-you-mean) or ambiguous name, a bad key, a
            city the tree already has, or an existing file; nothing is written then.
    """
    base = read_tree(None)
    rows = prefecture_rows(census_table(base, 2020), name, "new-city")
    first = rows.iloc[0]
    by_prefecture = str(first["市"]).startswith(name.strip().removesuffix("市"))
    name_zh = str(first["市"]) if by_prefecture else str(first["区县"])
    codes = rows["区划代码"].dropna()
    code = codes.iloc[0][:4] + "00" if by_prefecture else str(first["区划代码"])
    key = key or f"city{code}"
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise ParamError(f"new-city: key {key!r}: use lower-case ASCII letters, digits and _")
    root = _target(params_dir)
    # the cities the new one will sit beside: the tree's, or the bundled ones for a new overlay
    tree = read_tree(root) if (root / "cities").is_dir() else base
    taken = city_aliases(tree)
    if key in city_keys(tree) or name_zh in taken:
        raise ParamError(
            f"new-city: {root} already has the city {taken.get(name_zh, key)!r} ({name_zh})"
            f"{'' if (root / 'cities').is_dir() else ' (from the bundled params it overlays)'}"
            "; choose another --key, or a complete params tree without it"
        )
    files = {
        root / "cities" / f"{key}.yaml": _city_text(key, name_zh, name_en, rows, by_prefecture),
        root / "services" / f"{key}.yaml": _services_text(key, name_zh),
        root / "targets" / f"{key}.yaml": _targets_text(key, name_zh),
    }
    exist = [str(p) for p in files if p.exists()]
    if exist:
        raise ParamError(f"new-city: {', '.join(exist)} exist; nothing was written")
    if not (root / "cities").is_dir() and not (root / OVERLAY).exists():
        root.mkdir(parents=True, exist_ok=True)
        files = {root / OVERLAY: _OVERLAY_TEXT, **files}
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)


def _target(params_dir: str | Path | None) -> Path:
    if params_dir is not None:
        root = Path(params_dir)
        if root.exists() and not root.is_dir():
            raise ParamError(f"new-city: {root} is not a directory")
        return root
    root = default_params_dir()
    if root.name != "params":  # an installed package: its data folder is not for editing
        raise ParamError("new-city: give a params directory (--params-dir) to write into")
    return root


_OVERLAY_TEXT = """\
# This params directory adds to simlib's bundled params: its files are read beside them, and
# a file here replaces the bundled file of the same path (simlib/params/tree.py).
overlay_of: bundled
"""


def _city_text(key, name_zh, name_en, rows, by_prefecture) -> str:
    prov = str(rows.iloc[0]["省"])
    what = "prefecture" if by_prefecture else "county-level city"
    lines = [
        f"# {name_zh}: the context its list's rules need. Format: docs/params_format.md.",
        f"# Written by `python -m simlib new-city {name_zh}` from the 2020 census county table",
        f"# (a {what}: simlib.params.census.county_census(2020, prefecture={name_zh!r});",
        "# Lei Dong, leiii/census, MIT).",
        f"city: {key}",
        f"name_zh: {name_zh}",
        f"name_en: {json.dumps(name_en or 'TODO English name', ensure_ascii=False)}",
        f"province: {prov}",
        "counties:  # every 2020 census county row (区划代码 and 区县); name_en: replace the",
        "           # Chinese placeholder with the English name",
    ]
    n_text = 0
    for r in rows.itertuples():
        if isinstance(r.区划代码, str):
            code = r.区划代码
            lines.append(f"  - {{code: {int(code)}, name_zh: {r.区县}, name_en: {r.区县}}}")
        else:
            n_text += 1
            lines.append(
                f"  - {{code: {key}-z{n_text}, name_zh: {r.区县}, name_en: {r.区县}}}"
                "  # listed in the census without a code: a text key keeps its identity"
            )
    lines += [
        "standards: {}  # e.g. dibao: {name_zh: 最低生活保障标准, value: {urban: …, rural: …},",
        '               #   unit: yuan/month, source: "sources/documents/<file>, …"}',
        "definitions: {}  # named readings of phrases such as 经济困难 (docs/params_format.md)",
        "",
    ]
    return "\n".join(lines)


def _services_text(key: str, name_zh: str) -> str:
    return f"""\
# {name_zh}'s basic elderly care service list (基本养老服务清单): every annex item as rules.
# Format: docs/params_format.md. Put the document's text in
# sources/documents/{key}.txt (beside this params directory's services/ folder) and cite it in
# every item's source ("sources/documents/{key}.txt, annex item N").
city: {key}
# document:
#   file: sources/documents/{key}.txt
#   title_zh: <the document's title>
#   number_zh: <its 文号>
#   effective: {{value: <YYYY-MM-DD>, unit: date, source: "sources/documents/{key}.txt, …"}}
items: []  # one mapping per annex item: id ({key}.1, …), number, name_zh, name_en,
           # target_group_zh, standard_zh, service_type_zh, lead_department_zh, family,
           # source, eligibility, benefit
"""


def _targets_text(key: str, name_zh: str) -> str:
    return f"""\
# {name_zh}'s quantified targets from the document's body. Format: docs/params_format.md:
# each target has an id ({key}.<name>), value, unit, year, source, and a measure (or an
# `unmeasured` reason).
city: {key}
targets: []
"""

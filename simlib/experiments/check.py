"""``simlib check``: load and validate everything exactly as runs would."""

from __future__ import annotations

import re

from simlib.core.errors import ParamError

#: A file a params value cites, relative to the params directory (``sources/…/x.txt``).
CITED = re.compile(r"\bsources/[\w./-]*\w\.[A-Za-z]{2,4}\b")


def missing_citations(tree) -> list[str]:
    """Files under ``sources/`` that a params file cites but the params directory lacks.

    Every YAML file of the tree is searched for paths ``sources/…/<name>.<ext>`` (the
    documents a list and its values cite, the reference notes); each must exist in the
    params directory that holds the citing file (the bundled one or an overlay).

    Returns:
        One line per missing file: the citing file, its line and the path.
    """
    out = []
    for rel in sorted(tree.digests):
        if not rel.endswith((".yaml", ".yml")):
            continue
        file = tree.file(rel)
        # a cited path is relative to the params directory holding the citing file (the
        # bundled one, or an overlay)
        home = file.parents[len(rel.split("/")) - 1]
        text = file.read_text(encoding="utf-8", errors="replace")
        seen = set()
        for n, line in enumerate(text.splitlines(), 1):
            for path in CITED.findall(line):
                if path not in seen and not (home / path).is_file():
                    seen.add(path)
                    out.append(f"params/{rel} line {n}: cites {path}, which does not exist")
    return out


def check_all(keys: list[str] | None = None, params_dir=None) -> list[str]:
    """Validate the params tree: every city's files under every scenario, as a run loads them.

    For each city and each scenario of ``params/scenarios/``: the inputs are loaded
    (:func:`simlib.params.load_inputs`: context, list, targets, census, mortality, health,
    outcomes and the scenario's changes) and the processes are built from them (which checks
    every health entry against what the processes declare); the reference persons too; and
    every document or reference file a params file cites must exist
    (:func:`missing_citations`).

    Args:
        keys: Cities to check (all by default).
        params_dir: A params directory (the bundled one by default).

    Returns:
        One line per problem (empty when everything validates).
    """
    from simlib.params import load_inputs, read_tree
    from simlib.params.scenarios import list_scenarios
    from simlib.params.tree import check_city, city_keys
    from simlib.params.vocabulary import load_reference_persons
    from simlib.population.processes import ProcessSet, context_for

    problems: list[str] = []
    try:
        tree = read_tree(params_dir)
        cities = [check_city(k, tree) for k in keys] if keys else list(city_keys(tree))
        scenarios = list_scenarios(tree)
        load_reference_persons(tree)
    except ParamError as err:
        return [str(err)]
    problems += missing_citations(tree)
    found: dict[str, list[str]] = {}
    for city in cities:
        for scen in scenarios:
            try:
                inputs = load_inputs(city, scen, params_dir=params_dir)
                ProcessSet(context_for(inputs))
            except ParamError as err:
                found.setdefault(str(err), []).append(f"{city} · {scen}")
    # a fault of a base file that a scenario also changes is named after the scenario there
    # ("scenario <file>: <message>"): the same fault, shown once
    for message in list(found):
        rest = message.split(": ", 1)[-1]
        if message.startswith("scenario ") and rest in found and rest != message:
            found[rest] += found.pop(message)
    # one line per fault, naming where it showed (a bad file fails every scenario alike)
    for message, where in found.items():
        shown = where[0] if len(where) == 1 else f"{where[0]} and {len(where) - 1} more"
        problems.append(f"{message} (in {shown})")
    return problems

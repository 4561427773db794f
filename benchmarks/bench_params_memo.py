"""Benchmark: what making loaded parameters read-only costs a sensitivity design point.

Run: ``.venv/bin/python benchmarks/bench_params_memo.py [--city datong] [--rounds 6]``.

A design changes one assumption per point (here: every assumption of the city's registry at
its low and its high end, as a one-at-a-time design). Each round forgets every remembered
loader and cached ``Inputs``, loads the base (a design's first load), then loads every point
(``experiments.wiring.inputs_for``), in CPU time (``time.process_time``). Rounds alternate:

* **freeze**: as simlib runs (``params/readonly.freeze`` on every result kept);
* **none**: ``freeze`` replaced by the identity (the results stay mutable, as before
  ``params/readonly.py``).

It prints the CPU per point of each (median over rounds), the ratio of the medians and the
median of the per-round ratios, and, in one more round, the CPU spent inside ``freeze`` per
point by the kind of result frozen. Measurements, not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import collections
import gc
import importlib
import statistics
import time

LOADERS = (
    "programmes.programme_take_up",
    "services.load_services",
    "outcomes.load_outcomes",
    "dated._in_force",
    "cities.load_context",
    "vocabulary.load_vocabulary",
    "vocabulary.load_conventions",
    "health.load_health",
    "assumptions._rows",
    "demography.load_census",
    "demography.load_mortality",
)
#: Modules that hold ``freeze`` by name.
HOLDERS = ("simlib.params.readonly", "simlib.params.tree", "simlib.params.inputs")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--city", default="datong")
    ap.add_argument("--rounds", type=int, default=6)
    args = ap.parse_args()

    import simlib
    from simlib.experiments.spec import RunSpec
    from simlib.experiments.wiring import inputs_for
    from simlib.params import inputs as inputs_mod
    from simlib.params import readonly

    loaders = []
    for name in LOADERS:
        mod, fn = name.split(".")
        loaders.append(getattr(importlib.import_module(f"simlib.params.{mod}"), fn))
    holders = [importlib.import_module(m) for m in HOLDERS]
    real = readonly.freeze
    reg = simlib.registry(args.city).set_index("key")
    specs = [
        RunSpec(city=args.city, overrides=((k, float(reg.loc[k, end])),))
        for k in reg.index
        for end in ("low", "high")
    ]
    base = RunSpec(city=args.city)

    def use(f) -> None:
        for m in holders:
            m.freeze = f

    def one_round(f) -> float:
        use(f)
        for fn in loaders:
            fn.forget()
        inputs_mod._CACHE.clear()
        inputs_for(base)
        gc.collect()
        t = time.process_time()
        for s in specs:
            inputs_for(s)
        return time.process_time() - t

    contestants = {"freeze": real, "none": lambda x: x}
    for f in contestants.values():  # warm: imports, parse caches
        one_round(f)
    times: dict[str, list[float]] = {k: [] for k in contestants}
    for i in range(args.rounds):
        order = list(contestants.items())
        for name, f in order if i % 2 == 0 else order[::-1]:
            times[name].append(one_round(f))

    spent: collections.Counter = collections.Counter()

    def timed(x):
        t = time.process_time()
        out = real(x)
        spent[type(x).__name__] += time.process_time() - t
        return out

    one_round(timed)
    use(real)

    n = len(specs)
    print(f"{args.city}: {n} design points, {args.rounds} rounds (CPU ms per point)")
    for name, v in times.items():
        per = [round(x / n * 1e3, 2) for x in v]
        print(f"  {name:7s} median {statistics.median(v) / n * 1e3:6.2f}  rounds {per}")
    ratio = statistics.median(times["freeze"]) / statistics.median(times["none"])
    pairs = [a / b for a, b in zip(times["freeze"], times["none"], strict=True)]
    print(f"  freeze / none: {ratio:.3f} (medians), {statistics.median(pairs):.3f} (per round)")
    print(f"  inside freeze: {sum(spent.values()) / n * 1e3:.2f} ms per point, by result:")
    for kind, s in spent.most_common(6):
        print(f"    {kind:15s} {s / n * 1e3:.3f}")


if __name__ == "__main__":
    main()

"""This project's strategies against Optuna's samplers, same protocol, same seeds, same run.

The NAS-Bench-201 protocol of ``benchmarks/nb201.py`` (Dong & Yang, ICLR 2020): a strategy
sees a *signal* column (12-epoch validation accuracy), each query is charged the CIFAR-10
training time (``nb201.COST``: 12 epochs plus one validation pass) in simulated seconds, a
run stops at the first query that does not fit in the budget, and the cell it picked (its
best signal) is scored by a *score* column. Three column sets (check the CSV header):

=========== ============================= ==========================
set         signal                        score
=========== ============================= ==========================
cifar10     ``valid_acc_12ep``            ``test_acc_200ep``
cifar100    ``cifar100_valid_acc_12ep``   ``cifar100_test_acc_12ep``
imagenet16  ``imagenet16_valid_acc_12ep`` ``imagenet16_test_acc_12ep``
=========== ============================= ==========================

Entries (``--strategies``):

- this project's strategies by name (``random``, ``evolution``, ``local_search``,
  ``bananas``...), run as a user runs them: ``nb.Experiment(nb.spaces.nb201(), strategy=...,
  estimator="tabular", seconds=..., storage=":memory:", seed=seed).run()``, with the
  protocol settings of ``nb201.OPTIONS``;
- ``optuna:<sampler>``: Optuna's sampler through this project's ``optuna`` strategy, in the
  same kind of experiment (``tpe`` is multivariate TPE);
- ``plain:<sampler>``: plain Optuna (Akiba et al., KDD 2019), its ask/tell loop with the six
  edges as six categorical parameters, no experiment around it.

Budgets (``--seconds 3000,6000,12000``) come from one run per seed at the largest budget:
no strategy knows its budget, so the run with budget B is the prefix of that run whose
queries fit in B (an anytime curve). Seeds ``0 .. runs-1``; the tasks (seed, column set,
entry) are interleaved seed by seed over at most two worker processes, so every entry sees
the same machine load; each worker pays its imports and table loads before its first
timed run. Reported per entry and cell (column set, budget): mean and standard
deviation of the score, a two-sided Mann-Whitney U test against the best peer (for this
project's entries and ``optuna:*``, the best ``plain:*`` entry by mean; for ``plain:*``,
the best of this project's own strategies), queries per run, and wall and CPU
(``time.process_time``) seconds per run at the largest budget. The JSON goes to ``--out``;
a markdown table (this project against Optuna, each column set at its two largest budgets)
is printed and stored in the JSON.

Usage::

    python benchmarks/peers.py --runs 50 --seconds 3000,6000,12000 \\
        --signal cifar10,cifar100,imagenet16 --out benchmarks/results/peers.json

``--options '{"bananas": {...}}'`` runs an entry of this project with options over the
protocol's settings (``nb201.OPTIONS``); the tables and the JSON name them. An entry
``<strategy>#<tag>`` runs the same strategy as another entry of the same run, with its own
``--options`` (``--strategies local_search,local_search#steep --options
'{"local_search#steep": {"move": "best"}}'``).

Example:
    >>> summary = main(["--runs", "1", "--strategies", "random,plain:tpe",  # doctest: +SKIP
    ...                 "--seconds", "500", "--out", ""])
    >>> sorted(summary["cells"]["cifar10"]["500"])                           # doctest: +SKIP
    ['plain:tpe', 'random']
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout: `python benchmarks/peers.py`
    sys.path.insert(0, str(ROOT))

from benchmarks import nb201, write_json  # noqa: E402 - after the path fix; sets the BLAS thread caps
from benchmarks.peer_report import (  # noqa: E402
    cell_stats,
    group,
    half_budget,
    label,
    markdown,
    strategy_of,
)

COLUMN_SETS: dict[str, tuple[str, str]] = {
    "cifar10": ("valid_acc_12ep", "test_acc_200ep"),
    "cifar100": ("cifar100_valid_acc_12ep", "cifar100_test_acc_12ep"),
    "imagenet16": ("imagenet16_valid_acc_12ep", "imagenet16_test_acc_12ep"),
}
OURS = ("random", "evolution", "local_search", "bananas", "local_search#prior")
# entries of this project run with options over the protocol's unless --options names them
PRESETS: dict[str, dict[str, Any]] = {
    "local_search#prior": {"move": "best", "start": "prior"},  # steepest, zero-cost start
}
SAMPLERS = ("tpe", "gp", "random")
DEFAULT_STRATEGIES = ",".join([*OURS, *(f"optuna:{s}" for s in SAMPLERS),
                               *(f"plain:{s}" for s in SAMPLERS)])
SAMPLER_OPTIONS: dict[str, dict[str, Any]] = {"tpe": {"multivariate": True}, "gp": {},
                                              "random": {}}
STEP_S = 100.0


# ------------------------------------------------------------------ one run
def _nb201_edges() -> list[tuple[str, list[str]]]:
    import nasbench_ui as nb

    return [(d.label, list(d.choices())) for d in nb.spaces.nb201().decisions]


def arch_str(ops: dict[str, str]) -> str:
    """NAS-Bench-201's string of a cell given by its six edges ``"j<-i"``.

    Example:
        >>> arch_str({"1<-0": "a", "2<-0": "b", "2<-1": "c", "3<-0": "d", "3<-1": "e",
        ...           "3<-2": "f"})
        '|a~0|+|b~0|c~1|+|d~0|e~1|f~2|'
    """
    nodes = ["|" + "|".join(ops[f"{j}<-{i}"] + f"~{i}" for i in range(j)) + "|"
             for j in (1, 2, 3)]
    return "+".join(nodes)


_ROWS: dict[tuple[str, str, str], dict[str, tuple[float, float, float]]] = {}


def table_rows(table: str, signal: str, score: str) -> dict[str, tuple[float, float, float]]:
    """``{arch_str: (signal, score, cost_s)}``, read once per process."""
    key = (table, signal, score)
    if key not in _ROWS:
        import pandas as pd

        cols = list(nb201.COST)
        df = pd.read_csv(table, usecols=["arch_str", signal, score, *cols])
        cost = sum(w * df[c] for c, w in nb201.COST.items())
        _ROWS[key] = {a: (float(s), float(t), float(c)) for a, s, t, c in
                      zip(df["arch_str"], df[signal], df[score], cost, strict=True)}
    return _ROWS[key]


def _plain_sampler(optuna: Any, sampler: str, seed: int) -> Any:
    options = SAMPLER_OPTIONS.get(sampler, {})
    if sampler == "tpe":
        return optuna.samplers.TPESampler(seed=seed, **options)
    if sampler == "gp":
        return optuna.samplers.GPSampler(seed=seed, **options)
    if sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed, **options)
    raise ValueError(f"plain Optuna sampler must be one of {list(SAMPLERS)}, got {sampler!r}")


def run_plain(sampler: str, seed: int, table: str, signal: str, score: str,
              budget: float) -> list[list[float]]:
    """Plain Optuna's ask/tell loop on the six edges; ``[[spent, signal, score], ...]``."""
    import warnings

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rows = table_rows(table, signal, score)
    edges = _nb201_edges()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study = optuna.create_study(direction="maximize",
                                    sampler=_plain_sampler(optuna, sampler, seed))
    spent, queries = 0.0, []
    while True:
        trial = study.ask()
        ops = {name: trial.suggest_categorical(name, choices) for name, choices in edges}
        sig, sc, cost = rows[arch_str(ops)]
        if spent + cost > budget:  # as the tabular estimator: the query is not made
            break
        spent += cost
        study.tell(trial, sig)
        queries.append([spent, sig, sc])
    return queries


def run_ours(entry: str, seed: int, table: str, signal: str, score: str,
             budget: float, extra: dict[str, Any] | None = None) -> list[list[float]]:
    """One ``nb.Experiment`` with this project's strategy; ``[[spent, signal, score], ...]``.

    ``extra`` options go over the protocol's settings (``benchmarks/sweep.py``).
    """
    import nasbench_ui as nb

    kind, _, sampler = entry.partition(":")
    if kind == "optuna":
        strategy = "optuna"
        options: dict[str, Any] = {"sampler": sampler,
                                   "sampler_options": SAMPLER_OPTIONS.get(sampler, {})}
    else:
        strategy = strategy_of(entry)
        options = dict(nb201.OPTIONS.get(strategy, {}))
    options.update(extra or {})
    exp = nb.Experiment(
        nb.spaces.nb201(), strategy=strategy, strategy_options=options, estimator="tabular",
        estimator_options={"table": table, "key": "arch_str", "metric": signal,
                           "cost": nb201.COST, "extra_metrics": [score]},
        seconds=budget, storage=":memory:", seed=seed,
    )
    exp.run()
    if exp.last_error:
        raise RuntimeError(f"{entry} seed {seed}: {exp.last_error}")
    spent, queries = 0.0, []
    for t in exp.trials:
        if t.state.name == "COMPLETE":
            spent += float(t.metrics["cost_s"])
            queries.append([spent, float(t.metrics[signal]), float(t.metrics[score])])
    return queries


def pick(queries: list[list[float]], budget: float) -> dict[str, Any] | None:
    """The cell a run picks at ``budget``: the first best signal among the queries that fit.

    Example:
        >>> pick([[50, 80.0, 90.0], [120, 82.0, 89.0], [300, 84.0, 91.0]], 200)
        {'score': 89.0, 'signal': 82.0, 'queries': 2}
    """
    best, n = None, 0
    for spent, sig, sc in queries:
        if spent > budget:
            break
        n += 1
        if best is None or sig > best[0]:
            best = (sig, sc)
    return None if best is None else {"score": best[1], "signal": best[0], "queries": n}


def warm_up(table: str, colsets: dict[str, tuple[str, str]]) -> None:
    """Pay each worker's one-time costs before any timed run: the imports, the table
    (both this project's tabular cache and the plain loop's) and a first experiment."""
    import optuna  # noqa: F401

    import nasbench_ui as nb

    for signal, score in colsets.values():
        table_rows(table, signal, score)
        nb.Experiment(nb.spaces.nb201(), strategy="random", estimator="tabular",
                      estimator_options={"table": table, "key": "arch_str", "metric": signal,
                                         "cost": nb201.COST, "extra_metrics": [score]},
                      trials=2, storage=":memory:", seed=0).run()


def run_task(task: tuple[Any, ...]) -> dict[str, Any]:
    """One seeded run of one entry on one column set, measured at every budget; the last
    item holds options over the protocol's (``--options``) or None."""
    entry, seed, table, colset, signal, score, budgets, extra = task
    wall, cpu = time.perf_counter(), time.process_time()
    runner = run_plain if group(entry) == "plain" else run_ours
    if group(entry) == "plain":
        queries = runner(entry.partition(":")[2], seed, table, signal, score, max(budgets))
    else:
        queries = runner(entry, seed, table, signal, score, max(budgets), extra)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    picks = {}
    for b in budgets:
        p = pick(queries, b)
        if p is None:
            raise RuntimeError(f"{entry} seed {seed}: no query fits in {b:g} s")
        picks[f"{b:g}"] = p
    # the best-so-far score after each query, for the regret (anytime) curve
    trajectory, best = [], None
    for spent, sig, sc in queries:
        if best is None or sig > best[0]:
            best = (sig, sc)
        trajectory.append([round(spent, 3), best[1]])
    return {"entry": entry, "seed": seed, "colset": colset, "picks": picks,
            "wall_s": wall, "cpu_s": cpu, "trajectory": trajectory}


# ------------------------------------------------------------------ command line
def _column_sets(args: argparse.Namespace, header: list[str],
                 p: argparse.ArgumentParser) -> dict[str, tuple[str, str]]:
    signals = [s.strip() for s in args.signal.split(",") if s.strip()]
    scores = [s.strip() for s in args.score.split(",") if s.strip()] if args.score else []
    if scores and len(scores) != len(signals):
        p.error(f"--score names {len(scores)} column(s) but --signal {len(signals)}; give one "
                "score per signal, or leave --score out to use each column set's own")
    out: dict[str, tuple[str, str]] = {}
    for i, sig in enumerate(signals):
        name, (signal, score) = (sig, COLUMN_SETS[sig]) if sig in COLUMN_SETS else (sig, (sig,
                                                                                         None))
        if scores:
            score = COLUMN_SETS[scores[i]][1] if scores[i] in COLUMN_SETS else scores[i]
        if score is None:
            p.error(f"--signal {sig!r} is a column, not a column set "
                    f"({sorted(COLUMN_SETS)}): give its --score column too")
        for col, flag in ((signal, "--signal"), (score, "--score")):
            if col not in header:
                p.error(f"{flag} column {col!r} is not in the table; its columns are {header}")
        out[name] = (signal, score)
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=50, help="seeds per entry (0 .. runs-1)")
    p.add_argument("--seconds", default="3000,6000,12000",
                   help="comma-separated simulated budgets (one run at the largest)")
    p.add_argument("--signal", default="cifar10",
                   help=f"comma-separated column sets {sorted(COLUMN_SETS)} or signal columns")
    p.add_argument("--score", default="",
                   help="comma-separated score columns (or sets), one per --signal entry")
    p.add_argument("--strategies", default=DEFAULT_STRATEGIES,
                   help="comma-separated entries: this project's strategy names, "
                        "optuna:<sampler> and plain:<sampler> (tpe, gp, random)")
    p.add_argument("--table", default="../shared/benchmarks/nb201/nb201_cifar10.csv")
    p.add_argument("--out", default="benchmarks/results/peers.json", help="JSON ('' = none)")
    p.add_argument("--processes", type=int, default=nb201.MAX_PROCESSES,
                   help=f"worker processes, at most {nb201.MAX_PROCESSES}")
    p.add_argument("--options", default="{}",
                   help="JSON {entry: {option: value}} over the protocol's settings for this "
                        "project's entries, e.g. '{\"bananas\": {\"prior\": \"params\"}}'")
    args = p.parse_args(argv)
    if args.runs < 1:
        p.error(f"--runs must be at least 1, got {args.runs}")
    if not 1 <= args.processes <= nb201.MAX_PROCESSES:
        p.error(f"--processes must be 1..{nb201.MAX_PROCESSES}, got {args.processes}")
    try:
        args.seconds = sorted({float(s) for s in args.seconds.split(",") if s.strip()})
    except ValueError:
        p.error(f"--seconds must be comma-separated numbers, got {args.seconds!r}")
    if not args.seconds or args.seconds[0] <= 0:
        p.error(f"--seconds must be positive numbers, got {args.seconds}")
    if not Path(args.table).is_file():
        p.error(f"--table {args.table!r} is not a file; give the NAS-Bench-201 CSV "
                "(../shared/benchmarks/nb201/nb201_cifar10.csv)")
    with open(args.table, encoding="utf-8") as f:
        header = f.readline().strip().split(",")
    args.colsets = _column_sets(args, header, p)
    args.entries = [s.strip() for s in args.strategies.split(",") if s.strip()]
    try:
        args.options = json.loads(args.options)
    except json.JSONDecodeError as e:
        p.error(f"--options is not JSON: {e}")
    if not isinstance(args.options, dict) or not all(
            isinstance(v, dict) and k in args.entries and group(k) == "ours"
            for k, v in args.options.items()):
        p.error("--options must be a JSON object {entry: {option: value}} whose keys are "
                f"this project's entries among {args.entries}")
    for e in args.entries:
        kind, _, sampler = e.partition(":")
        if kind in ("plain", "optuna") and sampler not in SAMPLERS:
            p.error(f"{e!r}: the sampler after {kind}: must be one of {list(SAMPLERS)}")
        if "#" in e and e in PRESETS:  # --options go over the preset
            args.options[e] = {**PRESETS[e], **args.options.get(e, {})}
        elif "#" in e and e not in args.options:
            p.error(f"{e!r}: an entry <strategy>#<tag> needs its options in --options "
                    f"(presets: {sorted(PRESETS)})")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run every entry on every column set and seed; write the JSON; return the summary."""
    import pandas as pd

    from nasbench_ui import strategies

    args = parse_args(argv)
    from nasbench_ui import options as nb_options

    for e in args.entries:
        if group(e) == "ours":
            name = strategy_of(e)
            nb_options.resolve(strategies.get(name),  # ValueError: a bad name or option
                               {**nb201.OPTIONS.get(name, {}), **args.options.get(e, {})})
    if any(group(e) != "ours" for e in args.entries) and "optuna" not in strategies.names():
        raise ValueError("optuna:* and plain:* entries need Optuna: pip install optuna")
    table = str(Path(args.table).resolve())
    budgets = [float(b) for b in args.seconds]
    keys = [f"{b:g}" for b in budgets]
    tasks = [(e, seed, table, cs, sig, sc, budgets, args.options.get(e))
             for seed in range(args.runs) for cs, (sig, sc) in args.colsets.items()
             for e in args.entries]
    started = time.perf_counter()
    results: list[dict[str, Any]] = []
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(args.processes, initializer=warm_up, initargs=(table, args.colsets)) as pool:
        for i, r in enumerate(pool.imap_unordered(run_task, tasks), 1):
            results.append(r)
            if i % max(1, len(tasks) // 20) == 0 or i == len(tasks):
                print(f"{i}/{len(tasks)} runs, {time.perf_counter() - started:.0f} s",
                      flush=True)
    import optuna

    summary: dict[str, Any] = {
        "protocol": {"budgets_s": budgets, "cost": nb201.COST, "runs": args.runs,
                     "seeds": f"0..{args.runs - 1}", "processes": args.processes,
                     "column_sets": {k: {"signal": s, "score": t}
                                     for k, (s, t) in args.colsets.items()},
                     "sampler_options": SAMPLER_OPTIONS, "evolution_etc": nb201.OPTIONS,
                     "entry_options": args.options,
                     "test": "two-sided Mann-Whitney U against the best peer",
                     "optuna": optuna.__version__},
        "command": "python " + " ".join([sys.argv[0] if argv is None else "benchmarks/peers.py",
                                         *(sys.argv[1:] if argv is None else argv)]),
        "wall_s_total": round(time.perf_counter() - started, 1),
        "entries": {e: " ".join([label(e), *([json.dumps(args.options[e], sort_keys=True)]
                                             if e in args.options else [])])
                    for e in args.entries},
        "cells": {}, "regret": {}, "markdown": {},
    }
    for cs, (_, score) in args.colsets.items():
        runs = {e: sorted((r for r in results if r["entry"] == e and r["colset"] == cs),
                          key=lambda r: r["seed"]) for e in args.entries}
        summary["cells"][cs] = {k: cell_stats(runs, k) for k in keys}
        for e, opts in args.options.items():  # the table names the options an entry ran with
            for k in keys:
                summary["cells"][cs][k][e]["label"] += " " + json.dumps(opts, sort_keys=True)
        reference = float(pd.read_csv(table, usecols=[score])[score].max())
        summary["regret"][cs] = {"reference": reference, **{
            e: nb201.regret_curve(rs, reference, step=STEP_S, budget=budgets[-1])
            for e, rs in runs.items()}}
        summary["markdown"][cs] = markdown(summary["cells"][cs], cs, keys[-2:])
        summary.setdefault("half_budget", {})[cs] = verdict = half_budget(summary["cells"][cs])
        print(f"\n{cs} (signal {args.colsets[cs][0]}, score {score}), {args.runs} runs:\n")
        print(summary["markdown"][cs], flush=True)
        if verdict:
            print(f"\nhalf budget: {label(verdict['ours'])} at {verdict['half_s']:,.0f} s "
                  f"{verdict['ours_mean_at_half']:.2f} against {label(verdict['peer'])} at "
                  f"{verdict['full_s']:,.0f} s {verdict['peer_mean_at_full']:.2f}: "
                  f"{'met' if verdict['met'] else 'not met'}", flush=True)
    if args.out:
        write_json(args.out, summary)
    return summary


if __name__ == "__main__":
    main()

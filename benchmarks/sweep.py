"""Option variants of this project's strategies against a peer's full-budget mean, same run.

Issue 14 point 3 asks that, at half the budget (6,000 simulated seconds) on the CIFAR-10
columns, the best of this project's strategies reach the mean that Optuna's TPE reaches
with the whole budget (12,000 s) in the same run. This benchmark tries option variants
(``--variants``, a JSON list of ``[strategy, options]``; the default is the list below) on
the NAS-Bench-201 protocol of ``benchmarks/peers.py`` (same cost, same signal and score,
same prefix rule for the smaller budgets), and runs the reference entry (``--reference``,
default ``plain:tpe``) on the same seeds, interleaved seed by seed over two processes.

The seeds default to ``100 .. 100+runs-1``: held out from the ``0 .. 49`` that
``peers.py --runs 50`` judges on, so that a variant is not chosen on the seeds it is
judged on. Reported per variant: mean and standard deviation of the picked cell's score
at each budget, queries and CPU seconds per run, and whether its mean at ``--at`` reaches
the reference's mean at the largest budget.

Usage::

    python benchmarks/sweep.py --runs 200 --out benchmarks/results/sweep_bananas.json

Example:
    >>> variant_label("bananas", {"parents": 3})
    'bananas {"parents": 3}'
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout: `python benchmarks/sweep.py`
    sys.path.insert(0, str(ROOT))

from benchmarks import peers, write_json  # noqa: E402 - after the path fix

DEFAULT_OUT = ROOT / "benchmarks" / "results" / "sweep_bananas.json"
DEFAULT_VARIANTS: list[list[Any]] = [
    ["bananas", {}],
    ["bananas", {"initial": 5}],
    ["bananas", {"initial": 15}],
    ["bananas", {"encoding": "path"}],
    ["bananas", {"acquisition": "ucb"}],
    ["bananas", {"acquisition": "mean"}],
    ["bananas", {"retrain_every": 1}],
    ["bananas", {"candidates": 500}],
    ["bananas", {"random_candidates": 0}],
    ["bananas", {"mutations": 1}],
    ["bananas", {"parents": 3}],
    ["bananas", {"parents": 1, "mutations": 1, "random_candidates": 0,
                 "acquisition": "mean"}],
    ["bananas", {"ensemble": 10, "hidden": 64}],
    ["bananas", {"epochs": 150, "learning_rate": 0.01}],
    ["local_search", {}],
    ["evolution", {"population": 10, "sample_size": 3}],
]


def variant_label(strategy: str, options: dict[str, Any]) -> str:
    """A variant's name: the strategy, then its options as JSON when there are any."""
    return f"{strategy} {json.dumps(options, sort_keys=True)}" if options else strategy


def run_task(task: tuple[str, dict[str, Any], int, str, list[float]]) -> dict[str, Any]:
    """One seeded run of a variant (or of the reference entry), picked at every budget."""
    entry, options, seed, table, budgets = task
    signal, score = peers.COLUMN_SETS["cifar10"]
    cpu = time.process_time()
    if peers.group(entry) == "plain":
        queries = peers.run_plain(entry.partition(":")[2], seed, table, signal, score,
                                  max(budgets))
    else:
        queries = peers.run_ours(entry, seed, table, signal, score, max(budgets), options)
    picks = {f"{b:g}": peers.pick(queries, b) for b in budgets}
    return {"label": variant_label(entry, options), "seed": seed, "picks": picks,
            "cpu_s": time.process_time() - cpu}


def summarize(results: list[dict[str, Any]], budgets: list[float], at: float,
              reference: str, order: list[str] | None = None) -> dict[str, Any]:
    """Per label (in ``order``, else as first seen): mean, std and queries per budget, CPU
    per run; the verdict at ``at``.

    Example:
        >>> r = [{"label": "a", "seed": 0, "cpu_s": 0.1,
        ...       "picks": {"10": {"score": 90.0, "queries": 1}, "20": {"score": 91.0, "queries": 2}}},
        ...      {"label": "t", "seed": 0, "cpu_s": 0.1,
        ...       "picks": {"10": {"score": 89.0, "queries": 1}, "20": {"score": 90.5, "queries": 2}}}]
        >>> s = summarize(r, [10.0, 20.0], 10.0, "t")
        >>> s["target"], s["rows"]["a"]["reaches_target"]
        (90.5, False)
    """
    seen = [r["label"] for r in results]
    labels = [lb for lb in (order or []) if lb in seen] + [
        lb for lb in dict.fromkeys(seen) if lb not in (order or [])]
    rows: dict[str, Any] = {}
    for lb in labels:
        mine = sorted((r for r in results if r["label"] == lb), key=lambda r: r["seed"])
        row: dict[str, Any] = {"runs": len(mine),
                               "cpu_s_per_run": round(statistics.mean(r["cpu_s"] for r in mine), 4)}
        for b in budgets:
            scores = [r["picks"][f"{b:g}"]["score"] for r in mine]
            row[f"{b:g}"] = {"mean": round(statistics.mean(scores), 4),
                             "std": round(statistics.stdev(scores), 4) if len(scores) > 1 else 0.0,
                             "queries": round(statistics.mean(
                                 r["picks"][f"{b:g}"]["queries"] for r in mine), 1)}
        rows[lb] = row
    target = rows[reference][f"{max(budgets):g}"]["mean"]
    for lb, row in rows.items():
        row["reaches_target"] = lb != reference and row[f"{at:g}"]["mean"] >= target
    own = [lb for lb in rows if lb != reference]
    best = max(own, key=lambda lb: rows[lb][f"{at:g}"]["mean"]) if own else None
    return {"target": target, "best_at": best, "met": bool(best and rows[best]["reaches_target"]),
            "rows": rows}


def markdown(summary: dict[str, Any], budgets: list[float], at: float, reference: str) -> str:
    """The table: one row per variant, the reference last."""
    keys = [f"{b:g}" for b in budgets]
    head = "| variant | " + " | ".join(f"{k} s" for k in keys) + " | queries at " \
           f"{at:g} s | CPU / run |"
    lines = [head, "|" + "---|" * (len(keys) + 3)]
    rows = summary["rows"]
    for lb in [*(lb for lb in rows if lb != reference), reference]:
        r = rows[lb]
        cells = [f"{r[k]['mean']:.2f} ± {r[k]['std']:.2f}" for k in keys]
        name = f"**{lb}**" if r["reaches_target"] else lb
        lines.append(f"| {name} | " + " | ".join(cells)
                     + f" | {r[f'{at:g}']['queries']:.1f} | {r['cpu_s_per_run']:.2f} s |")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=200, help="seeds per variant")
    p.add_argument("--first-seed", type=int, default=100,
                   help="seeds first-seed .. first-seed+runs-1 (default: held out from 0..49)")
    p.add_argument("--seconds", default="3000,6000,12000",
                   help="comma-separated simulated budgets (one run at the largest)")
    p.add_argument("--at", type=float, default=6000.0,
                   help="the budget at which a variant must reach the reference's full-budget mean")
    p.add_argument("--variants", default="",
                   help="JSON list of [strategy, options] (default: the module's list)")
    p.add_argument("--reference", default="plain:tpe", help="a peers.py entry")
    p.add_argument("--table", default="../shared/benchmarks/nb201/nb201_cifar10.csv")
    p.add_argument("--out", default=str(DEFAULT_OUT), help="JSON ('' = none)")
    args = p.parse_args(argv)
    if args.runs < 2:
        p.error(f"--runs must be at least 2, got {args.runs}")
    try:
        args.seconds = sorted({float(s) for s in args.seconds.split(",") if s.strip()})
        variants = json.loads(args.variants) if args.variants else DEFAULT_VARIANTS
    except ValueError as e:
        p.error(f"--seconds or --variants does not parse: {e}")
    if (not isinstance(variants, list) or not variants
            or not all(isinstance(v, list) and len(v) == 2 and isinstance(v[0], str)
                       and isinstance(v[1], dict) for v in variants)):
        p.error("--variants must be a JSON list of [strategy, options] pairs")
    args.variants = variants
    if args.at not in args.seconds:
        p.error(f"--at {args.at:g} must be one of --seconds {args.seconds}")
    if not Path(args.table).is_file():
        p.error(f"--table {args.table!r} is not a file; give the NAS-Bench-201 CSV")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run every variant and the reference on the same seeds; write and return the summary."""
    from nasbench_ui import options as nb_options
    from nasbench_ui import strategies

    args = parse_args(argv)
    for strategy, options in args.variants:  # a bad name or option fails here, not in a worker
        nb_options.resolve(strategies.get(strategy), options)
    table = str(Path(args.table).resolve())
    seeds = range(args.first_seed, args.first_seed + args.runs)
    tasks = [(s, o, seed, table, args.seconds)
             for seed in seeds for s, o in [*args.variants, [args.reference, {}]]]
    started = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    colsets = {"cifar10": peers.COLUMN_SETS["cifar10"]}
    with ctx.Pool(2, initializer=peers.warm_up, initargs=(table, colsets)) as pool:
        results = list(pool.imap_unordered(run_task, tasks, chunksize=4))
    order = [variant_label(s, o) for s, o in args.variants]
    summary = summarize(results, args.seconds, args.at, args.reference, order)
    summary.update({
        "command": "python " + " ".join(["benchmarks/sweep.py",
                                         *(sys.argv[1:] if argv is None else argv)]),
        "protocol": {"seeds": f"{seeds[0]}..{seeds[-1]}", "budgets_s": args.seconds,
                     "at_s": args.at, "reference": args.reference,
                     "columns": peers.COLUMN_SETS["cifar10"], "cost": peers.nb201.COST},
        "wall_s_total": round(time.perf_counter() - started, 1),
    })
    summary["markdown"] = markdown(summary, args.seconds, args.at, args.reference)
    print(summary["markdown"])
    print(f"\ntarget {summary['target']:.2f} ({args.reference} at {max(args.seconds):g} s); "
          f"best at {args.at:g} s: {summary['best_at']}: "
          f"{'met' if summary['met'] else 'not met'}", flush=True)
    if args.out:
        write_json(args.out, summary)
    return summary


if __name__ == "__main__":
    main()

"""Speed-up of a trial-bound search on 2 Dask workers over 1, through ``nb.Experiment``.

The workload is real CPU-bound training: ``early_stop`` on the ``keras_cnn`` space
(digits, full training split, ``--epochs`` epochs, no early stop so every trial does
the same amount of work), ``random`` strategy, the same seed, so every configuration
trains the same ``--trials`` architectures. Each Dask worker is one process with one
torch thread (``workers=N`` starts ``LocalCluster(n_workers=N, threads_per_worker=1)``).
The thread loop (torch limited to one thread) is measured too, as the reference
without Dask.

Two times per configuration: ``wall_s`` (the whole ``run()``: cluster start, torch import
on each worker, trials, cluster close) and ``search_s`` (first trial created to last
trial finished). The 1- and 2-worker searches alternate ``--repeats`` times; the
speed-up is the median over repeats of 1 worker / 2 workers, for both times. The
machine's load average is recorded: on a shared 2-core machine other processes take
cores too, so single runs vary a lot. As a control, ``machine_ceiling`` times a fixed
pure-Python loop in one process, then in two at once: ``2 * t1 / t2`` is the speed-up
two busy processes can get on this machine at that moment (2.0 on an idle 2-core
machine), measured before and after the searches.

Usage::

    python benchmarks/dask_speedup.py --trials 16 --epochs 6 --repeats 3 \\
        --out benchmarks/results/dask_speedup.json

Example:
    >>> summary = main(["--trials", "2", "--epochs", "1", "--out", ""])  # doctest: +SKIP
    >>> summary["speedup_search"] > 0                                      # doctest: +SKIP
    True
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout: `python benchmarks/dask_speedup.py`
    sys.path.insert(0, str(ROOT))


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i % 7
    return total


def machine_ceiling(n: int = 6_000_000) -> float:
    """The speed-up of two busy processes over one, on this machine now (median of 3)."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        pool.map(_spin, [1000, 1000])  # the processes are up before timing
        ratios = []
        for _ in range(3):
            t0 = time.perf_counter()
            pool.apply(_spin, (n,))
            one = time.perf_counter() - t0
            t0 = time.perf_counter()
            pool.map(_spin, [n, n], chunksize=1)
            ratios.append(2 * one / (time.perf_counter() - t0))
    return round(statistics.median(ratios), 2)


def run_once(workers: int | None, trials: int, epochs: int, seed: int) -> dict[str, Any]:
    """One search; ``workers=None`` is the thread loop with one torch thread."""
    import torch

    import nasbench_ui as nb

    threads = torch.get_num_threads()
    if workers is None:
        torch.set_num_threads(1)
    exp = nb.Experiment(
        "keras_cnn", strategy="random", estimator="early_stop",
        estimator_options={"epochs": epochs, "subset": 1.0, "patience": epochs,
                           "median_stop": False, "latency_runs": 0},
        trials=trials, seed=seed, workers=workers,
    )
    marks: dict[str, float] = {}

    def on_event(e: Any) -> None:
        if e.kind == "trial_start":
            marks.setdefault("first", time.perf_counter())
        elif e.kind == "trial_finish":
            marks["last"] = time.perf_counter()

    exp.observe(on_event)
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    try:
        exp.run()
    finally:
        torch.set_num_threads(threads)
    wall = time.perf_counter() - t0
    done = exp.trials
    states = sorted({t.state.name for t in done})
    return {
        "workers": workers, "wall_s": round(wall, 2),
        "search_s": round(marks["last"] - marks["first"], 2),
        "trial_s_sum": round(sum(t.metrics.get("duration_s", 0.0) for t in done), 2),
        "trials": len(done), "states": states, "workers_used": len({t.worker for t in done}),
        "load_avg_before": round(load_before, 2), "load_avg_after": round(os.getloadavg()[0], 2),
        "archs": [exp.space.arch_id(t.arch) for t in done],
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=16)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--out", default="benchmarks/results/dask_speedup.json", help="JSON ('' = none)")
    args = p.parse_args(argv)
    ceiling_before = machine_ceiling()
    runs: dict[str, list[dict[str, Any]]] = {
        "thread_1_torch_thread": [run_once(None, args.trials, args.epochs, args.seed)],
        "dask_1_worker": [], "dask_2_workers": []}
    for _ in range(args.repeats):
        runs["dask_1_worker"].append(run_once(1, args.trials, args.epochs, args.seed))
        runs["dask_2_workers"].append(run_once(2, args.trials, args.epochs, args.seed))
    archs = {tuple(sorted(r["archs"])) for rs in runs.values() for r in rs}
    if len(archs) != 1:
        raise RuntimeError("the searches trained different architectures")
    ceiling_after = machine_ceiling()
    pairs = list(zip(runs["dask_1_worker"], runs["dask_2_workers"], strict=True))
    summary = {
        "benchmark": "dask_speedup",
        "workload": f"{args.trials} trials of early_stop on keras_cnn / digits, {args.epochs} "
                    "epochs each, full train split, no early stop, random strategy, 1 torch "
                    "thread per worker",
        "cpu_count": os.cpu_count(),
        "machine_ceiling_before": ceiling_before, "machine_ceiling_after": ceiling_after,
        "speedup_search": round(statistics.median(a["search_s"] / b["search_s"]
                                                  for a, b in pairs), 2),
        "speedup_wall": round(statistics.median(a["wall_s"] / b["wall_s"] for a, b in pairs), 2),
        "speedup_search_each": [round(a["search_s"] / b["search_s"], 2) for a, b in pairs],
        "runs": {k: [{kk: vv for kk, vv in r.items() if kk != "archs"} for r in rs]
                 for k, rs in runs.items()},
        "command": "python benchmarks/dask_speedup.py " + " ".join(argv or sys.argv[1:]),
    }
    text = json.dumps(summary, indent=1)
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return summary


if __name__ == "__main__":
    main()

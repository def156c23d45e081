"""Torch's thread count on a machine that is not quiet: the default against 1 and 2 threads.

The workload of issue 14, point 8: eight ``early_stop`` trials of the ``mlp`` space on
digits (``estimator_options={"epochs": 4, "subset": 0.5}``, random strategy, seed 0),
timed as the wall time of ``exp.run()``. Four configurations, each in a fresh Python
process with its own environment (OpenMP reads its wait policy when torch loads):

* ``auto``: the package's default (no thread variable set; see
  :mod:`nasbench_ui.threads`);
* ``1 thread``: ``torch.set_num_threads(1)`` before the search;
* ``2 threads``: ``OMP_NUM_THREADS=2`` (torch's default on a 2-core machine);
* ``2 threads + PASSIVE``: ``OMP_NUM_THREADS=2`` and ``OMP_WAIT_POLICY=PASSIVE``.

Each runs with 0, 1 and 2 competing CPU-bound processes (plain Python busy loops,
started before and stopped after each load level by this script). Within a load level
the configurations are interleaved, in a rotated order, ``--repeats`` times. The
report gives the median wall time of each cell and the ratio ``auto / 1 thread`` for
each load (the acceptance: at most 1.5), the threads ``auto`` chose, and the load
average around each run (other users of a shared machine add load of their own).

Usage::

    python benchmarks/threads.py --repeats 3 --out benchmarks/results/threads.json

Example:
    >>> summary = main(["--repeats", "1", "--loads", "0", "--out", ""])  # doctest: +SKIP
    >>> summary["ratio_auto_to_1"]["0"] > 0                                 # doctest: +SKIP
    True
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

CONFIGS: dict[str, dict[str, Any]] = {
    "auto": {"env": {}, "set_threads": None},
    "1 thread": {"env": {}, "set_threads": 1},
    "2 threads": {"env": {"OMP_NUM_THREADS": "2"}, "set_threads": None},
    "2 threads + PASSIVE": {"env": {"OMP_NUM_THREADS": "2", "OMP_WAIT_POLICY": "PASSIVE"},
                           "set_threads": None},
}
CLEARED = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT",
           "KMP_BLOCKTIME")
BUSY = "while True:\n    pass\n"
ACCEPT = 1.5


def child(set_threads: int | None, trials: int, epochs: int, subset: float) -> dict[str, Any]:
    """One search in this process (run by :func:`run_config` as a subprocess)."""
    import torch

    if set_threads is not None:
        torch.set_num_threads(set_threads)
    import nasbench_ui as nb
    from nasbench_ui import threads as policy

    chosen: list[int] = []
    use = policy.use

    def recording_use(*args: Any, **kwargs: Any) -> Any:
        return _Recorded(use(*args, **kwargs), chosen)

    policy.use = recording_use  # type: ignore[assignment]
    nb.data.load("digits")  # the data set's first load is not the trials' cost
    exp = nb.Experiment("mlp", strategy="random", estimator="early_stop",
                        estimator_options={"epochs": epochs, "subset": subset},
                        trials=trials, seed=0)
    t0 = time.perf_counter()
    exp.run()
    wall = time.perf_counter() - t0
    return {"wall_s": round(wall, 3), "trials": len(exp.trials),
            "threads_chosen": sorted(set(chosen)), "torch_threads": torch.get_num_threads()}


class _Recorded:
    """Wraps :func:`nasbench_ui.threads.use`: records each trial's count at its end."""

    def __init__(self, cm: Any, chosen: list[int]) -> None:
        self.cm, self.chosen, self.trial = cm, chosen, None

    def __enter__(self) -> Any:
        self.trial = self.cm.__enter__()
        return self.trial

    def __exit__(self, *exc: Any) -> Any:
        self.chosen.append(self.trial.count)
        return self.cm.__exit__(*exc)


def run_config(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one configuration in a fresh interpreter with its own environment."""
    cfg = CONFIGS[name]
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(cfg["env"])
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    code = (f"import json; from benchmarks import threads as b; "
            f"print(json.dumps(b.child({cfg['set_threads']!r}, "
            f"{args.trials}, {args.epochs}, {args.subset})))")
    load_before = os.getloadavg()[0]
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=args.timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"configuration {name!r} failed:\n{proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out.update(load_avg_before=round(load_before, 2), load_avg_after=round(os.getloadavg()[0], 2))
    return out


def start_busy(n: int) -> list[subprocess.Popen[bytes]]:
    """``n`` competing processes, each a pure-Python busy loop."""
    return [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(n)]


def stop_busy(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def table(summary: dict[str, Any]) -> str:
    """The markdown table: median seconds per configuration and load, and the ratio."""
    loads = [str(x) for x in summary["loads"]]
    names = summary["configs"]
    head = "| competing processes | " + " | ".join(names) + " | auto / 1 thread |"
    rows = [head, "|" + "---|" * (len(names) + 2)]
    for load in loads:
        cells = [f"{summary['median_s'][load][c]:.1f} s" for c in names]
        rows.append(f"| {load} | " + " | ".join(cells)
                    + f" | {summary['ratio_auto_to_1'][load]:.2f} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--loads", default="0,1,2", help="competing processes, comma-separated")
    p.add_argument("--trials", type=int, default=8)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--subset", type=float, default=0.5)
    p.add_argument("--configs", default=",".join(CONFIGS),
                   help=f"comma-separated, of: {', '.join(CONFIGS)} (auto and 1 thread needed)")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per search")
    p.add_argument("--out", default="benchmarks/results/threads.json", help="JSON ('' = none)")
    args = p.parse_args(argv)
    loads = [int(x) for x in args.loads.split(",") if x.strip()]
    if args.repeats < 1 or any(n < 0 for n in loads):
        raise ValueError("--repeats must be at least 1 and --loads non-negative integers")
    names = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = [c for c in names if c not in CONFIGS]
    if unknown or not {"auto", "1 thread"} <= set(names):
        raise ValueError(f"--configs must name 'auto', '1 thread' and any of {list(CONFIGS)}; "
                         f"got {names}")
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for load in loads:
        busy = start_busy(load)
        try:
            time.sleep(1.0)  # the busy loops are running before the first search
            runs[str(load)] = {c: [] for c in names}
            for r in range(args.repeats):
                for name in names[r % len(names):] + names[:r % len(names)]:
                    res = run_config(name, args)
                    runs[str(load)][name].append(res)
                    print(f"load {load} repeat {r} {name}: {res['wall_s']:.2f} s "
                          f"(threads {res['threads_chosen']})", file=sys.stderr, flush=True)
        finally:
            stop_busy(busy)
    median = {ld: {c: round(statistics.median(x["wall_s"] for x in rs[c]), 2) for c in names}
              for ld, rs in runs.items()}
    ratio = {ld: round(m["auto"] / m["1 thread"], 2) for ld, m in median.items()}
    summary: dict[str, Any] = {
        "benchmark": "threads",
        "workload": f"{args.trials} early_stop trials of mlp on digits (epochs={args.epochs}, "
                    f"subset={args.subset}), random strategy, seed 0; wall time of run()",
        "cpu_count": os.cpu_count(), "loads": loads, "repeats": args.repeats,
        "configs": names,
        "median_s": median, "ratio_auto_to_1": ratio,
        "accepted": all(v <= ACCEPT for v in ratio.values()),
        "auto_threads": {ld: sorted({n for x in rs["auto"] for n in x["threads_chosen"]})
                         for ld, rs in runs.items()},
        "runs": runs,
        "command": "python benchmarks/threads.py " + " ".join(argv or sys.argv[1:]),
    }
    summary["table"] = table(summary)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    print(summary["table"])
    return summary


if __name__ == "__main__":
    main()

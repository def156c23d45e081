"""The NAS-Bench-201 search protocol, run through the public ``nb.Experiment`` API.

Dong & Yang, "NAS-Bench-201: Extending the Scope of Reproducible Neural Architecture
Search", ICLR 2020; protocol as in ``../shared/benchmarks/nb201/README.md``: a strategy
sees ``valid_acc_12ep``, each query is charged ``12 * train_time_per_epoch_s +
valid_time_s`` simulated seconds, a run stops at 12,000 simulated seconds, and the cell
it picks (its best ``valid_acc_12ep``) is scored by ``test_acc_200ep``.

For every strategy and seed this runs exactly what a workbench user would run
(``nb.Experiment(nb.spaces.nb201(), strategy=..., estimator="tabular", ...,
seconds=12000, storage=":memory:", seed=seed).run()``) in at most two worker
processes, then writes a JSON summary (mean and standard deviation of the picked
cells' test accuracy, queries and wall time per run) and a Bokeh chart (standalone
HTML, inline resources) of the regret against simulated time: the table's best
``test_acc_200ep`` minus the ``test_acc_200ep`` of the best-so-far cell by
``valid_acc_12ep``, averaged over runs.

Usage::

    python benchmarks/nb201.py --runs 100 \\
        --strategies random,evolution,local_search,bananas,reinforce \\
        --table ../shared/benchmarks/nb201/nb201_cifar10.csv \\
        --out benchmarks/results/nb201.json --plot benchmarks/results/nb201_regret.html

Example:
    >>> summary = main(["--runs", "1", "--strategies", "random",     # doctest: +SKIP
    ...                 "--table", "nb201_cifar10.csv", "--out", "", "--plot", ""])
    >>> 85 < summary["strategies"]["random"]["test_acc_mean"] < 92    # doctest: +SKIP
    True
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

# workers inherit these before they import numpy: on tiny matrices BLAS threads only hurt
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout: `python benchmarks/nb201.py`
    sys.path.insert(0, str(ROOT))

from benchmarks import write_json  # noqa: E402 - after the path fix

BUDGET_S = 12_000.0
METRIC, SCORE = "valid_acc_12ep", "test_acc_200ep"
COST = {"train_time_per_epoch_s": 12, "valid_time_s": 1}
STEP_S = 100.0  # the regret chart's time grid
OPTIONS: dict[str, dict[str, Any]] = {  # the README protocol's settings
    "evolution": {"population": 10, "sample_size": 3},
    "pareto_evolution": {"population": 10, "sample_size": 3,
                         "objectives": [["value", "max"]]},
    "reinforce": {"learning_rate": 0.01},
}
MAX_PROCESSES = 2


def run_one(strategy: str, options: dict[str, Any], seed: int, table: str) -> dict[str, Any]:
    """One seeded run of the protocol: the picked cell's scores and its trajectory.

    ``trajectory`` lists ``[simulated seconds spent, test_acc_200ep of the best cell so
    far by valid_acc_12ep]`` after each COMPLETE query.
    """
    import nasbench_ui as nb

    started = time.perf_counter()
    exp = nb.Experiment(
        nb.spaces.nb201(), strategy=strategy, strategy_options=options, estimator="tabular",
        estimator_options={"table": table, "key": "arch_str", "metric": METRIC, "cost": COST,
                           "extra_metrics": [SCORE]},
        seconds=BUDGET_S, storage=":memory:", seed=seed,
    )
    exp.run()
    wall = time.perf_counter() - started
    if exp.last_error:
        raise RuntimeError(f"{strategy} seed {seed}: {exp.last_error}")
    spent, best, trajectory = 0.0, None, []
    for t in exp.trials:
        if t.state.name != "COMPLETE":
            continue
        spent += float(t.metrics["cost_s"])
        if best is None or t.metrics[METRIC] > best.metrics[METRIC]:
            best = t
        trajectory.append([round(spent, 3), float(best.metrics[SCORE])])
    if best is None:
        raise RuntimeError(f"{strategy} seed {seed}: no COMPLETE trial")
    return {"seed": seed, "test_acc": float(best.metrics[SCORE]),
            "valid_acc": float(best.metrics[METRIC]), "queries": len(trajectory),
            "spent_s": round(spent, 3), "wall_s": wall, "arch_str": nb.spaces.nb201_str(best.arch),
            "trajectory": trajectory}


def _task(args: tuple[str, dict[str, Any], int, str]) -> dict[str, Any]:
    return run_one(*args)


def regret_curve(runs: list[dict[str, Any]], reference: float,
                 step: float = STEP_S, budget: float = BUDGET_S) -> dict[str, list[float]]:
    """Mean regret (``reference`` minus the best-so-far cell's score) over the runs at
    every ``step`` simulated seconds, from the first time every run has a result.

    Example:
        >>> r = [{"trajectory": [[50, 90.0], [150, 91.0]]}, {"trajectory": [[80, 89.0]]}]
        >>> regret_curve(r, 91.5, step=100, budget=200)
        {'time_s': [100.0, 200.0], 'regret': [2.0, 1.5], 'stderr': [0.5, 1.0]}
    """
    start = max(r["trajectory"][0][0] for r in runs)
    out: dict[str, list[float]] = {"time_s": [], "regret": [], "stderr": []}
    t = math.ceil(start / step) * step
    while t <= budget + 1e-9:
        vals = []
        for r in runs:
            score = None
            for spent, s in r["trajectory"]:
                if spent > t:
                    break
                score = s
            vals.append(reference - score)
        out["time_s"].append(float(t))
        out["regret"].append(round(statistics.fmean(vals), 4))
        sd = statistics.stdev(vals) if len(vals) > 1 else 0.0
        out["stderr"].append(round(sd / math.sqrt(len(vals)), 4))
        t += step
    return out


def summarize(name: str, options: dict[str, Any], runs: list[dict[str, Any]],
              wall_total: float) -> dict[str, Any]:
    accs = [r["test_acc"] for r in runs]
    return {
        "options": options, "runs": len(runs),
        "test_acc_mean": round(statistics.fmean(accs), 4),
        "test_acc_std": round(statistics.stdev(accs), 4) if len(accs) > 1 else 0.0,
        "valid_acc_mean": round(statistics.fmean(r["valid_acc"] for r in runs), 4),
        "queries_mean": round(statistics.fmean(r["queries"] for r in runs), 2),
        "wall_s_per_run": round(statistics.fmean(r["wall_s"] for r in runs), 3),
        "wall_s_total": round(wall_total, 2),
        "test_acc_per_run": accs,
    }


def regret_figure(curves: dict[str, dict[str, list[float]]], reference: float) -> Any:
    """A Bokeh figure: mean regret (log scale) against simulated time, +- 1 standard error."""
    from bokeh.models import ColumnDataSource, HoverTool
    from bokeh.palettes import Category10_10
    from bokeh.plotting import figure

    fig = figure(title=f"NAS-Bench-201 CIFAR-10: regret = {reference:.2f} - test_acc_200ep "
                       "of the best cell so far by valid_acc_12ep",
                 x_axis_label="simulated training time (s)", y_axis_label="mean regret (%)",
                 y_axis_type="log", width=900, height=500, sizing_mode="stretch_width")
    for (name, c), color in zip(curves.items(), Category10_10, strict=False):
        lo = [max(r - e, 1e-3) for r, e in zip(c["regret"], c["stderr"], strict=True)]
        hi = [r + e for r, e in zip(c["regret"], c["stderr"], strict=True)]
        src = ColumnDataSource({"t": c["time_s"], "regret": c["regret"], "lo": lo, "hi": hi,
                                "name": [name] * len(lo)})
        fig.varea(x="t", y1="lo", y2="hi", source=src, fill_color=color, fill_alpha=0.15)
        fig.line(x="t", y="regret", source=src, color=color, line_width=2, legend_label=name)
    fig.add_tools(HoverTool(tooltips=[("strategy", "@name"), ("time", "@t s"),
                                      ("regret", "@regret{0.000}")]))
    fig.legend.location = "top_right"
    return fig


def write_plot(path: str, curves: dict[str, dict[str, list[float]]], reference: float) -> None:
    from bokeh.embed import file_html
    from bokeh.resources import INLINE

    html = file_html(regret_figure(curves, reference), INLINE, "NAS-Bench-201 regret")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(html, encoding="utf-8")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=100, help="seeds per strategy (0 .. runs-1)")
    p.add_argument("--strategies", default="random,evolution,local_search,bananas,reinforce",
                   help="comma-separated strategy names")
    p.add_argument("--table", default="../shared/benchmarks/nb201/nb201_cifar10.csv")
    p.add_argument("--out", default="benchmarks/results/nb201.json", help="JSON ('' = none)")
    p.add_argument("--plot", default="benchmarks/results/nb201_regret.html",
                   help="HTML chart ('' = none)")
    p.add_argument("--processes", type=int, default=MAX_PROCESSES,
                   help=f"worker processes, at most {MAX_PROCESSES}")
    p.add_argument("--options", default="{}",
                   help='JSON {strategy: {option: value}} overriding the protocol settings')
    args = p.parse_args(argv)
    if args.runs < 1:
        p.error(f"--runs must be at least 1, got {args.runs}")
    if not 1 <= args.processes <= MAX_PROCESSES:
        p.error(f"--processes must be 1..{MAX_PROCESSES}, got {args.processes}")
    if not Path(args.table).is_file():
        p.error(f"--table {args.table!r} is not a file; give the NAS-Bench-201 CSV "
                "(../shared/benchmarks/nb201/nb201_cifar10.csv)")
    try:
        args.options = json.loads(args.options)
    except json.JSONDecodeError as e:
        p.error(f"--options is not JSON: {e}")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the protocol for each strategy; write the JSON and chart; return the summary."""
    import pandas as pd

    from nasbench_ui import strategies

    args = parse_args(argv)
    names = [s.strip() for s in args.strategies.split(",") if s.strip()]
    for n in names:
        strategies.get(n)  # ValueError listing the names
    table = str(Path(args.table).resolve())
    reference = float(pd.read_csv(table, usecols=[SCORE])[SCORE].max())
    summary: dict[str, Any] = {
        "protocol": {"budget_s": BUDGET_S, "metric": METRIC, "score": SCORE, "cost": COST,
                     "regret_reference": reference, "runs": args.runs, "seeds":
                     f"0..{args.runs - 1}", "processes": args.processes},
        "command": "python " + " ".join([sys.argv[0] if argv is None else "benchmarks/nb201.py",
                                         *(sys.argv[1:] if argv is None else argv)]),
        "strategies": {}, "regret": {},
    }
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(args.processes) as pool:
        for name in names:
            options = {**OPTIONS.get(name, {}), **args.options.get(name, {})}
            started = time.perf_counter()
            tasks = [(name, options, seed, table) for seed in range(args.runs)]
            runs = sorted(pool.imap_unordered(_task, tasks), key=lambda r: r["seed"])
            s = summarize(name, options, runs, time.perf_counter() - started)
            summary["strategies"][name] = s
            summary["regret"][name] = regret_curve(runs, reference)
            print(f"{name:18s} {s['test_acc_mean']:.2f} +- {s['test_acc_std']:.2f}  "
                  f"queries {s['queries_mean']:.1f}  {s['wall_s_per_run']:.2f} s/run  "
                  f"{s['wall_s_total']:.0f} s total", flush=True)
    if args.out:
        write_json(args.out, summary)
    if args.plot:
        write_plot(args.plot, summary["regret"], reference)
    return summary


if __name__ == "__main__":
    main()

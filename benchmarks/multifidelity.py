"""Multi-fidelity scheduling on the shipped digits table: Hyperband and BOHB against an
early-stopping baseline and random search, best accuracy against simulated seconds.

Every run is what a workbench user would run: ``nb.Experiment(digits_space(),
strategy=..., estimator="tabular", ..., seconds=BUDGET, seed=seed).run()`` on the table
of :mod:`nasbench_ui.tables.digits` (1,296 NAS-Bench-201-style cells trained 8 epochs on
digits; per-epoch validation curves; ``cost_s`` the measured seconds of the 8 epochs).

* ``random``: random search, each query a full 8-epoch training (charged ``cost_s``).
* ``early_stop``: random search whose trials stop by the median rule (Golovin et al.,
  KDD 2017) and a patience of 2 epochs, as the ``early_stop`` estimator's defaults, read
  off the table's curves; a trial is charged ``cost_s / 8`` per epoch it ran
  (:class:`CurveEarlyStop`, this file: the ``early_stop`` estimator trains for real, so
  its seconds would not be simulated ones).
* ``hyperband``: Li et al., JMLR 2018; eta 2, budgets 1, 2, 4, 8 epochs, random proposer.
* ``bohb``: Hyperband with BANANAS proposing (Falkner et al., ICML 2018, BOHB-style).

The schedulers' rungs are charged ``cost_s / 8`` per epoch they add
(:func:`~nasbench_ui.tables.digits.digits_multifidelity_options`). The *incumbent* at
time ``t`` is the best trial among those at the highest number of epochs reached by
then (Hyperband's rule; for random search every trial is at 8 epochs); its score is
the table's 8-epoch ``valid_acc`` and ``test_acc`` of that cell. The JSON holds, for
each method, the mean and standard deviation over seeds of the incumbent's accuracy at
each checkpoint of simulated seconds (the anytime table), the queries made, and, as
ratios against random search measured in the same run, the mean accuracy gap and the
simulated seconds to reach the table's 99th-percentile ``valid_acc``.

Usage::

    nice -n 10 python benchmarks/multifidelity.py --seeds 10 --seconds 120 \\
        --out benchmarks/results/multifidelity.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import nasbench_ui as nb  # noqa: E402
from nasbench_ui.estimators import Estimate, EstimateContext, Estimator, Pruned  # noqa: E402
from nasbench_ui.storage import TrialState  # noqa: E402
from nasbench_ui.tables import (  # noqa: E402
    digits,
    digits_estimator_options,
    digits_multifidelity_options,
    digits_space,
)

EPOCHS = 8
BANANAS = {"initial": 8, "candidates": 50, "ensemble": 3, "epochs": 60}


class CurveEarlyStop(Estimator):
    """The median stopping rule and patience on the digits table's curves (module doc)."""

    NAME = "curve_early_stop"
    HISTORY: ClassVar[tuple[str, ...]] = ("curve",)

    def __init__(self, patience: int = 2, grace_epochs: int = 1, min_trials: int = 3) -> None:
        frame = digits()
        self.curves = {k: json.loads(c) for k, c in zip(frame["arch_str"], frame["curve"],
                                                          strict=True)}
        self.costs = dict(zip(frame["arch_str"], frame["cost_s"], strict=True))
        self.patience, self.grace, self.min_trials = patience, grace_epochs, min_trials

    def estimate(self, arch: dict[str, Any], ctx: EstimateContext) -> Estimate:
        key = ctx.space.key(arch)
        curve, per_epoch = self.curves[key], self.costs[key] / EPOCHS
        others = [[p["valid_acc"] for p in t.curve] for t in ctx.history()
                  if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
        best, since = -1.0, 0
        for e in range(1, EPOCHS + 1):
            acc = curve[e - 1]
            ctx.report({"epoch": e, "valid_acc": acc})
            since = 0 if acc > best else since + 1
            best = max(best, acc)
            if e == EPOCHS:
                break
            metrics = {"valid_acc": best, "cost_s": per_epoch * e, "epochs": e}
            if since >= self.patience:
                raise Pruned(f"patience at epoch {e}", best, metrics)
            reached = [c[:e] for c in others if len(c) >= e]
            if e > self.grace and len(reached) >= self.min_trials:
                median = statistics.median(sum(c) / e for c in reached)
                if best < median:
                    raise Pruned(f"median rule at epoch {e}", best, metrics)
        return Estimate(best, {"valid_acc": best, "cost_s": per_epoch * EPOCHS,
                               "epochs": EPOCHS})


def experiment(method: str, seed: int, seconds: float) -> Any:
    scheduler = {"eta": 2, "min_budget": 1, "max_budget": EPOCHS}
    if method == "random":
        return nb.Experiment(digits_space(), strategy="random", estimator="tabular",
                             estimator_options=digits_estimator_options(), seconds=seconds,
                             storage=":memory:", seed=seed)
    if method == "early_stop":
        return nb.Experiment(digits_space(), strategy="random", estimator=CurveEarlyStop(),
                             seconds=seconds, storage=":memory:", seed=seed)
    options = dict(scheduler)
    if method == "bohb":
        options.update(proposer="bananas", proposer_options=dict(BANANAS))
    return nb.Experiment(digits_space(), strategy=method, strategy_options=options,
                         estimator="tabular", estimator_options=digits_multifidelity_options(),
                         seconds=seconds, storage=":memory:", seed=seed)


def trajectory(trials: list[Any], space: Any, table: Any) -> list[tuple[float, float, float]]:
    """``(simulated seconds, incumbent's valid_acc, its test_acc)`` after each trial."""
    out, spent, best = [], 0.0, None
    for t in sorted(trials, key=lambda t: t.number):
        spent += float(t.metrics.get("cost_s", 0.0))
        if t.value is None or t.state is TrialState.FAILED:
            continue
        epochs = int(t.metrics.get("epochs", EPOCHS))
        rank = (epochs, t.value)
        if best is None or rank > best[0]:
            best = (rank, space.key(t.arch))
        row = table[best[1]]
        out.append((spent, row["valid_acc"], row["test_acc"]))
    return out


def at(traj: list[tuple[float, float, float]], t: float) -> tuple[float, float]:
    """The incumbent's (valid, test) accuracy at simulated time ``t`` (NaN before one)."""
    got = (math.nan, math.nan)
    for spent, valid, test in traj:
        if spent > t + 1e-9:
            break
        got = (valid, test)
    return got


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--methods", default="random,early_stop,hyperband,bohb")
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/multifidelity.json"))
    args = parser.parse_args(argv)
    frame = digits()
    table = {r["arch_str"]: {"valid_acc": float(r["valid_acc"]), "test_acc": float(r["test_acc"])}
             for r in frame[["arch_str", "valid_acc", "test_acc"]].to_dict("records")}
    target = float(frame["valid_acc"].quantile(0.99))
    checkpoints = [args.seconds * f for f in (0.125, 0.25, 0.5, 1.0)]
    methods = args.methods.split(",")
    result: dict[str, Any] = {
        "benchmark": "multifidelity", "table": "digits_cell (shipped, 1296 cells, 8 epochs)",
        "seconds": args.seconds, "seeds": args.seeds, "checkpoints_s": checkpoints,
        "target_valid_acc_q99": round(target, 6),
        "table_best": {"valid_acc": float(frame["valid_acc"].max()),
                       "test_acc": float(frame["test_acc"].max())},
        "methods": {},
    }
    for method in methods:
        rows: dict[str, list[float]] = {f"{c:g}": [] for c in checkpoints}
        tests: dict[str, list[float]] = {f"{c:g}": [] for c in checkpoints}
        reach, queries, wall = [], [], []
        for seed in range(args.seeds):
            start = time.perf_counter()
            exp = experiment(method, seed, args.seconds).run()
            wall.append(time.perf_counter() - start)
            traj = trajectory(exp.trials, exp.space, table)
            queries.append(len(exp.trials))
            for c in checkpoints:
                valid, test = at(traj, c)
                rows[f"{c:g}"].append(valid)
                tests[f"{c:g}"].append(test)
            hit = [s for s, v, _ in traj if v >= target]
            reach.append(hit[0] if hit else math.inf)
        result["methods"][method] = {
            "anytime_valid_acc": {c: _stats(v) for c, v in rows.items()},
            "anytime_test_acc": {c: _stats(v) for c, v in tests.items()},
            "seconds_to_q99": {"median": _median(reach),
                               "reached": sum(math.isfinite(r) for r in reach)},
            "queries_mean": statistics.mean(queries), "wall_s_mean": statistics.mean(wall),
        }
        print(method, json.dumps(result["methods"][method]["anytime_test_acc"]), flush=True)
    base = result["methods"].get("random")
    if base is not None:
        for r in result["methods"].values():
            last = f"{checkpoints[-1]:g}"
            first = f"{checkpoints[0]:g}"
            r["vs_random"] = {
                "test_acc_gap_at_end": _gap(r, base, last),
                "test_acc_gap_at_first_checkpoint": _gap(r, base, first),
                "seconds_to_q99_ratio": _ratio(r["seconds_to_q99"]["median"],
                                               base["seconds_to_q99"]["median"]),
            }
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=1, allow_nan=False, default=str))
    return result


def _stats(values: list[float]) -> dict[str, Any]:
    ok = [v for v in values if not math.isnan(v)]
    return {"mean": round(statistics.mean(ok), 5) if ok else None,
            "std": round(statistics.pstdev(ok), 5) if ok else None, "runs": len(ok)}


def _median(values: list[float]) -> float | None:
    m = statistics.median(values)
    return round(m, 3) if math.isfinite(m) else None


def _gap(r: dict[str, Any], base: dict[str, Any], c: str) -> float | None:
    a, b = r["anytime_test_acc"][c]["mean"], base["anytime_test_acc"][c]["mean"]
    return None if a is None or b is None else round(a - b, 5)


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else round(a / b, 3)


if __name__ == "__main__":
    main()

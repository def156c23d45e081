"""DARTS against evolution on the ``nb201`` space with digits: accuracy gap and search cost.

DARTS (Liu, Simonyan & Yang, ICLR 2019; strategy ``darts`` with estimator
``darts_epoch``) searches the NAS-Bench-201 cell with one supernet for
``--search-epochs`` epochs; the cell it derives is then trained from scratch
(``exp.retrain``) for ``--epochs`` epochs. Regularized evolution (Real et al., AAAI
2019; strategy ``evolution``) trains each of its ``--trials`` cells fully (the ``train``
estimator, the same ``--epochs``) and keeps the best by validation accuracy; that cell is
retrained the same way (same seed, same epochs), so both are compared on the same
footing: the test accuracy of one training run of each found cell.

Reported per seed and as means: each method's test and validation accuracy after the
retraining, the accuracy gap (evolution minus DARTS, in points), the search cost of each
(wall and CPU seconds, the retraining excluded) and the ratio of the two (evolution's
cost over DARTS's). ``--stack cells=1`` also retrains both cells stacked into
NAS-Bench-201's skeleton (``Stack(cells, 3 stages, channels)``); on a GPU
(``--device cuda``) the published size is ``--stack cells=5,channels=16``.

    nice -n 10 python benchmarks/darts.py --seeds 3 --trials 24 --epochs 10 --search-epochs 10 \
        --stack cells=1,channels=16
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import torch

import nasbench_ui as nb


def timed(exp: nb.Experiment) -> tuple[float, float]:
    """Run ``exp`` to its budget; its wall and CPU (this process) seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    exp.run()
    return time.perf_counter() - wall, time.process_time() - cpu


def retrained(exp: nb.Experiment, epochs: int, stack: dict | None) -> dict[str, Any]:
    r = exp.retrain(epochs=epochs, stack=stack, options={"learning_rate": 1e-2}).wait()
    assert r is not None
    return {"arch": exp.space.key(r.arch), "valid_acc": r.valid_acc, "test_acc": r.test_acc,
            "params": r.params, "seconds": r.seconds}


def one_seed(seed: int, args: argparse.Namespace, stack: dict | None) -> dict[str, Any]:
    space = nb.spaces.nb201()
    darts = nb.Experiment(space, strategy="darts", estimator="darts_epoch", seed=seed,
                          estimator_options={"epochs": args.search_epochs, "batch_size": 64},
                          trials=args.search_epochs, device=args.device)
    d_wall, d_cpu = timed(darts)
    assert darts.last_error is None, darts.last_error
    evo = nb.Experiment(space, strategy="evolution", estimator="train", seed=seed,
                        strategy_options={"population": args.population,
                                          "sample_size": args.sample_size},
                        estimator_options={"epochs": args.epochs, "learning_rate": 1e-2,
                                           "latency_runs": 0},
                        trials=args.trials, device=args.device)
    e_wall, e_cpu = timed(evo)
    out: dict[str, Any] = {
        "seed": seed,
        "darts": {"search_wall_s": d_wall, "search_cpu_s": d_cpu,
                  "supernet_valid_acc": darts.trials[-1].metrics["valid_acc"],
                  "derived_acc_shared_weights": darts.trials[-1].metrics["derived_acc"],
                  "retrained": retrained(darts, args.epochs, None)},
        "evolution": {"search_wall_s": e_wall, "search_cpu_s": e_cpu,
                      "best_trial_valid_acc": evo.best().value,
                      "retrained": retrained(evo, args.epochs, None)},
    }
    if stack is not None:
        out["darts"]["stacked"] = retrained(darts, args.epochs, stack)
        out["evolution"]["stacked"] = retrained(evo, args.epochs, stack)
    d, e = out["darts"]["retrained"], out["evolution"]["retrained"]
    out["gap_test_points"] = 100 * (e["test_acc"] - d["test_acc"])
    out["gap_valid_points"] = 100 * (e["valid_acc"] - d["valid_acc"])
    out["cost_ratio_wall"] = e_wall / d_wall
    out["cost_ratio_cpu"] = e_cpu / d_cpu
    print(f"seed {seed}: DARTS {d['test_acc']:.3f} test ({d_wall:.0f} s search), evolution "
          f"{e['test_acc']:.3f} test ({e_wall:.0f} s search); gap {out['gap_test_points']:+.1f} "
          f"points, cost ratio {out['cost_ratio_wall']:.1f}x wall", flush=True)
    return out


def parse_stack(text: str | None) -> dict | None:
    if not text:
        return None
    return {k: int(v) for k, v in (part.split("=") for part in text.split(","))}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--trials", type=int, default=16, help="evolution's trials")
    p.add_argument("--population", type=int, default=8)
    p.add_argument("--sample-size", type=int, default=4)
    p.add_argument("--epochs", type=int, default=8, help="full training (evolution, retraining)")
    p.add_argument("--search-epochs", type=int, default=8, help="DARTS supernet epochs")
    p.add_argument("--stack", default=None, help="also retrain stacked, e.g. cells=1,channels=16")
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--device", default="cpu", help="cpu, cuda, ... (a lent GPU: add --stack)")
    p.add_argument("--out", default=str(Path(__file__).parent / "results" / "darts.json"))
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    stack = parse_stack(args.stack)
    runs = [one_seed(seed, args, stack) for seed in range(args.seeds)]

    def mean(path: tuple[str, ...]) -> float:
        vals = []
        for r in runs:
            v: Any = r
            for k in path:
                v = v[k]
            vals.append(float(v))
        return statistics.fmean(vals)

    summary = {
        "darts_test_acc": mean(("darts", "retrained", "test_acc")),
        "evolution_test_acc": mean(("evolution", "retrained", "test_acc")),
        "gap_test_points": mean(("gap_test_points",)),
        "gap_valid_points": mean(("gap_valid_points",)),
        "darts_search_wall_s": mean(("darts", "search_wall_s")),
        "evolution_search_wall_s": mean(("evolution", "search_wall_s")),
        "cost_ratio_wall": mean(("cost_ratio_wall",)),
        "cost_ratio_cpu": mean(("cost_ratio_cpu",)),
    }
    result = {"benchmark": "darts", "space": "nb201", "dataset": "digits",
              "settings": {k: v for k, v in vars(args).items() if k != "out"},
              "torch_threads": torch.get_num_threads(), "summary": summary, "runs": runs}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(json.dumps(summary, indent=1))
    return result


if __name__ == "__main__":
    main()

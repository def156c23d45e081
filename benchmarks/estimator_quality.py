"""How well do cheap estimators rank architectures? Kendall tau and top-k overlap
against full training, and the cost of each as a fraction of full training.

On ``--archs`` random architectures of the ``nb201`` space (seeded), each is trained
fully on digits (the ``train`` estimator, ``--epochs`` epochs) — the ground truth — and
scored by each cheap estimator: ``early_stop`` (reduced fidelity), ``lce``
(learning-curve extrapolation from the first 3 epochs of the same training runs; its
cost is counted as 3/epochs of full training), ``weight_sharing`` (one supernet shared
across the architectures, in order), and the four zero-cost proxies. Every estimator
goes through ``nb.Experiment`` with a fixed list of architectures, the same path the
workbench uses.

    python benchmarks/estimator_quality.py --archs 50 --epochs 10
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import torch
from scipy.stats import kendalltau

import nasbench_ui as nb
from nasbench_ui.estimators.lce import extrapolate

LCE_EPOCHS = 3  # epochs seen before extrapolating


class FixedList:
    """A strategy that proposes a given list of architectures in order."""

    NAME = "fixed_list"

    def __init__(self, archs: list[dict]) -> None:
        self.archs, self.i = archs, 0

    def ask(self) -> dict:
        arch = self.archs[self.i % len(self.archs)]
        self.i += 1
        return dict(arch)

    def tell(self, arch, value, trial=None) -> None:
        pass

    def state_dict(self) -> dict:
        return {"i": self.i}

    def load_state_dict(self, state: dict) -> None:
        self.i = state["i"]


def scores(estimator: str, options: dict, archs: list[dict], seed: int,
           keep: list | None = None) -> tuple[list, float]:
    exp = nb.Experiment(nb.spaces.nb201(), strategy=FixedList(archs), estimator=estimator,
                        estimator_options=options, trials=len(archs), seed=seed, device="cpu",
                        max_failures=0)
    t0 = time.perf_counter()
    exp.run()
    cost = time.perf_counter() - t0
    if keep is not None:
        keep.extend(exp.trials)
    return [t.value if t.state.name in ("COMPLETE", "PRUNED") else None for t in exp.trials], cost


def top_overlap(a: list[float], b: list[float], k: int) -> float:
    ia = set(sorted(range(len(a)), key=lambda i: -a[i])[:k])
    ib = set(sorted(range(len(b)), key=lambda i: -b[i])[:k])
    return len(ia & ib) / k


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser()
    p.add_argument("--archs", type=int, default=50)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--top", type=int, default=10)
    p.add_argument("--out", default="benchmarks/results/estimator_quality.json")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    space = nb.spaces.nb201()
    rng = random.Random(args.seed)
    archs, keys = [], set()
    while len(archs) < args.archs:
        a = space.sample(rng)
        if space.key(a) not in keys:
            keys.add(space.key(a))
            archs.append(a)
    cheap = {
        "early_stop": ("early_stop", {"epochs": 2, "subset": 0.5, "latency_runs": 0,
                                      "median_stop": False, "patience": 100}),
        "weight_sharing": ("weight_sharing", {}),
        "synflow": ("zero_cost", {"proxy": "synflow"}),
        "grad_norm": ("zero_cost", {"proxy": "grad_norm"}),
        "snip": ("zero_cost", {"proxy": "snip"}),
        "naswot": ("zero_cost", {"proxy": "naswot"}),
    }
    full: list = []
    truth, full_cost = scores("train", {"epochs": args.epochs, "latency_runs": 0}, archs,
                              args.seed, keep=full)
    result: dict = {"archs": args.archs, "epochs": args.epochs, "full_training_s": round(full_cost, 1),
                    "estimators": {}}
    # learning-curve extrapolation reads the first epochs of the same training runs
    lce_est = [extrapolate(list(range(1, LCE_EPOCHS + 1)),
                           [pt["valid_acc"] for pt in t.curve[:LCE_EPOCHS]], args.epochs)
               if len(t.curve) >= LCE_EPOCHS else None for t in full]
    runs = {label: (lambda n=name, o=opts: scores(n, o, archs, args.seed))
            for label, (name, opts) in cheap.items()}
    runs["lce"] = lambda: (lce_est, full_cost * LCE_EPOCHS / args.epochs)
    for label, run in runs.items():
        est, cost = run()
        pairs = [(t, e) for t, e in zip(truth, est, strict=True) if t is not None and e is not None]
        tau = kendalltau([t for t, _ in pairs], [e for _, e in pairs]).statistic
        result["estimators"][label] = {
            "kendall_tau": round(float(tau), 3),
            f"top{args.top}_overlap": round(top_overlap([t for t, _ in pairs], [e for _, e in pairs], args.top), 2),
            "cost_fraction": round(cost / full_cost, 4), "n": len(pairs),
        }
        print(label, result["estimators"][label], flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()

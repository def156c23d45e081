"""The quickstart's search, timed: 30 trials of evolution with early_stop on keras_cnn
and digits on one thread — what a Binder workshop runs live.

Reports the search's wall time (after torch's one-time import of its compiler, which the
first optimizer triggers and which is reported apart; the workbench does it in the
background while the user reads the page) and the process's peak RSS, beside the time a bare
PyTorch loop takes to train the same 30 architectures for the same epochs on the same
data subset (no pruning, no store) in the same run. Targets: <= 60 s, <= 1.5 GB.

    python benchmarks/quickstart.py
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import torch
from torch import nn

import nasbench_ui as nb


def bare_train(space, archs, ds, epochs: int, batch_size: int, seed: int) -> float:
    t0 = time.perf_counter()
    for i, arch in enumerate(archs):
        torch.manual_seed(seed + i)
        model = space.build(arch, ds.input_shape, ds.num_classes)
        opt = torch.optim.Adam(model.parameters(), lr=arch.get("learning_rate", 1e-3))
        loss_fn = nn.CrossEntropyLoss()
        for _ in range(epochs):
            model.train()
            order = torch.randperm(len(ds.x_train))
            for lo in range(0, len(order), batch_size):
                idx = order[lo:lo + batch_size]
                if len(idx) < 2:
                    break
                opt.zero_grad(set_to_none=True)
                loss_fn(model(ds.x_train[idx]), ds.y_train[idx]).backward()
                opt.step()
            model.eval()
            with torch.no_grad():
                (model(ds.x_valid).argmax(1) == ds.y_valid).float().mean().item()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser()
    p.add_argument("--trials", type=int, default=30)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="benchmarks/results/quickstart.json")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    space = nb.spaces.keras_cnn()
    exp = nb.Experiment(space, strategy="evolution", estimator="early_stop", dataset="digits",
                        trials=args.trials, storage=":memory:", seed=args.seed, device="cpu")
    opts = exp.estimator
    t0 = time.perf_counter()
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])  # torch imports its compiler here once
    warmup_s = time.perf_counter() - t0
    exp.dataset  # noqa: B018 - loading digits is outside both timings
    t0 = time.perf_counter()
    exp.run()
    search_s = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    archs = [t.arch for t in exp.trials]
    subset = exp.dataset.subset(opts.subset, seed=args.seed)
    bare_s = bare_train(space, archs, subset, opts.epochs if hasattr(opts, "epochs") else 5,
                        64, args.seed)
    states: dict[str, int] = {}
    for t in exp.trials:
        states[t.state.name] = states.get(t.state.name, 0) + 1
    out = {"trials": args.trials, "search_wall_s": round(search_s, 2),
           "first_optimizer_import_s": round(warmup_s, 2),
           "bare_loop_same_archs_s": round(bare_s, 2), "ratio": round(search_s / bare_s, 3),
           "peak_rss_mb": round(rss_mb, 1), "states": states,
           "best_valid_acc": exp.best().value, "torch_threads": torch.get_num_threads()}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()

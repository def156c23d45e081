"""Engine overhead: one architecture trained by a bare PyTorch loop vs. an experiment trial.

The same keras_cnn architecture is trained for the same epochs on digits, with the same
batch size, optimizer and a validation pass per epoch: once by a plain loop written
here, once as a trial of ``nb.Experiment`` (estimator ``train``, SQLite store, an
observer attached). Latency timing is switched off in the trial (``latency_runs=0``) so
both do the same training and evaluation work; the trial still counts parameters and FLOPs. Runs
alternate and the medians are compared. Target: ratio <= 1.05.

    python benchmarks/overhead.py --epochs 5 --repeats 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

import nasbench_ui as nb

ARCH = {"filters": 64, "kernel_size": 3, "units": 64, "dropout": 0.2, "learning_rate": 1e-3}


def bare_loop(epochs: int, batch_size: int, seed: int) -> float:
    ds = nb.data.load("digits", seed=0)
    torch.manual_seed(seed)
    model = nb.spaces.keras_cnn().build(ARCH, ds.input_shape, ds.num_classes)
    opt = torch.optim.Adam(model.parameters(), lr=ARCH["learning_rate"])
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(seed)
    t0 = time.perf_counter()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(ds.x_train), generator=gen)
        for lo in range(0, len(order), batch_size):
            idx = order[lo:lo + batch_size]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(ds.x_train[idx]), ds.y_train[idx]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            (model(ds.x_valid).argmax(1) == ds.y_valid).float().mean().item()
    with torch.no_grad():  # a user's loop reports test accuracy too, as the trial does
        (model(ds.x_test).argmax(1) == ds.y_test).float().mean().item()
    return time.perf_counter() - t0


def experiment_trial(epochs: int, batch_size: int, seed: int, folder: Path) -> float:
    space = nb.spaces.keras_cnn()
    exp = nb.Experiment(space, strategy=_One(ARCH), estimator="train",
                        estimator_options={"epochs": epochs, "batch_size": batch_size,
                                           "latency_runs": 0},
                        trials=1, storage=str(folder / f"o{seed}-{time.time_ns()}.db"), seed=seed,
                        device="cpu")
    events = []
    exp.observe(events.append)
    exp.dataset  # noqa: B018 - data loading is outside both timings
    t0 = time.perf_counter()
    exp.run()
    elapsed = time.perf_counter() - t0
    assert exp.trials[0].state.name == "COMPLETE", exp.trials[0].error
    return elapsed


class _One:
    NAME = "one"

    def __init__(self, arch: dict) -> None:
        self.arch = arch

    def ask(self) -> dict:
        return dict(self.arch)

    def tell(self, arch, value, trial=None) -> None:
        pass

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default="benchmarks/results/overhead.json")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    bare, trial = [], []
    with tempfile.TemporaryDirectory() as tmp:
        bare_loop(1, args.batch_size, 0)  # warm-up
        for r in range(args.repeats):
            bare.append(bare_loop(args.epochs, args.batch_size, r))
            trial.append(experiment_trial(args.epochs, args.batch_size, r, Path(tmp)))
    out = {
        "epochs": args.epochs, "repeats": args.repeats, "threads": args.threads,
        "bare_median_s": statistics.median(bare), "trial_median_s": statistics.median(trial),
        "ratio": statistics.median(trial) / statistics.median(bare),
        "bare_s": bare, "trial_s": trial,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2))
    print(json.dumps({k: v for k, v in out.items() if not k.endswith("_s") or "median" in k}, indent=2))
    return out


if __name__ == "__main__":
    main()

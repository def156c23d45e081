"""Time per training epoch on the kernel's device against the CPU, in the same run.

Two searches, each run once on ``--device`` and once on the CPU with the same seeds:

* **quick start**: the README's search (evolution with ``early_stop`` on ``keras_cnn``
  and digits), ``--trials`` trials;
* **DARTS**: ``strategy="darts"`` with the ``darts_epoch`` estimator on the ``nb201``
  cell and digits, ``--darts-epochs`` search epochs (one trial each).

For each it reports the seconds per trained epoch (the trials' durations over the
epochs in their curves) and the CPU's time over the device's. ``--amp`` switches mixed
precision (``estimator_options={"amp": True}``) on for the device's runs where the
estimator declares the option (``early_stop`` does; each run records ``amp`` as used),
so the ratio is "device with amp" against the float32 CPU; ``--cpu-amp`` also runs the
CPU with bfloat16 autocast. The data set is moved to the device once (no per-batch
copies; see :mod:`nasbench_ui.estimators.trainer`). Without an accelerator the device
runs are skipped and only the CPU's figures are reported.

    python benchmarks/device.py --device cuda --trials 6 --darts-epochs 2 --amp

Example (the pure helper):
    >>> per_epoch([{"duration_s": 2.0, "epochs": 4}, {"duration_s": 1.0, "epochs": 1}])
    0.6
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import nasbench_ui as nb
from nasbench_ui import devices, estimators


def per_epoch(trials: list[dict[str, Any]]) -> float | None:
    """Seconds per epoch over trials given as ``{"duration_s", "epochs"}``."""
    epochs = sum(t["epochs"] for t in trials)
    return round(sum(t["duration_s"] for t in trials) / epochs, 6) if epochs else None


def _trials(exp: Any) -> list[dict[str, Any]]:
    out = []
    for t in exp.finished_trials():
        if t.started_at is None or t.finished_at is None or not t.curve:
            continue
        out.append({"duration_s": float(t.finished_at - t.started_at), "epochs": len(t.curve)})
    return out


def _timed(exp: Any) -> dict[str, Any]:
    t0 = time.perf_counter()
    exp.run()
    done = _trials(exp)
    return {"wall_s": round(time.perf_counter() - t0, 3), "trials": len(done),
            "epochs": sum(t["epochs"] for t in done), "s_per_epoch": per_epoch(done)}


def takes_amp(estimator: str) -> bool:
    """Whether the estimator declares the ``amp`` option.

    Example:
        >>> takes_amp("early_stop"), takes_amp("tabular")
        (True, False)
    """
    return "amp" in estimators.options(estimator)


def _with_amp(estimator: str, options: dict[str, Any], amp: bool) -> tuple[dict[str, Any], bool]:
    used = amp and takes_amp(estimator)
    return ({**options, "amp": True} if used else options), used


def quick_start(device: str, trials: int, amp: bool, seed: int) -> dict[str, Any]:
    options, used = _with_amp("early_stop", {}, amp)
    exp = nb.Experiment(nb.spaces.keras_cnn(), strategy="evolution", estimator="early_stop",
                        estimator_options=options, dataset="digits", trials=trials,
                        device=device, seed=seed)
    return {**_timed(exp), "amp": used}


def darts(device: str, epochs: int, amp: bool, seed: int, channels: int = 16) -> dict[str, Any]:
    options, used = _with_amp("darts_epoch", {"epochs": epochs, "batch_size": 128}, amp)
    exp = nb.Experiment(nb.spaces.nb201(channels), strategy="darts", estimator="darts_epoch",
                        estimator_options=options, dataset="digits", trials=epochs,
                        device=device, seed=seed)
    return {**_timed(exp), "amp": used}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="auto", help="auto, cuda, cuda:1, mps or cpu")
    p.add_argument("--trials", type=int, default=6, help="quick-start trials")
    p.add_argument("--darts-epochs", type=int, default=2, help="DARTS search epochs")
    p.add_argument("--channels", type=int, default=16, help="channels of the DARTS cell")
    p.add_argument("--amp", action="store_true", help="mixed precision on the device")
    p.add_argument("--cpu-amp", action="store_true",
                   help="also time the CPU with bfloat16 autocast (runs['cpu+amp'])")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="benchmarks/results/device.json")
    args = p.parse_args(argv)
    device = devices.resolve_device(args.device)
    result: dict[str, Any] = {"device": device, "description": devices.describe_device(device),
                              "amp": args.amp, "runs": {}}
    targets = [("cpu", "cpu", False)] + ([("cpu+amp", "cpu", True)] if args.cpu_amp else []) \
        + ([(device, device, args.amp)] if device != "cpu" else [])
    for label, target, amp in targets:
        result["runs"][label] = {
            "quick_start": quick_start(target, args.trials, amp, args.seed),
            "darts": darts(target, args.darts_epochs, amp, args.seed, args.channels),
        }
    if device != "cpu":
        cpu, dev = result["runs"]["cpu"], result["runs"][device]
        result["cpu_over_device"] = {
            k: (round(cpu[k]["s_per_epoch"] / dev[k]["s_per_epoch"], 3)
                if cpu[k]["s_per_epoch"] and dev[k]["s_per_epoch"] else None)
            for k in ("quick_start", "darts")}
    else:
        result["note"] = "no accelerator here: CPU figures only"
    if args.cpu_amp:
        cpu, bf16 = result["runs"]["cpu"], result["runs"]["cpu+amp"]
        result["cpu_over_cpu_amp"] = {
            k: (round(cpu[k]["s_per_epoch"] / bf16[k]["s_per_epoch"], 3)
                if cpu[k]["s_per_epoch"] and bf16[k]["s_per_epoch"] else None)
            for k in ("quick_start", "darts")}
    print(json.dumps(result, indent=1))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()

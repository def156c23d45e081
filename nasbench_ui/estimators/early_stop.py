"""``early_stop``: reduced-fidelity training with patience and the median stopping rule.

Each architecture trains for a few epochs on a stratified fraction of the training
split (reduced fidelity) and is stopped early by either rule:

* **Patience** (Prechelt, "Early Stopping - But When?", Neural Networks: Tricks of the
  Trade, 1998): stop once the validation accuracy has not improved by more than
  ``min_delta`` for ``patience`` epochs in a row.
* **Median stopping rule** (Golovin et al., "Google Vizier: A Service for Black-Box
  Optimization", KDD 2017): after ``grace_epochs``, stop a trial at epoch ``e`` when its
  best validation accuracy so far is strictly below the median, over the other
  finished trials (COMPLETE or PRUNED) that reached epoch ``e``, of their running
  average of validation accuracy over epochs 1..e. The rule waits until at least
  ``min_trials`` such trials exist.

A stopped trial raises :class:`~.base.Pruned` (the trial ends PRUNED; its partial curve
is already in the context) with its best validation accuracy as value. Neither rule
fires at the last epoch: a trial that trains every epoch ends COMPLETE. As Prechelt
recommends, the weights of the best epoch are restored before the test accuracy is
measured; the objective is the best validation accuracy.

Every trial, pruned ones included, records ``params``, ``flops`` and ``latency_ms``
(``latency_runs`` timed passes; 0 skips the latency), measured once per architecture
(:class:`~.metrics.MetricsCache`). The training hooks of :data:`~.trainer.HOOK_OPTIONS`
(schedule, label smoothing, augmentation, mixed precision) are options too.

Example:
    >>> from nasbench_ui import spaces
    >>> from nasbench_ui.data import load
    >>> from nasbench_ui.estimators.base import EstimateContext
    >>> space = spaces.mlp()
    >>> arch = {"units_1": 16, "units_2": 16, "act_1": "relu", "act_2": "relu",
    ...         "skip_1": "none", "dropout": 0.0, "learning_rate": 1e-2}
    >>> ctx = EstimateContext(space=space, dataset=load("digits"))
    >>> est = EarlyStopEstimator(epochs=2, subset=0.2, latency_runs=0).estimate(arch, ctx)
    >>> len(ctx.curve), est.value == max(p["valid_acc"] for p in ctx.curve)
    (2, True)
"""

from __future__ import annotations

import statistics
from typing import Any

from torch import nn

from ..options import Option, resolve
from ..threads import TrialThreads
from .base import Estimate, EstimateContext, Estimator, Pruned
from .metrics import MetricsCache
from .train import DataCache
from .trainer import (
    HOOK_OPTIONS,
    THREADS_OPTION,
    TRAIN_OPTIONS,
    TrainConfig,
    accuracy,
    fit,
    oom_guard,
    seeded,
    size_threads,
    trial_seed,
    trial_threads,
)

FINISHED = ("COMPLETE", "PRUNED")


def _state_name(trial: Any) -> str:
    state = getattr(trial, "state", None)
    return str(getattr(state, "name", state))


def running_average(curve: list[dict[str, Any]], epoch: int) -> float | None:
    """Mean ``valid_acc`` over a curve's points with epochs 1..``epoch``.

    None when the curve has no point at ``epoch`` (the trial never reached it).
    """
    accs = {}
    for p in curve:
        if isinstance(p, dict) and isinstance(p.get("valid_acc"), (int, float)) \
                and p.get("epoch") is not None:
            accs[p["epoch"]] = float(p["valid_acc"])
    if epoch not in accs:
        return None
    vals = [v for e, v in accs.items() if e <= epoch]
    return sum(vals) / len(vals)


def median_of_others(history: list[Any], number: int, epoch: int) -> tuple[float | None, int]:
    """(median running average at ``epoch`` of the other finished trials, how many)."""
    values = []
    for t in history:
        if getattr(t, "number", None) == number or _state_name(t) not in FINISHED:
            continue
        v = running_average(list(getattr(t, "curve", None) or []), epoch)
        if v is not None:
            values.append(v)
    return (statistics.median(values) if values else None), len(values)


class EarlyStopEstimator(Estimator):
    """Train briefly on a subset; prune by patience and by the median stopping rule.

    Example:
        >>> EarlyStopEstimator(patience=3).patience
        3
    """

    NAME = "early_stop"
    HISTORY = ("curve",)  # the median rule reads finished curves (base.history_fields)
    OPTIONS: dict[str, Option] = {
        **TRAIN_OPTIONS,
        **HOOK_OPTIONS,
        "epochs": Option(int, 5, low=1, high=1000, help="maximum training epochs"),
        "subset": Option(float, 0.5, low=1e-6, high=1.0,
                         help="fraction of the training split (stratified), in (0, 1]"),
        "patience": Option(int, 2, low=1, high=1000,
                           help="epochs without improvement before stopping"),
        "min_delta": Option(float, 0.0, low=0.0, help="smallest valid_acc gain that counts"),
        "median_stop": Option(bool, True, help="apply the median stopping rule"),
        "grace_epochs": Option(int, 1, low=0, high=1000,
                               help="epochs before the median rule may stop a trial"),
        "min_trials": Option(int, 3, low=1, high=10000,
                             help="finished trials needed before the median rule applies"),
        "latency_runs": Option(int, 10, low=0, high=1000,
                               help="timed forward passes for latency_ms (0: skip)"),
        "threads": THREADS_OPTION,
    }

    def __init__(self, epochs: int = 5, subset: float = 0.5, patience: int = 2,
                 min_delta: float = 0.0, median_stop: bool = True, grace_epochs: int = 1,
                 min_trials: int = 3, batch_size: int = 64, optimizer: str = "adam",
                 learning_rate: float = 1e-3, weight_decay: float = 0.0,
                 latency_runs: int = 10, threads: int | None = None, **hooks: Any) -> None:
        c = resolve(type(self), {**hooks,
            "epochs": epochs, "subset": subset, "patience": patience, "min_delta": min_delta,
            "median_stop": median_stop, "grace_epochs": grace_epochs, "min_trials": min_trials,
            "batch_size": batch_size, "optimizer": optimizer, "learning_rate": learning_rate,
            "weight_decay": weight_decay, "latency_runs": latency_runs, "threads": threads})
        self.options = {k: c.pop(k) for k in (*TRAIN_OPTIONS, *HOOK_OPTIONS)}
        self.subset: float = c["subset"]
        self.patience: int = c["patience"]
        self.min_delta: float = c["min_delta"]
        self.median_stop: bool = c["median_stop"]
        self.grace_epochs: int = c["grace_epochs"]
        self.min_trials: int = c["min_trials"]
        self.latency_runs: int = c["latency_runs"]
        self.threads: int | None = c["threads"]
        self._data = DataCache()
        self._metrics = MetricsCache()
        self._subset_key: tuple[Any, int] | None = None
        self._subset_data: Any = None

    def __getstate__(self) -> dict[str, Any]:  # never pickle device tensors (Dask)
        state = dict(self.__dict__)
        state.update(_data=DataCache(), _subset_key=None, _subset_data=None)
        return state

    def _train_data(self, ctx: EstimateContext) -> Any:
        """The same stratified subset for every trial of an experiment (seeded by it)."""
        if self.subset >= 1.0 or ctx.dataset is None:
            return ctx.dataset
        key = (ctx.dataset, ctx.seed)
        if self._subset_key is None or self._subset_key[0] is not ctx.dataset \
                or self._subset_key[1] != ctx.seed:
            self._subset_data = ctx.dataset.subset(float(self.subset), seed=ctx.seed)
            self._subset_key = key
        return self._subset_data

    def estimate(self, arch: dict[str, Any], ctx: EstimateContext) -> Estimate:
        with trial_threads(self.threads, ctx.device) as threads:
            return oom_guard(ctx.device, self._estimate, arch, ctx, threads)

    def _estimate(self, arch: dict[str, Any], ctx: EstimateContext,
                  threads: TrialThreads) -> Estimate:
        ctx.check_stop()
        config = TrainConfig.resolve(self.options, arch)
        dataset = self._train_data(ctx)
        data = self._data.get(dataset, ctx.device)
        shape = tuple(dataset.input_shape)

        def measure(model: nn.Module, latency_runs: int) -> dict[str, Any]:
            return self._metrics.get(ctx.space, arch, shape, dataset.num_classes, ctx.device,
                                     model, latency_runs)

        # acc/epoch/state: the best epoch so far (its weights are restored at the end);
        # ref: the accuracy of the last gain larger than min_delta; stale: epochs since
        best: dict[str, Any] = {"acc": -1.0, "epoch": 0, "state": None, "ref": -1.0, "stale": 0}

        def on_epoch(epoch: int, point: dict[str, Any], model: nn.Module) -> None:
            acc = point["valid_acc"]
            if acc > best["acc"]:
                best.update(acc=acc, epoch=epoch,
                            state={k: v.detach().clone() for k, v in model.state_dict().items()})
            if acc > best["ref"] + self.min_delta:
                best.update(ref=acc, stale=0)
            else:
                best["stale"] += 1
            if epoch >= config.epochs:
                return
            reason = self._stop_reason(epoch, best, ctx)
            if reason is not None:
                metrics = {"valid_acc": best["acc"], "train_loss": point["train_loss"],
                           "epochs": epoch, "stopped_at": epoch,
                           **measure(model, self.latency_runs)}
                raise Pruned(reason, value=best["acc"], metrics=metrics)

        with seeded(trial_seed(ctx.seed, ctx.number), ctx.device) as generator:
            model = ctx.space.build(arch, shape, dataset.num_classes).to(ctx.device)
            size_threads(threads, model, shape, config.batch_size, ctx.device)
            result = fit(model, data, config, ctx, generator, on_epoch=on_epoch, arch=arch)
        if best["state"] is not None:
            model.load_state_dict(best["state"])
        out: dict[str, Any] = {"valid_acc": best["acc"]}
        if data.x_test is not None and data.y_test is not None:
            out["test_acc"] = accuracy(model, data.x_test, data.y_test)
        out["train_loss"] = result.train_loss
        out.update(measure(model, self.latency_runs))
        out.update(epochs=result.epochs, best_epoch=best["epoch"],
                   train_samples=len(data.x_train), **config.used(arch))
        return Estimate(value=out["valid_acc"], metrics=out, model=model.cpu().eval())

    def _stop_reason(self, epoch: int, best: dict[str, Any], ctx: EstimateContext) -> str | None:
        if best["stale"] >= self.patience:
            return (f"early stopping (patience): valid_acc has not improved by more than "
                    f"{self.min_delta} for {best['stale']} epochs (best {best['acc']:.4f} "
                    f"at epoch {best['epoch']})")
        if self.median_stop and epoch > self.grace_epochs:
            median, n = median_of_others(ctx.history(), ctx.number, epoch)
            if median is not None and n >= self.min_trials and best["acc"] < median:
                return (f"median stopping rule: best valid_acc {best['acc']:.4f} by epoch "
                        f"{epoch} is below the median {median:.4f} of {n} finished trials")
        return None


"""``train``: full training of each architecture, the baseline performance estimator.

Builds the architecture's network, trains it on the data set's train split for
``epochs`` epochs (see :mod:`.trainer` for the loop), reports one curve point per
epoch, and returns the final validation accuracy as the objective, with the test
accuracy, the final training loss, parameters, FLOPs and latency on the device as
metrics, and the trained model (on the CPU, in eval mode) for ``best_model()``.

This is the "train every candidate to convergence" baseline that the NAS surveys
(Elsken, Metzen and Hutter, "Neural Architecture Search: A Survey", JMLR 2019) start
from; it is reproducible on the CPU for a given experiment seed and trial number.

Example:
    >>> from nasbench_ui import spaces
    >>> from nasbench_ui.data import load
    >>> from nasbench_ui.estimators.base import EstimateContext
    >>> space = spaces.mlp()
    >>> arch = {"units_1": 16, "units_2": 16, "act_1": "relu", "act_2": "relu",
    ...         "skip_1": "none", "dropout": 0.0, "learning_rate": 1e-2}
    >>> ctx = EstimateContext(space=space, dataset=load("digits").subset(200, seed=0))
    >>> est = TrainEstimator(epochs=2, latency_runs=0).estimate(arch, ctx)
    >>> len(ctx.curve), 0.0 <= est.value <= 1.0, est.metrics["epochs"]
    (2, True, 2)
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from ..options import Option, resolve
from ..threads import TrialThreads
from . import metrics as model_metrics
from .base import Estimate, EstimateContext, Estimator
from .fidelity import Rung, RungWeights, continued, fraction_of, rung_of
from .metrics import MetricsCache
from .trainer import (
    HOOK_OPTIONS,
    THREADS_OPTION,
    TRAIN_OPTIONS,
    Splits,
    TrainConfig,
    accuracy,
    fit,
    oom_guard,
    seeded,
    size_threads,
    trial_seed,
    trial_threads,
)

LATENCY_BATCH = 64


def measure(model: torch.nn.Module, input_shape: tuple[int, ...], device: str,
            latency_runs: int) -> dict[str, Any]:
    """params, flops and (unless ``latency_runs`` is 0) latency_ms of a model on ``device``."""
    out: dict[str, Any] = {
        "params": model_metrics.count_params(model),
        "flops": model_metrics.count_flops(model, input_shape, device),
    }
    if latency_runs > 0:
        out["latency_ms"] = model_metrics.measure_latency(
            model, input_shape, device, batch_size=LATENCY_BATCH, runs=latency_runs)
    return out


class DataCache:
    """Keeps the last data set moved to a device, so each trial does not move it again."""

    def __init__(self) -> None:
        self._key: tuple[Any, str] | None = None
        self._splits: Splits | None = None

    def get(self, dataset: Any, device: str) -> Splits:
        key = (dataset, str(device))
        if self._key is None or self._key[0] is not dataset or self._key[1] != str(device):
            self._splits = Splits.of(dataset, device)
            self._key = key
        assert self._splits is not None
        return self._splits

    def clear(self) -> None:
        self._key, self._splits = None, None


class TrainEstimator(Estimator):
    """Train each architecture fully; the objective is the final validation accuracy.

    Hyperparameter decisions labelled ``learning_rate``, ``optimizer``, ``batch_size``
    or ``epochs`` in the architecture override the options of the same name. The
    metrics also record those of ``optimizer``, ``learning_rate`` and ``batch_size``
    that the architecture does not decide (the options used); ``latency_ms`` is the median time of a forward pass over a batch
    of 64 on the trial's device.

    Example:
        >>> TrainEstimator(epochs=3).config({"learning_rate": 0.01}).learning_rate
        0.01
    """

    NAME = "train"
    OPTIONS: dict[str, Option] = {
        **TRAIN_OPTIONS,
        **HOOK_OPTIONS,
        "latency_runs": Option(int, 10, low=0, high=1000,
                               help="timed forward passes for latency_ms (0: skip)"),
        "threads": THREADS_OPTION,
    }

    def __init__(self, epochs: int = 10, batch_size: int = 64, optimizer: str = "adam",
                 learning_rate: float = 1e-3, weight_decay: float = 0.0,
                 latency_runs: int = 10, threads: int | None = None, **hooks: Any) -> None:
        checked = resolve(type(self), {**hooks,
            "epochs": epochs, "batch_size": batch_size, "optimizer": optimizer,
            "learning_rate": learning_rate, "weight_decay": weight_decay,
            "latency_runs": latency_runs, "threads": threads})
        self.latency_runs: int = checked.pop("latency_runs")
        self.threads: int | None = checked.pop("threads")
        self.options = checked
        self._data = DataCache()
        self._metrics = MetricsCache()  # params, flops, latency_ms once per architecture
        self._rungs = RungWeights()  # weights of multi-fidelity trials, for promotions

    def __getstate__(self) -> dict[str, Any]:  # never pickle device tensors (Dask)
        state = dict(self.__dict__)
        state["_data"] = DataCache()
        state["_rungs"] = RungWeights()
        return state

    def config(self, arch: dict[str, Any]) -> TrainConfig:
        """The training hyperparameters for ``arch`` (its reserved decisions win)."""
        return TrainConfig.resolve(self.options, arch)

    def estimate(self, arch: dict[str, Any], ctx: EstimateContext) -> Estimate:
        with trial_threads(self.threads, ctx.device) as threads:
            return oom_guard(ctx.device, self._estimate, arch, ctx, threads)

    def _estimate(self, arch: dict[str, Any], ctx: EstimateContext,
                  threads: TrialThreads) -> Estimate:
        ctx.check_stop()
        config = self.config(arch)
        rung = rung_of(ctx.meta, config.epochs)  # a multi-fidelity scheduler's budget
        data = self._data.get(ctx.dataset, ctx.device)
        if rung is not None:
            data = fraction_of(data, rung.fraction, ctx.seed)
        shape = tuple(ctx.dataset.input_shape)
        key = ctx.space.key(arch)
        extra: dict[str, Any] = {}
        with seeded(trial_seed(ctx.seed, ctx.number), ctx.device) as generator:
            model = ctx.space.build(arch, shape, ctx.dataset.num_classes).to(ctx.device)
            done, run = 0, config
            if rung is not None:
                done, extra = self._warm_start(model, rung, key)
                more = rung.epochs - done if rung.by_epochs else config.epochs
                run = dataclasses.replace(config, epochs=max(1, more))
            size_threads(threads, model, shape, run.batch_size, ctx.device)
            result = fit(model, data, run, continued(ctx, done) if done else ctx, generator,
                         arch=arch)
        out: dict[str, Any] = {"valid_acc": result.valid_acc}
        if data.x_test is not None and data.y_test is not None:
            out["test_acc"] = accuracy(model, data.x_test, data.y_test)
        out["train_loss"] = result.train_loss
        out.update(self._metrics.get(ctx.space, arch, shape, ctx.dataset.num_classes,
                                     ctx.device, model, self.latency_runs))
        out.update(epochs=done + result.epochs, **config.used(arch))
        out.update(extra)
        if rung is not None:
            self._rungs.put(ctx.number, key, model, done + result.epochs)
        return Estimate(value=result.valid_acc, metrics=out, model=model.cpu().eval())

    def _warm_start(self, model: torch.nn.Module, rung: Rung, key: str
                    ) -> tuple[int, dict[str, Any]]:
        """Load the weights of the trial ``rung`` continues when held: ``(epochs already
        trained, metrics saying how the promotion started)``."""
        if rung.promoted_from is None:
            return 0, {}
        held = self._rungs.get(rung.promoted_from, key)
        if held is not None:
            try:
                model.load_state_dict(held[0])
            except RuntimeError:  # another network under the same key: start afresh
                held = None
        if held is None:
            return 0, {"warm_start": False,
                       "retrained": f"no weights of trial {rung.promoted_from} here (another "
                                    "process or worker ran it, or they were dropped); trained "
                                    "from scratch"}
        return held[1], {"warm_start": True, "warm_epochs": held[1]}

"""``lce``: learning-curve extrapolation stops trials whose curve will not catch up.

After Domhan, Springenberg & Hutter, "Speeding up Automatic Hyperparameter
Optimization of Deep Neural Networks by Extrapolation of Learning Curves", IJCAI 2015.
The paper fits a Bayesian ensemble of eleven parametric curve families by MCMC; this
module keeps the idea with two of its families fitted by least squares
(``scipy.optimize.curve_fit``, bounded so that both rise and saturate):

* ``pow3``: ``y = c - a * x ** -alpha``
* ``exp3``: ``y = c - a * exp(-b * x)``

The family with the smaller sum of squared residuals predicts; when both fit equally
well (three points fit either family exactly) their predictions are averaged. The
prediction is clipped to ``[0, 1]``. With fewer than three points, or when neither fit
converges, the last observed accuracy is the prediction.

The estimator trains like ``train`` (the same loop, :func:`.trainer.fit`). From epoch
``min_epochs`` on, each curve point also holds ``predicted_acc``, the extrapolated
validation accuracy at epoch ``epochs``. If that is below ``best - margin``, where
``best`` is the best final ``valid_acc`` of the experiment's COMPLETE trials, the trial
ends PRUNED with the prediction as its value and ``{"predicted_acc", "valid_acc",
"epochs", ...}`` as metrics; otherwise it trains on. The last epoch never prunes.
Every trial, pruned ones included, records ``params``, ``flops`` and ``latency_ms``,
measured once per architecture (:class:`~.metrics.MetricsCache`). The training hooks of
:data:`~.trainer.HOOK_OPTIONS` are options too.

Example:
    >>> round(extrapolate([1, 2, 3, 4], [0.5, 0.7, 0.78, 0.82], 20), 2) > 0.82
    True
    >>> should_prune([0.2, 0.25, 0.28], best=0.9, margin=0.02, target=10)[0]
    True
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from torch import nn

from ..options import Option
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

MIN_POINTS = 3
TIE = 1e-9  # sums of squared residuals closer than this count as equally good


def _pow3(x: np.ndarray, c: float, a: float, alpha: float) -> np.ndarray:
    return c - a * np.power(x, -alpha)


def _exp3(x: np.ndarray, c: float, a: float, b: float) -> np.ndarray:
    return c - a * np.exp(-b * x)


def _fit(f: Any, x: np.ndarray, y: np.ndarray, p0: list[float],
         bounds: tuple[list[float], list[float]]) -> tuple[float, np.ndarray] | None:
    """(sum of squared residuals, parameters) of a bounded least-squares fit, or None."""
    from scipy.optimize import curve_fit

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            params, _ = curve_fit(f, x, y, p0=p0, bounds=bounds, maxfev=5000)
    except (RuntimeError, ValueError, FloatingPointError):
        return None
    sse = float(np.sum((f(x, *params) - y) ** 2))
    return (sse, params) if math.isfinite(sse) else None


def extrapolate(epochs: Sequence[int], accs: Sequence[float], target_epoch: int) -> float:
    """The accuracy expected at ``target_epoch`` from the points ``(epochs[i], accs[i])``.

    Example:
        >>> xs = [1, 2, 3, 4, 5]
        >>> ys = [0.9 - 0.6 * math.exp(-0.5 * e) for e in xs]
        >>> abs(extrapolate(xs, ys, 30) - 0.9) < 0.02
        True
    """
    if len(epochs) != len(accs) or not accs:
        raise ValueError(f"extrapolate needs as many epochs as accuracies (at least one); "
                         f"got {len(epochs)} epochs and {len(accs)} accuracies")
    x = np.asarray(epochs, dtype=float)
    y = np.asarray(accs, dtype=float)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))) or np.any(x <= 0):
        raise ValueError(f"extrapolate needs positive epochs and finite accuracies; got {list(epochs)}, {list(accs)}")
    if isinstance(target_epoch, bool) or not isinstance(target_epoch, (int, np.integer)) or target_epoch < 1:
        raise ValueError(f"target_epoch must be a positive int, got {target_epoch!r}")
    last = float(y[np.argmax(x)])
    if len(x) < MIN_POINTS or len(set(x.tolist())) < MIN_POINTS:
        return min(1.0, max(0.0, last))
    c0 = min(1.0, float(y.max()) + 0.02)
    gap = max(c0 - float(y[np.argmin(x)]), 1e-3)
    fits = [
        (_fit(_pow3, x, y, [c0, gap, 1.0], ([0.0, 0.0, 1e-3], [2.0, 10.0, 10.0])), _pow3),
        (_fit(_exp3, x, y, [c0, gap * math.e ** 0.5, 0.5], ([0.0, 0.0, 1e-3], [2.0, 10.0, 10.0])), _exp3),
    ]
    ok = [(r[0], f(np.array([float(target_epoch)]), *r[1])[0]) for r, f in fits if r is not None]
    if not ok:
        return min(1.0, max(0.0, last))
    best_sse = min(s for s, _ in ok)
    preds = [float(p) for s, p in ok if s <= best_sse + TIE]
    pred = sum(preds) / len(preds)
    return min(1.0, max(0.0, pred)) if math.isfinite(pred) else min(1.0, max(0.0, last))


def should_prune(curve: Sequence[float], best: float | None, margin: float, target: int,
                 min_epochs: int = MIN_POINTS) -> tuple[bool, float | None]:
    """(prune?, prediction) for validation accuracies ``curve`` after epochs 1, 2, ...

    No prediction before ``min_epochs`` points; never prune at or after ``target``, or
    without a ``best`` to compare with.

    Example:
        >>> should_prune([0.5, 0.8, 0.9], best=0.85, margin=0.02, target=10)[0]
        False
    """
    n = len(curve)
    if n < max(1, min_epochs):
        return False, None
    pred = extrapolate(list(range(1, n + 1)), list(curve), target)
    prune = best is not None and n < target and pred < best - margin
    return prune, pred


def best_complete(history: Sequence[Any]) -> float | None:
    """The best final ``valid_acc`` (else value) among COMPLETE trials, or None."""
    vals = []
    for t in history:
        state = getattr(getattr(t, "state", None), "name", None)
        if state != "COMPLETE":
            continue
        v = (getattr(t, "metrics", None) or {}).get("valid_acc", getattr(t, "value", None))
        if isinstance(v, (int, float)) and math.isfinite(v):
            vals.append(float(v))
    return max(vals) if vals else None


class LearningCurveExtrapolation(Estimator):
    """Train, extrapolate the validation curve each epoch, prune hopeless trials.

    Example:
        >>> LearningCurveExtrapolation(epochs=8, min_epochs=3).min_epochs
        3
    """

    NAME = "lce"
    HISTORY = ("value", "metrics")  # the best COMPLETE valid_acc (base.history_fields)
    OPTIONS: dict[str, Option] = {
        **TRAIN_OPTIONS,
        **HOOK_OPTIONS,
        "min_epochs": Option(int, 3, low=MIN_POINTS, high=1000,
                             help="epochs trained before the first prediction"),
        "margin": Option(float, 0.02, low=0.0, high=1.0,
                         help="prune when the prediction is below the best minus this"),
        "latency_runs": Option(int, 10, low=0, high=1000,
                               help="timed forward passes for latency_ms (0: skip)"),
        "threads": THREADS_OPTION,
    }

    def __init__(self, epochs: int = 10, min_epochs: int = 3, margin: float = 0.02,
                 batch_size: int = 64, optimizer: str = "adam", learning_rate: float = 1e-3,
                 weight_decay: float = 0.0, latency_runs: int = 10,
                 threads: int | None = None, **hooks: Any) -> None:
        from ..options import resolve

        c = resolve(type(self), {**hooks, "epochs": epochs, "min_epochs": min_epochs,
                                 "margin": margin, "batch_size": batch_size,
                                 "optimizer": optimizer, "learning_rate": learning_rate,
                                 "weight_decay": weight_decay, "latency_runs": latency_runs,
                                 "threads": threads})
        self.threads = threads
        self.options = {k: c[k] for k in (*TRAIN_OPTIONS, *HOOK_OPTIONS)}
        self.min_epochs, self.margin, self.latency_runs = min_epochs, margin, latency_runs
        self._data = DataCache()
        self._metrics = MetricsCache()

    def __getstate__(self) -> dict[str, Any]:  # never pickle device tensors (Dask)
        return {**self.__dict__, "_data": DataCache()}

    def estimate(self, arch: dict[str, Any], ctx: EstimateContext) -> Estimate:
        with trial_threads(self.threads, ctx.device) as threads:
            return oom_guard(ctx.device, self._estimate, arch, ctx, threads)

    def _estimate(self, arch: dict[str, Any], ctx: EstimateContext,
                  threads: TrialThreads) -> Estimate:
        ctx.check_stop()
        config = TrainConfig.resolve(self.options, arch)
        data = self._data.get(ctx.dataset, ctx.device)
        shape = tuple(ctx.dataset.input_shape)
        best = best_complete(ctx.history())

        def measure(model: nn.Module) -> dict[str, Any]:
            return self._metrics.get(ctx.space, arch, shape, ctx.dataset.num_classes,
                                     ctx.device, model, self.latency_runs)

        accs: list[float] = []
        last: dict[str, Any] = {"prune": False, "pred": None}

        def report(point: dict[str, Any]) -> None:  # adds the prediction to the curve point
            accs.append(float(point["valid_acc"]))
            prune, pred = should_prune(accs, best, self.margin, config.epochs, self.min_epochs)
            last.update(prune=prune, pred=pred)
            if pred is not None:
                point["predicted_acc"] = pred
            ctx.report(point)

        def on_epoch(epoch: int, point: dict[str, Any], model: nn.Module) -> None:
            if last["prune"]:
                metrics = {"predicted_acc": last["pred"], "valid_acc": point["valid_acc"],
                           "train_loss": point["train_loss"], "epochs": epoch,
                           "best_so_far": best, **measure(model)}
                raise Pruned(f"learning-curve extrapolation: predicted valid_acc "
                             f"{last['pred']:.4f} at epoch {config.epochs} is below the best "
                             f"{best:.4f} minus the margin {self.margin}",
                             value=last["pred"], metrics=metrics)

        inner = dataclasses.replace(ctx, report_fn=report, curve=[])
        with seeded(trial_seed(ctx.seed, ctx.number), ctx.device) as generator:
            model = ctx.space.build(arch, shape, ctx.dataset.num_classes).to(ctx.device)
            size_threads(threads, model, shape, config.batch_size, ctx.device)
            result = fit(model, data, config, inner, generator, on_epoch=on_epoch, arch=arch)
        out: dict[str, Any] = {"valid_acc": result.valid_acc}
        if data.x_test is not None and data.y_test is not None:
            out["test_acc"] = accuracy(model, data.x_test, data.y_test)
        out["train_loss"] = result.train_loss
        if last["pred"] is not None:
            out["predicted_acc"] = last["pred"]
        out.update(measure(model))
        out.update(epochs=result.epochs, optimizer=config.optimizer,
                   learning_rate=config.learning_rate, batch_size=config.batch_size)
        return Estimate(value=result.valid_acc, metrics=out, model=model.cpu().eval())

"""``weight_sharing``: every trial trains and scores a path of ONE shared supernet.

After Pham, Guan, Zoph, Le & Dean, "Efficient Neural Architecture Search via Parameter
Sharing" (ENAS), ICML 2018, and Li & Talwalkar, "Random Search and Reproducibility for
Neural Architecture Search", UAI 2019 (random search with weight sharing).

The estimator keeps one :class:`~nasbench_ui.space.supernet.Supernet` per (space,
input shape, classes, device); within an experiment every trial uses the same one.
On the first trial the supernet is warmed up for ``warmup_steps`` steps, each on an
architecture sampled uniformly from the space (Li & Talwalkar's training of the
shared weights). Each trial then trains the path of its own architecture (single-path
forward) for ``steps`` steps on the train split, reporting a curve point
``{"epoch": chunk, "step": total steps, "train_loss", "valid_acc"}`` after each of
``chunks`` chunks, and scores the path with the inherited weights on the validation
split: the value is that accuracy. Metrics: ``valid_acc``, ``train_loss``,
``supernet_steps`` (steps taken by the supernet so far), ``params`` (parameters on
the architecture's path, which equal those of ``space.build(arch)``), ``flops`` and
``latency_ms`` of that standalone network (``space.build(arch)`` on the device, built
under a forked RNG so the search's randomness is unchanged, ``latency_runs`` timed
passes, 0 skips it; measured once per architecture, :class:`~.metrics.MetricsCache`),
``shared=True``.

Optimiser: SGD with momentum 0.9 by default (as ENAS), or Adam; gradients are clipped
to norm 5. The batch order is seeded by the experiment's seed. The shared weights live
in memory only: a resumed experiment (``Experiment.load``) or a Dask worker starts a
fresh supernet. It works under any multi-trial strategy (it only needs ``arch``); the
space must be a cell space (see :func:`~nasbench_ui.space.supernet.check_space`).

Example:
    >>> from nasbench_ui import spaces
    >>> from nasbench_ui.data import load
    >>> from nasbench_ui.estimators.base import EstimateContext
    >>> space = spaces.nb201(4)
    >>> ws = WeightSharing(steps=4, warmup_steps=2, chunks=2)
    >>> ctx = EstimateContext(space=space, dataset=load("digits"))
    >>> est = ws.estimate({lb: "skip_connect" for lb in space.labels}, ctx)
    >>> est.metrics["supernet_steps"], len(ctx.curve)
    (6, 2)
"""

from __future__ import annotations

import math
import random
from typing import Any

import torch
import torch.nn.functional as F

from ..options import Option, resolve
from ..space.supernet import Supernet, check_space
from ..threads import TrialThreads
from .base import Estimate, EstimateContext, Estimator, TrialFailed
from .metrics import MetricsCache
from .train import DataCache
from .trainer import (
    THREADS_OPTION,
    Splits,
    accuracy,
    oom_guard,
    seeded,
    size_threads,
    trial_threads,
)

OPTIMIZERS = ("sgd", "adam")
MOMENTUM = 0.9
CLIP = 5.0


class _Shared:
    """One supernet with its optimiser, step count and seeded batch order."""

    def __init__(self, net: Supernet, optimizer: torch.optim.Optimizer, seed: int) -> None:
        self.net, self.optimizer = net, optimizer
        self.steps = 0
        self.rng = random.Random(seed)  # warm-up architectures
        self.generator = torch.Generator().manual_seed(seed)  # batch order
        self.order: torch.Tensor | None = None
        self.pos = 0

    def batch(self, data: Splits, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        n = len(data.x_train)
        size = min(size, n)
        if self.order is None or self.pos + size > len(self.order):
            self.order = torch.randperm(n, generator=self.generator).to(data.x_train.device)
            self.pos = 0
        idx = self.order[self.pos:self.pos + size]
        self.pos += size
        return data.x_train[idx], data.y_train[idx]


class WeightSharing(Estimator):
    """Score each architecture with weights inherited from one shared supernet.

    Example:
        >>> WeightSharing(steps=10).steps
        10
    """

    NAME = "weight_sharing"
    HAS_MODELS = False  # the weights are shared: no per-trial model is kept
    OPTIONS: dict[str, Option] = {
        "steps": Option(int, 50, low=1, high=1_000_000,
                        help="training steps on each trial's path"),
        "warmup_steps": Option(int, 200, low=0, high=1_000_000,
                               help="extra steps on the first trial, on random architectures"),
        "batch_size": Option(int, 64, low=2, high=65536, help="mini-batch size"),
        "optimizer": Option(str, "sgd", choices=OPTIMIZERS, help="sgd (momentum 0.9) or adam"),
        "learning_rate": Option(float, 0.05, low=0.0, help="learning rate of the shared weights"),
        "weight_decay": Option(float, 0.0, low=0.0, help="L2 weight decay"),
        "chunks": Option(int, 5, low=1, high=1000, help="curve points reported per trial"),
        "latency_runs": Option(int, 10, low=0, high=1000,
                               help="timed forward passes for latency_ms (0: skip)"),
        "threads": THREADS_OPTION,
    }

    def __init__(self, steps: int = 50, warmup_steps: int = 200, batch_size: int = 64,
                 optimizer: str = "sgd", learning_rate: float = 0.05, weight_decay: float = 0.0,
                 chunks: int = 5, threads: int | None = None, latency_runs: int = 10) -> None:
        opts = resolve(type(self), {
            "steps": steps, "warmup_steps": warmup_steps, "batch_size": batch_size,
            "optimizer": optimizer, "learning_rate": learning_rate,
            "weight_decay": weight_decay, "chunks": chunks, "threads": threads,
            "latency_runs": latency_runs})
        self.latency_runs: int = opts["latency_runs"]
        self._metrics = MetricsCache()
        self.steps, self.warmup_steps, self.batch_size = steps, warmup_steps, batch_size
        self.optimizer, self.learning_rate = optimizer, opts["learning_rate"]
        self.weight_decay, self.chunks, self.threads = opts["weight_decay"], chunks, threads
        self._shared: dict[tuple[Any, ...], _Shared] = {}
        self._data = DataCache()

    def __getstate__(self) -> dict[str, Any]:  # never pickle device tensors (Dask)
        return {**self.__dict__, "_data": DataCache(), "_shared": {}}

    def supernet(self, space: Any, input_shape: tuple[int, ...], num_classes: int,
                 device: str = "cpu", seed: int = 0) -> Supernet:
        """The shared supernet for this space and data shape (created on first use)."""
        return self._get(space, input_shape, num_classes, device, seed).net

    def _get(self, space: Any, input_shape: tuple[int, ...], num_classes: int, device: str,
             seed: int) -> _Shared:
        key = (space.to_json(), tuple(input_shape), int(num_classes), str(device))
        if key not in self._shared:
            check_space(space)
            with seeded(int(seed), device):
                net = Supernet(space, input_shape, num_classes).to(device)
            params = list(net.parameters())
            if self.optimizer == "sgd":
                opt: torch.optim.Optimizer = torch.optim.SGD(
                    params, lr=self.learning_rate, momentum=MOMENTUM, weight_decay=self.weight_decay)
            else:
                opt = torch.optim.Adam(params, lr=self.learning_rate, weight_decay=self.weight_decay)
            self._shared[key] = _Shared(net, opt, int(seed))
        return self._shared[key]

    def estimate(self, arch: dict[str, Any], ctx: EstimateContext) -> Estimate:
        with trial_threads(self.threads, ctx.device) as threads:
            return oom_guard(ctx.device, self._estimate, arch, ctx, threads)

    def _step(self, sh: _Shared, arch: dict[str, Any], data: Splits) -> float:
        x, y = sh.batch(data, self.batch_size)
        sh.net.train()
        sh.optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(sh.net(x, arch=arch), y)
        value = float(loss.detach())
        if not math.isfinite(value):
            raise TrialFailed(f"the shared weights' loss became {value} at supernet step "
                              f"{sh.steps + 1}; the step was not taken. Try a lower learning_rate")
        loss.backward()
        torch.nn.utils.clip_grad_norm_(sh.net.parameters(), CLIP)
        sh.optimizer.step()
        sh.steps += 1
        return value

    def _standalone(self, arch: dict[str, Any], ctx: EstimateContext,
                    shape: tuple[int, ...]) -> dict[str, Any]:
        """params, flops and latency_ms of ``space.build(arch)`` (cached per architecture)."""
        def build() -> torch.nn.Module:
            dev = torch.device(ctx.device)
            with torch.random.fork_rng(devices=[dev.index or 0] if dev.type == "cuda" else []):
                return ctx.space.build(arch, shape, ctx.dataset.num_classes)

        return self._metrics.get(ctx.space, arch, shape, ctx.dataset.num_classes, ctx.device,
                                 build, self.latency_runs)

    def _estimate(self, arch: dict[str, Any], ctx: EstimateContext,
                  threads: TrialThreads) -> Estimate:
        ctx.check_stop()
        arch = ctx.space.canonical(arch)
        data = self._data.get(ctx.dataset, ctx.device)
        shape = tuple(ctx.dataset.input_shape)
        sh = self._get(ctx.space, shape, ctx.dataset.num_classes, ctx.device, ctx.seed)
        size_threads(threads, sh.net.fixed(arch=arch), shape, self.batch_size, ctx.device)
        warm = 0
        if sh.steps == 0:
            for i in range(self.warmup_steps):
                if i % 16 == 0:
                    ctx.check_stop()
                self._step(sh, ctx.space.sample(sh.rng), data)
                warm += 1
        bounds = [round(self.steps * (c + 1) / self.chunks) for c in range(self.chunks)]
        done, acc, loss = 0, math.nan, math.nan
        for chunk, end in enumerate(bounds, start=1):
            ctx.check_stop()
            if end == done:
                continue
            losses = [self._step(sh, arch, data) for _ in range(end - done)]
            done, loss = end, sum(losses) / len(losses)
            acc = accuracy(sh.net.fixed(arch=arch), data.x_valid, data.y_valid)
            ctx.report({"epoch": chunk, "step": sh.steps, "train_loss": loss, "valid_acc": acc})
        metrics = {"valid_acc": acc, "train_loss": loss, "supernet_steps": sh.steps,
                   "warmup_steps": warm, **self._standalone(arch, ctx, shape),
                   "params": sh.net.path_params(arch), "shared": True}
        return Estimate(value=acc, metrics=metrics)

"""``zero_cost``: score an architecture at initialisation, without training.

Each proxy builds the architecture's network (weights seeded by the experiment's
seed), takes ONE minibatch of ``batch_size`` samples of the train split (the same
minibatch for every trial of an experiment) and returns a score; higher is better.

* ``synflow`` (Tanaka, Kunin, Yamins & Ganguli, "Pruning neural networks without any
  data by iteratively conserving synaptic flow", NeurIPS 2020; as a NAS proxy in
  Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS", ICLR 2021): every
  parameter is replaced by its absolute value, the network runs in double precision
  with batch norm in eval mode (fresh running statistics: an identity), an all-ones
  input of one sample gives ``R = sum(output)``, and the score is
  ``sum(theta * dR/dtheta)`` over all parameters. No data is used.
* ``grad_norm`` (Abdelfattah et al. 2021): the sum over weight tensors (parameters of
  two or more dimensions: convolution, linear and recurrent weights) of the L2 norm of
  the cross-entropy loss gradient on the minibatch.
* ``snip`` (Lee, Ajanthan & Torr, "SNIP", ICLR 2019; as a proxy in Abdelfattah et al.
  2021): ``sum |theta * dL/dtheta|`` over the same weight tensors.
* ``naswot`` (Mellor, Turner, Storkey & Crowley, "Neural Architecture Search without
  Training", ICML 2021): each sample's binary code is the sign pattern (``> 0``) of the
  inputs of every ``ReLU`` module; ``K_H[i, j]`` counts the units where samples ``i``
  and ``j`` agree, and the score is ``log|det K_H|`` (``slogdet``, double precision).
  Without a ReLU module the codes come from the inputs of the other activation modules
  (GELU, tanh, sigmoid, SiLU, ...), and without any activation from the input of the
  final classifier. ``K_H`` is an integer matrix, so a non-singular one has
  ``log|det| >= 0``; a singular one (two samples with one code) scores 0.

An architecture whose output does not depend on its input (every path cut by ``none``)
cannot learn: it scores the proxy's floor, :data:`FLOOR` (0 for synflow, grad_norm and
snip, -1 for naswot), below every architecture that sees its input. Every score is
finite (an overflowing synflow is reported as the largest double).

Each trial also records the network's ``params``, ``flops`` and ``latency_ms``
(``latency_runs`` timed passes of a batch of 64; 0 skips the latency), measured on the
freshly built network before scoring, once per architecture
(:class:`~.metrics.MetricsCache`); ``cost_s`` (building and scoring) excludes them.

Example:
    >>> from nasbench_ui import spaces
    >>> from nasbench_ui.data import load
    >>> from nasbench_ui.estimators.base import EstimateContext
    >>> space = spaces.nb201(8)
    >>> ctx = EstimateContext(space=space, dataset=load("digits"))
    >>> none = {lb: "none" for lb in space.labels}
    >>> ZeroCost(proxy="naswot").estimate(none, ctx).value
    -1.0
    >>> conv = {lb: "nor_conv_3x3" for lb in space.labels}
    >>> ZeroCost(proxy="synflow").estimate(conv, ctx).value > 0
    True
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..options import Option, resolve
from ..threads import TrialThreads
from .base import Estimate, EstimateContext, Estimator
from .metrics import MetricsCache
from .train import DataCache
from .trainer import THREADS_OPTION, oom_guard, seeded, size_threads, trial_threads

PROXIES = ("synflow", "grad_norm", "snip", "naswot")
FLOOR = {"synflow": 0.0, "grad_norm": 0.0, "snip": 0.0, "naswot": -1.0}
ACTIVATIONS = (nn.GELU, nn.Tanh, nn.Sigmoid, nn.SiLU, nn.ELU, nn.LeakyReLU, nn.Softplus,
               nn.Mish, nn.Hardswish, nn.Hardtanh, nn.ReLU6)


def _finite(v: float) -> float:
    if math.isnan(v):
        raise ValueError("the proxy gave NaN")
    return max(-sys.float_info.max, min(sys.float_info.max, v))


def depends_on_input(model: nn.Module, x: torch.Tensor) -> bool:
    """Whether the output of ``model`` is connected to its input in the autograd graph."""
    was = model.training
    model.eval()
    try:
        xi = x[:2].detach().clone().requires_grad_(True)
        out = model(xi)
        if not out.requires_grad:
            return False
        grad = torch.autograd.grad(out.sum(), xi, allow_unused=True)[0]
        return grad is not None
    finally:
        model.train(was)
        model.zero_grad(set_to_none=True)


def synflow(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Synaptic flow of the sign-linearised network on an all-ones input (modifies ``model``)."""
    model.eval()
    model.double()
    with torch.no_grad():
        for p in model.parameters():
            p.abs_()
    model.zero_grad(set_to_none=True)
    ones = torch.ones((1, *x.shape[1:]), dtype=torch.float64, device=x.device)
    model(ones).sum().backward()
    total = torch.zeros((), dtype=torch.float64, device=x.device)
    with torch.no_grad():
        for p in model.parameters():
            if p.grad is not None:
                total += (p * p.grad).abs().sum()
    return float(total)


def _weight_grads(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    model.train()
    weights = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
    loss = F.cross_entropy(model(x), y)
    grads = torch.autograd.grad(loss, weights, allow_unused=True)
    return [(p.detach(), g) for p, g in zip(weights, grads, strict=True) if g is not None]


def grad_norm(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Sum over weight tensors of the L2 norm of the loss gradient."""
    return sum(float(g.norm()) for _p, g in _weight_grads(model, x, y))


def snip(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Sum over weight tensors of ``|theta * dL/dtheta|``."""
    return sum(float((p * g).abs().sum()) for p, g in _weight_grads(model, x, y))


def _code_modules(model: nn.Module) -> list[nn.Module]:
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    if relus:
        return relus
    acts = [m for m in model.modules() if isinstance(m, ACTIVATIONS)]
    if acts:
        return acts
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    return linears[-1:]


def naswot(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """``log|det K_H|`` of the binary activation codes of the minibatch (0 if singular)."""
    n = len(x)
    k = torch.zeros((n, n), dtype=torch.float64, device=x.device)

    def hook(_m: nn.Module, inputs: tuple[torch.Tensor, ...], _out: Any) -> None:
        c = (inputs[0].detach().reshape(n, -1) > 0).to(torch.float64)
        k.add_(c @ c.t() + (1.0 - c) @ (1.0 - c).t())

    handles = [m.register_forward_hook(hook) for m in _code_modules(model)]
    try:
        model.train()
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    sign, logdet = torch.linalg.slogdet(k)
    value = float(logdet)
    if float(sign) == 0.0 or not math.isfinite(value):
        return 0.0
    return max(0.0, value)


SCORERS: dict[str, Callable[[nn.Module, torch.Tensor, torch.Tensor], float]] = {
    "synflow": synflow, "grad_norm": grad_norm, "snip": snip, "naswot": naswot,
}


class ZeroCost(Estimator):
    """Rank architectures at initialisation by a zero-cost proxy (no training).

    Example:
        >>> ZeroCost(proxy="snip").proxy
        'snip'
    """

    NAME = "zero_cost"
    HAS_MODELS = False  # nothing is trained: best_model() has no weights to give
    OPTIONS: dict[str, Option] = {
        "proxy": Option(str, "synflow", choices=PROXIES,
                        help="synflow, grad_norm, snip or naswot"),
        "batch_size": Option(int, 64, low=2, high=65536,
                             help="samples in the one scoring minibatch"),
        "latency_runs": Option(int, 10, low=0, high=1000,
                               help="timed forward passes for latency_ms (0: skip)"),
        "threads": THREADS_OPTION,
    }

    def __init__(self, proxy: str = "synflow", batch_size: int = 64,
                 threads: int | None = None, latency_runs: int = 10) -> None:
        resolve(type(self), {"proxy": proxy, "batch_size": batch_size, "threads": threads,
                             "latency_runs": latency_runs})
        self.proxy, self.batch_size, self.threads = proxy, batch_size, threads
        self.latency_runs = latency_runs
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
        start = time.perf_counter()
        data = self._data.get(ctx.dataset, ctx.device)
        shape = tuple(ctx.dataset.input_shape)
        with seeded(int(ctx.seed), ctx.device) as generator:
            idx = torch.randperm(len(data.x_train), generator=generator)[: self.batch_size]
            idx = idx.to(data.x_train.device)
            x, y = data.x_train[idx], data.y_train[idx]
            model = ctx.space.build(arch, shape, ctx.dataset.num_classes).to(ctx.device)
            built = time.perf_counter()
            measured = self._metrics.get(ctx.space, arch, shape, ctx.dataset.num_classes,
                                         ctx.device, model, self.latency_runs)
            start += time.perf_counter() - built  # cost_s counts building and scoring only
            size_threads(threads, model, shape, len(idx), ctx.device)
            if depends_on_input(model, x):
                score = _finite(SCORERS[self.proxy](model, x, y))
            else:
                score = FLOOR[self.proxy]
        cost = time.perf_counter() - start
        metrics = {self.proxy: score, **measured, "cost_s": cost, "batch_size": len(idx)}
        return Estimate(value=score, metrics=metrics)

"""DARTS's estimator ``darts_epoch``: one search epoch of a supernet per trial.

Liu, Simonyan & Yang, "DARTS: Differentiable Architecture Search", ICLR 2019. Every
edge of a :class:`~nasbench_ui.space.supernet.Supernet` computes the mixed operation
``sum_o softmax(alpha)_o * o(x)``; network weights ``w`` and architecture parameters
``alpha`` are trained alternately: ``alpha`` on the validation split (Adam, betas
(0.5, 0.999), weight decay 1e-3), then ``w`` on the train split (SGD, momentum 0.9,
weight decay 3e-4, cosine learning rate down to ``w_lr_min``, gradients clipped to 5),
as in the paper, but with ``w_lr=0.1`` and ``alpha_lr=3e-3`` by default instead of the
paper's 0.025 and 3e-4: ``digits`` gives 16 steps an epoch (CIFAR-10 gave DARTS 390),
and at the paper's rates the nb201 supernet reached only 73% validation accuracy in 10
epochs with its alphas barely off uniform (98% at 0.1, 3e-3). First order
by default; ``second_order=True`` uses the unrolled gradient of eq. 7 with the
finite-difference Hessian-vector product of eq. 8 (``xi`` = the current ``w`` learning
rate, ``epsilon = 0.01 / ||grad_w' L_val||``). ``alpha`` starts at 0 (a uniform mixture;
the paper draws 1e-3 * N(0, 1)).

:class:`DartsEpoch` owns the supernet, ``alpha`` and the optimisers (one set per space,
in memory). Each ``estimate`` runs ONE search epoch; the value is the supernet's
(mixed) validation accuracy; the curve holds one point ``{"epoch", "train_loss",
"valid_acc", "time_s"}``; the metrics hold ``alphas`` ({edge label: {op: softmax
weight}}, plain floats), ``darts_phase`` ("search"), ``epoch``, ``derived_acc`` (the
single path of the derived architecture with the shared weights), ``next_arch``,
``darts_done`` and ``retrain_next`` (the next trial retrains). ``params``, ``flops``
and ``latency_ms`` are those of the trial's own architecture built alone (measured once
per architecture and cached: DARTS often derives the same one for several epochs; the
``latency_runs`` option, 0 skips latency); the supernet's parameter count is
``supernet_params``. With ``retrain=True`` the trial after the last epoch trains the final
architecture from scratch with the ``train`` estimator's loop (``retrain_epochs``
epochs) and records its accuracy. The strategy half, which reads the alphas and asks
the architecture they derive, is :class:`nasbench_ui.strategies.darts.Darts`.

The estimator checks that it is given the derived architecture, so ``darts_epoch``
under another strategy fails with a ValueError. A resumed experiment restarts from the
alphas of the last complete search trial, with fresh supernet weights; an epoch that is
interrupted or fails is rolled back (weights and alphas).

Example:
    >>> DartsEpoch(epochs=3, second_order=True).epochs
    3
"""

from __future__ import annotations

import copy
import math
import time
from typing import Any

import torch
import torch.nn.functional as F

from ..options import Option, resolve
from ..space.decisions import OpDecision
from ..space.supernet import Supernet, check_space, derive
from .base import Estimate, EstimateContext, Estimator, TrialFailed
from .metrics import MetricsCache, count_params
from .train import DataCache, TrainEstimator
from .trainer import accuracy, oom_guard, seeded

Weights = dict[str, dict[str, float]]
FD_SCALE = 0.01  # eq. 8: epsilon = FD_SCALE / ||grad_w' L_val(w', alpha)||


def check_darts_space(space: Any) -> None:
    """ValueError unless DARTS can search ``space`` (op choices, no bound widths).

    Example:
        >>> from nasbench_ui import spaces
        >>> check_darts_space(spaces.darts_cell())
    """
    if not any(isinstance(d, OpDecision) for d in space.decisions):
        raise ValueError(
            f"DARTS needs operation choices on edges; space {space.name!r} has none (its "
            f"decisions: {list(space.labels)}). Use a cell space such as nb201 or darts_cell, "
            "or a multi-trial strategy such as 'random' or 'evolution'")
    check_space(space)


class _SupernetState:
    """One DARTS search in memory: supernet, alphas, optimisers, epochs done."""

    def __init__(self, net: Supernet, est: DartsEpoch, device: str) -> None:
        self.net, self.epochs_done, self.weights = net, 0, None
        self.alphas = {lb: torch.zeros(len(net.candidates[lb]), device=device, requires_grad=True)
                       for lb in net.mixed}
        self.w_opt = torch.optim.SGD(net.parameters(), lr=est.w_lr, momentum=0.9,
                                     weight_decay=est.w_weight_decay)
        self.a_opt = torch.optim.Adam(list(self.alphas.values()), lr=est.alpha_lr,
                                      betas=(0.5, 0.999), weight_decay=est.alpha_weight_decay)

    def softmax(self) -> dict[str, torch.Tensor]:
        return {lb: F.softmax(a, dim=0) for lb, a in self.alphas.items()}

    def weight_dict(self) -> Weights:
        return {lb: {op: float(v) for op, v in zip(self.net.candidates[lb], w.tolist(), strict=True)}
                for lb, w in self.softmax().items()}

    def load_weights(self, weights: Weights | None) -> None:
        self.weights = weights
        with torch.no_grad():
            for lb, a in self.alphas.items():
                w = (weights or {}).get(lb) or {}
                a.copy_(torch.tensor([math.log(max(float(w.get(op, 1.0)), 1e-12))
                                      for op in self.net.candidates[lb]]))


class DartsEpoch(Estimator):
    """One DARTS search epoch per trial (the estimator half of DARTS; see the module)."""

    NAME = "darts_epoch"
    HISTORY = ("metrics",)  # the alphas of finished search epochs (base.history_fields)
    OPTIONS: dict[str, Option] = {
        "epochs": Option(int, 10, low=1, high=10000, help="search epochs (one trial each)"),
        "batch_size": Option(int, 64, low=2, high=65536, help="mini-batch size"),
        "w_lr": Option(float, 0.1, low=0.0, help="SGD learning rate of the weights (cosine)"),
        "w_lr_min": Option(float, 0.001, low=0.0, help="final learning rate of the cosine schedule"),
        "w_weight_decay": Option(float, 3e-4, low=0.0, help="weight decay of the weights"),
        "alpha_lr": Option(float, 3e-3, low=0.0, help="Adam learning rate of the alphas"),
        "alpha_weight_decay": Option(float, 1e-3, low=0.0, help="weight decay of the alphas"),
        "second_order": Option(bool, False, help="unrolled second-order gradient (eq. 7-8)"),
        "retrain": Option(bool, False, help="retrain the final architecture from scratch"),
        "retrain_epochs": Option(int, 10, low=1, high=10000, help="epochs of the retraining"),
        "latency_runs": Option(int, 10, low=0, high=1000,
                               help="timed forward passes for the derived arch's latency_ms (0: skip)"),
    }

    def __init__(self, **options: Any) -> None:
        self.__dict__.update(resolve(type(self), options))
        self._searches: dict[tuple[Any, ...], _SupernetState] = {}
        self._data = DataCache()
        self._measured = MetricsCache()

    def measure(self, arch: dict[str, Any], ctx: EstimateContext) -> dict[str, Any]:
        """params, flops and latency_ms of ``arch`` built alone, cached per architecture."""
        shape = tuple(ctx.dataset.input_shape)
        classes = ctx.dataset.num_classes
        return dict(self._measured.get(ctx.space, arch, shape, classes, ctx.device,
                                       lambda: ctx.space.build(arch, shape, classes),
                                       latency_runs=self.latency_runs))

    def __getstate__(self) -> dict[str, Any]:  # never pickle device tensors (Dask)
        return {**self.__dict__, "_data": type(self._data)(), "_searches": {}}

    def search(self, ctx: EstimateContext) -> _SupernetState:
        """This space's search state, synchronised with the experiment's finished trials."""
        shape = tuple(ctx.dataset.input_shape)
        key = (ctx.space.to_json(), shape, ctx.dataset.num_classes, str(ctx.device))
        if key not in self._searches:
            check_darts_space(ctx.space)
            with seeded(int(ctx.seed), ctx.device):
                net = Supernet(ctx.space, shape, ctx.dataset.num_classes).to(ctx.device)
            self._searches[key] = _SupernetState(net, self, ctx.device)
        st = self._searches[key]
        if ctx.history_fn is not None:
            done = [t for t in ctx.history() if getattr(t.state, "name", "") == "COMPLETE"
                    and (t.metrics or {}).get("darts_phase") == "search"]
            if len(done) != st.epochs_done:
                st.epochs_done = len(done)
                st.load_weights(done[-1].metrics["alphas"] if done else None)
        return st

    def estimate(self, arch: dict[str, Any], ctx: EstimateContext) -> Estimate:
        return oom_guard(ctx.device, self._estimate, arch, ctx)

    def _estimate(self, arch: dict[str, Any], ctx: EstimateContext) -> Estimate:
        ctx.check_stop()
        st = self.search(ctx)
        expected = derive(ctx.space, st.weights)
        if ctx.space.key(arch) != ctx.space.key(expected):
            raise ValueError(
                f"darts_epoch: trial {ctx.number} asks for {ctx.space.key(arch)}, but DARTS "
                f"derives {ctx.space.key(expected)} from its alphas; this estimator runs with "
                "the strategy 'darts' (strategy='darts', estimator='darts_epoch')")
        if st.epochs_done >= self.epochs:
            if not self.retrain:
                raise ValueError(f"darts_epoch: all {self.epochs} search epochs are done; "
                                 "raise 'epochs' or set retrain=True")
            est = TrainEstimator(epochs=self.retrain_epochs, batch_size=self.batch_size,
                                 latency_runs=self.latency_runs).estimate(arch, ctx)
            est.metrics.update(darts_phase="retrain", darts_done=True)
            return est
        snapshot = (copy.deepcopy(st.net.state_dict()), st.weights,
                    {lb: a.detach().clone() for lb, a in st.alphas.items()})
        try:
            return self._epoch(st, arch, ctx)
        except BaseException:  # roll back an interrupted or failed epoch
            st.net.load_state_dict(snapshot[0])
            st.weights = snapshot[1]
            with torch.no_grad():
                for lb, a in st.alphas.items():
                    a.copy_(snapshot[2][lb])
            raise

    def _epoch(self, st: _SupernetState, arch: dict[str, Any], ctx: EstimateContext) -> Estimate:
        data = self._data.get(ctx.dataset, ctx.device)
        epoch, start = st.epochs_done + 1, time.perf_counter()
        lr = self.w_lr_min + 0.5 * (self.w_lr - self.w_lr_min) * (1 + math.cos(math.pi * st.epochs_done / self.epochs))
        for g in st.w_opt.param_groups:
            g["lr"] = lr
        gen = torch.Generator().manual_seed(int(ctx.seed) * 100_003 + epoch)
        n, bs = len(data.x_train), min(self.batch_size, len(data.x_train))
        train_idx = torch.randperm(n, generator=gen).to(data.x_train.device)
        valid_idx = torch.randperm(len(data.x_valid), generator=gen).to(data.x_valid.device)
        total, seen = 0.0, 0
        for step, lo in enumerate(range(0, n - bs + 1, bs)):
            if step % 8 == 0:
                ctx.check_stop()
            ti = train_idx[lo:lo + bs]
            v0 = (step * bs) % max(1, len(valid_idx) - bs + 1)
            vi = valid_idx[v0:v0 + bs]
            self._alpha_step(st, data.x_train[ti], data.y_train[ti], data.x_valid[vi],
                             data.y_valid[vi], lr)
            st.net.train()
            st.w_opt.zero_grad(set_to_none=True)
            weights = {lb: w.detach() for lb, w in st.softmax().items()}
            loss = F.cross_entropy(st.net(data.x_train[ti], weights=weights), data.y_train[ti])
            if not torch.isfinite(loss):
                raise TrialFailed(f"darts_epoch: the training loss became {float(loss)} at epoch "
                                 f"{epoch}, step {step + 1}; lower w_lr or alpha_lr")
            loss.backward()
            torch.nn.utils.clip_grad_norm_(st.net.parameters(), 5.0)
            st.w_opt.step()
            total, seen = total + float(loss.detach()) * len(ti), seen + len(ti)
        ctx.check_stop()
        st.weights = st.weight_dict()
        mixed = {lb: w.detach() for lb, w in st.softmax().items()}
        acc = accuracy(st.net.fixed(weights=mixed), data.x_valid, data.y_valid)
        nxt = derive(ctx.space, st.weights)
        derived_acc = accuracy(st.net.fixed(arch=nxt), data.x_valid, data.y_valid)
        train_loss = total / max(1, seen)
        ctx.report({"epoch": epoch, "train_loss": train_loss, "valid_acc": acc,
                    "time_s": time.perf_counter() - start})
        st.epochs_done = epoch
        metrics = {"darts_phase": "search", "epoch": epoch, "valid_acc": acc,
                   "train_loss": train_loss, "derived_acc": derived_acc, "alphas": st.weights,
                   "next_arch": nxt, "darts_done": epoch >= self.epochs and not self.retrain,
                   "retrain_next": epoch >= self.epochs and self.retrain,
                   "second_order": self.second_order, "w_lr": lr,
                   **self.measure(arch, ctx), "supernet_params": count_params(st.net)}
        return Estimate(value=acc, metrics=metrics)

    def _alpha_step(self, st: _SupernetState, xt: torch.Tensor, yt: torch.Tensor, xv: torch.Tensor,
                    yv: torch.Tensor, xi: float) -> None:
        """One Adam step of the alphas on a validation batch (eq. 6, or 7-8 unrolled)."""
        alphas = list(st.alphas.values())
        labels = list(st.alphas)
        st.net.train()
        st.a_opt.zero_grad(set_to_none=True)

        def loss_at(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return F.cross_entropy(st.net(x, weights=dict(zip(labels, (F.softmax(a, 0) for a in alphas), strict=True))), y)

        if not self.second_order:
            grads = torch.autograd.grad(loss_at(xv, yv), alphas, allow_unused=True)
        else:
            params = [p for p in st.net.parameters() if p.requires_grad]
            backup = [p.detach().clone() for p in params]
            gw = _grads(loss_at(xt, yt), params)
            with torch.no_grad():  # virtual step w' = w - xi * grad_w L_train(w, alpha)
                for p, g in zip(params, gw, strict=True):
                    p.sub_(xi * g)
            out = _grads(loss_at(xv, yv), alphas + params)
            d_alpha, d_w = out[:len(alphas)], out[len(alphas):]
            eps = FD_SCALE / (torch.cat([g.reshape(-1) for g in d_w]).norm() + 1e-12)
            hess = []
            for sign in (1.0, -1.0):  # grad_alpha L_train(w +- eps * d_w, alpha)
                with torch.no_grad():
                    for p, b, g in zip(params, backup, d_w, strict=True):
                        p.copy_(b + sign * eps * g)
                hess.append(_grads(loss_at(xt, yt), alphas))
            with torch.no_grad():
                for p, b in zip(params, backup, strict=True):
                    p.copy_(b)
            grads = tuple(da - xi * (hp - hm) / (2 * eps)
                          for da, hp, hm in zip(d_alpha, hess[0], hess[1], strict=True))
        for a, g in zip(alphas, grads, strict=True):
            a.grad = None if g is None else g.detach()
        st.a_opt.step()


def _grads(loss: torch.Tensor, params: list[torch.Tensor]) -> list[torch.Tensor]:
    out = torch.autograd.grad(loss, params, allow_unused=True)
    return [torch.zeros_like(p) if g is None else g for p, g in zip(params, out, strict=True)]

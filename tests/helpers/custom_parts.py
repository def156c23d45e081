"""Custom parts in an importable module, as a user's package would hold them: an
operation, a data set loader, an estimator and a strategy, plus a space that uses the
operation. Nothing registers at import: :func:`register` does (as a user's notebook
would), so a fresh process knows none of them until ``Experiment.load`` imports them.

Example:
    >>> register()
    >>> sorted(registered())
    ['dataset', 'estimator', 'operation', 'strategy']
    >>> unregister()
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import torch
from torch import nn

from nasbench_ui import data, estimators, strategies
from nasbench_ui.estimators.base import Estimate, Estimator
from nasbench_ui.space import Edge, SearchSpace, ops
from nasbench_ui.strategies import RandomSearch

OP, DATASET, ESTIMATOR, STRATEGY = "toy_scaled_tanh", "toy_blobs", "toy_probe", "toy_random"


class ScaledTanh(nn.Module):
    """``scale * tanh(x)``."""

    def __init__(self, scale: float) -> None:
        super().__init__()
        self.scale = float(scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * torch.tanh(x)


def scaled_tanh(in_shape: tuple[int, ...], scale: float = 2.0) -> tuple[nn.Module, tuple[int, ...]]:
    """The custom operation's factory."""
    return ScaledTanh(scale), in_shape


def blobs(seed: int = 0, n: int = 120) -> data.Dataset:
    """The custom data set: three seeded Gaussian blobs in 6 features."""
    rng = np.random.default_rng(1234)
    y = np.arange(n) % 3
    x = rng.normal(size=(n, 6)) + y[:, None] * 1.5
    return data.from_arrays(x, y, name=DATASET, seed=seed)


class ProbeEstimator(Estimator):
    """The custom estimator: the validation accuracy of the untrained network, seeded by
    the architecture (fast and deterministic; it reads the data set and builds the space,
    so a wrong operation or data set changes its value)."""

    NAME = ESTIMATOR

    def estimate(self, arch: dict[str, Any], ctx: Any) -> Estimate:
        torch.manual_seed(int(ctx.space.arch_id(arch), 16) % 2**31)
        model = ctx.space.build(arch, input_shape=ctx.dataset.input_shape,
                                num_classes=ctx.dataset.num_classes)
        with torch.no_grad():
            out = model(ctx.dataset.x_valid)
        acc = float((out.argmax(1) == ctx.dataset.y_valid).float().mean())
        checksum = float(ctx.dataset.x_valid.double().sum())
        value = round(acc + 1e-3 * (checksum % 7.0), 10)
        return Estimate(value=value, metrics={"valid_acc": acc, "checksum": checksum})


class ToyRandom(RandomSearch):
    """The custom strategy: random search under another name."""

    NAME = STRATEGY


def space() -> SearchSpace:
    """A small space whose edges may pick the custom operation."""
    return SearchSpace(
        "toy_space", nodes=["input", "h", "a", "output"],
        edges=[Edge("input", "h", ["linear"], params={"units": 8}),
               Edge("h", "a", [OP, "relu", "tanh"], label="act"),
               Edge("a", "output", [OP, "skip"], label="out_act")])


def register() -> None:
    """Register the four parts (what a user's notebook does)."""
    ops.register(OP, scaled_tanh, replace=True)
    data.register(DATASET, blobs, replace=True)
    estimators.register(ESTIMATOR, ProbeEstimator, replace=True)
    strategies.register(STRATEGY, ToyRandom, replace=True)


def registered() -> list[str]:
    """The kinds of parts registered under this module's names."""
    found = {"operation": ops.is_registered(OP), "dataset": DATASET in data.names(),
             "estimator": ESTIMATOR in estimators.names(), "strategy": STRATEGY in strategies.names()}
    return [k for k, v in found.items() if v]


def unregister() -> None:
    """Remove what :func:`register` added."""
    if ops.is_registered(OP):
        ops.unregister(OP)
    for registry, name in ((data, DATASET), (estimators, ESTIMATOR), (strategies, STRATEGY)):
        if name in registry.names():
            registry.unregister(name)


class NotebookEstimator:
    """An estimator as a notebook cell defines it (its module is ``__main__``): no other
    process can import it, so a search in a process of its own gets a copy, by value
    (``engine/by_value.py``). Each estimate appends to ``CALLS`` (the copy's, there)."""

    NAME = "test_notebook_est"
    OPTIONS: dict[str, Any] = {}
    CALLS: list[int] = []

    def estimate(self, arch: dict[str, Any], ctx: Any) -> Estimate:
        self.CALLS.append(len(self.CALLS))
        return Estimate(0.5 + len(self.CALLS) / 1000, {})


class LockedNotebookEstimator(NotebookEstimator):
    """A notebook cell's estimator that holds a lock: no copy of it can be sent to
    another process, so its search stays on a kernel thread."""

    NAME = "test_locked_notebook_est"
    LOCK = threading.Lock()


class NotebookStrategy(RandomSearch):
    """A strategy as a notebook cell defines it (random search under its own name)."""

    NAME = "test_notebook_strategy"


NotebookEstimator.__module__ = "__main__"
LockedNotebookEstimator.__module__ = "__main__"
NotebookStrategy.__module__ = "__main__"

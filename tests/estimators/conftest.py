"""Fixtures of the estimator tests: the digits data set, small spaces and a context maker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn

from nasbench_ui import spaces
from nasbench_ui.data import load
from nasbench_ui.estimators import EstimateContext
from nasbench_ui.space import Edge, IntRange, SearchSpace, ops

# the smallest keras_cnn network: it trains an epoch of digits in a fraction of a second
SMALL_CNN = {"filters": 32, "kernel_size": 3, "units": 32, "dropout": 0.1, "learning_rate": 0.01}


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Any:
    """Train on one thread, restored afterwards.

    On a shared 2-core machine, torch's default two intra-op threads spin against other
    processes: a training step of a tiny CNN took 0.2-0.8 s instead of 12 ms.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def digits() -> Any:
    return load("digits", seed=0)


@pytest.fixture(scope="session")
def small_digits(digits: Any) -> Any:
    """300 training samples (valid and test stay whole)."""
    return digits.subset(300, seed=0)


@pytest.fixture(scope="session")
def cnn() -> Any:
    return spaces.keras_cnn()


@pytest.fixture(scope="session")
def tiny() -> SearchSpace:
    """flatten -> linear(units) -> relu|tanh: no hyperparameter decision of the trainer's."""
    return SearchSpace("tiny", nodes=["input", "flat", "hidden", "output"], edges=[
        Edge("input", "flat", ["flatten"]),
        Edge("flat", "hidden", ["linear"], bind={"units": "units"}),
        Edge("hidden", "output", ["relu", "tanh"], label="act"),
    ], hparams=[IntRange("units", 16, 32, 16)])


@pytest.fixture
def make_ctx() -> Callable[..., EstimateContext]:
    def make(space: Any, dataset: Any, **kw: Any) -> EstimateContext:
        return EstimateContext(space=space, dataset=dataset, **kw)

    return make


class _Nan(nn.Module):
    def forward(self, x: Any) -> Any:
        return x * float("nan")


class _Oom(nn.Module):
    def forward(self, x: Any) -> Any:
        raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB (test)")


class _Broken(nn.Module):
    def forward(self, x: Any) -> Any:
        raise RuntimeError("shape mismatch inside a custom op (test)")


@pytest.fixture
def custom_ops() -> Any:
    """Register ``nan_op``, ``oom_op`` and ``broken_op`` for one test, then remove them."""
    made = {"nan_op": _Nan, "oom_op": _Oom, "broken_op": _Broken}
    for name, cls in made.items():
        ops.register(name, lambda shape, cls=cls: (cls(), shape), doc="test op", replace=True)
    yield made
    for name in made:
        ops.unregister(name)

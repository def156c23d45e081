"""Parameters, FLOPs and latency of a model."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nasbench_ui.estimators.metrics import count_flops, count_params, measure_latency, rnn_flops


def test_count_params_counts_trainable_ones_only():
    m = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    assert count_params(m) == (4 * 3 + 3) + (3 * 2 + 2)
    m[0].weight.requires_grad_(False)
    assert count_params(m) == 3 + 8


def test_flops_of_a_conv_net():
    m = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(32, 5))
    m.train()
    flops = count_flops(m, (1, 4, 4))
    # conv: 2 FLOPs x 16 positions x 2 filters x 9 taps; linear: 2 x 32 x 5
    assert flops == 2 * 16 * 2 * 9 + 2 * 32 * 5
    assert m.training  # mode restored


def test_flops_of_recurrent_layers():
    class Seq(nn.Module):
        def __init__(self, cell):
            super().__init__()
            self.rnn = cell(6, 8, num_layers=2, batch_first=True)

        def forward(self, x):
            return self.rnn(x)[0][:, -1]

    steps = 5
    assert count_flops(Seq(nn.LSTM), (steps, 6)) == steps * 2 * 4 * 8 * ((6 + 8) + (8 + 8))
    assert count_flops(Seq(nn.GRU), (steps, 6)) == steps * 2 * 3 * 8 * ((6 + 8) + (8 + 8))
    assert count_flops(Seq(nn.RNN), (steps, 6)) == steps * 2 * 1 * 8 * ((6 + 8) + (8 + 8))
    assert rnn_flops(nn.Linear(2, 2), torch.zeros(1, 2)) == 0
    lstm = nn.LSTM(6, 8, bidirectional=True)  # not batch first: (T, B, F)
    assert rnn_flops(lstm, torch.zeros(steps, 3, 6)) == 3 * steps * 2 * 4 * 8 * (6 + 8) * 2


def test_flops_failure_returns_none():
    class Bad(nn.Module):
        def forward(self, x):
            raise RuntimeError("cannot trace")

    assert count_flops(Bad(), (3,)) is None


def test_latency_is_positive_and_restores_mode():
    m = nn.Sequential(nn.Linear(16, 16), nn.Dropout(0.5))
    m.train()
    ms = measure_latency(m, (16,), "cpu", batch_size=8, runs=3, warmup=1)
    assert ms > 0 and m.training
    with pytest.raises(ValueError, match="runs must be a positive int, got 0"):
        measure_latency(m, (16,), runs=0)
    with pytest.raises(ValueError, match=r"input_shape must be a tuple of positive ints"):
        measure_latency(m, (0,))


def test_measuring_leaves_the_global_rng_alone():
    model = nn.Linear(3, 2)  # building a model draws from the global RNG; measuring must not
    before = torch.random.get_rng_state()
    count_flops(model, (3,))
    measure_latency(model, (3,), runs=1, warmup=0)
    assert torch.equal(torch.random.get_rng_state(), before)


def test_metrics_cache_keys_and_bounds() -> None:
    from nasbench_ui import spaces
    from nasbench_ui.estimators.metrics import MetricsCache

    small, wide = spaces.nb201(4), spaces.nb201(8)  # same name, different networks
    conv = {lb: "nor_conv_3x3" for lb in small.labels}
    skip = {lb: "skip_connect" for lb in small.labels}
    built: list[tuple[int, ...]] = []

    def build(space, arch, shape=(1, 8, 8), classes=10):
        return lambda: built.append(shape) or space.build(arch, shape, classes)

    cache = MetricsCache(max_size=3)
    a = cache.get(small, conv, (1, 8, 8), 10, "cpu", build(small, conv), latency_runs=0)
    assert "latency_ms" not in a and a["params"] == count_params(small.build(conv, (1, 8, 8), 10))
    b = cache.get(wide, conv, (1, 8, 8), 10, "cpu", build(wide, conv), latency_runs=0)
    assert b["params"] > a["params"]  # the space is part of the key, not only its name
    cache.get(small, conv, (1, 6, 6), 10, "cpu", build(small, conv, (1, 6, 6)), latency_runs=0)
    assert len(built) == 3 and len(cache) == 3
    # asking for the latency later measures only what is missing
    with_latency = cache.get(small, conv, (1, 8, 8), 10, "cpu", build(small, conv), latency_runs=1)
    assert with_latency["latency_ms"] > 0 and with_latency["params"] == a["params"]
    assert cache.get(small, conv, (1, 8, 8), 10, "cpu", build(small, conv), latency_runs=0) == a
    assert len(built) == 4
    # least recently used out: the wide entry
    cache.get(small, skip, (1, 8, 8), 10, "cpu", build(small, skip), latency_runs=0)
    assert len(cache) == 3
    cache.get(wide, conv, (1, 8, 8), 10, "cpu", build(wide, conv), latency_runs=0)
    assert len(built) == 6
    with pytest.raises(ValueError, match="unknown decision"):
        cache.get(small, {**conv, "x": 1}, (1, 8, 8), 10, "cpu", build(small, conv))


def test_metrics_cache_pickles_empty() -> None:
    import pickle

    from nasbench_ui import spaces
    from nasbench_ui.estimators.metrics import MetricsCache

    space = spaces.nb201(4)
    arch = {lb: "skip_connect" for lb in space.labels}
    cache = MetricsCache(max_size=5)
    cache.get(space, arch, (1, 8, 8), 10, "cpu", space.build(arch, (1, 8, 8), 10), latency_runs=0)
    copy = pickle.loads(pickle.dumps(cache))
    assert len(copy) == 0 and copy.max_size == 5 and len(cache) == 1

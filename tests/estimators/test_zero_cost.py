"""``zero_cost``: synflow, grad_norm, snip and NASWOT scores at initialisation."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
import torch

from nasbench_ui import spaces
from nasbench_ui.estimators.base import EstimateContext
from nasbench_ui.estimators.zero_cost import FLOOR, PROXIES, ZeroCost, depends_on_input, naswot


@pytest.fixture(scope="module")
def nb201_archs() -> list[dict[str, Any]]:
    space = spaces.nb201(8)
    rng = random.Random(0)
    archs = [space.sample(rng) for _ in range(10)]
    assert all(any(v != "none" for v in a.values()) for a in archs)
    return archs


@pytest.fixture(scope="module")
def scores(nb201_archs: Any, digits: Any) -> dict[str, list[float]]:
    """Each proxy's scores of the 10 random cells, then of the all-`none` cell."""
    space = spaces.nb201(8)
    cut = {lb: "none" for lb in space.labels}
    out = {}
    for proxy in PROXIES:
        est = ZeroCost(proxy=proxy)
        out[proxy] = [est.estimate(a, EstimateContext(space=space, dataset=digits)).value
                      for a in [*nb201_archs, cut]]
    return out


@pytest.mark.parametrize("proxy", PROXIES)
def test_every_proxy_gives_finite_distinct_scores(proxy: str, scores: Any) -> None:
    values = scores[proxy][:10]
    assert all(isinstance(v, float) and math.isfinite(v) for v in values)
    assert len({round(v, 9) for v in values}) >= 5  # it tells architectures apart


@pytest.mark.parametrize("proxy", PROXIES)
def test_the_all_none_cell_ranks_last(proxy: str, scores: Any) -> None:
    *others, cut = scores[proxy]
    assert cut == FLOOR[proxy] and all(v > cut for v in others)


def test_metrics_cost_and_determinism(nb201_archs: Any, digits: Any) -> None:
    space = spaces.nb201(8)
    est = ZeroCost(proxy="grad_norm", batch_size=32)
    a = est.estimate(nb201_archs[0], EstimateContext(space=space, dataset=digits))
    b = est.estimate(nb201_archs[0], EstimateContext(space=space, dataset=digits, number=7))
    assert a.value == b.value == a.metrics["grad_norm"]  # same init and minibatch per experiment
    assert a.metrics["params"] == sum(p.numel() for p in space.build(nb201_archs[0], (1, 8, 8), 10).parameters())
    assert 0 < a.metrics["cost_s"] < 30 and a.metrics["batch_size"] == 32 and a.model is None
    other_seed = est.estimate(nb201_archs[0], EstimateContext(space=space, dataset=digits, seed=1))
    assert other_seed.value != a.value


def test_synflow_prefers_more_parameters_on_the_path(digits: Any) -> None:
    space = spaces.nb201(8)
    est = ZeroCost(proxy="synflow")
    conv = est.estimate({lb: "nor_conv_3x3" for lb in space.labels}, EstimateContext(space=space, dataset=digits))
    skip = est.estimate({lb: "skip_connect" for lb in space.labels}, EstimateContext(space=space, dataset=digits))
    assert conv.value > skip.value > 0


def test_naswot_falls_back_to_other_activations_and_to_the_classifier(digits: Any) -> None:
    x = digits.x_train[:32]
    tanh_net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 128), torch.nn.Tanh(),
                                   torch.nn.Linear(128, 10))
    linear_net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 128), torch.nn.Linear(128, 10))
    for net in (tanh_net, linear_net):
        score = naswot(net, x, digits.y_train[:32])
        assert math.isfinite(score) and score > 0
    narrow = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 4), torch.nn.ReLU(), torch.nn.Linear(4, 10))
    assert naswot(narrow, x, digits.y_train[:32]) == 0.0  # 32 samples, 4 bits: singular


def test_depends_on_input() -> None:
    space = spaces.nb201(4)
    cut = space.build({lb: "none" for lb in space.labels}, (1, 8, 8), 10)
    half = space.build({**{lb: "none" for lb in space.labels}, "3<-0": "skip_connect"}, (1, 8, 8), 10)
    x = torch.randn(4, 1, 8, 8)
    assert not depends_on_input(cut, x) and depends_on_input(half, x)


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match=r"option 'proxy' must be one of \['synflow', 'grad_norm', 'snip', 'naswot'\]"):
        ZeroCost(proxy="jacov")
    with pytest.raises(ValueError, match="option 'batch_size' must be >= 2"):
        ZeroCost(batch_size=1)


def test_params_flops_and_latency_are_recorded_once_per_architecture(nb201_archs: Any,
                                                                      digits: Any) -> None:
    from nasbench_ui.estimators.metrics import count_flops

    space = spaces.nb201(8)
    est = ZeroCost(proxy="synflow", latency_runs=2)
    arch = nb201_archs[1]
    first = est.estimate(arch, EstimateContext(space=space, dataset=digits, number=0))
    again = est.estimate(arch, EstimateContext(space=space, dataset=digits, number=1))
    model = space.build(arch, (1, 8, 8), 10)
    assert first.metrics["flops"] == count_flops(model, (1, 8, 8)) > 0
    assert first.metrics["latency_ms"] > 0 and again.metrics == {**first.metrics,
                                                                 "cost_s": again.metrics["cost_s"]}
    assert est._metrics.measured == 1  # the second trial of the architecture measured nothing
    est.estimate(nb201_archs[2], EstimateContext(space=space, dataset=digits, number=2))
    assert est._metrics.measured == 2
    assert "latency_ms" not in ZeroCost(latency_runs=0).estimate(
        arch, EstimateContext(space=space, dataset=digits)).metrics

"""``weight_sharing``: one supernet per experiment, trained a little on each trial's path."""

from __future__ import annotations

import random
from typing import Any

import pytest

from nasbench_ui import spaces
from nasbench_ui.estimators.base import EstimateContext, Interrupted
from nasbench_ui.estimators.weight_sharing import WeightSharing


def test_trials_share_one_supernet_and_steps_accumulate(small_digits: Any) -> None:
    space = spaces.nb201(4)
    ws = WeightSharing(steps=6, warmup_steps=4, chunks=3, batch_size=32)
    rng = random.Random(0)
    a, b = space.sample(rng), space.sample(rng)
    ctx = EstimateContext(space=space, dataset=small_digits, number=0)
    first = ws.estimate(a, ctx)
    net = ws.supernet(space, small_digits.input_shape, small_digits.num_classes)
    assert first.metrics["supernet_steps"] == 10 and first.metrics["warmup_steps"] == 4
    second = ws.estimate(b, EstimateContext(space=space, dataset=small_digits, number=1))
    assert ws.supernet(space, small_digits.input_shape, small_digits.num_classes) is net
    assert second.metrics["supernet_steps"] == 16 and second.metrics["warmup_steps"] == 0
    assert [p["epoch"] for p in ctx.curve] == [1, 2, 3]
    assert [p["step"] for p in ctx.curve] == [6, 8, 10]
    assert ctx.curve[-1]["valid_acc"] == first.value == first.metrics["valid_acc"]
    assert first.metrics["shared"] is True
    assert first.metrics["params"] == sum(p.numel() for p in space.build(a, (1, 8, 8), 10).parameters())
    other = spaces.nb201(8)  # another space: another supernet
    ws.estimate(a, EstimateContext(space=other, dataset=small_digits))
    assert ws.supernet(other, (1, 8, 8), 10) is not net


def test_inherited_weights_score_well_above_chance_on_digits(digits: Any) -> None:
    space = spaces.nb201(8)
    ws = WeightSharing(steps=40, warmup_steps=120, chunks=2)
    arch = {lb: "nor_conv_3x3" for lb in space.labels}
    est = ws.estimate(arch, EstimateContext(space=space, dataset=digits))
    assert est.value > 0.6, est.metrics  # chance is 0.1
    cut = {lb: "none" for lb in space.labels}  # ignores its input: chance at best
    assert ws.estimate(cut, EstimateContext(space=space, dataset=digits)).value < 0.3


def test_stop_request_interrupts_and_keeps_the_steps_taken(small_digits: Any) -> None:
    space = spaces.nb201(4)
    ws = WeightSharing(steps=4, warmup_steps=40, batch_size=16)
    calls = iter(range(1000))
    ctx = EstimateContext(space=space, dataset=small_digits, stop_fn=lambda: next(calls) >= 2)
    with pytest.raises(Interrupted):
        ws.estimate(space.sample(random.Random(1)), ctx)
    sh = next(iter(ws._shared.values()))
    assert 0 < sh.steps < 40


def test_bad_spaces_and_options_are_refused(small_digits: Any) -> None:
    with pytest.raises(ValueError, match="space 'keras_cnn' binds op widths to hyperparameters"):
        WeightSharing(steps=1).estimate(spaces.keras_cnn().sample(random.Random(0)),
                                        EstimateContext(space=spaces.keras_cnn(), dataset=small_digits))
    with pytest.raises(ValueError, match="option 'optimizer' must be one of"):
        WeightSharing(optimizer="rmsprop")
    with pytest.raises(ValueError, match="option 'steps' must be >= 1"):
        WeightSharing(steps=0)


@pytest.mark.parametrize("strategy", ["evolution", "random"])
def test_runs_under_multi_trial_strategies(strategy: str) -> None:
    import nasbench_ui as nb

    if "weight_sharing" not in nb.estimators.names():
        pytest.skip("weight_sharing is not registered yet")
    exp = nb.Experiment(spaces.nb201(4), strategy=strategy, estimator="weight_sharing",
                        estimator_options={"steps": 4, "warmup_steps": 8, "batch_size": 32},
                        trials=3, seed=0)
    exp.run()
    assert [t.state.name for t in exp.trials] == ["COMPLETE"] * 3
    assert [t.metrics["supernet_steps"] for t in exp.trials] == [12, 16, 20]


def test_flops_and_latency_are_those_of_the_standalone_network(small_digits: Any) -> None:
    import torch

    from nasbench_ui.estimators.metrics import count_flops

    space = spaces.nb201(4)
    a = space.sample(random.Random(3))
    ws = WeightSharing(steps=2, warmup_steps=0, chunks=1, batch_size=16, latency_runs=2)
    torch.manual_seed(0)
    first = ws.estimate(a, EstimateContext(space=space, dataset=small_digits, number=0))
    after_first = torch.random.get_rng_state()
    torch.manual_seed(0)
    plain = WeightSharing(steps=2, warmup_steps=0, chunks=1, batch_size=16, latency_runs=0)
    same = plain.estimate(a, EstimateContext(space=space, dataset=small_digits, number=0))
    assert same.value == first.value  # building the network to measure it drew no random number
    assert torch.equal(torch.random.get_rng_state(), after_first)
    built = space.build(a, (1, 8, 8), 10)
    assert first.metrics["params"] == sum(p.numel() for p in built.parameters())
    assert first.metrics["flops"] == count_flops(built, (1, 8, 8))
    assert first.metrics["latency_ms"] > 0 and "latency_ms" not in same.metrics
    second = ws.estimate(a, EstimateContext(space=space, dataset=small_digits, number=1))
    assert second.metrics["latency_ms"] == first.metrics["latency_ms"]
    assert ws._metrics.measured == 1

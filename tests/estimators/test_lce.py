"""``lce``: parametric learning-curve extrapolation and the pruning decision."""

from __future__ import annotations

import math
from typing import Any

import pytest

from nasbench_ui.estimators.base import EstimateContext, Pruned
from nasbench_ui.estimators.lce import (
    LearningCurveExtrapolation,
    best_complete,
    extrapolate,
    should_prune,
)
from nasbench_ui.storage.trial import Trial, TrialState

TINY = {"units": 32, "act": "relu"}


@pytest.mark.parametrize(("curve", "n"), [
    (lambda e: 0.92 - 0.7 * math.exp(-0.45 * e), 5),   # exp3
    (lambda e: 0.95 - 0.6 * e ** -1.1, 5),              # pow3
    (lambda e: 0.88 - 0.5 * math.exp(-0.3 * e), 8),
])
def test_extrapolation_of_saturating_curves(curve: Any, n: int) -> None:
    epochs = list(range(1, n + 1))
    got = extrapolate(epochs, [curve(e) for e in epochs], 25)
    assert abs(got - curve(25)) < 0.02
    assert got > curve(n)  # it does extrapolate: not the last point


def test_extrapolation_edge_cases() -> None:
    assert extrapolate([1, 2], [0.3, 0.5], 10) == 0.5  # too few points: the last value
    assert extrapolate([1, 2, 3, 4], [0.1, 0.1, 0.1, 0.1], 10) == pytest.approx(0.1, abs=1e-6)
    assert 0.0 <= extrapolate([1, 2, 3], [0.2, 0.9, 0.99], 100) <= 1.0
    noisy = extrapolate([1, 2, 3, 4, 5, 6], [0.5, 0.7, 0.66, 0.8, 0.78, 0.82], 20)
    assert 0.78 < noisy <= 1.0
    with pytest.raises(ValueError, match="as many epochs as accuracies"):
        extrapolate([1, 2, 3], [0.1, 0.2], 10)
    with pytest.raises(ValueError, match="positive epochs and finite accuracies"):
        extrapolate([1, 2, 3], [0.1, float("nan"), 0.3], 10)
    with pytest.raises(ValueError, match="target_epoch must be a positive int"):
        extrapolate([1, 2, 3], [0.1, 0.2, 0.3], 0)


def test_decision_on_synthetic_curves() -> None:
    worse = [0.30 - 0.2 * math.exp(-0.5 * e) for e in range(1, 5)]
    better = [0.97 - 0.5 * math.exp(-0.8 * e) for e in range(1, 5)]
    prune, pred = should_prune(worse, best=0.9, margin=0.02, target=10)
    assert prune and pred is not None and pred < 0.4
    prune, pred = should_prune(better, best=0.9, margin=0.02, target=10)
    assert not prune and pred > 0.9
    # a curve that ends just under the best is kept thanks to the margin
    near = [0.89 - 0.4 * math.exp(-1.0 * e) for e in range(1, 5)]
    assert not should_prune(near, best=0.9, margin=0.02, target=10)[0]
    assert should_prune(near, best=0.9, margin=0.0, target=10)[0]
    assert should_prune(worse[:2], best=0.9, margin=0.02, target=10) == (False, None)
    assert should_prune(worse, best=None, margin=0.02, target=10)[0] is False
    assert should_prune(worse, best=0.9, margin=0.02, target=4)[0] is False  # last epoch


def test_best_complete_reads_complete_trials_only() -> None:
    trials = [Trial(0, TrialState.COMPLETE, {}, 0.7, {"valid_acc": 0.7}),
              Trial(1, TrialState.PRUNED, {}, 0.99, {"valid_acc": 0.95}),
              Trial(2, TrialState.COMPLETE, {}, 0.8, {}),
              Trial(3, TrialState.FAILED, {}, None, {})]
    assert best_complete(trials) == 0.8 and best_complete([]) is None


def test_real_run_completes_with_predictions_in_the_curve(tiny: Any, small_digits: Any) -> None:
    est = LearningCurveExtrapolation(epochs=5, min_epochs=3, learning_rate=1e-2, latency_runs=0)
    ctx = EstimateContext(space=tiny, dataset=small_digits)
    result = est.estimate(TINY, ctx)
    assert [p["epoch"] for p in ctx.curve] == [1, 2, 3, 4, 5]
    assert "predicted_acc" not in ctx.curve[1] and all("predicted_acc" in p for p in ctx.curve[2:])
    assert all(0 <= p["predicted_acc"] <= 1 for p in ctx.curve[2:])
    assert result.value == ctx.curve[-1]["valid_acc"] > 0.5
    assert result.metrics["epochs"] == 5 and result.model is not None


def test_real_run_is_pruned_below_a_much_better_trial(tiny: Any, small_digits: Any) -> None:
    est = LearningCurveExtrapolation(epochs=8, min_epochs=3, learning_rate=1e-4, latency_runs=0)
    best = Trial(0, TrialState.COMPLETE, TINY, 0.99, {"valid_acc": 0.99})
    ctx = EstimateContext(space=tiny, dataset=small_digits, number=1, history_fn=lambda: [best])
    with pytest.raises(Pruned, match="learning-curve extrapolation: predicted valid_acc") as err:
        est.estimate(TINY, ctx)
    assert len(ctx.curve) == 3  # pruned at the first prediction
    m = err.value.metrics
    assert err.value.value == m["predicted_acc"] == ctx.curve[-1]["predicted_acc"] < 0.97
    assert m["valid_acc"] == ctx.curve[-1]["valid_acc"] and m["epochs"] == 3


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="option 'min_epochs' must be >= 3"):
        LearningCurveExtrapolation(min_epochs=1)
    with pytest.raises(ValueError, match="option 'margin' must be <= 1"):
        LearningCurveExtrapolation(margin=2.0)


def test_a_pruned_trial_records_latency_and_a_repeat_reuses_the_measurement(
        tiny: Any, small_digits: Any) -> None:
    est = LearningCurveExtrapolation(epochs=8, min_epochs=3, learning_rate=1e-4, latency_runs=2)
    best = Trial(0, TrialState.COMPLETE, TINY, 0.99, {"valid_acc": 0.99})
    found = []
    for number in (1, 2):
        ctx = EstimateContext(space=tiny, dataset=small_digits, number=number,
                              history_fn=lambda: [best])
        with pytest.raises(Pruned) as err:
            est.estimate(TINY, ctx)
        found.append(err.value.metrics)
    m = found[0]
    assert m["params"] == 32 * 64 + 32 + 32 * 10 + 10 and m["flops"] == 2 * (64 * 32 + 32 * 10)
    assert m["latency_ms"] > 0 and found[1]["latency_ms"] == m["latency_ms"]
    assert est._metrics.measured == 1

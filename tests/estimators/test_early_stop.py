"""``early_stop``: patience (Prechelt 1998) and the median stopping rule (Golovin et al. 2017)."""

from __future__ import annotations

import pytest

from nasbench_ui.estimators import EarlyStopEstimator, Pruned, create
from nasbench_ui.estimators.early_stop import median_of_others, running_average
from nasbench_ui.storage.trial import Trial, TrialState

ARCH = {"units": 32, "act": "relu"}


def _fake(number, accs, state=TrialState.COMPLETE):
    curve = [{"epoch": e, "valid_acc": a, "train_loss": 1.0} for e, a in enumerate(accs, 1)]
    return Trial(number=number, state=state, arch={}, value=max(accs), curve=curve)


def _frozen(**options):
    """learning_rate 0: the weights never move, so valid_acc is the same every epoch."""
    return EarlyStopEstimator(learning_rate=0.0, latency_runs=0, **options)


def test_patience_prunes_a_flat_curve(tiny, digits, make_ctx):
    ctx = make_ctx(tiny, digits)
    with pytest.raises(Pruned, match=r"patience\): valid_acc has not improved by more than "
                                     r"0.0 for 2 epochs") as info:
        _frozen(epochs=6, patience=2, subset=0.3, median_stop=False).estimate(ARCH, ctx)
    accs = [p["valid_acc"] for p in ctx.curve]  # the partial curve stays in the context
    assert len(accs) == 3 and len(set(accs)) == 1
    err = info.value
    assert err.value == accs[0]
    assert err.metrics["epochs"] == 3 and err.metrics["valid_acc"] == accs[0]
    assert err.metrics["params"] == 32 * 64 + 32 + 32 * 10 + 10
    assert err.metrics["flops"] > 0 and "test_acc" not in err.metrics


def test_min_delta_counts_small_gains_as_stale(tiny, small_digits, make_ctx):
    ctx = make_ctx(tiny, small_digits)
    est = EarlyStopEstimator(epochs=8, patience=1, min_delta=0.5, median_stop=False,
                             subset=1.0, learning_rate=0.01, latency_runs=0)
    with pytest.raises(Pruned, match="more than 0.5 for 1 epochs"):
        est.estimate(ARCH, ctx)
    assert len(ctx.curve) == 2  # no epoch gains 50 points of accuracy over the first


def test_no_rule_fires_at_the_last_epoch(tiny, small_digits, make_ctx):
    ctx = make_ctx(tiny, small_digits, history_fn=lambda: [_fake(i, [0.99] * 3) for i in range(3)])
    est = _frozen(epochs=2, patience=1, grace_epochs=0, subset=1.0).estimate(ARCH, ctx)
    assert len(ctx.curve) == 2 and est.metrics["epochs"] == 2  # completed, not pruned


def test_median_rule_prunes_a_trial_worse_than_the_history(tiny, small_digits, make_ctx):
    history = [_fake(0, [0.9, 0.95, 0.97, 0.98]), _fake(1, [0.85, 0.9, 0.92, 0.95]),
               _fake(2, [0.8, 0.9, 0.9, 0.9], TrialState.PRUNED),
               _fake(3, [0.01, 0.01, 0.01, 0.01], TrialState.FAILED)]  # ignored: failed
    ctx = make_ctx(tiny, small_digits, number=4, history_fn=lambda: history)
    est = _frozen(epochs=4, patience=10, grace_epochs=1, subset=1.0)
    with pytest.raises(Pruned, match=r"median stopping rule: best valid_acc 0\.\d+ by epoch 2 "
                                     r"is below the median 0\.8750 of 3 finished trials"):
        est.estimate(ARCH, ctx)
    assert [p["epoch"] for p in ctx.curve] == [1, 2]  # grace epoch 1, stopped at 2


def test_median_rule_waits_for_min_trials(tiny, small_digits, make_ctx):
    history = [_fake(0, [0.99] * 4), _fake(1, [0.99] * 4)]
    ctx = make_ctx(tiny, small_digits, number=2, history_fn=lambda: history)
    est = _frozen(epochs=3, patience=10, subset=1.0, min_trials=3).estimate(ARCH, ctx)
    assert len(ctx.curve) == 3 and est.value == ctx.curve[0]["valid_acc"]


def test_median_rule_can_be_switched_off(tiny, small_digits, make_ctx):
    history = [_fake(i, [0.99] * 4) for i in range(5)]
    ctx = make_ctx(tiny, small_digits, number=5, history_fn=lambda: history)
    _frozen(epochs=3, patience=10, subset=1.0, median_stop=False).estimate(ARCH, ctx)
    assert len(ctx.curve) == 3


def test_a_good_trial_completes_on_a_subset(cnn, digits, make_ctx):
    history = [_fake(i, [0.05, 0.06, 0.07]) for i in range(4)]
    ctx = make_ctx(cnn, digits, number=4, history_fn=lambda: history)
    arch = {"filters": 32, "kernel_size": 3, "units": 32, "dropout": 0.1, "learning_rate": 0.01}
    est = EarlyStopEstimator(epochs=3, subset=0.5, patience=2, latency_runs=2).estimate(arch, ctx)
    accs = [p["valid_acc"] for p in ctx.curve]
    assert len(accs) == 3 and est.value == max(accs) == est.metrics["valid_acc"]
    assert accs[est.metrics["best_epoch"] - 1] == max(accs)
    assert est.metrics["train_samples"] == round(0.5 * len(digits.y_train))
    assert est.value > 0.5 and 0 <= est.metrics["test_acc"] <= 1
    assert est.metrics["latency_ms"] > 0 and est.metrics["epochs"] == 3
    assert est.model is not None and not est.model.training


def test_best_weights_are_restored(tiny, small_digits, make_ctx):
    # a learning rate this high makes the last epoch worse than the best one
    ctx = make_ctx(tiny, small_digits)
    est = EarlyStopEstimator(epochs=6, subset=1.0, patience=10, median_stop=False,
                             optimizer="sgd", learning_rate=0.5, latency_runs=0)
    out = est.estimate(ARCH, ctx)
    from nasbench_ui.estimators.trainer import accuracy

    assert ctx.curve[-1]["valid_acc"] < out.value  # the premise: the last epoch is worse
    restored = accuracy(out.model, small_digits.x_valid, small_digits.y_valid)
    assert restored == out.value == max(p["valid_acc"] for p in ctx.curve)


def test_running_average_and_median():
    curve = [{"epoch": 1, "valid_acc": 0.2}, {"epoch": 2, "valid_acc": 0.4},
             {"epoch": 3, "valid_acc": None}, {"epoch": 3.5}]
    assert running_average(curve, 2) == pytest.approx(0.3)
    assert running_average(curve, 1) == 0.2
    assert running_average(curve, 3) is None  # never reached (or diverged) at epoch 3
    history = [_fake(0, [0.1, 0.3]), _fake(1, [0.5, 0.7]), _fake(2, [0.9]),
               _fake(3, [0.0, 0.0], TrialState.INTERRUPTED), _fake(7, [1.0, 1.0])]
    assert median_of_others(history, number=7, epoch=2) == (pytest.approx(0.4), 2)
    assert median_of_others([], number=0, epoch=1) == (None, 0)


def test_options_are_checked():
    with pytest.raises(ValueError, match=r"'subset' must be <= 1.0"):
        create("early_stop", {"subset": 1.5})
    with pytest.raises(ValueError, match=r"'patience' must be of type int"):
        create("early_stop", {"patience": 1.5})
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['patient'\]"):
        create("early_stop", {"patient": 3})
    assert create("early_stop", {"median_stop": False}).median_stop is False


def test_pruned_trials_record_params_flops_and_latency_measured_once(tiny, small_digits, make_ctx,
                                                                     monkeypatch):
    from nasbench_ui.estimators import metrics, trainer

    est = EarlyStopEstimator(learning_rate=0.0, latency_runs=2, epochs=6, patience=1,
                             subset=1.0, median_stop=False)
    latency_calls, moves = [], []
    real_latency, real_of = metrics.measure_latency, trainer.Splits.of.__func__
    monkeypatch.setattr(metrics, "measure_latency",
                        lambda *a, **k: latency_calls.append(1) or real_latency(*a, **k))
    monkeypatch.setattr(trainer.Splits, "of",
                        classmethod(lambda cls, d, dev: moves.append(dev) or real_of(cls, d, dev)))
    errors = []
    for number in range(3):
        with pytest.raises(Pruned) as info:
            est.estimate(ARCH, make_ctx(tiny, small_digits, number=number))
        errors.append(info.value)
    for err in errors:  # pruned at epoch 2, with all three metrics
        assert err.metrics["epochs"] == 2
        assert err.metrics["params"] == 32 * 64 + 32 + 32 * 10 + 10
        assert err.metrics["flops"] == 2 * (64 * 32 + 32 * 10)
        assert err.metrics["latency_ms"] > 0
    assert errors[0].metrics["latency_ms"] == errors[2].metrics["latency_ms"]  # cached
    assert len(latency_calls) == 1  # measured once for the architecture
    assert moves == ["cpu"]  # and the data set moved to the device once, for every trial
    done = EarlyStopEstimator(epochs=1, subset=0.3, latency_runs=0).estimate(
        ARCH, make_ctx(tiny, small_digits))
    assert {"params", "flops"} <= set(done.metrics) and "latency_ms" not in done.metrics

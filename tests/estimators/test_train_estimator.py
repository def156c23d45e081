"""The ``train`` estimator: reproducible full training with metrics and clean failures."""

from __future__ import annotations

import pytest
import torch
from conftest import SMALL_CNN

from nasbench_ui.estimators import Interrupted, TrainEstimator, TrialFailed, create
from nasbench_ui.estimators import trainer as trainer_mod
from nasbench_ui.estimators.metrics import count_params
from nasbench_ui.space import Categorical, Edge, IntRange, SearchSpace


def _without_time(curve):
    return [{k: v for k, v in p.items() if k != "time_s"} for p in curve]


def test_same_seed_and_number_give_identical_curves(cnn, small_digits, make_ctx):
    est = TrainEstimator(epochs=2, latency_runs=0)
    runs = []
    for _ in range(2):
        ctx = make_ctx(cnn, small_digits, seed=3, number=5)
        runs.append((est.estimate(dict(SMALL_CNN), ctx), ctx.curve))
    (a, curve_a), (b, curve_b) = runs
    assert _without_time(curve_a) == _without_time(curve_b)
    assert a.value == b.value and a.metrics["test_acc"] == b.metrics["test_acc"]
    for pa, pb in zip(a.model.state_dict().values(), b.model.state_dict().values(), strict=True):
        assert torch.equal(pa, pb)
    other = make_ctx(cnn, small_digits, seed=3, number=6)
    est.estimate(dict(SMALL_CNN), other)
    assert _without_time(other.curve) != _without_time(curve_a)  # another trial, another seed


def test_one_point_per_epoch_and_metrics(cnn, small_digits, make_ctx):
    ctx = make_ctx(cnn, small_digits)
    est = TrainEstimator(epochs=3, latency_runs=2).estimate(dict(SMALL_CNN), ctx)
    assert [p["epoch"] for p in ctx.curve] == [1, 2, 3]
    for p in ctx.curve:
        assert set(p) == {"epoch", "train_loss", "valid_acc", "time_s"}
        assert 0.0 <= p["valid_acc"] <= 1.0 and p["train_loss"] > 0 and p["time_s"] > 0
    assert [p["time_s"] for p in ctx.curve] == sorted(p["time_s"] for p in ctx.curve)
    m = est.metrics
    assert est.value == m["valid_acc"] == ctx.curve[-1]["valid_acc"]
    assert m["train_loss"] == ctx.curve[-1]["train_loss"]
    assert 0.0 <= m["test_acc"] <= 1.0
    assert m["params"] == count_params(est.model) > 0
    assert m["flops"] > 0 and m["latency_ms"] > 0 and m["epochs"] == 3
    assert next(est.model.parameters()).device.type == "cpu" and not est.model.training


def test_latency_runs_zero_skips_latency(cnn, small_digits, make_ctx):
    est = TrainEstimator(epochs=1, latency_runs=0).estimate(dict(SMALL_CNN),
                                                            make_ctx(cnn, small_digits))
    assert "latency_ms" not in est.metrics and est.metrics["flops"] > 0


def test_global_rng_is_left_alone(cnn, small_digits, make_ctx):
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    TrainEstimator(epochs=1, latency_runs=1).estimate(dict(SMALL_CNN), make_ctx(cnn, small_digits))
    assert torch.equal(torch.random.get_rng_state(), before)


def test_learns_digits_above_chance(cnn, digits, make_ctx):
    est = TrainEstimator(epochs=3, latency_runs=0).estimate(dict(SMALL_CNN), make_ctx(cnn, digits))
    print(f"keras_cnn on digits after 3 epochs: valid {est.value:.3f}, "
          f"test {est.metrics['test_acc']:.3f}")
    assert est.value > 0.5 and est.metrics["test_acc"] > 0.5


def _hp_space(**choices):
    hparams = [IntRange("units", 16, 32, 16)]
    hparams += [Categorical(label, values) for label, values in choices.items()]
    return SearchSpace("hp", nodes=["input", "h", "output"], edges=[
        Edge("input", "h", ["flatten"]),
        Edge("h", "output", ["linear"], bind={"units": "units"}),
    ], hparams=hparams)


def test_reserved_decisions_override_options(small_digits, make_ctx, monkeypatch):
    space = _hp_space(learning_rate=[0.05], optimizer=["sgd"], batch_size=[32], epochs=[2])
    made = []
    real = trainer_mod.make_optimizer

    def spy(model, config):
        opt = real(model, config)
        made.append(opt)
        return opt

    monkeypatch.setattr(trainer_mod, "make_optimizer", spy)
    arch = {"units": 16, "learning_rate": 0.05, "optimizer": "sgd", "batch_size": 32, "epochs": 2}
    ctx = make_ctx(space, small_digits)
    est = TrainEstimator(epochs=5, optimizer="adam", learning_rate=1e-3, batch_size=64,
                         latency_runs=0).estimate(arch, ctx)
    assert len(made) == 1 and isinstance(made[0], torch.optim.SGD)
    assert made[0].param_groups[0]["lr"] == 0.05
    assert len(ctx.curve) == 2 and est.metrics["epochs"] == 2
    # decided by the architecture: shown in its own columns, not repeated in the metrics
    assert not {"optimizer", "learning_rate", "batch_size"} & set(est.metrics)
    partly = _hp_space(optimizer=["sgd"])
    est = TrainEstimator(epochs=1, learning_rate=0.02, batch_size=50, latency_runs=0).estimate(
        {"units": 16, "optimizer": "sgd"}, make_ctx(partly, small_digits))
    assert isinstance(made[-1], torch.optim.SGD) and made[-1].param_groups[0]["lr"] == 0.02
    assert est.metrics["learning_rate"] == 0.02 and est.metrics["batch_size"] == 50
    assert "optimizer" not in est.metrics


def test_bad_reserved_decision_is_named(small_digits, make_ctx):
    space = _hp_space(optimizer=["rmsprop"])
    with pytest.raises(ValueError, match=r"'optimizer'.*one of \['adam', 'sgd'\]"):
        TrainEstimator(epochs=1).estimate({"units": 16, "optimizer": "rmsprop"},
                                          make_ctx(space, small_digits))


def test_nan_loss_fails_the_trial(small_digits, make_ctx, custom_ops):
    space = SearchSpace("nan", nodes=["input", "h", "output"], edges=[
        Edge("input", "h", ["nan_op"]), Edge("h", "output", ["flatten"])])
    ctx = make_ctx(space, small_digits)
    with pytest.raises(TrialFailed, match=r"loss became NaN at epoch 1, batch 1; try a lower"):
        TrainEstimator(epochs=2, latency_runs=0).estimate({}, ctx)
    assert ctx.curve == []


def test_huge_learning_rate_diverges_to_nan(small_digits, make_ctx):
    est = TrainEstimator(epochs=5, optimizer="sgd", learning_rate=1e6, latency_runs=0)
    space = _hp_space()  # no learning_rate decision: the option applies
    ctx = make_ctx(space, small_digits)
    with pytest.raises(TrialFailed, match=r"loss became NaN at epoch \d+, batch \d+"):
        est.estimate({"units": 32}, ctx)


def test_out_of_memory_becomes_a_failed_trial(small_digits, make_ctx, custom_ops):
    space = SearchSpace("oom", nodes=["input", "h", "output"], edges=[
        Edge("input", "h", ["oom_op"]), Edge("h", "output", ["flatten"])])
    with pytest.raises(TrialFailed, match=r"out of memory on cpu: CUDA out of memory.*"
                                          r"try a smaller batch_size"):
        TrainEstimator(epochs=1).estimate({}, make_ctx(space, small_digits))


def test_other_errors_pass_through(small_digits, make_ctx, custom_ops):
    space = SearchSpace("broken", nodes=["input", "h", "output"], edges=[
        Edge("input", "h", ["broken_op"]), Edge("h", "output", ["flatten"])])
    with pytest.raises(RuntimeError, match="shape mismatch inside a custom op"):
        TrainEstimator(epochs=1).estimate({}, make_ctx(space, small_digits))


def test_stop_request_interrupts(cnn, small_digits, make_ctx):
    flag = {"stop": False}
    ctx = make_ctx(cnn, small_digits, stop_fn=lambda: flag["stop"],
                   report_fn=lambda point: flag.update(stop=True))
    with pytest.raises(Interrupted, match="stopped"):
        TrainEstimator(epochs=5).estimate(dict(SMALL_CNN), ctx)
    assert [p["epoch"] for p in ctx.curve] == [1]
    ctx = make_ctx(cnn, small_digits, stop_fn=lambda: True)
    with pytest.raises(Interrupted):
        TrainEstimator(epochs=5).estimate(dict(SMALL_CNN), ctx)
    assert ctx.curve == []


def test_stop_is_checked_between_batches(cnn, digits, make_ctx):
    calls = []
    ctx = make_ctx(cnn, digits, stop_fn=lambda: calls.append(1) or len(calls) > 2)
    with pytest.raises(Interrupted):  # 17 batches per epoch: the third check is mid-epoch 1
        TrainEstimator(epochs=1, batch_size=32).estimate(dict(SMALL_CNN), ctx)
    assert ctx.curve == []


def test_missing_dataset_is_a_clear_error(cnn, make_ctx):
    with pytest.raises(ValueError, match="needs a dataset"):
        TrainEstimator(epochs=1).estimate(dict(SMALL_CNN), make_ctx(cnn, None))


def test_options_are_checked(cnn):
    with pytest.raises(ValueError, match=r"'epochs' must be >= 1"):
        create("train", {"epochs": 0})
    with pytest.raises(ValueError, match=r"'optimizer' must be one of \['adam', 'sgd'\]"):
        create("train", {"optimizer": "lbfgs"})
    with pytest.raises(ValueError, match=r"'optimizer' must be one of"):
        TrainEstimator(optimizer="lbfgs")

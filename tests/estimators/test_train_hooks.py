"""Training hooks of the shared loop: schedule, label smoothing, augmentation, mixed precision."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nasbench_ui import estimators
from nasbench_ui.estimators.base import EstimateContext, TrialFailed
from nasbench_ui.estimators.callbacks import Callback
from nasbench_ui.estimators.train_hooks import Augmentation, Precision, schedule_rates
from nasbench_ui.estimators.trainer import HOOK_OPTIONS, Splits, TrainConfig, fit


def _vectors(n: int = 96, features: int = 6, seed: int = 0) -> Splits:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=g)
    y = (x[:, 0] > 0).long()
    return Splits(x, y, x, y, None, None)


def _images(n: int = 64, seed: int = 0) -> Splits:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, 8, 8, generator=g)
    y = (x.mean(dim=(1, 2, 3)) > 0).long()
    return Splits(x, y, x, y, None, None)


class Snapshots(Callback):
    """Keeps a copy of the weights at the start and after each epoch."""

    def __init__(self) -> None:
        self.weights: list[dict[str, torch.Tensor]] = []

    def on_train_start(self, trial: Any) -> None:
        self.weights.append({k: v.detach().clone() for k, v in trial.model.state_dict().items()})

    def on_epoch_end(self, trial: Any, epoch: int, metrics: dict[str, Any]) -> None:
        self.weights.append({k: v.detach().clone() for k, v in trial.model.state_dict().items()})


def _fit(model: nn.Module, data: Splits, callbacks: tuple[Any, ...] = (), **cfg: Any
         ) -> tuple[Any, EstimateContext]:
    ctx = EstimateContext(space=None, dataset=None, callbacks=callbacks)
    torch.manual_seed(0)
    result = fit(model, data, TrainConfig(**cfg), ctx, torch.Generator().manual_seed(0))
    return result, ctx


def test_schedule_rates_by_hand() -> None:
    cos = schedule_rates("cosine", 0.2, 5)
    assert cos == pytest.approx([0.2 * (1 + math.cos(math.pi * e / 5)) / 2 for e in range(5)])
    assert schedule_rates("step", 1.0, 9) == pytest.approx([1, 1, 1, .1, .1, .1, .01, .01, .01])
    with pytest.raises(ValueError, match="unknown schedule 'linear'"):
        schedule_rates("linear", 1.0, 3)


def test_the_schedule_drives_the_optimizer_and_shows_in_the_curve() -> None:
    # step with gamma 0 after one epoch: the rate is 0 from epoch 2, so the weights freeze
    snap = Snapshots()
    _, ctx = _fit(nn.Linear(6, 2), _vectors(), (snap,), epochs=3, batch_size=16,
                  optimizer="sgd", learning_rate=0.1, schedule="step", step_size=1,
                  step_gamma=0.0)
    assert [p["lr"] for p in ctx.curve] == [0.1, 0.0, 0.0]
    start, *epochs = snap.weights
    assert not torch.equal(start["weight"], epochs[0]["weight"])  # epoch 1 learns
    assert torch.equal(epochs[0]["weight"], epochs[1]["weight"])  # then the rate is 0
    assert torch.equal(epochs[1]["weight"], epochs[2]["weight"])
    # without a schedule the weights move every epoch and no lr is recorded
    plain = Snapshots()
    _, ctx = _fit(nn.Linear(6, 2), _vectors(), (plain,), epochs=3, batch_size=16,
                  optimizer="sgd", learning_rate=0.1)
    assert "lr" not in ctx.curve[0]
    assert not torch.equal(plain.weights[2]["weight"], plain.weights[3]["weight"])


@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_label_smoothing_is_the_loss_trained_on(smoothing: float) -> None:
    # learning rate 0: the weights never move, so the epoch's mean loss is the loss of the
    # initial model on the whole train split
    data = _vectors()
    torch.manual_seed(1)
    model = nn.Linear(6, 2)
    with torch.no_grad():
        expected = float(F.cross_entropy(model(data.x_train), data.y_train,
                                         label_smoothing=smoothing))
    result, _ = _fit(model, data, epochs=1, batch_size=32, learning_rate=0.0,
                     label_smoothing=smoothing)
    assert result.train_loss == pytest.approx(expected, rel=1e-5)


def test_augmentation_matches_a_per_sample_pad_crop_and_flip() -> None:
    x = torch.randn(5, 2, 4, 6, generator=torch.Generator().manual_seed(0))
    aug = Augmentation("crop_flip", padding=2)
    shifts, flips = aug.draw(5, 2, torch.Generator().manual_seed(3), torch.device("cpu"))
    out = aug.apply(x, shifts, flips, 2)
    for i in range(5):
        padded = F.pad(x[i], (2, 2, 2, 2))
        r, c = int(shifts[i, 0]), int(shifts[i, 1])
        want = padded[:, r:r + 4, c:c + 6]
        if flips[i]:
            want = want.flip(-1)
        assert torch.equal(out[i], want)
    assert int(shifts.min()) >= 0 and int(shifts.max()) <= 4


def test_augmentation_draws_are_seeded_and_default_padding_is_an_eighth() -> None:
    aug = Augmentation("crop_flip")
    assert aug.check(torch.zeros(2, 3, 32, 32)) == 4 and aug.check(torch.zeros(2, 1, 8, 8)) == 1
    assert Augmentation("flip").check(torch.zeros(2, 1, 8, 8)) == 0
    a = aug.draw(50, 4, torch.Generator().manual_seed(7), torch.device("cpu"))
    b = aug.draw(50, 4, torch.Generator().manual_seed(7), torch.device("cpu"))
    assert all(torch.equal(u, v) for u, v in zip(a, b, strict=True))
    assert 0 < int(a[1].sum()) < 50  # some flipped, some not


def test_augmented_training_differs_and_non_image_data_fails_clearly() -> None:
    def net() -> nn.Module:
        torch.manual_seed(0)
        return nn.Sequential(nn.Flatten(), nn.Linear(64, 2))

    plain, _ = _fit(net(), _images(), epochs=2, batch_size=16)
    aug, ctx = _fit(net(), _images(), epochs=2, batch_size=16, augment="crop_flip")
    assert len(ctx.curve) == 2 and math.isfinite(aug.train_loss)
    assert aug.train_loss != plain.train_loss
    with pytest.raises(TrialFailed, match=r"augment='flip' needs image samples of shape "
                                          r"\(C, H, W\); this data set's samples have shape "
                                          r"\(6,\)\. Set augment='none'"):
        _fit(nn.Linear(6, 2), _vectors(), epochs=1, augment="flip")


def test_amp_on_the_cpu_trains_in_bfloat16_with_a_finite_accuracy() -> None:
    dtypes: list[torch.dtype] = []
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 2))
    model[1].register_forward_hook(lambda m, i, o: dtypes.append(o.dtype) if m.training else None)
    result, _ = _fit(model, _images(), epochs=2, batch_size=16, learning_rate=1e-2, amp=True)
    assert dtypes and set(dtypes) == {torch.bfloat16}
    assert math.isfinite(result.train_loss) and 0.5 < result.valid_acc <= 1.0
    assert all(p.dtype == torch.float32 for p in model.parameters())  # weights stay float32
    assert Precision(True, "cpu").scaler is None


def test_amp_refuses_a_device_it_does_not_run_on() -> None:
    with pytest.raises(TrialFailed, match="amp \\(mixed precision\\) runs on cuda and cpu, "
                                          "not on meta"):
        Precision(True, "meta")
    assert not Precision(False, "meta").enabled


@pytest.mark.parametrize("name", ["train", "early_stop", "lce"])
def test_hook_options_are_declared_and_checked(name: str) -> None:
    assert set(HOOK_OPTIONS) <= set(estimators.options(name))
    est = estimators.create(name, {"schedule": "cosine", "amp": True, "augment": "crop",
                                   "label_smoothing": 0.1, "latency_runs": 0})
    assert est.options["schedule"] == "cosine" and est.options["amp"] is True
    with pytest.raises(ValueError, match="option 'amp' must be of type bool, got 'yes'"):
        estimators.create(name, {"amp": "yes"})
    with pytest.raises(ValueError, match=r"option 'schedule' must be one of \['none', "
                                         r"'cosine', 'step'\], got 'linear'"):
        estimators.create(name, {"schedule": "linear"})
    with pytest.raises(ValueError, match="option 'label_smoothing' must be <= 0.99"):
        estimators.create(name, {"label_smoothing": 1.5})


def test_an_experiment_with_amp_and_every_hook_trains_on_the_cpu() -> None:
    import nasbench_ui as nb

    options = {"epochs": 3, "subset": 0.3, "latency_runs": 0, "amp": True,
               "schedule": "cosine", "weight_decay": 1e-4, "label_smoothing": 0.1,
               "augment": "crop_flip", "median_stop": False, "patience": 3}
    exp = nb.Experiment(nb.spaces.keras_cnn(), strategy="random", estimator="early_stop",
                        estimator_options=options, dataset="digits", trials=1, seed=0,
                        device="cpu")
    (t,) = exp.run().trials
    assert t.state.name == "COMPLETE", t.error
    assert math.isfinite(t.value) and 0.0 <= t.value <= 1.0
    base = t.arch["learning_rate"]  # keras_cnn decides it; the schedule starts from it
    assert [p["lr"] for p in t.curve] == pytest.approx(schedule_rates("cosine", base, 3))


def test_augmenting_non_image_data_fails_each_trial_with_the_reason() -> None:
    import numpy as np

    import nasbench_ui as nb
    from nasbench_ui.data import from_arrays

    rng = np.random.default_rng(0)
    data = from_arrays(rng.normal(size=(120, 64)), np.arange(120) % 3, name="vectors")
    exp = nb.Experiment(nb.spaces.mlp(), strategy="random", estimator="early_stop",
                        estimator_options={"epochs": 1, "augment": "crop_flip",
                                           "latency_runs": 0},
                        dataset=data, trials=2, seed=0)
    trials = exp.run().trials
    assert [t.state.name for t in trials] == ["FAILED", "FAILED"]  # the search went on
    assert "augment='crop_flip' needs image samples of shape (C, H, W); this data set's " \
           "samples have shape (64,)" in (trials[1].error or "")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_on_cuda_the_data_stays_on_the_device_and_amp_runs_in_float16() -> None:
    from nasbench_ui.data import load
    from nasbench_ui.estimators.train import DataCache

    ds = load("digits")
    data = DataCache().get(ds, "cuda")
    assert all(t.device.type == "cuda" for t in (data.x_train, data.y_train, data.x_valid))
    dtypes: list[torch.dtype] = []
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)).cuda()
    model[1].register_forward_hook(lambda m, i, o: dtypes.append(o.dtype) if m.training else None)
    ctx = EstimateContext(space=None, dataset=None, device="cuda")
    cfg = TrainConfig(epochs=2, batch_size=32, learning_rate=1e-2, amp=True, augment="crop_flip")
    result = fit(model, data, cfg, ctx, torch.Generator().manual_seed(0))
    assert set(dtypes) == {torch.float16} and Precision(True, "cuda").scaler is not None
    assert math.isfinite(result.train_loss) and result.valid_acc > 0.5

"""The shared training loop: configuration, seeding, NaN detection, out-of-memory guard."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nasbench_ui.estimators import EstimateContext, TrialFailed
from nasbench_ui.estimators.trainer import (
    Splits,
    TrainConfig,
    fit,
    is_out_of_memory,
    oom_guard,
    trial_seed,
)


def test_config_reads_reserved_decisions():
    opts = {"epochs": 4, "optimizer": "adam", "learning_rate": 1e-3}
    cfg = TrainConfig.resolve(opts, {"learning_rate": 1, "epochs": 2, "filters": 8})
    assert cfg == TrainConfig(epochs=2, batch_size=64, optimizer="adam", learning_rate=1.0)
    with pytest.raises(ValueError, match=r"decision: option 'batch_size' must be >= 1, got 0"):
        TrainConfig.resolve(opts, {"batch_size": 0})


def test_trial_seeds_differ():
    seeds = {trial_seed(s, n) for s in range(20) for n in range(50)}
    assert len(seeds) == 1000


def test_nan_is_located_at_its_batch():
    class NanLater(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin, self.calls = nn.Linear(2, 2), 0

        def forward(self, x):
            self.calls += self.training  # count training batches only
            out = self.lin(x)
            return out * float("nan") if self.calls == 20 and self.training else out

    x, y = torch.randn(40, 2), torch.randint(0, 2, (40,))
    ctx = EstimateContext(space=None, dataset=None)
    cfg = TrainConfig(epochs=3, batch_size=4)  # 10 batches an epoch: call 20 is epoch 2, batch 10
    with pytest.raises(TrialFailed, match="loss became NaN at epoch 2, batch 10; try a lower"):
        fit(NanLater(), Splits(x, y, x, y, None, None), cfg, ctx, torch.Generator(), check_every=3)
    assert [p["epoch"] for p in ctx.curve] == [1]


def test_oom_guard():
    def boom():
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 8 GiB\nmore")

    with pytest.raises(TrialFailed, match=r"^out of memory on cuda:0: CUDA out of memory\. Tried "
                                          r"to allocate 8 GiB; try a smaller batch_size$"):
        oom_guard("cuda:0", boom)
    assert oom_guard("cpu", lambda a: a + 1, 1) == 2
    assert is_out_of_memory(RuntimeError("MPS backend out of memory"))
    assert not is_out_of_memory(RuntimeError("size mismatch"))
    with pytest.raises(KeyError):
        oom_guard("cpu", {}.__getitem__, "k")


class _Moves(torch.overrides.TorchFunctionMode):
    """Counts the calls that move or copy a tensor between devices or from the host."""

    NAMES = ("to", "cuda", "copy_", "pin_memory", "as_tensor", "from_numpy")

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in self.NAMES:
            self.calls.append(f"{name}:{len(args[0]) if args else '?'}")
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("augment,per_epoch", [("none", 1), ("crop_flip", 3)])
def test_no_batch_is_copied_from_the_host(augment, per_epoch):
    """The data set stays where Splits put it: each batch is an index into it. Only the
    epoch's order (and the epoch's augmentation draws) move, once per epoch, not per batch."""
    x, y = torch.randn(200, 1, 8, 8), torch.randint(0, 2, (200,))
    data = Splits.of(type("D", (), {"x_train": x, "y_train": y, "x_valid": x[:50],
                                    "y_valid": y[:50]})(), "cpu")
    assert all(t.device == torch.device("cpu") for t in (data.x_train, data.y_valid))
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 2))
    ctx = EstimateContext(space=None, dataset=None)
    cfg = TrainConfig(epochs=3, batch_size=8, augment=augment)  # 25 batches an epoch
    with _Moves() as moves:
        fit(model, data, cfg, ctx, torch.Generator().manual_seed(0))
    assert moves.calls == ["to:200"] * (per_epoch * 3)  # the epoch's 200 indices or draws


def test_hook_options_resolve_with_their_defaults():
    cfg = TrainConfig.resolve({"schedule": "cosine", "amp": True}, {"epochs": 2})
    assert (cfg.schedule, cfg.amp, cfg.epochs, cfg.label_smoothing, cfg.augment) == \
        ("cosine", True, 2, 0.0, "none")
    assert TrainConfig.resolve({}, {}) == TrainConfig()

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

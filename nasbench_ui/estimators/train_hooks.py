"""The optional parts of the training loop: learning-rate schedule, augmentation and
mixed precision (used by :func:`~nasbench_ui.estimators.trainer.fit`).

* **Schedule** (per epoch): ``cosine`` anneals the rate from its value to 0 over the
  epochs (Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts",
  ICLR 2017, without restarts): epoch ``e`` trains at
  ``lr * (1 + cos(pi * (e - 1) / epochs)) / 2``; ``step`` multiplies it by ``gamma``
  every ``step_size`` epochs (default: a third of the epochs).
* **Augmentation** of image batches ``(N, C, H, W)`` on the data's device (He, Zhang,
  Ren & Sun, "Deep Residual Learning for Image Recognition", CVPR 2016: pad by ``p``
  pixels of zeros, crop back at a random offset, flip horizontally with probability
  1/2). The random offsets and flips of an epoch are drawn at once from the trial's
  seeded generator and moved to the device once, never per batch.
* **Mixed precision** (Micikevicius et al., "Mixed Precision Training", ICLR 2018):
  the forward pass and the loss run under ``torch.autocast``: float16 with a
  ``GradScaler`` on CUDA, bfloat16 (no scaler needed) on the CPU. The weights stay
  float32.

Example:
    >>> import torch
    >>> x = torch.arange(2 * 1 * 3 * 3, dtype=torch.float32).reshape(2, 1, 3, 3)
    >>> aug = Augmentation("flip", padding=0)
    >>> shifts, flips = torch.zeros(2, 2, dtype=torch.long), torch.tensor([True, False])
    >>> aug.apply(x, shifts, flips)[0, 0, 0].tolist(), aug.apply(x, shifts, flips)[1, 0, 0].tolist()
    ([2.0, 1.0, 0.0], [9.0, 10.0, 11.0])
    >>> [round(lr, 3) for lr in schedule_rates("cosine", 1.0, 4)]
    [1.0, 0.854, 0.5, 0.146]
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import torch

from .base import TrialFailed

SCHEDULES = ("none", "cosine", "step")
AUGMENTS = ("none", "crop_flip", "crop", "flip")
AMP_DEVICES = ("cuda", "cpu")


def step_size_for(epochs: int, step_size: int | None) -> int:
    """``step_size``, or a third of ``epochs`` (at least 1) when it is None."""
    return int(step_size) if step_size is not None else max(1, int(epochs) // 3)


def schedule_rates(schedule: str, lr: float, epochs: int, step_size: int | None = None,
                   gamma: float = 0.1) -> list[float]:
    """The learning rate of each epoch 1..``epochs`` under ``schedule``.

    Example:
        >>> schedule_rates("step", 1.0, 6, step_size=2, gamma=0.5)
        [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
        >>> schedule_rates("none", 0.1, 2)
        [0.1, 0.1]
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r}; choose one of {list(SCHEDULES)}")
    if schedule == "cosine":
        return [lr * (1 + math.cos(math.pi * e / epochs)) / 2 for e in range(epochs)]
    if schedule == "step":
        size = step_size_for(epochs, step_size)
        return [lr * gamma ** (e // size) for e in range(epochs)]
    return [lr] * epochs


def set_rate(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Set every parameter group's learning rate to ``lr``."""
    for group in optimizer.param_groups:
        group["lr"] = lr


class Augmentation:
    """Random crop with zero padding and/or horizontal flip of image batches.

    ``mode`` is one of :data:`AUGMENTS`; ``padding`` None means an eighth of the
    image's shorter side, at least 1 (4 pixels for 32x32, 1 for 8x8).
    """

    def __init__(self, mode: str, padding: int | None = None) -> None:
        if mode not in AUGMENTS:
            raise ValueError(f"unknown augment {mode!r}; choose one of {list(AUGMENTS)}")
        self.mode, self.padding = mode, padding
        self.crop = mode in ("crop_flip", "crop")
        self.flip = mode in ("crop_flip", "flip")

    @property
    def active(self) -> bool:
        return self.mode != "none"

    def check(self, x: torch.Tensor) -> int:
        """The padding for samples like ``x``; TrialFailed unless they are images."""
        if x.dim() != 4:
            raise TrialFailed(
                f"augment={self.mode!r} needs image samples of shape (C, H, W); this data "
                f"set's samples have shape {tuple(x.shape[1:])}. Set augment='none' for "
                f"non-image data")
        pad = self.padding if self.padding is not None else max(1, min(x.shape[2:]) // 8)
        return int(pad) if self.crop else 0

    def draw(self, n: int, pad: int, generator: torch.Generator,
             device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """``(shifts (n, 2), flips (n,))`` for one epoch, drawn on the CPU from
        ``generator`` and moved to ``device`` once."""
        shifts = (torch.randint(0, 2 * pad + 1, (n, 2), generator=generator) if pad
                  else torch.zeros((n, 2), dtype=torch.long))
        flips = (torch.rand(n, generator=generator) < 0.5 if self.flip
                 else torch.zeros(n, dtype=torch.bool))
        return shifts.to(device), flips.to(device)

    def apply(self, x: torch.Tensor, shifts: torch.Tensor, flips: torch.Tensor,
              pad: int | None = None) -> torch.Tensor:
        """The augmented batch: sample ``i`` padded, cropped at ``shifts[i]`` (row,
        column offsets in the padded image) and mirrored when ``flips[i]``."""
        pad = self.check(x) if pad is None else pad
        n, c, h, w = x.shape
        xp = torch.nn.functional.pad(x, (pad, pad, pad, pad)) if pad else x
        dev = x.device
        rows = shifts[:, :1] + torch.arange(h, device=dev)  # (n, h)
        cols_fwd = torch.arange(w, device=dev)
        cols = torch.where(flips[:, None], cols_fwd.flip(0), cols_fwd) + shifts[:, 1:]  # (n, w)
        b = torch.arange(n, device=dev)[:, None, None, None]
        ch = torch.arange(c, device=dev)[None, :, None, None]
        return xp[b, ch, rows[:, None, :, None], cols[:, None, None, :]]


class Precision:
    """Autocast (and on CUDA a gradient scaler) for one training run, or nothing.

    Example:
        >>> p = Precision(True, "cpu")
        >>> with p.autocast():
        ...     (torch.ones(2, 2) @ torch.ones(2, 2)).dtype
        torch.bfloat16
        >>> p.scaler is None, Precision(False, "cpu").enabled
        (True, False)
    """

    def __init__(self, enabled: bool, device: str | torch.device) -> None:
        dev = torch.device(device)
        if enabled and dev.type not in AMP_DEVICES:
            raise TrialFailed(f"amp (mixed precision) runs on {' and '.join(AMP_DEVICES)}, "
                              f"not on {dev.type}; set amp=False")
        self.enabled, self.device_type = bool(enabled), dev.type
        self.dtype = torch.float16 if dev.type == "cuda" else torch.bfloat16
        self.scaler = (torch.amp.GradScaler("cuda")
                       if self.enabled and dev.type == "cuda" else None)

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        if not self.enabled:
            yield
            return
        with torch.autocast(device_type=self.device_type, dtype=self.dtype):
            yield

    def step(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer) -> None:
        """Backward pass and optimizer step (scaled on CUDA)."""
        if self.scaler is None:
            loss.backward()
            optimizer.step()
            return
        self.scaler.scale(loss).backward()
        self.scaler.step(optimizer)
        self.scaler.update()

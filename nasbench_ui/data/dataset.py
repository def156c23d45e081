"""The ``Dataset`` record: train / valid / test tensors of one classification task.

Example:
    >>> import torch
    >>> x, y = torch.zeros(4, 3), torch.tensor([0, 1, 0, 1])
    >>> d = Dataset("toy", x, y, x, y, x, y, input_shape=(3,), num_classes=2)
    >>> d.summary()["n_train"], d.subset(2, seed=0).summary()["n_train"]
    (4, 2)
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from .split import stratified_take

_SPLITS = ("train", "valid", "test")


@dataclass(frozen=True, eq=False)
class Dataset:
    """A classification data set split three ways.

    ``x_*`` are float32 tensors of shape ``(N, *input_shape)``; ``y_*`` are int64 class
    indices in ``[0, num_classes)``. ``meta`` holds JSON-able facts (source, seed,
    normalisation statistics, subset).
    """

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_valid: torch.Tensor
    y_valid: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    input_shape: tuple[int, ...]
    num_classes: int
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        where = f"Dataset {self.name!r}"
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"Dataset name must be a non-empty str, got {self.name!r}")
        shape = tuple(self.input_shape) if isinstance(self.input_shape, (tuple, list)) else None
        if (shape is None or not 1 <= len(shape) <= 3
                or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in shape)):
            raise ValueError(
                f"{where}: input_shape must be (F,), (T, F) or (C, H, W) of positive ints, "
                f"got {self.input_shape!r}"
            )
        object.__setattr__(self, "input_shape", shape)
        k = self.num_classes
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 2:
            raise ValueError(f"{where}: num_classes must be an int >= 2, got {k!r}")
        object.__setattr__(self, "num_classes", int(k))
        if not isinstance(self.meta, dict):
            raise ValueError(f"{where}: meta must be a dict, got {type(self.meta).__name__}")
        for split in _SPLITS:
            x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            if not isinstance(x, torch.Tensor) or x.dtype != torch.float32:
                raise ValueError(f"{where}: x_{split} must be a float32 torch.Tensor, got {_what(x)}")
            if not isinstance(y, torch.Tensor) or y.dtype != torch.int64 or y.dim() != 1:
                raise ValueError(f"{where}: y_{split} must be a 1-D int64 torch.Tensor, got {_what(y)}")
            if tuple(x.shape[1:]) != shape or len(x) != len(y):
                raise ValueError(
                    f"{where}: x_{split} has shape {tuple(x.shape)} and y_{split} length "
                    f"{len(y)}; expected (N, *{shape}) features and N labels"
                )
            if len(y) and (int(y.min()) < 0 or int(y.max()) >= k):
                raise ValueError(
                    f"{where}: y_{split} holds labels outside [0, {k}): "
                    f"min {int(y.min())}, max {int(y.max())}"
                )
        if len(self.y_train) == 0:
            raise ValueError(f"{where}: the train split is empty")

    def __repr__(self) -> str:
        s = self.summary()
        return (f"Dataset({self.name!r}, input_shape={self.input_shape}, num_classes="
                f"{self.num_classes}, train={s['n_train']}, valid={s['n_valid']}, test={s['n_test']})")

    def subset(self, fraction_or_n: float | int, seed: int = 0) -> Dataset:
        """A stratified subset of the train split (valid and test stay whole).

        ``fraction_or_n``: a float in (0, 1] (a fraction) or an int in [1, n_train].

        Example:
            >>> import torch
            >>> x, y = torch.zeros(10, 2), torch.tensor([0] * 6 + [1] * 4)
            >>> d = Dataset("toy", x, y, x, y, x, y, input_shape=(2,), num_classes=2)
            >>> d.subset(0.5, seed=0).y_train.bincount().tolist()
            [3, 2]
        """
        n_all = len(self.y_train)
        v = fraction_or_n
        if isinstance(v, bool) or not isinstance(v, (numbers.Integral, numbers.Real)):
            raise ValueError(f"subset: fraction_or_n must be a float in (0, 1] or an int, got {v!r}")
        if isinstance(v, numbers.Integral):
            if not 1 <= v <= n_all:
                raise ValueError(f"subset: n must be between 1 and the {n_all} training samples, got {v}")
            n = int(v)
        else:
            if not 0 < v <= 1:
                raise ValueError(f"subset: a fraction must be in (0, 1], got {v}; pass an int for a count")
            n = max(1, int(round(float(v) * n_all)))
        idx = stratified_take(self.y_train.cpu().numpy(), n, seed)
        index = torch.as_tensor(idx, dtype=torch.long, device=self.y_train.device)
        meta = {**self.meta, "subset": {"n": n, "of": n_all, "seed": seed}}
        return dataclasses.replace(self, x_train=self.x_train[index], y_train=self.y_train[index],
                                   meta=meta)

    def to(self, device: str | torch.device) -> Dataset:
        """The same data on ``device`` (a new record; this one is unchanged).

        Example:
            >>> import torch
            >>> x, y = torch.zeros(2, 1), torch.tensor([0, 1])
            >>> Dataset("toy", x, y, x, y, x, y, (1,), 2).to("cpu").x_train.device.type
            'cpu'
        """
        moved = {f"{p}_{s}": getattr(self, f"{p}_{s}").to(device) for s in _SPLITS for p in "xy"}
        return dataclasses.replace(self, **moved)

    def summary(self) -> dict[str, Any]:
        """JSON-able facts: sizes, shape, classes, class counts per split, device, meta.

        Example:
            >>> import torch
            >>> x, y = torch.zeros(3, 1), torch.tensor([0, 1, 1])
            >>> Dataset("toy", x, y, x, y, x, y, (1,), 2).summary()["class_counts"]["train"]
            [1, 2]
        """
        counts = {s: np.bincount(getattr(self, f"y_{s}").cpu().numpy(),
                                 minlength=self.num_classes).tolist() for s in _SPLITS}
        return {
            "name": self.name,
            "input_shape": list(self.input_shape),
            "num_classes": self.num_classes,
            "n_train": len(self.y_train),
            "n_valid": len(self.y_valid),
            "n_test": len(self.y_test),
            "class_counts": counts,
            "device": str(self.x_train.device),
            "meta": dict(self.meta),
        }


def _what(v: Any) -> str:
    if isinstance(v, torch.Tensor):
        return f"a {v.dtype} tensor of shape {tuple(v.shape)}"
    return type(v).__name__


def make_dataset(name: str, xs: list[np.ndarray], ys: list[np.ndarray], k: int,
                 meta: dict[str, Any]) -> Dataset:
    """A :class:`Dataset` from train/valid/test arrays (float32 features, int64 labels)."""
    tx = [torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for v in xs]
    ty = [torch.from_numpy(np.ascontiguousarray(v, dtype=np.int64)) for v in ys]
    return Dataset(name, tx[0], ty[0], tx[1], ty[1], tx[2], ty[2],
                   input_shape=tuple(int(v) for v in xs[0].shape[1:]), num_classes=k, meta=meta)

"""The built-in operations: their modules and factories (registered by ``space/ops.py``).

A factory is ``factory(in_shape, **kwargs) -> (module, out_shape)``; ``builtins()`` lists
each with its name, group and one line of documentation. The list of operations, their
sources (DARTS, NAS-Bench-201) and the BatchNorm rule for a batch of one are documented
in :mod:`nasbench_ui.space.ops`.

Example:
    >>> module, out = _conv((1, 8, 8), filters=4)
    >>> type(module).__name__, out
    ('Conv2d', (4, 8, 8))
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

Shape = tuple[int, ...]
Factory = Callable[..., tuple[nn.Module, Shape]]
KINDS = {1: "a vector (F,)", 2: "a sequence (T, F)", 3: "an image (C, H, W)"}


def _need_image(name: str, shape: Shape) -> None:
    if len(shape) != 3:
        raise ValueError(
            f"operation {name!r} needs an image (C, H, W) input; got shape {shape}, "
            f"{KINDS[len(shape)]}. Image operations must come before any 'flatten', "
            "'linear', 'global_avg_pool', 'gru' or 'lstm' in the graph"
        )


def _int_kw(name: str, key: str, value: Any, default: int, low: int = 1) -> int:
    if value is None:
        return default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"operation {name!r}: {key} must be an int >= {low}, got {value!r}")
    return int(value)


def _kernel(name: str, value: Any) -> int:
    k = _int_kw(name, "kernel_size", value, 3)
    if k % 2 == 0:
        raise ValueError(f"operation {name!r}: kernel_size must be odd for 'same' padding, got {k}")
    return k


class _Zero(nn.Module):
    """Zeros of the input's shape (the ``none`` operation)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(x)


def _one_value_per_channel(x: torch.Tensor) -> bool:
    return x.numel() <= x.shape[1]


class _BatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d that uses its running statistics for a single value per channel."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and _one_value_per_channel(x):
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                                False, 0.0, self.eps)
        return super().forward(x)


class _FeatureBatchNorm(nn.BatchNorm1d):
    """BatchNorm over the last dimension of ``(B, F)`` or ``(B, T, F)`` tensors."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        seq = x.dim() == 3
        if seq:
            x = x.transpose(1, 2)  # (B, T, F) -> (B, F, T)
        if self.training and _one_value_per_channel(x):
            y = F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                             False, 0.0, self.eps)
        else:
            y = super().forward(x)
        return y.transpose(1, 2) if seq else y


class _Recurrent(nn.Module):
    """A GRU or LSTM over ``(B, T, F)``; images become rows, vectors one step."""

    def __init__(self, cell: type[nn.RNNBase], features: int, units: int, layers: int) -> None:
        super().__init__()
        self.rnn = cell(features, units, num_layers=layers, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 4:  # (B, C, H, W) -> (B, H, C*W)
            b, c, h, w = x.shape
            x = x.permute(0, 2, 1, 3).reshape(b, h, c * w)
        elif x.dim() == 2:  # (B, F) -> (B, 1, F)
            x = x.unsqueeze(1)
        out, _ = self.rnn(x)
        return out  # (B, T, units)


# ------------------------------------------------------------------------ built-ins
def _conv(shape: Shape, filters: int | None = None, kernel_size: int = 3) -> tuple[nn.Module, Shape]:
    _need_image("conv", shape)
    c, h, w = shape
    f, k = _int_kw("conv", "filters", filters, c), _kernel("conv", kernel_size)
    return nn.Conv2d(c, f, k, padding=k // 2), (f, h, w)


def _image_conv(name: str, k: int, kind: str) -> Factory:
    def factory(shape: Shape, filters: int | None = None) -> tuple[nn.Module, Shape]:
        _need_image(name, shape)
        c, h, w = shape
        f = _int_kw(name, "filters", filters, c)
        if kind == "plain":
            return nn.Conv2d(c, f, k, padding=k // 2), (f, h, w)
        if kind == "nor":
            conv = nn.Conv2d(c, f, k, padding=k // 2, bias=False)
            return nn.Sequential(nn.ReLU(), conv, _BatchNorm2d(f)), (f, h, w)
        d = 2 if kind == "dil" else 1
        depthwise = nn.Conv2d(c, c, k, padding=d * (k // 2), dilation=d, groups=c, bias=False)
        pointwise = nn.Conv2d(c, f, 1, bias=False)
        return nn.Sequential(nn.ReLU(), depthwise, pointwise, _BatchNorm2d(f)), (f, h, w)

    return factory


def _linear(shape: Shape, units: int | None = None) -> tuple[nn.Module, Shape]:
    n = math.prod(shape)
    u = _int_kw("linear", "units", units, n)
    lin = nn.Linear(n, u)
    return (lin if len(shape) == 1 else nn.Sequential(nn.Flatten(), lin)), (u,)


def _rnn(name: str, cell: type[nn.RNNBase]) -> Factory:
    def factory(shape: Shape, units: int = 32, layers: int = 1) -> tuple[nn.Module, Shape]:
        u, n = _int_kw(name, "units", units, 32), _int_kw(name, "layers", layers, 1)
        if len(shape) == 3:
            steps, feats = shape[1], shape[0] * shape[2]
        elif len(shape) == 2:
            steps, feats = shape
        else:
            steps, feats = 1, shape[0]
        return _Recurrent(cell, feats, u, n), (steps, u)

    return factory


def _activation(cls: type[nn.Module]) -> Factory:
    def factory(shape: Shape) -> tuple[nn.Module, Shape]:
        return cls(), shape

    return factory


def _pool(name: str, make: Callable[[], nn.Module], halve: bool) -> Factory:
    def factory(shape: Shape) -> tuple[nn.Module, Shape]:
        _need_image(name, shape)
        c, h, w = shape
        if not halve:
            return make(), shape
        if h < 2 or w < 2:
            raise ValueError(
                f"operation {name!r} halves height and width and needs both >= 2; got shape {shape}"
            )
        return make(), (c, h // 2, w // 2)

    return factory


def _global_avg_pool(shape: Shape) -> tuple[nn.Module, Shape]:
    _need_image("global_avg_pool", shape)
    return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()), (shape[0],)


def _batch_norm(shape: Shape) -> tuple[nn.Module, Shape]:
    return (_BatchNorm2d(shape[0]) if len(shape) == 3 else _FeatureBatchNorm(shape[-1])), shape


def _layer_norm(shape: Shape) -> tuple[nn.Module, Shape]:
    return nn.LayerNorm(list(shape) if len(shape) == 3 else shape[-1]), shape


def _dropout(shape: Shape, rate: float = 0.5) -> tuple[nn.Module, Shape]:
    ok = isinstance(rate, numbers.Real) and not isinstance(rate, bool) and 0 <= rate < 1
    if not ok:
        raise ValueError(f"operation 'dropout': rate must be a number with 0 <= rate < 1, got {rate!r}")
    return nn.Dropout(float(rate)), shape


def _flatten(shape: Shape) -> tuple[nn.Module, Shape]:
    return nn.Flatten(), (math.prod(shape),)


def builtins() -> list[tuple[str, Factory, str, str]]:
    ops: list[tuple[str, Factory, str, str]] = [
        ("conv", _conv, "conv", "Conv2d with kernel_size (default 3), filters, same padding"),
    ]
    for k in (1, 3, 5):
        ops.append((f"conv_{k}x{k}", _image_conv(f"conv_{k}x{k}", k, "plain"), "conv",
                    f"Conv2d {k}x{k}, same padding, stride 1"))
    for k in (3, 5):
        ops.append((f"sep_conv_{k}x{k}", _image_conv(f"sep_conv_{k}x{k}", k, "sep"), "conv",
                    f"ReLU, depthwise {k}x{k}, pointwise 1x1, BatchNorm (DARTS)"))
    for k in (3, 5):
        ops.append((f"dil_conv_{k}x{k}", _image_conv(f"dil_conv_{k}x{k}", k, "dil"), "conv",
                    f"ReLU, dilated (2) depthwise {k}x{k}, pointwise 1x1, BatchNorm (DARTS)"))
    for k in (1, 3):
        ops.append((f"nor_conv_{k}x{k}", _image_conv(f"nor_conv_{k}x{k}", k, "nor"), "conv",
                    f"ReLU, Conv2d {k}x{k}, BatchNorm (NAS-Bench-201)"))
    ops += [
        ("linear", _linear, "linear", "fully connected layer of `units`; flattens its input"),
        ("gru", _rnn("gru", nn.GRU), "recurrent", "GRU of `units`, `layers`; full output sequence"),
        ("lstm", _rnn("lstm", nn.LSTM), "recurrent", "LSTM of `units`, `layers`; full output sequence"),
    ]
    for act, cls in (("relu", nn.ReLU), ("gelu", nn.GELU), ("tanh", nn.Tanh),
                     ("sigmoid", nn.Sigmoid), ("silu", nn.SiLU)):
        ops.append((act, _activation(cls), "activation", f"{cls.__name__} activation"))
    ops += [
        ("max_pool_3x3", _pool("max_pool_3x3", lambda: nn.MaxPool2d(3, 1, 1), False), "pooling",
         "3x3 max pooling, stride 1, shape-preserving"),
        ("avg_pool_3x3", _pool("avg_pool_3x3",
                               lambda: nn.AvgPool2d(3, 1, 1, count_include_pad=False), False),
         "pooling", "3x3 average pooling, stride 1, padding excluded (NAS-Bench-201)"),
        ("max_pool_2x2", _pool("max_pool_2x2", lambda: nn.MaxPool2d(2, 2), True), "pooling",
         "2x2 max pooling, stride 2 (halves height and width)"),
        ("avg_pool_2x2", _pool("avg_pool_2x2", lambda: nn.AvgPool2d(2, 2), True), "pooling",
         "2x2 average pooling, stride 2 (halves height and width)"),
        ("global_avg_pool", _global_avg_pool, "pooling", "average over height and width: (C,)"),
        ("batch_norm", _batch_norm, "normalization", "BatchNorm per channel / feature"),
        ("layer_norm", _layer_norm, "normalization", "LayerNorm over (C, H, W) or the last dim"),
        ("dropout", _dropout, "regularization", "Dropout with `rate` (default 0.5)"),
        ("skip", _activation(nn.Identity), "identity", "identity"),
        ("skip_connect", _activation(nn.Identity), "identity", "identity (NAS-Bench-201 name)"),
        ("none", _activation(_Zero), "identity", "zeros of the input shape (drops the edge)"),
        ("flatten", _flatten, "identity", "flatten to a vector"),
    ]
    return ops

"""Operations registry: named factories that turn an input shape into a module.

An operation is a *factory* ``factory(in_shape, **kwargs) -> (module, out_shape)``.
Shapes have no batch dimension: ``(C, H, W)`` an image, ``(T, F)`` a sequence,
``(F,)`` a vector. A factory raises ``ValueError`` for a shape it cannot take.

Built-in operations, by group:

* conv (images; "same" padding, stride 1; ``filters`` defaults to the input channels):
  ``conv`` (a Conv2d of ``kernel_size``, default 3), ``conv_1x1``, ``conv_3x3``,
  ``conv_5x5``; ``sep_conv_3x3``, ``sep_conv_5x5`` (ReLU, depthwise conv, pointwise
  conv, BatchNorm) and ``dil_conv_3x3``, ``dil_conv_5x5`` (the same with dilation 2),
  after DARTS (Liu, Simonyan & Yang, "DARTS: Differentiable Architecture Search",
  ICLR 2019; DARTS stacks the separable block twice, here it is applied once);
  ``nor_conv_1x1``, ``nor_conv_3x3`` (ReLU, Conv, BatchNorm) after NAS-Bench-201
  (Dong & Yang, "NAS-Bench-201", ICLR 2020).
* linear: ``linear`` (``units``, default the input features; flattens first).
* recurrent: ``gru``, ``lstm`` (``units`` 32, ``layers`` 1, batch first). An image is
  read as H steps of C*W features, a vector as one step. Output: the full sequence.
* activation: ``relu``, ``gelu``, ``tanh``, ``sigmoid``, ``silu`` (any shape).
* pooling (images): ``max_pool_3x3``, ``avg_pool_3x3`` (stride 1, shape-preserving;
  the average excludes padding, as in NAS-Bench-201), ``max_pool_2x2``,
  ``avg_pool_2x2`` (stride 2, floor), ``global_avg_pool`` (image -> ``(C,)``).
* normalization: ``batch_norm`` (per channel for images, per feature otherwise),
  ``layer_norm`` (over ``(C, H, W)`` for images, the last dimension otherwise).
* regularization: ``dropout`` (``rate``, default 0.5).
* identity: ``skip``, ``skip_connect``, ``none`` (zeros), ``flatten``.

BatchNorm and batch size 1: torch refuses to normalise in training mode when a
channel has a single value (a batch of one vector, or of one 1x1 image). The
BatchNorm layers built here then normalise with their running statistics for that
call (as in eval mode, without updating them), so every operation runs on any batch
size. Larger batches behave exactly like ``torch.nn.BatchNorm1d`` / ``BatchNorm2d``.

Example:
    >>> module, out = build_op("conv_3x3", (1, 8, 8), filters=4)
    >>> out
    (4, 8, 8)
    >>> build_op("global_avg_pool", out)[1]
    (4,)
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..registry import Registry

Shape = tuple[int, ...]
Factory = Callable[..., tuple[nn.Module, Shape]]

GROUPS = ("conv", "linear", "recurrent", "activation", "pooling", "normalization",
          "regularization", "identity", "custom")
_KINDS = {1: "a vector (F,)", 2: "a sequence (T, F)", 3: "an image (C, H, W)"}


@dataclass(frozen=True)
class OpSpec:
    """A registered operation. ``params=None`` means the factory takes any keyword."""

    name: str
    factory: Factory
    group: str
    doc: str
    params: tuple[str, ...] | None
    builtin: bool = False


def _check_spec(name: str, spec: OpSpec) -> None:
    if not isinstance(spec, OpSpec):
        raise ValueError(f"operation {name!r}: register a factory through "
                         f"nasbench_ui.space.ops.register, got {type(spec).__name__}")


_REGISTRY: Registry[OpSpec] = Registry(
    "operation", _check_spec, name_pattern=r"^[A-Za-z_][A-Za-z0-9_.\-]*$",
    name_rule="a str of letters, digits, '_', '.' or '-' starting with a letter or '_'",
    hint=" (register your own with nasbench_ui.space.ops.register)")


# ----------------------------------------------------------------------------- registry
def register(
    name: str,
    factory: Factory,
    group: str = "custom",
    doc: str = "",
    params: tuple[str, ...] = (),
    replace: bool = False,
) -> None:
    """Register an operation ``factory(in_shape, **kwargs) -> (module, out_shape)``.

    ``params`` names the keywords the factory takes; left empty, they are read from the
    factory's signature (a ``**kwargs`` factory then takes any keyword). Registering a
    name again raises ValueError unless ``replace=True``.

    Example:
        >>> from torch import nn
        >>> register("double", lambda shape: (nn.Identity(), shape), doc="demo", replace=True)
        >>> build_op("double", (3,))[1]
        (3,)
        >>> unregister("double")
    """
    _register(name, factory, group, doc, params, replace, builtin=False)


def _register(name: str, factory: Factory, group: str, doc: str, params: tuple[str, ...],
              replace: bool, builtin: bool) -> None:
    _REGISTRY.check_name(name)
    if not callable(factory):
        raise ValueError(f"operation {name!r}: factory must be callable, got {factory!r}")
    if not isinstance(group, str) or not group:
        raise ValueError(f"operation {name!r}: group must be a non-empty str, e.g. one of {GROUPS}")
    if not isinstance(doc, str):
        raise ValueError(f"operation {name!r}: doc must be a str, got {type(doc).__name__}")
    if not replace:  # before the factory's signature is read
        _REGISTRY.check_free(name)
    spec_params = _factory_params(name, factory, tuple(params))
    _REGISTRY.register(name, OpSpec(name, factory, group, doc, spec_params, builtin),
                       replace=replace)


def _factory_params(name: str, factory: Factory, params: tuple[str, ...]) -> tuple[str, ...] | None:
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):  # some builtins and C callables have no signature
        return params or None
    plist = list(sig.parameters.values())
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                  inspect.Parameter.VAR_POSITIONAL)
    if not plist or plist[0].kind not in positional:
        raise ValueError(
            f"operation {name!r}: the factory must take the input shape as its first "
            f"positional argument, e.g. def factory(in_shape, units=32); got {sig}"
        )
    any_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in plist)
    named = tuple(p.name for p in plist[1:] if p.kind in (
        inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY))
    if not params:
        return None if any_kw else named
    for p in params:
        if not isinstance(p, str):
            raise ValueError(f"operation {name!r}: params must be strings, got {p!r}")
        if p not in named and not any_kw:
            raise ValueError(
                f"operation {name!r}: params names {p!r}, which the factory does not accept "
                f"(its keywords: {list(named)})"
            )
    return params


def unregister(name: str) -> None:
    """Remove a user-registered operation (built-ins can only be replaced).

    Example:
        >>> register("tmp_op", lambda shape: (nn.Identity(), shape))
        >>> unregister("tmp_op"); is_registered("tmp_op")
        False
    """
    if _REGISTRY.get(name).builtin:
        raise ValueError(
            f"operation {name!r} is built in and cannot be removed; "
            "use register(name, factory, replace=True) to change it"
        )
    _REGISTRY.unregister(name)


def _lookup(name: str) -> OpSpec:
    return _REGISTRY.get(name)


def get(name: str) -> Factory:
    """The factory of ``name``, checked: bad shapes or keywords raise ValueError.

    Example:
        >>> get("relu")((4,))[1]
        (4,)
    """
    spec = _lookup(name)

    def factory(in_shape: Shape, **kwargs: Any) -> tuple[nn.Module, Shape]:
        return build_op(name, in_shape, **kwargs)

    factory.__name__ = f"op_{name}"
    factory.__doc__ = spec.doc
    return factory


def names() -> list[str]:
    """All operation names, in registration order (built-ins first).

    Example:
        >>> "conv_3x3" in names()
        True
    """
    return _REGISTRY.names()


def groups() -> dict[str, list[str]]:
    """``{group: [names]}``: the standard groups in a fixed order, then any others.

    Example:
        >>> list(groups())[:3]
        ['conv', 'linear', 'recurrent']
    """
    out: dict[str, list[str]] = {g: [] for g in GROUPS}
    for _, spec in _REGISTRY.items():
        out.setdefault(spec.group, []).append(spec.name)
    return out


def is_registered(name: str) -> bool:
    """Whether ``name`` is an operation.

    Example:
        >>> is_registered("skip"), is_registered("nope")
        (True, False)
    """
    return name in _REGISTRY


def info(name: str) -> dict[str, Any]:
    """``{"name", "group", "doc", "params", "builtin"}``; ``params`` is None for any keyword.

    Example:
        >>> info("dropout")["params"]
        ['rate']
    """
    spec = _lookup(name)
    params = None if spec.params is None else list(spec.params)
    return {"name": spec.name, "group": spec.group, "doc": spec.doc, "params": params,
            "builtin": spec.builtin}


def factory_path(name: str) -> tuple[str, str]:
    """The module and qualified name of operation ``name``'s factory (export imports it).

    Example:
        >>> factory_path("dropout")
        ('nasbench_ui.space.ops', '_dropout')
    """
    factory = _lookup(name).factory
    return factory.__module__, factory.__qualname__


def filter_kwargs(name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The part of ``kwargs`` that operation ``name`` takes (for edges mixing ops).

    Example:
        >>> filter_kwargs("max_pool_3x3", {"filters": 16}), filter_kwargs("conv_3x3", {"filters": 16})
        ({}, {'filters': 16})
    """
    params = _lookup(name).params
    return dict(kwargs) if params is None else {k: v for k, v in kwargs.items() if k in params}


def build_op(name: str, in_shape: Shape, **kwargs: Any) -> tuple[nn.Module, Shape]:
    """Build operation ``name`` for ``in_shape``; returns ``(module, out_shape)``.

    Example:
        >>> build_op("linear", (1, 8, 8), units=16)[1]
        (16,)
    """
    spec = _lookup(name)
    shape = _check_shape(name, in_shape)
    if spec.params is not None:
        unknown = sorted(set(kwargs) - set(spec.params))
        if unknown:
            takes = list(spec.params) if spec.params else "no keywords"
            raise ValueError(f"operation {name!r} got unknown keyword(s) {unknown}; it takes {takes}")
    result = spec.factory(shape, **kwargs)
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], nn.Module)):
        raise ValueError(
            f"operation {name!r}: the factory must return (torch.nn.Module, out_shape), "
            f"got {type(result).__name__}"
        )
    try:
        out = _check_shape(name, result[1])
    except ValueError as err:
        raise ValueError(f"operation {name!r}: the factory returned a bad out_shape: {err}") from None
    return result[0], out


def check_op(name: str, in_shape: Shape, batch_size: int = 2, **kwargs: Any) -> Shape:
    """Build ``name`` and run a zero batch through it; ValueError if the shapes disagree.

    For tests and for checking your own operations (not used when building models).

    Example:
        >>> check_op("sep_conv_5x5", (3, 6, 6), filters=8)
        (8, 6, 6)
    """
    module, out = build_op(name, in_shape, **kwargs)
    module.train()
    with torch.no_grad():
        y = module(torch.zeros(batch_size, *_check_shape(name, in_shape)))
    if not isinstance(y, torch.Tensor) or tuple(y.shape) != (batch_size, *out):
        got = tuple(y.shape[1:]) if isinstance(y, torch.Tensor) else type(y).__name__
        raise ValueError(
            f"operation {name!r}: declared output shape {out} for input {tuple(in_shape)}, "
            f"but its forward pass gave {got}"
        )
    return out


# ------------------------------------------------------------------------- helpers
def _check_shape(name: str, shape: Any) -> Shape:
    try:
        t = tuple(shape)
    except TypeError:
        t = None
    ok = (t is not None and 1 <= len(t) <= 3
          and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1 for v in t))
    if not ok:
        raise ValueError(
            f"operation {name!r}: a shape must be (F,), (T, F) or (C, H, W) of positive ints "
            f"without the batch dimension; got {shape!r}"
        )
    return tuple(int(v) for v in t)  # type: ignore[union-attr]


def _need_image(name: str, shape: Shape) -> None:
    if len(shape) != 3:
        raise ValueError(
            f"operation {name!r} needs an image (C, H, W) input; got shape {shape}, "
            f"{_KINDS[len(shape)]}. Image operations must come before any 'flatten', "
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


def _builtins() -> list[tuple[str, Factory, str, str]]:
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


for _name, _factory, _group, _doc in _builtins():
    _register(_name, _factory, _group, _doc, (), replace=False, builtin=True)

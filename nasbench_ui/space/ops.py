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
import numbers
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..registry import Registry
from .op_library import (  # the built-in operations
    Factory,
    Shape,
    builtins,
)

GROUPS = ("conv", "linear", "recurrent", "activation", "pooling", "normalization",
          "regularization", "identity", "custom")


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


def spec(name: str) -> OpSpec:
    """The registered :class:`OpSpec` of ``name`` (its factory unchecked).

    Example:
        >>> spec("dropout").group
        'regularization'
    """
    return _lookup(name)


def factory_path(name: str) -> tuple[str, str]:
    """The module and qualified name of operation ``name``'s factory (export imports it).

    Example:
        >>> factory_path("dropout")
        ('nasbench_ui.space.op_library', '_dropout')
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


for _name, _factory, _group, _doc in builtins():
    _register(_name, _factory, _group, _doc, (), replace=False, builtin=True)

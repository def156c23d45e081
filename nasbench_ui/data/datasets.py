"""Data set loaders: a small registry, the offline ``digits`` sets and ``from_arrays``.

* ``digits``: the UCI hand-written digits that ship with scikit-learn
  (``sklearn.datasets.load_digits``: 1,797 images of 8x8 pixels, 10 classes; Alpaydin &
  Kaynak, 1998). Images ``(1, 8, 8)``, split train / valid / test 0.6 / 0.2 / 0.2 with a
  seeded stratified split, scaled by the train split's pixel mean and std.
* ``digits_seq``: the same split and scaling as 8 steps of 8 features (image rows).
* ``mnist``, ``fashion_mnist``, ``cifar10``: through torchvision (see ``vision.py``).

A loader is ``loader(seed, **options) -> Dataset``; ``load`` checks the options against
its signature.

Example:
    >>> d = load("digits", seed=0)
    >>> d.input_shape, d.num_classes, len(d.y_train), len(d.y_valid), len(d.y_test)
    ((1, 8, 8), 10, 1079, 359, 359)
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ..registry import Registry
from . import vision
from .dataset import Dataset, make_dataset
from .split import check_fractions, standardize, stratified_split

Loader = Callable[..., Dataset]


def _check_loader(name: str, loader: Loader) -> None:
    if not callable(loader):
        raise ValueError(f"data set {name!r}: loader must be callable, got {loader!r}")
    opts = _loader_options(loader)
    if opts is not None and "seed" not in _param_names(loader):
        raise ValueError(
            f"data set {name!r}: the loader must take a `seed` keyword, e.g. def loader(seed=0): ..."
        )


_REGISTRY: Registry[Loader] = Registry("data set", _check_loader)


def register(name: str, loader: Loader, replace: bool = False) -> None:
    """Register ``loader(seed, **options) -> Dataset`` under ``name``.

    Example:
        >>> import numpy as np
        >>> def tiny(seed=0):
        ...     x = np.arange(40.0).reshape(20, 2); y = np.arange(20) % 2
        ...     return from_arrays(x, y, name="tiny", seed=seed)
        >>> register("tiny", tiny, replace=True)
        >>> load("tiny").input_shape
        (2,)
        >>> _ = unregister("tiny")
    """
    _REGISTRY.register(name, loader, replace=replace)


def unregister(name: str) -> Loader:
    """Remove a registered data set and return its loader."""
    return _REGISTRY.unregister(name)


def get(name: str) -> Loader:
    """The loader registered as ``name`` (ValueError listing the names).

    Example:
        >>> get("digits").__name__
        'digits'
    """
    return _REGISTRY.get(name)


def names() -> list[str]:
    """Registered data set names.

    Example:
        >>> names()[:2]
        ['digits', 'digits_seq']
    """
    return _REGISTRY.names()


def load(name: str, seed: int = 0, **options: Any) -> Dataset:
    """Load data set ``name``, split with ``seed``; ``options`` go to its loader.

    Example:
        >>> load("digits_seq", seed=1, valid_fraction=0.1).input_shape
        (8, 8)
    """
    loader = check(name, seed, options)
    ds = loader(seed=seed, **options)
    if not isinstance(ds, Dataset):
        raise ValueError(f"data set {name!r}: the loader returned {type(ds).__name__}, not a Dataset")
    return ds


def check(name: Any, seed: Any = 0, options: dict[str, Any] | None = None) -> Loader:
    """Check a data set's name, seed and option names without loading it; its loader.

    Example:
        >>> check("digits", 0, {"subset": 1})
        Traceback (most recent call last):
        ...
        ValueError: data set 'digits' got unknown option(s) ['subset']; its options are [...]
    """
    loader = _REGISTRY.get(name)
    _check_seed(seed)
    allowed = _loader_options(loader)
    if allowed is not None:
        unknown = sorted(set(options or {}) - set(allowed))
        if unknown:
            raise ValueError(
                f"data set {name!r} got unknown option(s) {unknown}; its options are {allowed}"
            )
    return loader


def _loader_options(loader: Loader) -> list[str] | None:
    try:
        params = inspect.signature(loader).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return [p.name for p in params if p.name != "seed" and p.kind in (
        inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]


def _param_names(loader: Loader) -> list[str]:
    return list(inspect.signature(loader).parameters)


def _check_seed(seed: Any) -> None:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")


def _as_array(v: Any, what: str) -> np.ndarray:
    if isinstance(v, torch.Tensor):
        return v.detach().cpu().numpy()
    try:
        return np.asarray(v)
    except (ValueError, TypeError) as err:
        raise ValueError(f"from_arrays: {what} cannot be read as an array ({err})") from None


def _check_features(x: np.ndarray) -> np.ndarray:
    if x.size == 0:
        raise ValueError(f"from_arrays: x is empty (shape {x.shape}); give at least a few samples")
    if not 2 <= x.ndim <= 4:
        raise ValueError(
            f"from_arrays: x must have 2 to 4 dimensions, (N, F), (N, T, F) or (N, C, H, W); "
            f"got shape {x.shape}"
        )
    if x.dtype == bool:
        x = x.astype(np.float32)
    if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
        raise ValueError(f"from_arrays: x must hold real numbers, got dtype {x.dtype}")
    x = x.astype(np.float32)
    bad = ~np.isfinite(x)
    if bad.any():
        first = np.argwhere(bad)[0]
        raise ValueError(
            f"from_arrays: x holds {int(bad.sum())} NaN or infinite value(s), the first at index "
            f"{tuple(int(i) for i in first)}; drop or impute them first"
        )
    return x


def _check_labels(y: np.ndarray, n: int, num_classes: Any) -> tuple[np.ndarray, int]:
    if y.ndim != 1:
        raise ValueError(f"from_arrays: y must be 1-D (one class index per sample), got shape {y.shape}")
    if len(y) != n:
        raise ValueError(f"from_arrays: x has {n} samples but y has {len(y)} labels; they must match")
    if np.issubdtype(y.dtype, np.floating):
        whole = np.isfinite(y) & (y == np.round(y))
        if not whole.all():
            i = int(np.flatnonzero(~whole)[0])
            raise ValueError(
                f"from_arrays: labels must be integers (class indices 0..K-1); y[{i}] = {float(y[i])}"
            )
        y = y.astype(np.int64)
    elif not np.issubdtype(y.dtype, np.integer) or y.dtype == bool:
        raise ValueError(
            f"from_arrays: labels must be integers (class indices 0..K-1), got dtype {y.dtype}; "
            "encode them first, e.g. with sklearn.preprocessing.LabelEncoder"
        )
    y = y.astype(np.int64)
    if (y < 0).any():
        i = int(np.flatnonzero(y < 0)[0])
        raise ValueError(f"from_arrays: labels must be >= 0; y[{i}] = {int(y[i])}")
    if num_classes is None:
        k = int(y.max()) + 1
        if k < 2:
            raise ValueError("from_arrays: y holds a single class (0); a classifier needs at least 2")
    else:
        if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < 2:
            raise ValueError(f"from_arrays: num_classes must be an int >= 2, got {num_classes!r}")
        k = int(num_classes)
        if int(y.max()) >= k:
            i = int(np.argmax(y))
            raise ValueError(
                f"from_arrays: labels must be < num_classes={k}; y[{i}] = {int(y[i])} "
                "(raise num_classes or leave it None to infer it)"
            )
    return y, k


def from_arrays(
    x: Any,
    y: Any,
    name: str = "custom",
    seed: int = 0,
    valid_fraction: float = 0.2,
    test_fraction: float = 0.2,
    num_classes: int | None = None,
    normalize: bool = True,
) -> Dataset:
    """A Dataset from numpy arrays or tensors, with a seeded stratified split.

    ``x``: ``(N, F)``, ``(N, T, F)`` or ``(N, C, H, W)`` numbers; ``y``: ``N`` class indices.
    With ``normalize``, features are scaled by the train split's mean and std per channel
    (images) or feature (vectors, sequences).

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> d = from_arrays(rng.normal(size=(50, 4)), np.arange(50) % 2, seed=0)
        >>> d.input_shape, len(d.y_train), len(d.y_valid), len(d.y_test)
        ((4,), 30, 10, 10)
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"from_arrays: name must be a non-empty str, got {name!r}")
    _check_seed(seed)
    check_fractions(valid_fraction, test_fraction)
    if not isinstance(normalize, bool):
        raise ValueError(f"from_arrays: normalize must be True or False, got {normalize!r}")
    xa = _check_features(_as_array(x, "x"))
    ya, k = _check_labels(_as_array(y, "y"), len(xa), num_classes)
    try:
        tr, va, te = stratified_split(ya, valid_fraction, test_fraction, int(seed))
    except ValueError as err:
        raise ValueError(f"from_arrays: {err}") from None
    parts = [xa[tr], xa[va], xa[te]]
    meta: dict[str, Any] = {"source": "from_arrays", "seed": int(seed),
                            "valid_fraction": valid_fraction, "test_fraction": test_fraction,
                            "normalize": normalize}
    if normalize:
        parts, mean, std = standardize(*parts)
        meta.update(mean=mean.tolist(), std=std.tolist())
    return make_dataset(name, parts, [ya[tr], ya[va], ya[te]], k, meta)


@functools.lru_cache(maxsize=1)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = bunch.images.astype(np.float32)[:, None]  # (1797, 1, 8, 8), values 0..16
    y = bunch.target.astype(np.int64)
    x.flags.writeable = False
    y.flags.writeable = False
    return x, y


def digits(seed: int = 0, valid_fraction: float = 0.2, test_fraction: float = 0.2,
           normalize: bool = True) -> Dataset:
    """The scikit-learn digits as ``(1, 8, 8)`` images (offline, 1,797 samples).

    Example:
        >>> digits(seed=0).summary()["class_counts"]["valid"][:3]
        [36, 36, 35]
    """
    x, y = _digits_arrays()
    d = from_arrays(x, y, name="digits", seed=seed, valid_fraction=valid_fraction,
                    test_fraction=test_fraction, num_classes=10, normalize=normalize)
    meta = {**d.meta, "source": "sklearn.datasets.load_digits (UCI ML hand-written digits)"}
    return dataclasses.replace(d, meta=meta)


def digits_seq(seed: int = 0, valid_fraction: float = 0.2, test_fraction: float = 0.2,
               normalize: bool = True) -> Dataset:
    """``digits`` with each image read as 8 steps (rows) of 8 features: shape ``(8, 8)``.

    Example:
        >>> digits_seq(seed=0).x_train.shape[1:]
        torch.Size([8, 8])
    """
    d = digits(seed, valid_fraction, test_fraction, normalize)
    rows = {f"x_{s}": getattr(d, f"x_{s}")[:, 0].contiguous() for s in ("train", "valid", "test")}
    return dataclasses.replace(d, name="digits_seq", input_shape=(8, 8), **rows)


register("digits", digits)
register("digits_seq", digits_seq)
for _name in vision.NAMES:
    register(_name, functools.partial(vision.load_vision, _name))

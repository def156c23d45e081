"""MNIST, Fashion-MNIST and CIFAR-10 through torchvision (an optional dependency).

torchvision is imported only when one of these sets is loaded. Without it, or offline
without the files under ``root``, loading raises a ValueError that says what to do.
The official test split is kept; a seeded stratified part of the official training
split (``valid_fraction``, default 0.1) becomes the validation split. Pixels are scaled
to [0, 1], then by the train split's per-channel mean and std.

Sources: MNIST (LeCun et al., 1998), Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017),
CIFAR-10 (Krizhevsky, 2009).

Example:
    >>> NAMES
    ('mnist', 'fashion_mnist', 'cifar10')
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_ROOT = "~/.cache/nasbench_ui"
_CLASSES = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST", "cifar10": "CIFAR10"}
NAMES = tuple(_CLASSES)


def _torchvision_datasets(name: str) -> Any:
    try:
        return importlib.import_module("torchvision.datasets")
    except Exception as err:  # ImportError, or a torchvision built for another torch
        raise ValueError(
            f"data set {name!r} needs torchvision, which is not installed or does not import "
            f"({type(err).__name__}: {err}). Install the build matching your torch, e.g. "
            "pip install 'nasbench_ui[vision]', or use the offline data set 'digits'"
        ) from None


def _images(data: Any) -> np.ndarray:
    """uint8 images (N, H, W) or (N, H, W, C) -> float32 (N, C, H, W) in [0, 1]."""
    a = data.numpy() if hasattr(data, "numpy") else np.asarray(data)
    a = a[:, None] if a.ndim == 3 else a.transpose(0, 3, 1, 2)
    return np.ascontiguousarray(a, dtype=np.float32) / 255.0


def load_vision(name: str, seed: int = 0, root: str | None = None, download: bool = True,
                valid_fraction: float = 0.1, normalize: bool = True) -> Any:
    """Load ``name`` (one of ``NAMES``) into a Dataset; see the module docstring.

    Example:
        >>> import sys
        >>> if "torchvision" not in sys.modules:
        ...     try:
        ...         load_vision("mnist", download=False)
        ...     except ValueError as e:
        ...         print("mnist" in str(e))
        True
    """
    from .dataset import make_dataset
    from .split import check_fractions, standardize, stratified_split

    if name not in _CLASSES:
        raise ValueError(f"unknown torchvision data set {name!r}; known: {list(NAMES)}")
    check_fractions(valid_fraction, 0.0)
    if not isinstance(download, bool) or not isinstance(normalize, bool):
        raise ValueError(f"{name}: download and normalize must be True or False")
    if root is not None and not isinstance(root, (str, Path)):
        raise ValueError(f"{name}: root must be a folder path (str), got {root!r}")
    tv = _torchvision_datasets(name)
    folder = Path(root or DEFAULT_ROOT).expanduser()
    cls = getattr(tv, _CLASSES[name])
    try:
        train = cls(str(folder), train=True, download=download)
        test = cls(str(folder), train=False, download=download)
    except Exception as err:  # no network, corrupt or missing files
        how = ("check the internet connection" if download
               else "pass download=True or place the files there")
        raise ValueError(
            f"could not load data set {name!r} under {folder} ({type(err).__name__}: {err}); "
            f"{how}, or use the offline data set 'digits'"
        ) from None
    x_full, y_full = _images(train.data), np.asarray(train.targets, dtype=np.int64)
    x_test, y_test = _images(test.data), np.asarray(test.targets, dtype=np.int64)
    tr, va, _ = stratified_split(y_full, valid_fraction, 0.0, seed)
    xs = [x_full[tr], x_full[va], x_test]
    meta: dict[str, Any] = {"source": f"torchvision.datasets.{_CLASSES[name]}", "root": str(folder),
                            "seed": seed, "valid_fraction": valid_fraction, "normalize": normalize}
    if normalize:
        xs, mean, std = standardize(*xs)
        meta.update(mean=mean.tolist(), std=std.tolist())
    k = int(max(y_full.max(), y_test.max())) + 1
    return make_dataset(name, xs, [y_full[tr], y_full[va], y_test], k, meta)

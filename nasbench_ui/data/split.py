"""Seeded stratified splits and train-only standardisation (numpy, no torch).

Stratification: each class is divided between the splits in proportion to its size,
with the largest-remainder method (Hamilton's apportionment) so that split sizes are
exact; every class keeps at least one training sample.

Example:
    >>> import numpy as np
    >>> y = np.repeat([0, 1], [60, 40])
    >>> tr, va, te = stratified_split(y, 0.2, 0.2, seed=0)
    >>> len(tr), len(va), len(te), int((y[va] == 1).sum())
    (60, 20, 20, 8)
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def apportion(counts: np.ndarray, total: int, caps: np.ndarray | None = None) -> np.ndarray:
    """Split ``total`` over classes in proportion to ``counts`` (each at most its cap).

    Example:
        >>> apportion(np.array([5, 3, 2]), 5).tolist()
        [3, 1, 1]
    """
    counts = np.asarray(counts, dtype=np.int64)
    caps = counts.copy() if caps is None else np.asarray(caps, dtype=np.int64)
    if total > int(caps.sum()):
        raise ValueError(f"cannot take {total} samples from class counts {counts.tolist()}")
    quota = counts * total / max(int(counts.sum()), 1)
    alloc = np.minimum(np.floor(quota).astype(np.int64), caps)
    remainder = quota - alloc
    while int(alloc.sum()) < total:
        room = alloc < caps
        best = int(np.argmax(np.where(room, remainder, -np.inf)))  # ties: lowest class
        alloc[best] += 1
        remainder[best] -= 1.0
    return alloc


def split_sizes(n: int, valid_fraction: float, test_fraction: float) -> tuple[int, int, int]:
    """``(n_train, n_valid, n_test)``, with the valid and test sizes rounded."""
    n_test = int(round(n * test_fraction))
    n_valid = int(round(n * valid_fraction))
    return n - n_valid - n_test, n_valid, n_test


def stratified_split(
    y: np.ndarray, valid_fraction: float, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices ``(train, valid, test)`` of a seeded stratified split of labels ``y``.

    Raises ValueError when the data are too few for the fractions.
    """
    y = np.asarray(y)
    n_train, n_valid, n_test = split_sizes(len(y), valid_fraction, test_fraction)
    classes, counts = np.unique(y, return_counts=True)
    problem = None
    if valid_fraction > 0 and n_valid < 1:
        problem = "the valid split would be empty"
    elif test_fraction > 0 and n_test < 1:
        problem = "the test split would be empty"
    elif n_train < len(classes):
        problem = (f"the train split would hold {n_train} samples, fewer than the "
                   f"{len(classes)} classes")
    if problem:
        raise ValueError(
            f"{len(y)} samples are too few for valid_fraction={valid_fraction} and "
            f"test_fraction={test_fraction} ({problem}); add samples or lower the fractions"
        )
    keep_one = counts - 1  # every class keeps one training sample
    test_counts = apportion(counts, n_test, keep_one)
    valid_counts = apportion(counts, n_valid, keep_one - test_counts)
    rng = np.random.default_rng(seed)
    parts: tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]] = ([], [], [])
    for c, n_te, n_va in zip(classes, test_counts, valid_counts, strict=True):
        idx = rng.permutation(np.flatnonzero(y == c))
        parts[2].append(idx[:n_te])
        parts[1].append(idx[n_te:n_te + n_va])
        parts[0].append(idx[n_te + n_va:])
    train, valid, test = (rng.permutation(np.concatenate(p)) for p in parts)
    return train, valid, test


def stratified_take(y: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Indices of a seeded stratified sample of ``n`` of the labels ``y``.

    Every class present keeps at least one sample when ``n`` allows it.

    Example:
        >>> y = np.repeat([0, 1, 2], [50, 30, 20])
        >>> np.bincount(y[stratified_take(y, 10, seed=1)]).tolist()
        [5, 3, 2]
    """
    y = np.asarray(y)
    classes, counts = np.unique(y, return_counts=True)
    alloc = apportion(counts, n)
    if n >= len(classes) and not bool((alloc >= 1).all()):
        alloc = 1 + apportion(counts, n - len(classes), counts - 1)  # one of each class first
    rng = np.random.default_rng(seed)
    picked = [rng.permutation(np.flatnonzero(y == c))[:k] for c, k in zip(classes, alloc, strict=True)]
    return rng.permutation(np.concatenate(picked))


def standardize(
    x_train: np.ndarray, *others: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Scale every array by the train split's mean and std per channel / feature.

    The channel axis is 1 for images ``(N, C, H, W)`` and the last axis for vectors
    ``(N, F)`` and sequences ``(N, T, F)``. A constant channel gets std 1.
    Returns ``([x_train, *others] scaled, mean, std)``.

    Example:
        >>> a = np.array([[0.0, 1.0], [2.0, 1.0]])
        >>> [s.tolist() for s in standardize(a)[0]], standardize(a)[2].tolist()
        ([[[-1.0, 0.0], [1.0, 0.0]]], [1.0, 1.0])
    """
    axis = 1 if x_train.ndim == 4 else x_train.ndim - 1
    reduce = tuple(a for a in range(x_train.ndim) if a != axis)
    mean = x_train.mean(axis=reduce, dtype=np.float64)
    std = x_train.std(axis=reduce, dtype=np.float64)
    std = np.where(std > 1e-12, std, 1.0)
    shape = [1] * x_train.ndim
    shape[axis] = -1
    m, s = mean.reshape(shape).astype(np.float32), std.reshape(shape).astype(np.float32)
    scaled = [((a - m) / s).astype(np.float32) for a in (x_train, *others)]
    return scaled, mean, std


def check_fractions(valid_fraction: Any, test_fraction: Any) -> None:
    """Refuse split fractions that leave no training data (ValueError)."""
    for key, v, low_ok in (("valid_fraction", valid_fraction, False), ("test_fraction", test_fraction, True)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not (
                (0 <= v < 1) if low_ok else (0 < v < 1)):
            rng = "0 <= test_fraction < 1" if low_ok else "0 < valid_fraction < 1"
            raise ValueError(f"{key} must be a number with {rng}, got {v!r}")
    if valid_fraction + test_fraction >= 1:
        raise ValueError(
            f"valid_fraction + test_fraction must be < 1 to leave training data, got "
            f"{valid_fraction} + {test_fraction}"
        )

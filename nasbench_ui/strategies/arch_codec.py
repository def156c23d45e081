"""Architectures as numpy rows of choice indices, and their encodings for a predictor.

The one-hot encoding is ``space.encode`` by table look-up; the path encoding is White et
al.'s (BANANAS, AAAI 2021, section 4): a one-hot of the operations along each
input-output path of a cell.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ..space.decisions import OpDecision
from .base import copy_arch

PATH_FEATURES = 4096
"""The most path features (White et al.'s path encoding) added to the one-hot encoding."""


def _paths(space: Any) -> list[np.ndarray]:
    """The operation decisions along each path from the space's input to its output
    (decision indices), when the space is a cell of operation edges; ``[]`` when there
    are more than :data:`PATH_FEATURES` op sequences in all, or no such path."""
    edge_of = {id(d.edge): j for j, d in enumerate(space.decisions)
               if isinstance(d, OpDecision)}
    out_edges: dict[str, list[Any]] = {}
    for e in space.edges:
        out_edges.setdefault(e.src, []).append(e)
    names = [n.name for n in space.nodes]
    sources = [space.input] if space.input else [n for n in names
                                                   if not any(e.dst == n for e in space.edges)]
    sink = space.output or names[-1]
    found: list[np.ndarray] = []

    def walk(node: str, path: list[int]) -> None:
        if node == sink:
            if path:
                found.append(np.array(path, dtype=np.int64))
            return
        for e in out_edges.get(node, []):
            walk(e.dst, path + ([edge_of[id(e)]] if id(e) in edge_of else []))

    for s in sources:
        walk(s, [])
    sizes = np.array([len(d.choices()) for d in space.decisions], dtype=float)
    if sum(float(np.prod(sizes[p])) for p in found) > PATH_FEATURES:
        return []
    return found


class ArchCodec:
    """The architectures of a space as rows of choice indices, encoded like ``space.encode``.

    Row ``r`` of an architecture holds, per decision in ``space.decisions`` order, the
    index of its value in ``decision.choices()``. ``encode`` turns rows into the one-hot
    (multi-hot for input choices, scaled index for numeric ranges) vectors of
    ``space.encode`` by table look-up, and ``codes`` gives each row a hashable code, so
    that candidates are made, scored and de-duplicated as numpy arrays.

    Example:
        >>> from nasbench_ui import spaces
        >>> space = spaces.nb201()
        >>> codec = ArchCodec(space)
        >>> arch = space.sample(__import__("random").Random(0))
        >>> row = codec.row(arch)
        >>> codec.arch(row) == arch, codec.encode(row[None])[0].tolist() == space.encode(arch)
        (True, True)
    """

    def __init__(self, space: Any, paths: bool = False) -> None:
        self.space = space
        self.labels = space.labels
        self.choices = [d.choices() for d in space.decisions]
        self.sizes = np.array([len(c) for c in self.choices], dtype=np.int64)
        self._index = [{json.dumps(v): i for i, v in enumerate(ch)} for ch in self.choices]
        base = {lb: ch[0] for lb, ch in zip(self.labels, self.choices, strict=True)}
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)
        # each decision fills its own columns: encode(arch) = encode(base) + the sum over
        # decisions of (encode(base with that decision's value) - encode(base))
        self._zero = np.array(space.encode(base), dtype=float)
        self._table = np.array([np.array(space.encode({**base, lb: v}), dtype=float) - self._zero
                                for lb, ch in zip(self.labels, self.choices, strict=True)
                                for v in ch])
        self._radix = (np.concatenate([np.cumprod(self.sizes[::-1])[::-1][1:], [1]])
                       if float(np.prod(self.sizes.astype(float))) < 2.0 ** 62 else None)
        self._paths = _paths(space) if paths else []
        self.width = len(self._zero) + sum(int(np.prod(self.sizes[p])) for p in self._paths)

    def row(self, arch: dict[str, Any]) -> np.ndarray:
        """The choice indices of a (canonical) architecture."""
        return np.array([idx[json.dumps(arch[lb])] for lb, idx in
                         zip(self.labels, self._index, strict=True)], dtype=np.int64)

    def check_row(self, row: Any) -> np.ndarray:
        """A stored row as an array; ValueError unless it holds one valid index per decision."""
        ok = (isinstance(row, list) and len(row) == len(self.sizes)
              and all(isinstance(i, int) and not isinstance(i, bool) for i in row))
        out = np.array(row if ok else [], dtype=np.int64)
        if not ok or (out < 0).any() or (out >= self.sizes).any():
            raise ValueError(f"bananas: a stored row must hold {len(self.sizes)} choice "
                             f"indices within {self.sizes.tolist()}, got {str(row)[:80]}")
        return out

    def arch(self, row: np.ndarray) -> dict[str, Any]:
        """The architecture of a row (a fresh dict)."""
        return copy_arch({lb: ch[int(i)] for lb, ch, i in
                          zip(self.labels, self.choices, row, strict=True)})

    def encode(self, rows: np.ndarray) -> np.ndarray:
        """``space.encode`` of many rows at once: ``(n, width)``."""
        x = self._table[rows + self.offsets].sum(axis=1) + self._zero
        if not self._paths:
            return x
        out = np.zeros((len(rows), self.width))
        out[:, : x.shape[1]] = x
        at, n = x.shape[1], np.arange(len(rows))
        for p in self._paths:  # one-hot of the operations along each input-output path
            sizes = self.sizes[p]
            radix = np.concatenate([np.cumprod(sizes[::-1])[::-1][1:], [1]])
            out[n, at + rows[:, p] @ radix] = 1.0
            at += int(np.prod(sizes))
        return out

    def codes(self, rows: np.ndarray) -> list[Any]:
        """A hashable code per row (an int, or the row's bytes in a huge space)."""
        if self._radix is not None:
            return (rows @ self._radix).tolist()
        return [r.tobytes() for r in rows]

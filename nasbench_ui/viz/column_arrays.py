"""``ColumnArrays``: NumPy copies of growing list columns, updated from the first changed row.

A live chart thins its dots and draws the Pareto front from NumPy arrays of its list
columns (``viz.thinning``). Converting every column at every push is O(rows) per push:
at 80,000 trials, 60 ms of the interpreter lock every 0.5 s, taken from the search
(``benchmarks/ui_responsiveness.py``). The columns of ``viz.live_tables.LiveTables``
only grow, and say from which row they changed, so this keeps the arrays and converts
only the rows from there on: O(new rows) per push.

Example:
    >>> ca = ColumnArrays({"n": "int64"})
    >>> cols, owner = {"n": [0, 1]}, object()
    >>> ca.update(cols, owner, since=0)["n"].tolist()
    [0, 1]
    >>> cols["n"] += [2, 3]
    >>> ca.update(cols, owner, since=2)["n"].tolist()
    [0, 1, 2, 3]
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["ColumnArrays"]


class ColumnArrays:
    """NumPy arrays of the columns named in ``dtypes`` (name -> NumPy dtype)."""

    def __init__(self, dtypes: dict[str, Any]) -> None:
        self.dtypes = dict(dtypes)
        self.arrays: dict[str, np.ndarray] = {}
        self._owner: Any = None

    def update(self, cols: dict[str, list], owner: Any, since: int) -> dict[str, np.ndarray]:
        """The arrays of ``cols``, given that no row before ``since`` changed since the last
        call with the same ``owner`` (the object that keeps the columns; another one, None
        or ``since`` 0 converts everything). Rows may have been added or removed after it.
        """
        if isinstance(since, bool) or not isinstance(since, int) or since < 0:
            raise ValueError(f"since must be a row number >= 0, got {since!r}")
        keep = 0
        if owner is not None and owner is self._owner and self.arrays:
            keep = min(since, *(len(a) for a in self.arrays.values()))
        self._owner = owner
        self.arrays = {k: _join(self.arrays[k][:keep] if keep else None,
                                np.asarray(cols[k][keep:], dtype=dt))
                       for k, dt in self.dtypes.items()}
        return self.arrays


def _join(head: np.ndarray | None, tail: np.ndarray) -> np.ndarray:
    return tail if head is None else np.concatenate([head, tail])

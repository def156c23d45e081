"""``DrawnRows``: which rows of a growing, sorted table a live chart draws, kept from push
to push in O(new rows).

The rule is :func:`~nasbench_ui.viz.thinning.drawn_rows` with no recent rows: up to
``limit`` rows every row; past it the trials whose number is a multiple of ``step`` (a
power of two that grows with the table), the selected trial, the newest row and, in a
history (``improvements=True``), each row where the best so far changes and the row
before it. Applied to the whole table at every push that is O(rows) of NumPy work with
the interpreter lock held (about 5 ms per push at 250,000 trials). Between two pushes
only the rows from ``since`` on change (``LiveTables.changes``: new trials, or an
out-of-order one inserted), and whether a row is drawn depends only on itself and its
neighbours, so :meth:`DrawnRows.update` re-decides the rows from just before ``since``
and keeps the others: O(changed rows). The whole table is decided again only when the
step doubles, the selection changes or the table is another one.

Example:
    >>> rows = DrawnRows(limit=4)
    >>> cols = {"number": list(range(6)), "best_so_far": [0.1] * 6}
    >>> rows.update(cols, owner=cols, since=0, selected=None)[0].tolist()
    [0, 2, 4, 5]
    >>> cols["number"].append(6); cols["best_so_far"].append(0.2)
    >>> rows.update(cols, owner=cols, since=6, selected=None)[0].tolist()
    [0, 2, 4, 5, 6]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nasbench_ui.viz.thinning import step_for

__all__ = ["DrawnRows"]


class DrawnRows:
    """The drawn rows of one chart's table (see the module docstring). ``limit``: rows
    drawn at most (plus the must-draw ones); ``improvements``: draw where the
    ``best_so_far`` column changes (a history)."""

    def __init__(self, limit: int, improvements: bool = True) -> None:
        self.limit, self.improvements = limit, improvements
        self.step = 1
        self._owner: Any = None
        self._n = 0  # the table's rows at the last update
        self._selected: int | None = None
        self._rows: np.ndarray | None = None  # the drawn rows then (None: all)

    def update(self, cols: dict[str, list], owner: Any, since: int,
               selected: int | None) -> tuple[np.ndarray | None, int]:
        """(the rows to draw, or None for all; the step) of the table ``cols`` (kept by
        ``owner``), given that no row before ``since`` changed since the last update
        with the same owner."""
        n = len(cols["number"])
        if n <= self.limit:
            self._remember(owner, n, selected, None, 1)
            return None, 1
        step = step_for(n, self.limit)
        first = min(since, self._n)  # the first row that may differ from the last update
        full = (owner is not self._owner or selected != self._selected or step != self.step
                or self._rows is None or first < 2)
        lo = 0 if full else first - 1  # row first - 1 may be drawn now, or no longer
        kept = self._rows[self._rows < lo] if lo and self._rows is not None else \
            np.empty(0, dtype=np.int64)
        rows = np.concatenate([kept, self._tail(cols, lo, step, selected)])
        self._remember(owner, n, selected, rows, step)
        return rows, step

    def _tail(self, cols: dict[str, list], start: int, step: int,
              selected: int | None) -> np.ndarray:
        """The drawn rows from row ``start`` on, by the rule on the whole table (a row
        depends on itself and its two neighbours)."""
        numbers = np.asarray(cols["number"][start:], dtype=np.int64)
        keep = numbers % step == 0
        keep |= numbers == (-1 if selected is None else selected)
        keep[-1] = True  # the newest trial
        if self.improvements:
            s0 = start - 1 if start else 0
            best = np.asarray(cols["best_so_far"][s0:], dtype=float)
            same = (best[1:] == best[:-1]) | (np.isnan(best[1:]) & np.isnan(best[:-1]))
            moves = np.flatnonzero(~same) + s0 - start  # rows before a change, from start
            for at in (moves, moves + 1):  # the row before the best changes, and the row
                at = at[(at >= 0) & (at < len(keep))]
                keep[at] = True
        return np.flatnonzero(keep).astype(np.int64) + start

    def _remember(self, owner: Any, n: int, selected: int | None,
                  rows: np.ndarray | None, step: int) -> None:
        self._owner, self._n, self._selected, self._rows, self.step = (
            owner, n, selected, rows, step)

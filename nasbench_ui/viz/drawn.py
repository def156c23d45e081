"""``DrawnSource``: a Bokeh source that holds only the rows of a growing table a chart
draws, kept equal to them with the smallest change.

A browser redraws every row of a source at each change of it, and BokehJS re-maps
every column of a streamed source (``benchmarks/ui_responsiveness.py``: with all
290,000 trials of a fast search in the history source, the page spent most of a core
on it, and the lag from a trial's end to its dot grew with the rows). So a live chart
keeps the whole table in the kernel (:class:`~nasbench_ui.viz.live_tables.LiveTables`)
and sends the page only the rows it draws (:func:`~nasbench_ui.viz.thinning.drawn_rows`):
at most a few thousand, whatever the length of the search. The kernel then also
serializes, and formats the hover texts of, only those rows.

:meth:`DrawnSource.sync` takes the table's columns, the rows to draw (by row index,
sorted; None: all) and the table's in-place changes since the last sync
(``LiveTables.changes``). When the rows drawn before are still drawn at the same
places but for a few last ones (the usual case: new trials are appended, and the newest
trial drawn before, off the thinning's grid, gives its place to a later one), it
patches the changed cells and streams the new rows: O(new rows). Anything else (the
thinning's step doubled, a newly selected trial, a new table) replaces the source's
data: O(rows drawn).

Example:
    >>> from bokeh.models import ColumnDataSource
    >>> import numpy as np
    >>> src = ColumnDataSource({"number": [], "v": []})
    >>> drawn = DrawnSource(src)
    >>> cols = {"number": [0, 1, 2, 3], "v": [5, 6, 7, 8]}
    >>> drawn.sync(cols, np.array([0, 2]), (0, set())), src.data["v"]
    ('replace', [5, 7])
    >>> cols = {"number": [0, 1, 2, 3, 4], "v": [5, 6, 7, 8, 9]}
    >>> drawn.sync(cols, np.array([0, 2, 4]), (None, set())), src.data["v"]
    ('stream', [5, 7, 9])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from nasbench_ui.viz.figures import PATCH_LIMIT, same_cell

__all__ = ["DrawnSource"]


class DrawnSource:
    """Keeps ``source`` equal to the drawn rows of a table (see the module docstring).

    ``extra(rows)`` (optional) gives more columns for a list of table rows, computed only
    for the rows drawn (the hover texts of their trials).
    """

    def __init__(self, source: Any,
                 extra: Callable[[Sequence[int]], dict[str, list]] | None = None) -> None:
        self.source, self.extra = source, extra
        self.rows: np.ndarray | None = None  # the table rows in the source; None: unknown

    def reset(self) -> None:
        """Forget what the source holds: the next sync replaces it."""
        self.rows = None

    def sync(self, cols: dict[str, list], rows: np.ndarray | None,
             changed: tuple[int | None, Iterable[int]]) -> str:
        """Make the source hold rows ``rows`` of ``cols`` (None: every row), given that
        since the last sync the table changed only in the rows ``changed`` names
        (``(start, rows)``: every row from ``start`` on, None for none, and the single
        ``rows``). Returns "none", "stream", "patch" or "replace"."""
        n = len(cols["number"])
        new = np.arange(n, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
        old = self.rows
        if old is None or len(old) > len(new):
            return self._replace(cols, new)
        k = len(old)
        start, single = changed
        # the source's rows from position p on may hold other values now (an insert)
        p = k if start is None else int(np.searchsorted(old, start))
        # ... or other rows (the last row drawn is the newest trial, then a later one)
        differ = np.flatnonzero(new[:p] != old[:p])
        if len(differ):
            p = int(differ[0])
        positions = set(range(p, k))
        if single:
            wanted = np.asarray(sorted(r for r in single if r >= 0), dtype=np.int64)
            at = np.searchsorted(old[:p], wanted)
            hit = at < p
            hit[hit] &= old[:p][at[hit]] == wanted[hit]
            positions.update(at[hit].tolist())
        if len(positions) > max(PATCH_LIMIT, k // 10):
            return self._replace(cols, new)
        patches: dict[str, list] = {}
        if positions:
            pos = sorted(positions)
            current = self._data(cols, new[pos].tolist())
            data = self.source.data
            for key, values in current.items():
                col = data[key]
                cells = [(i, v) for i, v in zip(pos, values, strict=True)
                         if not same_cell(col[i], v)]
                if cells:
                    patches[key] = cells
        if patches:
            self.source.patch(patches)
        if len(new) > k:
            self.source.stream(self._data(cols, new[k:].tolist()))
        self.rows = new
        if patches:
            return "patch"
        return "stream" if len(new) > k else "none"

    def _data(self, cols: dict[str, list], rows: list[int]) -> dict[str, list]:
        data = {key: [col[i] for i in rows] for key, col in cols.items()}
        if self.extra is not None:
            data.update(self.extra(rows))
        return data

    def _replace(self, cols: dict[str, list], new: np.ndarray) -> str:
        self.source.data = self._data(cols, new.tolist())
        self.rows = new
        return "replace"

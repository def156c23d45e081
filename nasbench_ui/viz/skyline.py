"""``Skyline``: the 2-D Pareto front of points that only ever arrive, in sorted blocks.

Kung, Luccio, Preparata, "On finding the maxima of a set of vectors", JACM 1975: with
both coordinates minimised and the front sorted by the first, a new point is dominated
exactly when its left neighbour on the front (the last point with a first coordinate at
most its own) is at least as good in the second; otherwise it removes the contiguous
run of front points it dominates, which starts where it would be inserted. Points are
only ever added, so a dominated point never comes back.

One sorted list of the front costs a memory move of the whole front per insert: when
every trial is on the front (cost rising with accuracy), a live chart's per-trial work
grew with the search (24 µs per trial at 40k trials, 136 µs at 160k). Here the front is
kept in sorted blocks of at most ``2 * BLOCK`` entries (square-root decomposition, as in
a B-tree's leaves): an insert or a removal moves one block, and a bisection over the
blocks' last entries finds it.

A chart draws at most ``limit`` points of a huge front: :meth:`Skyline.sample` gives the
two ends and every point whose trial number is a multiple of ``step``, the power of two
that ``viz.thinning.drawn_rows`` picks for the front's length. The points of the current
step are kept as they come and go (a short sorted list), so a sample costs
O(``limit``), not O(front); a new step (the front doubled or halved) reads the front once.

Example:
    >>> sky = Skyline()
    >>> sky.add(1.0, -0.5, row=0, number=0, y=0.5)  # (cost, -accuracy): minimised
    []
    >>> sky.add(2.0, -0.4, row=1, number=1, y=0.4) is None  # dearer and worse
    True
    >>> sky.add(0.5, -0.7, row=2, number=2, y=0.7)  # cheaper and better: removes row 0
    [0]
    >>> len(sky), sky.columns()["number"]
    (1, [2])
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator

from nasbench_ui.viz.thinning import step_for

__all__ = ["BLOCK", "Skyline"]

BLOCK = 256
"""Entries per block (a block splits past twice this)."""

_INF = math.inf
# an entry: (a, b, row, number, y); ``row`` is unique, so tuples never compare further
Entry = tuple[float, float, int, int, float]


class Skyline:
    """The points ``(a, b)`` not dominated (both minimised) among those added, sorted by
    ``a``; each carries its ``row`` (unique, increasing), trial ``number`` and plotted
    ``y``. Equal points are all kept (neither dominates the other)."""

    def __init__(self) -> None:
        self._blocks: list[list[Entry]] = []
        self._lasts: list[Entry] = []  # each block's last entry, for the bisection
        self._n = 0
        self._step = 0  # the step _picked holds (0: none yet)
        self._picked: list[Entry] = []  # the entries whose number % _step == 0, sorted

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[Entry]:
        for block in self._blocks:
            yield from block

    # ------------------------------------------------------------- adding
    def add(self, a: float, b: float, row: int, number: int, y: float) -> list[int] | None:
        """Add the point; None when the front dominates it (nothing changes), else the
        rows of the front points it dominates, now removed."""
        entry = (a, b, row, number, y)
        left = self._before(self._locate((a, _INF, _INF), bisect.bisect_right))
        if left is not None:
            fa, fb = left[0], left[1]
            if fb < b or (fb == b and fa < a):
                return None
        removed = self._remove_dominated(a, b)
        self._insert(entry)
        return removed

    def _locate(self, key: tuple, side) -> tuple[int, int]:
        """(block, position) where ``key`` goes (``side``: a ``bisect`` function)."""
        i = side(self._lasts, key)
        if i == len(self._blocks):
            return (i - 1, len(self._blocks[-1])) if self._blocks else (0, 0)
        return i, side(self._blocks[i], key)

    def _before(self, at: tuple[int, int]) -> Entry | None:
        i, j = at
        if j > 0:
            return self._blocks[i][j - 1]
        return self._blocks[i - 1][-1] if i > 0 else None

    def _remove_dominated(self, a: float, b: float) -> list[int]:
        """Remove the run of entries from where ``(a, b)`` goes on with second coordinate
        ``>= b``, except points equal to it; their rows."""
        removed: list[int] = []
        i, j = self._locate((a, -_INF, -_INF), bisect.bisect_left)
        while i < len(self._blocks):
            block = self._blocks[i]
            k = j
            while k < len(block) and block[k][1] >= b:
                k += 1
            stopped = k < len(block)
            if k > j:
                gone = [e for e in block[j:k] if e[0] != a or e[1] != b]
                if gone:
                    block[j:k] = [e for e in block[j:k] if e[0] == a and e[1] == b]
                    removed.extend(e[2] for e in gone)
                    self._n -= len(gone)
                    for e in gone:
                        self._unpick(e)
            if not block:
                del self._blocks[i], self._lasts[i]
            else:
                self._lasts[i] = block[-1]
                i += 1
            if stopped:
                break
            j = 0
        return removed

    def _insert(self, entry: Entry) -> None:
        self._n += 1
        if self._step and entry[3] % self._step == 0:
            bisect.insort(self._picked, entry)
        if not self._blocks:
            self._blocks.append([entry])
            self._lasts.append(entry)
            return
        i = min(bisect.bisect_left(self._lasts, entry), len(self._blocks) - 1)
        block = self._blocks[i]
        bisect.insort(block, entry)
        if len(block) > 2 * BLOCK:
            self._blocks[i:i + 1] = [block[:BLOCK], block[BLOCK:]]
            self._lasts[i:i + 1] = [block[BLOCK - 1], block[-1]]
        else:
            self._lasts[i] = block[-1]

    def _unpick(self, entry: Entry) -> None:
        if self._step and entry[3] % self._step == 0:
            at = bisect.bisect_left(self._picked, entry)
            if at < len(self._picked) and self._picked[at] == entry:
                del self._picked[at]

    # ------------------------------------------------------------ reading
    def columns(self) -> dict[str, list]:
        """The whole front as columns ``x`` (``a``), ``y``, ``number``, sorted by ``a``
        (O(front): for small fronts and tests; a chart draws :meth:`sample`)."""
        entries = list(self)
        return {"x": [e[0] for e in entries], "y": [e[4] for e in entries],
                "number": [e[3] for e in entries]}

    def sample(self, limit: int) -> tuple[dict[str, list], int]:
        """(columns as :meth:`columns`, step): the whole front when it has at most
        ``limit`` points (step 1), else its two ends and the points whose trial number
        is a multiple of ``step``, the power of two with about ``limit`` of them
        (``viz.thinning.drawn_rows`` with no recent rows).

        Example:
            >>> sky = Skyline()
            >>> for i in range(10):
            ...     _ = sky.add(float(i), -float(i), row=i, number=i, y=float(i))
            >>> cols, step = sky.sample(4)
            >>> step, cols["number"]
            (4, [0, 4, 8, 9])
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be an int >= 1, got {limit!r}")
        n = self._n
        if n <= limit:
            return self.columns(), 1
        step = step_for(n, limit)
        if step != self._step:  # the front doubled or halved: read it once
            self._step = step
            self._picked = [e for e in self if e[3] % step == 0]
        first, last = self._blocks[0][0], self._blocks[-1][-1]
        entries = self._picked
        if not entries or entries[0] != first:
            entries = [first, *entries]
        if entries[-1] != last:
            entries = [*entries, last]
        return ({"x": [e[0] for e in entries], "y": [e[4] for e in entries],
                 "number": [e[3] for e in entries]}, step)

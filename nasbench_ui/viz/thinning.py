"""Which trial dots a live chart draws once a search has more of them than a page repaints
quickly.

A browser repaints every dot of a chart at each update, and BokehJS re-maps every row
of a changed source, so the page's time per update grows with the rows it holds (about
50 ms per 10k dots in Chromium without a GPU, ``benchmarks/ui_responsiveness.py``). Past
``limit`` rows, :func:`drawn_rows` keeps the ``recent`` newest rows, the rows a caller
must show (the selected trial, improvements of the best so far) and, of the older ones,
the trials whose number is a multiple of a power of two ``step``. The step only changes
when the search doubles, so a drawn dot stays drawn between two doublings (no flicker).
The live charts ask for no recent rows: then the drawn rows only grow between two
doublings, and the page is sent only them (``viz.drawn``).

Example:
    >>> import numpy as np
    >>> rows, step = drawn_rows(np.arange(20), limit=10, recent=4)
    >>> step, rows.tolist()
    (4, [0, 4, 8, 12, 16, 17, 18, 19])
    >>> drawn_rows(np.arange(8), limit=10, recent=4)
    (None, 1)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["drawn_rows", "step_for"]


def step_for(n: int, limit: int) -> int:
    """The thinning's step for ``n`` rows in ``limit`` places: the smallest power of two
    that brings ``n`` to at most ``limit`` (1 when they fit).

    Example:
        >>> step_for(8, 10), step_for(190, 40), step_for(200, 50)
        (1, 8, 4)
    """
    return 1 << max(0, math.ceil(math.log2(n / limit))) if n > limit else 1


def drawn_rows(numbers: Any, limit: int, recent: int,
               must: Any = None) -> tuple[np.ndarray | None, int]:
    """(row indices to draw, step) for a column of trial ``numbers``; ``(None, 1)`` when
    all ``len(numbers) <= limit`` rows are drawn. ``must`` is a boolean mask of rows drawn
    whatever the step. About ``limit`` rows are drawn, plus the ``must`` ones.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or isinstance(recent, bool) \
            or not isinstance(recent, int) or not 0 <= recent < limit:
        raise ValueError(f"need ints 0 <= recent < limit, got recent={recent!r}, "
                         f"limit={limit!r}")
    numbers = np.asarray(numbers, dtype=np.int64)
    n = len(numbers)
    if n <= limit:
        return None, 1
    older = n - recent
    step = step_for(older, limit - recent)
    keep = numbers % step == 0
    keep[older:] = True
    if must is not None:
        must = np.asarray(must, dtype=bool)
        if must.shape != keep.shape:
            raise ValueError(f"must has {must.shape[0]} rows, numbers {n}")
        keep |= must
    return np.flatnonzero(keep).astype(np.int64), step

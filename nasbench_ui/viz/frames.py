"""Stable axes for live charts: a hidden *frame* glyph that each auto range must cover.

BokehJS recomputes a figure's auto ranges (``DataRange1d``) while it paints. When they
changed -- and on a live chart they change at nearly every push: the trial axis grows,
the last learning curves move -- setting them asks for a second paint of the whole
figure. In ``benchmarks/ui_responsiveness.py`` the history and the learning curves were
painted twice per push (75 paints in 10 s each against 37 for the scatter, whose
ranges had settled), and the axes jittered at every push.

So a live figure gets a hidden two-point glyph (:func:`add_frame`), its corners at a
rounded envelope of the data (:class:`StableFrame`): the envelope moves only when the
data leaves it, to the next multiple of a round step (1, 2, 2.5 or 5 times a power of
ten, about an eighth of the data's span), or shrinks once the data fills less than half
of it. The auto ranges then cover the frame, so they change a few dozen times in a long
search instead of at every push, and each push paints once. Hidden renderers count for
auto ranges (``DataRange1d.only_visible`` is False), so the frame draws nothing.
Zooming, panning and the reset tool work as with any auto range.

Example:
    >>> frame = StableFrame()
    >>> frame.fit(0.12, 0.87)
    (0.1, 0.9)
    >>> frame.fit(0.2, 0.8)  # inside, and more than half of the frame: unchanged
    (0.1, 0.9)
    >>> frame.fit(0.2, 0.95)  # out of it: a new frame
    (0.2, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from bokeh.models import ColumnDataSource

__all__ = ["SHRINK", "StableFrame", "add_frame", "extent", "frame_data", "round_step"]

SHRINK = 0.5
"""A frame is refitted when the data spans less than this share of it."""

_MANTISSAS = (1.0, 2.0, 2.5, 5.0, 10.0)


def round_step(span: float) -> float:
    """The round step of a frame around data spanning ``span``: 1, 2, 2.5 or 5 times a
    power of ten, at least an eighth of ``span`` (the least one 1e-12 and up).

    Example:
        >>> round_step(0.75), round_step(186_000), round_step(0)
        (0.1, 25000.0, 1e-12)
    """
    target = max(abs(span) / 8.0, 1e-12)
    power = 10.0 ** math.floor(math.log10(target))
    # the last mantissa, 10, always reaches the target
    return _tidy(next(m * power for m in _MANTISSAS if m * power >= target * (1 - 1e-9)))


def _tidy(v: float) -> float:
    """``v`` without the binary noise of a power of ten (0.30000000000000004 -> 0.3)."""
    return float(f"{v:.12g}")


class StableFrame:
    """A rounded envelope of a 1-D extent that moves rarely (see the module docstring).

    ``bounds`` is the current frame, or None before the first :meth:`fit`.
    """

    def __init__(self) -> None:
        self.bounds: tuple[float, float] | None = None

    def reset(self) -> None:
        """Forget the frame: the next fit starts afresh."""
        self.bounds = None

    def fit(self, lo: float, hi: float) -> tuple[float, float]:
        """The frame around ``[lo, hi]``: the current one while it holds the data and the
        data spans at least ``SHRINK`` of it, else a new one on the round step's grid.

        Example:
            >>> StableFrame().fit(3, 3)  # one value: a frame one step wide around it
            (2.5, 3.5)
        """
        if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
            raise ValueError(f"need finite lo <= hi, got {lo!r} and {hi!r}")
        b = self.bounds
        if b is not None and b[0] <= lo and hi <= b[1] and \
                (hi - lo) >= SHRINK * (b[1] - b[0]):
            return b
        step = round_step(hi - lo if hi > lo else (abs(hi) or 1.0))
        a, z = math.floor(lo / step) * step, math.ceil(hi / step) * step
        if a == z:  # one value on the grid: a step on either side
            a, z = a - step, z + step
        self.bounds = (_tidy(a), _tidy(z))
        return self.bounds


def extent(values: Iterable[float]) -> tuple[float, float] | None:
    """(min, max) of the finite ``values``; None when there is none.

    Example:
        >>> extent([0.5, float("nan"), 0.25, None]), extent([])
        ((0.25, 0.5), None)
    """
    lo, hi = math.inf, -math.inf
    for v in values:
        if v is None or not math.isfinite(v):
            continue
        lo, hi = min(lo, v), max(hi, v)
    return None if lo > hi else (float(lo), float(hi))


def frame_data(x: tuple[float, float] | None, y: tuple[float, float] | None
               ) -> dict[str, list[float]]:
    """The frame glyph's two corners (no point when either axis has no frame yet).

    Example:
        >>> frame_data((0, 10), (0.5, 1.0)), frame_data(None, (0, 1))
        ({'x': [0, 10], 'y': [0.5, 1.0]}, {'x': [], 'y': []})
    """
    if x is None or y is None:
        return {"x": [], "y": []}
    return {"x": [x[0], x[1]], "y": [y[0], y[1]]}


def add_frame(fig: Any) -> ColumnDataSource:
    """Add a hidden frame glyph to ``fig`` (no hover, tap or legend reaches it) and return
    its source; put the frame's corners in it with :func:`frame_data`.

    Example:
        >>> from bokeh.plotting import figure
        >>> fig = figure(name="f")
        >>> src = add_frame(fig); src.data = frame_data((0, 1), (0, 1))
        >>> fig.select_one({"name": "f-frame"}).visible
        False
    """
    src = ColumnDataSource({"x": [], "y": []}, name=f"{fig.name}-frame-source")
    fig.scatter("x", "y", source=src, size=0, alpha=0, visible=False, name=f"{fig.name}-frame")
    return src

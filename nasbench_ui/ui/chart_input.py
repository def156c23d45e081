"""What the user does on the live charts: tap a trial (:class:`TrialPicker`) and drag
the parameter limit (:class:`LimitLine`).

Both listen to Bokeh property changes, which come from two places: the page (a tap, a
drag; applied by the echo-free ``BokehModel`` under the charts' lock, with
``syncing`` set) and the kernel's own sets (a highlight, a re-sent value). The kernel's
own are made inside ``hush()``, and the handlers ignore them. User callbacks run with
the lock released: a callback may take other locks (the workbench's) without a
deadlock.

Example:
    >>> import threading
    >>> from bokeh.models import ColumnDataSource
    >>> src = ColumnDataSource({"number": [4, 7]})
    >>> picker = TrialPicker({"history": src}, threading.RLock(), Hush())
    >>> picker.select(7); src.selected.indices, picker.selected
    ([1], 7)
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["Hush", "LimitLine", "TrialPicker"]

log = logging.getLogger(__name__)
ROLES = ("history", "scatter", "curves")  # the charts whose glyphs can be tapped


class Hush:
    """Marks the kernel's own changes, which the change handlers ignore.

    Example:
        >>> hush = Hush()
        >>> with hush():
        ...     hush.on
        True
        >>> hush.on
        False
    """

    def __init__(self) -> None:
        self.on = False

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        before, self.on = self.on, True
        try:
            yield
        finally:
            self.on = before


def _run_callbacks(callbacks: list[Callable[[Any], Any]], value: Any, what: str) -> None:
    for cb in list(callbacks):
        try:
            cb(value)
        except Exception:  # one bad callback must not break the chart or the others
            log.exception("nasbench_ui charts: %s callback failed", what)


class TrialPicker:
    """The highlighted trial of the charts and the taps on their glyphs.

    ``sources``: the tappable sources by role (each with a ``number`` column); ``lock``:
    the charts' lock; ``syncing()``: whether a page change is being applied now;
    ``poke()``: ask for a push (a thinned chart draws the selected trial's dot).
    """

    def __init__(self, sources: dict[str, Any], lock: Any, hush: Hush,
                 syncing: Callable[[], bool] = lambda: False,
                 poke: Callable[[], Any] = lambda: None) -> None:
        self.sources, self.lock, self.hush = sources, lock, hush
        self._syncing, self._poke = syncing, poke
        self.selected: int | None = None  # the highlighted trial's number
        self._callbacks: list[Callable[[int], Any]] = []
        self._taps: list[int] = []  # taps whose callbacks are still to run
        self._last_new: Any = None
        for role, src in sources.items():
            src.selected.on_change("indices", self._handler(role))

    def on_select(self, callback: Callable[[int], Any]) -> None:
        """Call ``callback(trial_number)`` when a trial glyph is tapped."""
        if not callable(callback):
            raise ValueError(f"on_select needs a callable, got {type(callback).__name__}")
        self._callbacks.append(callback)

    def select(self, number: int | None) -> None:
        """Highlight trial ``number`` in every chart (None clears); no callback fires."""
        with self.lock:
            self.selected = number
            self.highlight(number)
        self._poke()

    def highlight(self, number: int | None, skip: str | None = None) -> None:
        """Select trial ``number``'s rows in every source but ``skip``'s."""
        with self.lock, self.hush():
            for role, src in self.sources.items():
                if role == skip:
                    continue
                idx = [] if number is None else [
                    i for i, n in enumerate(src.data["number"]) if n == number]
                if list(src.selected.indices) != idx:
                    src.selected.indices = idx

    def _handler(self, role: str) -> Callable[[str, Any, Any], None]:
        def handler(attr: str, old: Any, new: Any) -> None:
            with self.lock:  # under the lock: another thread's highlight is not a tap
                syncing = self._syncing()
                # a page event may reach the callbacks twice with the same ``new``
                # (jupyter_bokeh sets the property, then calls them by hand): a repeat
                if self.hush.on or (syncing and new is self._last_new):
                    return
                self._last_new = new if syncing else None
                numbers = self.sources[role].data["number"]
                # an emptied selection (a tap on nothing, or BokehJS on new data) leaves
                # the other charts as they are
                if not new or not 0 <= new[0] < len(numbers):
                    return
                number = numbers[new[0]]
                self.selected = number
                self.highlight(number, skip=role)
                self._taps.append(number)
                if syncing:
                    return  # a page tap: callbacks run once the lock is released
            self.drain()

        return handler

    def drain(self) -> None:
        """Call the on_select callbacks for taps recorded so far (outside the lock)."""
        while self._taps:
            _run_callbacks(self._callbacks, self._taps.pop(0), "on_select")


class LimitLine:
    """The parameter limit drawn on the scatter as a dotted line the user can drag.

    Example:
        >>> import threading
        >>> from bokeh.models import Span
        >>> line = LimitLine(Span(location=0), threading.RLock(), Hush())
        >>> line.set(5000.0, shown=True); line.value, line.span.visible
        (5000.0, True)
    """

    def __init__(self, span: Any, lock: Any, hush: Hush) -> None:
        self.span, self.lock, self.hush = span, lock, hush
        self.value: float | None = None
        self._callbacks: list[Callable[[float], Any]] = []
        span.on_change("location", self._on_moved)

    def set(self, value: float | None, shown: bool) -> None:
        """Put the line at ``value`` (None hides it); ``shown``: the x axis is parameters."""
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ValueError(f"a limit is a number or None, got {value!r}")
        with self.lock, self.hush():
            self.value = None if value is None else float(value)
            self.span.location = self.value or 0.0
            self.span.visible = self.value is not None and shown

    def on_limit(self, callback: Callable[[float], Any]) -> None:
        """Call ``callback(new_limit)`` when the user drags the line in the page."""
        if not callable(callback):
            raise ValueError(f"on_limit needs a callable, got {type(callback).__name__}")
        self._callbacks.append(callback)

    def _on_moved(self, attr: str, old: Any, new: Any) -> None:
        if self.hush.on or new is None or (self.value is not None and new == self.value):
            return  # our own set, or a repeat of a page event
        self.value = float(new)
        _run_callbacks(self._callbacks, self.value, "on_limit")

"""``ChartPusher``: how a live Bokeh widget sends its document's changes to the page.

The live widgets (:class:`~nasbench_ui.ui.charts.LiveCharts`,
:class:`~nasbench_ui.ui.quality_panel.QualityPanel`,
:class:`~nasbench_ui.ui.race_view.RaceView`) share this wiring, written once here:

* **One lock.** Every change to the document happens under ``pusher.lock`` (an
  ``RLock``): jupyter_bokeh sends each change as three comm messages, and two threads
  changing a document at once interleave them.
* **A throttle.** ``poke()`` only marks the widget stale (microseconds, any thread); a
  :class:`~nasbench_ui.viz.throttle.Throttle` thread calls ``flush()`` at most once
  every ``interval`` seconds. ``flush()`` calls the widget's ``push()`` under the lock,
  inside one batch (one PATCH-DOC message per push).
* **Echoes.** The ``BokehModel`` (``make_model()``) drops the page's echoes of kernel
  changes (:func:`~nasbench_ui.viz.notebook.echo_free_model`).
* **Resync.** A view that renders late holds the document as it was when the widget was
  made; on its ``DocumentReady`` event the next push drops its incremental changes and
  calls the widget's ``resend()``, which re-sends every changeable value whole. Until
  then, streams and patches would reach rows that view lacks (BokehJS then holds
  columns of unequal lengths, and warns): so while a view is expected and none has
  said it is ready (from the widget's making, each display of a widget that holds it,
  and each page that asks for its whole state, such as a reload; for at most
  ``WHOLE_FOR`` seconds) every push that changed something is sent whole instead.
* **Receipts** (``receipts=True``). A push ends by setting a mark (the ``tags`` of
  ``ack_source``, a source no glyph draws) when ``receipt_interval`` seconds have passed
  since the last mark; the page's echo of it is the receipt. A new push waits for the
  receipt of the last mark, for at most ``ack_timeout`` seconds (a page that is not
  shown sends none; a kernel busy with a cell handles none), so a busy page falls
  behind by at most the pushes of one interval, never ever further. The page sends back
  no other echo (:func:`~nasbench_ui.viz.notebook.drop_page_echoes`). Receipts are
  asked sparingly because each one is a message to the kernel, and JupyterLab shows
  every message the kernel handles: busy, then idle, in the toolbar, the status bar and
  the favicon, whose swap makes Chromium re-evaluate every stylesheet of the page. A
  receipt per push (about 4 a second) cost the page 0.07 of a core more than one a
  second, and the search 0.04 of its rate (``benchmarks/ui_responsiveness.py``).
* **The page mark.** Every pusher's first push after a view is ready sets the ``tags``
  of ``page_mark`` (a source no glyph draws), which runs
  :func:`~nasbench_ui.viz.page_styles.skip_same_styles` in that page: BokehJS then stops
  rewriting unchanged stylesheets there (with or without receipts; once per view).

Example:
    >>> from bokeh.plotting import figure
    >>> fig, pushed = figure(), []
    >>> pusher = ChartPusher(fig, lambda: pushed.append(1) or True, interval=0.05)
    >>> pusher.flush(); pushed, pusher.pushes
    ([1], 1)
    >>> pusher.close()
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from bokeh.events import DocumentReady
from bokeh.models import ColumnDataSource

from ..viz.notebook import drop_page_echoes, echo_free_model
from ..viz.page_styles import skip_same_styles
from ..viz.throttle import Throttle

__all__ = ["ACK_TIMEOUT", "ACK_TIMEOUT_MIN", "RECEIPT_INTERVAL", "WHOLE_FOR", "ChartPusher",
           "resend_whole"]

# How long a push waits for the page's receipt of the last mark: three times the
# recent round trip, within these bounds. Receipts are handled by the kernel's main
# thread, so a long cell delays them; the timeout keeps the charts moving meanwhile.
ACK_TIMEOUT = 2.0
ACK_TIMEOUT_MIN = 0.5
#: Seconds between two receipts asked of the page, at least (see the module docstring).
RECEIPT_INTERVAL = 1.0
#: Seconds a pusher sends whole values while a view is expected and none has said it is
#: ready (a widget never shown, or shown where no DocumentReady comes back, then goes
#: back to incremental pushes)
WHOLE_FOR = 30.0


def resend_whole(values: Iterable[tuple[Any, str]]) -> None:
    """Re-send each ``(bokeh_model, attribute)`` whole, unchanged (``Model.trigger`` with
    the current value sends it although it did not change).

    Example:
        >>> from bokeh.models import ColumnDataSource
        >>> src = ColumnDataSource({"x": [1]})
        >>> resend_whole([(src, "data")]); src.data["x"]
        [1]
    """
    for model, attr in values:
        value = getattr(model, attr)
        model.trigger(attr, value, value)


class ChartPusher:
    """Lock, throttle, echo-free model, resync and receipts of one live Bokeh widget.

    ``root``: the widget's Bokeh layout. ``push()``: make the document's changes (called
    under the lock, in the updater thread or the caller's); it returns whether it changed
    anything. ``resend()``: re-send every changeable value whole (a late view; default:
    every ``ColumnDataSource`` of the document). ``css_class``: the model's class in the
    page. ``after_sync()``: called after each page change, with the lock released.
    ``receipt_interval``: seconds between two receipts asked of the page, at least.
    """

    def __init__(self, root: Any, push: Callable[[], bool], *, interval: float = 0.25,
                 name: str = "nbui-chart", css_class: str | None = None,
                 resend: Callable[[], Any] | None = None,
                 after_sync: Callable[[], Any] | None = None, receipts: bool = False,
                 receipt_interval: float = RECEIPT_INTERVAL) -> None:
        if isinstance(receipt_interval, bool) or not isinstance(receipt_interval, (int, float)) \
                or not receipt_interval >= 0:
            raise ValueError(f"receipt_interval must be a number of seconds >= 0, got "
                             f"{receipt_interval!r}")
        self.throttle = Throttle(self._tick, interval, name)
        self.root, self._push, self._resend = root, push, resend
        self.css_class, self._after_sync = css_class, after_sync
        self.lock = threading.RLock()
        self.pushes = 0  # document pushes so far (tests count them)
        self.model: Any = None  # the BokehModel, once make_model() made it
        self.view_ready = threading.Event()  # a page has shown the widget (DocumentReady)
        self._dirty = False
        self._resync = False  # a view has just rendered: re-send everything once
        # until then (monotonic seconds), a view is expected: pushes are sent whole
        self._whole_until = time.monotonic() + WHOLE_FOR
        # receipts: the push mark, pushes marked so far and acknowledged by the page
        self.ack_source = ColumnDataSource(data={}, name="nbui-ack") if receipts else None
        if self.ack_source is not None:
            root.tags = [*root.tags, self.ack_source]
            drop_page_echoes(self.ack_source)
        # the page mark: set at the first push a view gets (and again for each later
        # view), it stops BokehJS's rewrites of unchanged stylesheets in that page
        self.page_mark = ColumnDataSource(data={}, name="nbui-page-mark")
        root.tags = [*root.tags, self.page_mark]
        skip_same_styles(self.page_mark)
        self.page_marks = 0  # page marks set so far (tests count them)
        self._page_mark_due = True
        self.sent = 0  # pushes marked so far; a view's echo of the mark acknowledges one
        self.acked = 0
        self.rtt: float | None = None  # smoothed seconds from a mark to its receipt
        self._marked_at = -math.inf  # when the last mark was set (never yet)
        #: seconds between two marks, at least (0: every push is marked)
        self.receipt_interval = float(receipt_interval)
        self._retry: threading.Timer | None = None

    # ------------------------------------------------------------- the model
    def make_model(self) -> Any:
        """The jupyter_bokeh ``BokehModel`` of ``root`` (made once)."""
        with self.lock:
            if self.model is None:
                self.model = echo_free_model(self.root, self.lock, self._after_sync,
                                             self._on_echo)
                self.model.on_new_view = self.expect_view
                if self.css_class:
                    self.model.add_class(self.css_class)
                self.root.document.on_event(DocumentReady, self._on_view_ready)
        return self.model

    @property
    def syncing(self) -> bool:
        """True while a change from the page is being applied (under the lock)."""
        return bool(self.model is not None and self.model.syncing)

    @property
    def interval(self) -> float:
        """Seconds between two pushes of the updater thread, at least."""
        return self.throttle.interval

    # --------------------------------------------------------------- pushing
    def poke(self) -> None:
        """Mark the widget stale: the updater thread pushes soon (cheap, any thread)."""
        self._dirty = True
        self.throttle.poke()

    def flush(self) -> None:
        """Push now, in the caller's thread."""
        batch = self.model.batch() if self.model is not None else contextlib.nullcontext()
        with self.lock, batch:
            self._dirty = False
            try:
                changed = bool(self._push())
            except BaseException:
                self._dirty = True  # the next poke retries
                raise
            if self.model is not None and (
                    self._resync or (changed and time.monotonic() < self._whole_until)):
                # a new view holds the document as it was when the widget was made: its
                # patches and streams would hit rows it lacks (page errors), so it gets
                # only the whole state (events are serialized when the batch ends, so
                # whole values sent after them would hold the streamed rows twice)
                self._resync = False
                self.model.discard_batch()
                self.resend()
                changed = True
            if self._page_mark_due and self.model is not None:
                self._page_mark_due = False
                self.page_marks += 1
                self.page_mark.tags = [self.page_marks]
            if changed and self.model is not None and self.ack_source is not None \
                    and self._mark_due():
                self._mark()
            self.pushes += 1

    def resend(self) -> None:
        """Re-send every changeable value whole (``resend`` given, or every source)."""
        with self.lock:
            if self._resend is not None:
                self._resend()
            else:
                sources = [m for m in self.root.document.models
                           if isinstance(m, ColumnDataSource)
                           and m is not self.ack_source and m is not self.page_mark]
                resend_whole((src, "data") for src in sources)

    def expect_view(self) -> None:
        """A view of the widget may render soon (it is displayed, or a page asked for its
        whole state): send pushes whole until a view is ready (at most ``WHOLE_FOR`` s)."""
        self._whole_until = time.monotonic() + WHOLE_FOR

    def _on_view_ready(self, event: Any) -> None:
        self.view_ready.set()
        self._whole_until = -math.inf
        self._resync = True
        self._page_mark_due = True
        self.poke()

    def close(self) -> None:
        """Stop the updater thread (the document stays as it is)."""
        self.throttle.close()
        if self._retry is not None:
            self._retry.cancel()

    # -------------------------------------------------------------- receipts
    def _tick(self) -> bool | None:
        """The updater thread's call: push, unless a view has not yet acknowledged the
        previous push (for at most ``ack_timeout`` s). Returns False when it waits (not a
        call: the throttle's interval does not restart)."""
        if not self._dirty:
            return None
        with self.lock:
            waited = time.monotonic() - self._marked_at
            limit = self.ack_timeout
            if self.acked < self.sent and waited < limit:
                if self._retry is None:  # the receipt or this timer pokes again
                    self._retry = threading.Timer(limit - waited, self._retry_now)
                    self._retry.daemon = True
                    self._retry.start()
                return False
        self.flush()
        return None

    def _retry_now(self) -> None:
        with self.lock:
            self._retry = None
        self.poke()

    @property
    def ack_timeout(self) -> float:
        """Seconds a push waits for the receipt of the previous one: 3x the smoothed round
        trip, between ``ACK_TIMEOUT_MIN`` and ``ACK_TIMEOUT`` (the maximum before any)."""
        if self.rtt is None:
            return ACK_TIMEOUT
        return min(ACK_TIMEOUT, max(ACK_TIMEOUT_MIN, 3 * self.rtt))

    def _mark_due(self) -> bool:
        """Whether this push asks for a receipt: the first, then one per interval."""
        return time.monotonic() - self._marked_at >= self.receipt_interval

    def _mark(self) -> None:
        """Set the push mark last: the page applies patches in order, so its echo of the
        mark means the whole push has been applied."""
        assert self.ack_source is not None
        self.sent += 1
        self._marked_at = time.monotonic()
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        self.ack_source.tags = [self.sent]

    def _on_echo(self, content: dict[str, Any]) -> None:
        """An echo from the page (under the lock): the push mark's is a receipt."""
        if self.ack_source is None or content.get("attr") != "tags" or \
                (content.get("model") or {}).get("id") != self.ack_source.id:
            return
        new = content.get("new")
        if isinstance(new, list) and new and isinstance(new[0], int):
            if new[0] == self.sent and self.acked < self.sent:  # the latest mark: time it
                rtt = time.monotonic() - self._marked_at
                self.rtt = rtt if self.rtt is None else 0.7 * self.rtt + 0.3 * rtt
            self.acked = max(self.acked, new[0])
            if self._dirty:
                self.throttle.poke()

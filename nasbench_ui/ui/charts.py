"""``LiveCharts``: the live chart panel of the workbench (Bokeh inside one ``BokehModel``).

Four figures from ``viz.figures`` -- history with best-so-far, accuracy vs cost with the
Pareto front, learning curves, op frequency among the top trials -- laid out in one
Bokeh ``column`` of two ``row``s rendered by a single ``jupyter_bokeh.BokehModel``.

The charts explain themselves: the y axes name the objective's metric (``valid_acc``,
the table's column; inferred from the trials unless given), legends above the plot
areas name the state colours, and a panel with nothing to show (no learning curves from
a tabular estimator, no operation choices in the space) is hidden, its reason written in
a line under the charts (``nbui-chart-notes``), so the other charts take its room.

Threading: ``update(trials)`` takes the FULL current list of trials and only records
it (a reference assignment and an ``Event.set``: microseconds), so a search thread may
call it as often as it likes. One daemon updater thread pushes the latest list to the
Bokeh document at most once every ``interval`` seconds; ``flush()`` pushes now. Every
change to the document (pushes, selection, axis labels) happens under ``self.lock``
(one ``threading.RLock``): jupyter_bokeh sends each change as three comm messages, and
two threads changing a document at once interleave them (see STACK-NOTES).

The columns are kept by a ``viz.live_tables.LiveTables``, which folds in each trial once
it finishes, so a push costs about the same at 10 trials and at 10,000. A push moves the
new columns in with ``viz.figures.sync_source``: new finished trials are streamed, a few
changed cells (Pareto flags) are patched, anything else replaced. The Pareto front is
sent as NumPy arrays (binary buffers), whole, when it changed.

A ``BokehModel`` view starts from the document as it was when the widget was made, so
patches sent before it exists are lost (seen in JupyterLab); on its ``DocumentReady``
event the next push re-sends every source and changeable property whole. Echoes the
view sends back are dropped (``viz.notebook``).

Example:
    >>> from nasbench_ui import spaces
    >>> from nasbench_ui.storage.trial import Trial, TrialState
    >>> charts = LiveCharts(spaces.nb201())
    >>> charts.update([Trial(0, TrialState.COMPLETE, {}, 0.5)]); charts.flush()
    >>> charts.sources["history"].data["value"]
    [0.5]
    >>> charts.close()
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as w
import numpy as np
from bokeh.events import DocumentReady
from bokeh.layouts import column, row
from bokeh.models import ColumnDataSource, Label, Span

from nasbench_ui.storage.trial import Trial
from nasbench_ui.viz import figures, labels, tables
from nasbench_ui.viz.live_tables import LiveTables
from nasbench_ui.viz.notebook import echo_free_model, ensure_bokehjs
from nasbench_ui.viz.thinning import drawn_rows
from nasbench_ui.viz.throttle import Throttle

from .text import SafeHTML

__all__ = ["SCATTER_METRICS", "LiveCharts", "ensure_bokehjs"]

log = logging.getLogger(__name__)
SCATTER_METRICS = ("params", "flops", "latency_ms")
# How long a push waits for the page's receipt of the previous one: three times the
# recent round trip, within these bounds. Receipts are handled by the kernel's main
# thread, so a long cell delays them; the timeout keeps the charts moving meanwhile.
ACK_TIMEOUT = 2.0
ACK_TIMEOUT_MIN = 0.5
DRAW_LIMIT = 5000  # dots a chart draws at most (plus the must-draw ones): viz.thinning
DRAW_RECENT = 1000  # the newest trials are always drawn
FRONT_LIMIT = 2000  # Pareto-front points drawn at most (plus its two ends)


class LiveCharts:
    """The live chart panel. See the module docstring.

    ``objective`` names the plotted value ("value" or a metric key), ``maximize`` its
    direction; ``curve_metric`` the curve key; ``last`` how many curves; ``top_k`` the
    trials counted by the op-frequency heatmap.
    """

    def __init__(
        self, space: Any = None, objective: str = "value", maximize: bool = True,
        interval: float = 0.25, scatter_x: str = "params", curve_metric: str = "valid_acc",
        last: int = 10, top_k: int = 10, estimator: str | None = None,
    ) -> None:
        self._throttle = Throttle(self._tick, interval, "nbui-charts")
        self._check_x(scatter_x)
        self.space, self.objective, self.maximize = space, objective, maximize
        self.curve_metric, self.last, self.top_k = curve_metric, last, top_k
        self.estimator = estimator  # its name: a tabular one draws no learning curves
        self._label: str | None = None  # the y axes' name of the objective, once known
        self._seen_curves = False
        self.lock = threading.RLock()
        self.pushes = 0  # document pushes so far (tests count them)
        self._x = scatter_x
        self._upto: int | None = None
        self._pending: list[Trial] = []
        self._dirty = True
        self._selected: int | None = None
        self._memo: tables.Memo = {}  # hover texts of finished trials
        self._tables: LiveTables | None = None  # the columns, folded in trial by trial
        self._front_sent: tuple[int, int] | None = None
        self._top_sent: list[int] | None = None
        self._quiet = False
        self._callbacks: list[Callable[[int], Any]] = []
        self._limit_callbacks: list[Callable[[float], Any]] = []
        self._limit: float | None = None
        self._taps: list[int] = []  # taps whose callbacks are still to run
        self._last_new: Any = None
        self.model: Any = None  # the BokehModel, once ``widget`` is made
        self._widget: Any = None
        self._resync = False  # a view has just rendered: re-send everything once
        self.view_ready = threading.Event()  # a page has shown the charts (DocumentReady)
        self._seq = 0  # pushes marked so far; a view's echo of the mark acknowledges one
        self._acked = 0
        self._marked_at = 0.0
        self._rtt: float | None = None  # smoothed seconds from a mark to its receipt
        self._retry: threading.Timer | None = None
        self._build()

    # ------------------------------------------------------------- building
    def _build(self) -> None:
        label = labels.objective_label([], self.objective)
        self.history_fig, s1 = figures.history_figure(objective=label)
        self.scatter_fig, s2 = figures.scatter_figure(self._x, y_label=label)
        self.curves_fig, s3 = figures.curves_figure(metric=self.curve_metric)
        self.opfreq_fig, s4 = figures.op_frequency_figure(self.space, top_k=self.top_k)
        self.sources = {**s1, **s2, **s3, **s4}
        # why a panel is hidden, under the charts (a SafeHTML: text, never markup)
        self.empty_note = SafeHTML("", layout=w.Layout(display="none"))
        self.empty_note.add_class("nbui-chart-notes")
        self.layout = column(row(self.history_fig, self.scatter_fig),
                             row(self.curves_fig, self.opfreq_fig), name="nbui-chart-layout")
        self._arrange([])
        for role in ("history", "scatter", "curves"):
            self.sources[role].selected.on_change("indices", self._on_indices(role))
        # the parameter limit: a dotted line on the scatter that the user can drag
        # purple and dotted: apart from the Pareto front's dashed red step line
        self.limit_span = Span(location=0, dimension="height", line_color="#7b1fa2",
                               line_dash="dotted", line_width=3, visible=False, editable=True,
                               name="nbui-limit")
        self.scatter_fig.add_layout(self.limit_span)
        self.limit_span.on_change("location", self._on_limit_moved)
        # the push mark: a source no glyph draws, whose ``tags`` a push sets last; the
        # page's echo of it is the receipt (see ``_tick``)
        self.ack_source = ColumnDataSource(data={}, name="nbui-ack")
        self.layout.tags = [self.ack_source]
        self.drawn = {role: fig.select_one({"name": f"nbui-{role}-drawn"}) for role, fig in
                      (("history", self.history_fig), ("scatter", self.scatter_fig))}
        self._steps = {"history": 1, "scatter": 1, "front": 1}
        self.notes = {}  # what a thinned chart does not draw, said inside the plot
        for role, fig in (("history", self.history_fig), ("scatter", self.scatter_fig)):
            self.notes[role] = Label(x=6, y=6, x_units="screen", y_units="screen", text="",
                                     text_font_size="8pt", text_color="#555555",
                                     background_fill_color="white", background_fill_alpha=0.7,
                                     name=f"nbui-{role}-note")
            fig.add_layout(self.notes[role])

    @property
    def widget(self) -> Any:
        """The ipywidgets object to display: a picker of the scatter's x metric above one
        ``BokehModel`` of the whole layout (``self.model``)."""
        if self._widget is None:
            with self.lock:
                self.model = echo_free_model(self.layout, self.lock, self._drain,
                                             self._on_echo)
                self.model.add_class("nbui-charts")
                self.layout.document.on_event(DocumentReady, self._on_view_ready)
            self.x_picker = w.ToggleButtons(options=list(SCATTER_METRICS), value=self._x,
                                            description="scatter x",
                                            style={"button_width": "auto"})
            self.x_picker.observe(lambda ch: self.set_scatter_x(ch["new"]), "value")
            self._widget = w.VBox([self.x_picker, self.model, self.empty_note])
        return self._widget

    @property
    def interval(self) -> float:
        """Seconds between two pushes of the updater thread, at least."""
        return self._throttle.interval

    @staticmethod
    def _check_x(x: Any) -> None:
        if x not in SCATTER_METRICS:
            raise ValueError(f"scatter x must be one of {list(SCATTER_METRICS)}, got {x!r}")

    # -------------------------------------------------------------- updates
    def update(self, trials: Sequence[Trial]) -> None:
        """Record the full current list of trials; the updater thread pushes it soon."""
        self._pending = trials if isinstance(trials, list) else list(trials)
        self._dirty = True
        self._throttle.poke()

    def _tick(self) -> bool | None:
        """The updater thread's call: push, unless a view has not yet acknowledged the
        previous push (for at most ``ack_timeout`` s: a page that is not shown sends none,
        and a kernel busy with a cell handles none).
        Pacing pushes by the page's receipts keeps a busy page from falling ever further
        behind (seen at 10k trials: seconds of queued patches)."""
        if not self._dirty:
            return None
        with self.lock:
            waited = time.monotonic() - self._marked_at
            limit = self.ack_timeout
            if self._acked < self._seq and waited < limit:
                if self._retry is None:  # the receipt or this timer pokes again
                    self._retry = threading.Timer(limit - waited, self._retry_now)
                    self._retry.daemon = True
                    self._retry.start()
                return False  # not a call: the throttle's interval does not restart
        self.flush()
        return None

    def _retry_now(self) -> None:
        with self.lock:
            self._retry = None
        self._kick()

    @property
    def ack_timeout(self) -> float:
        """Seconds a push waits for the receipt of the previous one: 3x the smoothed round
        trip, between ``ACK_TIMEOUT_MIN`` and ``ACK_TIMEOUT`` (the maximum before any)."""
        if self._rtt is None:
            return ACK_TIMEOUT
        return min(ACK_TIMEOUT, max(ACK_TIMEOUT_MIN, 3 * self._rtt))

    def _on_echo(self, content: dict[str, Any]) -> None:
        if content.get("attr") != "tags" or (content.get("model") or {}).get("id") != \
                self.ack_source.id:
            return
        new = content.get("new")
        if isinstance(new, list) and new and isinstance(new[0], int):
            if new[0] == self._seq and self._acked < self._seq:  # the latest mark: time it
                rtt = time.monotonic() - self._marked_at
                self._rtt = rtt if self._rtt is None else 0.7 * self._rtt + 0.3 * rtt
            self._acked = max(self._acked, new[0])
            if self._dirty:
                self._throttle.poke()

    def flush(self) -> None:
        """Push the latest trials to the document now (in the caller's thread)."""
        with self.lock:
            self._dirty = False
            try:
                self._push(self._pending)
            except BaseException:
                self._dirty = True  # the next update() retries
                raise

    def _push(self, trials: list[Trial]) -> None:
        batch = self.model.batch() if self.model is not None else contextlib.nullcontext()
        with self.lock, batch:  # one PATCH-DOC message per push
            if self._upto is not None:
                trials = [t for t in trials if t.number < self._upto]
            lt = self._tables
            if lt is None:
                lt = self._tables = self._new_tables()
            try:
                lt.feed(trials)  # folds in only the trials finished since the last push
            except ValueError:  # a finished trial changed (a rewritten store): start over
                lt = self._tables = self._new_tables()
                lt.feed(trials)
            curves = tables.curves_data(trials, self.curve_metric, self.last)
            self._name_axes(trials)
            self._arrange(trials, finished=len(lt.history["number"]),
                          curves=len(curves["number"]))
            kinds = [figures.sync_source(self.sources["history"], lt.history),
                     figures.sync_source(self.sources["scatter"], lt.points),
                     figures.sync_source(self.sources["curves"], curves)]
            if self._front_sent != (id(lt), lt.front_version):
                self._front_sent = (id(lt), lt.front_version)
                self.sources["pareto"].data = self._front_arrays(lt.front)
                kinds.append("replace")
            if self.space is not None:
                top = [t.number for t in lt.top]
                if top != self._top_sent:
                    self._top_sent = top
                    figures.sync_source(self.sources["opfreq"], tables.op_frequency(
                        lt.top, self.space, self.top_k, self.maximize))
            self._thin(lt)
            self._set_titles()
            if self._selected is not None and set(kinds) != {"none"}:
                self._highlight(self._selected)
            if self._resync:
                # a new view holds the document as it was when the widget was made: its
                # patches and streams would hit rows it lacks (page errors), so it gets
                # only the whole state (events are serialized when the batch ends, so
                # whole values sent after them would hold the streamed rows twice)
                self._resync = False
                if self.model is not None:
                    self.model.discard_batch()
                self._send_all()
                kinds.append("replace")
            if self.model is not None and set(kinds) != {"none"}:
                self._mark()
            self.pushes += 1

    def _mark(self) -> None:
        """Set the push mark last: the page applies patches in order, so its echo of the
        mark means the whole push has been applied."""
        self._seq += 1
        self._marked_at = time.monotonic()
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        self._quiet = True
        try:
            self.ack_source.tags = [self._seq]
        finally:
            self._quiet = False

    def _thin(self, lt: LiveTables) -> None:
        """Past ``DRAW_LIMIT`` trials, draw the recent ones, the selected one, the best-so-far
        improvements and every ``step``-th older one (``viz.thinning``); the sources keep
        every row."""
        for role, cols in (("history", lt.history), ("scatter", lt.points)):
            numbers = cols["number"]
            must = None
            if len(numbers) > DRAW_LIMIT:
                must = np.asarray(numbers) == (-1 if self._selected is None else self._selected)
                if role == "history":
                    best = np.asarray(cols["best_so_far"], dtype=float)
                    same = (best[1:] == best[:-1]) | (np.isnan(best[1:]) & np.isnan(best[:-1]))
                    must[1:] |= ~same
            rows, step = drawn_rows(numbers, DRAW_LIMIT, DRAW_RECENT, must)
            flt = self.drawn[role]
            old = flt.indices
            if rows is None and old is None:
                continue
            if rows is None or old is None or len(rows) != len(old) or \
                    not np.array_equal(rows, np.asarray(old)):
                flt.indices = rows
            self._steps[role] = step

    def _front_arrays(self, front: dict[str, list]) -> dict[str, np.ndarray]:
        """The front's columns as arrays (binary buffers: a front of thousands of points,
        cost rising with accuracy, is re-sent in about a millisecond). Past
        ``FRONT_LIMIT`` points the line is drawn through the two ends and every
        ``step``-th point by trial number: the page echoes each push back, and a 30k-point
        front cost it ~0.1 s of base64 per push."""
        cols = {k: np.asarray(v, dtype=float if k != "number" else np.int64)
                for k, v in front.items()}
        n = len(cols["number"])
        must = np.zeros(n, dtype=bool)
        must[[0, -1] if n else []] = True
        rows, self._steps["front"] = drawn_rows(cols["number"], FRONT_LIMIT, 0, must)
        return cols if rows is None else {k: v[rows] for k, v in cols.items()}

    def _name_axes(self, trials: Sequence[Trial]) -> None:
        """The y axes name the objective (found once from the first COMPLETE trial), the
        scatter's x axis its metric; a property is set only when it changes."""
        if self._label is None or self._label == "objective":
            self._label = labels.objective_label(trials, self.objective)
        label = self._label
        for fig in (self.history_fig, self.scatter_fig):
            if fig.yaxis[0].axis_label != label:
                fig.yaxis[0].axis_label = label
        tips = figures.trial_tips(label)
        hover = self.history_fig.select_one({"name": "nbui-history-fig-hover"})
        if hover.tooltips != tips:
            hover.tooltips = tips
        tips = figures.scatter_tips(self._x, label)
        hover = self.scatter_fig.select_one({"name": "nbui-scatter-fig-hover"})
        if hover.tooltips != tips:
            hover.tooltips = tips
        x_label = labels.metric_label(self._x)
        if self.scatter_fig.xaxis[0].axis_label != x_label:
            self.scatter_fig.xaxis[0].axis_label = x_label

    def _arrange(self, trials: Sequence[Trial], finished: int = 0, curves: int = 0) -> None:
        """Hide a panel with nothing to show and say why in ``empty_note``: the learning
        curves of an estimator that reports none (a tabular one), the op heatmap of a space
        with no operation choices. A visibility flips rarely (once per search at most)."""
        self._seen_curves = self._seen_curves or curves > 0
        notes = []
        curve_note = "" if self._seen_curves else labels.curves_note(
            trials if finished else [], self.curve_metric, self.estimator)
        if curve_note:
            notes.append(curve_note)
        no_ops = not figures.op_factors(self.space)[0]
        if no_ops:
            notes.append(labels.EMPTY_OPS)
        text = "; ".join(notes)
        for model, attr, value in ((self.curves_fig, "visible", not curve_note),
                                   (self.opfreq_fig, "visible", not no_ops)):
            if getattr(model, attr) != value:
                setattr(model, attr, value)
        text = text[:1].upper() + text[1:]
        if self.empty_note.value != text:
            self.empty_note.value = text
            self.empty_note.layout.display = "block" if text else "none"

    @property
    def objective_label(self) -> str:
        """What the y axes call the objective (a metric name, never "value")."""
        return self._label or labels.objective_label([], self.objective)

    def _set_titles(self) -> None:
        """The scatter's title names its x; what thinning hides is said by a note drawn in
        the plot (a title change re-lays the page out: a lag spike at each doubling)."""
        title = f"{self.objective_label} vs {labels.metric_label(self._x)}"
        if self.scatter_fig.title.text != title:
            self.scatter_fig.title.text = title
        for role in ("history", "scatter"):
            parts = []
            if self._steps[role] > 1:
                parts.append(f"older trials: 1 in {self._steps[role]} drawn")
            if role == "scatter" and self._steps["front"] > 1:
                parts.append(f"front: 1 in {self._steps['front']} points")
            text = "; ".join(parts)
            if self.notes[role].text != text:
                self.notes[role].text = text

    def _new_tables(self) -> LiveTables:
        self._top_sent = None
        return LiveTables(self.objective, self.maximize, self._x, self.top_k, self._memo)

    def _on_view_ready(self, event: Any) -> None:
        self.view_ready.set()
        self._resync = True
        self._kick()

    def _send_all(self) -> None:
        """Re-send, whole, every source and every property a push or a view change can
        alter (``Model.trigger`` with the current value sends it even though unchanged)."""
        with self.lock:
            self._quiet = True
            try:
                for src in self.sources.values():
                    src.trigger("data", src.data, src.data)
                    src.selected.trigger("indices", src.selected.indices, src.selected.indices)
                for model, attr in ((self.limit_span, "location"), (self.limit_span, "visible"),
                                    (self.scatter_fig.xaxis[0], "axis_label"),
                                    (self.scatter_fig.yaxis[0], "axis_label"),
                                    (self.history_fig.yaxis[0], "axis_label"),
                                    (self.history_fig.select_one(
                                        {"name": "nbui-history-fig-hover"}), "tooltips"),
                                    (self.scatter_fig.select_one(
                                        {"name": "nbui-scatter-fig-hover"}), "tooltips"),
                                    (self.curves_fig, "visible"),
                                    (self.opfreq_fig, "visible"),
                                    (self.scatter_fig.title, "text"),
                                    (self.notes["history"], "text"),
                                    (self.notes["scatter"], "text"),
                                    (self.drawn["history"], "indices"),
                                    (self.drawn["scatter"], "indices"),
                                    (self.opfreq_fig.title, "text"),
                                    (self.opfreq_fig.x_range, "factors"),
                                    (self.opfreq_fig.y_range, "factors")):
                    value = getattr(model, attr)
                    model.trigger(attr, value, value)
            finally:
                self._quiet = False

    def close(self) -> None:
        """Stop the updater thread (the figures stay as they are)."""
        self._throttle.close()
        if self._retry is not None:
            self._retry.cancel()

    # ---------------------------------------------------------------- views
    def set_scatter_x(self, metric: str) -> None:
        """Plot the scatter against "params", "flops" or "latency_ms" (pushed by flush)."""
        self._check_x(metric)
        with self.lock:
            self._x = metric
            self._tables = None  # new x values: rebuilt at the next push
        picker = getattr(self, "x_picker", None)
        if picker is not None and picker.value != metric:
            picker.value = metric
        self.set_limit(self._limit)  # the limit line is in parameters: shown on that axis only
        self._kick()

    def set_view(self, upto: int | None) -> None:
        """Show only trials numbered below ``upto`` (a replay); None shows all."""
        if upto is not None and (isinstance(upto, bool) or not isinstance(upto, int)):
            raise ValueError(f"upto must be an int trial number or None, got {upto!r}")
        with self.lock:
            if upto != self._upto:
                self._upto = upto
                self._tables = None  # other trials: rebuilt at the next push
        self._kick()

    def reset(self, space: Any = None, estimator: str | None = None,
              objective_label: str | None = None) -> None:
        """Forget all trials and the selection; show ``space`` in the op-frequency map.

        ``estimator`` (its name) tells whether learning curves can come (a tabular one
        has none); ``objective_label`` names the y axes (default: inferred from the
        first COMPLETE trial, ``valid_acc`` for ``train``)."""
        with self.lock:
            self.space, self.estimator = space, estimator
            self._label = objective_label
            self._seen_curves = False
            self._pending, self._selected, self._upto, self._memo = [], None, None, {}
            self._tables = None
            edges, ops = figures.op_factors(space)
            self.opfreq_fig.x_range.factors = ops
            self.opfreq_fig.y_range.factors = edges[::-1]
            self.opfreq_fig.title.text = (f"Ops chosen by the top {self.top_k} trials" if edges
                                          else "No operation choices in this space")
            empty = tables.op_frequency([], space) if space is not None else \
                tables.op_frequency_empty()
            self.sources["opfreq"].data = empty
            self._highlight(None)
            self.flush()

    def _kick(self) -> None:
        self._dirty = True
        self._throttle.poke()

    # ----------------------------------------------------------- the limit
    def set_limit(self, value: float | None) -> None:
        """Draw the parameter limit at ``value`` on the scatter (None hides it); it shows
        while the scatter's x is ``params``."""
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ValueError(f"a limit is a number or None, got {value!r}")
        with self.lock:
            self._limit = None if value is None else float(value)
            self._quiet = True
            try:
                self.limit_span.location = self._limit or 0.0
                self.limit_span.visible = self._limit is not None and self._x == "params"
            finally:
                self._quiet = False

    @property
    def limit(self) -> float | None:
        """The parameter limit drawn on the scatter, or None."""
        return self._limit

    def on_limit(self, callback: Callable[[float], Any]) -> None:
        """Call ``callback(new_limit)`` when the user drags the limit line in the page."""
        if not callable(callback):
            raise ValueError(f"on_limit needs a callable, got {type(callback).__name__}")
        self._limit_callbacks.append(callback)

    def _on_limit_moved(self, attr: str, old: Any, new: Any) -> None:
        if self._quiet or new is None or (self._limit is not None and new == self._limit):
            return  # our own set, or jupyter_bokeh's repeat of a page event
        self._limit = float(new)
        for cb in list(self._limit_callbacks):
            try:
                cb(self._limit)
            except Exception:  # a bad callback must not break the chart
                log.exception("nasbench_ui charts: on_limit callback failed")

    # ------------------------------------------------------------ selection
    def on_select(self, callback: Callable[[int], Any]) -> None:
        """Call ``callback(trial_number)`` when a trial glyph is tapped."""
        if not callable(callback):
            raise ValueError(f"on_select needs a callable, got {type(callback).__name__}")
        self._callbacks.append(callback)

    @property
    def selected(self) -> int | None:
        """The number of the highlighted trial, or None."""
        return self._selected

    def select(self, number: int | None) -> None:
        """Highlight trial ``number`` in every chart (None clears); no callback fires."""
        with self.lock:
            self._selected = number
            self._highlight(number)
        self._kick()  # a thinned chart draws the selected trial's dot from the next push

    def _highlight(self, number: int | None, skip: str | None = None) -> None:
        with self.lock:
            self._quiet = True
            try:
                for role in ("history", "scatter", "curves"):
                    if role == skip:
                        continue
                    src = self.sources[role]
                    idx = [] if number is None else [
                        i for i, n in enumerate(src.data["number"]) if n == number]
                    if list(src.selected.indices) != idx:
                        src.selected.indices = idx
            finally:
                self._quiet = False

    def _on_indices(self, role: str) -> Callable[[str, Any, Any], None]:
        def handler(attr: str, old: Any, new: Any) -> None:
            with self.lock:  # under the lock: another thread's highlight is not a tap
                syncing = getattr(self.model, "syncing", False)
                # jupyter_bokeh calls on_change callbacks twice per page event (from the
                # property set, then by hand) with the same ``new``; the second is a repeat
                if self._quiet or (syncing and new is self._last_new):
                    return
                self._last_new = new if syncing else None
                numbers = self.sources[role].data["number"]
                # an emptied selection (a tap on nothing, or BokehJS on new data) leaves
                # the other charts as they are
                if not new or not 0 <= new[0] < len(numbers):
                    return
                number = numbers[new[0]]
                self._selected = number
                self._highlight(number, skip=role)
                self._taps.append(number)
                if syncing:
                    return  # a page tap: callbacks run once the lock is released
            self._drain()

        return handler

    def _drain(self) -> None:
        """Call the on_select callbacks for taps recorded so far (outside the lock)."""
        while self._taps:
            number = self._taps.pop(0)
            for cb in list(self._callbacks):
                try:
                    cb(number)
                except Exception:  # one bad callback must not break the others
                    log.exception("nasbench_ui charts: on_select callback failed")

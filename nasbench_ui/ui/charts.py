"""``LiveCharts``: the live chart panel of the workbench (Bokeh inside one ``BokehModel``).

Four figures -- history with best-so-far, accuracy vs cost with the Pareto front,
learning curves, op frequency among the top trials -- laid out in one Bokeh ``column``
of two ``row``s rendered by a single ``jupyter_bokeh.BokehModel``. The panel is composed
of parts, each in its module:

* :class:`~nasbench_ui.ui.chart_figures.ChartFigures`: the figures, their sources and
  how they explain themselves (axis names, hidden empty panels and why, thinning notes);
* :class:`~nasbench_ui.ui.pusher.ChartPusher`: the lock, the throttle, the echo-free
  model, the resync of a late view and the pacing by the page's receipts;
* :class:`~nasbench_ui.ui.chart_input.TrialPicker` and
  :class:`~nasbench_ui.ui.chart_input.LimitLine`: a tap on a trial, a drag of the limit.

Threading: ``update(trials)`` takes the FULL current list of trials and only records
it (a reference assignment and an ``Event.set``: microseconds), so a search thread may
call it as often as it likes. The pusher's thread pushes the latest list to the Bokeh
document at most once every ``interval`` seconds; ``flush()`` pushes now. Every change
to the document happens under ``self.lock``. While a search is fast (a push carried more
than ``BUSY_TRIALS`` newly finished trials), the next push waits ``busy_interval``
instead (twice ``interval`` by default): the page's work is per push (BokehJS repaints
each changed figure, Blink restyles), and with a 2,000-trials-a-second search on two
cores, pushing every 0.5 s instead of 0.25 s took the page from 0.38-0.40 to 0.25-0.28
of a core and the search's rate beside the workbench from 0.842/0.848 to 0.943/0.849 of
its rate alone (``benchmarks/ui_responsiveness.py --process``, 90 s, two runs each;
on a kernel thread, 120 s: 0.762 to 0.805), the chart lag from 0.23 to 0.38 s
(median; max 0.79-0.86 s). A search whose trials finish one at a time keeps the
quicker pace, where each trial shows the soonest.

The columns are kept by a ``viz.live_tables.LiveTables``, which folds in each trial once
it finishes, so a push costs about the same at 10 trials and at 100,000. The page gets
only the rows the history and the scatter draw (all up to ``DRAW_LIMIT`` trials, then a
thinned set: ``ChartFigures.draw``), through ``viz.drawn.DrawnSource``: new drawn rows
are streamed, a few changed cells (Pareto flags) are patched, anything else replaced;
the hover texts are formatted for the drawn rows only. The Pareto front is
sent as NumPy arrays (inline in the patch, ``viz.notebook.patch_message``), thinned, when it changed.

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

from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as w

from nasbench_ui.storage.trial import Trial
from nasbench_ui.viz import figures, rungs, tables
from nasbench_ui.viz.live_tables import LiveTables
from nasbench_ui.viz.notebook import ensure_bokehjs

from .chart_figures import DRAW_LIMIT, FRONT_LIMIT, ChartFigures
from .chart_input import Hush, LimitLine, TrialPicker
from .pusher import ACK_TIMEOUT, ACK_TIMEOUT_MIN, ChartPusher, resend_whole

__all__ = ["ACK_TIMEOUT", "ACK_TIMEOUT_MIN", "BUSY_TRIALS", "DRAW_LIMIT", "FRONT_LIMIT",
           "SCATTER_METRICS", "LiveCharts", "ensure_bokehjs"]

SCATTER_METRICS = ("params", "flops", "latency_ms")
#: A push that carried more newly finished trials than this sets the slower pace
#: (``busy_interval``) for the next one; otherwise the next waits ``interval``.
BUSY_TRIALS = 4


class LiveCharts:
    """The live chart panel. See the module docstring.

    ``objective`` names the plotted value ("value" or a metric key), ``maximize`` its
    direction; ``curve_metric`` the curve key; ``last`` how many curves; ``top_k`` the
    trials counted by the op-frequency heatmap. ``interval`` is the seconds between two
    pushes, at least; ``busy_interval`` (default twice ``interval``) the same while a
    search is fast (more than ``BUSY_TRIALS`` trials finished between two pushes).
    """

    def __init__(
        self, space: Any = None, objective: str = "value", maximize: bool = True,
        interval: float = 0.25, scatter_x: str = "params", curve_metric: str = "valid_acc",
        last: int = 10, top_k: int = 10, estimator: str | None = None,
        busy_interval: float | None = None,
    ) -> None:
        self._check_x(scatter_x)
        self.maximize, self.curve_metric, self.last, self.top_k = maximize, curve_metric, last, top_k
        self.figures = ChartFigures(space, objective, scatter_x, curve_metric, top_k)
        self.figures.estimator = estimator
        f = self.figures
        # the parts, under their usual names (tests and pages find them here)
        self.history_fig, self.scatter_fig = f.history_fig, f.scatter_fig
        self.curves_fig, self.opfreq_fig = f.curves_fig, f.opfreq_fig
        self.sources, self.layout, self.empty_note = f.sources, f.layout, f.empty_note
        self.limit_span, self.drawn, self.notes = f.limit_span, f.drawn, f.notes
        self.pusher = ChartPusher(f.layout, self._push, interval=interval, name="nbui-charts",
                                  css_class="nbui-charts", resend=self._resend,
                                  after_sync=lambda: self.picker.drain(), receipts=True)
        self._interval = self.pusher.interval  # checked by the pusher's throttle
        if busy_interval is None:
            busy_interval = 2 * self._interval
        if isinstance(busy_interval, bool) or not isinstance(busy_interval, (int, float)) \
                or not busy_interval >= self._interval:
            self.pusher.close()
            raise ValueError(f"busy_interval must be a number of seconds >= interval "
                             f"({self._interval:g}), got {busy_interval!r}")
        self.busy_interval = float(busy_interval)
        self.lock = self.pusher.lock
        self.ack_source = self.pusher.ack_source
        self._hush = Hush()
        self.picker = TrialPicker({r: f.sources[r] for r in ("history", "scatter", "curves")},
                                  self.lock, self._hush, lambda: self.pusher.syncing,
                                  self.pusher.poke)
        self.limit_line = LimitLine(f.limit_span, self.lock, self._hush)
        self._replay_before: int | None = None  # replay: only trials numbered below it
        self._pending: list[Trial] = []
        self._memo: tables.Memo = {}  # hover texts of finished trials
        self._tables: LiveTables | None = None  # the columns, folded in trial by trial
        self._curved: list[Trial] = []  # finished trials with a curve point, newest kept
        self._front_sent: tuple[int, int] | None = None
        self._history_seen: tuple[LiveTables | None, int] = (None, 0)  # (tables, rows)
        self._top_sent: list[int] | None = None
        self.model: Any = None  # the BokehModel, once ``widget`` is made
        self._widget: Any = None

    @property
    def widget(self) -> Any:
        """The ipywidgets object to display: a picker of the scatter's x metric above one
        ``BokehModel`` of the whole layout (``self.model``)."""
        if self._widget is None:
            self.model = self.pusher.make_model()
            self.x_picker = w.ToggleButtons(options=list(SCATTER_METRICS), value=self.x,
                                            description="scatter x",
                                            style={"button_width": "auto"})
            self.x_picker.observe(lambda ch: self.set_scatter_x(ch["new"]), "value")
            self._widget = w.VBox([self.x_picker, self.model, self.empty_note])
        return self._widget

    # ------------------------------------------------------------ settings
    @property
    def space(self) -> Any:
        """The search space whose operation choices the op-frequency map shows."""
        return self.figures.space

    @property
    def objective(self) -> str:
        """The plotted value ("value" or a metric key)."""
        return self.figures.objective

    @property
    def estimator(self) -> str | None:
        """The estimator's name (a tabular one draws no learning curves)."""
        return self.figures.estimator

    @property
    def x(self) -> str:
        """The scatter's x metric."""
        return self.figures.x

    @property
    def objective_label(self) -> str:
        """What the y axes call the objective (a metric name, never "value")."""
        return self.figures.objective_label

    @property
    def interval(self) -> float:
        """Seconds between two pushes of the updater thread, at least (``busy_interval``
        while a search is fast)."""
        return self._interval

    @property
    def pushes(self) -> int:
        """Document pushes so far."""
        return self.pusher.pushes

    @property
    def view_ready(self) -> Any:
        """A ``threading.Event`` set once a page has shown the charts (DocumentReady)."""
        return self.pusher.view_ready

    @staticmethod
    def _check_x(x: Any) -> None:
        if x not in SCATTER_METRICS:
            raise ValueError(f"scatter x must be one of {list(SCATTER_METRICS)}, got {x!r}")

    # -------------------------------------------------------------- updates
    def update(self, trials: Sequence[Trial]) -> None:
        """Record the full current list of trials; the updater thread pushes it soon."""
        self._pending = trials if isinstance(trials, list) else list(trials)
        self.pusher.poke()

    def flush(self) -> None:
        """Push the latest trials to the document now (in the caller's thread)."""
        self.pusher.flush()

    def _push(self) -> bool:
        """Move the recorded trials into the sources (under the pusher's lock and batch);
        whether anything changed."""
        trials, f = self._pending, self.figures
        if self._replay_before is not None:
            trials = [t for t in trials if t.number < self._replay_before]
        lt = self._tables
        if lt is None:
            lt = self._tables = self._new_tables()
        try:
            new = lt.feed_sorted(trials)  # only the trials finished since the last push
        except ValueError:  # a finished trial changed (a rewritten store): start over
            lt = self._tables = self._new_tables()
            new = lt.feed_sorted(trials)
        if new:  # the next push's pace: slower while many trials finish between two
            self.pusher.throttle.interval = (self.busy_interval if len(new) > BUSY_TRIALS
                                             else self._interval)
        curves = tables.curves_data(self._curve_trials(trials, lt, new), self.curve_metric,
                                    self.last, lineage=self._lineage(trials))
        f.name_axes(new if f.label == "objective" else trials)
        f.arrange(new, finished=len(lt.history["number"]), curves=len(curves["number"]))
        # the first history row that changed since the last push (thinning's arrays)
        start, rows = lt.changes("history")
        seen, since = self._history_seen
        since = min([since if seen is lt else 0, *rows, *([] if start is None else [start])])
        f.fit_frames(lt, curves)
        kinds = [*f.draw(lt, self.picker.selected, since),
                 figures.sync_source(self.sources["curves"], curves),
                 figures.sync_source(self.sources["rungs"], rungs.rung_marks(curves))]
        lt.clear_changes()
        if self._front_sent != (id(lt), lt.front_version):
            self._front_sent = (id(lt), lt.front_version)
            self.sources["pareto"].data = f.front_arrays(lt)
            kinds.append("replace")
        if self.space is not None:
            top = [t.number for t in lt.top]
            if top != self._top_sent:
                self._top_sent = top
                f.show_op_frequency(tables.op_frequency(lt.top, self.space, self.top_k,
                                                        self.maximize))
        self._history_seen = (lt, len(lt.history["number"]))
        f.set_titles()
        changed = set(kinds) != {"none"}
        if self.picker.selected is not None and changed:
            self.picker.highlight(self.picker.selected)
        return changed

    def _curve_trials(self, trials: list[Trial], lt: LiveTables, new: list[Trial]) -> list[Trial]:
        """The trials that may draw a learning curve now: the ``last`` newest finished
        ones that reported the curve metric (kept as they finish: O(new trials)) and the
        unfinished ones past the finished prefix."""
        metric = self.curve_metric
        for t in new:
            if any(isinstance(p, dict) and metric in p for p in t.curve):
                self._curved.append(t)
        if len(self._curved) > 4 * self.last:
            self._curved = sorted(self._curved, key=lambda t: t.number)[-self.last:]
        running = [t for t in trials[lt.folded:] if not t.state.finished]
        return self._curved + running

    def _lineage(self, trials: list[Trial]) -> Callable[[int], Trial | None]:
        """Trial by number in ``trials`` (numbered 0, 1, ... by the store): a promoted
        trial's curve continues its parent's."""
        def find(number: int) -> Trial | None:
            if 0 <= number < len(trials) and trials[number].number == number:
                return trials[number]
            return next((t for t in trials if t.number == number), None)
        return find

    def _new_tables(self) -> LiveTables:
        self._top_sent = None
        self._curved = []
        return LiveTables(self.objective, self.maximize, self.x, self.top_k, self._memo,
                          texts=False)

    def _resend(self) -> None:
        """Re-send every changeable value whole (a view that rendered late)."""
        with self._hush():
            resend_whole(self.figures.changeable())

    def close(self) -> None:
        """Stop the updater thread (the figures stay as they are)."""
        self.pusher.close()

    # ---------------------------------------------------------------- views
    def set_scatter_x(self, metric: str) -> None:
        """Plot the scatter against "params", "flops" or "latency_ms" (pushed by flush)."""
        self._check_x(metric)
        with self.lock:
            self.figures.x = metric
            self._tables = None  # new x values: rebuilt at the next push
        picker = self.x_picker if self._widget is not None else None
        if picker is not None and picker.value != metric:
            picker.value = metric
        self.set_limit(self.limit)  # the limit line is in parameters: shown on that axis only
        self.pusher.poke()

    def set_view(self, upto: int | None) -> None:
        """Show only trials numbered below ``upto`` (a replay); None shows all."""
        if upto is not None and (isinstance(upto, bool) or not isinstance(upto, int)):
            raise ValueError(f"upto must be an int trial number or None, got {upto!r}")
        with self.lock:
            if upto != self._replay_before:
                self._replay_before = upto
                self._tables = None  # other trials: rebuilt at the next push
        self.pusher.poke()

    def reset(self, space: Any = None, estimator: str | None = None,
              objective_label: str | None = None) -> None:
        """Forget all trials and the selection; show ``space`` in the op-frequency map.

        ``estimator`` (its name) tells whether learning curves can come (a tabular one
        has none); ``objective_label`` names the y axes (default: inferred from the
        first COMPLETE trial, ``valid_acc`` for ``train``)."""
        with self.lock:
            f = self.figures
            f.estimator, f.label, f.seen_curves = estimator, objective_label, False
            self._pending, self._replay_before, self._memo = [], None, {}
            self._tables = None
            self.picker.selected = None
            f.show_space(space)
            self.picker.highlight(None)
            self.flush()

    # ----------------------------------------------------------- the limit
    def set_limit(self, value: float | None) -> None:
        """Draw the parameter limit at ``value`` on the scatter (None hides it); it shows
        while the scatter's x is ``params``."""
        self.limit_line.set(value, shown=self.x == "params")

    @property
    def limit(self) -> float | None:
        """The parameter limit drawn on the scatter, or None."""
        return self.limit_line.value

    def on_limit(self, callback: Callable[[float], Any]) -> None:
        """Call ``callback(new_limit)`` when the user drags the limit line in the page."""
        self.limit_line.on_limit(callback)

    # ------------------------------------------------------------ selection
    def on_select(self, callback: Callable[[int], Any]) -> None:
        """Call ``callback(trial_number)`` when a trial glyph is tapped."""
        self.picker.on_select(callback)

    @property
    def selected(self) -> int | None:
        """The number of the highlighted trial, or None."""
        return self.picker.selected

    def select(self, number: int | None) -> None:
        """Highlight trial ``number`` in every chart (None clears); no callback fires."""
        self.picker.select(number)

"""``ChartFigures``: the four figures of the live charts and what dresses them.

Built from ``viz.figures`` -- history with best-so-far, accuracy vs cost with the Pareto
front, learning curves, op frequency among the top trials -- in one Bokeh ``column`` of
two ``row``s that take their panel's width and wrap where two figures do not fit
(``layout``, :func:`fluid_layout`), with the draggable parameter limit (``limit_span``)
on the scatter. This class owns how the figures explain themselves: the axes name the
objective's metric, a panel with nothing to show is hidden and its reason written under
the charts (``empty_note``), and past ``DRAW_LIMIT`` trials the history and scatter draw
(and their sources hold) a thinned set of rows (``viz.thinning``, ``viz.drawn``), said in
a note inside the plot.

It changes Bokeh models only; :class:`~nasbench_ui.ui.charts.LiveCharts` calls it under
its pusher's lock.

Example:
    >>> from nasbench_ui import spaces
    >>> figs = ChartFigures(spaces.nb201())
    >>> sorted(figs.sources)
    ['curves', 'history', 'opfreq', 'pareto', 'rungs', 'scatter']
    >>> figs.history_fig.yaxis[0].axis_label
    'objective'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as w
import numpy as np
from bokeh.layouts import column, row
from bokeh.models import Label, Span

from nasbench_ui.storage.trial import Trial
from nasbench_ui.viz import figures, labels, tables
from nasbench_ui.viz.drawn import DrawnSource
from nasbench_ui.viz.drawn_rows import DrawnRows
from nasbench_ui.viz.frames import StableFrame, add_frame, extent, frame_data
from nasbench_ui.viz.live_tables import LiveTables

from .text import SafeHTML, paragraph

__all__ = ["DRAW_LIMIT", "FRONT_LIMIT", "ChartFigures", "fluid_layout"]

# Trials a chart draws at most (plus the must-draw ones): viz.thinning. BokehJS repaints
# and re-maps every drawn row at each push: in 30 s runs of ui_responsiveness.py, 5,000
# rows kept the page at 0.82-0.95 of a core, 2,000 at 0.72-0.80 (1,000: 0.71).
DRAW_LIMIT = 2000
FRONT_LIMIT = 2000  # Pareto-front points drawn at most (plus its two ends)


class ChartFigures:
    """The figures, their sources (``sources[role]``) and their dressing; see the module
    docstring. ``x`` is the scatter's x metric, ``objective`` the plotted value."""

    def __init__(self, space: Any = None, objective: str = "value", x: str = "params",
                 curve_metric: str = "valid_acc", top_k: int = 10) -> None:
        self.space, self.objective, self.x = space, objective, x
        self.curve_metric, self.top_k = curve_metric, top_k
        self.estimator: str | None = None  # its name: a tabular one draws no learning curves
        self.label: str | None = None  # the y axes' name of the objective, once known
        self.seen_curves = False
        self._curve_note = ""  # why the curves panel is hidden ("": it shows)
        self._hovers: dict[str, Any] = {}
        label = labels.objective_label([], objective)
        self.history_fig, s1 = figures.history_figure(objective=label)
        self.scatter_fig, s2 = figures.scatter_figure(x, y_label=label)
        self.curves_fig, s3 = figures.curves_figure(metric=curve_metric)
        self.opfreq_fig, s4 = figures.op_frequency_figure(space, top_k=top_k)
        self.sources = {**s1, **s2, **s3, **s4}
        #: the op heatmap's colour scale: 0 to the number of top trials counted
        self.opfreq_mapper = self.opfreq_fig.select_one({"name": "nbui-opfreq-mapper"})
        # why a panel is hidden, under the charts (a SafeHTML: its text escaped, as a paragraph)
        self.empty_note = SafeHTML("", layout=w.Layout(display="none"))
        self.empty_note.add_class("nbui-chart-notes")
        self.layout = fluid_layout([[self.history_fig, self.scatter_fig],
                                    [self.curves_fig, self.opfreq_fig]])
        self.arrange([])
        # the parameter limit: a dotted line on the scatter that the user can drag
        # purple and dotted: apart from the Pareto front's dashed red step line
        self.limit_span = Span(location=0, dimension="height", line_color="#7b1fa2",
                               line_dash="dotted", line_width=3, visible=False, editable=True,
                               name="nbui-limit")
        self.scatter_fig.add_layout(self.limit_span)
        # the rows each chart draws, all of them sent to the page (``draw``)
        self.drawn = {role: _Drawn(self.sources[role]) for role in ("history", "scatter")}
        self.steps = {"history": 1, "scatter": 1, "front": 1}
        # which rows each chart draws, decided again from the changed rows on
        self._rows = {"history": DrawnRows(DRAW_LIMIT), "scatter": DrawnRows(DRAW_LIMIT, False)}
        self._seen = {"history": 0, "scatter": 0}  # rows at the last draw
        # hidden frames the auto ranges cover: one paint per push (``viz.frames``)
        self.frames = {role: add_frame(fig) for role, fig in (
            ("history", self.history_fig), ("scatter", self.scatter_fig),
            ("curves", self.curves_fig))}
        self._fits = {role: (StableFrame(), StableFrame()) for role in self.frames}
        self._framed: Any = None  # the table the frames were fitted to
        self.notes: dict[str, Label] = {}  # what a thinned chart does not draw, in the plot
        for role, fig in (("history", self.history_fig), ("scatter", self.scatter_fig)):
            self.notes[role] = Label(x=6, y=6, x_units="screen", y_units="screen", text="",
                                     text_font_size="8pt", text_color="#555555",
                                     background_fill_color="white", background_fill_alpha=0.7,
                                     name=f"nbui-{role}-note")
            fig.add_layout(self.notes[role])

    @property
    def objective_label(self) -> str:
        """What the y axes call the objective (a metric name, never "value")."""
        return self.label or labels.objective_label([], self.objective)

    def show_space(self, space: Any) -> None:
        """Show ``space``'s operation choices in the op-frequency map (no trial yet)."""
        self.space = space
        edges, ops = figures.op_factors(space)
        self.opfreq_fig.x_range.factors = ops
        self.opfreq_fig.y_range.factors = edges[::-1]
        self.show_op_frequency(tables.op_frequency([], space) if space is not None
                               else tables.op_frequency_empty())

    def show_op_frequency(self, data: dict[str, list]) -> None:
        """Put ``tables.op_frequency``'s ``data`` in the op heatmap, its colour scale
        running from 0 to the number of top trials counted (the colour bar's counts are
        the counts written in the cells), its title that number (``op_frequency_title``)."""
        figures.sync_source(self.sources["opfreq"], data)
        high = figures.op_frequency_scale(data, self.top_k)
        if self.opfreq_mapper.high != high:
            self.opfreq_mapper.high = high
        title = figures.op_frequency_title(data, self.top_k, bool(self.opfreq_fig.y_range.factors))
        if self.opfreq_fig.title.text != title:  # at most top_k + 1 changes in a search
            self.opfreq_fig.title.text = title

    def draw(self, lt: LiveTables, selected: int | None, since: int = 0) -> list[str]:
        """Move the rows the history and the scatter draw into their sources (a
        ``viz.drawn.DrawnSource`` each) and return how each changed. Up to
        ``DRAW_LIMIT`` trials that is every row; past it, the ``selected`` trial, the
        newest one, the best-so-far improvements (with the row before each, where the
        line steps) and every ``step``-th trial by number (``viz.thinning``), so the page
        holds and redraws a few thousand rows however long the search. ``since``: no
        history row before it changed since the last call with ``lt`` (the rows before
        it keep whether they are drawn: ``viz.drawn_rows``, O(changed rows))."""
        kinds = []
        for role, cols, table in (("history", lt.history, "history"),
                                  ("scatter", lt.points, "points")):
            # points are only appended (a Pareto flag that changes draws no other row)
            self._rows[role].limit = DRAW_LIMIT
            rows, self.steps[role] = self._rows[role].update(
                cols, lt, since if role == "history" else self._seen[role], selected)
            self._seen[role] = len(cols["number"])
            drawn = self.drawn[role]
            if drawn.owner is not lt:  # another table: its rows are not the source's
                drawn.reset()
                drawn.owner = lt
            drawn.extra = _texts_of(lt, cols)
            kinds.append(drawn.sync(cols, rows, lt.changes(table)))
        return kinds

    def fit_frames(self, lt: LiveTables, curves: dict[str, list]) -> None:
        """Move the frames of the history, the scatter and the curves to a rounded
        envelope of their data (``viz.frames``): a frame changes only when the data
        leaves it (or fills less than half of it), so the page's auto ranges change
        rarely and a push paints each figure once. ``curves``: the curves panel's data."""
        if self._framed is not lt:  # another table (run, replay, x metric): afresh
            self._framed = lt
            for fx, fy in self._fits.values():
                fx.reset()
                fy.reset()
        xs = [x for line in curves.get("xs", []) for x in line]
        ys = [y for line in curves.get("ys", []) for y in line]
        boxes = {"history": lt.extent("history"), "scatter": lt.extent("points"),
                 "curves": (extent(xs), extent(ys))}
        for role, box in boxes.items():
            fx, fy = self._fits[role]
            bx, by = box if box is not None else (None, None)
            data = frame_data(fx.fit(*bx) if bx is not None else None,
                              fy.fit(*by) if by is not None else None)
            if self.frames[role].data != data:
                self.frames[role].data = data

    def front_arrays(self, lt: LiveTables) -> dict[str, np.ndarray]:
        """The Pareto front of ``lt`` as arrays (sent inline in the patch: a front of
        thousands of points, cost rising with accuracy, is re-sent in about a
        millisecond). Past ``FRONT_LIMIT`` points the line is drawn through the two ends
        and every ``step``-th point by trial number (``LiveTables.front_sample``; base64
        of a 30k-point front cost the page ~0.1 s per push)."""
        front, self.steps["front"] = lt.front_sample(FRONT_LIMIT)
        return {"x": np.asarray(front["x"], dtype=float),
                "y": np.asarray(front["y"], dtype=float),
                "number": np.asarray(front["number"], dtype=np.int64)}

    def name_axes(self, trials: Sequence[Trial]) -> None:
        """The y axes name the objective (found once from the first COMPLETE trial), the
        scatter's x axis its metric; a property is set only when it changes."""
        if self.label is None or self.label == "objective":
            self.label = labels.objective_label(trials, self.objective)
        label = self.label
        for fig in (self.history_fig, self.scatter_fig):
            if fig.yaxis[0].axis_label != label:
                fig.yaxis[0].axis_label = label
        for fig, tips in ((self.history_fig, figures.trial_tips(label)),
                          (self.scatter_fig, figures.scatter_tips(self.x, label))):
            hover = self._hover(fig)
            if hover.tooltips != tips:
                hover.tooltips = tips
        x_label = labels.metric_label(self.x)
        if self.scatter_fig.xaxis[0].axis_label != x_label:
            self.scatter_fig.xaxis[0].axis_label = x_label

    def _hover(self, fig: Any) -> Any:
        # found once: a search of the document walks every model and its data (O(rows))
        hover = self._hovers.get(fig.name)
        if hover is None:
            hover = self._hovers[fig.name] = fig.select_one({"name": f"{fig.name}-hover"})
        return hover

    def arrange(self, trials: Sequence[Trial], finished: int = 0, curves: int = 0) -> None:
        """Hide a panel with nothing to show and say why in ``empty_note``: the learning
        curves of an estimator that reports none (a tabular one), the op heatmap of a space
        with no operation choices. A visibility flips rarely (once per search at most)."""
        self.seen_curves = self.seen_curves or curves > 0
        notes = []
        if self.seen_curves:
            self._curve_note = ""
        elif trials or not finished:  # ``trials``: the newly finished (O(new) per push)
            self._curve_note = labels.curves_note(trials if finished else [],
                                                  self.curve_metric, self.estimator)
        curve_note = self._curve_note
        if curve_note:
            notes.append(curve_note)
        no_ops = not figures.op_factors(self.space)[0]
        if no_ops:
            notes.append(labels.EMPTY_OPS)
        text = "; ".join(notes)
        if self.curves_fig.visible != (not curve_note):
            self.curves_fig.visible = not curve_note
        if self.opfreq_fig.visible != (not no_ops):
            self.opfreq_fig.visible = not no_ops
        text = text[:1].upper() + text[1:]
        shown = paragraph(text) if text else ""
        if self.empty_note.value != shown:
            self.empty_note.value = shown
            self.empty_note.layout.display = "block" if text else "none"

    def set_titles(self) -> None:
        """The scatter's title names its x; what thinning hides is said by a note drawn in
        the plot (a title change re-lays the page out: a lag spike at each doubling)."""
        title = f"{self.objective_label} vs {labels.metric_label(self.x)}"
        if self.scatter_fig.title.text != title:
            self.scatter_fig.title.text = title
        for role in ("history", "scatter"):
            parts = []
            if self.steps[role] > 1:
                parts.append(f"1 in {self.steps[role]} trials drawn")
            if role == "scatter" and self.steps["front"] > 1:
                parts.append(f"front: 1 in {self.steps['front']} points")
            text = "; ".join(parts)
            if self.notes[role].text != text:
                self.notes[role].text = text

    def changeable(self) -> list[tuple[Any, str]]:
        """Every ``(model, attribute)`` a push or a view change can alter: what a view
        that renders late gets re-sent whole."""
        values: list[tuple[Any, str]] = []
        for src in self.sources.values():
            values += [(src, "data"), (src.selected, "indices")]
        values += [(src, "data") for src in self.frames.values()]
        return values + [
            (self.limit_span, "location"), (self.limit_span, "visible"),
            (self.scatter_fig.xaxis[0], "axis_label"), (self.scatter_fig.yaxis[0], "axis_label"),
            (self.history_fig.yaxis[0], "axis_label"),
            (self._hover(self.history_fig), "tooltips"), (self._hover(self.scatter_fig), "tooltips"),
            (self.curves_fig, "visible"), (self.opfreq_fig, "visible"),
            (self.scatter_fig.title, "text"), (self.notes["history"], "text"),
            (self.notes["scatter"], "text"), (self.opfreq_fig.title, "text"),
            (self.opfreq_fig.x_range, "factors"), (self.opfreq_fig.y_range, "factors"),
            (self.opfreq_mapper, "high")]


def fluid_layout(rows: Sequence[Sequence[Any]], name: str = "nbui-chart-layout") -> Any:
    """The charts, ``rows`` of figures, in the width their panel gives them: each figure
    stretches (its height kept) from ``figures.WIDTH`` (400 px), two side by side where
    the panel holds both at that width, one under the other where it does not (a row
    wraps), and a figure alone in a row narrower than 400 px shrinks to it. Fixed at
    400 px, the charts kept 800 px of a 1,100 px panel, and at 1024 px with JupyterLab's
    file browser open the second chart of a row was cut at the panel's right.

    Example:
        >>> from nasbench_ui.viz import figures
        >>> lay = fluid_layout([[figures.history_figure()[0], figures.scatter_figure()[0]]])
        >>> lay.sizing_mode, lay.children[0].styles["flex-wrap"]
        ('stretch_width', 'wrap')
        >>> fig = lay.children[0].children[0]
        >>> fig.sizing_mode, fig.styles["flex"], fig.height
        ('stretch_width', '1 1 400px', 300)
    """
    for fig in (f for r in rows for f in r):
        fig.sizing_mode = "stretch_width"  # the height stays figures.HEIGHT
        # Bokeh's own flex for a stretching child (1 0 0px, min-width 0) never wraps:
        # from 400 px each, a row breaks where two no longer fit
        fig.styles = {**dict(fig.styles), "flex": f"1 1 {figures.WIDTH}px"}
    return column(*(row(*r, sizing_mode="stretch_width", styles={"flex-wrap": "wrap"})
                    for r in rows), sizing_mode="stretch_width", name=name)


class _Drawn(DrawnSource):
    """A ``DrawnSource`` that remembers the table it last drew (``owner``)."""

    def __init__(self, source: Any) -> None:
        super().__init__(source)
        self.owner: Any = None


def _texts_of(lt: LiveTables, cols: dict[str, list]) -> Any:
    """The hover texts of table rows (``LiveTables.texts_of``): formatted for the rows
    drawn only, and kept in the table's memo."""
    numbers, states = cols["number"], cols["state"]

    def extra(rows: Sequence[int]) -> dict[str, list]:
        pairs = [lt.texts_of(numbers[i], states[i]) for i in rows]
        return {"arch_text": [a for a, _ in pairs], "metrics_text": [m for _, m in pairs]}
    return extra

"""Thin Bokeh renderers of the pure chart data in ``viz.tables``.

Each builder returns ``(figure, {role: ColumnDataSource})``. Every source has a stable
``name`` (``nbui-history``, ``nbui-scatter``, ``nbui-pareto``, ``nbui-curves``,
``nbui-opfreq``) so that a browser test can find it with
``Bokeh.documents[i].get_model_by_name(name)``. Trial glyphs carry a HoverTool (the
architecture and metrics) and a TapTool (selection). :func:`sync_source` moves new
data into a source with the smallest change: a stream, a patch or a replacement.

Example:
    >>> fig, sources = history_figure()
    >>> sources["history"].name, sorted(sources["history"].data)[:3]
    ('nbui-history', ['arch_text', 'best_so_far', 'color'])
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from typing import Any

from bokeh.models import (
    BasicTicker,
    ColorBar,
    ColumnDataSource,
    CustomJSHover,
    CustomJSTickFormatter,
    FactorRange,
    HoverTool,
    Legend,
    LegendItem,
    LinearColorMapper,
    NumeralTickFormatter,
    TapTool,
)
from bokeh.palettes import Blues256
from bokeh.plotting import figure
from bokeh.transform import factor_cmap

from nasbench_ui.space.decisions import OpDecision
from nasbench_ui.viz import rungs, tables
from nasbench_ui.viz.labels import HUMAN_TICKS_JS, STATE_LEGEND, metric_label
from nasbench_ui.viz.trials import PARETO_COLOR, STATE_COLORS

__all__ = [
    "HEIGHT", "NONSELECTED_ALPHA", "SOURCE_NAMES", "WIDTH", "curves_figure", "history_figure",
    "human_ticks", "integer_ticks", "key_source", "legend_columns", "op_factors", "op_frequency_figure", "op_frequency_scale",
    "op_frequency_title",
    "same_cell",
    "scatter_figure",
    "scatter_tips", "state_legend", "sync_source", "tooltip", "trial_tips",
]

WIDTH, HEIGHT = 400, 300  # two side by side fit a 1280 px JupyterLab
TOOLS = "pan,wheel_zoom,box_zoom,reset,save"
SOURCE_NAMES = {"history": "nbui-history", "scatter": "nbui-scatter", "pareto": "nbui-pareto",
                "curves": "nbui-curves", "rungs": "nbui-rungs", "opfreq": "nbui-opfreq"}
PATCH_LIMIT = 64
#: how far the other trials fade while one is selected: they stay plainly visible
NONSELECTED_ALPHA = 0.55
#: a tooltip at most this wide fits beside any point of a chart (BokehJS puts it on the
#: side with more room): it is never cut at the chart's left edge
TIP_WIDTH = 180


def _lit(text: str) -> str:
    """A literal in a Bokeh tooltip template: escaped, with no ``@`` / ``$`` field."""
    return html.escape(str(text), quote=True).replace("@", "&#64;").replace("$", "&#36;")


def tooltip(rows: list[tuple[str, str]], title: str = "trial @number") -> str:
    """An HTML tooltip template (``(name, field)`` rows) that wraps at ``TIP_WIDTH`` px.
    Bokeh escapes the ``@field`` values it fills in; names are literals.

    Example:
        >>> "max-width:180px" in tooltip([("state", "@state")])
        True
    """
    body = "".join(f"<div><span style='color:#6b7280'>{_lit(k)}:</span> {v}</div>"
                   for k, v in rows)
    return (f"<div class='nbui-tip' style='max-width:{TIP_WIDTH}px;white-space:normal;"
            f"overflow-wrap:anywhere;font-size:11px;line-height:1.3'><b>{title}</b>{body}</div>")


def trial_tips(objective: str) -> str:
    """The tooltip of a trial dot of the history chart."""
    return tooltip([("state", "@state"), (objective, "@value{0.[0000]}"),
                    ("arch", "@arch_text"), ("metrics", "@metrics_text")])


def scatter_tips(x_metric: str, y_label: str) -> str:
    """The tooltip of a dot of the scatter: x in k / M (``@x{custom}``), the objective,
    the Pareto flag and the trial's texts."""
    return tooltip([(metric_label(x_metric), "@x{custom}"), (y_label, "@y{0.[0000]}"),
                    ("on the Pareto front", "@pareto"), ("arch", "@arch_text"),
                    ("metrics", "@metrics_text")])


def _figure(title: str, x_label: str, y_label: str, **kw: Any) -> Any:
    fig = figure(title=title, width=WIDTH, height=HEIGHT, sizing_mode="fixed", tools=TOOLS,
                 x_axis_label=x_label, y_axis_label=y_label, **kw)
    fig.toolbar.logo = None
    fig.toolbar.autohide = True
    return fig


def _source(role: str, data: dict[str, list]) -> ColumnDataSource:
    return ColumnDataSource({k: list(v) for k, v in data.items()}, name=SOURCE_NAMES[role])


def _trial_tools(fig: Any, renderer: Any, tips: str, **hover: Any) -> None:
    """Hover and tap tools of ``renderer`` (one, or a list of renderers of one source)."""
    renderers = list(renderer) if isinstance(renderer, (list, tuple)) else [renderer]
    fig.add_tools(HoverTool(renderers=renderers, tooltips=tips, name=f"{fig.name}-hover",
                            **hover),
                  TapTool(renderers=renderers))


def _colors() -> dict[str, Any]:
    """The glyph colour of a trial, read from its ``color`` column through a categorical
    map whose factors are the colours themselves: BokehJS then parses the few palette
    colours once, not one CSS string per point at every data change (at 10k points that
    parsing was a large part of the page's time per push)."""
    known = list(dict.fromkeys([*STATE_COLORS.values(), PARETO_COLOR, "#000000"]))
    return factor_cmap("color", palette=known, factors=known, nan_color="#000000")


def _dots(role: str) -> dict[str, Any]:
    """Glyph options of trial dots: filled, no outline (at 10k dots an outline made each
    repaint about 1.5x slower in Chromium: ``benchmarks/ui_responsiveness.py``); the
    selected dot gets a black ring, the others stay visible (``NONSELECTED_ALPHA``). A
    live chart's source holds only the rows it draws (``viz.drawn``)."""
    return {"fill_color": _colors(), "line_color": None, "size": 7, "fill_alpha": 0.8,
            "selection_line_color": "black", "selection_line_width": 2.5,
            "selection_fill_alpha": 1.0, "nonselection_fill_alpha": NONSELECTED_ALPHA,
            "name": f"nbui-{role}-dots"}


def human_ticks() -> CustomJSTickFormatter:
    """Tick labels as people read them: 135 k, 1.2 M (``labels.HUMAN_TICKS_JS``)."""
    return CustomJSTickFormatter(code=HUMAN_TICKS_JS)


def integer_ticks(axis: Any) -> None:
    """Whole-number ticks (trial numbers, epochs): never 2.5, and 5 k, 10 k past a
    thousand (written out, "5,000 10,000" ran into each other on a long search)."""
    axis.ticker = BasicTicker(min_interval=1, desired_num_ticks=8)
    axis.formatter = human_ticks()


def key_source() -> ColumnDataSource:
    """The source of a legend key: one point at NaN, drawn in the legend, not the plot
    (BokehJS draws a legend's dot from the renderer's first row). Every legend item has
    one, lines too: BokehJS 3.9 rebuilds a legend's items (DOM, a canvas each) whenever
    anything its items reach changes, so an item on a live chart's renderer was rebuilt
    at every push."""
    return ColumnDataSource({"x": [math.nan], "y": [math.nan]})


#: a legend item's width at 9pt: about 6.5 px a character, the 14 px glyph and the gaps
LEGEND_CHAR_PX, LEGEND_ITEM_PX = 6.5, 30


def legend_columns(labels: list[str], width: int = WIDTH) -> int | str:
    """How many items a legend row above a chart ``width`` px wide holds: all of them
    ("auto", one row) when they fit, else half of them (two rows; one row of the history's
    six items ran 70 px past a 400 px chart).

    Example:
        >>> legend_columns(["complete", "pruned"]), legend_columns(["a long label"] * 6)
        ('auto', 3)
    """
    need = sum(len(t) * LEGEND_CHAR_PX + LEGEND_ITEM_PX for t in labels)
    return "auto" if need <= width - 20 else math.ceil(len(labels) / 2)


def _legend(fig: Any, items: list[tuple[str, Any]], name: str) -> Legend:
    """A legend above the plot area (one row, or two when one is too wide for the chart):
    it never covers a point."""
    legend = Legend(items=[LegendItem(label=label, renderers=[r]) for label, r in items],
                    ncols=legend_columns([label for label, _ in items], fig.width or WIDTH),
                    orientation="horizontal", location="top_left", name=name,
                    label_text_font_size="9pt", glyph_width=14, glyph_height=10,
                    spacing=6, padding=2, margin=2, border_line_alpha=0,
                    background_fill_alpha=0)
    fig.add_layout(legend, "above")
    return legend


def state_legend(fig: Any, extra: list[tuple[str, Any]] = (), name: str = "") -> Legend:
    """The state colours (complete, pruned, failed, running, interrupted) as a legend above ``fig``:
    each is a dot of a renderer with no data (the dots of the chart share one renderer)."""
    items = list(extra)
    for state in STATE_LEGEND:
        keyed = key_source()
        r = fig.scatter("x", "y", source=keyed, size=7, line_color=None,
                        fill_color=STATE_COLORS[state.upper()])
        items.append((state, r))
    return _legend(fig, items, name or f"{fig.name}-legend")


def history_figure(data: dict[str, list] | None = None, objective: str = "objective") -> tuple:
    """Objective per finished trial (coloured by state) and the best-so-far line; the y
    axis names the objective (a metric, never "value"), the trial axis has whole numbers."""
    src = _source("history", data if data is not None else tables.history_data([]))
    label = "objective" if objective == "value" else objective
    fig = _figure("Optimisation history", "trial", label, name="nbui-history-fig")
    best_line = {"color": "#444444", "line_width": 2}  # the line and its legend key
    # a selection fades dots only
    fig.line("number", "best_so_far", source=src, nonselection_line_alpha=1.0, **best_line)
    dots = fig.scatter("number", "value", source=src, **_dots("history"))
    _trial_tools(fig, dots, trial_tips(label))
    integer_ticks(fig.xaxis[0])
    best_key = fig.line("x", "y", source=key_source(), **best_line)
    state_legend(fig, [("best so far", best_key)], name="nbui-history-legend")
    return fig, {"history": src}


def scatter_figure(x_metric: str = "params", data: dict[str, dict] | None = None,
                   y_label: str = "objective") -> tuple:
    """``y_label`` against ``x_metric`` for COMPLETE trials, with the Pareto front as a step
    line (``data`` is ``tables.scatter_data(...)``); x ticks in k / M.

    Example:
        >>> fig, sc = scatter_figure()
        >>> sorted(sc), "arch_text" in sc["scatter"].data
        (['pareto', 'scatter'], True)
    """
    data = data if data is not None else tables.scatter_data([], x=x_metric)
    y_label = "objective" if y_label == "value" else y_label
    src = _source("scatter", data["points"])
    front = _source("pareto", data["front"])
    fig = _figure(f"{y_label} vs {metric_label(x_metric)}", metric_label(x_metric), y_label,
                  name="nbui-scatter-fig")
    front_line = {"color": PARETO_COLOR, "line_width": 1.5, "line_dash": "dashed"}
    fig.step("x", "y", source=front, mode="after", **front_line)
    dots = fig.scatter("x", "y", source=src, **_dots("scatter"))
    formatters = {"@x": CustomJSHover(code=HUMAN_TICKS_JS.replace("tick", "value"))}
    _trial_tools(fig, dots, scatter_tips(x_metric, y_label), formatters=formatters)
    fig.xaxis[0].formatter = human_ticks()
    on_front = fig.scatter("x", "y", source=key_source(), size=7, line_color=None,
                           fill_color=PARETO_COLOR)
    plain = fig.scatter("x", "y", source=key_source(), size=7, line_color=None,
                        fill_color=STATE_COLORS["COMPLETE"])
    front_key = fig.line("x", "y", source=key_source(), **front_line)
    _legend(fig, [("complete", plain), ("on the front", on_front), ("Pareto front", front_key)],
            "nbui-scatter-legend")
    return fig, {"scatter": src, "pareto": front}


def curves_figure(data: dict[str, list] | None = None, metric: str = "valid_acc") -> tuple:
    """Learning curves of the latest trials (RUNNING ones drawn thicker); a trial with a
    multi-fidelity rung gets a marker labelled "r<rung>" at its line's end, and where a
    promoted trial's line joins its parent's (``viz.rungs``)."""
    data = data if data is not None else tables.curves_data([])
    src = _source("curves", data)
    marks = _source("rungs", rungs.rung_marks(data))
    fig = _figure(f"Learning curves ({metric})", "epoch", metric, name="nbui-curves-fig")
    lines = fig.multi_line("xs", "ys", source=src, color="color", line_width="width",
                           alpha=0.8, selection_line_color="black",
                           nonselection_alpha=NONSELECTED_ALPHA)
    # each line's end point: a trial trained for one epoch has a one-point curve, which
    # a line alone never draws (a 1-epoch classroom run showed an empty chart)
    ends = fig.scatter("last_x", "last_value", source=src, color="color", size=5, alpha=0.8,
                       selection_line_color="black", nonselection_alpha=NONSELECTED_ALPHA,
                       name="nbui-curves-ends")
    _trial_tools(fig, [lines, ends], tooltip([("state", "@state"),
                                              ("last", "@last_value{0.[0000]}"),
                                              ("rung", "@rung_text")]))
    fig.scatter("x", "y", source=marks, marker="diamond", size=9, color="#374151",
                       alpha=0.9)
    fig.text("x", "y", text="label", source=marks, text_font_size="9px", x_offset=4,
             y_offset=-2, text_color="#374151")
    integer_ticks(fig.xaxis[0])
    state_legend(fig, name="nbui-curves-legend")
    return fig, {"curves": src, "rungs": marks}


def op_factors(space: Any) -> tuple[list[str], list[str]]:
    """(edge texts, op names in first-seen order) of the space's op decisions; an edge
    reads in its direction (``input → n1``), see ``tables.edge_texts``."""
    names = tables.edge_texts(space)
    ops: dict[str, None] = {}
    for d in space.decisions if space is not None else ():
        if isinstance(d, OpDecision):
            ops.update(dict.fromkeys(d.edge.ops))
    return list(names.values()), list(ops)


def op_frequency_scale(data: dict[str, list], top_k: int) -> int:
    """The top of the op heatmap's colour scale: the number of top trials counted (every
    cell's count is at most that), or ``top_k`` before any.

    Example:
        >>> op_frequency_scale({"top": [3, 3]}, 10), op_frequency_scale({"top": []}, 10)
        (3, 10)
    """
    return max(data.get("top") or [0]) or top_k


def op_frequency_title(data: dict[str, list], top_k: int, choices: bool = True) -> str:
    """The op heatmap's title: the number of trials it counts (``data["top"]``), "top
    k" once ``top_k`` trials have completed, all of them before.

    Example:
        >>> op_frequency_title({"top": [10, 10]}, 10), op_frequency_title({"top": [3, 3]}, 10)
        ('Ops chosen by the top 10 trials', 'Ops chosen by the 3 completed trials')
        >>> op_frequency_title({"top": [1]}, 10), op_frequency_title({"top": []}, 10)
        ('Ops chosen by the 1 completed trial', 'Ops chosen by the top trials (none completed yet)')
        >>> op_frequency_title({"top": []}, 10, choices=False)
        'No operation choices in this space'
    """
    if not choices:
        return "No operation choices in this space"
    n = max(data.get("top") or [0])
    if n == 0:
        return "Ops chosen by the top trials (none completed yet)"
    if n < top_k:
        return f"Ops chosen by the {n} completed trial{'' if n == 1 else 's'}"
    return f"Ops chosen by the top {n} trials"


def op_frequency_figure(space: Any, data: dict[str, list] | None = None,
                        top_k: int = 10) -> tuple:
    """A heatmap: edge x op, colour = how many of the top-k trials chose that op (the
    count written in each cell), with a colour bar in trials from 0 to the number of
    top trials (``op_frequency_scale``; the mapper is named ``nbui-opfreq-mapper``)."""
    if data is None:
        data = tables.op_frequency([], space) if space is not None else tables.op_frequency_empty()
    src = _source("opfreq", data)
    edges, ops = op_factors(space)
    fig = figure(title=op_frequency_title(data, top_k, bool(edges)), width=WIDTH, height=HEIGHT,
                 sizing_mode="fixed", tools="save", x_range=FactorRange(factors=ops),
                 y_range=FactorRange(factors=edges[::-1]), name="nbui-opfreq-fig",
                 x_axis_label="operation", y_axis_label="edge")
    fig.toolbar.logo = None
    fig.toolbar.autohide = True
    mapper = LinearColorMapper(palette=Blues256[::-1], low=0,
                               high=op_frequency_scale(data, top_k), name="nbui-opfreq-mapper")
    cells = fig.rect("op", "edge_text", 1, 1, source=src, line_color="white",
                     fill_color={"field": "count", "transform": mapper})
    fig.text("op", "edge_text", text="count_text", source=src, text_align="center",
             text_baseline="middle", text_font_size="10pt", text_color="text_color")
    fig.add_tools(HoverTool(renderers=[cells], tooltips=tooltip(
        [("op", "@op"), ("chosen by", "@count of the top @top trials")],
        title="@edge_text")))
    bar = ColorBar(color_mapper=mapper, ticker=BasicTicker(min_interval=1, desired_num_ticks=6),
                   formatter=NumeralTickFormatter(format="0"), title="trials choosing it",
                   width=10, name="nbui-opfreq-colorbar",
                   title_text_font_size="8pt", major_label_text_font_size="8pt")
    fig.add_layout(bar, "right")
    fig.xaxis.major_label_orientation = math.pi / 4
    fig.grid.visible = False
    return fig, {"opfreq": src}


def same_cell(a: Any, b: Any) -> bool:
    """Whether two cells of a source column hold the same value (NaN equals NaN here):
    a push sends only the cells that differ.

    Example:
        >>> same_cell(float("nan"), float("nan")), same_cell(1, 1.0), same_cell("a", "b")
        (True, True, False)
    """
    if a is b or a == b:
        return True
    return isinstance(a, float) and isinstance(b, float) and a != a and b != b


def sync_source(source: ColumnDataSource, data: dict[str, list],
                changed: tuple[int | None, Iterable[int]] | None = None) -> str:
    """Make ``source.data`` equal ``data`` with the smallest Bokeh change.

    Returns what it did: "none", "stream" (the old rows are a prefix of the new),
    "patch" (a few changed cells, then maybe a stream of new rows) or "replace".
    ``changed`` (optional) promises which of the source's rows may differ from ``data``:
    ``(start, rows)``, every row from ``start`` on (None: none) and the single ``rows``;
    only those are compared (``viz.live_tables.LiveTables.changes`` gives it), so a sync
    costs O(changes) instead of O(rows). Call it under the document's lock.

    Example:
        >>> src = ColumnDataSource({"n": [0, 1], "v": [1.0, 2.0]})
        >>> sync_source(src, {"n": [0, 1, 2], "v": [1.0, 5.0, 3.0]}, changed=(None, {1}))
        'patch'
        >>> src.data["v"]
        [1.0, 5.0, 3.0]
    """
    old = source.data
    keys = list(data)
    lengths = {len(v) for v in data.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns of {source.name!r} differ in length: "
                         f"{ {k: len(v) for k, v in data.items()} }")
    m = lengths.pop() if lengths else 0
    n = len(next(iter(old.values()))) if old else 0
    ragged = any(v and isinstance(v[0], (list, tuple)) for v in data.values())
    if set(keys) != set(old) or n > m or (ragged and data != old):
        # a column of lists (multi_line xs/ys) is always sent whole: BokehJS patched or
        # streamed such cells into a flat array ("expected a 2-d array for MultiLine.xs")
        source.data = {k: list(v) for k, v in data.items()}
        return "replace"
    start, rows = (0, ()) if changed is None else changed
    start = n if start is None else max(0, min(start, n))
    check = sorted({r for r in rows if 0 <= r < start})
    patches: dict[str, list] = {}
    count = 0
    for k in keys:
        col, new = old[k], data[k]
        cells = [i for i in check if not same_cell(col[i], new[i])]
        if start < n and list(col[start:n]) != list(new[start:n]):  # C-speed check first
            cells += [i for i in range(start, n) if not same_cell(col[i], new[i])]
        for i in cells:
            patches.setdefault(k, []).append((i, new[i]))
            count += 1
            if count > max(PATCH_LIMIT, n // 10):
                source.data = {k: list(v) for k, v in data.items()}
                return "replace"
    if patches:
        source.patch(patches)
    if m > n:
        source.stream({k: list(data[k][n:]) for k in keys})
    if patches:
        return "patch"
    return "stream" if m > n else "none"

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

import math
from typing import Any

from bokeh.models import (
    CDSView,
    ColumnDataSource,
    FactorRange,
    HoverTool,
    IndexFilter,
    NumeralTickFormatter,
    TapTool,
)
from bokeh.palettes import Blues256
from bokeh.plotting import figure
from bokeh.transform import factor_cmap, linear_cmap

from nasbench_ui.space.decisions import OpDecision
from nasbench_ui.viz import tables
from nasbench_ui.viz.trials import PARETO_COLOR, STATE_COLORS

__all__ = [
    "SOURCE_NAMES", "WIDTH", "HEIGHT", "curves_figure", "history_figure",
    "op_frequency_figure", "op_factors", "scatter_figure", "sync_source",
]

WIDTH, HEIGHT = 460, 300
TOOLS = "pan,wheel_zoom,box_zoom,reset,save"
SOURCE_NAMES = {"history": "nbui-history", "scatter": "nbui-scatter", "pareto": "nbui-pareto",
                "curves": "nbui-curves", "opfreq": "nbui-opfreq"}
TRIAL_TIPS = [("trial", "@number"), ("state", "@state"), ("arch", "@arch_text"),
              ("metrics", "@metrics_text")]
PATCH_LIMIT = 64


def _figure(title: str, x_label: str, y_label: str, **kw: Any) -> Any:
    fig = figure(title=title, width=WIDTH, height=HEIGHT, sizing_mode="fixed", tools=TOOLS,
                 x_axis_label=x_label, y_axis_label=y_label, **kw)
    fig.toolbar.logo = None
    return fig


def _source(role: str, data: dict[str, list]) -> ColumnDataSource:
    return ColumnDataSource({k: list(v) for k, v in data.items()}, name=SOURCE_NAMES[role])


def _trial_tools(fig: Any, renderer: Any, tips: list[tuple[str, str]]) -> None:
    fig.add_tools(HoverTool(renderers=[renderer], tooltips=tips),
                  TapTool(renderers=[renderer]))


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
    selected dot gets a black ring. The dots are drawn through an ``IndexFilter`` named
    ``nbui-<role>-drawn`` (all rows while its indices are None), which ``ui.charts`` uses to
    thin out old trials of a very long search."""
    view = CDSView(filter=IndexFilter(name=f"nbui-{role}-drawn"))
    return {"view": view, "fill_color": _colors(), "line_color": None, "size": 7, "fill_alpha": 0.8,
            "selection_line_color": "black", "selection_line_width": 2,
            "selection_fill_alpha": 1.0, "nonselection_fill_alpha": 0.3}


def history_figure(data: dict[str, list] | None = None, objective: str = "value") -> tuple:
    """Objective per finished trial (coloured by state) and the best-so-far line."""
    src = _source("history", data if data is not None else tables.history_data([]))
    fig = _figure("Optimisation history", "trial", objective)
    fig.line("number", "best_so_far", source=src, color="#444444", line_width=2,
             nonselection_line_alpha=1.0, legend_label="best so far")  # a selection fades dots only
    dots = fig.scatter("number", "value", source=src, **_dots("history"))
    _trial_tools(fig, dots, [*TRIAL_TIPS[:2], (objective, "@value"), *TRIAL_TIPS[2:]])
    fig.legend.location = "bottom_right"
    fig.legend.background_fill_alpha = 0.6
    return fig, {"history": src}


def scatter_figure(x_metric: str = "params", data: dict[str, dict] | None = None,
                   y_label: str = "value") -> tuple:
    """``y_label`` against ``x_metric`` for COMPLETE trials, with the Pareto front as a step
    line (``data`` is ``tables.scatter_data(...)``)."""
    data = data if data is not None else tables.scatter_data([], x=x_metric)
    src = _source("scatter", data["points"])
    front = _source("pareto", data["front"])
    fig = _figure(f"{y_label} vs {x_metric}", x_metric, y_label)
    fig.step("x", "y", source=front, mode="after", color="#d62728", line_width=1.5,
             line_dash="dashed", legend_label="Pareto front")
    dots = fig.scatter("x", "y", source=src, **_dots("scatter"))
    _trial_tools(fig, dots, [*TRIAL_TIPS[:1], ("x", "@x"), ("y", "@y"), ("Pareto", "@pareto"),
                             *TRIAL_TIPS[2:]])
    fig.xaxis[0].formatter = NumeralTickFormatter(format="0.[00]a")  # 25k, 1.5m, 0.75
    fig.legend.location = "bottom_right"
    fig.legend.background_fill_alpha = 0.6
    return fig, {"scatter": src, "pareto": front}


def curves_figure(data: dict[str, list] | None = None, metric: str = "valid_acc") -> tuple:
    """Learning curves of the latest trials (RUNNING ones drawn thicker)."""
    src = _source("curves", data if data is not None else tables.curves_data([]))
    fig = _figure(f"Learning curves ({metric})", "epoch", metric)
    lines = fig.multi_line("xs", "ys", source=src, color="color", line_width="width",
                           alpha=0.8, selection_line_color="black", nonselection_alpha=0.3)
    _trial_tools(fig, lines, [("trial", "@number"), ("state", "@state"),
                              ("last", "@last_value")])
    return fig, {"curves": src}


def op_factors(space: Any) -> tuple[list[str], list[str]]:
    """(edge labels, op names in first-seen order) of the space's op decisions."""
    edges, ops = [], {}
    for d in space.decisions if space is not None else ():
        if isinstance(d, OpDecision):
            edges.append(d.label)
            ops.update(dict.fromkeys(d.edge.ops))
    return edges, list(ops)


def op_frequency_figure(space: Any, data: dict[str, list] | None = None,
                        top_k: int = 10) -> tuple:
    """A heatmap: edge x op, colour = fraction of the top-k trials choosing that op."""
    if data is None:
        data = tables.op_frequency([], space) if space is not None else {
            "edge": [], "op": [], "count": [], "fraction": []}
    src = _source("opfreq", data)
    edges, ops = op_factors(space)
    fig = figure(title=f"Ops chosen by the top {top_k} trials", width=WIDTH, height=HEIGHT,
                 sizing_mode="fixed", tools="save", x_range=FactorRange(factors=ops),
                 y_range=FactorRange(factors=edges[::-1]))
    fig.toolbar.logo = None
    cells = fig.rect("op", "edge", 1, 1, source=src, line_color="white",
                     fill_color=linear_cmap("fraction", Blues256[::-1], 0, 1))
    fig.add_tools(HoverTool(renderers=[cells], tooltips=[
        ("edge", "@edge"), ("op", "@op"), ("count", "@count"), ("fraction", "@fraction{0.00}")]))
    fig.xaxis.major_label_orientation = math.pi / 4
    fig.grid.visible = False
    if not edges:
        fig.title.text = "No operation choices in this space"
    return fig, {"opfreq": src}


def _same(a: Any, b: Any) -> bool:
    if a is b or a == b:
        return True
    return isinstance(a, float) and isinstance(b, float) and a != a and b != b


def sync_source(source: ColumnDataSource, data: dict[str, list]) -> str:
    """Make ``source.data`` equal ``data`` with the smallest Bokeh change.

    Returns what it did: "none", "stream" (the old rows are a prefix of the new),
    "patch" (a few changed cells, then maybe a stream of new rows) or "replace".
    Call it under the document's lock.
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
    patches: dict[str, list] = {}
    count = 0
    for k in keys:
        col, new = old[k], data[k]
        if list(col[:n]) == list(new[:n]):  # C-speed check; NaN cells fall through below
            continue
        for i in range(n):
            if not _same(col[i], new[i]):
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

"""Bokeh figure builders (nasbench_ui.viz.figures) and the smallest-change source sync."""

from __future__ import annotations

import math

import pytest
from bokeh.models import ColumnDataSource, HoverTool, TapTool

from nasbench_ui import spaces
from nasbench_ui.storage.trial import Trial, TrialState
from nasbench_ui.viz import figures, tables

C = TrialState.COMPLETE


def trials(n):
    return [Trial(i, C, {"op": "skip"}, i / 10, {"params": 100 - i, "valid_acc": i / 10},
                  [{"epoch": 1, "valid_acc": i / 20}]) for i in range(n)]


def tools(fig, kind):
    return [t for t in fig.tools if isinstance(t, kind)]


def test_history_figure_source_name_columns_and_tools():
    data = tables.history_data(trials(3))
    fig, src = figures.history_figure(data)
    s = src["history"]
    assert s.name == "nbui-history"
    assert set(s.data) == {"number", "value", "state", "color", "best_so_far", "arch_text",
                           "metrics_text"}
    assert s.data["number"] == [0, 1, 2]
    hover = tools(fig, HoverTool)[0]
    assert "@arch_text" in hover.tooltips and "@metrics_text" in hover.tooltips
    assert tools(fig, TapTool)[0].renderers == hover.renderers
    assert (fig.width, fig.height, fig.sizing_mode) == (figures.WIDTH, figures.HEIGHT, "fixed")


def test_scatter_figure_has_points_and_pareto_sources():
    fig, src = figures.scatter_figure("flops", tables.scatter_data(trials(4), x="params"))
    assert src["scatter"].name == "nbui-scatter" and src["pareto"].name == "nbui-pareto"
    assert set(src["pareto"].data) == {"x", "y", "number"}
    assert "pareto" in src["scatter"].data
    assert fig.xaxis[0].axis_label == "FLOPs"
    assert tools(fig, TapTool) and tools(fig, HoverTool)
    empty_fig, empty = figures.scatter_figure()
    assert empty["scatter"].data["x"] == [] and empty_fig.xaxis[0].axis_label == "parameters"


def test_curves_and_op_frequency_figures():
    fig, src = figures.curves_figure(tables.curves_data(trials(2)))
    assert src["curves"].name == "nbui-curves" and src["curves"].data["xs"] == [[1.0], [1.0]]
    # one-point curves (one epoch) draw nothing as lines: each end is also a dot, of the
    # same source, so hover and a click on it pick that trial
    ends = fig.select_one({"name": "nbui-curves-ends"})
    assert ends.data_source is src["curves"]
    assert (ends.glyph.x, ends.glyph.y) == ("last_x", "last_value")
    tap = next(t for t in fig.tools if type(t).__name__ == "TapTool")
    assert ends in tap.renderers and len(tap.renderers) == 2
    s = spaces.nb201()
    fig, src = figures.op_frequency_figure(s, tables.op_frequency(trials(2), s))
    assert src["opfreq"].name == "nbui-opfreq"
    assert set(src["opfreq"].data) == {"edge", "op", "count", "fraction", "top", "edge_text",
                                       "count_text", "text_color"}
    assert set(src["opfreq"].data["top"]) == {2}
    assert list(fig.x_range.factors) == list(s.edges[0].ops)
    # edges read in their direction: "1<-0" is shown as "0 → 1"
    assert list(fig.y_range.factors) == [f"{b} → {a}" for a, b in
                                         (lb.split("<-") for lb in s.labels)][::-1]
    fig2, _ = figures.op_frequency_figure(spaces.keras_cnn())
    assert "No operation choices" in fig2.title.text


def test_sync_source_streams_appended_rows():
    src = ColumnDataSource({"number": [0, 1], "value": [0.5, math.nan]})
    assert figures.sync_source(src, {"number": [0, 1, 2], "value": [0.5, math.nan, 0.7]}) == "stream"
    assert src.data["number"] == [0, 1, 2] and src.data["value"][2] == 0.7
    assert figures.sync_source(src, {"number": [0, 1, 2], "value": [0.5, math.nan, 0.7]}) == "none"


def test_sync_source_patches_few_changed_cells_and_replaces_otherwise():
    src = ColumnDataSource({"number": list(range(100)), "flag": [False] * 100})
    new = {"number": list(range(101)), "flag": [False] * 99 + [True, True]}
    assert figures.sync_source(src, new) == "patch"
    assert src.data["flag"][99:] == [True, True] and len(src.data["number"]) == 101
    assert figures.sync_source(src, {"number": [5], "flag": [True]}) == "replace"
    assert src.data == {"number": [5], "flag": [True]}
    assert figures.sync_source(src, {"number": [1], "other": [2]}) == "replace"
    many = {"number": list(range(200)), "other": [1] * 200}
    figures.sync_source(src, many)
    assert figures.sync_source(src, {"number": list(range(200)), "other": [2] * 200}) == "replace"
    with pytest.raises(ValueError, match="differ in length"):
        figures.sync_source(src, {"number": [1, 2], "other": [1]})


def test_sync_source_sends_columns_of_lists_whole():
    """multi_line columns (lists per row) are never patched or streamed: BokehJS applied
    such patches into a flat array ("expected a 2-d array for MultiLine.xs")."""
    src = ColumnDataSource({"xs": [[1.0]], "number": [0]})
    assert figures.sync_source(src, {"xs": [[1.0, 2.0]], "number": [0]}) == "replace"
    assert figures.sync_source(src, {"xs": [[1.0, 2.0], [1.0]], "number": [0, 1]}) == "replace"
    assert src.data["xs"] == [[1.0, 2.0], [1.0]]
    assert figures.sync_source(src, {"xs": [[1.0, 2.0], [1.0]], "number": [0, 1]}) == "none"


def test_the_scatter_hover_reads_its_own_texts():
    fig, src = figures.scatter_figure("params", tables.scatter_data(trials(3)))
    assert "arch_text" in src["scatter"].data and "metrics_text" in src["scatter"].data
    tips = fig.select_one({"name": f"{fig.name}-hover"}).tooltips
    assert "@arch_text" in tips and "@metrics_text" in tips


def test_trial_and_epoch_axes_write_thousands_short():
    """A long search's trial axis reads 5 k, 10 k (written out, 5,000 and 10,000 ran into
    each other at 45,000 trials), still in whole numbers."""
    from bokeh.models import CustomJSTickFormatter

    from nasbench_ui.viz.labels import HUMAN_TICKS_JS

    hist, _ = figures.history_figure()
    axis = hist.xaxis[0]
    assert isinstance(axis.formatter, CustomJSTickFormatter)
    assert axis.formatter.code == HUMAN_TICKS_JS and axis.ticker.min_interval == 1


def test_legend_items_draw_from_sources_no_chart_changes():
    """A legend item on a live renderer made BokehJS rebuild the legend at every push;
    each item's renderer has a one-point key source of its own, styled as its chart."""
    live = [figures.history_figure(), figures.scatter_figure(), figures.curves_figure()]
    for fig, sources in live:
        items = [item for legend in fig.legend for item in legend.items]
        assert items, fig.name
        for item in items:
            (renderer,) = item.renderers
            src = renderer.data_source
            assert src not in sources.values(), (fig.name, item.label)
            assert len(src.data["x"]) == 1 and math.isnan(src.data["x"][0]), (fig.name, item.label)
    history, _ = live[0]
    (best,) = [i.renderers[0] for legend in history.legend for i in legend.items
               if i.label.value == "best so far"]
    assert (best.glyph.line_color, best.glyph.line_width) == ("#444444", 2)
    scatter, _ = live[1]
    (front,) = [i.renderers[0] for legend in scatter.legend for i in legend.items
                if i.label.value == "Pareto front"]
    assert front.glyph.line_dash == [6] or front.glyph.line_dash == "dashed", front.glyph.line_dash

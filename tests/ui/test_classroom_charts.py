"""Issue 11, points 3 and 4: charts that explain themselves and a readable trials table
(headless: the Bokeh models and the table's HTML)."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from bokeh.models import BasicTicker, ColorBar, HoverTool, Legend

from nasbench_ui import spaces
from nasbench_ui.storage.trial import Trial, TrialState
from nasbench_ui.ui.charts import LiveCharts
from nasbench_ui.ui.table import ROW_HEIGHT, TrialsTable, cell_text, header_text
from nasbench_ui.viz import figures, labels, tables
from nasbench_ui.viz.trials import STATE_COLORS

C, P, F = TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED


@pytest.mark.parametrize(("value", "unit", "text"), [
    (135_012, "", "135 k"), (1_234_567, "", "1.2 M"), (3.412, "ms", "3.4 ms"),
    (999, "", "999"), (12_600, "", "13 k"), (0.91234, "", "0.912"), (None, "", ""),
    (2.5e9, "", "2.5 G"), (-1500, "", "-1.5 k"),
])
def test_numbers_for_people(value, unit, text):
    assert labels.human_number(value, unit) == text


def test_edge_labels_read_in_the_edge_direction():
    assert labels.edge_text("n1<-input") == "input → n1"
    assert labels.edge_text("n3.inputs") == "n3.inputs"
    texts = tables.edge_texts(spaces.nb201())
    assert texts["3<-0"] == "0 → 3" and len(set(texts.values())) == 6


def test_objective_label_is_a_metric_never_value():
    ts = [Trial(0, F, {}), Trial(1, C, {}, 0.7, {"params": 0.7, "valid_acc": 0.7})]
    assert labels.objective_label(ts) == "valid_acc"
    tab = [Trial(0, C, {}, 0.9, {"valid_acc_12ep": 0.9, "cost_s": 12.0})]
    assert labels.objective_label(tab) == "valid_acc_12ep"
    assert labels.objective_label([]) == "objective"
    assert labels.objective_label([], "latency_ms") == "latency (ms)"


def _trial(n, state=C, value=0.5, curve=True):
    metrics = {"valid_acc": value, "params": 1000 * (n + 1)} if state is C else {}
    return Trial(n, state, {"1<-0": "skip_connect"}, value if state is C else None, metrics,
                 [{"epoch": 1, "valid_acc": value}] if curve else [])


def test_axes_name_the_metric_and_trials_are_whole_numbers():
    charts = LiveCharts(spaces.nb201())
    try:
        assert charts.history_fig.yaxis[0].axis_label == "objective"  # before any trial
        charts.update([_trial(0), _trial(1, P), _trial(2, value=0.8)])
        charts.flush()
        assert charts.history_fig.yaxis[0].axis_label == "valid_acc"
        assert charts.scatter_fig.yaxis[0].axis_label == "valid_acc"
        assert charts.scatter_fig.xaxis[0].axis_label == "parameters"
        assert "value" not in {charts.history_fig.yaxis[0].axis_label,
                               charts.scatter_fig.yaxis[0].axis_label}
        ticker = charts.history_fig.xaxis[0].ticker
        assert isinstance(ticker, BasicTicker) and ticker.min_interval == 1
        assert "@x{custom}" in charts.scatter_fig.select_one(
            {"name": "nbui-scatter-fig-hover"}).tooltips
    finally:
        charts.close()


def test_state_legend_lists_the_states_above_the_plot_area():
    fig, _ = figures.history_figure(objective="valid_acc")
    legends = [r for r in fig.above if isinstance(r, Legend)]
    assert len(legends) == 1 and not [r for r in fig.center if isinstance(r, Legend)]
    items = [i.label["value"] for i in legends[0].items]
    # "interrupted": the grey of a trial a stop cut short (its curve stays drawn)
    assert items == ["best so far", "complete", "pruned", "failed", "running", "interrupted"]
    colors = [i.renderers[0].glyph.fill_color for i in legends[0].items[1:]]
    assert colors == [STATE_COLORS[s] for s in ("COMPLETE", "PRUNED", "FAILED", "RUNNING",
                                                "INTERRUPTED")]


def test_an_interrupted_trials_grey_curve_has_a_legend_entry():
    """A stopped search's last trial draws a grey learning curve; the curves' legend
    listed complete, pruned, failed and running only."""
    trial = Trial(0, TrialState.INTERRUPTED, {}, None, {}, curve=[{"epoch": 1, "valid_acc": 0.4}])
    data = tables.curves_data([trial])
    fig, _ = figures.curves_figure(data)
    (legend,) = [r for r in fig.above if isinstance(r, Legend)]
    keys = {i.label["value"]: i.renderers[0].glyph.fill_color for i in legend.items}
    assert keys.get("interrupted") == data["color"][0] == STATE_COLORS["INTERRUPTED"]


def test_selection_keeps_the_other_points_visible():
    fig, _ = figures.history_figure()
    dots = [r for r in fig.renderers if r.data_source.name == "nbui-history"
            and r.glyph.__class__.__name__ == "Scatter"][0]
    assert dots.nonselection_glyph.fill_alpha >= 0.5
    assert dots.selection_glyph.line_color == "black"


def test_tooltips_are_narrow_enough_for_the_left_edge():
    fig, _ = figures.scatter_figure()
    tips = fig.select_one({"name": "nbui-scatter-fig-hover"}).tooltips
    width = int(re.search(r"max-width:(\d+)px", tips).group(1))
    assert width <= figures.WIDTH / 2 - 20


def test_op_heatmap_has_a_colour_bar_counts_and_readable_edges():
    s = spaces.nb201()
    ts = [Trial(i, C, {lb: "skip_connect" for lb in s.labels}, 0.5 + i / 10) for i in range(3)]
    data = tables.op_frequency(ts, s, top_k=3)
    fig, _ = figures.op_frequency_figure(s, data, top_k=3)
    assert [r for r in fig.right if isinstance(r, ColorBar)]
    assert "1<-0" not in fig.y_range.factors and "0 → 1" in fig.y_range.factors
    i = data["op"].index("skip_connect")
    assert data["count_text"][i] == "3" and data["text_color"][i] == "#ffffff"
    assert data["count_text"][data["op"].index("none")] == ""


def test_op_heatmap_colour_bar_and_hover_read_in_the_cells_units():
    """The cells write counts (how many of the top trials chose the op), so the colour
    is that count and the colour bar counts trials from 0 to the number of top trials;
    the bar was in % of a 0-1 share while the cells wrote 3, 5 (a teacher read a 5 as
    5 %). The hover says the same count, of how many."""
    s = spaces.nb201()
    ts = [Trial(i, C, {lb: "none" if i == 0 else "skip_connect" for lb in s.labels}, 0.5 + i / 10)
          for i in range(4)]
    data = tables.op_frequency(ts, s, top_k=10)
    fig, src = figures.op_frequency_figure(s, data, top_k=10)
    cells = next(t for t in fig.tools if isinstance(t, HoverTool)).renderers[0]
    bar = next(r for r in fig.right if isinstance(r, ColorBar))
    mapper = bar.color_mapper
    assert cells.glyph.fill_color.field == "count"
    assert cells.glyph.fill_color.transform is mapper
    # the cell texts are the coloured numbers; the scale ends at the 4 top trials counted
    assert data["count_text"] == [str(c) if c else "" for c in data["count"]]
    assert (mapper.low, mapper.high) == (0, 4) and set(data["top"]) == {4}
    assert max(data["count"]) == 3  # skip_connect, by trials 1-3
    assert all(mapper.low <= c <= mapper.high for c in src["opfreq"].data["count"])
    # the bar: whole trials, no per cent
    assert "%" not in bar.formatter.format and "trials" in bar.title
    assert isinstance(bar.ticker, BasicTicker) and bar.ticker.min_interval == 1
    tips = next(t for t in fig.tools if isinstance(t, HoverTool)).tooltips
    assert "@count of the top @top trials" in tips and "%" not in tips
    assert "fraction" not in tips
    # before any trial the scale is the top-k of the title
    empty, _ = figures.op_frequency_figure(s, top_k=10)
    assert empty.select_one({"name": "nbui-opfreq-mapper"}).high == 10


def test_live_op_heatmap_scale_follows_the_top_trials():
    s = spaces.nb201()
    charts = LiveCharts(s, top_k=10)
    try:
        mapper = charts.figures.opfreq_mapper
        assert mapper.high == 10 and (mapper, "high") in charts.figures.changeable()
        ts = [Trial(i, C, {lb: "skip_connect" for lb in s.labels}, i / 100) for i in range(3)]
        charts.update(ts)
        charts.flush()
        assert mapper.high == 3 and max(charts.sources["opfreq"].data["count"]) == 3
        ts += [Trial(i, C, {lb: "none" for lb in s.labels}, i / 100) for i in range(3, 15)]
        charts.update(ts)
        charts.flush()
        assert mapper.high == 10 and max(charts.sources["opfreq"].data["count"]) == 10
        charts.reset(s)
        assert mapper.high == 10 and max(charts.sources["opfreq"].data["count"]) == 0
    finally:
        charts.close()


def test_an_empty_panel_says_why_and_is_hidden():
    charts = LiveCharts(spaces.keras_cnn())  # no op choices
    try:
        _ = charts.widget
        assert not charts.opfreq_fig.visible and charts.curves_fig.visible
        assert "no operation choices" in charts.empty_note.value
        tab = [Trial(0, C, {}, 0.9, {"valid_acc_12ep": 0.9, "cost_s": 3.0})]
        charts.update(tab)
        charts.flush()
        assert not charts.curves_fig.visible
        assert "tabular looks results up instead of training" in charts.empty_note.value
        assert charts.empty_note.layout.display == "block"
        charts.reset(spaces.nb201())
        charts.update([_trial(0)])
        charts.flush()
        assert charts.curves_fig.visible and charts.opfreq_fig.visible
        assert charts.empty_note.value == "" and charts.empty_note.layout.display == "none"
    finally:
        charts.close()


def test_curves_note_of_an_estimator_without_curves():
    assert labels.curves_note([], estimator="tabular") == labels.EMPTY_CURVES
    # zero_cost reports a cost_s too: named, it is not taken for a table
    scored = [Trial(0, C, {}, 0.9, {"valid_acc": 0.9, "cost_s": 0.01})]
    assert labels.curves_note(scored, estimator="zero_cost").endswith("no valid_acc per epoch")
    assert labels.curves_note(scored) == labels.EMPTY_CURVES  # unknown: cost_s says tabular
    assert labels.curves_note([_trial(0, curve=False)]).endswith("no valid_acc per epoch")
    assert labels.curves_note([_trial(0)]) == ""
    # a multi-fidelity tabular search reads its table's curve column: those are shown
    assert labels.curves_note([_trial(0)], estimator="tabular") == ""


# ------------------------------------------------------------------ the table
def test_table_headers_numbers_and_state_colours():
    assert [header_text(c) for c in ("number", "value", "params", "flops", "3<-1")] == \
        ["trial", "objective", "parameters", "FLOPs", "1 → 3"]
    assert cell_text("params", 135012) == "135 k" and cell_text("flops", 1.2e6) == "1.2 M"
    t = TrialsTable()
    t.show(pd.DataFrame({"number": [0, 1], "state": ["COMPLETE", "FAILED"],
                         "value": [0.9, float("nan")], "params": [135012, 2_000_000],
                         "error": [None, "x" * 400]}))
    html = t.html.value
    assert f"height:{ROW_HEIGHT}px" in html and "text-overflow:ellipsis" in html
    assert "white-space:nowrap" in html
    assert f"title='{'x' * 400}'" in html  # the whole text on hover
    assert f"background:{STATE_COLORS['FAILED']}" in html
    assert "135 k" in html and "2 M" in html
    assert [v for _, v in t.sort_by.options][:3] == ["number", "state", "value"]
    assert ("parameters", "params") in list(t.sort_by.options)


def test_the_op_heatmap_title_counts_the_trials_it_shows():
    # "top 10" while 3 trials had completed: the title now says how many it counts
    s = spaces.nb201()
    charts = LiveCharts(s, top_k=10)
    try:
        title = charts.figures.opfreq_fig.title
        assert title.text == "Ops chosen by the top trials (none completed yet)"
        ts = [Trial(i, C, {lb: "skip_connect" for lb in s.labels}, i / 100) for i in range(3)]
        ts.append(Trial(3, F, {lb: "none" for lb in s.labels}, None))  # not counted
        charts.update(ts)
        charts.flush()
        assert title.text == "Ops chosen by the 3 completed trials"
        ts += [Trial(i, C, {lb: "none" for lb in s.labels}, i / 100) for i in range(4, 15)]
        charts.update(ts)
        charts.flush()
        assert title.text == "Ops chosen by the top 10 trials"
        charts.set_view(2)  # a replay of trials 0 and 1
        charts.flush()
        assert title.text == "Ops chosen by the 2 completed trials"
        charts.reset(spaces.keras_cnn())
        assert title.text == "No operation choices in this space"
    finally:
        charts.close()

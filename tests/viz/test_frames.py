"""The hidden frames that keep a live chart's auto ranges still (``viz.frames``)."""

from __future__ import annotations

import math

import pytest
from bokeh.models import HoverTool, TapTool

from nasbench_ui.viz.frames import SHRINK, StableFrame, add_frame, extent, frame_data, round_step


@pytest.mark.parametrize(("span", "step"), [(0.75, 0.1), (1.0, 0.2), (8, 1.0), (9, 2.0),
                                             (19, 2.5), (30, 5.0), (186_000, 25_000.0)])
def test_round_step_is_a_round_number_at_least_an_eighth_of_the_span(span, step):
    assert round_step(span) == step
    assert round_step(span) >= span / 8


def test_a_frame_holds_while_the_data_stays_inside_and_fills_half_of_it():
    frame = StableFrame()
    first = frame.fit(0.12, 0.87)
    assert first == (0.1, 0.9)
    for lo, hi in [(0.2, 0.8), (0.1, 0.9), (0.3, 0.75)]:
        assert frame.fit(lo, hi) == first
    # the data left it: a new frame holds the data, on the step's grid
    lo, hi = frame.fit(0.05, 0.87)
    assert lo <= 0.05 and hi >= 0.87 and (lo, hi) != first


def test_a_frame_shrinks_once_the_data_fills_less_than_half_of_it():
    frame = StableFrame()
    frame.fit(0.0, 1.0)
    assert frame.fit(0.4, 0.4 + SHRINK * 1.0) == (0.0, 1.0)
    lo, hi = frame.fit(0.5, 0.6)
    assert (lo, hi) != (0.0, 1.0) and lo <= 0.5 and hi >= 0.6 and hi - lo < 0.5


def test_a_growing_trial_axis_moves_its_frame_a_few_dozen_times_in_a_long_search():
    frame, moves, last = StableFrame(), 0, None
    for n in range(1, 200_001, 250):  # a push every 250 trials up to 200k
        bounds = frame.fit(0, n)
        assert bounds[0] <= 0 and bounds[1] >= n
        moves += bounds != last
        last = bounds
    assert moves <= 80  # of 800 pushes


def test_one_value_gets_a_frame_around_it_and_bad_bounds_are_refused():
    lo, hi = StableFrame().fit(3, 3)
    assert lo < 3 < hi
    assert StableFrame().fit(0, 0) == (-0.2, 0.2)
    for bad in [(1, 0), (math.nan, 1), (0, math.inf)]:
        with pytest.raises(ValueError, match="finite"):
            StableFrame().fit(*bad)


def test_extent_skips_missing_values_and_frame_data_needs_both_axes():
    assert extent([2, None, math.nan, -1, math.inf]) == (-1.0, 2.0)
    assert extent([None]) is None
    assert frame_data(None, (0, 1)) == {"x": [], "y": []}
    assert frame_data((0, 2), (0, 1)) == {"x": [0, 2], "y": [0, 1]}


def test_the_frame_glyph_is_hidden_and_no_tool_reaches_it():
    from bokeh.plotting import figure

    from nasbench_ui.viz.figures import history_figure

    fig, _ = history_figure()
    src = add_frame(fig)
    renderer = fig.select_one({"name": f"{fig.name}-frame"})
    assert renderer.visible is False and renderer.data_source is src
    for tool in fig.select({"type": HoverTool}) + fig.select({"type": TapTool}):
        assert renderer not in tool.renderers
    assert not any(renderer in item.renderers for legend in fig.legend for item in legend.items)
    plain = figure(name="plain")
    add_frame(plain)  # a figure with no tools: nothing to exclude it from
    assert plain.select_one({"name": "plain-frame"}).visible is False

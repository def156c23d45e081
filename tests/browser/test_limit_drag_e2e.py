"""Steering by mouse: drag the parameter-limit line on the accuracy-vs-parameters chart.

A workbench on a stored search (nb201, an instant synthetic estimator) gets a limit of
5,000 parameters from the Steer tab's field; the dashed line shows on the scatter. The
test then drags the line to the left with the mouse in Chromium, and the kernel's
experiment must hold the new, lower limit (and the Steer tab's field must show it).
"""

from __future__ import annotations

import time

import pytest
from helpers.lab import (
    assert_clean,
    kernel_text,
    open_notebook,
    run_all,
    save_screenshot,
    write_notebook,
)

pytestmark = pytest.mark.browser

SETUP = """\
import nasbench_ui as nb
from nasbench_ui.constraints import arch_params
from nasbench_ui.estimators import Estimate

class Params:
    NAME, OPTIONS = "params_score", {}
    def estimate(self, arch, ctx):
        v = sum(x == "nor_conv_3x3" for x in arch.values()) / 6
        return Estimate(v, {"valid_acc": v, "params": arch_params(ctx.space, arch)})

exp = nb.Experiment("nb201", estimator=Params(), trials=12, seed=0, storage=":memory:").run()
wb = nb.Workbench(experiment=exp)
wb.steer.max_params.value = 5000
wb.steer.apply_limit()
wb"""

# The limit span's position in viewport pixels: the scatter's frame maps x through its
# x_scale; the span is drawn at its location, across the frame's height.
SPAN_JS = """() => {
    for (const doc of window.Bokeh?.documents ?? []) {
        const span = doc.get_model_by_name('nbui-limit');
        if (span == null) { continue; }
        const vm = doc.views_manager;
        const sv = vm.query_one((v) => v.model === span);
        if (sv == null) { return {error: 'the span has no view'}; }
        const pv = sv.plot_view, el = pv.canvas_view.events_el;
        el.scrollIntoView({block: 'center', inline: 'nearest'});
        const box = el.getBoundingClientRect(), f = pv.frame.bbox;
        const rv = vm.query_one((v) => v.model != null && v.model.data_source != null
            && v.model.data_source.name === 'nbui-scatter' && v.plot_view === pv);
        if (rv == null) { return {error: 'no scatter renderer beside the span'}; }
        const sx = rv.coordinates.x_scale.compute(span.location);
        if (!Number.isFinite(sx)) { return {error: 'the x scale gives ' + String(sx)}; }
        return {x: box.left + sx, y: box.top + (f.top + f.bottom) / 2, location: span.location,
                visible: span.visible, left: box.left + f.left};
    }
    return {error: 'no Bokeh document holds the limit span'};
}"""




def test_dragging_the_limit_line_moves_the_constraint(page, jupyter_server, console_log,
                                                      tmp_path):
    path = tmp_path / "limit.ipynb"
    write_notebook(path, SETUP)
    open_notebook(page, jupyter_server, path)
    run_all(page, timeout=180)
    page.locator(".nbui-workbench .nbui-charts canvas, .nbui-workbench .nbui-charts .bk-Canvas")\
        .first.wait_for(timeout=60_000)
    assert kernel_text(page, "exp.config.constraints") == "{'params': {'max': 5000}}"
    deadline = time.monotonic() + 30
    span = page.evaluate(SPAN_JS)
    while (span.get("error") or not span.get("visible")) and time.monotonic() < deadline:
        time.sleep(0.3)
        span = page.evaluate(SPAN_JS)
    assert span.get("visible") and span["location"] == 5000, span
    target = max(span["left"] + 5, span["x"] - 120)
    page.mouse.move(span["x"], span["y"])
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(span["x"] + (target - span["x"]) * i / 10, span["y"])
    page.mouse.up()
    deadline = time.monotonic() + 20
    got = kernel_text(page, "exp.config.constraints['params']['max']")
    while int(got) == 5000 and time.monotonic() < deadline:
        time.sleep(0.3)
        got = kernel_text(page, "exp.config.constraints['params']['max']")
    # the page sends the line's location as it moves: wait for the last one to land
    last, deadline = None, time.monotonic() + 20
    while got != last and time.monotonic() < deadline:
        last = got
        time.sleep(0.5)
        got = kernel_text(page, "exp.config.constraints['params']['max']")
    moved = int(got)
    assert 0 < moved < 5000, f"the drag did not lower the limit: {got}"
    assert kernel_text(page, "wb.steer.max_params.value") == str(moved)
    assert abs(page.evaluate(SPAN_JS)["location"] - moved) < 1
    save_screenshot(page, "limit_drag")
    assert_clean(page, console_log)

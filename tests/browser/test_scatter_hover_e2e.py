"""The scatter's hover in a real JupyterLab page: a dot under the mouse shows its trial's
architecture and metrics (its source carries the texts of the dots it draws), and a
metric named with a script payload shows as text and never runs."""

from __future__ import annotations

import time

import pytest
from helpers.lab import assert_clean, open_notebook, run_all, save_screenshot, write_notebook

pytestmark = pytest.mark.browser

PAYLOAD = '<img src=x onerror="window.__x=1">'
SETUP = f"""\
import nasbench_ui as nb
from nasbench_ui.constraints import arch_params
from nasbench_ui.estimators import Estimate

class Score:
    NAME, OPTIONS = "score", {{}}
    def estimate(self, arch, ctx):
        v = sum(x == "nor_conv_3x3" for x in arch.values()) / 6
        return Estimate(v, {{"valid_acc": v, "params": arch_params(ctx.space, arch),
                            {PAYLOAD!r}: 7}})

exp = nb.Experiment("nb201", estimator=Score(), trials=12, seed=0, storage=":memory:").run()
wb = nb.Workbench(experiment=exp)
wb"""

# the screen position of scatter dot i, its trial number, and what the source holds
DOT_JS = """(i) => {
    for (const doc of window.Bokeh?.documents ?? []) {
        const src = doc.get_model_by_name('nbui-scatter');
        if (src == null) { continue; }
        const rv = doc.views_manager.query_one((v) => v.model?.data_source === src
            && v.model.glyph?.type === 'Scatter');
        const el = rv.plot_view.canvas_view.events_el;
        el.scrollIntoView({block: 'center'});
        const box = el.getBoundingClientRect();
        return {x: box.left + rv.coordinates.x_scale.compute(src.data.x[i]),
                y: box.top + rv.coordinates.y_scale.compute(src.data.y[i]),
                number: src.data.number[i], rows: src.get_length(),
                columns: src.data instanceof Map ? [...src.data.keys()] : Object.keys(src.data)};
    }
    return null;
}"""


def test_scatter_hover_shows_the_trials_texts(
        page, jupyter_server, console_log, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 800})
    path = tmp_path / "scatter_hover.ipynb"
    write_notebook(path, SETUP)
    open_notebook(page, jupyter_server, path)
    run_all(page, timeout=180)
    deadline, dot = time.monotonic() + 60, None
    while time.monotonic() < deadline:
        dot = page.evaluate(DOT_JS, 0)
        if dot and dot["rows"] == 12:
            break
        time.sleep(0.3)
    assert dot and dot["rows"] == 12, dot
    assert "arch_text" in dot["columns"] and "metrics_text" in dot["columns"], dot
    # the kernel's arch text of that trial, to compare with what the tooltip shows
    tip = page.locator(".nbui-tip").filter(has_text="arch:")
    for _ in range(5):  # the first move may land before the plot's events are wired
        page.mouse.move(dot["x"] - 30, dot["y"] - 30)
        page.mouse.move(dot["x"], dot["y"], steps=4)
        try:
            tip.first.wait_for(state="visible", timeout=3_000)
            break
        except Exception:
            continue
    text = tip.first.inner_text()
    assert f"trial {dot['number']}" in text, text
    assert "nor_conv" in text or "skip_connect" in text or "avg_pool" in text \
        or "none" in text, text  # nb201's arch text, e.g. "edge 0 → 1: nor_conv_3x3, ..."
    assert "edge 0 → 1: " in text and "<-" not in text, text  # edges in words, not "1<-0="
    assert PAYLOAD + "=7" in text, text  # the metric's name, shown as text
    assert page.evaluate("() => typeof window.__x === 'undefined'")
    save_screenshot(page, "scatter_hover")
    assert_clean(page, console_log)

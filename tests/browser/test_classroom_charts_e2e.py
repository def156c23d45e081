"""Issue 11, points 3 and 4 in JupyterLab + Chromium at 1280x800: the charts name their
metric (read from the Bokeh models in the page), the op heatmap's title the number of
trials it counts (it said "top 10" of 5), a state legend sits outside the plot area, a mouse click highlights one trial and leaves the others visible; the trials table
has one row height and cuts a long error to one line with the whole text on hover."""

from __future__ import annotations

import time

import pytest
from helpers.lab import (
    assert_clean,
    open_notebook,
    run_all,
    run_code,
    save_screenshot,
    write_notebook,
)

pytestmark = pytest.mark.browser

SETUP = """\
import nasbench_ui as nb
from nasbench_ui.constraints import arch_params
from nasbench_ui.estimators import Estimate

class Score:
    NAME, OPTIONS = "score", {}
    def estimate(self, arch, ctx):
        v = sum(x == "nor_conv_3x3" for x in arch.values()) / 6
        return Estimate(v, {"valid_acc": v, "params": arch_params(ctx.space, arch)})

exp = nb.Experiment("nb201", estimator=Score(), trials=12, seed=0, storage=":memory:").run()
wb = nb.Workbench(experiment=exp)
wb"""
TABLE = """\
import pandas as pd
from nasbench_ui.ui.table import TrialsTable
table = TrialsTable()
table.show(pd.DataFrame({"number": [0, 1, 2], "state": ["COMPLETE", "FAILED", "PRUNED"],
                         "value": [0.91, None, 0.5], "params": [135012, None, 1_234_567],
                         "error": [None, "RuntimeError: " + "a very long message " * 30,
                                   "pruned at epoch 3: below the median of earlier trials"]}))
table"""

# what the page's Bokeh document holds: axis labels, the legend's place, the selection
MODELS_JS = """() => {
    for (const doc of window.Bokeh?.documents ?? []) {
        const hist = doc.get_model_by_name('nbui-history-fig');
        if (hist == null) { continue; }
        const scatter = doc.get_model_by_name('nbui-scatter-fig');
        const legend = doc.get_model_by_name('nbui-history-legend');
        const src = doc.get_model_by_name('nbui-history');
        const dots = hist.renderers.find((r) => r.data_source === src
            && r.glyph.type === 'Scatter');
        const opfreq = doc.get_model_by_name('nbui-opfreq-fig');
        return {opfreq: opfreq.title.text, y: hist.left[0].axis_label, x: hist.below[0].axis_label,
                scatter_y: scatter.left[0].axis_label, scatter_x: scatter.below[0].axis_label,
                legend_above: hist.above.includes(legend),
                legend_in_frame: hist.center.includes(legend),
                items: legend.items.map((i) => i.label.value),
                selected: src.selected.indices, rows: src.get_length(),
                others_alpha: dots.nonselection_glyph.fill_alpha.value};
    }
    return null;
}"""
# screen position of the history dot of row i, and the frame's and legend's boxes
DOT_JS = """(i) => {
    for (const doc of window.Bokeh?.documents ?? []) {
        const src = doc.get_model_by_name('nbui-history');
        if (src == null) { continue; }
        const vm = doc.views_manager;
        const rv = vm.query_one((v) => v.model?.data_source === src
            && v.model.glyph?.type === 'Scatter');
        const pv = rv.plot_view, el = pv.canvas_view.events_el;
        el.scrollIntoView({block: 'center'});
        const box = el.getBoundingClientRect();
        const x = rv.coordinates.x_scale.compute(src.data.number[i]);
        const y = rv.coordinates.y_scale.compute(src.data.value[i]);
        const lv = vm.query_one((v) => v.model?.name === 'nbui-history-legend');
        const f = pv.frame.bbox, lb = lv.bbox;
        return {x: box.left + x, y: box.top + y, frame_top: f.top, legend_bottom: lb.bottom,
                legend_right: lb.right, canvas_width: box.width, number: src.data.number[i]};
    }
    return null;
}"""
TABLE_JS = """() => {
    const all = document.querySelectorAll('table.nbui-trials');
    const t = all[all.length - 1];  // the second cell's table (the workbench has one too)
    const rows = Array.from(t.querySelectorAll('tbody tr')).map((r) => r.getBoundingClientRect().height);
    const err = Array.from(t.querySelectorAll('td')).find((td) => td.textContent.startsWith('RuntimeError'));
    const tag = t.querySelector('.nbui-state-tag');
    return {rows, cut: err.scrollWidth > err.clientWidth, title: err.getAttribute('title'),
            headers: Array.from(t.querySelectorAll('th')).map((h) => h.textContent),
            tag: getComputedStyle(tag).backgroundColor,
            cells: Array.from(t.querySelectorAll('td')).map((td) => td.textContent)};
}"""


def _wait(page, js: str, check, timeout: float = 30.0, arg=None):
    deadline, got = time.monotonic() + timeout, page.evaluate(js, arg)
    while not (got and check(got)) and time.monotonic() < deadline:
        time.sleep(0.3)
        got = page.evaluate(js, arg)
    return got


def test_charts_explain_themselves_and_the_table_reads(page, jupyter_server, console_log,
                                                       tmp_path):
    page.set_viewport_size({"width": 1280, "height": 800})
    path = tmp_path / "classroom_charts.ipynb"
    write_notebook(path, SETUP, TABLE)
    open_notebook(page, jupyter_server, path)
    run_all(page, timeout=180)
    page.locator(".nbui-workbench .nbui-charts canvas, .nbui-workbench .nbui-charts .bk-Canvas")\
        .first.wait_for(timeout=60_000)
    m = _wait(page, MODELS_JS, lambda m: m["rows"] == 12 and m["y"] == "valid_acc")
    assert m["y"] == "valid_acc" and m["scatter_y"] == "valid_acc", m
    assert m["x"] == "trial" and m["scatter_x"] == "parameters", m
    assert m["legend_above"] and not m["legend_in_frame"], m
    assert m["opfreq"] == "Ops chosen by the top 10 trials", m
    assert m["items"] == ["best so far", "complete", "pruned", "failed", "running",
                          "interrupted"], m  # the grey of a trial a stop cut short
    dot = page.evaluate(DOT_JS, 5)
    assert dot["legend_bottom"] <= dot["frame_top"] + 0.5, dot  # the legend covers no point
    assert dot["legend_right"] <= dot["canvas_width"] + 0.5, dot  # all its items in the chart
    page.mouse.click(dot["x"], dot["y"])
    m = _wait(page, MODELS_JS, lambda m: m["selected"] == [5])
    assert m["selected"] == [5] and m["others_alpha"] >= 0.5, m
    deadline = time.monotonic() + 15
    while run_code(page, "print(wb.selected)").strip() != str(dot["number"]) and \
            time.monotonic() < deadline:
        time.sleep(0.3)
    assert run_code(page, "print(wb.charts.selected)").strip() == str(dot["number"])
    save_screenshot(page, "classroom_charts")
    # replayed to 5 trials, the op heatmap counts 5 and says so (it said "top 10")
    run_code(page, "wb.replay.seek(5)")
    m = _wait(page, MODELS_JS, lambda m: m["rows"] == 5)
    assert m["opfreq"] == "Ops chosen by the 5 completed trials", m
    run_code(page, "wb.replay.follow()")

    page.locator("table.nbui-trials").last.scroll_into_view_if_needed()
    t = page.evaluate(TABLE_JS)
    assert len(set(t["rows"])) == 1 and t["rows"][0] <= 26, t["rows"]
    assert t["cut"] and t["title"].startswith("RuntimeError: a very long message"), t
    assert len(t["title"]) > 500
    assert t["headers"][:4] == ["trial", "state", "objective", "parameters"], t["headers"]
    assert "135 k" in t["cells"] and "1.2 M" in t["cells"], t["cells"]
    assert t["tag"] == "rgb(255, 127, 14)"  # newest first: trial 2, pruned, the charts' orange
    save_screenshot(page, "classroom_table")
    assert_clean(page, console_log)

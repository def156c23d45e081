"""The "Learning curves" chart draws its lines in a real JupyterLab page: a trial's
reported curve points reach the page's ``nbui-curves`` source and its multi_line view
(read from BokehJS's glyph view, not from the kernel), both for a finished experiment
opened in a workbench and while a search runs in the background."""

from __future__ import annotations

import time

import pytest
from helpers.lab import assert_clean, open_notebook, run_all, save_screenshot, write_notebook

pytestmark = pytest.mark.browser

ESTIMATOR = """\
import time
import nasbench_ui as nb
from nasbench_ui.constraints import arch_params
from nasbench_ui.estimators import Estimate

class Curvy:
    NAME, OPTIONS = "curvy", {}
    def estimate(self, arch, ctx):
        v = sum(x == "nor_conv_3x3" for x in arch.values()) / 6
        for e in range(1, 4):
            ctx.report({"epoch": e, "valid_acc": v * e / 3})
            time.sleep(DELAY)
        return Estimate(v, {"valid_acc": v, "params": arch_params(ctx.space, arch)})
"""
FINISHED = ESTIMATOR.replace("DELAY", "0") + """
exp = nb.Experiment("nb201", estimator=Curvy(), trials=12, seed=0, storage=":memory:").run()
wb = nb.Workbench(experiment=exp)
wb"""
# the classroom's first run: the quickstart's workbench, its default early_stop training
# cut to one epoch per trial, so each curve is a single point (once drawn as nothing)
LIVE = """\
import nasbench_ui as nb
wb = nb.Workbench(trials=2000, storage="runs/curves_live.db")
_f = wb.controls.estimator_form.fields
_f['epochs'].value = 1
_f['subset'].value = 0.2
_f['latency_runs'].value = 0
wb"""

# what the page holds and draws: the curves source's rows and lines' lengths, and the
# multi_line view's screen coordinates (NaN-free points drawn per line)
CURVES_JS = """() => {
    for (const doc of window.Bokeh?.documents ?? []) {
        const src = doc.get_model_by_name('nbui-curves');
        if (src == null) { continue; }
        const rv = doc.views_manager.query_one((v) => v.model?.data_source === src
            && v.model.glyph?.type === 'MultiLine');
        const g = rv?.glyph;
        const drawn = [];
        for (let i = 0; g != null && i < g.sxs.length; i++) {
            const sx = g.sxs.get(i), sy = g.sys.get(i);
            let n = 0;
            for (let j = 0; j < sx.length; j++) {
                if (isFinite(sx[j]) && isFinite(sy[j])) { n++; }
            }
            drawn.push(n);
        }
        const ev = doc.views_manager.query_one((v) => v.model?.data_source === src
            && v.model.glyph?.type === 'Scatter');
        let dots = 0;
        for (let i = 0; ev != null && i < ev.glyph.sx.length; i++) {
            if (isFinite(ev.glyph.sx[i]) && isFinite(ev.glyph.sy[i])) { dots++; }
        }
        const xs = src.data.xs ?? [];
        return {rows: src.get_length(), lens: Array.from(xs, (x) => x.length), drawn, dots};
    }
    return null;
}"""


def _wait(page, check, timeout: float = 60.0):
    deadline, got = time.monotonic() + timeout, page.evaluate(CURVES_JS)
    while not (got and check(got)) and time.monotonic() < deadline:
        time.sleep(0.3)
        got = page.evaluate(CURVES_JS)
    return got


def _notebook(tmp_path, name: str, code: str):
    return write_notebook(tmp_path / name, code)


def test_a_finished_experiment_draws_its_learning_curves(page, jupyter_server, console_log,
                                                         tmp_path):
    page.set_viewport_size({"width": 1280, "height": 800})
    open_notebook(page, jupyter_server, _notebook(tmp_path, "curves.ipynb", FINISHED))
    run_all(page, timeout=180)
    got = _wait(page, lambda c: c["rows"] == 10 and len(c["drawn"]) == 10)
    assert got is not None, "no nbui-curves source in the page"
    assert got["rows"] == 10 and got["lens"] == [3] * 10, got
    assert got["drawn"] == [3] * 10, got  # every line is drawn with its three points
    assert got["dots"] == 10, got  # and each line's end point
    page.locator(".nbui-charts").first.scroll_into_view_if_needed()
    save_screenshot(page, "curves_finished")
    assert_clean(page, console_log)


def test_live_search_draws_learning_curves(page, jupyter_server, console_log, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 800})
    open_notebook(page, jupyter_server, _notebook(tmp_path, "curves_live.ipynb", LIVE))
    run_all(page, timeout=180)
    page.locator("button.nbui-start").wait_for(timeout=60_000)
    page.locator("button.nbui-start").click()
    got = _wait(page, lambda c: c["rows"] >= 3 and c["dots"] == c["rows"], timeout=120)
    assert got is not None and got["rows"] >= 3, got
    assert got["lens"] == [1] * got["rows"], got  # one epoch: one point per curve
    assert got["drawn"] == got["lens"], got  # the page knows every point's place
    assert got["dots"] == got["rows"], got  # and draws each as a dot
    page.locator(".nbui-charts").first.scroll_into_view_if_needed()
    save_screenshot(page, "curves_live")
    page.locator("button.nbui-stop").click()
    assert_clean(page, console_log)

"""The Compare tab in JupyterLab + Chromium at 1280x800 (the file browser open), as a
teacher's pass found it: only trial A's keras_cnn drawing showed, cut at the panel's
right edge (each is 980 px wide, side by side in a scrolled row), and the table's
learning_rate values touched (no room between its columns). Both drawings are now
inside the panel, in view together and readable (shrunk to its width, one under the
other), and the table's columns stand apart.

Screenshot (artifacts/): compare-tab.png.
"""

from __future__ import annotations

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
from nasbench_ui.estimators import Estimate

class Score:
    NAME, OPTIONS = "score", {}
    def estimate(self, arch, ctx):
        v = (arch["filters"] + arch["units"]) / 1000 + arch["learning_rate"]
        return Estimate(v, {"valid_acc": v})

exp = nb.Experiment("keras_cnn", estimator=Score(), trials=12, seed=0, storage=":memory:").run()
wb = nb.Workbench(experiment=exp)
wb"""
PICK = """\
rates = {t.arch["learning_rate"]: t.number for t in exp.trials}
a, b = rates[0.01], rates[0.001]
print(sorted(wb.diff.compare(a, b)))"""

# the Compare panel (the view that holds the table)
PANEL = "document.querySelector('.nbui-workbench .nbui-diff-table').closest('.widget-html')" \
    ".parentElement"
# the two drawings against the Compare panel and the window; the text's size on screen
GRAPHS_JS = """() => {
    const root = """ + PANEL + """;
    const panel = root.getBoundingClientRect();
    return Array.from(root.querySelectorAll('svg.nbui-arch')).map((s) => {
        const r = s.getBoundingClientRect();
        return {left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                panel_left: panel.left, panel_right: panel.right, window: window.innerHeight,
                text_px: 11 * r.width / s.viewBox.baseVal.width};
    });
}"""
# the room between the learning_rate row's cells' texts
GAPS_JS = """() => {
    const row = document.querySelector('.nbui-diff-table tr[data-label="learning_rate"]');
    const boxes = Array.from(row.querySelectorAll('td')).map((td) => {
        const range = document.createRange();
        range.selectNodeContents(td);
        return range.getBoundingClientRect();
    });
    return boxes.slice(1).map((b, i) => b.left - boxes[i].right);
}"""


def test_compare_shows_both_graphs_in_the_panel(page, jupyter_server, console_log, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 800})
    path = write_notebook(tmp_path / "compare_e2e.ipynb", SETUP)
    open_notebook(page, jupyter_server, path)
    run_all(page, timeout=180)
    wb = page.locator(".nbui-workbench")
    wb.locator(".lm-TabBar-tab", has_text="Compare").first.click()
    assert "learning_rate" in run_code(page, PICK)
    wb.locator(".nbui-diff-table").wait_for(timeout=30_000)
    page.evaluate("() => " + PANEL + ".scrollIntoView({block: 'start'})")
    graphs = page.evaluate(GRAPHS_JS)
    assert len(graphs) == 2, graphs
    for g in graphs:
        assert g["panel_left"] - 0.5 <= g["left"] and g["right"] <= g["panel_right"] + 0.5, g
        assert g["bottom"] <= g["window"], g  # both in view at once
        assert g["text_px"] >= 8, g  # shrunk, still readable
    gaps = page.evaluate(GAPS_JS)
    assert len(gaps) == 2 and min(gaps) >= 8, gaps
    save_screenshot(page, "compare-tab")
    assert_clean(page, console_log)

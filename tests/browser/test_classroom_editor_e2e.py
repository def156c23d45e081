"""Issue 11, point 5 in JupyterLab + Chromium at 1280x800: the graph editor fits its graph
(keras_cnn's 7 nodes, names >= 14 px), Delete / Backspace / Ctrl+Z / Ctrl+Shift+Z by
keyboard never reach JupyterLab (the notebook keeps its cells), and the edge editor's
ticks agree with the edge's label; a digits_cell edge is offered only the operations that
keep its feature map (it offered gru and lstm)."""

from __future__ import annotations

import time

import nbformat
import pytest
from helpers.lab import assert_clean, kernel_text, open_notebook, run_all, save_screenshot

pytestmark = pytest.mark.browser

CELLS = [
    "from nasbench_ui import spaces\nfrom nasbench_ui.benchmarks import digits_space\n"
    "from nasbench_ui.ui.graph_editor import GraphEditor",
    "ed = GraphEditor(spaces.keras_cnn())\ned",
    "cell = GraphEditor(digits_space())\ncell",
]

# every node of the editor (index i) against its canvas's visible box, and the name's
# font size on screen (CSS size x the SVG's scale)
FIT_JS = """(i) => {
    const ed = document.querySelectorAll('.nbui-editor')[i];
    const canvas = ed.querySelector('.nbui-canvas').getBoundingClientRect();
    const out = [];
    for (const g of ed.querySelectorAll('g.nbui-node')) {
        const r = g.querySelector('rect').getBoundingClientRect();
        const t = g.querySelector('text.nbui-name');
        const px = parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a;
        out.push({name: g.dataset.node, px, inside: r.left >= canvas.left - 0.5
            && r.right <= canvas.right + 0.5 && r.top >= canvas.top - 0.5
            && r.bottom <= canvas.bottom + 0.5});
    }
    return out;
}"""
CELLS_JS = "() => window.jupyterapp.shell.currentWidget.content.model.cells.length"




def _until(page, expr: str, want: str, timeout: float = 15.0) -> str:
    deadline, got = time.monotonic() + timeout, kernel_text(page, expr)
    while got != want and time.monotonic() < deadline:
        time.sleep(0.2)
        got = kernel_text(page, expr)
    return got


def test_editor_fits_and_obeys_the_keyboard(page, jupyter_server, console_log, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 800})
    path = tmp_path / "editor_keys.ipynb"
    nbformat.write(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(c) for c in CELLS],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}}), path)
    open_notebook(page, jupyter_server, path)
    run_all(page, timeout=120)
    page.locator(".nbui-editor g.nbui-node").first.wait_for()
    page.locator(".nbui-editor").first.scroll_into_view_if_needed()
    # fit: all 7 nodes of keras_cnn visible, names readable
    fit = page.evaluate(FIT_JS, 0)
    assert len(fit) == 7 and all(n["inside"] for n in fit), fit
    assert min(n["px"] for n in fit) >= 14, fit
    page.locator(".nbui-editor").nth(1).scroll_into_view_if_needed()
    fit = page.evaluate(FIT_JS, 1)
    assert len(fit) == 4 and all(n["inside"] for n in fit) and min(n["px"] for n in fit) >= 14
    page.locator(".nbui-editor").first.scroll_into_view_if_needed()
    save_screenshot(page, "classroom_editor_fit")

    cells = page.evaluate(CELLS_JS)
    # click a node, Delete: the node goes; the notebook keeps its cells
    page.locator('.nbui-editor g.nbui-node[data-node="act1"] rect').first.click()
    assert _until(page, "ed.selected['id']", "act1") == "act1"
    page.keyboard.press("Delete")
    assert _until(page, "len(ed.space_json['nodes'])", "6") == "6"
    page.keyboard.press("d")
    page.keyboard.press("d")  # JupyterLab's "delete cell" in command mode: not here
    page.keyboard.press("Control+z")
    assert _until(page, "len(ed.space_json['nodes'])", "7") == "7"
    page.keyboard.press("Control+Shift+z")
    assert _until(page, "len(ed.space_json['nodes'])", "6") == "6"
    page.keyboard.press("Control+z")
    assert _until(page, "len(ed.space_json['nodes'])", "7") == "7"
    # an edge: select it, Backspace removes it
    page.locator('.nbui-editor g.nbui-edge[data-edge="pool<-act1"] .nbui-edge-line').first\
        .click(force=True)
    assert _until(page, "ed.selected['id']", "pool<-act1") == "pool<-act1"
    page.keyboard.press("Backspace")
    assert _until(page, "len(ed.space_json['edges'])", "5") == "5"
    assert page.evaluate(CELLS_JS) == cells, "a key in the editor reached JupyterLab"
    # the dead end is flagged, not the input, and no hint says delete
    page.locator('.nbui-editor g.nbui-node.nbui-bad[data-node="act1"]').wait_for()
    assert page.locator('.nbui-editor g.nbui-node.nbui-bad[data-node="input"]').count() == 0
    hint = page.locator(".nbui-editor .nbui-hint").first.inner_text()
    assert "act1" in hint and "delete" not in hint.lower(), hint
    save_screenshot(page, "classroom_editor_dead_end")
    page.keyboard.press("Control+z")
    assert _until(page, "ed.valid", "True") == "True"
    assert page.evaluate(CELLS_JS) == cells

    # the edge editor of digits_cell: ticked ops first, as many as the label says
    second = page.locator(".nbui-editor").nth(1)
    second.scroll_into_view_if_needed()
    edge = second.locator('g.nbui-edge[data-edge="1<-0"]')
    title = edge.locator("title").text_content()
    assert title.startswith("0 → 1"), title
    edge.locator(".nbui-edge-line").click(force=True)
    chosen = second.locator(".nbui-ops-chosen")
    chosen.wait_for()
    label = second.locator('text.nbui-edge-label[data-edge="1<-0"]').text_content()
    ticks = chosen.locator("input.nbui-op:checked")
    n = ticks.count()
    assert n == int(kernel_text(page, "len(set(cell.space.edges[0].ops))"))
    assert label in (f"{n} ops", " | ".join(
        page.evaluate("(els) => els.map((e) => e.dataset.op)", ticks.element_handles()))), label
    for i in range(n):
        assert ticks.nth(i).is_visible()
    assert second.locator(".nbui-ops-more input.nbui-op:checked").count() == 0
    assert "Chosen: " + str(n) in chosen.inner_text()
    # "Add an operation" lists what fits the cell's feature maps: no gru, lstm, linear
    more = second.locator(".nbui-ops-more")
    offered = page.evaluate("(els) => els.map((e) => e.dataset.op)",
                            more.locator("input.nbui-op").element_handles())
    assert "conv_3x3" in offered and "max_pool_3x3" in offered, offered
    assert not {"gru", "lstm", "linear", "flatten"} & set(offered), offered
    assert "keep its shape" in more.locator(".nbui-ops-note").inner_text()
    assert second.locator("h4").first.inner_text() == "Edge 0 → 1"
    save_screenshot(page, "classroom_edge_editor")
    assert page.evaluate(CELLS_JS) == cells
    assert_clean(page, console_log)

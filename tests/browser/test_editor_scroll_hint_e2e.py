"""The graph editor says when its graph goes on past the canvas, in JupyterLab + Chromium.

A graph wider than the canvas scrolls (names stay readable), and where scrollbars show
only while scrolling (macOS) or never (headless Chromium, as here) a teacher saw the
notebook 02 space cut after its ``pool`` node, its ``output`` node out of sight, with
nothing to say so. A shadow at the edge the graph goes on past says it: the right edge
at first, the left one once scrolled to the end, neither once Fit shrinks it to the
canvas.
"""

from __future__ import annotations

import io

import pytest
from helpers.lab import assert_clean, open_notebook, run_all, save_screenshot, write_notebook

pytestmark = pytest.mark.browser

# notebook 02's own space ("Your own space, in code"): five nodes in a row, in a box as
# wide as a notebook's output at 1280 px with the file browser open (the canvas beside
# the side panel: about 580 px)
CELLS = [
    "import ipywidgets as w\n"
    "from nasbench_ui.space import SearchSpace, Edge, FloatRange, IntRange\n"
    "from nasbench_ui.ui import GraphEditor\n"
    "mine = SearchSpace('mine', nodes=['input', 'c1', 'c2', 'pool', 'output'], edges=[\n"
    "    Edge('input', 'c1', ['conv_3x3', 'conv_5x5'], bind={'filters': 'width'}),\n"
    "    Edge('c1', 'c2', ['conv_3x3', 'conv_5x5', 'skip']),\n"
    "    Edge('input', 'c2', ['skip', 'none'], label='shortcut'),\n"
    "    Edge('c2', 'pool', ['max_pool_2x2']),\n"
    "    Edge('pool', 'output', ['dropout'], bind={'rate': 'dropout'})],\n"
    "    hparams=[IntRange('width', 8, 32, 8), FloatRange('dropout', 0.0, 0.5, 0.1)])",
    "editor = GraphEditor(mine)\nw.Box([editor], layout=w.Layout(width='840px'))",
]


def _edges(page) -> dict[str, float]:
    """How much darker than the canvas's middle its left and right edges are (grey levels
    at a row above the drawing), and whether the canvas can scroll."""
    from PIL import Image

    canvas = page.locator(".nbui-editor .nbui-canvas").first
    shot = Image.open(io.BytesIO(canvas.screenshot())).convert("L")
    y = 4  # above the nodes and edges (the drawing starts 16 units down)
    middle = shot.getpixel((shot.width // 2, y))
    scroll = canvas.evaluate("c => [c.scrollLeft, c.scrollWidth - c.clientWidth]")
    return {"left": middle - shot.getpixel((6, y)),
            "right": middle - shot.getpixel((shot.width - 7, y)),
            "scroll_left": scroll[0], "overflow": scroll[1]}


def test_a_graph_wider_than_the_canvas_shows_a_shadow_where_it_goes_on(
        page, jupyter_server, console_log, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 800})
    path = write_notebook(tmp_path / "editor_hint.ipynb", *CELLS)
    open_notebook(page, jupyter_server, path)
    run_all(page, timeout=120)
    canvas = page.locator(".nbui-editor .nbui-canvas").first
    canvas.wait_for()
    page.locator(".nbui-editor g.nbui-node").first.wait_for()

    start = _edges(page)
    assert start["overflow"] > 20, start  # the output node lies right of the canvas
    assert start["right"] >= 12 and abs(start["left"]) <= 4, start
    save_screenshot(page, "editor-scroll-hint-start")

    canvas.evaluate("c => { c.scrollLeft = c.scrollWidth; }")
    page.wait_for_timeout(300)
    end = _edges(page)
    assert end["scroll_left"] > 20, end
    assert end["left"] >= 12 and abs(end["right"]) <= 4, end

    page.locator(".nbui-editor .nbui-fit").first.click()
    page.wait_for_timeout(300)
    fit = _edges(page)
    assert fit["overflow"] <= 0, fit  # Fit: the whole graph in the canvas
    assert abs(fit["left"]) <= 4 and abs(fit["right"]) <= 4, fit
    save_screenshot(page, "editor-scroll-hint-fit")
    assert_clean(page, console_log)

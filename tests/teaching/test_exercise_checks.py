"""``teaching.checks``: a verdict wraps within the output area, and shows its message as text.

The workshop shows a workbench (whose graph editor's stylesheet then styles the whole page)
before the first check: a verdict must wrap under that stylesheet too, at the width of a
JupyterLab output area at 1280x800, instead of running off its right edge.
"""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import REPO_ROOT

from nasbench_ui.teaching import Check, check_seeds, check_space_size

#: the stylesheet the graph editor puts on the page (read as a file: teaching never imports ui)
EDITOR_CSS = REPO_ROOT / "nasbench_ui" / "ui" / "graph_editor.css"
#: about the width of a notebook output area at 1280x800 with the file browser open
OUTPUT_WIDTH = 700
PAYLOAD = '<img src=x onerror="window.__x=1">'


def _long_verdicts() -> list[Check]:
    results = pd.DataFrame({"strategy": ["random"] * 3 + ["evolution"] * 3 + ["reinforce"] * 3,
                            "seed": [0, 1, 2] * 3,
                            "best": [0.95, 0.96, 0.97, 0.96, 0.97, 0.98, 0.94, 0.95, 0.96]})
    return [check_space_size(1296), check_space_size(144), check_seeds(results, "evolution"),
            check_seeds(results, "random"), Check(False, "x" * 300 + " " + PAYLOAD)]


def test_a_verdict_carries_the_wrapping_style_and_not_the_editors_nowrap_class():
    for verdict in _long_verdicts():
        out = verdict._repr_html_()
        assert "white-space:normal" in out and "overflow-wrap:anywhere" in out
        assert "max-width:100%" in out
        assert "nbui-check" not in out, "graph_editor.css makes .nbui-check white-space: nowrap"


def test_a_verdict_escapes_its_message():
    out = Check(False, PAYLOAD)._repr_html_()
    assert "<img" not in out and "&lt;img src=x onerror=&quot;window.__x=1&quot;&gt;" in out


@pytest.mark.browser
def test_a_verdict_is_no_wider_than_the_output_area_in_chromium(browser):
    """Rendered in Chromium under the editor's stylesheet, inside a box as wide as an
    output area: every verdict wraps (its box and its text fit), and the payload stays text."""
    css = EDITOR_CSS.read_text(encoding="utf-8")
    body = "".join(f"<div class='out'>{v._repr_html_()}</div>" for v in _long_verdicts())
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.set_content(f"<!doctype html><html><head><meta charset='utf-8'><style>{css}</style>"
                         f"<style>.out {{ width: {OUTPUT_WIDTH}px; overflow-x: auto; }}</style>"
                         f"</head><body>{body}</body></html>")
        sizes = page.eval_on_selector_all(".out", """els => els.map(e => {
            const v = e.firstElementChild;
            return {box: v.getBoundingClientRect().width, scroll: e.scrollWidth,
                    inner: v.scrollWidth, height: v.getBoundingClientRect().height};
        })""")
        assert page.evaluate("window.__x === undefined") and page.locator("img").count() == 0
    finally:
        page.close()
    for verdict, size in zip(_long_verdicts(), sizes, strict=True):
        assert size["box"] <= OUTPUT_WIDTH and size["scroll"] <= OUTPUT_WIDTH, (verdict, size)
        assert size["inner"] <= OUTPUT_WIDTH, (verdict, size)
    assert max(s["height"] for s in sizes) > 30, "the long verdicts should wrap onto lines"

"""``notebooks/dashboard.ipynb`` renders as a clean app under Voilà (at 1280x800).

The lab server of the browser tests also serves Voilà's server extension
(``/voila/render/...``) once voila is installed (the ``ui`` extra). The page must show
the whole workbench (editor, charts, Start), no code, no "Loading widget", no error
output and no console error.
"""

from __future__ import annotations

import shutil

import pytest
from helpers import REPO_ROOT
from helpers.lab import LOADING_TEXTS, save_screenshot

pytestmark = pytest.mark.browser

NOTEBOOK = REPO_ROOT / "notebooks" / "dashboard.ipynb"


def test_dashboard_renders_as_a_clean_voila_app(page, jupyter_server, console_log):
    pytest.importorskip("voila")
    page.set_viewport_size({"width": 1280, "height": 800})
    shutil.copy(NOTEBOOK, jupyter_server.root_dir / NOTEBOOK.name)
    page.goto(jupyter_server.url(f"voila/render/{NOTEBOOK.name}"), wait_until="load",
              timeout=120_000)
    page.locator(".nbui-workbench .nbui-editor g.nbui-node[data-node='input']") \
        .wait_for(timeout=120_000)
    page.locator("button.nbui-start").wait_for(timeout=30_000)
    page.locator(".nbui-workbench .nbui-charts .bk-Canvas, .nbui-workbench .nbui-charts canvas")\
        .first.wait_for(timeout=60_000)
    save_screenshot(page, "dashboard_voila")
    assert page.get_by_text("Neural Architecture Search workbench").count() >= 1
    # issue 11, point 9: the app does not tell its user to open it with Voilà
    assert page.get_by_text("open it with Voil").count() == 0
    # ... and its architecture view is no narrow column
    view = page.locator(".nbui-workbench .nbui-view").first
    view.scroll_into_view_if_needed()
    box = view.bounding_box()
    assert box is not None and box["width"] >= 300, f"the architecture view is {box}"
    # an app: no code shown (markdown cells render in an input area of their own)
    assert page.locator(".jp-CodeCell .jp-InputArea, .jp-InputArea-editor, .CodeMirror, "
                        ".cm-editor").count() == 0
    for text in LOADING_TEXTS:
        assert page.get_by_text(text).count() == 0, f"still shows {text!r}"
    stderr = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'],"
                          " .jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']")
    assert stderr.count() == 0, stderr.all_inner_texts()
    # Voilà's page template asks public CDNs for Font Awesome and MathJax; this network
    # has none (Binder has), and the workbench needs neither.
    errors = [e for e in console_log.errors
              if "Failed to load resource: net::ERR_NAME_NOT_RESOLVED" not in e]
    assert not errors, errors

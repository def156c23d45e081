"""The Share tab in JupyterLab + Chromium at 1280x800, as a teacher's pass found it: the
file button read "Import file (0)" before any file was chosen (ipywidgets writes its
count of files beside the description). It reads "Import file", whole in its button, and
after a file is imported it still does, while the message line names the file.

Screenshot (artifacts/): share-tab.png.
"""

from __future__ import annotations

import json

import pytest
from helpers.lab import (
    assert_clean,
    kernel_text,
    open_notebook,
    run_all,
    run_code,
    save_screenshot,
    write_notebook,
)

pytestmark = pytest.mark.browser

# what the file button shows: its own text's width (ipywidgets' "Import file (0)"), the
# words drawn after it, and whether they fit the button
BUTTON_JS = """() => {
    const b = document.querySelector('.nbui-workbench .widget-upload');
    const range = document.createRange();
    const own = Array.from(b.childNodes).find((n) => n.nodeType === Node.TEXT_NODE);
    range.selectNodeContents(own);
    const after = getComputedStyle(b, '::after');
    const icon = b.querySelector('i.fa');
    return {own: own.textContent, own_width: range.getBoundingClientRect().width,
            shown: after.content, shown_px: parseFloat(after.fontSize),
            icon_px: icon ? parseFloat(getComputedStyle(icon).fontSize) : 0,
            fits: b.scrollWidth <= b.clientWidth + 1, visible: b.offsetParent !== null};
}"""


def test_the_import_file_button_reads_plainly(page, jupyter_server, console_log, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 800})
    path = write_notebook(
        tmp_path / "share_e2e.ipynb",
        "import nasbench_ui as nb\n"
        "wb = nb.Workbench(space='nb201', estimator='zero_cost', storage=':memory:')\n"
        "wb")
    open_notebook(page, jupyter_server, path)
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
    run_all(page, timeout=120)
    wb = page.locator(".nbui-workbench")
    wb.locator(".lm-TabBar-tab", has_text="Share").first.click()
    button = wb.locator(".widget-upload")
    button.wait_for(timeout=30_000)
    wb.locator(".nbui-share-text").scroll_into_view_if_needed()

    b = page.evaluate(BUTTON_JS)
    assert b["visible"] and b["own"] == "Import file (0)", b  # ipywidgets' own text...
    assert b["own_width"] == 0, b  # ...takes no room on the page
    assert b["shown"] == '"Import file"' and b["shown_px"] >= 12 and b["icon_px"] >= 12, b
    assert b["fits"], b
    save_screenshot(page, "share-tab")

    config = tmp_path / "mine.json"
    state = json.loads(run_code(page, "import json; print(json.dumps(wb.state))"))
    config.write_text(json.dumps({**state, "seed": 7}))
    with page.expect_file_chooser() as chooser:  # the button's file input is detached
        button.click()
    chooser.value.set_files(str(config))
    page.wait_for_function(
        "(sel) => (document.querySelector(sel)?.innerText || '').includes('imported mine.json')",
        arg=".nbui-workbench .nbui-share-message", timeout=30_000)
    assert kernel_text(page, "wb.controls.seed.value") == "7"
    b = page.evaluate(BUTTON_JS)
    assert b["own_width"] == 0 and b["shown"] == '"Import file"', b  # no "(1)" either
    assert_clean(page, console_log)

"""The space side of the workbench in JupyterLab + Chromium at 1280x800, as a teacher's
pass found it: an operation unticked on a digits_cell edge left the preset dropdown
blank. It reads "custom" while the space is no preset, and the preset's name again once
an undo makes it one.

Screenshot (artifacts/): space-panel-custom.png.
"""

from __future__ import annotations

import re
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

SHOWN_JS = "(s) => s.selectedOptions.length ? s.selectedOptions[0].textContent : ''"


def _until(page, expr: str, want: str, timeout: float = 15.0) -> str:
    deadline, got = time.monotonic() + timeout, kernel_text(page, expr)
    while got != want and time.monotonic() < deadline:
        time.sleep(0.2)
        got = kernel_text(page, expr)
    return got


def test_an_edited_space_reads_custom_in_the_preset_dropdown(page, jupyter_server, console_log,
                                                             tmp_path):
    page.set_viewport_size({"width": 1280, "height": 800})
    path = write_notebook(
        tmp_path / "space_panel_e2e.ipynb",
        "import nasbench_ui as nb\n"
        "wb = nb.Workbench(space='digits_cell', storage=':memory:')\n"
        "wb")
    open_notebook(page, jupyter_server, path)
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
    run_all(page, timeout=120)
    wb = page.locator(".nbui-workbench")
    preset = wb.locator(".widget-dropdown").filter(
        has=page.locator("label", has_text=re.compile(r"^\s*preset\s*$"))).locator("select")
    preset.wait_for(timeout=30_000)
    assert preset.evaluate(SHOWN_JS) == "digits_cell"

    editor = wb.locator(".nbui-editor").first
    editor.scroll_into_view_if_needed()
    editor.locator('g.nbui-edge[data-edge="1<-0"] .nbui-edge-line').click(force=True)
    chosen = editor.locator(".nbui-ops-chosen input.nbui-op:checked")
    chosen.first.wait_for(timeout=10_000)
    n = chosen.count()
    chosen.first.click()  # untick one operation: the space is no preset now
    assert _until(page, "len(wb.space.edges[0].ops)", str(n - 1)) == str(n - 1)
    assert kernel_text(page, "wb.preset.value") == "custom"
    page.wait_for_function(f"(s) => ({SHOWN_JS})(s) === 'custom'",
                           arg=preset.element_handle(), timeout=10_000)
    preset.scroll_into_view_if_needed()
    save_screenshot(page, "space-panel-custom")

    editor.locator("button.nbui-undo").click()
    assert _until(page, "wb.preset.value", "digits_cell") == "digits_cell"
    page.wait_for_function(f"(s) => ({SHOWN_JS})(s) === 'digits_cell'",
                           arg=preset.element_handle(), timeout=10_000)
    assert "custom" not in preset.evaluate("(s) => Array.from(s.options).map((o) => o.text)")
    assert_clean(page, console_log)

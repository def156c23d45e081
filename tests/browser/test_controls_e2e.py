"""The search panel in real JupyterLab + Chromium at 1280x800, as a teacher found it:

- the estimator's option rows end inside the Advanced fold (at "100%" plus their own
  margins they ran 2 px past it, each input's right edge cut), and "extra metrics" is a
  labelled text box of names separated by commas (a tag input showed a tiny empty square);
- the tabular estimator's ``table`` box shows its whole grey placeholder (it was cut,
  ``path of the benchmark CSV, or "digits" f``, 228 px of text in a 216 px box);
- 2.5 typed into the trials box stays 2.5 and is refused as no whole number (ipywidgets'
  IntText dropped the point as it was typed and sent 25);
- -5 typed into the trials box stays -5, turns red with the reason under it, and Start
  starts nothing (the bounded box turned it into 0 without a word); a valid number
  clears the reason, and the red line the refused Start left under the buttons with it
  (it stayed until the next Start); the reason wraps inside the panel's column by the
  workbench stylesheet's class (``.nbui-budget-message``, no inline style of its own).

Screenshots (artifacts/): estimator-options.png, controls-trials-not-whole.png,
controls-trials-refused.png.
"""

from __future__ import annotations

import pytest
from helpers import artifact_path
from helpers.lab import (
    assert_clean,
    kernel_text,
    open_notebook,
    run_all,
    save_screenshot,
    write_notebook,
)
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

# each visible text box of the search panel that shows a placeholder: its label, the
# placeholder's width in the box's own font and the room inside the box
PLACEHOLDERS_JS = """() => {
    const ctx = document.createElement('canvas').getContext('2d');
    const out = [];
    for (const e of document.querySelectorAll('.nbui-controls input[type=text]')) {
        if (e.offsetParent === null || !e.placeholder || e.value) { continue; }
        const cs = getComputedStyle(e);
        ctx.font = cs.font;
        out.push({label: e.parentElement.querySelector('label')?.textContent.trim(),
                  text: e.placeholder, width: ctx.measureText(e.placeholder).width,
                  room: e.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight)});
    }
    return out;
}"""

# the budget's reason: its wrapping rule, and whether it stays inside the panel's column
WRAP_JS = """() => {
    const box = document.querySelector('.nbui-controls .nbui-budget-message .widget-html-content');
    const col = document.querySelector('.nbui-controls').getBoundingClientRect();
    const r = box.getBoundingClientRect();
    return {whiteSpace: getComputedStyle(box).whiteSpace,
            inside: r.right <= col.right + 0.5 && box.scrollWidth <= box.clientWidth + 1};
}"""


# each visible input and select of the open option folds: how far its right edge runs
# past the fold's content box (its padding excluded); the extra metrics box's size
ROWS_JS = """() => {
    const out = {past: [], extra: null};
    for (const fold of document.querySelectorAll('.nbui-controls .jupyter-widget-Collapse-contents')) {
        if (fold.offsetParent === null) { continue; }
        const cs = getComputedStyle(fold);
        const room = fold.getBoundingClientRect().right - parseFloat(cs.paddingRight)
            - parseFloat(cs.borderRightWidth);
        for (const e of fold.querySelectorAll('input, select')) {
            if (e.offsetParent === null) { continue; }
            const r = e.getBoundingClientRect();
            const label = e.closest('.widget-inline-hbox')?.querySelector('label')?.textContent;
            if (r.right > room + 0.5) { out.past.push({label, by: r.right - room}); }
            if (label === 'extra metrics') {
                out.extra = {width: r.width, placeholder: e.placeholder};
            }
        }
    }
    return out;
}"""


def _type_into(page: Page, locator, text: str) -> None:
    locator.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Tab")


def test_the_table_placeholder_fits_and_trials_below_one_are_refused(
        page: Page, console_log, jupyter_server) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    path = write_notebook(
        jupyter_server.root_dir / "controls_e2e.ipynb",
        "import nasbench_ui as nb\n"
        "wb = nb.Workbench(space='digits_cell', estimator='tabular', storage=':memory:')\n"
        "wb.controls.advanced.selected_index = 1  # the estimator's options open\n"
        "wb")
    open_notebook(page, jupyter_server, path)
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")  # the file browser closed
    run_all(page, timeout=120)
    page.locator("button.nbui-start").wait_for(timeout=30_000)
    page.locator(".nbui-controls input[type=text]").first.wait_for(timeout=30_000)

    shown = page.evaluate(PLACEHOLDERS_JS)
    table = [p for p in shown if p["label"] == "table"]
    assert table and "digits" in table[0]["text"], shown
    cut = [p for p in shown if p["width"] > p["room"]]
    assert not cut, f"placeholders cut off in their box: {cut}"
    # the option rows end inside the fold (they ran 2 px past it, each input's right edge
    # cut), and "extra metrics" is a labelled box of names (it was a tiny empty square)
    rows = page.evaluate(ROWS_JS)
    assert rows["past"] == [], rows
    assert rows["extra"] is not None and rows["extra"]["width"] >= 150, rows
    assert rows["extra"]["placeholder"] == "columns, separated by commas", rows
    _type_into(page, page.locator(".nbui-controls input[placeholder^='columns']"), "test_acc, params")
    assert kernel_text(page, "wb.controls.estimator_form.values()['extra_metrics']") == \
        "['test_acc', 'params']"
    page.locator(".nbui-controls").screenshot(path=str(artifact_path("estimator-options.png")))

    trials = page.locator(".nbui-controls .nbui-trials input")
    reason = page.locator(".nbui-controls .nbui-budget-message")
    assert not reason.is_visible()  # no empty line while the budget is valid
    # a typed 2.5 stays 2.5 and is refused (ipywidgets' IntText dropped the point: 25)
    _type_into(page, trials, "2.5")
    reason.wait_for(state="visible", timeout=10_000)
    assert "trials must be a whole number, got 2.5" in reason.inner_text()
    assert trials.input_value() == "2.5"
    assert kernel_text(page, "wb.controls.trials.value") == "2.5"
    save_screenshot(page, "controls-trials-not-whole")
    _type_into(page, trials, "-5")
    # the reason shown already (2.5's) is replaced once the kernel has read -5
    reason.filter(has_text="trials must be 1 or more, got -5").wait_for(timeout=10_000)
    assert page.evaluate(WRAP_JS) == {"whiteSpace": "normal", "inside": True}
    assert trials.input_value() == "-5"
    assert kernel_text(page, "wb.controls.trials.value") == "-5"
    assert "nbui-bad" in (page.locator(".nbui-controls .nbui-trials").get_attribute("class") or "")
    page.locator("button.nbui-start").click()
    page.locator(".nbui-status-line", has_text="trials must be 1 or more").wait_for(timeout=10_000)
    assert kernel_text(page, "wb.experiment is None") == "True"
    save_screenshot(page, "controls-trials-refused")

    _type_into(page, trials, "3")
    reason.wait_for(state="hidden", timeout=10_000)
    status = page.locator(".nbui-controls .nbui-status-line")
    page.wait_for_function("() => !document.querySelector('.nbui-controls .nbui-status-line')"
                           ".innerText.includes('trials must be')", timeout=10_000)
    assert status.inner_text().strip() == "ready"
    assert status.locator(".nbui-error").count() == 0
    assert kernel_text(page, "wb.controls.settings()['trials']") == "3"
    assert_clean(page, console_log)

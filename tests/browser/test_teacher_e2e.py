"""A teacher's first minutes with the workbench in JupyterLab + Chromium at 1280x800, the
file browser closed with Ctrl+B (the bar layout): a preset, a strategy and an estimator
picked with the mouse, a trial count typed, Start, Pause, Resume and Stop pressed.

- the status line never splits a count from its word ('0' at a line's end, 'failed' on
  the next): each of '7 complete', '0 pruned', '0 failed' reads on one line, while the
  search runs, paused and stopped;
- with the file browser open (the column layout: the charts under Start and the status
  line), the charts hold still as the status line changes: 'ready', running with the
  trial in flight ('running: #3', a third line), stopped;
- the first screen at 1280x800 and 1024x800, the file browser open and closed: the
  charts use the width of their panel (at 1,100 px they kept 800 px of it) and none is
  cut at its right (at 1024 with the file browser open the second one was); the Trials
  table says "scroll for more columns" only while columns lie to its right, and its
  buttons keep their words; in the bar layout the space panel has its heading.

Screenshots (artifacts/): teacher-status-running.png, teacher-status-paused.png,
teacher-status-stopped.png, teacher-column-running.png, teacher-screen-<width>-<open or
closed>.png and teacher-screen-trials-<width>-<open or closed>.png,
teacher-screen-space-heading.png.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest
from helpers import REPO_ROOT
from helpers.lab import (
    assert_clean,
    kernel_text,
    open_notebook,
    run_all,
    run_code,
    save_screenshot,
)
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

QUICKSTART = REPO_ROOT / "notebooks" / "01_quickstart.ipynb"

# each count of the status line ('7 complete'): its text and the tops of the lines its
# characters are drawn on (read through a Range over the text, whatever the markup)
COUNT_LINES_JS = """() => {
    const line = document.querySelector('.nbui-workbench .nbui-status-line');
    const words = /\\d+ (complete|pruned|failed|interrupted|running|paused mid-trial)/g;
    const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
    const nodes = [];
    let text = '';
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        nodes.push([n, text.length]); text += n.data; }
    const at = (i) => { let k = nodes.length - 1; while (nodes[k][1] > i) { k--; }
        return [nodes[k][0], i - nodes[k][1]]; };
    const out = [];
    for (const m of text.matchAll(words)) {
        const r = document.createRange();
        r.setStart(...at(m.index)); r.setEnd(...at(m.index + m[0].length - 1));
        r.setEnd(r.endContainer, r.endOffset + 1);
        const tops = new Set(Array.from(r.getClientRects()).filter((b) => b.width > 0)
            .map((b) => Math.round(b.top)));
        out.push([m[0], Array.from(tops)]);
    }
    return out;
}"""


def _wait(what: str, check: Callable[[], Any], timeout: float, every: float = 0.3) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last seen: {last!r}")


def _notebook(tmp_path: Path, server_root: Path, name: str = "teacher") -> Path:
    """The quick start with its own store (``runs/<name>.db``)."""
    nb = nbformat.read(QUICKSTART, as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params.source = params.source.replace("runs/quickstart.db", f"runs/{name}.db")
    for stale in server_root.glob(f"runs/{name}.db*"):
        stale.unlink()
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def _select(page: Page, label: str, value: str) -> None:
    """Pick ``value`` in the workbench's dropdown labelled ``label``, with the mouse."""
    select = page.locator(".nbui-workbench .widget-dropdown").filter(
        has=page.locator("label", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    ).locator("select")
    select.click()
    select.select_option(value)
    _wait(f"the kernel to take {label} {value}", lambda: value in kernel_text(
        page, "(wb.space_side.preset.value, wb.controls.strategy.value, "
              "wb.controls.estimator.value)"), timeout=20)


def _counts_on_one_line(page: Page, when: str) -> None:
    counts = page.evaluate(COUNT_LINES_JS)
    assert counts, f"no counts on the status line {when}"
    split = [(text, tops) for text, tops in counts if len(tops) != 1]
    status = page.locator(".nbui-workbench .nbui-status-line").inner_text()
    assert not split, f"counts split across lines {when}: {split} (status {status!r})"


def test_the_status_line_never_splits_a_count_from_its_word(page: Page, console_log,
                                                              jupyter_server, tmp_path) -> None:
    path = _notebook(tmp_path, jupyter_server.root_dir)
    page.set_viewport_size({"width": 1280, "height": 800})
    open_notebook(page, jupyter_server, path)
    run_all(page, timeout=120)
    wb = page.locator(".nbui-workbench")
    wb.locator(".nbui-charts canvas").first.wait_for(timeout=30_000)
    page.locator(".jp-NotebookPanel-notebook").click(position={"x": 8, "y": 8})
    page.keyboard.press("Escape")
    page.keyboard.press("Control+b")  # the file browser closed: the bar layout
    _wait("the file browser to close",
          lambda: page.evaluate("() => window.jupyterapp.shell.leftCollapsed"), timeout=10)
    wb.evaluate("(e) => e.scrollIntoView({block: 'start'})")

    _select(page, "preset", "digits_cell")
    _select(page, "strategy", "evolution")
    _select(page, "estimator", "tabular")  # its watchable pace: about 2 trials a second
    trials = wb.locator(".nbui-controls .widget-inline-hbox", has=page.locator(
        "label", has_text=re.compile(r"^\s*trials\s*$"))).locator("input")
    trials.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("200")
    page.keyboard.press("Tab")
    _wait("200 trials", lambda: kernel_text(page, "wb.controls.trials.value") == "200", 10)

    wb.locator("button.nbui-start").click()
    status = wb.locator(".nbui-status-line")
    _wait("trials to arrive", lambda: re.search(r"[1-9]\d* complete", status.inner_text()), 60)
    _counts_on_one_line(page, "while the search runs")
    save_screenshot(page, "teacher-status-running")
    wb.locator("button.nbui-pause").click()
    _wait("the status line to say paused", lambda: "paused" in status.inner_text(), 15)
    _counts_on_one_line(page, "paused")
    save_screenshot(page, "teacher-status-paused")
    wb.locator("button.nbui-resume").click()
    _wait("the status line to say running", lambda: "running" in status.inner_text(), 15)
    wb.locator("button.nbui-stop").click()
    _wait("the status line to say stopped", lambda: "stopped" in status.inner_text(), 60)
    _counts_on_one_line(page, "stopped")
    save_screenshot(page, "teacher-status-stopped")
    assert_clean(page, console_log)


def test_the_charts_hold_still_as_the_status_line_changes(page: Page, console_log,
                                                           jupyter_server, tmp_path) -> None:
    path = _notebook(tmp_path, jupyter_server.root_dir)
    page.set_viewport_size({"width": 1280, "height": 800})
    open_notebook(page, jupyter_server, path)  # the file browser open: the column layout
    run_all(page, timeout=120)
    wb = page.locator(".nbui-workbench")
    wb.locator(".nbui-charts canvas").first.wait_for(timeout=30_000)
    start = wb.locator("button.nbui-start")
    start.evaluate("(e) => e.scrollIntoView({block: 'start'})")
    charts = wb.locator(".nbui-charts").first
    status = wb.locator(".nbui-status-line")

    def top() -> float:
        return round(charts.bounding_box()["y"], 1)

    tops = {"ready": top()}
    start.click()
    _wait("a trial in flight on the status line", lambda: "running: #" in status.inner_text(), 60)
    tops["running: #n"] = top()
    page.mouse.move(5, 5)
    save_screenshot(page, "teacher-column-running")
    wb.locator("button.nbui-stop").click()
    _wait("the status line to say stopped", lambda: "stopped" in status.inner_text(), 60)
    tops["stopped"] = top()
    assert len(set(tops.values())) == 1, f"the charts moved with the status line: {tops}"
    assert_clean(page, console_log)


# the charts' page, each chart's canvas (through Bokeh's shadow roots) and the notebook's
# visible area, in viewport px
CHARTS_JS = """() => {
    const box = (r) => [r.left, r.top, r.right, r.bottom];
    const page = document.querySelector('.nbui-workbench .nbui-charts-page');
    const canvases = [];
    const walk = (root) => {
        for (const e of root.querySelectorAll('*')) {
            if (e.tagName === 'CANVAS') {
                const r = e.getBoundingClientRect();
                if (r.width > 0 && r.height > 0) { canvases.push(box(r)); }
            }
            if (e.shadowRoot) { walk(e.shadowRoot); }
        }
    };
    walk(page);
    const area = document.querySelector('.jp-NotebookPanel-notebook').getBoundingClientRect();
    const s = getComputedStyle(page);
    const r = page.getBoundingClientRect();
    return {page: [r.left + parseFloat(s.paddingLeft), r.top,
                   r.right - parseFloat(s.paddingRight), r.bottom],
            area: box(area), canvases: canvases};
}"""

# the Trials table's scroll box: whether columns lie right of it, and whether its hint
# ("scroll for more columns") is seen
TABLE_HINT_JS = """() => {
    const table = document.querySelector('.nbui-workbench table.nbui-trials');
    const scroller = table && table.closest('.widget-html');
    const hint = document.querySelector('.nbui-workbench .nbui-trials-more');
    const seen = (e) => { if (!e) { return false; }
        const r = e.getBoundingClientRect(), s = getComputedStyle(e);
        return r.width > 0 && r.height > 0 && s.visibility !== 'hidden'
            && parseFloat(s.opacity) > 0.5; };
    return {table: table !== null, hint: hint !== null,
            overflows: scroller ? scroller.scrollWidth > scroller.clientWidth + 1 : false,
            seen: seen(hint), text: hint ? hint.innerText : null};
}"""


# the Trials tab's controls whose text is cut (an ellipsis or clipped)
TABLE_CUT_JS = """() => Array.from(document.querySelectorAll(
        '.nbui-workbench .nbui-trials-box button, .nbui-workbench .nbui-trials-box label'))
    .filter((e) => e.offsetParent !== null && e.textContent.trim()
        && e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent.trim())"""


def _charts_problems(page: Page, where: str) -> list[str]:
    """What is wrong with the charts at this width: a chart cut at the right of its
    panel or of the notebook, or more than 60 px of the panel left unused at their right."""
    got = page.evaluate(CHARTS_JS)
    left, _, right, _ = got["page"]
    canvases = got["canvases"]
    if not canvases:
        return [f"{where}: no chart drawn"]
    problems = []
    for c in canvases:
        if c[2] > right + 1 or c[2] > got["area"][2] + 1 or c[0] < left - 1:
            problems.append(f"{where}: a chart {c} is cut: its panel spans {left:.0f}-"
                            f"{right:.0f}, the notebook ends at {got['area'][2]:.0f}")
    unused = right - max(c[2] for c in canvases)
    if unused > 60:
        problems.append(f"{where}: the charts leave {unused:.0f} of their panel's "
                        f"{right - left:.0f} px unused at their right")
    return problems


def _table_hint_problems(page: Page, where: str) -> list[str]:
    """The Trials tab shown: its hint is seen exactly while columns lie right of the
    table's scroll box, and not once it is scrolled to its end."""
    wb = page.locator(".nbui-workbench")
    wb.get_by_role("tab", name="Trials").click()
    wb.locator("table.nbui-trials").wait_for(timeout=15_000)
    page.wait_for_timeout(300)
    wb.locator(".nbui-tabs").evaluate("(e) => e.scrollIntoView({block: 'start'})")
    page.mouse.move(5, 5)
    save_screenshot(page, f"teacher-screen-trials-{where}")
    got = page.evaluate(TABLE_HINT_JS)
    problems = [f"{where}: the Trials tab's {text!r} is cut" for text in page.evaluate(
        TABLE_CUT_JS)]
    if not got["overflows"]:
        problems.append(f"{where}: the table's columns all fit (the test wants more)")
    elif not got["seen"]:
        problems.append(f"{where}: columns lie right of the table and nothing says so "
                        f"(hint element: {got['hint']}, text {got['text']!r})")
    else:
        page.evaluate("() => { const s = document.querySelector('.nbui-workbench "
                      "table.nbui-trials').closest('.widget-html'); "
                      "s.scrollLeft = s.scrollWidth; }")
        page.wait_for_timeout(300)
        if page.evaluate(TABLE_HINT_JS)["seen"]:
            problems.append(f"{where}: the hint stays once the table is scrolled to its end")
        page.evaluate("() => { document.querySelector('.nbui-workbench table.nbui-trials')"
                      ".closest('.widget-html').scrollLeft = 0; }")
    wb.get_by_role("tab", name="Charts").click()
    page.wait_for_timeout(300)
    return problems


def _toggle_browser(page: Page, collapsed: bool) -> None:
    """Ctrl+B in the notebook (command mode), as a user closes or opens the file browser."""
    page.locator(".jp-NotebookPanel-notebook").click(position={"x": 8, "y": 8})
    page.keyboard.press("Escape")
    page.keyboard.press("Control+b")
    _wait("the file browser to toggle", lambda: page.evaluate(
        "() => window.jupyterapp.shell.leftCollapsed") == collapsed, timeout=10)
    page.wait_for_timeout(700)  # the notebook's new width settles, the charts re-lay out


def test_the_first_screen_uses_its_width_and_names_its_panels(page: Page, console_log,
                                                                jupyter_server,
                                                                tmp_path) -> None:
    """The charts use their panel's width and none is cut, at 1280 and 1024, the file
    browser open and closed; the Trials table hints at columns to its right; the space
    panel has a heading in the bar layout. Every problem is collected, then reported."""
    path = _notebook(tmp_path, jupyter_server.root_dir, "teacher_screen")
    page.set_viewport_size({"width": 1280, "height": 800})
    open_notebook(page, jupyter_server, path)  # the file browser open
    run_all(page, timeout=120)
    wb = page.locator(".nbui-workbench")
    wb.locator(".nbui-charts canvas").first.wait_for(timeout=30_000)
    problems: list[str] = []
    # no trial yet: the table says so and hints at nothing
    wb.get_by_role("tab", name="Trials").click()
    page.wait_for_timeout(500)
    if page.evaluate(TABLE_HINT_JS)["seen"]:
        problems.append("the hint shows over an empty table")
    wb.get_by_role("tab", name="Charts").click()
    run_code(page, "wb.space_side.preset.value = 'digits_cell'\n"
                   "wb.controls.speed.value = 'full'\nwb.controls.trials.value = 12\n"
                   "wb.start().wait()")
    _wait("12 trials", lambda: kernel_text(
        page, "len(wb.experiment.finished_trials())") == "12", 30)

    for width, collapsed in ((1280, False), (1280, True), (1024, True), (1024, False)):
        page.set_viewport_size({"width": width, "height": 800})
        if page.evaluate("() => window.jupyterapp.shell.leftCollapsed") != collapsed:
            _toggle_browser(page, collapsed)
        page.wait_for_timeout(700)
        where = f"{width}-{'closed' if collapsed else 'open'}"
        wb.locator(".nbui-charts").first.evaluate("(e) => e.scrollIntoView({block: 'start'})")
        page.mouse.move(5, 5)
        save_screenshot(page, f"teacher-screen-{where}")
        problems += _charts_problems(page, where)
        problems += _table_hint_problems(page, where)
        if width == 1280 and collapsed:  # the bar layout: the space panel after the charts
            heading = wb.locator(".nbui-space-heading")
            if heading.count() == 0 or not heading.is_visible():
                problems.append(f"{where}: the space panel has no heading")
            else:
                heading.evaluate("(e) => e.scrollIntoView({block: 'start'})")
                page.mouse.move(5, 5)
                save_screenshot(page, "teacher-screen-space-heading")
                text = heading.inner_text()
                top = heading.bounding_box()
                editor = wb.locator(".nbui-canvas").first.bounding_box()
                if not text.startswith("Search space") or editor is None \
                        or not top["y"] + top["height"] <= editor["y"] <= top["y"] + 120:
                    problems.append(f"{where}: the heading {text!r} at {top} does not head "
                                    f"the editor at {editor}")
    assert not problems, "the first screen:\n- " + "\n- ".join(problems)
    assert_clean(page, console_log)

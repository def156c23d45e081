"""A teacher's first minutes with the workbench in JupyterLab + Chromium at 1280x800, the
file browser closed with Ctrl+B (the bar layout): a preset, a strategy and an estimator
picked with the mouse, a trial count typed, Start, Pause, Resume and Stop pressed.

- the status line never splits a count from its word ('0' at a line's end, 'failed' on
  the next): each of '7 complete', '0 pruned', '0 failed' reads on one line, while the
  search runs, paused and stopped;
- with the file browser open (the column layout: the charts under Start and the status
  line), the charts hold still as the status line changes: 'ready', running with the
  trial in flight ('running: #3', a third line), stopped.

Screenshots (artifacts/): teacher-status-running.png, teacher-status-paused.png,
teacher-status-stopped.png, teacher-column-running.png.
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
from helpers.lab import assert_clean, kernel_text, open_notebook, run_all, save_screenshot
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


def _notebook(tmp_path: Path, server_root: Path) -> Path:
    """The quick start with its own store."""
    nb = nbformat.read(QUICKSTART, as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params.source = params.source.replace("runs/quickstart.db", "runs/teacher.db")
    for stale in server_root.glob("runs/teacher.db*"):
        stale.unlink()
    path = tmp_path / "teacher.ipynb"
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

"""The workbench end to end in a real JupyterLab page, driven by the mouse.

On ``notebooks/01_quickstart.ipynb``: every widget renders cleanly; "+ Node" and two
handle drags add a node and two edges that the kernel's ``wb.space`` then holds; a
strategy picked in the dropdown and a click on Start run a search; a click on a point
of the history chart shows that trial in the architecture view (kernel and page);
Stop ends the search; the replay scrubber, typed back to trial 2, rewinds the page's
chart, and "live" brings every trial back. The kernel is only used to read state and, before Start, to
shorten training (one epoch on a small subset) so the test stays fast.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from helpers import REPO_ROOT
from helpers.lab import (
    assert_clean,
    bokeh_source_lengths,
    kernel_text,
    open_notebook,
    run_all,
    run_code,
    save_screenshot,
)
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

NOTEBOOK = REPO_ROOT / "notebooks" / "01_quickstart.ipynb"
HISTORY = "nbui-history"

# Set through the kernel before Start: one short epoch per trial, no latency timing, and
# a budget the test never reaches (a quiet machine finishes 30 such trials in seconds).
FAST_TRAINING = """\
_f = wb.controls.estimator_form.fields
_f['epochs'].value = 1
_f['subset'].value = 0.2
_f['latency_runs'].value = 0
wb.controls.trials.value = 2000  # still running when the test clicks a point and Stop
print(wb.controls.estimator_form.values(only_changed=True))"""

# the kernel's space as JSON, or null while the drawing it last heard of is invalid (an
# edge drawn in the page may not have reached it yet: n1 then cannot reach the output)
SPACE_AS_JSON = """\
import json
try:
    _s = wb.space
    print(json.dumps({"nodes": [n.name for n in _s.nodes],
                      "edges": [[e.src, e.dst, list(e.ops)] for e in _s.edges]}))
except ValueError:
    print("null")"""

# Where BokehJS draws row `row` of the scatter glyph fed by the source named `name`, in
# viewport pixels (what page.mouse takes). jupyter_bokeh renders each document with
# `embed.add_document_standalone`, so `doc.views_manager` holds its views: the glyph
# renderer's view maps data to canvas pixels with its `coordinates` (the frame's x/y
# scales), and the canvas's event layer (`canvas_view.events_el`) is the element whose
# top-left corner BokehJS subtracts from pointer events to get those canvas pixels.
POINT_JS = """([name, row]) => {
    const B = window.Bokeh;
    if (!B || !B.documents) { return {error: 'BokehJS is not in the page'}; }
    for (const doc of B.documents) {
        const src = doc.get_model_by_name(name);
        if (src == null) { continue; }
        const vm = doc.views_manager;
        if (vm == null) { return {error: 'the Bokeh document has no views_manager'}; }
        const rv = vm.query_one((v) => v.model != null && v.model.data_source === src
            && v.model.glyph != null && v.model.glyph.constructor.__name__ === 'Scatter');
        if (rv == null) { return {error: 'no rendered Scatter glyph reads ' + name}; }
        const xs = src.get_column('number'), ys = src.get_column('value');
        if (xs == null || row >= xs.length) {
            return {error: 'source ' + name + ' has no row ' + row};
        }
        const pv = rv.plot_view;
        const el = pv.canvas_view.events_el;
        if (!el.isConnected) { return {error: 'the chart canvas is not in the page'}; }
        el.scrollIntoView({block: 'center', inline: 'nearest'});
        const sx = rv.coordinates.x_scale.compute(xs[row]);
        const sy = rv.coordinates.y_scale.compute(ys[row]);
        const f = pv.frame.bbox;
        const box = el.getBoundingClientRect();
        return {x: box.left + sx, y: box.top + sy, number: xs[row], value: ys[row],
                in_frame: sx >= f.left && sx <= f.right && sy >= f.top && sy <= f.bottom,
                canvas: [box.left, box.top, box.width, box.height]};
    }
    return {error: 'no Bokeh document holds a source named ' + name};
}"""

# Whether the page runs viz.page_styles.SAME_STYLES_JS (the first push mark installs it).
SAME_STYLES_INSTALLED_JS = """() => window.Bokeh != null
  && window.Bokeh.require('core/dom').InlineStyleSheet.prototype._update.__nbui_same_styles === true"""
# Counts, from now on, BokehJS's calls to write a stylesheet (InlineStyleSheet._update)
# and the assignments of a <style> element's text inside a shadow root (where BokehJS
# keeps its parts' stylesheets) that assign the text it already holds: each marks every
# stylesheet of the page as changed (viz.page_styles).
COUNT_STYLE_WRITES_JS = """() => {
  const text = Object.getOwnPropertyDescriptor(Node.prototype, 'textContent');
  const proto = window.Bokeh.require('core/dom').InlineStyleSheet.prototype;
  const update = proto._update;
  const counts = window.__nbui_style_writes = {calls: 0, same: 0, update};
  proto._update = function (css) { counts.calls++; return update.call(this, css); };
  Object.defineProperty(HTMLStyleElement.prototype, 'textContent', {
    configurable: true,
    get() { return text.get.call(this); },
    set(v) {
      if (this.getRootNode() instanceof ShadowRoot && text.get.call(this) === v) {
        counts.same++;
      }
      text.set.call(this, v);
    }});
}"""
STYLE_WRITES_JS = """() => {
  const counts = window.__nbui_style_writes;
  window.Bokeh.require('core/dom').InlineStyleSheet.prototype._update = counts.update;
  delete HTMLStyleElement.prototype.textContent;  // the counters off again
  return {calls: counts.calls, same: counts.same};
}"""

ARCH_TITLE_JS = """() => Array.from(document.querySelectorAll('.nbui-workbench .nbui-view .nbui-title'))
    .map((e) => e.textContent)"""


# The architecture view's box and the notebook panel's box (viewport pixels).
ARCH_BOX_JS = """() => {
    const v = document.querySelector('.nbui-workbench .nbui-view');
    const nb = document.querySelector('.jp-NotebookPanel');
    if (v == null || nb == null) { return null; }
    v.scrollIntoView({block: 'center'});
    const a = v.getBoundingClientRect(), b = nb.getBoundingClientRect();
    return {left: a.left, right: a.right, width: a.width, height: a.height,
            panel_left: b.left, panel_right: b.right};
}"""

NUMBERS_JS = """(name) => {
    for (const doc of window.Bokeh?.documents ?? []) {
        const m = doc.get_model_by_name(name);
        if (m != null) { return Array.from(m.get_column('number') ?? []); }
    }
    return null;
}"""


def _wait(what: str, check: Callable[[], Any], timeout: float, every: float = 0.3) -> Any:
    """Poll ``check`` until it returns a truthy value; fail naming ``what`` and the last value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last seen: {last!r}")




# Centres of two elements in viewport pixels, measured at one instant after scrolling the
# first into view (the editor redraws its SVG on every kernel echo, so element handles
# taken earlier can be detached; positions stay the same).
CENTRES_JS = """([a, b]) => {
    const s = document.querySelector(a), e = document.querySelector(b);
    if (s == null || e == null) { return null; }
    s.scrollIntoView({block: 'center', inline: 'center'});
    const r = s.getBoundingClientRect(), q = e.getBoundingClientRect();
    return [r.x + r.width / 2, r.y + r.height / 2, q.x + q.width / 2, q.y + q.height / 2];
}"""


def _connect(page: Page, src: str, dst: str) -> None:
    """Drag from node ``src``'s handle in the editor and release over node ``dst``."""
    handle = f'.nbui-editor circle.nbui-handle[data-node="{src}"]'
    target = f'.nbui-editor g.nbui-node[data-node="{dst}"] rect'
    edge = page.locator(f'.nbui-editor g.nbui-edge[data-edge="{dst}<-{src}"]')
    for _attempt in range(3):
        xy = page.evaluate(CENTRES_JS, [handle, target])
        assert xy is not None, f"the editor shows no {handle} or no {target}"
        x0, y0, x1, y1 = xy
        page.mouse.move(x0, y0)
        page.mouse.down()
        page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=5)
        page.mouse.move(x1, y1, steps=5)
        page.mouse.up()
        try:
            edge.wait_for(timeout=5_000)
            return
        except PlaywrightError:
            continue  # the SVG was redrawn under the pointer; dragging again is harmless
    raise AssertionError(f"dragging {src}'s handle onto {dst} never drew the edge {dst}<-{src}")


def _history_rows(page: Page) -> int:
    lengths = bokeh_source_lengths(page, HISTORY)
    assert len(lengths) == 1, f"expected one page document with {HISTORY!r}, found {lengths}"
    return lengths[0]


def _history_numbers(page: Page) -> list[int] | None:
    return page.evaluate(NUMBERS_JS, HISTORY)


def _point(page: Page, row: int) -> dict[str, Any]:
    found = page.evaluate(POINT_JS, [HISTORY, row])
    if found.get("error"):
        raise AssertionError(f"cannot locate row {row} of {HISTORY!r}: {found['error']}")
    return found


def _clickable_row(page: Page, avoid: list[int]) -> int:
    """A row with a finite value (a COMPLETE trial) whose trial is not in ``avoid``."""
    for row in range(_history_rows(page)):
        pt = _point(page, row)
        if pt["value"] is not None and math.isfinite(pt["value"]) and pt["number"] not in avoid:
            return row
    raise AssertionError(f"no row of {HISTORY!r} has a finite value besides trials {avoid}")


def _click_point(page: Page, row: int) -> int:
    """Click the history chart's glyph of ``row`` until the kernel selects its trial."""
    number: int | None = None
    for _attempt in range(4):
        pt = _point(page, row)
        number = int(pt["number"])
        assert pt["in_frame"], f"row {row} lies outside the plot frame: {pt}"
        page.mouse.move(pt["x"], pt["y"])
        page.mouse.click(pt["x"], pt["y"])
        try:
            _wait(f"wb.selected == {number}",
                  lambda n=number: kernel_text(page, "wb.selected") == str(n), timeout=8)
            return number
        except AssertionError:
            continue  # the axes may have rescaled under the pointer as rows arrived
    raise AssertionError(
        f"clicking trial {number}'s point (row {row}) of {HISTORY!r} never selected it; "
        f"wb.selected is {kernel_text(page, 'wb.selected')}, charts selection "
        f"{kernel_text(page, 'wb.charts.selected')}"
    )


def test_workbench_end_to_end(page: Page, console_log, jupyter_server) -> None:
    t0 = time.monotonic()
    open_notebook(page, jupyter_server, NOTEBOOK)
    run_all(page, timeout=120)

    # 1. everything renders: editor, controls, charts, architecture view
    editor = page.locator(".nbui-workbench .nbui-editor")
    editor.locator('g.nbui-node[data-node="input"]').wait_for(timeout=30_000)
    page.locator(".nbui-workbench .nbui-view").wait_for(timeout=30_000)
    page.locator(".nbui-workbench .nbui-charts .bk-Canvas, .nbui-workbench .nbui-charts canvas")\
        .first.wait_for(timeout=30_000)
    page.locator("button.nbui-start").wait_for(timeout=30_000)
    assert _history_rows(page) == 0
    assert_clean(page, console_log)
    assert kernel_text(page, "wb.space.name") == "keras_cnn"

    # 2. draw: "+ Node", then connect input -> n1 -> output by dragging handles
    editor.locator("button.nbui-add-node").click()
    # drawn red once the kernel has checked it: unconnected nodes are invalid
    editor.locator('g.nbui-node.nbui-bad[data-node="n1"]').wait_for(timeout=10_000)
    _connect(page, "input", "n1")
    _connect(page, "n1", "output")
    space = _wait("the kernel's wb.space to hold n1 and its two edges",
                  lambda: (lambda s: s if s and ["n1", "output", ["skip"]] in s["edges"]
                           else None)(json.loads(run_code(page, SPACE_AS_JSON))), timeout=30)
    assert "n1" in space["nodes"], space
    assert ["input", "n1", ["skip"]] in space["edges"], space
    assert [e for e in space["edges"] if "n1" in e[:2]] == [
        ["input", "n1", ["skip"]], ["n1", "output", ["skip"]]], space

    # 3. a strategy from the dropdown, shorter training (kernel), then a real click on Start
    strategy = page.locator(".nbui-workbench .widget-dropdown").filter(
        has=page.locator("label", has_text=re.compile(r"^\s*strategy\s*$"))).locator("select")
    strategy.select_option("evolution")
    _wait("wb.controls.strategy.value == 'evolution'",
          lambda: kernel_text(page, "wb.controls.strategy.value") == "evolution", timeout=10)
    assert "'epochs': 1" in run_code(page, FAST_TRAINING)
    # every push asks for a receipt (by default one a second does): step 5 counts the
    # page's echoes against the marks, which needs more than a few marks
    run_code(page, "wb.charts.pusher.receipt_interval = 0.0")
    start = page.locator("button.nbui-start")
    assert start.is_enabled()
    start.click()
    _wait("the search to run", lambda: kernel_text(page, "wb.experiment is not None and "
                                                  "wb.experiment.running") == "True", timeout=20)
    _wait("the page to run viz.page_styles.SAME_STYLES_JS (did BokehJS rename "
          "InlineStyleSheet._update?)", lambda: page.evaluate(SAME_STYLES_INSTALLED_JS),
          timeout=30)
    page.evaluate(COUNT_STYLE_WRITES_JS)
    assert kernel_text(page, "wb.experiment.config.strategy") == "evolution"
    # by default a full-speed search of built-in parts runs in a process of its own (on a
    # kernel that may use two CPUs); everything below works the same either way
    assert kernel_text(page, "wb.experiment.process_id is not None") == kernel_text(
        page, "__import__('nasbench_ui.cpus').cpus.usable_cpus() >= 2")
    assert kernel_text(page, "'n1' in [n.name for n in wb.experiment.space.nodes]") == "True"

    # 4. three finished trials on the history chart, then a click on one of them
    _wait(f"3 rows in the page's {HISTORY!r} source", lambda: _history_rows(page) >= 3,
          timeout=60, every=0.5)
    # a click, then the page's architecture view must show that trial; a click that does
    # not get there within 10 s is tried again on another point (three tries), and the
    # kernel's view of things is reported if none does
    tried: list[int] = []
    for _attempt in range(3):
        latest = int(kernel_text(page, "wb.selected"))  # the view follows the latest trial
        row = _clickable_row(page, avoid=[latest, *tried])
        number = _click_point(page, row)
        try:
            page.wait_for_function(
                f"() => ({ARCH_TITLE_JS})().some((t) => t.startsWith('trial {number} '))",
                timeout=10_000)
            break
        except PlaywrightError:
            tried.append(number)
            print(f"click on trial {number}: the page's view shows {page.evaluate(ARCH_TITLE_JS)}; "
                  "kernel (selected, title, replay, follow, charts.selected, status) = "
                  + kernel_text(page, "(wb.selected, wb.arch_view.title, wb.replay.position, "
                                  "wb.live.following_latest, wb.charts.selected, wb.experiment.status)"))
    else:
        raise AssertionError(f"three clicks ({tried}) never showed their trial in the page's "
                             "architecture view (details printed above)")
    assert kernel_text(page, "wb.charts.selected") == str(number)
    titles = page.evaluate(ARCH_TITLE_JS)
    assert len(titles) == 1 and titles[0].startswith(f"trial {number} "), titles
    box = page.evaluate(ARCH_BOX_JS)
    assert box is not None, "the page shows no architecture view"
    assert box["width"] >= 240 and box["height"] >= 150, (
        f"the architecture view is squeezed to {box['width']:.0f} x {box['height']:.0f} px: {box}")
    assert box["panel_left"] <= box["left"] and box["right"] <= box["panel_right"] + 1, (
        f"the architecture view sticks out of the notebook panel: {box}")

    # the charts painted every push of the search so far, yet BokehJS rewrote no
    # stylesheet with the text it held (before viz.page_styles: about 340 a second)
    writes = page.evaluate(STYLE_WRITES_JS)
    assert writes["calls"] > 0 and writes["same"] == 0, (
        f"BokehJS's stylesheet writes during the search: {writes} (calls: to "
        "InlineStyleSheet._update; same: <style> texts assigned the text they held)")

    # 5. a real click on Stop ends the search
    stop = page.locator("button.nbui-stop")
    assert stop.is_enabled()
    stop.click()
    _wait("wb.experiment.running to become False",
          lambda: kernel_text(page, "wb.experiment.running") == "False", timeout=30)
    page.wait_for_function(
        "() => !document.querySelector('button.nbui-start').disabled", timeout=10_000)
    # the selection survived the later refreshes
    assert kernel_text(page, "wb.selected") == str(number)
    # the chart shows every finished trial exactly once, as the store holds them
    finished = json.loads(kernel_text(page, "[t.number for t in wb.experiment.finished_trials()]"))
    _wait(f"the page's {HISTORY!r} trial numbers to equal the store's {finished}",
          lambda: _history_numbers(page) == finished or None, timeout=10)
    # ... and so does the kernel's copy, through which a tap's row index is read
    kernel_numbers = json.loads(
        kernel_text(page, "list(wb.charts.sources['history'].data['number'])"))
    assert kernel_numbers == finished, (
        f"the kernel's {HISTORY!r} rows {kernel_numbers} differ from the page's and the "
        f"store's {finished}: a tap on row i would select the wrong trial")
    # the page sent back no echo of the kernel's changes but the push marks (receipts),
    # once the first mark has installed its filter (viz.notebook.drop_page_echoes):
    # without it, each push came back as at least two messages (the mark and the
    # streamed rows), about five with every chart drawing
    echoes, marks = json.loads(kernel_text(
        page, "[wb.charts.pusher.model.echoes, wb.charts.pusher.sent]"))
    assert marks > 3 and echoes < 2 * marks, (
        f"{echoes} echoes came back for {marks} pushes marked: the page's echo filter "
        "is not installed (did BokehJS rename Document._trigger_on_change?)")

    # 6. scrub the replay back to the first 2 trials (typed into the slider's readout, as
    # a user does), see the page's chart rewind, then tick "live" to return
    readout = page.locator(".nbui-replay .widget-readout")
    readout.scroll_into_view_if_needed()
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    _wait("the kernel's replay position to become 2",
          lambda: kernel_text(page, "wb.replay.position") == "2", timeout=20)
    first_two = [n for n in finished if n < 2]
    _wait(f"the page's {HISTORY!r} to rewind to {first_two}",
          lambda: _history_numbers(page) == first_two or None, timeout=20)
    # the view shows a trial of the first two (trial 1 by the replay; a selection the page
    # still held from the earlier click can land just after it and pick trial 0)
    assert kernel_text(page, "wb.selected") in ("0", "1")
    page.locator(".nbui-replay .widget-checkbox input[type=checkbox]").check()
    _wait("the replay to follow the search again",
          lambda: kernel_text(page, "wb.replay.position") == "None", timeout=20)
    _wait(f"the page's {HISTORY!r} to show every trial again",
          lambda: _history_numbers(page) == finished or None, timeout=20)

    # 7. a screenshot and a clean console
    page.locator(".nbui-workbench").evaluate("(e) => e.scrollIntoView({block: 'start'})")
    page.mouse.move(5, 5)  # no hover tooltip in the screenshot
    shot = save_screenshot(page, "workbench-e2e.png")
    assert shot.stat().st_size > 20_000
    # the whole workbench at once: a page tall enough that the notebook need not scroll
    height = page.locator(".nbui-workbench").evaluate("(e) => e.getBoundingClientRect().height")
    page.set_viewport_size({"width": 1400, "height": int(min(height + 300, 4000))})
    page.locator(".nbui-workbench").evaluate("(e) => e.scrollIntoView({block: 'start'})")
    save_screenshot(page, "workbench-e2e-full.png")
    assert_clean(page, console_log)
    print(f"workbench end to end: {time.monotonic() - t0:.1f} s")

"""Issue 11 in real JupyterLab + Chromium at 1280x800, driven as a teacher would: the
quick-start workbench's forms, layout, speed, reload and run picker.

- point 1: a range typed into the hyperparameter form (then Tab) is what Start uses, no
  Apply; a bad range turns red and Start refuses with its reason;
- point 2: with the file browser closed and the output scrolled to its top, preset,
  strategy, estimator, budget and Start are in view; Stop does not move while 5 trials
  arrive; the status line wraps inside its column;
- point 6: no label is cut off and no two share a text (BANANAS' predictor options);
- point 7: the "watchable" speed slows a tabular search; "full speed" lets it finish;
- point 8: re-running the workbench cell shows the run's history at once; the Runs tab
  opens an older run and deletes one after a second click;
- Start and the first chart in view together with the file browser open (a teacher's
  1280x800 screen: the search panel sits below the space, Start at its end);
- the first screen at 1280x800 with the file browser closed (Ctrl+B, as a user does):
  the search a bar across the top, the preset beside the title, Start and the whole
  first chart in view with the workbench scrolled to its top, nothing cut or overlapping;
  Start pressed there shows the trials arrive on that chart; 1280 open and 1024 keep the
  column (scrolled to Start, the first chart is in view);
- point 9: paused reads "paused" (no "running: #n"); the time left reads "about ... left".

Screenshots (artifacts/): classroom-before-start.png, classroom-running.png,
classroom-start-and-charts.png, classroom-after-stop.png,
classroom-paced-tabular.png, classroom-browser-closed.png,
classroom-browser-closed-running.png, classroom-browser-open.png, classroom-1024.png.
"""

from __future__ import annotations

import json
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
    text_spacing,
)
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

QUICKSTART = REPO_ROOT / "notebooks" / "01_quickstart.ipynb"
HISTORY = "nbui-history"
WIDTH, HEIGHT = 1280, 800

FAST_TRAINING = """\
_f = wb.controls.estimator_form.fields
_f['epochs'].value = 1
_f['subset'].value = 0.2
_f['latency_runs'].value = 0
print(wb.controls.estimator_form.values(only_changed=True))"""

# the trial numbers of the history source in the Bokeh documents still in the page
LIVE_NUMBERS_JS = """(name) => {
    const out = [];
    for (const doc of window.Bokeh?.documents ?? []) {
        const src = doc.get_model_by_name(name);
        if (src == null || doc.views_manager == null) { continue; }
        const rv = doc.views_manager.query_one((v) => v.model != null
            && v.model.data_source === src && v.plot_view != null);
        if (rv == null || !rv.plot_view.canvas_view.events_el.isConnected) { continue; }
        out.push(Array.from(src.get_column('number') ?? []));
    }
    return out;
}"""

# boxes (viewport px) of the controls that start a search, and of the visible area
CONTROLS_JS = """() => {
    const wb = document.querySelector('.nbui-workbench');
    const byLabel = (text) => Array.from(wb.querySelectorAll('.widget-inline-hbox'))
        .find((e) => e.querySelector('label')?.textContent.trim() === text);
    const box = (e) => { if (!e) { return null; }
        const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
    const area = document.querySelector('.jp-NotebookPanel-notebook, .jp-Notebook')
        .getBoundingClientRect();
    return {preset: box(byLabel('preset')), strategy: box(byLabel('strategy')),
            estimator: box(byLabel('estimator')), trials: box(byLabel('trials')),
            minutes: box(byLabel('minutes')), start: box(wb.querySelector('button.nbui-start')),
            area: [area.left, area.top, area.right, Math.min(area.bottom, window.innerHeight)]};
}"""

# texts cut off (ellipsis or clipped) among the visible labels and buttons of the workbench
# (the charts' toggles belong to the charts' test)
CUT_JS = """() => {
    const out = [];
    for (const e of document.querySelectorAll(
            '.nbui-workbench label.widget-label, .nbui-workbench button.jupyter-button')) {
        if (e.offsetParent === null || !e.textContent.trim()) { continue; }
        if (e.closest('.nbui-charts-page')) { continue; }  // the charts' own test checks them
        if (e.scrollWidth > e.clientWidth + 1) { out.push(e.textContent.trim()); }
    }
    return out;
}"""

LABELS_JS = """() => Array.from(document.querySelectorAll('.nbui-controls label.widget-label'))
    .filter((e) => e.offsetParent !== null).map((e) => e.textContent.trim()).filter((t) => t)"""

STOP_BOX_JS = """() => {
    const s = document.querySelector('button.nbui-stop').getBoundingClientRect();
    const w = document.querySelector('.nbui-workbench').getBoundingClientRect();
    return [s.left - w.left, s.top - w.top, s.width, s.height];
}"""


# the first screen's parts (viewport px): the search's groups and the workbench's rows in
# the order they are drawn, the title's text, and whether the search is a bar
SCREEN_JS = """() => {
    const wb = document.querySelector('.nbui-workbench');
    const box = (e) => { if (!e || e.offsetParent === null) { return null; }
        const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
    const title = document.createRange();
    title.selectNodeContents(wb.querySelector('h3'));
    const t = title.getBoundingClientRect();
    const minutes = wb.querySelector('.nbui-minutes input');
    return {bar: getComputedStyle(wb.querySelector('.nbui-controls')).flexDirection === 'row',
            workbench: box(wb), title: [t.left, t.top, t.right, t.bottom],
            preset: box(wb.querySelector('.nbui-preset')),
            groups: ['fields', 'advanced', 'run'].map(
                (g) => box(wb.querySelector('.nbui-search-' + g))),
            minutes: box(minutes),
            rows: ['.nbui-controls', '.nbui-run-label', '.nbui-replay', '.nbui-tabs',
                   '.nbui-space-panel'].map((q) => [q, box(wb.querySelector(q))])};
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




def _notebook(tmp_path: Path, server_root: Path, name: str, storage: str) -> Path:
    """The quick start with its own store (other tests use runs/quickstart.db)."""
    nb = nbformat.read(QUICKSTART, as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert 'STORAGE = "runs/quickstart.db"' in params.source
    params.source = params.source.replace("runs/quickstart.db", storage)
    for stale in server_root.glob(storage + "*"):
        stale.unlink()
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def _open_at_1280(page: Page, server, path: Path) -> None:
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    open_notebook(page, server, path)
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")  # the file browser closed
    run_all(page, timeout=120)
    page.locator("button.nbui-start").wait_for(timeout=30_000)
    page.locator(".nbui-workbench .nbui-charts canvas").first.wait_for(timeout=30_000)


def _to_top(page: Page) -> None:
    page.locator(".nbui-workbench").evaluate("(e) => e.scrollIntoView({block: 'start'})")
    page.mouse.move(5, 5)


def _select(page: Page, label: str, value: str) -> None:
    page.locator(".nbui-workbench .widget-dropdown").filter(
        has=page.locator("label", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    ).locator("select").select_option(value)


def _type_into(page: Page, locator: Any, text: str) -> None:
    locator.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Tab")


def _shown_is(page: Page, numbers: list[int], timeout: float = 30) -> None:
    """Wait until the one history chart in the page shows trials ``numbers``."""
    seen: list[Any] = []

    def check() -> bool:
        seen[:] = [page.evaluate(LIVE_NUMBERS_JS, HISTORY)]
        return seen[0] == [numbers]

    try:
        _wait("the chart", check, timeout)
    except AssertionError:
        kernel = kernel_text(page, "len(wb.charts.sources['history'].data['number']), "
                               "wb.charts.view_ready.is_set(), wb.charts.pushes, "
                               "wb.charts.pusher.sent, wb.charts.pusher.acked")
        raise AssertionError(f"the page's history charts show {seen} after {timeout} s, "
                             f"not one chart with {numbers}; kernel (rows, view ready, "
                             f"pushes, marks, receipts): {kernel}") from None


def _trials_input(page: Page) -> Any:
    return page.locator(".nbui-controls .widget-inline-hbox", has=page.locator(
        "label", has_text=re.compile(r"^\s*trials\s*$"))).locator("input")


def _status(page: Page) -> str:
    return page.locator(".nbui-workbench .nbui-status-line").inner_text()


def test_quick_start_in_class(page: Page, console_log, jupyter_server, tmp_path) -> None:
    path = _notebook(tmp_path, jupyter_server.root_dir, "classroom.ipynb", "runs/classroom.db")
    _open_at_1280(page, jupyter_server, path)
    wb = page.locator(".nbui-workbench")

    # point 2: what starts a search is in view at 1280x800, output scrolled to its top
    _to_top(page)
    boxes = page.evaluate(CONTROLS_JS)
    left, top, right, bottom = boxes.pop("area")
    for name, box in boxes.items():
        assert box is not None, f"the page shows no {name} control"
        assert left <= box[0] and box[2] <= right + 1 and top <= box[1] and box[3] <= bottom, (
            f"{name} at {box} is outside the visible notebook area {[left, top, right, bottom]}")
    save_screenshot(page, "classroom-before-start")
    # point 6: nothing cut off; BANANAS' predictor options say they are the predictor's
    _select(page, "strategy", "bananas")
    _wait("the kernel to switch to bananas",
          lambda: kernel_text(page, "wb.controls.strategy.value") == "bananas", timeout=10)
    wb.get_by_text("strategy options: bananas").click()  # the folded section's heading
    page.get_by_text("predictor epochs").first.wait_for(timeout=10_000)
    labels = page.evaluate(LABELS_JS)
    dupes = sorted({t for t in labels if labels.count(t) > 1})
    assert not dupes, f"labels shown twice in the search panel: {dupes} (all: {labels})"
    assert page.evaluate(CUT_JS) == []
    _select(page, "strategy", "random")
    _wait("the kernel to switch back to random",
          lambda: kernel_text(page, "wb.controls.strategy.value") == "random", timeout=10)

    # point 1: a bad range turns red and Start refuses with the reason...
    hp_labels = wb.locator(".nbui-hp-label input")
    row = [hp_labels.nth(i).input_value() for i in range(hp_labels.count())].index("units")
    spec = wb.locator(".nbui-hp-spec input").nth(row)
    _type_into(page, spec, "32..x")
    wb.locator(".nbui-hp-spec.nbui-bad").wait_for(timeout=10_000)
    assert "write the range" in wb.locator(".nbui-hp-message").inner_text()
    wb.locator("button.nbui-start").click()
    page.wait_for_function("() => document.querySelector('.nbui-status-line')?.innerText"
                           ".includes('fix the hyperparameters first')", timeout=10_000)
    assert kernel_text(page, "wb.experiment") == "None"
    # ... and a valid one counts at once (no Apply): the count and the search use it
    _type_into(page, spec, "32..48 step 16")
    _wait("the space to hold units 32..48 step 16", lambda: kernel_text(
        page, "[h.to_dict() for h in wb.space.hparams if h.label == 'units'][0]['high']") == "48",
        timeout=10)
    assert kernel_text(page, "wb.editor.size") == "160"
    _wait("the row to lose its red", lambda: wb.locator(".nbui-hp-spec.nbui-bad").count() == 0,
          timeout=10)
    assert "'epochs': 1" in run_code(page, FAST_TRAINING)  # short trials (kernel)
    _type_into(page, _trials_input(page), "2000")
    wb.locator("button.nbui-start").click()
    _wait("the search to run", lambda: kernel_text(page, "wb.experiment is not None and "
                                                  "wb.experiment.running") == "True", timeout=20)
    units = json.loads(run_code(page, "import json; print(json.dumps([h.to_dict() for h in "
                                      "wb.experiment.space.hparams if h.label == 'units']))"))
    assert units == [{"type": "int", "label": "units", "low": 32, "high": 48, "step": 16}], units
    assert spec.input_value() == "32..48 step 16"  # the field did not revert
    first_run = kernel_text(page, "wb.experiment.name")
    assert first_run == "random-keras_cnn-1"

    # point 2: Stop holds still while 5 trials arrive; point 9: time left in words
    _to_top(page)
    before = int(kernel_text(page, "len(wb.experiment.finished_trials())"))
    stop_boxes = []
    deadline = time.monotonic() + 120
    # at least 5 samples too: 5 one-epoch trials can arrive in under a second
    while int(kernel_text(page, "len(wb.experiment.finished_trials())")) < before + 5 \
            or len(stop_boxes) < 5:
        stop_boxes.append(page.evaluate(STOP_BOX_JS))
        assert time.monotonic() < deadline, "5 trials did not arrive in 120 s"
        time.sleep(0.2)
    time.sleep(1)  # the last trial's widgets
    stop_boxes.append(page.evaluate(STOP_BOX_JS))
    moved = [b for b in stop_boxes if any(abs(a - c) > 0.5 for a, c in zip(b, stop_boxes[0], strict=True))]
    assert not moved, f"Stop moved while trials arrived: from {stop_boxes[0]} to {moved[:3]}"
    assert len(stop_boxes) >= 5
    assert re.search(r"about \d+ (s|min|h)", wb.locator(".nbui-progress-label").inner_text())
    status_box = wb.locator(".nbui-status-line").bounding_box()
    controls_box = wb.locator(".nbui-controls").bounding_box()
    assert status_box["x"] + status_box["width"] <= controls_box["x"] + controls_box["width"] + 1
    save_screenshot(page, "classroom-running")

    # a teacher's screen (1280x800, the file browser open): scrolled to Start, the first
    # chart is in view too, so pressing Start and watching the search need no scrolling
    page.evaluate("() => window.jupyterapp.shell.expandLeft()")
    wb.locator("button.nbui-start").evaluate("(e) => e.scrollIntoView({block: 'start'})")
    page.mouse.move(5, 5)
    left, top, right, bottom = page.evaluate(CONTROLS_JS)["area"]
    for name, where in (("Start", "button.nbui-start"), ("the first chart", ".nbui-charts canvas")):
        box = wb.locator(where).first.bounding_box()  # a chart's canvas: in Bokeh's shadow DOM
        assert box is not None, f"the page shows no {name}"
        edges = [box["x"], box["y"], box["x"] + box["width"], box["y"] + box["height"]]
        assert left <= edges[0] and edges[2] <= right + 1 and top <= edges[1] + 1 \
            and edges[3] <= bottom + 1, (
                f"{name} at {edges} is outside the visible area {[left, top, right, bottom]}")
    save_screenshot(page, "classroom-start-and-charts")
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")

    # point 9: paused says "paused", without the trial that was running
    wb.locator("button.nbui-pause").click()
    _wait("the status line to say paused", lambda: "paused" in _status(page), timeout=15)
    assert "running: #" not in _status(page), _status(page)
    wb.locator("button.nbui-resume").click()
    _wait("the status line to say running", lambda: "running" in _status(page), timeout=15)

    wb.locator("button.nbui-stop").click()
    _wait("the search to stop", lambda: kernel_text(page, "wb.experiment.running") == "False",
          timeout=60)
    page.wait_for_function("() => !document.querySelector('button.nbui-start').disabled",
                           timeout=10_000)
    finished = json.loads(kernel_text(page, "[t.number for t in wb.experiment.finished_trials()]"))
    _wait("the page's history to show every finished trial",
          lambda: finished in page.evaluate(LIVE_NUMBERS_JS, HISTORY), timeout=15)
    _to_top(page)
    save_screenshot(page, "classroom-after-stop")

    # point 8: re-running the cell shows the run's history at once
    run_all(page, timeout=120)
    _wait("the new workbench to show the stored run",
          lambda: kernel_text(page, "wb.experiment and wb.experiment.name") == first_run,
          timeout=20)
    _shown_is(page, finished)  # the new chart holds the old trials
    assert first_run in wb.locator(".nbui-run-label").inner_text()

    # a second run (another strategy), then the Runs tab opens the first one again
    assert "'epochs': 1" in run_code(page, FAST_TRAINING + "\nwb.controls.trials.value = 2")
    _select(page, "strategy", "evolution")
    _wait("evolution", lambda: kernel_text(page, "wb.controls.strategy.value") == "evolution", 10)
    wb.locator("button.nbui-start").click()
    _wait("the second run to end", lambda: kernel_text(
        page, "(wb.experiment.name, wb.experiment.running)") == "('evolution-keras_cnn-1', False)",
        timeout=90)
    charts_width = wb.locator(".nbui-tabs").bounding_box()["width"]
    wb.get_by_role("tab", name="Runs").click()
    runs = wb.locator(".nbui-runs select")
    runs.wait_for(timeout=10_000)
    # the tab bar keeps its width from page to page (it moved under the mouse before)
    assert abs(wb.locator(".nbui-tabs").bounding_box()["width"] - charts_width) <= 1
    options = runs.locator("option").all_inner_texts()
    texts = [o.replace("\xa0", " ") for o in options]  # the widget shows non-breaking spaces
    assert len(texts) == 2 and texts[1].startswith(first_run + " · random · "), texts
    assert re.fullmatch(rf"{first_run} · random · {len(finished)} trials · best 0\.\d+ · "
                        r"\d{4}-\d\d-\d\d \d\d:\d\d", texts[1]), texts
    runs.select_option(label=options[1])
    wb.locator("button.nbui-run-open").click()
    _wait("the first run to be shown", lambda: kernel_text(page, "wb.experiment.name") == first_run,
          timeout=20)
    _shown_is(page, finished)
    # delete the second run: the first click asks, the second deletes
    runs.select_option(label=options[0])
    wb.locator("button.nbui-run-delete").click()
    page.get_by_text("click Delete again").wait_for(timeout=10_000)
    assert "evolution-keras_cnn-1" in kernel_text(
        page, "[e['name'] for e in wb.storage.experiments()]")
    wb.locator("button.nbui-run-delete").click()
    _wait("the second run to be deleted", lambda: kernel_text(
        page, "[e['name'] for e in wb.storage.experiments()]") == str([first_run]), timeout=10)
    assert_clean(page, console_log)


def test_watchable_speed_slows_a_tabular_search(page: Page, console_log, jupyter_server,
                                                tmp_path) -> None:
    path = _notebook(tmp_path, jupyter_server.root_dir, "classroom_pace.ipynb", "runs/pace.db")
    _open_at_1280(page, jupyter_server, path)
    wb = page.locator(".nbui-workbench")
    _select(page, "preset", "digits_cell")
    _wait("the tabular estimator and the watchable speed", lambda: kernel_text(
        page, "(wb.controls.estimator.value, wb.controls.speed.value)") == "('tabular', 'auto')",
        timeout=15)
    _type_into(page, _trials_input(page), "400")
    _wait("400 trials", lambda: kernel_text(page, "wb.controls.trials.value") == "400", timeout=10)
    wb.locator("button.nbui-start").click()
    _wait("the search to run", lambda: kernel_text(page, "wb.experiment is not None and "
                                                  "wb.experiment.running") == "True", timeout=20)
    t0 = time.monotonic()
    time.sleep(4)
    done = int(kernel_text(page, "len(wb.experiment.finished_trials())"))
    elapsed = time.monotonic() - t0
    # about 2 trials per second (full speed does all 400 in a few seconds)
    assert 1 <= done <= 6 * elapsed, f"{done} trials in {elapsed:.1f} s at the watchable speed"
    assert kernel_text(page, "wb.experiment.pace is not None") == "True"
    _to_top(page)
    # the editor in the workbench (not only on its own) shows every node of digits_cell
    editor_canvas = wb.locator(".nbui-canvas").first
    canvas = editor_canvas.bounding_box()
    nodes = editor_canvas.locator(".nbui-node")
    assert nodes.count() == 4
    for i in range(4):
        box = nodes.nth(i).bounding_box()
        assert box is not None and canvas is not None
        assert canvas["x"] - 1 <= box["x"] and box["x"] + box["width"] <= canvas["x"] + canvas["width"] + 1, (i, box, canvas)
    save_screenshot(page, "classroom-paced-tabular")
    _select(page, "pace", "full speed")
    _wait("the search to finish at full speed",
          lambda: kernel_text(page, "wb.experiment.running") == "False", timeout=60)
    assert kernel_text(page, "len(wb.experiment.finished_trials())") == "400"
    # the charts' note (no learning curves from a table) reads as a paragraph: a text
    # line high, not one widget row (28 px) as ipywidgets sets an HTML widget's text
    note = text_spacing(page, ".nbui-workbench .nbui-chart-notes")
    assert "No learning curves" in note["text"], note
    assert note["line_height"] <= 1.5 * note["font_size"], note
    assert_clean(page, console_log)


def _in_view(page: Page, parts: dict[str, str]) -> None:
    """Each of ``parts`` (name: selector of its first element in the workbench) lies whole
    inside the notebook area that the page shows."""
    left, top, right, bottom = page.evaluate(CONTROLS_JS)["area"]
    for name, where in parts.items():
        box = page.locator(".nbui-workbench").locator(where).first.bounding_box()
        assert box is not None, f"the page shows no {name}"
        edges = [box["x"], box["y"], box["x"] + box["width"], box["y"] + box["height"]]
        assert left <= edges[0] and edges[2] <= right + 1 and top <= edges[1] + 1 \
            and edges[3] <= bottom + 1, (
                f"{name} at {edges} is outside the visible area {[left, top, right, bottom]}")


def _toggle_file_browser(page: Page, collapsed: bool) -> None:
    """Ctrl+B in the notebook (command mode), as a user closes or opens the file browser."""
    page.locator(".jp-NotebookPanel-notebook").click(position={"x": 8, "y": 8})
    page.keyboard.press("Escape")
    page.keyboard.press("Control+b")
    _wait(f"the file browser to {'close' if collapsed else 'open'}", lambda: page.evaluate(
        "() => window.jupyterapp.shell.leftCollapsed") == collapsed, timeout=10)
    page.wait_for_timeout(500)  # the notebook's new width settles


def _column_screen(page: Page, name: str) -> None:
    """The narrow layout: the search a column under the space; scrolled to Start, Start
    and the first chart are in view."""
    assert page.evaluate(SCREEN_JS)["bar"] is False
    page.locator("button.nbui-start").evaluate("(e) => e.scrollIntoView({block: 'start'})")
    page.mouse.move(5, 5)
    _in_view(page, {"Start": "button.nbui-start", "the first chart": ".nbui-charts canvas"})
    save_screenshot(page, name)


def test_start_and_the_first_chart_share_the_first_screen(page: Page, console_log,
                                                          jupyter_server, tmp_path) -> None:
    path = _notebook(tmp_path, jupyter_server.root_dir, "classroom_screen.ipynb",
                     "runs/classroom_screen.db")
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    open_notebook(page, jupyter_server, path)
    assert page.evaluate("() => window.jupyterapp.shell.leftCollapsed") is False
    run_all(page, timeout=120)
    page.locator(".nbui-workbench .nbui-charts canvas").first.wait_for(timeout=30_000)
    _column_screen(page, "classroom-browser-open")  # JupyterLab's default: browser open

    _toggle_file_browser(page, collapsed=True)
    _to_top(page)
    _in_view(page, {"Start": "button.nbui-start", "Stop": "button.nbui-stop",
                    "the first chart (title, legend, plot and axes)": ".nbui-charts canvas"})
    boxes = page.evaluate(CONTROLS_JS)  # and what a search starts from (point 2)
    left, top, right, bottom = boxes.pop("area")
    for name, box in boxes.items():
        assert box is not None and left <= box[0] and box[2] <= right + 1 \
            and top <= box[1] and box[3] <= bottom, f"{name} at {box} is out of view"
    screen = page.evaluate(SCREEN_JS)
    assert screen["bar"] is True, screen
    wb_left, _, wb_right, _ = screen["workbench"]
    groups = screen["groups"]
    assert all(g is not None for g in groups), groups
    for g, nxt in zip(groups, groups[1:], strict=False):  # side by side, apart, one top
        assert g[2] <= nxt[0] and abs(g[1] - nxt[1]) <= 1, groups
    assert wb_left <= groups[0][0] and groups[-1][2] <= wb_right + 0.5, (groups, wb_right)
    minutes = screen["minutes"]
    assert minutes[2] <= groups[0][2] + 0.5, f"the minutes box {minutes} runs past its group"
    preset, title = screen["preset"], screen["title"]
    assert title[2] < preset[0] and preset[2] <= wb_right + 0.5 and preset[3] <= groups[0][1], (
        f"the preset {preset} is not beside the title {title} above the search")
    rows = [(q, b) for q, b in screen["rows"]]
    for (q, b), (q2, b2) in zip(rows, rows[1:], strict=False):  # drawn one under the other
        assert b[3] <= b2[1] + 0.5, f"{q} {b} overlaps {q2} {b2}"
    assert page.evaluate(CUT_JS) == []
    save_screenshot(page, "classroom-browser-closed")

    # Start pressed there: the trials arrive on the chart in view
    assert "'epochs': 1" in run_code(page, FAST_TRAINING + "\nwb.controls.trials.value = 3")
    page.locator("button.nbui-start").click()
    _wait("the search to end", lambda: kernel_text(
        page, "wb.experiment is not None and not wb.experiment.running") == "True", timeout=90)
    finished = json.loads(kernel_text(page, "[t.number for t in wb.experiment.finished_trials()]"))
    assert finished, "no trial finished"
    _shown_is(page, finished)
    _to_top(page)
    _in_view(page, {"Start": "button.nbui-start", "the first chart": ".nbui-charts canvas"})
    save_screenshot(page, "classroom-browser-closed-running")

    page.set_viewport_size({"width": 1024, "height": HEIGHT})
    page.wait_for_timeout(500)
    _column_screen(page, "classroom-1024")
    _toggle_file_browser(page, collapsed=False)
    _column_screen(page, "classroom-1024-browser-open")
    assert_clean(page, console_log)

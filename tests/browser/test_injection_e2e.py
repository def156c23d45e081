"""Issue 16, point 1, in real JupyterLab + Chromium: strings from a store, a config, an
error or the user reach the page as text, and nothing of them runs.

The test writes a store whose experiment is named with a script payload (set in SQLite
directly: new names may be refused, a shared ``.db`` can hold anything) in a folder
named with it too, and a notebook that opens it with ``nb.Workbench.load(db)``. A raw
``ipywidgets.HTML`` holding the same kind of payload (with another marker) proves that
such a payload does run in this page. Then, with the mouse and the keyboard:

(a) the run label and status line show the name and the path as text;
(b) Share -> Import of a config whose ``device`` holds the payload: the device line
    and, after a click on Start, the status line show it as text;
(c) a hyperparameter row labelled with the payload and a bad range: the form's error
    shows it as text.

At the end ``window.__x`` is still undefined.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import nbformat
import pytest
from helpers.lab import assert_clean, open_notebook, run_all, run_code, save_screenshot

import nasbench_ui as nb

pytestmark = pytest.mark.browser

PAYLOAD = '<img src=x onerror="window.__x=1">'
CONTROL = '<img src=x onerror="window.__control=1">'


def _store_named(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "shared.db"
    exp = nb.Experiment("nb201", estimator="zero_cost", trials=2, storage=str(db), name="victim")
    exp.run()
    exp.close()
    con = sqlite3.connect(db)
    with con:
        con.execute("UPDATE experiments SET name = ? WHERE name = 'victim'", (name,))
    con.close()
    return db


def _notebook(path: Path, db: Path) -> None:
    cells = [
        f"import json\nimport ipywidgets as widgets\nimport nasbench_ui as nb\n"
        f"PAYLOAD = {PAYLOAD!r}\n"
        f"widgets.HTML({CONTROL!r})  # a raw HTML widget: this payload does run in this page",
        f"wb = nb.Workbench.load({str(db)!r})\nwb",
    ]
    book = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(c) for c in cells],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}})
    nbformat.write(book, path)


def _x_is_undefined(page) -> bool:
    return page.evaluate("() => typeof window.__x === 'undefined'")


def test_payloads_from_store_config_and_user_show_as_text(page, jupyter_server, console_log,
                                                          tmp_path):
    db = _store_named(tmp_path / PAYLOAD, PAYLOAD)
    path = tmp_path / "injection.ipynb"
    _notebook(path, db)
    open_notebook(page, jupyter_server, path)
    run_all(page, timeout=180)
    wb = page.locator(".nbui-workbench")
    label = wb.locator(".nbui-run-label")
    label.wait_for(timeout=60_000)
    # the control: a raw HTML widget with such a payload runs it in this very page
    page.wait_for_function("() => window.__control === 1", timeout=30_000)

    # (a) the experiment name and the store path from the .db
    page.wait_for_timeout(1000)  # the run label was drawn with the control: its image too
    assert _x_is_undefined(page), "the experiment name or store path ran as HTML"
    page.wait_for_function(
        "([sel, p]) => (document.querySelector(sel)?.innerText || '').includes(p)",
        arg=[".nbui-workbench .nbui-run-label", PAYLOAD], timeout=30_000)
    text = label.inner_text()
    assert text.count(PAYLOAD) == 2 and str(db) in text, text  # the name, and the path
    assert PAYLOAD in wb.locator(".nbui-status-line").inner_text()

    # (b) Share -> Import of a config whose device holds the payload
    config = run_code(page, "print(json.dumps({**wb.state, 'device': PAYLOAD}))").strip()
    wb.locator(".lm-TabBar-tab", has_text="Share").first.click()
    area = wb.locator(".nbui-share-text textarea")
    area.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(config)  # what a paste does
    wb.locator(".nbui-state-import").click()
    message = wb.locator(".nbui-share-message")
    page.wait_for_function(
        "(sel) => (document.querySelector(sel)?.innerText || '').includes('imported')",
        arg=".nbui-workbench .nbui-share-message", timeout=30_000)
    assert "failed" not in message.inner_text()
    device = wb.locator(".nbui-device-label").inner_text()
    assert f"unknown device '{PAYLOAD}'" in device, device
    wb.get_by_role("button", name="Start").click()
    page.wait_for_function(
        "([sel, p]) => (document.querySelector(sel)?.innerText || '').includes(p)",
        arg=[".nbui-workbench .nbui-status-line", f"unknown device '{PAYLOAD}'"],
        timeout=30_000)

    # (c) a form error: a hyperparameter labelled with the payload, with a bad range
    wb.locator(".nbui-hp-add").click()
    row_label = wb.locator(".nbui-hp-label input").last
    row_label.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(PAYLOAD)
    spec = wb.locator(".nbui-hp-spec input").last
    spec.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("1..x")
    wb.locator(".nbui-hp-apply").click()
    page.wait_for_function(
        "(sel) => (document.querySelector(sel)?.innerText || '').includes('write the range')",
        arg=".nbui-workbench .nbui-hp-message", timeout=30_000)
    assert f"hyperparameter '{PAYLOAD}'" in wb.locator(".nbui-hp-message").inner_text()

    # the kernel holds the payloads as they were; the page ran none of them
    out = run_code(page, "print(wb.experiment.name == PAYLOAD, wb.controls.device.value == PAYLOAD)")
    assert out.split() == ["True", "True"], out
    page.wait_for_timeout(1500)  # an <img> error event would have fired by now
    assert _x_is_undefined(page)
    assert page.locator(".nbui-workbench img").count() == 0
    save_screenshot(page, "injection_shown_as_text")
    # the control's broken image is the only resource the page fails to load
    assert_clean(page, console_log, allow=[r"Failed to load resource"])

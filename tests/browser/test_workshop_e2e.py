"""The workshop in a real JupyterLab page: Run All, press the race's Start, watch it grow live.

The test copies ``notebooks/04_workshop.ipynb`` (with a few small parameters for the parts
that train) into a temporary folder, runs all its cells in JupyterLab, then clicks the
race's Start button. The race runs in the background: its best-so-far chart must grow in
the page while the kernel answers a trivial cell, i.e. the race is not run inside a cell.
"""

from __future__ import annotations

import time

import nbformat
import pytest
from helpers import REPO_ROOT
from helpers.lab import (
    assert_clean,
    bokeh_source_lengths,
    open_notebook,
    run_all,
    run_code,
    save_screenshot,
)
from helpers.notebooks import inject_parameters

pytestmark = pytest.mark.browser

#: parameters for the parts that train; the race keeps its defaults (60 trials at PACE 10)
SMALLER = {"CELLS": 8, "DARTS_EPOCHS": 1, "WAIT_S": 5}


def _length(page, name: str) -> int:
    lengths = bokeh_source_lengths(page, name)
    return max(lengths) if lengths else 0


def test_workshop_race_grows_live_while_the_kernel_answers(page, jupyter_server, console_log,
                                                            tmp_path):
    book = nbformat.read(REPO_ROOT / "notebooks" / "04_workshop.ipynb", as_version=4)
    inject_parameters(book, SMALLER, name="04_workshop.ipynb")
    path = tmp_path / "workshop.ipynb"
    nbformat.write(book, path)
    open_notebook(page, jupyter_server, path)
    run_all(page, timeout=300)

    view = page.locator(".nbui-race")
    view.locator(".nbui-race-chart .bk-Canvas, .nbui-race-chart canvas").first \
        .wait_for(timeout=60_000)
    assert _length(page, "nbui-race-random") == 0  # Run All did not run the race
    view.get_by_role("button", name="Start").click()
    page.wait_for_function(
        """() => { const B = window.Bokeh; if (!B || !B.documents) { return false; }
            for (const d of B.documents) { const m = d.get_model_by_name('nbui-race-random');
                if (m && (m.get_length() ?? 0) >= 2) { return true; } }
            return false; }""", timeout=60_000)
    before = _length(page, "nbui-race-random")
    t0 = time.monotonic()
    out = run_code(page, "print('kernel answers', 6 * 7, view.race.status)")
    answered = time.monotonic() - t0
    assert "kernel answers 42 running" in out, out
    assert answered < 10, f"a trivial cell took {answered:.1f} s while the race ran"
    page.wait_for_function(
        """(n) => { const B = window.Bokeh;
            for (const d of B.documents) { const m = d.get_model_by_name('nbui-race-random');
                if (m && (m.get_length() ?? 0) > n) { return true; } }
            return false; }""", arg=before, timeout=60_000)
    assert _length(page, "nbui-race-random") > before
    save_screenshot(page, "workshop_race_live")
    run_code(page, "view.race.stop()")
    assert_clean(page, console_log)

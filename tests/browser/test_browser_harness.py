"""The browser harness itself, on a notebook with an ipywidgets slider and a
jupyter_bokeh chart: it renders cleanly, the page's Bokeh data can be read, rows
streamed from a kernel thread reach the page, and broken pages are caught."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from helpers.lab import (
    assert_clean,
    bokeh_source_length,
    open_notebook,
    run_all,
    run_code,
    save_screenshot,
    wait_for_bokeh_source_length,
)

pytestmark = pytest.mark.browser

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

LOAD_BOKEH = """\
from bokeh.io import output_notebook
from bokeh.resources import INLINE
output_notebook(resources=INLINE, hide_banner=True)"""

CHART = """\
import ipywidgets as widgets
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure
from jupyter_bokeh import BokehModel

source = ColumnDataSource({"x": [], "y": []}, name="points")
fig = figure(width=400, height=250, title="harness")
fig.scatter("x", "y", source=source, size=10)
slider = widgets.IntSlider(value=7, min=0, max=10, description="harness")
widgets.VBox([slider, BokehModel(fig)])"""

# Rows added from a kernel thread: the thread keeps its own rows and assigns a whole
# new dict each time, so the page and the kernel agree (see
# test_known_jupyter_bokeh_stream_echo for why neither `source.stream` nor reading
# `source.data` back is safe).
ASSIGN_FROM_THREAD = """\
import threading, time

_rows = []

def _feed():
    for i in range(3):
        time.sleep(0.3)
        _rows.append((i, i * i))
        source.data = {"x": [r[0] for r in _rows], "y": [r[1] for r in _rows]}

_feeder = threading.Thread(target=_feed, daemon=True)
_feeder.start()"""

STREAM_FROM_THREAD = """\
import threading, time

def _stream():
    for i in range(3):
        time.sleep(0.3)
        source.stream({"x": [i], "y": [i * i]})

_streamer = threading.Thread(target=_stream, daemon=True)
_streamer.start()"""


def _notebook(path: Path, *sources: str) -> Path:
    cells = [nbformat.v4.new_code_cell(src) for src in sources]
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC}),
                   path)
    return path


def test_widgets_and_bokeh_render_and_update_from_a_thread(
    page, console_log, jupyter_server, tmp_path
):
    nb = _notebook(tmp_path / "harness.ipynb", LOAD_BOKEH, CHART)
    open_notebook(page, jupyter_server, nb)
    run_all(page)

    slider = page.locator(".widget-slider", has_text="harness")
    slider.wait_for()
    assert slider.locator(".widget-readout").inner_text().strip() == "7"
    page.locator(".bk-Figure, .bk-Canvas").first.wait_for()
    assert_clean(page, console_log)
    assert bokeh_source_length(page, "points") == 0

    # The kernel is this test run's interpreter (the venv), not some other python3.
    assert run_code(page, "import sys; print(sys.prefix)").strip() == sys.prefix

    run_code(page, ASSIGN_FROM_THREAD)
    wait_for_bokeh_source_length(page, "points", 3)
    kernel_side = run_code(page, "_feeder.join(5); print(list(source.data['y']))").strip()
    assert kernel_side == "[0, 1, 4]"
    assert bokeh_source_length(page, "points") == 3
    assert_clean(page, console_log)
    shot = save_screenshot(page, "browser-harness.png")
    assert shot.stat().st_size > 10_000


def test_known_jupyter_bokeh_stream_echo(page, console_log, jupyter_server, tmp_path):
    """jupyter_bokeh 4.1.0 sends every change it applies in the page back to the
    kernel, which applies it again. For ``source.stream`` that doubles the rows on
    the kernel side: the page shows 3 rows, the kernel holds 6. (An echoed
    ``source.data`` assignment can also land after a newer one and roll the kernel's
    copy back.) So kernel code keeps its own rows, assigns whole dicts, and never
    reads ``source.data`` back or maps a tap's index through it. When this test
    fails, the echo is fixed upstream: revisit that rule.
    """
    nb = _notebook(tmp_path / "stream.ipynb", LOAD_BOKEH, CHART)
    open_notebook(page, jupyter_server, nb)
    run_all(page)
    run_code(page, STREAM_FROM_THREAD)
    wait_for_bokeh_source_length(page, "points", 3)
    kernel_rows = run_code(page, "_streamer.join(5); import time; time.sleep(1); "
                                 "print(len(source.data['x']))").strip()
    assert bokeh_source_length(page, "points") == 3
    assert kernel_rows == "6", (
        f"the kernel holds {kernel_rows} rows after streaming 3: jupyter_bokeh no longer "
        "echoes streamed rows back, so `source.stream` may be used again"
    )
    assert_clean(page, console_log)


def test_harness_reports_errors_and_missing_bokehjs(page, console_log, jupyter_server, tmp_path):
    # No output_notebook() first: BokehJS is absent, so the chart cannot render.
    nb = _notebook(tmp_path / "broken.ipynb", CHART, "print('fine')", "1 / 0")
    open_notebook(page, jupyter_server, nb)
    run_all(page)

    with pytest.raises(AssertionError, match="ZeroDivisionError") as caught:
        assert_clean(page, console_log)
    report = str(caught.value)
    assert "not clean" in report
    assert "'Click to show javascript error'" in report  # the chart view failed
    assert "console.error: Could not create a view for model id" in report
    assert "fine" not in report  # a plain stdout output is no error

    with pytest.raises(AssertionError, match="BokehJS is not loaded"):
        bokeh_source_length(page, "points")
    with pytest.raises(AssertionError, match="NameError: name 'nope' is not defined"):
        run_code(page, "print(nope)")
    save_screenshot(page, "browser-harness-broken.png")


def test_open_notebook_rejects_a_notebook_without_kernelspec(page, jupyter_server, tmp_path):
    path = tmp_path / "nokernel.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), path)
    with pytest.raises(ValueError, match="no kernelspec metadata"):
        open_notebook(page, jupyter_server, path)

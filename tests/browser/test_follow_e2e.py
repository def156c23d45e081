"""Issue 16, point 2, in real JupyterLab + Chromium: a workbench that opens a store
while `nasbench-ui run` writes it follows that search live and read-only, and the
search finishes its whole budget undisturbed (it used to die: "trial 0 ... is already
INTERRUPTED")."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest
from helpers.lab import (
    assert_clean,
    bokeh_source_lengths,
    open_notebook,
    run_all,
    run_code,
    save_screenshot,
)

pytestmark = pytest.mark.browser

TESTS = Path(__file__).resolve().parents[1]
TRIALS = 8
CLI = textwrap.dedent(f"""
    import sys
    sys.path.insert(0, {str(TESTS)!r})
    import crash_worker  # registers test_crash_synth
    from nasbench_ui.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def _notebook(path: Path, db: Path) -> None:
    cells = [f"import sys\nsys.path.insert(0, {str(TESTS)!r})\n"
             "import crash_worker  # the CLI's custom estimator, registered here too\n"
             f"import nasbench_ui as nb\nwb = nb.Workbench.load({str(db)!r})\nwb"]
    book = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(c) for c in cells],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}})
    nbformat.write(book, path)


def _history_rows(page) -> int:
    lengths = bokeh_source_lengths(page, "nbui-history")
    return lengths[0] if lengths else 0


def test_the_workbench_follows_a_cli_search_without_breaking_it(page, jupyter_server,
                                                               console_log, tmp_path):
    db = tmp_path / "live.db"
    gate = tmp_path / "gate"  # the CLI's trials wait for it: none ends before the page follows
    args = ["run", "--space", "nb201", "--strategy", "random", "--estimator",
            "test_crash_synth", "--estimator-options",
            json.dumps({"seconds": 2.0, "gate": str(gate)}),
            "--trials", str(TRIALS), "--storage", str(db), "--name", "cli-run",
            "--no-progress", "--json"]
    proc = subprocess.Popen([sys.executable, "-c", CLI, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        end = time.monotonic() + 60
        while not db.exists():
            assert time.monotonic() < end and proc.poll() is None, proc.stderr.read()
            time.sleep(0.1)
        path = tmp_path / "follow.ipynb"
        _notebook(path, db)
        open_notebook(page, jupyter_server, path)
        run_all(page, timeout=180)
        wb = page.locator(".nbui-workbench")
        status = ".nbui-workbench .nbui-status-line"
        page.wait_for_function(
            "(sel) => (document.querySelector(sel)?.innerText || '').includes('following: run by pid')",
            arg=status, timeout=60_000)
        assert f"pid {proc.pid}" in wb.locator(".nbui-status-line").inner_text()
        assert wb.get_by_role("button", name="Start").is_disabled()
        first = _history_rows(page)
        save_screenshot(page, "workbench_following_a_cli_search")
        gate.touch()
        # the chart grows as the CLI finishes trials, while the kernel answers at once
        page.wait_for_function(
            "(sel) => { const d = window.Bokeh && window.Bokeh.documents || [];"
            " for (const doc of d) { const m = doc.get_model_by_name('nbui-history');"
            " if (m) return m.get_length() > " + str(first) + "; } return false; }",
            arg=None, timeout=90_000)
        assert run_code(page, "print(1 + 1)", timeout=30).strip() == "2"
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert json.loads(out)["states"] == {"COMPLETE": TRIALS}
    # the end of the search shows: every trial, and Start is offered again
    page.wait_for_function(
        "(sel) => (document.querySelector(sel)?.innerText || '').includes('8 complete')",
        arg=status, timeout=60_000)
    assert "following" not in wb.locator(".nbui-status-line").inner_text()
    assert wb.get_by_role("button", name="Start").is_enabled()
    assert _history_rows(page) == TRIALS
    out = run_code(page, "print(wb.experiment.store.readonly, len(wb.experiment.trials))")
    assert out.split() == ["True", str(TRIALS)], out
    assert_clean(page, console_log)

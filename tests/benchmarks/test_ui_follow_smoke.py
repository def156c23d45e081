"""The follow benchmark (``benchmarks/ui_follow.py``): a search in its own process, a
workbench following it in JupyterLab + Chromium. A short real run's JSON has every field;
no timing is asserted (the figures depend on the machine)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks import ui_follow as bench  # noqa: E402


def test_window_rate_counts_the_finishes_inside_the_window() -> None:
    assert bench.window_rate([1.0, 2.0, 2.5, 3.9, 4.0], 2.0, 4.0) == 1.5
    assert bench.window_rate([], 2.0, 4.0) == 0.0
    assert bench.window_rate([1.0], 4.0, 4.0) is None


def test_the_search_process_runs_until_its_stop_file(tmp_path: Path) -> None:
    search = bench.Search(tmp_path / "s.db", "random", tmp_path, limit_s=120)
    search.start()  # returns once trials have finished
    try:
        assert len(bench.finish_times(tmp_path / "s.db")) >= 10
    finally:
        search.stop()
    assert search.proc is not None and search.proc.returncode == 0
    done = bench.finish_times(tmp_path / "s.db")
    assert done == sorted(done) and len(done) >= 10
    assert bench.finish_times(tmp_path / "missing.db") == []


@pytest.mark.browser
@pytest.mark.slow
def test_short_run_writes_a_complete_summary(tmp_path: Path, chromium_binary: Path) -> None:
    out = tmp_path / "follow.json"
    summary = bench.main(["--duration", "5", "--out", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(summary))
    assert summary["following_shown"], "the page did not say it follows another process"
    search = summary["search"]
    for key in ("trials_per_s_followed", "trials_per_s_alone", "ratio"):
        assert isinstance(search[key], float) and math.isfinite(search[key]) \
            and search[key] > 0, search
    # the page ends up showing every trial of the followed search; the lags are a
    # measurement (chart_lags is tested in test_ui_responsiveness_smoke.py), and in 2 of
    # about 10 runs the 5 s window held no lag though trials finished in it (not
    # explained yet: "window" keeps the figures to look into it)
    assert summary["page_rows_at_end"] == search["finished_followed"], summary["window"]
    assert summary["window"]["trials"] >= 1 and summary["window"]["page_samples"] >= 1
    followed = summary["cpu_cores"]["followed"]
    assert followed["search"] > 0.05 and followed["kernel"] > 0 and followed["browser"] > 0
    assert summary["cpu_cores"]["alone"]["search"] > 0.05
    assert set(summary["meets_targets"]) == {"ratio", "chart_lag_s_max"}
    assert summary["console_errors"] == []
    # the view renders after the workbench has caught up with the store: pushes before
    # it is ready go whole (ui.pusher), never as streams onto rows it lacks
    assert summary["bokeh_warnings"] == []

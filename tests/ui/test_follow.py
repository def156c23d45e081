"""Issue 16 point 2, in the workbench: opening a store that another search is writing
follows that search read-only, and never disturbs it."""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

import nasbench_ui as nb
from nasbench_ui.engine.heap import HeapFreeze
from nasbench_ui.storage import TrialState

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import crash_worker  # noqa: E402, F401  registers the estimator test_crash_synth


def _wait(pred, timeout=60.0):
    end = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def test_a_workbench_follows_a_search_it_does_not_own(tmp_path):
    db = tmp_path / "f.db"
    gate = tmp_path / "go"  # the trials wait for it: a loaded machine cannot end the run early
    exp = nb.Experiment("nb201", strategy="random", estimator="test_crash_synth",
                        estimator_options={"seconds": 0.3, "gate": str(gate)}, trials=6,
                        storage=db, name="other")
    exp.start()
    try:
        _wait(lambda: len(exp.trials) >= 1)
        wb = nb.Workbench.load(db)
        assert wb.experiment is not exp and wb.experiment.store.readonly
        assert wb.live.following and wb.controls.start_button.disabled
        _wait(lambda: "following: run by pid" in wb.controls.status.value, 10)
        wb.start()  # refused: the owner lives; the message says who
        assert "being run by pid" in wb.controls.status.value
        gate.touch()
        exp.wait(60)
        _wait(lambda: not wb.live.following and not wb.live.polling)
        _wait(lambda: len(wb.live.trials) == 6 and all(
            t.state is TrialState.COMPLETE for t in wb.live.trials), 10)
        assert not wb.controls.start_button.disabled
    finally:
        gate.touch()
        exp.stop()
    assert exp.status == "done" and exp.last_error is None
    assert [t.state for t in exp.trials] == [TrialState.COMPLETE] * 6


def test_the_poller_manages_the_heap_while_it_follows(tmp_path):
    """The kernel keeps the followed search's trials: its full collections would scan
    them all (0.29 to 0.51 s in a 120 s benchmarks/ui_follow.py run, chart lag spikes of
    1.9 s), so the poller freezes the heap as a run of its own does (engine/heap.py)."""
    db = tmp_path / "h.db"
    gate = tmp_path / "go"  # the trials wait for it: a loaded machine cannot end the run early
    exp = nb.Experiment("nb201", strategy="random", estimator="test_crash_synth",
                        estimator_options={"seconds": 0.3, "gate": str(gate)}, trials=6,
                        storage=db, name="other")
    assert HeapFreeze.active() == 0
    exp.start()  # a short run: it holds its share of the heap, unfrozen until a collection
    try:
        _wait(lambda: len(exp.trials) >= 1)
        assert HeapFreeze.active() == 1
        wb = nb.Workbench.load(db)
        _wait(lambda: wb.live.following and HeapFreeze.active() == 2, 10)  # the poller's
        gate.touch()
        exp.wait(60)
        _wait(lambda: not wb.live.polling)
    finally:
        gate.touch()
        exp.stop()
    _wait(lambda: HeapFreeze.active() == 0, 10)  # both shares ended: the heap is thawed
    assert gc.get_freeze_count() == 0

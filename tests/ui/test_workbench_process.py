"""``Workbench(process=True)``: Start runs the search in its own process; the workbench
shows it from the store as it shows a search on a kernel thread."""

from __future__ import annotations

import crash_worker  # noqa: F401  registers test_crash_synth (importable: crash_worker)
import pytest
from helpers import wait_for
from helpers.custom_parts import LockedNotebookEstimator, NotebookEstimator

import nasbench_ui as nb
from nasbench_ui.estimators import register
from nasbench_ui.storage import TrialState


def _wait(pred, timeout=60.0):
    assert wait_for(pred, timeout), "timed out"


def test_start_runs_the_search_in_its_own_process_and_the_workbench_shows_it(tmp_path):
    wb = nb.Workbench(space="nb201", storage=tmp_path / "w.db", strategy="random",
                      estimator="test_crash_synth", trials=8, process=True)
    exp = wb.start()
    assert exp is not None and isinstance(exp.process_id, int)
    assert wb.live.polling and not wb.live.following  # its own search, not another's
    _wait(lambda: len(exp.finished_trials()) >= 2)
    wb.pause()
    _wait(lambda: exp.status == "paused", 10)
    assert "paused" in wb.controls.status.value
    wb.resume()
    exp.wait(120)
    _wait(lambda: not wb.live.polling, 10)
    assert exp.status == "done" and exp.process_id is None
    # the end's refresh runs on its own thread, just after the status event
    _wait(lambda: "done" in wb.controls.status.value, 10)
    assert [t.state for t in wb.live.trials] == [TrialState.COMPLETE] * 8
    assert not wb.controls.start_button.disabled


def test_a_notebook_part_that_cannot_be_copied_is_refused_with_the_reason(tmp_path):
    register(LockedNotebookEstimator.NAME, LockedNotebookEstimator, replace=True)
    wb = nb.Workbench(space="nb201", storage=tmp_path / "n.db", strategy="random",
                      estimator=LockedNotebookEstimator.NAME, trials=2, process=True)
    assert wb.start() is None
    assert "defined in a notebook cell" in wb.controls.status.value
    assert "cannot pickle" in wb.controls.status.value
    assert not wb.controls.start_button.disabled
    with pytest.raises(ValueError, match="process must be True, False or None"):
        nb.Workbench(storage=":memory:", process="yes")
    nb.Workbench(storage=":memory:")  # the refused one left nothing behind to close


def test_by_default_a_notebook_cells_estimator_gets_a_process_unless_it_cannot_be_copied(
        tmp_path, monkeypatch):
    from nasbench_ui.ui import search_control

    monkeypatch.setattr(search_control, "usable_cpus", lambda: 2)
    register(NotebookEstimator.NAME, NotebookEstimator, replace=True)
    register(LockedNotebookEstimator.NAME, LockedNotebookEstimator, replace=True)
    wb = nb.Workbench(space="nb201", storage=tmp_path / "c.db", strategy="random",
                      estimator=NotebookEstimator.NAME, trials=3)
    wb.controls.speed.value = "full"
    exp = wb.start()
    assert exp is not None and isinstance(exp.process_id, int)
    exp.wait(120)
    assert exp.status == "done", exp.last_error
    _wait(lambda: len(wb.live.trials) == 3, 10)
    locked = nb.Workbench(space="nb201", storage=tmp_path / "l.db", strategy="random",
                          estimator=LockedNotebookEstimator.NAME, trials=3)
    locked.controls.speed.value = "full"
    assert not locked.search.in_process(locked.search.new_experiment())


def test_by_default_a_fast_search_gets_a_process_and_a_watchable_one_a_thread(
        tmp_path, monkeypatch):
    from nasbench_ui.ui import search_control

    wb = nb.Workbench(space="nb201", storage=tmp_path / "d.db", strategy="random",
                      estimator="test_crash_synth", trials=4)
    exp = wb.search.new_experiment()
    monkeypatch.setattr(search_control, "usable_cpus", lambda: 2)
    wb.controls.speed.value = "full"
    assert wb.search.in_process(exp)
    wb.controls.speed.value = "auto"  # its pace is learnt from its first trials, here
    assert not wb.search.in_process(exp)
    wb.controls.speed.value = 100.0
    assert wb.search.in_process(exp)
    monkeypatch.setattr(search_control, "usable_cpus", lambda: 1)  # Binder: one CPU
    assert not wb.search.in_process(exp)
    memory = nb.Workbench(space="nb201", storage=":memory:", estimator="test_crash_synth")
    monkeypatch.setattr(search_control, "usable_cpus", lambda: 2)
    assert not memory.search.in_process(memory.search.new_experiment())


def test_the_speed_picked_before_start_is_the_one_the_search_runs_at(tmp_path, monkeypatch):
    """A table look-up search defaults to the watchable speed; a teacher who picks full
    speed and clicks Start gets full speed (attaching the new run reset it to the
    watchable default, a thread and two trials a second)."""
    from nasbench_ui.ui import search_control

    monkeypatch.setattr(search_control, "usable_cpus", lambda: 2)
    wb = nb.Workbench(storage=tmp_path / "t.db", strategy="random", trials=40)
    wb.preset.value = "digits_cell"  # the shipped table: tabular, watchable by default
    assert wb.controls.estimator.value == "tabular" and wb.controls.speed.value == "auto"
    wb.controls.speed.value = "full"
    exp = wb.start()
    assert exp is not None and wb.controls.speed.value == "full" and exp.pace is None
    assert exp.process_id is not None  # full speed: its own process
    exp.wait(120)
    assert exp.status == "done" and exp.n_done() == 40


def test_the_auto_speed_learns_its_pace_from_a_search_in_its_own_process(tmp_path,
                                                                         monkeypatch):
    """The auto speed sets the pace from the first trials' costs, on the thread that
    reads the process's reports; each set_pace waited there for a reply only that thread
    could read (REPLY_TIMEOUT_S, a minute), the reports and a Stop's reply behind it."""
    from nasbench_ui.engine import child_run

    monkeypatch.setattr(child_run, "REPLY_TIMEOUT_S", 90.0)  # a wait outlasts _wait's 60 s
    wb = nb.Workbench(space="nb201", storage=tmp_path / "a.db", strategy="random",
                      estimator="test_crash_synth", trials=500, process=True)
    wb.controls.speed.value = "auto"
    exp = wb.start()
    assert exp is not None and isinstance(exp.process_id, int)
    finished = []
    exp.observe(lambda e: e.kind == "trial_finish" and finished.append(e.number))
    try:
        _wait(lambda: len(finished) >= 4)
        assert wb.search.costs and exp.pace is not None  # learnt, and sent there
        wb.controls.stop_button.click()
        _wait(lambda: not exp.running)
    finally:
        wb.close_search()
    assert exp.status == "done" and exp.n_done() < 500


def test_a_stop_after_the_process_ended_and_a_start_at_once_after_a_stop(tmp_path):
    """A Stop that reaches the kernel after the search's process ended changes nothing;
    a Start while it is stopping waits for the process to end (its lease with it) and
    goes on, never a LeaseHeld from its own search."""
    wb = nb.Workbench(space="nb201", storage=tmp_path / "e.db", strategy="random",
                      estimator="test_crash_synth", trials=3, process=True)
    wb.controls.speed.value = "full"
    c = wb.controls
    try:
        exp = wb.start()
        exp.wait(120)
        _wait(lambda: not c.start_button.disabled, 10)
        c.stop_button.click()
        assert not c.start_button.disabled and c.stop_button.disabled
        assert exp.status == "done"
        c.trials.value = 500  # a new run (another budget), stopped, and Start at once
        exp = wb.start()
        assert exp is not None and exp.process_id is not None
        c.stop_button.click()
        c.start_button.click()
        assert "LeaseHeld" not in c.status.value and "being run by" not in c.status.value
        assert wb.experiment is exp and exp.running and exp.status != "stopping"
    finally:
        wb.close_search()
    assert exp.owner() is None

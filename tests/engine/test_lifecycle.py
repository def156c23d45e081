"""``Lifecycle``: pause, resume and stop change an experiment's status only while a
search is active, and never undo a stop (engine/lifecycle.py).

A workbench's Stop, Pause or Resume can reach the kernel just after the search ended, or
after a Stop (the page had not yet disabled the button): the status must stay what the
search did, not "stopping" or "paused" for a search that no longer runs."""

from __future__ import annotations

import threading

from helpers import wait_for

import nasbench_ui as nb
from nasbench_ui.engine.lifecycle import DONE, PAUSED, Lifecycle


def _exp(tmp_path, trials=3):
    return nb.Experiment("nb201", strategy="random", estimator="zero_cost", trials=trials,
                         storage=tmp_path / "l.db", name="l")


def test_a_stop_or_pause_that_comes_as_the_search_ends_leaves_its_final_status(tmp_path):
    exp = _exp(tmp_path)
    seen = []

    def late_clicks(event):
        # on the search's thread, just after its final status: running is still True
        if event.kind == "status" and event.data["status"] == DONE and not seen:
            seen.append(exp.running)
            exp.stop(wait=False)
            exp.pause()
            exp.resume()

    exp.observe(late_clicks)
    exp.start()
    assert wait_for(lambda: not exp.running, 120)
    assert seen == [True]
    assert exp.status == "done" and exp.n_done() == 3


def test_a_resume_after_a_stop_leaves_it_stopping_and_the_search_stops(tmp_path):
    exp = _exp(tmp_path, trials=100)
    hold, held = threading.Event(), threading.Event()

    def hold_the_first_trial(event):  # keeps the search's thread busy (still running)
        if event.kind == "trial_start" and not held.is_set():
            held.set()
            hold.wait(60)

    exp.observe(hold_the_first_trial)
    exp.start()
    try:
        assert wait_for(held.is_set, 120)
        exp.pause()
        assert exp.status == PAUSED
        exp.stop(wait=False)
        exp.resume()  # a Resume click that raced the Stop
        assert exp.status == "stopping"
        exp.pause()
        assert exp.status == "stopping"
    finally:
        hold.set()
        exp.stop()
    assert exp.status == "done" and exp.n_done() < 100


def test_an_observer_on_the_searchs_thread_may_stop_it_and_wait(tmp_path):
    exp = _exp(tmp_path, trials=100)
    errors = []

    def stop_at_two(event):
        if event.kind == "trial_finish" and event.number == 1:
            try:
                exp.stop()  # wait=True: there is no other thread to join
            except RuntimeError as e:  # "cannot join current thread"
                errors.append(e)

    exp.observe(stop_at_two)
    exp.start()
    assert wait_for(lambda: not exp.running, 120)
    assert errors == [] and exp.status == "done" and exp.n_done() == 2


def test_a_new_search_forgets_the_last_ones_stop():
    statuses = []
    life = Lifecycle("e", lambda e: statuses.append(e.data["status"]))
    life.begin()
    life.enter()
    life.stop(wait=False)
    life.end(DONE)
    life.begin()
    life.enter()  # a stopped search's flags would make this one "stopping" at once
    assert life.status == "running" and not life.control.stop.is_set()


def test_a_stop_while_the_run_is_being_prepared_is_kept(tmp_path, monkeypatch):
    """A stop that lands between the lease and the run's start (the lease's heartbeat
    losing it, another thread's Stop) must reach the loop: prepare() keeps the Control
    that begin() made, it does not make a fresh one."""
    exp = _exp(tmp_path, trials=5)
    restore = exp._runs._restore

    def restore_then_stop(source):
        restore(source)
        exp._life.lease_lost("another process took the lease")

    monkeypatch.setattr(exp._runs, "_restore", restore_then_stop)
    statuses = []
    exp.observe(lambda e: statuses.append(e.data["status"]) if e.kind == "status" else None)
    exp.start()
    exp.wait(60)
    assert statuses[0] == "stopping" and exp.trials == []
    assert "another process took the lease" in exp.last_error

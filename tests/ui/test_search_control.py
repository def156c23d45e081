"""``SearchControl``: the workbench's buttons follow the search's real state, and a
Start that fails leaves the workbench usable (ui/search_control.py).

A teacher's pass left a workbench with every button disabled: a click that reached the
kernel after the search had ended (Stop, Pause, Resume) set the buttons as if it had
worked, and a Start that failed set them to "ready", or left them "running", whatever
actually ran. The search in its own process has its own tests in
``test_workbench_process.py``."""

from __future__ import annotations

import crash_worker  # noqa: F401  registers test_crash_synth
from helpers import wait_for

import nasbench_ui as nb
from nasbench_ui.storage.lease import Lease


def _wait(pred, timeout=60.0):
    assert wait_for(pred, timeout), "timed out"


def _workbench(tmp_path, trials=3, seconds=0.02):
    wb = nb.Workbench(space="nb201", storage=tmp_path / "s.db", strategy="random",
                      estimator="test_crash_synth", trials=trials, process=False)
    state = wb.state
    state["estimator_options"] = {"seconds": seconds}
    wb.state = state
    wb.controls.speed.value = "full"
    return wb


def _buttons(wb):
    c = wb.controls
    return {name: not b.disabled for name, b in (
        ("start", c.start_button), ("pause", c.pause_button),
        ("resume", c.resume_button), ("stop", c.stop_button))}


def _ended(wb, exp):
    _wait(lambda: not exp.running)
    _wait(lambda: _buttons(wb)["start"], 10)  # the end's refresh, on its own thread


def test_a_click_that_comes_after_the_search_ended_changes_nothing(tmp_path):
    wb = _workbench(tmp_path)
    try:
        exp = wb.start()
        _ended(wb, exp)
        for button in ("stop", "pause", "resume"):  # each clicked as the search ended
            getattr(wb.controls, f"{button}_button").click()
            assert _buttons(wb) == {"start": True, "pause": False, "resume": False,
                                    "stop": False}, button
            assert exp.status == "done" and not exp.running
        assert "done" in wb.controls.status.value
        wb.controls.start_button.click()  # and Start still starts
        assert wb.experiment.running or wb.experiment.n_done() == 3
    finally:
        wb.close_search()


def test_start_while_the_shown_search_is_stopping_waits_for_it_then_goes_on(tmp_path):
    """Its own ending search's lease must not refuse the next Start, nor the click be
    dropped: Stop, then Start at once resumes the stopped run."""
    wb = _workbench(tmp_path, trials=500, seconds=0.6)
    try:
        exp = wb.start()
        _wait(lambda: exp.n_done() >= 1)
        wb.controls.stop_button.click()  # wait=False: it is stopping
        assert exp.status == "stopping" and _buttons(wb)["start"] is False
        wb.controls.start_button.click()  # e.g. a click the page sent before disabling it
        assert wb.experiment is exp and exp.running and exp.status == "running"
        assert "Lease" not in wb.controls.status.value
        assert _buttons(wb) == {"start": False, "pause": True, "resume": False, "stop": True}
    finally:
        wb.close_search()
    assert exp.status == "done" and exp.owner() is None


def test_a_start_that_fails_unexpectedly_shows_why_and_leaves_start_enabled(
        tmp_path, monkeypatch):
    wb = _workbench(tmp_path)

    def broken(self, process=False):
        raise OSError("too many open files")

    monkeypatch.setattr(nb.Experiment, "start", broken)
    wb.controls.start_button.click()
    assert "OSError: too many open files" in wb.controls.status.value
    assert _buttons(wb) == {"start": True, "pause": False, "resume": False, "stop": False}
    wb.controls.stop_button.click()  # nothing runs: nothing to stop, nothing disabled
    assert _buttons(wb)["start"]


def test_a_start_refused_by_another_process_follows_it_until_it_ends(tmp_path):
    wb = _workbench(tmp_path, trials=6)
    try:
        exp = wb.start()
        wb.controls.stop_button.click()
        _ended(wb, exp)
        # another kernel takes the run over (its lease, fresh, from another host)
        other = Lease(exp.store, exp.name, host="elsewhere")
        other.acquire()
        wb.controls.start_button.click()  # resume: refused, with the reason
        assert "is being run by pid" in wb.controls.status.value
        assert wb.live.following and wb.live.polling  # shown as followed, not "ready"
        assert _buttons(wb)["start"] is False
        other.release()  # that search ended: Start comes back
        _wait(lambda: _buttons(wb)["start"], 30)
        assert not wb.live.following
        wb.controls.start_button.click()
        assert wb.experiment is exp and (exp.running or exp.n_done() == 6)
    finally:
        wb.close_search()


def test_a_start_with_an_invalid_setting_after_a_run_shows_it_and_stays_usable(tmp_path):
    wb = _workbench(tmp_path)
    try:
        exp = wb.start()
        _ended(wb, exp)
        wb.controls.trials.value = 0  # no budget at all
        wb.controls.start_button.click()
        assert "trials" in wb.controls.status.value and "done" not in wb.controls.status.value
        assert _buttons(wb)["start"] and wb.experiment is exp
    finally:
        wb.close_search()

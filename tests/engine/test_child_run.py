"""``Experiment.start(process=True)``: the search in its own process, driven from here
(engine/child_run.py, engine/child.py)."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import crash_worker  # noqa: F401  registers test_crash_synth (importable: crash_worker)
import pytest
from helpers import wait_for
from helpers.custom_parts import LockedNotebookEstimator, NotebookEstimator, NotebookStrategy

import nasbench_ui as nb
from nasbench_ui import strategies
from nasbench_ui.engine.child_run import SearchProcessError
from nasbench_ui.estimators import register
from nasbench_ui.storage import TrialState, open_store
from nasbench_ui.trust import trusted, untrust_all


def _wait(pred, timeout=60.0):
    assert wait_for(pred, timeout), "timed out"


def _exp(tmp_path, trials=6, seconds=0.02, name="p"):
    return nb.Experiment("nb201", strategy="evolution", estimator="test_crash_synth",
                         estimator_options={"seconds": seconds}, trials=trials,
                         strategy_options={"population": 4, "sample_size": 2},
                         storage=tmp_path / "p.db", name=name)


def test_a_search_runs_in_its_own_process_to_its_budget(tmp_path, monkeypatch):
    """``start`` returns while the process has not even begun: its interpreter starts
    only once a gate file exists, and the test makes it after ``start`` has returned,
    so the process imports and loads on its own (start runs on a thread joined for
    60 s, a guard against a hang only)."""
    from nasbench_ui.engine import child_run

    exp = _exp(tmp_path)
    events = []
    exp.observe(events.append)
    gate = tmp_path / "gate"
    popen = child_run.subprocess.Popen

    def gated(args, **kwargs):  # sh waits for the gate, then becomes the interpreter
        return popen(["/bin/sh", "-c", 'while [ ! -e "$0" ]; do sleep 0.05; done; exec "$@"',
                      str(gate), *args], **kwargs)

    failed: list[BaseException] = []

    def start() -> None:
        try:
            exp.start(process=True)
        except BaseException as err:  # noqa: BLE001 - raised below
            failed.append(err)

    starting = threading.Thread(target=start, daemon=True)
    try:
        with monkeypatch.context() as m:
            m.setattr(child_run.subprocess, "Popen", gated)
            starting.start()
            starting.join(60)
        assert not starting.is_alive() and not failed, failed
        assert not gate.exists() and exp.running  # returned before the process began
        pid = exp.process_id
        assert isinstance(pid, int) and pid != os.getpid()
    finally:
        gate.touch()
    exp.wait(120)
    assert exp.status == "done" and exp.last_error is None and not exp.running
    assert exp.process_id is None
    trials = exp.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 6
    finished = [e.number for e in events if e.kind == "trial_finish"]
    assert finished == list(range(6))
    assert all(e.data["state"] == "COMPLETE" for e in events if e.kind == "trial_finish")
    statuses = [e.data["status"] for e in events if e.kind == "status"]
    assert statuses[0] == "running" and statuses[-1] == "done"
    # what the process stored came back: counters, and the strategy's state
    assert exp.spent_s() == pytest.approx(6.0) and exp.n_done() == 6
    assert len(exp.strategy.population) == 4
    assert exp.owner() is None  # the process gave the lease back


def test_pause_resume_steer_and_stop_reach_the_process(tmp_path):
    exp = _exp(tmp_path, trials=10_000, seconds=0.04)
    statuses = []
    exp.observe(lambda e: e.kind == "status" and statuses.append(e.data["status"]))
    exp.start(process=True)
    try:
        _wait(lambda: len(exp.finished_trials()) >= 3)
        exp.pause()
        _wait(lambda: "paused" in statuses)
        time.sleep(0.3)  # the trial running when it paused may finish
        held = len(exp.finished_trials())
        time.sleep(0.6)
        assert len(exp.finished_trials()) == held  # nothing runs while paused
        # steered while paused, so the budget is in place before any trial runs again
        # (set after resume, 2 more trials of 0.04 s had finished under CI's load)
        exp.set_budget(trials=held + 3)
        assert exp.config.trials == held + 3  # the stored config, as the process steered
        with pytest.raises(ValueError, match="trials"):
            exp.set_budget(trials=-1)  # the process's error, raised here
        with pytest.raises(ValueError, match="registered name"):
            exp.switch_strategy(object())
        exp.set_constraints({"params": {"max": 10**9}})
        assert exp.config.constraints == {"params": {"max": 10**9}}
        exp.resume()
        exp.wait(120)  # the lowered budget ends it
    finally:
        exp.stop()
    assert exp.status == "done" and exp.n_done() == held + 3
    assert statuses[-1] == "done" and "running" in statuses[statuses.index("paused"):]


def test_stop_ends_the_process_and_the_running_trial_runs_again_later(tmp_path):
    exp = _exp(tmp_path, trials=10_000, seconds=0.2)
    statuses = []
    exp.observe(lambda e: e.kind == "status" and statuses.append(e.data["status"]))
    exp.start(process=True)
    _wait(lambda: len(exp.trials) >= 2)
    pid = exp.process_id
    exp.stop()
    assert not exp.running and exp.status == "done"
    assert statuses[-2:] == ["stopping", "done"] and statuses.count("stopping") == 1
    _wait(lambda: not Path(f"/proc/{pid}").exists(), 10)
    assert TrialState.RUNNING not in {t.state for t in exp.trials}
    done = exp.n_done()
    exp.set_budget(trials=done + 2)  # idle: steered here, run on in a new process
    exp.start(process=True).wait(120)
    assert exp.n_done() == done + 2 and exp.status == "done"


def test_a_killed_process_fails_the_search_loudly(tmp_path):
    exp = _exp(tmp_path, trials=10_000, seconds=0.05)
    exp.start(process=True)
    _wait(lambda: len(exp.finished_trials()) >= 2)
    os.kill(exp.process_id, signal.SIGKILL)
    with pytest.raises(SearchProcessError, match="ended with code -9"):
        exp.wait(60)
    assert exp.status == "failed" and "code -9" in exp.last_error


def test_the_kernels_own_parts_need_no_trust_but_a_stored_one_does(tmp_path):
    """The process imports the modules of the parts this kernel registered itself (it
    runs them already); a part that only the store names is imported from trusted
    modules only, as Experiment.load does."""
    exp = _exp(tmp_path, trials=2)
    untrust_all()
    assert trusted() == []  # nothing trusted in this process
    exp.start(process=True).wait(120)
    assert exp.status == "done" and exp.n_done() == 2


def test_a_search_that_cannot_open_fails_with_the_reason(tmp_path):
    exp = _exp(tmp_path)
    for suffix in ("", "-wal", "-shm"):  # the store is gone before the process opens it
        Path(f"{tmp_path / 'p.db'}{suffix}").unlink(missing_ok=True)
    exp.start(process=True)
    with pytest.raises(SearchProcessError, match="could not start: StoreError: there is no store"):
        exp.wait(60)
    assert exp.status == "failed" and "no store" in exp.last_error


def test_what_another_process_cannot_have_is_refused_before_anything_runs(tmp_path):
    register(LockedNotebookEstimator.NAME, LockedNotebookEstimator, replace=True)
    exp = nb.Experiment("nb201", estimator=LockedNotebookEstimator.NAME, trials=2,
                        storage=tmp_path / "m.db")
    with pytest.raises(ValueError, match="'test_locked_notebook_est' was defined in a "
                       "notebook cell.*cannot pickle '_thread.lock'"):
        exp.start(process=True)
    memory = nb.Experiment("nb201", estimator="test_crash_synth", trials=2)
    with pytest.raises(ValueError, match="a file store"):
        memory.start(process=True)
    assert exp.status == "idle" and exp.trials == [] and not exp.running


def test_a_notebook_cells_estimator_runs_as_a_copy_in_the_searchs_process(tmp_path):
    """Defined in ``__main__``: no import path, so the kernel sends it by value; the
    process's copy estimates (the kernel's class records no call), the store has its
    values, and the stored config still names it without a path."""
    NotebookEstimator.CALLS.clear()
    register(NotebookEstimator.NAME, NotebookEstimator, replace=True)
    exp = nb.Experiment("nb201", estimator=NotebookEstimator.NAME, trials=5,
                        storage=tmp_path / "n.db", name="n")
    assert exp.process_problems() == []
    exp.start(process=True)
    assert isinstance(exp.process_id, int)
    exp.wait(120)
    assert exp.status == "done", exp.last_error
    assert [t.value for t in exp.finished_trials()] == [0.501, 0.502, 0.503, 0.504, 0.505]
    assert NotebookEstimator.CALLS == []  # the copy ran, not this class
    assert exp.config.imports == {"estimator": {NotebookEstimator.NAME: None}}


def test_a_switch_to_a_notebook_cells_strategy_sends_it_with_the_request(tmp_path):
    """The process never had it (the search began with evolution): the kernel sends it
    by value with the switch, and the trials after it are its own."""
    strategies.register(NotebookStrategy.NAME, NotebookStrategy, replace=True)
    exp = _exp(tmp_path, trials=10_000, seconds=0.03)
    exp.start(process=True)
    try:
        _wait(lambda: len(exp.finished_trials()) >= 2)
        exp.switch_strategy(NotebookStrategy.NAME)
        assert exp.config.strategy == NotebookStrategy.NAME  # as the process stored it
        _wait(lambda: any(t.meta.get("strategy") == NotebookStrategy.NAME
                          for t in exp.finished_trials()))
        with pytest.raises(ValueError, match="unknown strategy 'no_such'"):
            exp.switch_strategy("no_such")  # the process's own error
    finally:
        exp.stop()
        strategies.unregister(NotebookStrategy.NAME)
    assert exp.status == "done"


def test_the_end_of_its_input_stops_the_process(tmp_path):
    """The kernel died (its pipe closed): the search stops and leaves no trial RUNNING."""
    exp = _exp(tmp_path, trials=10_000, seconds=0.1)
    exp.start(process=True)
    _wait(lambda: len(exp.finished_trials()) >= 2)
    exp._process.child.proc.stdin.close()
    exp.wait(60)
    assert exp.status == "done"
    store = open_store(tmp_path / "p.db", readonly=True)
    assert TrialState.RUNNING not in {t.state for t in store.trials("p")}


def test_requests_from_two_threads_each_get_their_reply(tmp_path):
    exp = _exp(tmp_path, trials=10_000, seconds=0.05)
    exp.start(process=True)
    errors = []

    def steer(k):
        try:
            for i in range(5):
                exp.set_pace(None if (i + k) % 2 else 1000.0)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    try:
        threads = [threading.Thread(target=steer, args=(k,)) for k in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
    finally:
        exp.stop()
    assert exp.status == "done"


def test_an_observer_may_steer_and_stop_a_search_in_its_own_process(tmp_path, monkeypatch):
    """Observers run on the thread that reads the process's reports (and its replies): a
    steering call or a stop from one waited for a reply only that thread could read, for
    REPLY_TIMEOUT_S each (the workbench's auto speed sets the pace from the first nine
    trials: a minute each, the search's reports and Stop held up behind it)."""
    from nasbench_ui.engine import child_run

    monkeypatch.setattr(child_run, "REPLY_TIMEOUT_S", 90.0)  # a wait outlasts the first _wait
    exp = _exp(tmp_path, trials=10_000, seconds=0.05)
    returned = []

    def steer(event):
        if event.kind != "trial_finish":
            return
        if not returned:
            exp.set_pace(1000.0)
            exp.set_budget(trials=50)
            returned.append("steered")
        elif event.number >= 3 and len(returned) == 1:
            exp.stop(wait=True)  # on the reading thread: nothing to join, nothing to wait
            returned.append("stopped")

    exp.observe(steer)
    exp.start(process=True)
    try:
        _wait(lambda: returned == ["steered", "stopped"], 60)
        exp.wait(60)
    finally:
        exp.stop()
    assert exp.status == "done" and not exp.running
    assert exp.config.trials == 50 and exp.n_done() < 50  # steered there, stopped there
    assert TrialState.RUNNING not in {t.state for t in exp.trials}


def test_the_best_model_of_a_search_in_its_own_process_comes_from_the_store(tmp_path):
    """The process keeps the best models' weights beside the file store, as a kernel
    thread's search does; best_model() here reads them back."""
    exp = nb.Experiment("mlp", strategy="random", estimator="early_stop",
                        estimator_options={"epochs": 1, "subset": 0.2}, trials=2,
                        storage=tmp_path / "m.db", device="cpu")
    exp.start(process=True).wait(300)
    assert exp.status == "done", exp.last_error
    model = exp.best_model()
    assert sum(p.numel() for p in model.parameters()) > 0
    assert type(model).__module__.startswith(("nasbench_ui", "torch"))


def test_only_the_kernels_own_parts_are_trusted_for_the_process():
    """A store's config may name any path for a part this kernel registered under that
    name (a shared file): only the path the kernel registered it from is trusted."""
    from nasbench_ui.engine.parts import own_modules

    path = "crash_worker:CrashSynth"
    assert own_modules({"estimator": {"test_crash_synth": path}}) == ["crash_worker"]
    assert own_modules({"estimator": {"test_crash_synth": "evil_mod:Thing"}}) == []
    assert own_modules({"estimator": {"not_registered_here": "evil_mod:Thing"}}) == []
    assert own_modules({"estimator": {"train": None}}) == []


def test_a_shared_store_cannot_make_the_process_import_its_module(tmp_path, monkeypatch):
    """The file names another module for the kernel's own estimator (a shared store):
    the process trusts only the module the kernel registered it from (and what the user
    trusted), so it never imports the file's module; the search fails with the reason."""
    import sqlite3

    marker = tmp_path / "imported"
    (tmp_path / "evil_mod_never_imported.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nclass Thing:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))  # the process could import it from there
    exp = _exp(tmp_path, trials=2)
    con = sqlite3.connect(tmp_path / "p.db")
    (config,) = con.execute("SELECT config FROM experiments WHERE name = 'p'").fetchone()
    con.execute("UPDATE experiments SET config = ? WHERE name = 'p'", (config.replace(
        "crash_worker:CrashSynth", "evil_mod_never_imported:Thing"),))
    con.commit()
    con.close()
    shared = nb.Experiment.load(tmp_path / "p.db", name="p")  # here: the registered one
    del exp
    shared.start(process=True)
    with pytest.raises(SearchProcessError, match="evil_mod_never_imported"):
        shared.wait(60)
    assert not marker.exists()  # never imported, there or here


def test_the_search_never_waits_for_a_pipe_the_kernel_has_not_read():
    """A finished trial only joins the batch: while a batch's write is blocked (the
    kernel reads slowly), the search's next trials are taken at once and sent next, in
    order. The write stays blocked until the test has looked: the trials were taken
    while it was (the 30 s joins only guard against a hang)."""
    from nasbench_ui.engine.child import Protocol
    from nasbench_ui.engine.events import Event

    class Pipe:
        def __init__(self):
            self.lines, self.open, self.writing = [], threading.Event(), threading.Event()

        def write(self, text):
            self.writing.set()
            assert self.open.wait(120)  # opened by the test once it has looked
            self.lines.append(text)

        def flush(self):
            pass

    pipe = Pipe()
    out = Protocol(pipe)
    out.event(Event("trial_finish", "e", 0, {"state": "COMPLETE"}))
    sender = threading.Thread(target=out.flush, daemon=True)
    searcher = threading.Thread(target=lambda: [
        out.event(Event("trial_finish", "e", n, {"state": "COMPLETE"})) for n in (1, 2)],
        daemon=True)
    try:
        sender.start()
        assert pipe.writing.wait(30)  # the batch's write is stuck in the pipe
        searcher.start()
        searcher.join(30)
        assert not searcher.is_alive() and not pipe.open.is_set()  # did not wait for the write
    finally:
        pipe.open.set()
    sender.join(30)
    out.flush()
    import json
    assert [[n for n, _ in json.loads(line)["finished"]] for line in pipe.lines] == [[0], [1, 2]]


def test_the_search_process_runs_without_handing_over_the_gil(tmp_path):
    """Its experiment is set up with ``yield_gil`` off (no kernel threads there) and the
    kernel's pace."""
    import io

    from nasbench_ui.engine.child import Protocol, open_search

    exp = _exp(tmp_path)
    assert exp.yield_gil is True  # in the kernel, it hands the GIL to the workbench
    there = open_search({"storage": str(tmp_path / "p.db"), "name": exp.name, "pace": 4},
                        Protocol(io.StringIO()))
    assert there.yield_gil is False and there.pace == 4.0


@pytest.fixture
def held_start(monkeypatch):
    """The search process's start is written only once the returned event is set: the
    process waits for it as it would while importing, however long its imports take."""
    from nasbench_ui.engine import child_run

    go = threading.Event()
    send_spec = child_run.ChildRun._send_spec

    def held(self, line):
        go.wait(60)
        send_spec(self, line)

    monkeypatch.setattr(child_run.ChildRun, "_send_spec", held)
    yield go
    go.set()


def test_a_stop_while_the_process_starts_returns_at_once_and_runs_nothing(tmp_path,
                                                                          held_start):
    """Stop pressed while the search's process is still starting (its imports take
    seconds, more on a busy machine): the kernel does not wait for the process, the
    status says "stopping" at once and never goes back to "running", and no trial
    runs. The process's start is held on an event here, so the test does not depend
    on how long its imports take."""
    go = held_start
    exp = _exp(tmp_path, trials=50, seconds=0.2)
    statuses = []
    exp.observe(lambda e: e.kind == "status" and statuses.append(e.data["status"]))
    exp.start(process=True)
    stopper = threading.Thread(target=exp.stop, kwargs={"wait": False})
    try:
        stopper.start()
        stopper.join(20)  # before the change: blocked until the process answered
        assert not stopper.is_alive(), "stop(wait=False) waited for the starting process"
        assert exp.status == "stopping" and exp.running
    finally:
        go.set()
    exp.wait(120)
    assert statuses == ["running", "stopping", "done"], statuses
    assert exp.trials == [] or all(t.state is TrialState.INTERRUPTED for t in exp.trials)


def test_a_pause_while_the_process_starts_returns_at_once_and_holds_it(tmp_path,
                                                                      held_start):
    """Pause pressed while the search's process is still starting: the kernel does not
    wait for it (before, pause() blocked until the process answered), the status says
    "paused" at once, the process's own first "running" (from before it read the pause)
    does not undo it, and the search holds until resume. The start is held on an event,
    as in the stop test above."""
    go = held_start
    exp = _exp(tmp_path, trials=4, seconds=0.2)
    statuses = []
    exp.observe(lambda e: e.kind == "status" and statuses.append(e.data["status"]))
    exp.start(process=True)
    pauser = threading.Thread(target=exp.pause)
    try:
        pauser.start()
        pauser.join(20)
        assert not pauser.is_alive(), "pause() waited for the starting process"
        assert exp.status == "paused" and exp.running
    finally:
        go.set()
    time.sleep(3)  # the process starts, then reads the pause (a trial begun may end)
    held_back = len(exp.finished_trials())
    assert held_back <= 1 and exp.status == "paused" and exp.running
    exp.resume()  # the process is up now: this waits for its answer, milliseconds
    exp.wait(120)
    assert exp.status == "done" and exp.n_done() == 4
    assert statuses == ["running", "paused", "running", "done"], statuses


def test_a_request_that_does_not_wait_is_sent_once_the_start_is(tmp_path):
    """``call(wait=False)`` returns while the start is still being written, and its line
    follows the start on the process's input."""
    import subprocess
    import sys

    from nasbench_ui.engine.child_run import ChildRun

    run = ChildRun("x", emit=lambda e: None, on_status=lambda s: None, on_end=lambda e: None)
    run.proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; print(sys.stdin.readline().strip()); "
         "print(sys.stdin.readline().strip())"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    run.call("stop", wait=False)  # the start is not written yet: sent later, in order
    run._send_spec('{"start": 1}')
    _wait(lambda: not any(t.name == "nasbench-x-request" for t in threading.enumerate()), 30)
    out, _ = run.proc.communicate(timeout=30)
    first, second = out.splitlines()
    assert first == '{"start": 1}' and '"call": "stop"' in second

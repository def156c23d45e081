"""The Dask executor: parallel trials, a worker killed mid-trial, stop and resume.

Each test that runs a search starts a 2-process local cluster (``workers=2``); the
first task on each worker pays for importing torch.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest

import nasbench_ui as nb
from nasbench_ui import estimators
from nasbench_ui.storage import TrialState

pytest.importorskip("distributed")
pytestmark = pytest.mark.dask


def _wait_for(cond, timeout: float, what: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = cond()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_two_workers_run_trials_in_parallel_and_account_for_all(nb201_csv):
    exp = nb.Experiment("nb201", strategy="random", estimator="tabular",
                        estimator_options={"table": str(nb201_csv)}, trials=8, workers=2,
                        seed=1)
    running, peak = set(), [0]

    def on_event(e):
        if e.kind == "trial_start":
            running.add(e.number)
            peak[0] = max(peak[0], len(running))
        elif e.kind == "trial_finish":
            running.discard(e.number)

    exp.observe(on_event)
    exp.run()
    trials = exp.trials
    assert [t.number for t in trials] == list(range(8))
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 8
    assert peak[0] == 2, "with two workers, two trials are pending at once"
    assert trials[0].worker != trials[1].worker, "the first two trials go to different workers"
    assert all(t.worker and t.worker.startswith("tcp://") for t in trials)
    assert all(t.meta["executor"] == "dask" for t in trials)
    # the values are the table's: the driver recorded what the workers looked up
    import pandas as pd

    table = pd.read_csv(nb201_csv).set_index("arch_str")["valid_acc_12ep"]
    assert [t.value for t in trials] == [float(table[exp.space.key(t.arch)]) for t in trials]
    assert exp.executor.client is None, "the cluster the experiment started is closed"
    with pytest.raises(ValueError, match="ran on a Dask worker"):
        exp.best_model()


def test_killed_worker_fails_and_retries_then_stop_and_resume_reruns(sleepy, tmp_path):
    db, gate = tmp_path / "dask.db", tmp_path / "go"
    exp = nb.Experiment("nb201", strategy="evolution",
                        strategy_options={"population": 4, "sample_size": 2},
                        estimator="test_sleepy",
                        estimator_options={"seconds": 0.6, "gate": str(gate)},
                        trials=100, workers=2, retries=1, storage=str(db), seed=2)
    exp.start()
    try:
        # the first trials wait at the gate on their workers, so the victim is surely
        # still running when its worker dies (on a loaded machine a trial found RUNNING
        # in the store could have ended on its worker already; Dask then computes it
        # again elsewhere, and nothing fails)
        victim = _wait_for(
            lambda: next((t for t in exp.trials if t.state is TrialState.RUNNING and t.worker),
                         None), 90, "a trial placed on a worker")
        # the workbench shows the trials in flight and the worker holding each
        wb = nb.Workbench(experiment=exp)
        wb.refresh(full=True)
        assert f"#{victim.number} on <code>{victim.worker}</code>" in wb.controls.status.value
        assert victim.worker in wb.results().set_index("number").loc[victim.number, "worker"]
        client = exp.executor.client
        pid = client.run(os.getpid, workers=[victim.worker])[victim.worker]
        os.kill(pid, signal.SIGKILL)
        gate.touch()
        retry = _wait_for(
            lambda: next((t for t in exp.trials if t.meta.get("retry_of") == victim.number
                          and t.state is TrialState.COMPLETE), None), 60, "the retry")
        _wait_for(lambda: sum(t.state is TrialState.COMPLETE for t in exp.trials) >= 4
                  and any(t.state is TrialState.RUNNING for t in exp.trials), 60,
                  "more trials after the kill")
    finally:
        gate.touch()
        exp.stop(timeout=60)
    assert not exp.running
    trials = exp.trials
    dead = exp.store.trial(exp.name, victim.number)
    assert dead.state is TrialState.FAILED and dead.error.startswith("worker died")
    assert retry.arch == dead.arch and retry.meta["attempt"] == 1
    assert [t.number for t in trials] == list(range(len(trials)))
    assert all(t.finished for t in trials), "no trial is left RUNNING"
    stopped = [t for t in trials if t.state is TrialState.INTERRUPTED]
    assert stopped and all("stopped" in t.error for t in stopped)

    # resume on the thread loop: every interrupted architecture runs again first
    again = nb.Experiment.load(db, estimator_options={"seconds": 0.0})
    again.set_budget(trials=again.n_done() + len(stopped) + 1)
    again.run()
    after = again.trials
    reruns = {t.meta.get("rerun_of"): t for t in after if "rerun_of" in t.meta}
    assert sorted(reruns) == [t.number for t in stopped]
    for t in stopped:
        assert reruns[t.number].arch == t.arch
        assert reruns[t.number].state is TrialState.COMPLETE
    assert [t.number for t in after] == list(range(len(after)))
    assert all(t.finished for t in after)


def test_bad_dask_settings_are_refused_before_anything_is_written(tmp_path):
    db = tmp_path / "bad.db"
    with pytest.raises(ValueError, match="pass the estimator by its registry name"):
        nb.Experiment("nb201", estimator=estimators.create("train"), workers=2, storage=str(db))
    with pytest.raises(ValueError, match="workers must be a positive integer"):
        nb.Experiment("nb201", workers=0, storage=str(db))
    with pytest.raises(ValueError, match="not both"):
        nb.Experiment("nb201", workers=2, executor="tcp://127.0.0.1:1", storage=str(db))
    with pytest.raises(ValueError, match="not a scheduler address"):
        nb.Experiment("nb201", executor="my cluster", storage=str(db))
    with pytest.raises(ValueError, match="executor must be None, a distributed.Client"):
        nb.Experiment("nb201", executor=42, storage=str(db))
    if "darts" in nb.strategies.names() and "darts_epoch" in nb.estimators.names():
        with pytest.raises(ValueError, match="'darts' strategy is sequential"):
            nb.Experiment("darts_cell", strategy="darts", estimator="darts_epoch", workers=2,
                          storage=str(db))
    assert not db.exists() or nb.storage.open_store(str(db)).experiment_names() == []


def test_missing_distributed_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(ImportError, match=r"pip install 'nasbench_ui\[dask\]'"):
        nb.Experiment("nb201", workers=2)


def test_worker_function_reports_a_timeout_and_returns_plain_json(sleepy, tmp_path):
    """The trial waits at a gate that opens only after 30 s (a guard against a hang,
    nothing more): cut at its 0.2 s timeout, it fails with no epoch reported, the gate
    still shut (not timed: a slow machine only makes it later)."""
    import json
    import threading

    from nasbench_ui.executors.worker import run_trial

    space = nb.spaces.nb201()
    arch = {label: "nor_conv_3x3" for label in space.labels}
    gate = tmp_path / "gate"
    task = {"number": 3, "arch": arch, "space": space.to_dict(), "estimator": "test_sleepy",
            "estimator_options": {"seconds": 0.0, "gate": str(gate)},
            "estimator_module": "dask_estimators", "estimator_class": "Sleepy",
            "dataset": "digits", "dataset_options": {}, "seed": 0, "device": "auto",
            "timeout": 0.2}
    liveness = threading.Timer(30.0, gate.touch)  # then it would complete: the test fails
    liveness.start()
    try:
        out = run_trial(task)
    finally:
        liveness.cancel()
    assert not gate.exists() and out["curve"] == []  # cut while it waited at the gate
    assert out["state"] == "FAILED" and out["error"].startswith("timeout after 0.2 s")
    import torch

    assert out["worker"] is None and out["threads"] == torch.get_num_threads()
    assert out["device"] == ("cuda:0" if torch.cuda.is_available() else "cpu")
    ok = run_trial({**task, "estimator_options": {"seconds": 0.0}, "timeout": None})
    assert ok["state"] == "COMPLETE" and ok["value"] == 1.0 and len(ok["curve"]) == 2
    assert json.loads(json.dumps(ok)) == ok

"""The Dask driver sends a trial only the history it reads (issue 16, point 4).

An estimator without ``HISTORY`` gets no history; one with it gets the declared fields of
the trials finished since its worker's last task, and its rule decides as it would on
the whole history.
"""

from __future__ import annotations

import pickle
import random

import pytest

import nasbench_ui as nb
from nasbench_ui.estimators import EstimateContext, Pruned
from nasbench_ui.estimators.base import HistoryNotDeclared, history_fields
from nasbench_ui.estimators.early_stop import EarlyStopEstimator
from nasbench_ui.executors.history import HistoryGap, HistoryLog, WorkerHistory
from nasbench_ui.executors.worker import run_trial
from nasbench_ui.storage import MemoryStore, TrialState

N_TRIALS = 40


def _finish(store, name, value, curve=(), state=TrialState.COMPLETE):
    n = store.create_trial(name, {"op": f"a{value}"})
    for point in curve:
        store.append_curve(name, n, point)
    store.finish_trial(name, n, state, value=value, metrics={"valid_acc": value, "big": "x" * 50})
    return n


# ------------------------------------------------------------------ the log itself
def test_log_sends_each_worker_only_what_it_lacks_and_workers_rebuild_the_snapshot():
    store = MemoryStore()
    name = store.create_experiment("e", {})
    log = HistoryLog(store, name, ("value",))
    w1, w2 = WorkerHistory(), WorkerHistory()
    for v in (0.1, 0.2, 0.3):
        _finish(store, name, v)
    running = store.create_trial(name, {"op": "running"})  # not finished: never sent

    first = log.payload("w1")
    assert (first["start"], first["end"]) == (0, 3)
    assert first["updates"][0] == {"number": 0, "state": "COMPLETE", "value": 0.1}
    assert [t.value for t in w1.view(first)] == [0.1, 0.2, 0.3]
    log.ack("w1", w1.held(first["id"]))

    _finish(store, name, 0.4)
    second = log.payload("w1")
    assert (second["start"], second["end"], len(second["updates"])) == (3, 4, 1)
    view = w1.view(second)
    assert [t.number for t in view] == [0, 1, 2, 4] and running not in [t.number for t in view]
    assert view[-1].metrics == {} and view[-1].value == 0.4, "only the declared fields travel"
    log.ack("w1", w1.held(second["id"]))

    # another worker that was never acknowledged gets everything
    other = log.payload("w2")
    assert (other["start"], len(other["updates"])) == (0, 4)
    # a worker that holds less than the task assumes (restarted): a gap, nothing applied
    log.ack("w2", 3)
    with pytest.raises(HistoryGap) as gap:
        w2.view(log.payload("w2"))
    assert gap.value.held == 0 and w2.held(other["id"]) == 0
    assert [t.value for t in w2.view(log.payload("w2", full=True))] == [0.1, 0.2, 0.3, 0.4]
    # an older snapshot on a worker that already holds more: the older one, exactly
    assert [t.number for t in w1.view(first)] == [0, 1, 2]
    assert [t.number for t in w1.view(second)] == [0, 1, 2, 4]


def test_a_log_for_an_estimator_without_history_sends_nothing():
    store = MemoryStore()
    name = store.create_experiment("e", {})
    _finish(store, name, 0.5)
    assert HistoryLog(store, name, ()).payload("w1") is None


def test_bad_payloads_are_value_errors():
    held = WorkerHistory()
    with pytest.raises(ValueError, match="must be a dict with id, start, end and updates"):
        held.view({"id": "x", "start": 0})
    with pytest.raises(ValueError, match=r"holds 1 updates for the range \[0, 2\)"):
        held.view({"id": "x", "start": 0, "end": 2, "updates": [{"number": 0}]})


def test_history_declarations_are_explicit_and_checked(sleepy, tmp_path):
    assert history_fields(EarlyStopEstimator) == ("curve",)
    assert history_fields(nb.estimators.get("lce")) == ("value", "metrics")
    assert history_fields(nb.estimators.get("train")) == ()
    assert history_fields(nb.estimators.get("tabular")) == ()
    db = tmp_path / "bad.db"
    with pytest.raises(ValueError, match=r"BadHistory.HISTORY lists unknown trial field\(s\) "
                                         r"\['curves'\]"):
        nb.Experiment("nb201", estimator="test_bad_history", workers=2, storage=str(db))
    assert not db.exists() or nb.storage.open_store(str(db)).experiment_names() == []


# ------------------------------------------------- the worker function, no cluster
def _task(space, arch, estimator, options, number, history=None):
    task = {"number": number, "arch": arch, "space": space.to_dict(), "estimator": estimator,
            "estimator_options": options, "estimator_module": None, "estimator_class": None,
            "dataset": "digits", "dataset_options": {}, "seed": 0, "device": "cpu"}
    if history is not None:
        task["history"] = history
    return task


@pytest.mark.parametrize("others_acc", [0.99, 0.05])
def test_early_stop_on_a_worker_decides_as_with_the_whole_history(others_acc):
    """The median rule with the compact history a task carries == with the full trials."""
    space = nb.spaces.mlp()
    arch = space.sample(random.Random(4))
    options = {"epochs": 3, "subset": 0.2, "latency_runs": 0, "patience": 3}
    store = MemoryStore()
    name = store.create_experiment("e", {})
    for _ in range(4):  # four finished trials whose curves are all at others_acc
        _finish(store, name, others_acc,
                [{"epoch": e, "valid_acc": others_acc, "train_loss": 1.0} for e in (1, 2, 3)])
    _finish(store, name, None, state=TrialState.FAILED)  # not counted by the rule
    full = [t for t in store.trials(name) if t.finished]
    number = len(full)

    # as the thread loop runs it: the whole Trial objects
    ctx = EstimateContext(space=space, dataset=nb.data.load("digits"), number=number,
                          history_fn=lambda: full)
    try:
        direct = ("COMPLETE", EarlyStopEstimator(**options).estimate(arch, ctx).value)
    except Pruned as p:
        direct = ("PRUNED", p.value)
    # as a Dask worker runs it: only number, state and curve travel
    payload = HistoryLog(store, name, history_fields(EarlyStopEstimator)).payload(None)
    assert set(payload["updates"][0]) == {"number", "state", "curve"}
    out = run_trial(_task(space, arch, "early_stop", options, number, payload))
    assert (out["state"], out["value"]) == direct
    assert [p["valid_acc"] for p in out["curve"]] == [p["valid_acc"] for p in ctx.curve]
    assert out["history_held"] == len(full)
    expected = "PRUNED" if others_acc > 0.9 else "COMPLETE"
    assert out["state"] == expected, out["error"]
    if expected == "PRUNED":
        assert "median stopping rule" in out["error"] and "of 4 finished trials" in out["error"]


def test_an_undeclared_history_read_fails_the_trial_with_the_fix(sleepy):
    space = nb.spaces.nb201()
    arch = {label: "skip_connect" for label in space.labels}
    out = run_trial(_task(space, arch, "test_nosy", {}, 0))
    assert out["state"] == "FAILED"
    assert "Nosy called ctx.history() but declares no HISTORY" in out["error"]
    assert HistoryNotDeclared.__mro__[1] is ValueError
    ok = run_trial(_task(space, arch, "test_median", {}, 0))
    assert ok["state"] == "COMPLETE" and ok["metrics"]["seen"] == []


# ------------------------------------------------------------ the driver, on Dask
def _record_tasks(monkeypatch) -> list[dict]:
    """Wrap ``distributed.Client.submit``: keep every trial task the driver sends."""
    import distributed

    sent: list[dict] = []
    submit = distributed.Client.submit

    def spy(self, func, *args, **kwargs):
        if func is run_trial:
            task = args[0]
            sent.append({"task": task, "size": len(pickle.dumps(task)),
                         "history_size": len(pickle.dumps(task.get("history")))})
        return submit(self, func, *args, **kwargs)

    monkeypatch.setattr(distributed.Client, "submit", spy)
    return sent


@pytest.mark.dask
def test_a_task_without_history_does_not_grow_with_the_trial_number(sleepy, monkeypatch):
    pytest.importorskip("distributed")
    sent = _record_tasks(monkeypatch)
    exp = nb.Experiment("nb201", strategy="random", estimator="test_sleepy",
                        estimator_options={"seconds": 0.0}, trials=N_TRIALS, workers=2, seed=5)
    exp.run()
    assert [t.state for t in exp.trials] == [TrialState.COMPLETE] * N_TRIALS
    assert len(sent) == N_TRIALS
    assert all("history" not in s["task"] for s in sent)
    # the size only varies with the architecture's op names and the trial number's digits
    without_arch = [len(pickle.dumps({**s["task"], "arch": None, "number": 0})) for s in sent]
    assert len(set(without_arch)) == 1
    first, last = sent[:10], sent[-10:]
    assert max(s["size"] for s in last) <= max(s["size"] for s in first) + 64


@pytest.mark.dask
def test_the_median_rule_on_dask_gets_only_new_curves_and_decides_as_on_the_whole_history(
        sleepy, monkeypatch):
    pytest.importorskip("distributed")
    sent = _record_tasks(monkeypatch)
    exp = nb.Experiment("nb201", strategy="random", estimator="test_median", trials=N_TRIALS,
                        workers=2, seed=6)
    exp.run()
    trials = exp.trials
    assert [t.number for t in trials] == list(range(N_TRIALS))
    states = [t.state for t in trials]
    assert set(states) == {TrialState.COMPLETE, TrialState.PRUNED}, states

    # what travelled: each finished trial at most once per worker (plus a rare full resend),
    # where the whole history each time would be one record per finished trial per task
    histories = [s["task"]["history"] for s in sent]
    assert all(set(u) == {"number", "state", "curve"} for h in histories for u in h["updates"])
    total = sum(len(h["updates"]) for h in histories)
    resends = len(sent) - N_TRIALS
    whole = sum(h["end"] for h in histories)
    assert total <= 2 * N_TRIALS + resends * N_TRIALS, (total, resends)
    assert whole >= 300 and total * 4 < whole, (total, whole)
    later = [s["history_size"] for s in sent[N_TRIALS // 2:]]
    full_later = [len(pickle.dumps([{"number": t.number, "state": t.state.name,
                                     "curve": t.curve} for t in trials[:h["end"]]]))
                  for h in histories[N_TRIALS // 2:]]
    assert sum(later) * 3 < sum(full_later), (sum(later), sum(full_later))

    # each trial saw a consistent snapshot: every trial finished before it was sent
    # (the thread loop's exp.finished_trials() at that moment), in number order
    by_number = {t.number: t for t in trials}
    for t in trials:
        seen = t.metrics["seen"]
        assert seen == sorted(seen)
        before = {o.number for o in trials if o.finished_at <= t.started_at and o is not t}
        assert before <= set(seen), (t.number, sorted(before - set(seen)))
        cut = max([t.started_at, *(by_number[n].finished_at for n in seen)])
        assert set(seen) == {o.number for o in trials if o.finished_at <= cut and o is not t}
        # and the rule decides as it does on the full stored trials of that snapshot
        full = [by_number[n] for n in seen]
        stop = sleepy.median_decision(sleepy.synthetic_curve(t.arch), full, t.number)
        assert t.state is (TrialState.PRUNED if stop else TrialState.COMPLETE), t.number
        assert len(t.curve) == (stop or sleepy.MEDIAN_EPOCHS)

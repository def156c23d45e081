"""The experiment engine: loop, fault handling, background control, resume, results."""

from __future__ import annotations

import math
import threading

import pytest

import nasbench_ui as nb
from nasbench_ui.estimators import Estimate, Pruned, TrialFailed


class Synthetic:
    """A fast estimator: value = number of 3x3 convs in an nb201 cell (plus the trial's epoch curve)."""

    NAME = "synthetic"
    OPTIONS: dict = {}

    def __init__(self, fail_on: set[int] | None = None, nan_on: set[int] | None = None,
                 gate: threading.Event | None = None, prune_on: set[int] | None = None) -> None:
        self.fail_on, self.nan_on, self.prune_on = fail_on or set(), nan_on or set(), prune_on or set()
        self.gate = gate
        self.calls = 0

    def estimate(self, arch, ctx):
        self.calls += 1
        if self.gate is not None:
            while not self.gate.wait(0.01):
                ctx.check_stop()
        score = sum(v == "nor_conv_3x3" for v in arch.values()) / 6
        ctx.report({"epoch": 1, "valid_acc": score / 2})
        ctx.report({"epoch": 2, "valid_acc": score})
        if ctx.number in self.fail_on:
            raise RuntimeError("boom in trial")
        if ctx.number in self.nan_on:
            raise TrialFailed("loss became NaN at epoch 1")
        if ctx.number in self.prune_on:
            raise Pruned("pruned: median rule", value=score / 2, metrics={"valid_acc": score / 2})
        return Estimate(score, {"valid_acc": score, "cost_s": 1.0})


def make(**kw):
    kw.setdefault("estimator", Synthetic())
    kw.setdefault("trials", 6)
    return nb.Experiment(nb.spaces.nb201(), **kw)


def test_run_records_every_trial():
    exp = make(strategy="random").run()
    df = exp.results()
    assert len(df) == 6
    assert df["state"].tolist() == ["COMPLETE"] * 6
    assert df["number"].tolist() == list(range(6))
    assert {"1<-0", "valid_acc", "cost_s", "duration_s", "arch", "value"} <= set(df.columns)
    assert all(len(t.curve) == 2 for t in exp.trials)


def test_failures_are_recorded_and_search_goes_on():
    exp = make(estimator=Synthetic(fail_on={1}, nan_on={3}, prune_on={4})).run()
    states = [t.state.name for t in exp.trials]
    assert states == ["COMPLETE", "FAILED", "COMPLETE", "FAILED", "PRUNED", "COMPLETE"]
    assert "boom in trial" in exp.trials[1].error
    assert "NaN" in exp.trials[3].error
    assert exp.trials[4].curve and exp.trials[4].value is not None


def test_consecutive_failures_stop_with_message():
    exp = make(estimator=Synthetic(fail_on=set(range(100))), trials=50, max_failures=3).run()
    assert len(exp.trials) == 3
    assert "3 consecutive failed trials" in exp.last_error and "boom" in exp.last_error
    assert "Start in the workbench" in exp.last_error  # Resume is for a paused run only


def test_start_returns_while_first_trial_runs_then_pause_resume_stop():
    gate = threading.Event()
    exp = make(estimator=Synthetic(gate=gate), trials=100)
    exp.start()
    try:
        assert exp.running
        import time
        deadline = time.time() + 30  # the data set loads on the search thread
        while not exp.trials and time.time() < deadline:
            time.sleep(0.01)
        assert exp.trials[0].state.name == "RUNNING"  # start() returned mid-trial
        exp.pause()
        gate.set()
        import time
        time.sleep(0.3)
        n_paused = len(exp.trials)
        time.sleep(0.3)
        assert len(exp.trials) == n_paused, "no trial starts while paused"
        assert exp.status == "paused"
        exp.resume()
        deadline = time.time() + 10
        while len(exp.trials) < n_paused + 3 and time.time() < deadline:
            time.sleep(0.01)
        assert len(exp.trials) >= n_paused + 3
        gate.clear()
        exp.stop()
    finally:
        gate.set()
        exp.stop()
    assert not exp.running
    assert exp.trials[-1].state.name in ("INTERRUPTED", "COMPLETE")
    assert all(t.finished for t in exp.trials)


def test_stop_mid_trial_marks_interrupted_and_rerun_gets_new_number(tmp_path):
    gate = threading.Event()
    db = tmp_path / "r.db"
    exp = make(estimator=Synthetic(gate=gate), storage=str(db), strategy="evolution",
               strategy_options={"population": 4, "sample_size": 2})
    exp.start()
    import time
    time.sleep(0.2)
    exp.stop()
    first = exp.trials
    assert [t.state.name for t in first] == ["INTERRUPTED"]
    exp2 = nb.Experiment.load(db, estimator=Synthetic())
    exp2.run()
    trials = exp2.trials
    assert len(trials) == 7 and trials[0].state.name == "INTERRUPTED"
    assert trials[1].arch == first[0].arch  # the interrupted architecture runs again, as number 1
    assert [t.state.name for t in trials[1:]] == ["COMPLETE"] * 6


@pytest.mark.parametrize("strategy,options", [
    ("random", {}), ("evolution", {"population": 4, "sample_size": 2}), ("reinforce", {}),
    ("local_search", {}),
])
def test_resume_continues_exactly(tmp_path, strategy, options):
    full = make(strategy=strategy, strategy_options=options, trials=10, seed=3).run()
    db = tmp_path / "x.db"
    part = make(strategy=strategy, strategy_options=options, trials=5, seed=3, storage=str(db)).run()
    assert len(part.trials) == 5
    again = nb.Experiment.load(db, estimator=Synthetic())
    again.set_budget(trials=10)
    again.run()
    got = again.trials
    assert [t.number for t in got] == list(range(10))
    assert [t.arch for t in got] == [t.arch for t in full.trials]


def test_stored_trials_equal_results(tmp_path):
    db = tmp_path / "s.db"
    exp = make(storage=str(db)).run()
    df = exp.results()
    reopened = nb.Experiment.load(db, estimator=Synthetic())
    stored = reopened.trials
    assert df["number"].tolist() == [t.number for t in stored]
    assert df["value"].tolist() == [t.value for t in stored]
    assert df["arch"].tolist() == [t.arch for t in stored]
    assert df["state"].tolist() == [t.state.name for t in stored]


def test_new_experiment_on_existing_file_never_resumes(tmp_path):
    db = tmp_path / "n.db"
    a = make(storage=str(db), trials=2).run()
    b = make(storage=str(db), trials=2)
    assert a.name != b.name
    assert b.trials == []
    assert nb.Experiment.load(db, estimator=Synthetic()).name == b.name
    assert nb.Experiment.load(db, name=a.name, estimator=Synthetic()).name == a.name


def test_bad_input_writes_nothing(tmp_path):
    db = tmp_path / "b.db"
    with pytest.raises(ValueError, match="unknown strategy 'nope'"):
        make(strategy="nope", storage=str(db))
    with pytest.raises(ValueError, match="valid options are"):
        make(strategy="evolution", strategy_options={"populaton": 3}, storage=str(db))
    with pytest.raises(ValueError, match="unknown estimator"):
        nb.Experiment("nb201", estimator="nope", trials=2, storage=str(db))
    with pytest.raises(ValueError, match="unknown data set 'nope'"):
        make(dataset="nope", storage=str(db))
    with pytest.raises(ValueError, match="trials must be a positive integer"):
        make(trials=0, storage=str(db))
    with pytest.raises(ValueError, match="seconds must be a positive number"):
        make(seconds=-1, storage=str(db))
    from nasbench_ui.storage import open_store

    assert not db.exists() or open_store(str(db)).experiment_names() == []


def test_seconds_budget_counts_cost():
    exp = make(trials=None, seconds=4.0).run()
    assert len(exp.trials) == 4
    assert math.isclose(exp.spent_s(), 4.0)


def test_observers_get_events():
    events = []
    exp = make(trials=2)
    exp.observe(lambda e: events.append((e.kind, e.number)))
    exp.observe(lambda e: 1 / 0)  # a broken observer never stops the search
    exp.run()
    kinds = [k for k, _ in events]
    assert kinds.count("trial_start") == 2 and kinds.count("trial_finish") == 2
    assert kinds.count("curve") == 4
    assert kinds[0] == "status" and kinds[-1] == "status"


def test_best_and_best_model_reproduce_valid_acc(tmp_path):
    db = tmp_path / "m.db"
    exp = nb.Experiment("keras_cnn", strategy="random", estimator="train",
                        estimator_options={"epochs": 1, "latency_runs": 1}, trials=2, seed=0,
                        storage=str(db))
    exp.run()
    best = exp.best()
    import torch
    ds = exp.dataset
    for model in (exp.best_model(), nb.Experiment.load(db).best_model()):
        model.eval()
        with torch.no_grad():
            acc = (model(ds.x_valid).argmax(1) == ds.y_valid).float().mean().item()
        assert acc == pytest.approx(best.metrics["valid_acc"], abs=1e-6)


def test_device_auto_is_cpu_here():
    exp = make(trials=1, device="auto")
    import torch
    assert exp.device == ("cuda:0" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="unknown device"):
        make(device="tpu9")


def test_a_background_search_hands_over_the_gil_between_trials(monkeypatch):
    """start() yields (time.sleep(0)) between trials, at most every YIELD_INTERVAL_S, so
    that the kernel's cells run; a blocking run() in the main thread has nobody to yield
    to and does not, nor does a search with ``yield_gil`` off (engine/child.py)."""
    import time as real_time

    from nasbench_ui.engine import loop as loop_mod  # the module that steps the search

    zeros = []

    class Clock:
        def __getattr__(self, name):
            return getattr(real_time, name)

        @staticmethod
        def sleep(s):
            if s == 0:
                zeros.append(threading.current_thread().name)
            real_time.sleep(s)

    monkeypatch.setattr(loop_mod, "time", Clock())
    monkeypatch.setattr(loop_mod, "YIELD_INTERVAL_S", 0.0)  # every trial
    make(strategy="random").run()
    assert zeros == []
    exp = make(strategy="random").start()
    exp.wait(30)
    assert len(zeros) == 6 and all(name.startswith("nasbench-") for name in zeros)
    zeros.clear()
    monkeypatch.setattr(loop_mod, "YIELD_INTERVAL_S", 3600.0)  # once, then not for an hour
    exp = make(strategy="random").start()
    exp.wait(30)
    assert len(zeros) == 1 and zeros[0].startswith("nasbench-")
    zeros.clear()
    monkeypatch.setattr(loop_mod, "YIELD_INTERVAL_S", 0.0)
    exp = make(strategy="random")
    exp.yield_gil = False  # as the search's own process sets it: no kernel threads there
    exp.start().wait(30)
    assert zeros == [] and exp.n_done() == 6


def test_trials_budget_counts_retries_as_the_store_does():
    # the loop keeps its own count of finished trials (issue 14: no store read per
    # trial); a FAILED trial that is retried stops counting when its retry starts
    exp = make(estimator=Synthetic(fail_on={0, 2, 5}), trials=6, retries=1).run()
    counted = [t for t in exp.trials if t.state.counted]
    retried = {t.meta["retry_of"] for t in exp.trials if "retry_of" in t.meta}
    assert retried == {0, 2, 5}
    assert len(counted) - len(retried) == 6 == exp.n_done()
    assert exp.trials[-1].state is nb.TrialState.COMPLETE


def test_trials_budget_lowered_below_the_count_ends_the_search():
    exp = make(trials=50)
    exp.observe(lambda e: e.kind == "trial_finish" and e.number == 3
                and exp.set_budget(trials=2))
    exp.run()
    assert len(exp.trials) == 4 and exp.n_done() == 4


def test_random_search_resumes_a_state_saved_before_its_counted_generator(tmp_path):
    # a store written before the strategy counted its generator's draws holds the full
    # Mersenne Twister state; resuming it continues the same sequence
    from nasbench_ui.strategies.base import rng_state

    full = make(strategy="random", trials=8, seed=5).run()
    db = tmp_path / "old.db"
    part = make(strategy="random", trials=4, seed=5, storage=str(db)).run()
    state = part.store.load_experiment(part.name)["strategy_state"]
    assert state["rng_from"] is None and state["rng_words"] > 0
    legacy = make(strategy="random", trials=8, seed=5).strategy
    legacy.load_state_dict(state)
    old = {k: v for k, v in state.items() if not k.startswith("rng")}
    part.store.save_strategy_state(part.name, {**old, "rng": rng_state(legacy.rng)})
    part.store.close()
    again = nb.Experiment.load(db, estimator=Synthetic())
    again.set_budget(trials=8)
    again.run()
    assert [t.arch for t in again.trials] == [t.arch for t in full.trials]
    resumed = again.store.load_experiment(again.name)["strategy_state"]
    assert resumed["rng_from"] is not None and resumed["rng_words"] > 0

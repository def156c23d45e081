"""Steering a search mid-run: budget, constraints and strategy change from the next trial."""

from __future__ import annotations

import threading
import time

import pytest

import nasbench_ui as nb
from nasbench_ui.constraints import arch_params
from nasbench_ui.estimators import Estimate

SPACE = nb.spaces.nb201()


class Fast:
    """A synthetic estimator: the share of 3x3 convs; trial ``block_on`` waits for ``gate``."""

    NAME, OPTIONS = "fast", {}

    def __init__(self, block_on: int | None = None) -> None:
        self.block_on, self.gate = block_on, threading.Event()

    def estimate(self, arch, ctx):
        if ctx.number == self.block_on:
            while not self.gate.wait(0.01):
                ctx.check_stop()
        score = sum(v == "nor_conv_3x3" for v in arch.values()) / 6
        ctx.report({"epoch": 1, "valid_acc": score})
        return Estimate(score, {"valid_acc": score})


class Counting:
    """A random strategy that remembers how many results it had heard at its first ask."""

    NAME, OPTIONS = "counting", {}

    def __init__(self, space) -> None:
        self.inner = nb.strategies.create("random", space, seed=5)
        self.told: list[int] = []
        self.told_at_first_ask: int | None = None

    def ask(self):
        if self.told_at_first_ask is None:
            self.told_at_first_ask = len(self.told)
        return self.inner.ask()

    def tell(self, arch, value, trial=None):
        self.told.append(trial.number)

    def state_dict(self):
        return {"told": self.told}

    def load_state_dict(self, state):
        self.told = list(state["told"])


def make(**kw):
    kw.setdefault("estimator", Fast())
    kw.setdefault("trials", 8)
    return nb.Experiment(SPACE, **kw)


def after_trial(exp, k, action):
    """Run ``action()`` once, on the search thread, when trial ``k`` finishes."""
    def on_event(event):
        if event.kind == "trial_finish" and event.number == k:
            action()
    exp.observe(on_event)


def test_lowered_budget_ends_the_search_after_the_running_trial():
    exp = make(trials=10)
    exp.observe(lambda e: exp.set_budget(trials=2) if e.kind == "trial_start" and e.number == 4
                else None)
    exp.run()
    assert len(exp.trials) == 5 and all(t.finished for t in exp.trials)
    assert exp.config.trials == 2 and exp.status == "done"


def test_raised_budget_continues_a_finished_search_and_keeps_the_other_bound():
    exp = make(trials=3, seconds=3600).run()
    assert exp.status == "done" and len(exp.trials) == 3
    exp.set_budget(trials=5)
    assert (exp.config.trials, exp.config.seconds) == (5, 3600)
    exp.start().wait(60)
    assert len(exp.trials) == 5 and exp.n_done() == 5
    exp.set_budget(seconds=None)
    assert (exp.config.trials, exp.config.seconds) == (5, None)


def test_constraint_applies_from_the_next_trial_and_empty_removes_it():
    k, bound = 3, 1000
    exp = make(trials=10, seed=0)
    after_trial(exp, k, lambda: exp.set_constraints({"params": {"max": bound}}))
    exp.run()
    params = [arch_params(SPACE, t.arch) for t in exp.trials]
    assert any(p > bound for p in params[: k + 1]), "the seed must give an early trial above it"
    assert all(p <= bound for p in params[k + 1:]) and len(params) == 10
    assert exp.config.constraints == {"params": {"max": bound}}
    assert exp.strategy.constraint is not None
    exp.set_constraints({})
    assert exp.config.constraints == {} and exp.strategy.constraint is None


def test_switch_keeps_the_history_and_marks_each_trial_with_its_proposer():
    k = 3
    exp = make(trials=8)
    counting = Counting(SPACE)
    after_trial(exp, k, lambda: exp.switch_strategy(counting))
    exp.run()
    assert counting.told_at_first_ask == k + 1
    assert counting.told == list(range(8)), "history in order, then each new result"
    assert [t.meta["strategy"] for t in exp.trials] == ["random"] * (k + 1) + ["counting"] * 4
    # an object written to the protocol (no Strategy base) runs inside a StrategyAdapter
    assert exp.strategy.inner is counting and exp.config.strategy == "counting"


def test_switch_to_evolution_starts_from_the_history_while_paused():
    k = 4
    est = Fast(block_on=k)
    exp = make(estimator=est, trials=9)
    exp.start()
    try:
        deadline = time.monotonic() + 30
        while len(exp.trials) <= k and time.monotonic() < deadline:
            time.sleep(0.01)
        exp.pause()
        exp.switch_strategy("evolution", {"population": 5, "sample_size": 2})
        assert exp.config.strategy == "evolution" and exp.trials[k].state.name == "RUNNING"
        est.gate.set()
        exp.resume()
        exp.wait(60)
    finally:
        est.gate.set()
        exp.stop()
    trials = exp.trials
    assert [t.meta["strategy"] for t in trials] == ["random"] * (k + 1) + ["evolution"] * 4
    assert all(t.meta["parent"] <= k for t in trials[k + 1: k + 2]), "its parent comes from history"
    assert {m["number"] for m in exp.strategy.population} >= set(range(k + 1, 9))


def test_switch_and_constraints_survive_load(tmp_path):
    db = str(tmp_path / "s.db")
    exp = make(trials=4, storage=db)
    after_trial(exp, 1, lambda: (exp.switch_strategy("evolution", {"population": 3, "sample_size": 2}),
                                 exp.set_constraints({"params": {"max": 6000}})))
    exp.run()
    again = nb.Experiment.load(db, estimator=Fast())
    cfg = again.config
    assert (cfg.strategy, cfg.strategy_options["population"]) == ("evolution", 3)
    assert cfg.constraints == {"params": {"max": 6000}} and cfg.trials == 4
    again.set_budget(trials=6)
    again.run()
    assert [t.meta["strategy"] for t in again.trials] == ["random"] * 2 + ["evolution"] * 4
    assert all(arch_params(SPACE, t.arch) <= 6000 for t in again.trials[2:])
    assert nb.Experiment.load(db, estimator=Fast()).config.trials == 6


def test_a_switch_stored_before_its_state_replays_the_history_on_resume(tmp_path):
    db = str(tmp_path / "r.db")
    exp = make(trials=3, storage=db).run()
    cfg = exp.config.to_dict()
    cfg.update(strategy="evolution", strategy_options={"population": 10, "sample_size": 2})
    exp.store.update_config(exp.name, cfg)  # as if the process died before the state was saved
    again = nb.Experiment.load(db, estimator=Fast(), trials=5)
    again.run()
    assert len(again.trials) == 5
    assert [m["number"] for m in again.strategy.population] == [0, 1, 2, 3, 4]


def test_each_change_is_an_event():
    exp = make(trials=2)
    seen = []
    exp.observe(lambda e: seen.append(e.data) if e.kind == "steer" else None)
    exp.set_budget(trials=3)
    exp.set_constraints({"params": {"max": 5000}})
    exp.switch_strategy("local_search")
    assert [d["change"] for d in seen] == ["budget", "constraints", "strategy"]
    assert seen[0]["new"]["trials"] == 3 and seen[0]["old"]["trials"] == 2
    assert seen[2]["new"]["strategy"] == "local_search" and seen[2]["old"]["strategy"] == "random"


@pytest.mark.parametrize("call,message", [
    (lambda e: e.set_budget(trials=0), "trials must be a positive integer"),
    (lambda e: e.set_budget(seconds=-1), "seconds must be a positive number"),
    (lambda e: e.set_budget(trials=None), "give a budget"),
    (lambda e: e.set_constraints({"flops": {"max": 1}}), "cannot be checked before a trial"),
    (lambda e: e.set_constraints({"params": {"max": "x"}}), "must be a finite number"),
    (lambda e: e.set_constraints({"params": 5}), "must be like"),
    (lambda e: e.switch_strategy("nope"), "unknown strategy 'nope'"),
    (lambda e: e.switch_strategy("evolution", {"pop": 2}), "valid options are"),
    (lambda e: e.switch_strategy("darts"), "one-shot and runs only with the estimator 'darts_epoch'"),
])
def test_bad_steering_is_refused_and_changes_nothing(call, message):
    exp = make(trials=2)
    before = exp.config
    with pytest.raises(ValueError, match=message):
        call(exp)
    assert exp.config == before and exp.strategy_label == "random"


def test_one_shot_strategy_needs_its_estimator_up_front():
    with pytest.raises(ValueError, match="'darts' is one-shot .* 'darts_epoch', not 'train'"):
        nb.Experiment(nb.spaces.nb201(4), strategy="darts", estimator="train", trials=2)
    exp = nb.Experiment(nb.spaces.nb201(4), strategy="darts", trials=2)
    assert exp.config.estimator == "darts_epoch"
    assert nb.Experiment(SPACE, trials=2).config.estimator == "train"
    with pytest.raises(ValueError, match="runs only with the one-shot strategy 'darts'"):
        exp.switch_strategy("random")

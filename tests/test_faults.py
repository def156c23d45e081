"""The fault policy on the thread loop: retries, trial_timeout, max_failures, error texts."""

from __future__ import annotations

import time

import pytest

import nasbench_ui as nb
from nasbench_ui.estimators import Estimate
from nasbench_ui.storage import TrialState


def score(arch):
    return sum(v == "nor_conv_3x3" for v in arch.values()) / 6


class Flaky:
    """Fails the first ``fail_calls`` calls (by call count), then scores the cell."""

    NAME, OPTIONS = "flaky", {}

    def __init__(self, fail_calls: int = 1, message: str = "flaky hardware") -> None:
        self.fail_calls, self.message, self.calls = fail_calls, message, 0

    def estimate(self, arch, ctx):
        self.calls += 1
        ctx.report({"epoch": 1, "valid_acc": score(arch)})
        if self.calls <= self.fail_calls:
            raise RuntimeError(f"{self.message} (call {self.calls})")
        return Estimate(score(arch), {"valid_acc": score(arch)})


class Slow:
    """Trial numbers in ``slow_on`` spin (checking for a stop) for ``seconds``: a test
    that expects them cut never lets them run out (the 30 s only guard against a hang).
    ``cut`` lists the trials a stop or a timeout ended, ``ran_out`` those that spun
    their full time."""

    NAME, OPTIONS = "slow", {}

    def __init__(self, slow_on=(0,), seconds: float = 30.0) -> None:
        self.slow_on, self.seconds = set(slow_on), seconds
        self.cut: list[int] = []
        self.ran_out: list[int] = []

    def estimate(self, arch, ctx):
        if ctx.number in self.slow_on:
            end = time.monotonic() + self.seconds
            while time.monotonic() < end:
                try:
                    ctx.check_stop()
                except BaseException:
                    self.cut.append(ctx.number)
                    raise
                time.sleep(0.005)
            self.ran_out.append(ctx.number)
        return Estimate(score(arch), {"valid_acc": score(arch)})


def make(estimator, **kw):
    kw.setdefault("trials", 4)
    return nb.Experiment(nb.spaces.nb201(), estimator=estimator, **kw)


def test_retry_runs_the_failed_architecture_again_under_a_new_number():
    exp = make(Flaky(fail_calls=1), strategy="evolution", retries=2,
               strategy_options={"population": 4, "sample_size": 2}).run()
    t = exp.trials
    assert [x.state.name for x in t] == ["FAILED", "COMPLETE", "COMPLETE", "COMPLETE", "COMPLETE"]
    assert "flaky hardware (call 1)" in t[0].error and "\n  at " in t[0].error
    assert t[1].arch == t[0].arch and t[1].meta["retry_of"] == 0 and t[1].meta["attempt"] == 1
    assert all("retry_of" not in x.meta for x in t[2:])
    assert exp.n_done() == 4, "the retried FAILED trial does not count toward the budget"
    # the strategy heard the retry's result only, not the failure
    members = [m["number"] for m in exp.strategy.state_dict()["population"]]
    assert 1 in members and 0 not in members


def test_retries_run_out_and_the_search_goes_on():
    exp = make(Flaky(fail_calls=3), retries=2, trials=2).run()
    t = exp.trials
    # the last failed attempt counts toward trials=2, the earlier ones were retried
    assert [x.state.name for x in t] == ["FAILED", "FAILED", "FAILED", "COMPLETE"]
    assert exp.n_done() == 2
    assert t[0].arch == t[1].arch == t[2].arch
    assert (t[1].meta["retry_of"], t[2].meta["retry_of"], t[2].meta["attempt"]) == (0, 1, 2)
    assert "retry_of" not in t[3].meta and t[3].arch != t[0].arch


def test_no_retry_by_default():
    exp = make(Flaky(fail_calls=1), trials=3).run()
    assert [x.state.name for x in exp.trials] == ["FAILED", "COMPLETE", "COMPLETE"]
    assert all("retry_of" not in x.meta for x in exp.trials)


def test_trial_timeout_fails_the_slow_trial_and_the_search_goes_on():
    slow = Slow(slow_on={1})  # trial 1 would spin 30 s
    exp = make(slow, trials=3, trial_timeout=0.3)
    exp.run()
    assert slow.cut == [1] and slow.ran_out == [], "the slow trial was cut at its timeout"
    t = exp.trials
    assert [x.state.name for x in t] == ["COMPLETE", "FAILED", "COMPLETE"]
    assert t[1].error.startswith("timeout after 0.3 s")
    assert t[1].metrics["duration_s"] >= 0.3  # it ran its timeout (a slow machine: longer)


def test_timeout_with_retries_retries_then_fails():
    exp = make(Slow(slow_on={0, 1}), trials=1, trial_timeout=0.2, retries=1).run()
    t = exp.trials
    assert [x.state.name for x in t] == ["FAILED", "FAILED"]
    assert all(x.error.startswith("timeout after 0.2 s") for x in t)
    assert t[1].meta["retry_of"] == 0


def test_stop_during_a_timed_trial_is_an_interruption_not_a_timeout():
    exp = make(Slow(slow_on={0}, seconds=30), trials=2, trial_timeout=20)
    exp.start()
    time.sleep(0.3)
    exp.stop()
    assert [x.state.name for x in exp.trials] == ["INTERRUPTED"]
    assert "timeout" not in exp.trials[0].error


def test_consecutive_failures_stop_the_search_with_the_message():
    exp = make(Flaky(fail_calls=100, message="driver crashed"), trials=50, max_failures=4,
               retries=1).run()
    assert len(exp.trials) == 4 and all(x.state is TrialState.FAILED for x in exp.trials)
    assert exp.last_error.startswith("stopped after 4 consecutive failed trials")
    assert "driver crashed (call 4)" in exp.last_error and "start the run again" in exp.last_error


def test_out_of_memory_is_named_in_the_error():
    class Oom:
        NAME, OPTIONS = "oom", {}

        def estimate(self, arch, ctx):
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")

    exp = make(Oom(), trials=1).run()
    err = exp.trials[0].error
    assert err.startswith("out of memory: CUDA out of memory") and "in estimate" in err


def test_raising_retries_on_resume_retries_earlier_failures(tmp_path):
    db = tmp_path / "f.db"
    first = make(Flaky(fail_calls=1), trials=2, storage=str(db)).run()
    assert [x.state.name for x in first.trials] == ["FAILED", "COMPLETE"]
    again = nb.Experiment.load(db, estimator=Flaky(fail_calls=0), retries=1)
    again.run()
    t = again.trials
    assert t[2].meta["retry_of"] == 0 and t[2].arch == t[0].arch
    assert t[2].state is TrialState.COMPLETE and again.n_done() == 2


@pytest.mark.parametrize("kw,msg", [
    ({"retries": -1}, "retries must be an integer >= 0"),
    ({"retries": 1.5}, "retries must be an integer >= 0"),
    ({"trial_timeout": 0}, "trial_timeout must be a positive number"),
    ({"trial_timeout": float("inf")}, "trial_timeout must be a positive number"),
    ({"max_failures": -2}, "max_failures must be an integer >= 0"),
])
def test_bad_policy_values_are_refused(kw, msg):
    with pytest.raises(ValueError, match=msg):
        make(Flaky(), **kw)


class TellBreaks:
    """A user strategy whose ``tell`` raises on its second result."""

    def __init__(self, space) -> None:
        self.inner = nb.strategies.create("random", space, seed=0)
        self.told = 0

    def ask(self):
        return self.inner.ask()

    def tell(self, arch, value, trial=None):
        self.told += 1
        if self.told == 2:
            raise KeyError("bookkeeping bug")

    def state_dict(self):
        return {"told": self.told}

    def load_state_dict(self, state):
        self.told = state["told"]


def test_a_strategy_that_fails_in_tell_keeps_the_trial_and_stops_with_a_message():
    space = nb.spaces.nb201()
    exp = nb.Experiment(space, strategy=TellBreaks(space), estimator=Flaky(fail_calls=0),
                        trials=5).run()
    states = [t.state.name for t in exp.trials]
    assert states == ["COMPLETE", "COMPLETE"]
    assert exp.trials[1].value is not None
    assert "strategy failed while taking trial 1" in exp.last_error
    assert "KeyError" in exp.last_error

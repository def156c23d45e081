"""``Loop`` on its own: fakes for the strategy, the estimator and the space, a
MemoryStore, and no Experiment (issue 13, point 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nasbench_ui.engine.commands import SetBudget, SetConstraint, SwitchStrategy
from nasbench_ui.engine.events import Control, Event
from nasbench_ui.engine.jobs import unfinished_jobs
from nasbench_ui.engine.loop import Budget, Loop, LoopCallbacks, LoopParts
from nasbench_ui.estimators.base import Estimate
from nasbench_ui.storage import MemoryStore, TrialState
from nasbench_ui.strategies.base import Strategy


class Space:
    """Architectures are ``{"i": n}``; the key is n."""

    def key(self, arch):
        return arch["i"]


class Counter(Strategy):
    """Asks {"i": 0}, {"i": 1}, ... and logs every ask and tell in ``log``."""

    NAME = "counter"
    ACCEPTS_CONSTRAINTS = True

    def __init__(self, log=None, start=0):
        self.log = log if log is not None else []
        self.next, self.constraint = start, None

    def ask(self):
        arch = {"i": self.next}
        self.next += 1
        self.log.append(("ask", self.NAME, arch["i"]))
        return arch

    def tell(self, arch, value, trial=None):
        self.log.append(("tell", self.NAME, arch["i"], value))

    def set_constraint(self, fn):
        self.constraint = fn


class Other(Counter):
    NAME = "other"


class Fake:
    """Value i / 10; raises on ``fail`` numbers; charges ``cost_s`` when given; calls
    ``during(ctx)`` inside every estimate."""

    def __init__(self, fail=(), cost_s=None, during=None):
        self.fail, self.cost_s, self.during = set(fail), cost_s, during
        self.calls = []

    def estimate(self, arch, ctx):
        self.calls.append(ctx.number)
        if self.during is not None:
            self.during(ctx)
        if ctx.number in self.fail:
            raise RuntimeError(f"broken trial {ctx.number}")
        metrics = {} if self.cost_s is None else {"cost_s": self.cost_s}
        return Estimate(arch["i"] / 10, metrics)


class Priced(Fake):
    """A simulated-cost estimator (as ``tabular``): the loop asks ``cost`` first."""

    def cost(self, arch, space):
        return self.cost_s


THREE = Budget(trials=3)


def make(estimator=None, strategy=None, budget=THREE, store=None, events=None,
         control=None, **kw):
    store = store or MemoryStore()
    name = "e" if "e" in store.experiment_names() else store.create_experiment("e", {})
    parts = LoopParts(name, store, Space(), strategy or Counter(), estimator or Fake(),
                      budget=budget, **kw)
    emit = events.append if events is not None else (lambda e: None)
    return Loop(parts, LoopCallbacks(emit=emit), control=control)


def states(loop):
    return [t.state.name for t in loop.parts.store.trials(loop.parts.name)]


def test_asks_and_tells_in_order_one_trial_per_step():
    log, events = [], []
    loop = make(strategy=Counter(log), events=events)
    assert [loop.step() for _ in range(4)] == [True, True, True, False]
    loop.close()
    assert log == [("ask", "counter", 0), ("tell", "counter", 0, 0.0),
                   ("ask", "counter", 1), ("tell", "counter", 1, 0.1),
                   ("ask", "counter", 2), ("tell", "counter", 2, 0.2)]
    assert states(loop) == ["COMPLETE"] * 3 and loop.n_done == 3
    assert [(e.kind, e.number) for e in events] == [
        ("trial_start", 0), ("trial_finish", 0), ("trial_start", 1), ("trial_finish", 1),
        ("trial_start", 2), ("trial_finish", 2)]
    assert all(isinstance(e, Event) for e in events)
    # each asked trial names its proposer, and the strategy state was saved with it
    trials = loop.parts.store.trials("e")
    assert [t.meta["strategy"] for t in trials] == ["counter"] * 3
    assert loop.parts.store.load_experiment("e")["strategy_state"]["strategy"] == "counter"


def test_a_command_applies_at_the_next_step_not_before():
    log = []
    loop = make(strategy=Counter(log), budget=Budget(trials=10))
    assert loop.step()
    loop.commands.put(SetBudget(Budget(trials=2)))
    new = Other(log, start=100)
    loop.commands.put(SwitchStrategy(new, "other"))
    # queued only: nothing changed yet
    assert loop.budget == Budget(trials=10) and loop.strategy.NAME == "counter"
    assert loop.step()  # applies both, then runs trial 1 with the new strategy
    assert loop.budget == Budget(trials=2) and loop.strategy is new
    assert loop.strategy_label == "other"
    assert not loop.step() and states(loop) == ["COMPLETE", "COMPLETE"]
    # the switched-to strategy heard the history (trial 0) before its first ask
    assert log[2:] == [("tell", "other", 0, 0.0), ("ask", "other", 100),
                       ("tell", "other", 100, 10.0)]
    assert [t.meta["strategy"] for t in loop.parts.store.trials("e")] == ["counter", "other"]


def test_a_constraint_command_reaches_the_strategy_at_the_next_step():
    strategy = Counter()
    loop = make(strategy=strategy)
    loop.commands.put(SetConstraint(bool))
    assert strategy.constraint is None
    loop.step()
    assert strategy.constraint is bool


def test_the_trials_budget_ends_the_run():
    loop = make(budget=Budget(trials=2))
    loop.run()
    assert states(loop) == ["COMPLETE", "COMPLETE"] and not loop.step() and loop.ended


def test_the_seconds_budget_counts_cost_and_refuses_a_query_that_would_overrun_it():
    # charged afterwards (cost_s in the metrics): trials run until the spent time passes it
    loop = make(Fake(cost_s=4.0), budget=Budget(seconds=10.0)).run()
    assert states(loop) == ["COMPLETE"] * 3 and loop.spent_s() == 12.0
    # priced beforehand (a cost() hook): a query that would overrun it is not made
    priced = make(Priced(cost_s=4.0), budget=Budget(seconds=10.0)).run()
    assert states(priced) == ["COMPLETE"] * 2 and priced.spent_s() == 8.0
    assert priced.budget_left_s() == 2.0 and priced.last_error is None


def test_a_failing_estimate_is_recorded_failed_and_the_search_goes_on():
    log = []
    loop = make(Fake(fail={1}), strategy=Counter(log)).run()
    trials = loop.parts.store.trials("e")
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.FAILED,
                                         TrialState.COMPLETE]
    assert trials[1].error.startswith("RuntimeError: broken trial 1")
    assert ("tell", "counter", 1, None) in log, "a FAILED trial is told with value None"
    assert loop.last_error is None and loop.consecutive_failures == 0


def test_a_failed_trial_is_retried_and_failures_in_a_row_stop_the_run():
    loop = make(Fake(fail={0}), retries=1).run()
    trials = loop.parts.store.trials("e")
    assert [t.state.name for t in trials] == ["FAILED", "COMPLETE", "COMPLETE", "COMPLETE"]
    assert trials[1].meta["retry_of"] == 0 and trials[1].arch == trials[0].arch
    stopped = make(Fake(fail=set(range(10))), budget=Budget(trials=10), max_failures=2).run()
    assert states(stopped) == ["FAILED", "FAILED"]
    assert stopped.last_error.startswith("stopped after 2 consecutive failed trials")


def test_a_stop_mid_trial_ends_it_interrupted_untold_and_owed_a_rerun():
    log, control = [], Control()

    def stop_during_trial_1(ctx):
        if ctx.number == 1:
            control.stop.set()  # as another thread's stop() would
            ctx.check_stop()

    store = MemoryStore()
    loop = make(Fake(during=stop_during_trial_1), strategy=Counter(log), store=store,
                control=control, budget=Budget(trials=5))
    assert loop.step() and loop.step()
    assert not loop.step()
    loop.close()
    trials = store.trials("e")
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.INTERRUPTED]
    assert ("tell", "counter", 1, 0.1) not in log and not [x for x in log if x[2] == 1
                                                           and x[0] == "tell"]
    # the next run of the search reruns it first, under a new number
    [job] = unfinished_jobs(trials, Space().key, retries=0)
    assert (job.kind, job.arch, job.meta["rerun_of"]) == ("rerun", {"i": 1}, 1)
    again = make(store=store, strategy=Counter(start=50), budget=Budget(trials=3)).run()
    rerun = store.trials("e")[2]
    assert rerun.arch == {"i": 1} and rerun.meta["rerun_of"] == 1
    assert again.n_done == 3 and states(again)[2:] == ["COMPLETE", "COMPLETE"]


class StoppedWhileAsking(Counter):
    """A stop comes while ``ask()`` runs (another thread's stop() during a slow fit)."""

    def __init__(self, control, log=None, at=1):
        super().__init__(log)
        self.control, self.at = control, at

    def ask(self):
        arch = super().ask()
        if arch["i"] == self.at:
            self.control.stop.set()
        return arch


def test_a_stop_that_comes_while_the_strategy_asks_starts_no_trial():
    control, events = Control(), []
    store = MemoryStore()
    loop = make(strategy=StoppedWhileAsking(control), store=store, control=control,
                events=events, budget=Budget(trials=5))
    assert loop.step()  # trial 0
    assert not loop.step()  # the stop came during the ask of the second
    loop.close()
    # the asked architecture never became a trial: nothing started after the stop
    assert [t.state for t in store.trials("e")] == [TrialState.COMPLETE]
    assert [(e.kind, e.number) for e in events] == [("trial_start", 0), ("trial_finish", 0)]


def test_a_stop_that_comes_during_the_create_ends_that_trial_unrun():
    control = Control()
    estimator = Fake()
    loop = make(estimator, control=control, budget=Budget(trials=5))
    create = loop.ledger.create

    def create_then_stop(*args, **kwargs):
        number = create(*args, **kwargs)
        control.stop.set()  # between the trial's write and its submit
        return number

    loop.ledger.create = create_then_stop
    while loop.step():
        pass
    loop.close()
    assert states(loop) == ["INTERRUPTED"] and estimator.calls == []


def test_close_interrupts_what_is_still_in_flight():
    loop = make()
    loop._fill()  # submitted, not yet polled: what a stop between the two leaves
    assert loop.in_flight == 1
    loop.close()
    assert states(loop) == ["INTERRUPTED"] and loop.in_flight == 0 and not loop.step()


def test_the_loop_source_probes_no_plug_in():
    root = Path(__file__).resolve().parents[2] / "nasbench_ui" / "engine"
    sources = ["loop.py", "ledger.py", "jobs.py", "commands.py", "events.py",
               "executors/base.py", "executors/thread.py", "executors/dask_trials.py"]
    for rel in sources:
        text = (root / rel).read_text()
        assert "getattr(" not in text and "hasattr(" not in text, rel


@pytest.mark.parametrize("budget", [Budget(trials=2), Budget(seconds=0.5)])
def test_budget_left_and_spent_are_the_loops_own_state(budget):
    loop = make(Fake(cost_s=0.25), budget=budget).run()
    assert loop.n_done == 2 and loop.counters["spent_s"] == loop.spent_s() == 0.5
    assert loop.budget_left_s() == (None if budget.seconds is None else 0.0)

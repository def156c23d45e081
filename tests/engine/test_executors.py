"""The Executor contract (at most three required methods) and the thread executor."""

from __future__ import annotations

import threading
import time

import pytest

from nasbench_ui.engine.events import Control
from nasbench_ui.engine.executors.base import (
    Executor,
    Finished,
    LoopHooks,
    Work,
    required_methods,
)
from nasbench_ui.engine.executors.thread import ThreadExecutor
from nasbench_ui.engine.jobs import Job, Outcome
from nasbench_ui.estimators.base import Estimate
from nasbench_ui.storage import TrialState


def work(number: int = 0) -> Work:
    return Work(number, Job({"i": number}), time.time())


class Scripted:
    """Reports ``points`` epochs, calling ``each(ctx)`` after each, then returns 0.5."""

    def __init__(self, points: int = 1, each=None, seconds: float = 0.0):
        self.points, self.each, self.seconds = points, each, seconds

    def estimate(self, arch, ctx):
        for epoch in range(self.points):
            end = time.monotonic() + self.seconds
            while time.monotonic() < end:
                ctx.check_stop()
                time.sleep(0.005)
            ctx.report({"epoch": epoch + 1})
            if self.each is not None:
                self.each(ctx)
        return Estimate(0.5, {"valid_acc": 0.5})


def test_the_base_names_three_required_methods_and_gives_the_rest_a_body():
    assert Executor.REQUIRED == ("submit", "poll", "close") and len(Executor.REQUIRED) <= 3
    ex = Executor()
    for name in Executor.REQUIRED:
        with pytest.raises(NotImplementedError, match=f"must implement {name}"):
            getattr(ex, name)(*{"submit": [work()], "poll": [0.0], "close": []}[name])
    assert ex.cancel() == [] and ex.free_slots() == 1
    hooks = LoopHooks()
    ex.bind(hooks)
    assert ex.hooks is hooks


def test_each_implementation_implements_exactly_the_required_methods():
    from nasbench_ui.engine.executors.dask_trials import DaskTrials

    assert sorted(required_methods(ThreadExecutor)) == sorted(Executor.REQUIRED)
    assert sorted(required_methods(DaskTrials)) == sorted(Executor.REQUIRED)


def test_thread_executor_runs_one_work_at_a_time_on_the_polling_thread():
    seen = []
    ex = ThreadExecutor(Scripted(each=lambda ctx: seen.append(threading.current_thread())),
                        space=None, dataset=None)
    points = []
    ex.bind(LoopHooks(on_point=lambda n, p: points.append((n, p))))
    ex.submit(work(4))
    assert ex.free_slots() == 0
    with pytest.raises(RuntimeError, match="one trial at a time"):
        ex.submit(work(5))
    assert seen == [], "submit only takes the work"
    [done] = ex.poll(0.0)
    assert isinstance(done, Finished) and done.number == 4 and done.curve_reported
    assert (done.outcome.state, done.outcome.value) == (TrialState.COMPLETE, 0.5)
    assert points == [(4, {"epoch": 1})] and seen == [threading.current_thread()]
    assert ex.free_slots() == 1 and ex.poll(0.0) == []
    ex.close()


class Held:
    """Waits for ``release``, which no test sets, checking for a stop; notes whether a
    stop cut it (``cut``) or it ran to its end (``ran_out``). ``liveness_s`` only guards
    against a hang: past it, it gives up waiting and returns, as a finished trial."""

    def __init__(self, liveness_s: float = 30.0):
        self.release, self.liveness_s = threading.Event(), liveness_s
        self.cut = self.ran_out = False

    def estimate(self, arch, ctx):
        give_up = time.monotonic() + self.liveness_s
        while not self.release.wait(0.005) and time.monotonic() < give_up:
            try:
                ctx.check_stop()
            except BaseException:
                self.cut = True
                raise
        self.ran_out = True
        return Estimate(0.5, {"valid_acc": 0.5})


def test_thread_executor_times_out_through_should_stop():
    """The trial would never end on its own: it ended because ``check_stop`` raised at
    its deadline (not timed: a slow machine only makes it later)."""
    held = Held()
    ex = ThreadExecutor(held, space=None, dataset=None, trial_timeout=0.1)
    ex.bind(LoopHooks())
    ex.submit(work())
    [done] = ex.poll(0.0)
    assert held.cut and not held.ran_out and not held.release.is_set()
    assert done.outcome.state is TrialState.FAILED
    assert done.outcome.error.startswith("timeout after 0.1 s")


def test_thread_executor_stop_interrupts_and_pause_holds_after_a_point():
    control = Control()
    ex = ThreadExecutor(Scripted(points=3, each=lambda ctx: None, seconds=0.0),
                        space=None, dataset=None, trial_timeout=0.2)
    reached = threading.Event()
    ex.bind(LoopHooks(control=control, on_point=lambda n, p: reached.set()))
    control.running.clear()  # paused: the trial holds after its first point
    ex.submit(work())
    result: list[Finished] = []
    t = threading.Thread(target=lambda: result.extend(ex.poll(0.0)))
    t.start()
    assert reached.wait(10)
    time.sleep(0.4)  # longer than trial_timeout: a pause does not count against it
    assert t.is_alive() and not result
    control.running.set()
    t.join(10)
    assert result[0].outcome.state is TrialState.COMPLETE

    stopper = ThreadExecutor(Scripted(seconds=5.0), space=None, dataset=None)
    stop = Control()
    stopper.bind(LoopHooks(control=stop))
    stopper.submit(work())
    threading.Timer(0.1, stop.stop.set).start()
    [done] = stopper.poll(0.0)
    assert done.outcome.state is TrialState.INTERRUPTED


def test_a_finished_record_carries_its_outcome():
    f = Finished(2, Outcome(TrialState.PRUNED, 0.1), "w1", curve_reported=False)
    assert (f.number, f.outcome.value, f.worker, f.curve_reported) == (2, 0.1, "w1", False)

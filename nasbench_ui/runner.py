"""The search loop on one thread, and the trial bookkeeping that every executor shares.

The loop (:func:`run_loop`) runs one trial at a time in the kernel's process; the
Dask driver (:mod:`nasbench_ui.executors.dask_executor`) keeps one trial per worker.
Both take their work from a :class:`Search`, which owns the rules:

* **Jobs.** Work comes first from a queue of retries and reruns, then from
  ``strategy.ask()``. After each ask the strategy state is saved, so it holds the
  asked architecture as *pending*; a trial that ends INTERRUPTED (stop, kernel
  interrupt, killed process) is never told to the strategy, and the next run of the
  search reruns its architecture under a new number with ``meta["rerun_of"]`` and
  tells the result then. The trial and that state are written in one transaction.
* **Budget.** ``trials`` counts finished trials, except FAILED ones that were retried;
  ``seconds`` counts ``cost_s`` (simulated, tabular) or ``duration_s`` per trial, summed
  over workers. A query whose simulated cost would overrun it is not made.
* **Faults.** An exception in a trial marks it FAILED with the error and a traceback
  summary (:func:`error_text`) and the search goes on. ``retries=N`` runs a FAILED
  architecture again, up to N times, under a new number with ``meta["retry_of"]``
  (the failed trial stays FAILED; the strategy hears only the last attempt).
  ``trial_timeout`` seconds end a trial FAILED with ``"timeout after X s"`` (the
  estimator sees ``ctx.should_stop()`` turn True; one that never checks it cannot be
  timed out on the thread loop). ``max_failures`` consecutive FAILED trials stop the
  search with a clear message in ``exp.last_error``.
* **Steering.** ``next_job`` first applies the changes made while the search ran
  (:meth:`Experiment.apply_steering`) and reads the budget from ``exp.config``, so a
  new budget, constraint or strategy holds from the next trial on; each asked trial's
  ``meta["strategy"]`` names the strategy that proposed it.
* **Recording.** The finish of a trial, the strategy state and the counters are
  written in one store transaction.

Example:
    >>> import nasbench_ui as nb
    >>> exp = nb.Experiment("keras_cnn", strategy="random", estimator="early_stop",
    ...                     estimator_options={"epochs": 1, "subset": 0.2}, trials=1)
    >>> exp.run().results()["state"].tolist()
    ['COMPLETE']
"""

from __future__ import annotations

import logging
import math
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .estimators.base import (
    BudgetExhausted,
    EstimateContext,
    Interrupted,
    Pruned,
    estimator_cost,
)
from .storage import Trial, TrialState

log = logging.getLogger(__name__)


class SearchHost(Protocol):
    """What the loop reads from and writes to the experiment that runs it.

    :class:`~nasbench_ui.experiment.Experiment` is the one implementation; the loop
    never imports it (the experiment imports the loop).
    """

    name: str
    config: Any
    store: Any
    space: Any
    strategy: Any
    strategy_label: str
    estimator: Any
    dataset: Any
    dataset_by_name: bool
    device: Any
    counters: dict[str, Any]
    last_error: str | None
    retries: int
    max_failures: int
    trial_timeout: float | None
    worker_name: str | None
    pace: float | None

    def n_done(self) -> int: ...
    def spent_s(self) -> float: ...
    def budget_left_s(self) -> float | None: ...
    def apply_steering(self) -> bool: ...
    def finished_trials(self) -> list[Trial]: ...
    def keep_model(self, number: int, value: float, model: Any) -> str | None: ...


LINEAGE_KEYS = ("retry_of", "rerun_of", "attempt")


@dataclass(frozen=True)
class Event:
    """What observers receive: ``kind`` is trial_start, curve, trial_finish, status or
    steer (a change of budget, constraints or strategy: ``data["change"]``, ``"new"``,
    ``"old"``, ``"at"``; emitted on the thread that made it)."""

    kind: str
    experiment: str
    number: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


def _is_oom(err: BaseException) -> bool:
    return "out of memory" in str(err).lower() or type(err).__name__ == "OutOfMemoryError"


def error_text(err: BaseException) -> str:
    """A one-line error and a short traceback summary (the last frames).

    Example:
        >>> try:
        ...     1 / 0
        ... except ZeroDivisionError as e:
        ...     text = error_text(e)
        >>> text.splitlines()[0], "in <module>" in text
        ('ZeroDivisionError: division by zero', True)
    """
    head = f"{type(err).__name__}: {err}"
    if _is_oom(err):
        head = f"out of memory: {err}"
    frames = traceback.extract_tb(err.__traceback__)[-4:]
    tb = " | ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}" for f in frames)
    return f"{head}\n  at {tb}" if tb else head


def timeout_text(seconds: float) -> str:
    return f"timeout after {seconds:g} s: the trial ran longer than trial_timeout"


class Control:
    """Pause / stop flags shared by the loop and the caller's thread."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.running = threading.Event()
        self.running.set()  # set = not paused

    def wait_if_paused(self) -> None:
        while not self.running.wait(0.05):
            if self.stop.is_set():
                return


@dataclass(frozen=True)
class Job:
    """An architecture to evaluate. ``kind``: ask (from the strategy), retry or rerun."""

    arch: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)
    kind: str = "ask"
    attempt: int = 0  # how many earlier attempts of this evaluation FAILED


@dataclass
class Outcome:
    """How a trial ended, before it is recorded (``model`` stays in memory only)."""

    state: TrialState
    value: float | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    curve: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    model: Any = None
    not_made: bool = False  # the query was refused by the budget: the search ends


def _plain_meta(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in meta.items() if k not in LINEAGE_KEYS}


def owed_jobs(exp: SearchHost) -> list[Job]:
    """Reruns of INTERRUPTED trials and retries of FAILED ones that a past run still owes.

    An INTERRUPTED trial is owed a rerun unless a later trial has its architecture; a
    FAILED trial with attempts left under ``exp.retries`` is owed a retry unless one
    exists. Budget refusals (``error`` "not made: ...") are owed nothing.
    """
    trials = exp.store.trials(exp.name)
    retried = {t.meta.get("retry_of") for t in trials}
    keys = [exp.space.key(t.arch) for t in trials]
    last = {k: i for i, k in enumerate(keys)}
    jobs: list[Job] = []
    for i, t in enumerate(trials):
        if last[keys[i]] > i:  # a later trial ran this architecture again
            continue
        attempt = int(t.meta.get("attempt", 0))
        if t.state is TrialState.INTERRUPTED and not (t.error or "").startswith("not made"):
            meta = {**_plain_meta(t.meta), "rerun_of": t.number, "attempt": attempt}
            jobs.append(Job(dict(t.arch), meta, "rerun", attempt))
        elif (t.state is TrialState.FAILED and attempt < exp.retries
              and t.number not in retried):
            meta = {**_plain_meta(t.meta), "retry_of": t.number, "attempt": attempt + 1}
            jobs.append(Job(dict(t.arch), meta, "retry", attempt + 1))
    return jobs


class Search:
    """One run's bookkeeping: where jobs come from, and how outcomes are recorded.

    ``executor`` is written into each trial's meta (``"dask"``), or nothing for the
    thread loop. Both executors call :meth:`next_job`, :meth:`create` and
    :meth:`record`; only the thread that runs the search calls them.
    """

    def __init__(self, exp: SearchHost, emit: Callable[[Event], None],
                 executor: str | None = None) -> None:
        self.exp, self.emit, self.executor = exp, emit, executor
        self.queue: deque[Job] = deque(owed_jobs(exp))
        self.consecutive_failures = 0
        self.exhausted = False  # the strategy will propose nothing more (error, done, cost)
        # exp.n_done(), kept here as this search writes trials (the lease makes it their
        # one writer) instead of read back from the store before every trial
        self.n_done = exp.n_done()

    # ------------------------------------------------------------- jobs
    def _count_left(self, n_pending: int) -> bool:
        trials = self.exp.config.trials
        return trials is None or self.n_done + n_pending < trials

    def _seconds_left(self, pending_cost: float, cost: float = 0.0) -> bool:
        seconds = self.exp.config.seconds
        if seconds is None:
            return True
        spent = self.exp.spent_s() + pending_cost
        return spent < seconds if not cost else spent + cost <= seconds + 1e-9

    def cost_of(self, arch: dict[str, Any]) -> float | None:
        """The simulated cost the estimator charges for ``arch`` (None: not simulated)."""
        return estimator_cost(self.exp.estimator, arch, self.exp.space)

    def next_job(self, n_pending: int = 0, pending_cost: float = 0.0) -> Job | None:
        """The next job, or None when the budget (counting pending trials) or the strategy
        allows none now. A retry never raises the count of trials, so only ``seconds``
        limits it. Sets ``exhausted`` when the strategy is done for good."""
        exp = self.exp
        if not exp.apply_steering():  # a switch, a new constraint: from this trial on
            self.exhausted = True
            return None
        if self.queue:
            job = self.queue[0]
            if job.kind != "retry" and not self._count_left(n_pending):
                return None
            cost = self.cost_of(job.arch) or 0.0
            if not self._seconds_left(pending_cost, cost):
                return None
            return self.queue.popleft()
        if self.exhausted or not self._count_left(n_pending) \
                or not self._seconds_left(pending_cost):
            return None
        if exp.strategy.finished:
            self.exhausted = True
            return None
        try:
            arch = exp.strategy.ask()
        except Exception as err:  # a strategy that cannot propose ends the search
            exp.last_error = f"the strategy could not propose an architecture: {err}"
            self.exhausted = True
            return None
        meta = dict(exp.strategy.ask_meta() or {})
        meta["strategy"] = exp.strategy_label  # which strategy proposed it (steering)
        cost = self.cost_of(arch)
        if cost is not None and not self._seconds_left(pending_cost, cost):
            self.exhausted = True  # the query would overrun the budget: it is not made
            return None
        return Job(arch, meta, "ask", 0)

    def create(self, job: Job, worker: str | None = None, started: float | None = None) -> int:
        """Create the RUNNING trial; after an ask, save the strategy state that holds it."""
        exp = self.exp
        meta = dict(job.meta)
        if self.executor:
            meta["executor"] = self.executor
        # the trial and the strategy state that holds its architecture as asked are one
        # write: a kill between two writes left a trial the saved state did not know,
        # and its architecture was evaluated twice after the resume (benchmarks/soak.py)
        state = exp.strategy.state_dict() if job.kind == "ask" else None
        number = exp.store.create_trial(exp.name, job.arch, started_at=started or time.time(),
                                        worker=worker, meta=meta, strategy_state=state)
        if job.kind == "retry":  # the FAILED trial it retries stops counting: this one will
            self.n_done -= 1
        self.emit(Event("trial_start", exp.name, number, {"arch": job.arch, "worker": worker}))
        return number

    # --------------------------------------------------------- recording
    def record(self, number: int, job: Job, out: Outcome, started: float, finished: float,
               worker: str | None = None) -> bool:
        """Write a trial's end (and tell the strategy); False when the search must stop."""
        exp, store, name = self.exp, self.exp.store, self.exp.name
        metrics = dict(out.metrics)
        metrics.setdefault("duration_s", round(finished - started, 4))
        if out.state is TrialState.INTERRUPTED:
            # not told: the stored strategy state holds it pending; the next run reruns it
            store.finish_trial(name, number, out.state, error=out.error, finished_at=finished)
            self.emit(Event("trial_finish", name, number, {"state": out.state.name}))
            return not out.not_made
        failed = out.state is TrialState.FAILED
        if out.model is not None and out.state is TrialState.COMPLETE:
            # optional: a failed save is a warning on the trial, never the end of the search
            warning = exp.keep_model(number, out.value, out.model)
            if warning:
                out.error = f"{out.error}\n{warning}" if out.error else warning
        spent = exp.spent_s() + float(metrics.get("cost_s", metrics["duration_s"]))
        counters = {**exp.counters, "spent_s": spent}
        meta = dict(job.meta)
        if self.executor:
            meta["executor"] = self.executor
        if failed and job.attempt < exp.retries:
            store.finish_trial(name, number, out.state, value=out.value, metrics=metrics,
                               error=out.error, finished_at=finished, counters=counters)
            retry_meta = {**_plain_meta(job.meta), "retry_of": number, "attempt": job.attempt + 1}
            self.queue.appendleft(Job(job.arch, retry_meta, "retry", job.attempt + 1))
        else:
            trial = Trial(number, out.state, job.arch, out.value, metrics, out.curve, out.error,
                          started, finished, worker, meta)
            try:
                exp.strategy.tell(job.arch, None if failed else out.value, trial)
                state = exp.strategy.state_dict()
            except Exception as err:  # noqa: BLE001 - a strategy bug must not lose the trial
                log.exception("strategy.tell failed for trial %s", number)
                store.finish_trial(name, number, out.state, value=out.value, metrics=metrics,
                                   error=out.error, finished_at=finished, counters=counters)
                exp.counters = counters
                self.n_done += int(out.state.counted)
                exp.last_error = (f"the strategy failed while taking trial {number}'s result "
                                  f"({type(err).__name__}: {err}); the trial is kept and the "
                                  "search stopped")
                self.emit(Event("trial_finish", name, number,
                                {"state": out.state.name, "value": out.value}))
                return False
            store.finish_trial(
                name, number, out.state, value=out.value, metrics=metrics, error=out.error,
                finished_at=finished, strategy_state=state, counters=counters,
            )
        exp.counters = counters
        self.n_done += int(out.state.counted)
        self.emit(Event("trial_finish", name, number, {"state": out.state.name, "value": out.value}))
        self.consecutive_failures = self.consecutive_failures + 1 if failed else 0
        if exp.max_failures and self.consecutive_failures >= exp.max_failures:
            first = out.error.splitlines()[0] if out.error else "?"
            exp.last_error = (
                f"stopped after {self.consecutive_failures} consecutive failed trials; the last "
                f"error was: {first}. Fix the cause and resume"
            )
            return False
        return True


def judge(value: Any) -> tuple[TrialState, str | None]:
    """COMPLETE, or FAILED when the estimator returned no finite value."""
    if value is None or not math.isfinite(float(value)):
        return TrialState.FAILED, f"the estimator returned a non-finite value ({value})"
    return TrialState.COMPLETE, None


def estimate_outcome(estimator: Any, arch: dict[str, Any], ctx: EstimateContext,
                     stopped: Callable[[], bool], timed_out: Callable[[], bool],
                     timeout: float | None) -> Outcome:
    """Run ``estimator.estimate`` and turn every way it can end into an :class:`Outcome`.

    Used on the kernel's thread and on Dask workers alike. An :class:`Interrupted` raised
    after the deadline (and without a stop request) is a timeout: FAILED.
    """
    try:
        est = estimator.estimate(arch, ctx)
        state, error = judge(est.value)
        return Outcome(state, est.value, dict(est.metrics), ctx.curve, error, est.model)
    except Pruned as p:
        return Outcome(TrialState.PRUNED, p.value, dict(p.metrics), ctx.curve, str(p))
    except Interrupted as i:
        if timed_out() and not stopped():
            return Outcome(TrialState.FAILED, curve=ctx.curve, error=timeout_text(timeout or 0))
        return Outcome(TrialState.INTERRUPTED, curve=ctx.curve, error=str(i))
    except Exception as err:
        if isinstance(err, BudgetExhausted):
            return Outcome(TrialState.INTERRUPTED, error=f"not made: {err}", not_made=True)
        return Outcome(TrialState.FAILED, curve=ctx.curve, error=error_text(err))


def _estimate_here(exp: SearchHost, control: Control, emit: Callable[[Event], None],
                   number: int, job: Job) -> Outcome:
    """Run the estimator on this thread, with the stop flag and the per-trial deadline."""
    store, name, timeout = exp.store, exp.name, exp.trial_timeout
    deadline = [time.monotonic() + timeout] if timeout else None

    def timed_out() -> bool:
        return deadline is not None and time.monotonic() > deadline[0]

    def report(point: dict[str, Any]) -> None:
        store.append_curve(name, number, point)
        emit(Event("curve", name, number, {"point": point}))
        paused_at = time.monotonic()
        control.wait_if_paused()
        if deadline is not None:  # a pause does not count against the timeout
            deadline[0] += time.monotonic() - paused_at

    ctx = EstimateContext(
        space=exp.space, dataset=exp.dataset, device=exp.device, seed=exp.config.seed,
        number=number, report_fn=report, stop_fn=lambda: control.stop.is_set() or timed_out(),
        history_fn=exp.finished_trials, budget_left_fn=exp.budget_left_s,
    )
    return estimate_outcome(exp.estimator, job.arch, ctx, control.stop.is_set, timed_out, timeout)


def pace_wait(pace: float | None, metrics: dict[str, Any], started: float,
              control: Control) -> None:
    """Slow a search to ``pace`` times real time: a trial charged ``cost_s`` simulated
    seconds (a table's own training time) takes at least ``cost_s / pace`` seconds of
    wall time. A stop ends the wait at once; a pause does not count.

    Example:
        >>> c = Control(); t0 = time.time()
        >>> pace_wait(100.0, {"cost_s": 5.0}, t0, c); time.time() - t0 >= 0.05
        True
        >>> pace_wait(None, {"cost_s": 5.0}, time.time(), c)  # None: full speed
    """
    cost = metrics.get("cost_s")
    if pace is None or not isinstance(cost, (int, float)) or not math.isfinite(cost):
        return
    left = float(cost) / pace - (time.time() - started)
    while left > 0 and not control.stop.is_set():
        if not control.running.is_set():
            control.wait_if_paused()  # the pause does not count
            continue
        step = min(left, 0.05)
        control.stop.wait(step)
        left -= step


def run_loop(exp: SearchHost, control: Control, emit: Callable[[Event], None]) -> None:
    """Run trials one at a time until the budget is spent, a stop is asked, or the
    strategy is done."""
    search = Search(exp, emit)
    background = threading.current_thread() is not threading.main_thread()
    while not control.stop.is_set():
        control.wait_if_paused()
        if control.stop.is_set():
            break
        job = search.next_job()
        if job is None:
            break
        started = time.time()
        number = search.create(job, worker=exp.worker_name, started=started)
        try:
            out = _estimate_here(exp, control, emit, number, job)
        except KeyboardInterrupt:
            exp.store.finish_trial(exp.name, number, TrialState.INTERRUPTED,
                                   error="interrupted: KeyboardInterrupt in the kernel")
            emit(Event("trial_finish", exp.name, number, {"state": "INTERRUPTED"}))
            raise
        keep_going = search.record(number, job, out, started, time.time(), exp.worker_name)
        out.model = None
        if out.state is TrialState.INTERRUPTED or not keep_going:
            break
        pace_wait(exp.pace, out.metrics, started, control)
        if background:
            # Let the kernel's other threads run between two trials: a search of fast
            # trials holds the GIL up to 5 ms at a time (sys.getswitchinterval), and a cell
            # that needs it dozens of times waited ~170 ms. sleep(0) (about 0.1 ms) hands
            # it over; a blocking run() in the main thread has no one to hand it to.
            time.sleep(0)

"""``RunLedger``: one run's bookkeeping. Where jobs come from, and how outcomes are recorded.

The rules it owns (the loop and every executor share them):

* **Jobs.** Work comes first from a queue of retries and reruns
  (:func:`~nasbench_ui.engine.jobs.unfinished_jobs`), then from ``strategy.ask()``. The
  trial and the strategy state that holds its architecture as asked (*pending*) are
  written in one transaction; a trial that ends INTERRUPTED is never told, and the
  next run reruns it under a new number (``meta["rerun_of"]``).
* **Budget.** ``trials`` counts finished trials, except FAILED ones that were retried;
  ``seconds`` counts ``cost_s`` (simulated, tabular) or ``duration_s`` per trial, summed
  over workers. A query whose simulated cost would overrun it is not made.
* **Faults.** ``retries=N`` runs a FAILED architecture again, up to N times, under a
  new number (``meta["retry_of"]``; the strategy hears only the last attempt);
  ``max_failures`` consecutive FAILED trials end the run with :attr:`last_error`.
* **Recording.** The finish of a trial, the strategy state and the counters are one
  store transaction; then the strategy is told.

Example:
    >>> from nasbench_ui import spaces, strategies
    >>> from nasbench_ui.storage import MemoryStore, TrialState
    >>> store = MemoryStore(); space = spaces.nb201()
    >>> name = store.create_experiment("demo", {})
    >>> class Ones:  # an estimator (the ledger only asks it for a cost)
    ...     def estimate(self, arch, ctx): ...
    >>> ledger = RunLedger(name, store, space, strategies.create("random", space),
    ...                    "random", estimator=Ones(), budget=Budget(trials=1))
    >>> job = ledger.next_job(); number = ledger.create(job)
    >>> ledger.record(number, job, Outcome(TrialState.COMPLETE, 0.5), 0.0, 1.0)
    True
    >>> ledger.next_job() is None, ledger.n_done, ledger.counters["spent_s"]
    (True, 1, 1.0)
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..estimators.base import adapt as as_estimator
from ..storage import Trial, TrialState
from ..strategies.base import Strategy
from .events import Event
from .jobs import Job, Outcome, plain_meta, unfinished_jobs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Budget:
    """A search's budget: finished ``trials`` and/or simulated or real ``seconds``.

    Example:
        >>> Budget(trials=3).seconds is None
        True
    """

    trials: int | None = None
    seconds: float | None = None


def tell_history(strategy: Strategy, trials: list[Trial], retries: int) -> int:
    """Tell ``strategy`` every finished trial a search's strategy has heard, in number
    order (a FAILED trial that was retried is left out: its retry is told). Returns
    how many were told.

    Example:
        >>> from nasbench_ui import spaces, strategies
        >>> s = strategies.create("random", spaces.nb201())
        >>> tell_history(s, [Trial(0, TrialState.COMPLETE, s.ask(), 0.5),
        ...                  Trial(1, TrialState.INTERRUPTED, s.ask(), None)], retries=0)
        1
    """
    told = 0
    for t in trials:
        failed = t.state is TrialState.FAILED
        if t.state in (TrialState.COMPLETE, TrialState.PRUNED) or (
                failed and int(t.meta.get("attempt", 0)) >= retries):
            strategy.tell(t.arch, None if failed else t.value, t)
            told += 1
    return told


def state_fits(strategy: Strategy, state: Any) -> bool:
    """Whether a stored strategy state belongs to ``strategy`` and its options (it does
    not when a switch was stored but the new state not yet saved).

    Example:
        >>> state_fits(Strategy(), {"strategy": "evolution"})
        False
    """
    if not isinstance(state, dict):
        return True  # load_state_dict reports it
    owner, name = state.get("strategy"), strategy.NAME
    if owner is not None and name and owner != name:
        return False
    options = strategy.options
    return not (isinstance(options, dict) and "options" in state and state["options"] != options)


def restore_strategy(strategy: Strategy, state: Any, trials: Callable[[], list[Trial]],
                     retries: int, experiment: str | None = None) -> None:
    """Bring a freshly built ``strategy`` to where the stored search left it: load its
    snapshot ``state`` when it has one that fits, else replay the stored ``trials()``
    (nothing when the search has no saved state yet).

    A snapshot comes from the store, which someone else may have written: one the
    strategy cannot load (a part of the wrong shape gave a bare TypeError, or a
    ValueError about a "dictionary update sequence") is a ValueError naming the
    strategy and ``experiment``, with the loader's own words; nothing is changed.

    Example:
        >>> from nasbench_ui import spaces, strategies
        >>> s = strategies.create("random", spaces.nb201(), seed=0)
        >>> s2 = strategies.create("random", spaces.nb201(), seed=0)
        >>> a = s.ask(); restore_strategy(s2, s.state_dict(), list, 0); s2.ask() == s.ask()
        True
    """
    if state and state_fits(strategy, state) and not Strategy.replays_history(state):
        try:
            strategy.load_state_dict(state)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as e:
            raise ValueError(
                f"the stored state of strategy {strategy.NAME!r} of experiment {experiment!r} "
                f"does not load ({type(e).__name__}: {e}); was the store written by another "
                "version of nasbench_ui, or changed by hand? Nothing was changed") from e
    elif state:  # no snapshot (the default), or switched before it was saved
        tell_history(strategy, trials(), retries)


def _no_model(number: int, value: float, model: Any) -> str | None:
    return None


class RunLedger:
    """One run's bookkeeping (see the module docstring); used by the loop's thread only.

    Public state, read by the loop and (through it) the experiment: ``strategy`` and
    ``strategy_label`` (switched by a command), ``budget``, ``pace``, ``counters``
    (``spent_s``...), ``n_done``, ``consecutive_failures``, ``exhausted`` (the strategy
    proposes nothing more) and ``last_error``.
    """

    def __init__(self, name: str, store: Any, space: Any, strategy: Strategy,
                 strategy_label: str, estimator: Any, budget: Budget, *,
                 retries: int = 0, max_failures: int = 0, pace: float | None = None,
                 counters: dict[str, Any] | None = None, executor_label: str | None = None,
                 emit: Callable[[Event], None] | None = None,
                 keep_model: Callable[[int, float, Any], str | None] | None = None) -> None:
        self.name, self.store, self.space = name, store, space
        self.estimator = as_estimator(estimator)  # an Estimator: cost() has a default body
        self.strategy, self.strategy_label = strategy, strategy_label
        self.budget, self.pace = budget, pace
        self.retries, self.max_failures = retries, max_failures
        self.executor_label = executor_label
        self.emit = emit or (lambda event: None)
        self.keep_model = keep_model or _no_model
        if counters is None:
            counters = store.load_experiment(name).get("counters") or {}
        self.counters: dict[str, Any] = {"spent_s": 0.0, **counters}
        trials = store.trials(name)
        self.queue: deque[Job] = deque(unfinished_jobs(trials, space.key, retries))
        done = {t.number for t in trials if t.state.counted}
        retried = {t.meta["retry_of"] for t in trials if t.meta.get("retry_of") is not None}
        # kept here as this run writes trials (the lease makes it their one writer)
        # instead of read back from the store before every trial
        self.n_done = len(done) - len(retried & done)
        self.consecutive_failures = 0
        self.exhausted = False
        self.last_error: str | None = None

    # ------------------------------------------------------------- budget
    def spent_s(self) -> float:
        """Seconds of the budget spent so far (simulated or real)."""
        return float(self.counters.get("spent_s", 0.0))

    def budget_left_s(self) -> float | None:
        """Seconds left in a ``seconds`` budget (None without one)."""
        if self.budget.seconds is None:
            return None
        return max(0.0, self.budget.seconds - self.spent_s())

    def _count_left(self, n_pending: int) -> bool:
        trials = self.budget.trials
        return trials is None or self.n_done + n_pending < trials

    def _seconds_left(self, pending_cost: float, cost: float = 0.0) -> bool:
        seconds = self.budget.seconds
        if seconds is None:
            return True
        spent = self.spent_s() + pending_cost
        return spent < seconds if not cost else spent + cost <= seconds + 1e-9

    def cost_of(self, arch: dict[str, Any], meta: dict[str, Any] | None = None) -> float | None:
        """The simulated cost the estimator charges for ``arch`` (None: not simulated).

        A multi-fidelity trial (``meta["budget"]``, from a scheduler such as
        ``hyperband``) is priced by the estimator's ``cost_at`` hook (a table charges
        its rung only; a promotion, the epochs it adds).
        """
        if meta and isinstance(meta.get("budget"), dict):
            return self.estimator.cost_at(arch, self.space, meta)
        return self.estimator.cost(arch, self.space)

    # --------------------------------------------------------------- jobs
    def next_job(self, n_pending: int = 0, pending_cost: float = 0.0) -> Job | None:
        """The next job, or None when the budget (counting pending trials) or the strategy
        allows none now. A retry never raises the count of trials, so only ``seconds``
        limits it. Sets ``exhausted`` when the strategy is done for good."""
        if self.queue:
            job = self.queue[0]
            if job.kind != "retry" and not self._count_left(n_pending):
                return None
            if not self._seconds_left(pending_cost, self.cost_of(job.arch, job.meta) or 0.0):
                return None
            return self.queue.popleft()
        if self.exhausted or not self._count_left(n_pending) \
                or not self._seconds_left(pending_cost):
            return None
        if self.strategy.finished:
            self.exhausted = True
            return None
        try:
            arch = self.strategy.ask()
        except Exception as err:  # a strategy that cannot propose ends the search
            self.last_error = f"the strategy could not propose an architecture: {err}"
            self.exhausted = True
            return None
        meta = dict(self.strategy.ask_meta() or {})
        meta["strategy"] = self.strategy_label  # which strategy proposed it (steering)
        cost = self.cost_of(arch, meta)
        if cost is not None and not self._seconds_left(pending_cost, cost):
            self.exhausted = True  # the query would overrun the budget: it is not made
            return None
        return Job(arch, meta, "ask", 0)

    def _meta(self, job: Job) -> dict[str, Any]:
        meta = dict(job.meta)
        if self.executor_label:
            meta["executor"] = self.executor_label
        return meta

    def create(self, job: Job, worker: str | None = None, started: float | None = None) -> int:
        """Create the RUNNING trial; after an ask, save the strategy state that holds it."""
        # the trial and the strategy state that holds its architecture as asked are one
        # write: a kill between two writes left a trial the saved state did not know,
        # and its architecture was evaluated twice after the resume (benchmarks/soak.py)
        state = self.strategy.state_dict() if job.kind == "ask" else None
        number = self.store.create_trial(self.name, job.arch, started_at=started or time.time(),
                                         worker=worker, meta=self._meta(job),
                                         strategy_state=state)
        if job.kind == "retry":  # the FAILED trial it retries stops counting: this one will
            self.n_done -= 1
        self.emit(Event("trial_start", self.name, number, {"arch": job.arch, "worker": worker}))
        return number

    # ---------------------------------------------------------- recording
    def record(self, number: int, job: Job, out: Outcome, started: float, finished: float,
               worker: str | None = None) -> bool:
        """Write a trial's end (and tell the strategy); False when the search must stop."""
        store, name = self.store, self.name
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
            warning = self.keep_model(number, out.value, out.model)  # type: ignore[arg-type]
            if warning:
                out.error = f"{out.error}\n{warning}" if out.error else warning
        spent = self.spent_s() + float(metrics.get("cost_s", metrics["duration_s"]))
        counters = {**self.counters, "spent_s": spent}
        finish = {"value": out.value, "metrics": metrics, "error": out.error,
                  "finished_at": finished, "counters": counters}
        if failed and job.attempt < self.retries:
            store.finish_trial(name, number, out.state, **finish)
            retry_meta = {**plain_meta(job.meta), "retry_of": number, "attempt": job.attempt + 1}
            self.queue.appendleft(Job(job.arch, retry_meta, "retry", job.attempt + 1))
        else:
            trial = Trial(number, out.state, job.arch, out.value, metrics, out.curve, out.error,
                          started, finished, worker, self._meta(job))
            try:
                self.strategy.tell(job.arch, None if failed else out.value, trial)
                state = self.strategy.state_dict()
            except Exception as err:  # noqa: BLE001 - a strategy bug must not lose the trial
                log.exception("strategy.tell failed for trial %s", number)
                store.finish_trial(name, number, out.state, **finish)
                self.last_error = (f"the strategy failed while taking trial {number}'s result "
                                   f"({type(err).__name__}: {err}); the trial is kept and the "
                                   "search stopped")
                self._counted(number, counters, out)
                return False
            store.finish_trial(name, number, out.state, strategy_state=state, **finish)
        self._counted(number, counters, out)
        self.consecutive_failures = self.consecutive_failures + 1 if failed else 0
        if self.max_failures and self.consecutive_failures >= self.max_failures:
            first = out.error.splitlines()[0] if out.error else "?"
            self.last_error = (
                f"stopped after {self.consecutive_failures} consecutive failed trials; the last "
                f"error was: {first}. Fix the cause, then start the run again to go on from "
                "here (Start in the workbench; run() or start() in code)"
            )
            return False
        return True

    def _counted(self, number: int, counters: dict[str, Any], out: Outcome) -> None:
        self.counters = counters  # a new dict: readers on other threads see old or new
        self.n_done += int(out.state.counted)
        self.emit(Event("trial_finish", self.name, number,
                        {"state": out.state.name, "value": out.value}))

"""``Loop``: the search, one :meth:`~Loop.step` at a time, on one thread.

A step applies the queued steering commands, asks for jobs while the executor has free
slots (retries and reruns first, then the strategy, within the budget), creates each
trial (the trial and the strategy state that holds it in one transaction), submits it,
polls the executor for finished work, records each (finish, strategy state and
counters in one transaction) and tells the strategy. ``step()`` returns whether there
is more to do; :meth:`~Loop.close` cancels what is still in flight (INTERRUPTED) and
closes the executor.

The loop is built from explicit :class:`LoopParts` and :class:`LoopCallbacks`, never
from an experiment: the experiment reads the loop's public state (``counters``,
``last_error``, ``strategy``...) and changes it only through commands
(:mod:`~nasbench_ui.engine.commands`) and the :class:`~.events.Control` flags.

Example:
    >>> from nasbench_ui import spaces, strategies
    >>> from nasbench_ui.estimators import Estimate
    >>> from nasbench_ui.storage import MemoryStore
    >>> class Ones:
    ...     def estimate(self, arch, ctx):
    ...         return Estimate(1.0)
    >>> store, space = MemoryStore(), spaces.nb201()
    >>> name = store.create_experiment("demo", {})
    >>> loop = Loop(LoopParts(name, store, space, strategies.create("random", space),
    ...                       Ones(), budget=Budget(trials=3)))
    >>> steps = 0
    >>> while loop.step():
    ...     steps += 1
    >>> loop.close(); steps, loop.n_done, [t.state.name for t in store.trials(name)]
    (3, 3, ['COMPLETE', 'COMPLETE', 'COMPLETE'])
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..storage import Trial, TrialState
from ..strategies.base import Strategy
from .commands import CommandQueue
from .events import Control, Event, pace_wait
from .executors.base import Executor, ExecutorStopped, Finished, LoopHooks, Work
from .executors.thread import ThreadExecutor
from .jobs import Job, Outcome
from .ledger import Budget, RunLedger, tell_history

log = logging.getLogger(__name__)
POLL_S = 0.1  # how long a step waits for an executor with work in flight elsewhere

__all__ = ["Budget", "Loop", "LoopCallbacks", "LoopParts"]

YIELD_INTERVAL_S = 0.002
"""A background loop hands the GIL to the kernel's other threads at most this often."""


@dataclass
class LoopParts:
    """What a loop runs: the experiment's name and store, the space, strategy,
    estimator and data set, and the run's settings.

    Example:
        >>> LoopParts("e", None, None, Strategy(), None).budget
        Budget(trials=20, seconds=None)
    """

    name: str
    store: Any
    space: Any
    strategy: Strategy
    estimator: Any
    dataset: Any = None
    strategy_label: str | None = None  # stored name of the strategy (default: its NAME)
    device: str = "cpu"
    seed: int = 0
    budget: Budget = field(default_factory=lambda: Budget(trials=20))
    retries: int = 0
    max_failures: int = 0
    trial_timeout: float | None = None
    pace: float | None = None
    worker_name: str | None = None  # written on each trial of the thread executor
    counters: dict[str, Any] | None = None  # None: read from the store
    callbacks: tuple[Any, ...] = ()  # training callbacks handed to each trial's context
    # hand the GIL to this process's other threads every YIELD_INTERVAL_S (a kernel's
    # workbench); a search in its own process has no one to hand it to (engine/child.py)
    yield_gil: bool = True


@dataclass
class LoopCallbacks:
    """How the loop reaches its owner: events, trained models, and the history an
    estimator reads (default: the store's finished trials).

    Example:
        >>> LoopCallbacks().keep_model(0, 1.0, object()) is None
        True
    """

    emit: Callable[[Event], None] = lambda event: None
    keep_model: Callable[[int, float, Any], str | None] = lambda number, value, model: None
    history: Callable[[], list[Trial]] | None = None


@dataclass
class _InFlight:
    job: Job
    started: float


class Loop:
    """One search run on the thread that calls :meth:`step` (see the module docstring).

    Public, read-only state: ``strategy``, ``strategy_label``, ``budget``, ``pace``,
    ``counters``, ``n_done``, ``consecutive_failures``, ``last_error``, ``in_flight``
    and ``ended``. Other threads steer it through ``commands`` (a
    :class:`~.commands.CommandQueue`) and ``control`` (pause / stop).
    """

    def __init__(self, parts: LoopParts, callbacks: LoopCallbacks | None = None,
                 executor: Executor | None = None, control: Control | None = None,
                 commands: CommandQueue | None = None) -> None:
        self.parts = parts
        cb = callbacks or LoopCallbacks()
        self.control = control if control is not None else Control()
        self.commands = commands if commands is not None else CommandQueue()
        self._emit = cb.emit
        self.executor = executor or ThreadExecutor(
            parts.estimator, parts.space, parts.dataset, parts.device, parts.seed,
            parts.trial_timeout, callbacks=parts.callbacks)
        self.ledger = RunLedger(
            parts.name, parts.store, parts.space, parts.strategy,
            parts.strategy_label or parts.strategy.NAME, parts.estimator, parts.budget,
            retries=parts.retries, max_failures=parts.max_failures, pace=parts.pace,
            counters=parts.counters, executor_label=self.executor.LABEL, emit=cb.emit,
            keep_model=cb.keep_model)
        history = cb.history or self._finished_trials
        self.executor.bind(LoopHooks(self.control, self._on_point, self._on_placed, history,
                                     self.ledger.budget_left_s))
        self._pending: dict[int, _InFlight] = {}
        self._halted = False  # no new trials: what is in flight still ends
        self._starved = False  # the executor has no slot and nothing in flight (no worker yet)
        self.ended = False
        self._closed = False
        self._yielded = 0.0  # when the loop last handed the GIL to the kernel's threads

    # ------------------------------------------------------- public state
    @property
    def strategy(self) -> Strategy:
        """The strategy that proposes the next trials."""
        return self.ledger.strategy

    @property
    def strategy_label(self) -> str:
        return self.ledger.strategy_label

    @property
    def budget(self) -> Budget:
        return self.ledger.budget

    @property
    def pace(self) -> float | None:
        return self.ledger.pace

    @property
    def counters(self) -> dict[str, Any]:
        """The stored counters (``spent_s``...) as of the last recorded trial."""
        return self.ledger.counters

    @property
    def n_done(self) -> int:
        """Finished trials that count toward ``trials`` (a retried FAILED one does not)."""
        return self.ledger.n_done

    @property
    def consecutive_failures(self) -> int:
        return self.ledger.consecutive_failures

    @property
    def last_error(self) -> str | None:
        """Why the run stopped early (failures, a strategy error...), or None."""
        return self.ledger.last_error

    @property
    def in_flight(self) -> int:
        """How many trials are submitted and not yet recorded."""
        return len(self._pending)

    def spent_s(self) -> float:
        return self.ledger.spent_s()

    def budget_left_s(self) -> float | None:
        return self.ledger.budget_left_s()

    # ---------------------------------------------------------------- step
    def step(self) -> bool:
        """One round of the search: commands, asks and submits, then finished work is
        recorded and told. Returns False when the run is over (budget spent, strategy
        done, stopped, or stopped by an error in ``last_error``)."""
        if self.ended:
            return False
        control = self.control
        if not self._pending:
            control.wait_if_paused()
        if control.stop.is_set():
            self._cancel()
            return self._end()
        self.apply_commands()
        if control.running.is_set() and not self._halted:
            self._fill()
        if not self._pending and (self._halted or control.running.is_set() and not self._starved):
            return self._end()
        recorded = self._collect()
        if recorded and not self._halted:
            if not self._pending:
                last, started = recorded[-1]
                pace_wait(self.ledger.pace, last.outcome.metrics, started, control)
            now = time.monotonic()
            if self.parts.yield_gil and now - self._yielded >= YIELD_INTERVAL_S \
                    and threading.current_thread() is not threading.main_thread():
                # Let the kernel's other threads run between two trials: a search of fast
                # trials holds the GIL up to 5 ms at a time (sys.getswitchinterval), and a
                # cell that needs it dozens of times waited ~170 ms. sleep(0) (about 0.1 ms)
                # hands it over; a blocking run() in the main thread has no one to hand it to.
                # Not after every trial: getting the GIL back from a busy workbench thread
                # cost a 0.5 ms trial more than the trial itself (benchmarks/ui_responsiveness).
                # In a process of its own no thread needs it, and the sleeps only cost the
                # search: its thread ran 0.87 of a core alone with them, 0.89-0.91 without.
                time.sleep(0)
                self._yielded = time.monotonic()
        return True

    def run(self) -> Loop:
        """Step until the run is over, then :meth:`close`. Returns ``self``."""
        try:
            while self.step():
                pass
        finally:
            self.close()
        return self

    def close(self) -> None:
        """End what is still in flight (INTERRUPTED) and close the executor. Idempotent."""
        if self._closed:
            return
        self._closed, self.ended = True, True
        try:
            if self._pending:
                self._cancel()
        finally:
            self.executor.close()

    def apply_commands(self) -> None:
        """Apply the queued commands (the loop's thread only; :meth:`step` calls it)."""
        for command in self.commands.drain():
            command.apply(self)

    # ------------------------------------------------- commands' target
    def use_budget(self, budget: Budget) -> None:
        self.ledger.budget = budget

    def use_pace(self, pace: float | None) -> None:
        self.ledger.pace = pace

    def use_constraint(self, fn: Callable[[dict[str, Any]], bool] | None) -> None:
        if self.ledger.strategy.ACCEPTS_CONSTRAINTS:
            self.ledger.strategy.set_constraint(fn)

    def use_strategy(self, strategy: Strategy, label: str) -> None:
        """Switch: tell ``strategy`` the history, then it proposes (its state is saved)."""
        parts = self.parts
        try:
            tell_history(strategy, parts.store.trials(parts.name), parts.retries)
        except Exception as err:  # noqa: BLE001 - a user strategy's bug stops the search
            log.exception("the switched-to strategy failed to take the history")
            self.ledger.last_error = (
                f"switching to the strategy {label!r} failed while telling it the history "
                f"({type(err).__name__}: {err}); the search stopped")
            self._halted = True
            return
        self.ledger.strategy, self.ledger.strategy_label = strategy, label
        parts.store.save_strategy_state(parts.name, strategy.state_dict())

    # ----------------------------------------------------------- helpers
    def _end(self) -> bool:
        self.ended = True
        return False

    def _fill(self) -> None:
        self._starved = False
        stop = self.control.stop
        while not self._halted and not stop.is_set():
            try:
                slots = self.executor.free_slots()
            except ExecutorStopped as err:
                self.ledger.last_error = str(err)
                self._halted = True
                return
            if slots <= 0:
                self._starved = not self._pending
                return
            # what the trials in flight will cost (the thread executor has none in flight)
            pending_cost = sum(self.ledger.cost_of(p.job.arch, p.job.meta) or 0.0
                               for p in self._pending.values())
            job = self.ledger.next_job(len(self._pending), pending_cost)
            if job is None:
                self._halted = self._halted or self.ledger.exhausted
                return
            if stop.is_set():
                # a stop came while the strategy asked (a model's fit can take seconds):
                # no trial starts after it; the job is dropped (never stored, so a resumed
                # search asks again from the stored strategy state)
                return
            started = time.time()
            number = self.ledger.create(job, worker=self.parts.worker_name, started=started)
            left = self.ledger.budget_left_s()
            self._pending[number] = _InFlight(job, started)
            if stop.is_set():  # it came during the create: the next step ends the trial
                return  # INTERRUPTED (_cancel), never run
            self.executor.submit(Work(number, job, started,
                                      None if left is None else left - pending_cost))

    def _collect(self) -> list[tuple[Finished, float]]:
        try:
            finished = self.executor.poll(POLL_S)
        except KeyboardInterrupt:
            for number in list(self._pending):
                self.parts.store.finish_trial(self.parts.name, number, TrialState.INTERRUPTED,
                                              error="interrupted: KeyboardInterrupt in the kernel")
                self._emit(Event("trial_finish", self.parts.name, number,
                                 {"state": "INTERRUPTED"}))
            self._pending.clear()
            self.ended = True
            raise
        except ExecutorStopped as err:
            self.ledger.last_error, self._halted = str(err), True
            return []
        return [(f, started) for f in finished
                if (started := self._record(f)) is not None]

    def _record(self, f: Finished) -> float | None:
        p = self._pending.pop(f.number, None)
        if p is None:
            log.warning("the executor returned trial %s, which is not in flight", f.number)
            return None
        if not f.curve_reported:
            for point in f.outcome.curve:
                self._on_point(f.number, point)
        keep_going = self.ledger.record(f.number, p.job, f.outcome, p.started, time.time(),
                                        f.worker or self.parts.worker_name)
        f.outcome.model = None
        if not keep_going or f.outcome.state is TrialState.INTERRUPTED:
            self._halted = True
        return p.started

    def _cancel(self) -> None:
        for f in self.executor.cancel():
            self._record(f)
        for number in list(self._pending):  # what the executor did not return
            self._record(Finished(number, _interrupted()))

    def _on_point(self, number: int, point: dict[str, Any]) -> None:
        self.parts.store.append_curve(self.parts.name, number, point)
        self._emit(Event("curve", self.parts.name, number, {"point": point}))

    def _on_placed(self, number: int, worker: str) -> None:
        self.parts.store.set_worker(self.parts.name, number, worker)

    def _finished_trials(self) -> list[Trial]:
        return [t for t in self.parts.store.trials(self.parts.name) if t.finished]


def _interrupted() -> Outcome:
    return Outcome(TrialState.INTERRUPTED, error="interrupted: the search was stopped")

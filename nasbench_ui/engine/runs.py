"""``Runs``: how an experiment opens a search run, builds its loop and ends it.

One at a time: :meth:`Runs.prepare` takes the lease, reads the stored counters and
restores the strategy (the config holds every steering change), and hands steering to
the run's command queue; :meth:`Runs.session` builds the :class:`~.loop.Loop` (with the
thread executor, or the Dask one of ``workers=``/``executor=``) and, however the run
ends, keeps its counters, gives the strategy back to steering, releases the lease and
sets the final status (``failed`` for an error that is not a trial's own).

Example:
    >>> import nasbench_ui as nb
    >>> from nasbench_ui.engine.ownership import Ownership
    >>> exp = nb.Experiment("nb201", estimator="zero_cost", trials=1)
    >>> life = Lifecycle(exp.name, lambda event: None)
    >>> runs = Runs(exp, Ownership(exp.store, exp.name), life, lambda event: None, {})
    >>> runs.prepare(); runs.run_here()
    >>> life.status, runs.loop is None, exp.n_done()
    ('done', True, 1)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from .. import estimators as estimators_mod
from ..config import ExperimentConfig
from ..storage import Trial
from ..strategies.base import Strategy
from .building import build_strategy
from .commands import CommandQueue
from .events import Event
from .executors.dask import DaskExecutor
from .heap import EARLY_TRIALS, HeapFreeze
from .ledger import Budget, restore_strategy
from .lifecycle import DONE, FAILED, Lifecycle
from .loop import Loop, LoopCallbacks, LoopParts
from .ownership import Ownership
from .steering import Steering


class RunOwner(Protocol):
    """What a run reads from its experiment (:class:`~.experiment.Experiment`): the
    parts and settings, read when each run starts (``pace`` and ``worker_name`` change)."""

    name: str
    store: Any
    space: Any
    config: ExperimentConfig
    steering: Steering
    estimator: Any
    executor: DaskExecutor | None
    device: str
    retries: int
    max_failures: int
    trial_timeout: float | None
    pace: float | None
    worker_name: str | None
    yield_gil: bool

    @property
    def dataset(self) -> Any: ...  # noqa: D102 - the experiment's

    @property
    def dataset_by_name(self) -> bool: ...  # noqa: D102

    def keep_model(self, number: int, value: float, model: Any) -> str | None: ...  # noqa: D102

    def finished_trials(self) -> list[Trial]: ...  # noqa: D102


class Runs:
    """The runs of ``owner``, whose lease is ``ownership``: ``life`` holds the status
    and flags, ``emit`` gets the loop's events, ``counters`` are the stored ones."""

    def __init__(self, owner: RunOwner, ownership: Ownership, life: Lifecycle,
                 emit: Callable[[Event], None], counters: dict[str, Any]) -> None:
        self.owner, self.ownership, self.life, self.emit = owner, ownership, life, emit
        self._counters = counters  # the last run's (the running loop holds the live ones)
        self.loop: Loop | None = None  # the running search's loop, between begin and end
        self.commands: CommandQueue | None = None

    @property
    def strategy(self) -> Strategy:
        """The strategy that proposes the next trials: the running loop's, else steering's."""
        loop = self.loop
        return loop.strategy if loop is not None else self.owner.steering.strategy

    @property
    def strategy_label(self) -> str:
        """The stored name of :attr:`strategy`."""
        loop = self.loop
        return loop.strategy_label if loop is not None else self.owner.steering.label

    @property
    def counters(self) -> dict[str, Any]:
        """The counters: the running loop's, else the last run's (or the stored ones)."""
        loop = self.loop
        return loop.counters if loop is not None else self._counters

    @property
    def last_error(self) -> str | None:
        """Why the last search stopped early: the running loop's reason, unless
        :class:`~.lifecycle.Lifecycle` keeps an error already."""
        loop = self.loop
        if loop is not None and loop.last_error and self.life.last_error is None:
            return loop.last_error
        return self.life.last_error

    def prepare(self) -> None:
        """Take the lease and make the run ready (raises ``LeaseHeld`` when another
        live process runs the experiment; the lease is released if anything fails)."""
        self.life.begin()
        self.ownership.take(on_lost=self.life.lease_lost)
        try:
            self._prepare_owned()
        except BaseException:
            self.ownership.release()
            raise

    def _restore(self, source: Any) -> None:
        """Counters from the store, and the strategy built from ``source`` and the config
        (which holds every steering change) and restored from its stored state."""
        exp = self.owner
        rec = exp.store.load_experiment(exp.name)
        self._counters = dict(rec.get("counters") or {"spent_s": 0.0})
        strategy = build_strategy(source, exp.config.strategy_options, exp.config, exp.space)
        restore_strategy(strategy, rec.get("strategy_state"),
                         lambda: exp.store.trials(exp.name), exp.retries, exp.name)
        exp.steering.reset(strategy, exp.config.strategy)

    def _prepare_owned(self) -> None:
        exp = self.owner
        self._restore(exp.steering.source)
        self.commands = exp.steering.begin_run()  # steering goes to the loop from here on
        self.life.enter()  # running from here: a pause or stop now reaches the loop

    def reload(self) -> None:
        """Read back a search another process ran: its counters, and the strategy rebuilt
        from the config and restored from its stored state (as a new run would be)."""
        exp = self.owner
        self._restore(exp.config.strategy)  # a switch there stored its name in the config
        exp.steering.source = exp.config.strategy

    def build_loop(self) -> Loop:
        """The loop of this run, with the thread executor or the Dask one."""
        exp, config = self.owner, self.owner.config
        parts = LoopParts(
            exp.name, exp.store, exp.space, exp.steering.strategy, exp.estimator,
            dataset=exp.dataset, strategy_label=exp.steering.label, device=exp.device,
            seed=config.seed, budget=Budget(config.trials, config.seconds),
            retries=exp.retries, max_failures=exp.max_failures,
            trial_timeout=exp.trial_timeout, pace=exp.pace, worker_name=exp.worker_name,
            counters=self._counters, callbacks=exp.callbacks, yield_gil=exp.yield_gil)
        callbacks = LoopCallbacks(emit=self.emit, keep_model=exp.keep_model,
                                  history=exp.finished_trials)
        executor = None
        if exp.executor is not None:
            from ..estimators.base import history_fields
            from .executors.dask_trials import DaskTrials

            try:
                executor = DaskTrials(
                    exp.executor, config=config, space=exp.space, store=exp.store,
                    name=exp.name, estimator_cls=estimators_mod.get(config.estimator),
                    history_fields=history_fields(exp.estimator),
                    trial_timeout=exp.trial_timeout, dataset=exp.dataset,
                    dataset_by_name=exp.dataset_by_name)
            except BaseException:
                if exp.executor.owned:
                    exp.executor.close()
                raise
        return Loop(parts, callbacks, executor, self.life.control, self.commands)

    @contextlib.contextmanager
    def session(self) -> Iterator[Loop]:
        """A prepared run on this thread: its loop, then its end (status, lease, steering)."""
        exp, life = self.owner, self.life
        final, loop = DONE, None
        try:
            exp.dataset  # noqa: B018 - load it here, on the search thread
            loop = self.loop = self.build_loop()
            yield loop
            loop.close()
        except BaseException as err:
            final = FAILED
            life.failed(err, loop, exp.store)  # kept, logged, the running trial INTERRUPTED
            raise
        finally:
            if loop is not None:
                self._counters = dict(loop.counters)
                life.note(loop.last_error)
                exp.steering.end_run(loop.strategy, loop.strategy_label)
            else:
                exp.steering.end_run(exp.steering.strategy, exp.steering.label)
            self.loop = self.commands = None
            self.ownership.release()
            life.end(DONE if isinstance(life.error, KeyboardInterrupt) else final)

    def run_here(self, watched: bool = False) -> None:
        """Step a prepared run to its end on this thread; ``watched``: in the background,
        where a long run's heap is frozen before its first trial (``engine/heap.py``)."""
        trials = self.owner.config.trials
        early = watched and (trials is None or trials >= EARLY_TRIALS)
        with self.session() as loop, HeapFreeze(early=early) as heap:
            while loop.step():
                heap.after_step()  # short full collections while the search runs

    def background(self) -> None:
        """:meth:`run_here` on the background thread of ``start()``: a fatal error is
        kept in ``life.error`` (``wait()`` raises it on the caller's thread)."""
        with contextlib.suppress(BaseException):
            self.run_here(watched=True)

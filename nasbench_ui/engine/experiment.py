"""``Experiment``: a search of a space by a strategy and an estimator, kept in a store.

A façade over the config (:class:`~nasbench_ui.config.ExperimentConfig`), the store,
:class:`~.steering.Steering` and, while a search runs, a :class:`~.loop.Loop`.
``run()`` blocks; ``start()`` steps the same loop in a background thread so the kernel
stays free, with ``pause()``, ``resume()``, ``stop()`` and ``wait()``. Every trial is
written to the store (SQLite by default when a path is given), so an experiment
survives a kernel restart: ``Experiment.load(path)`` reopens it and ``run()`` continues
it to its budget.

``workers=N`` runs N trials at once on a Dask ``LocalCluster`` that the experiment
starts for the search and closes when it ends; ``executor=`` takes a
``distributed.Client`` or a scheduler address (``"tcp://host:port"``) instead (see
:mod:`~.executors.dask`). The fault policy: ``retries``, ``trial_timeout`` and
``max_failures`` (see :mod:`~.ledger`).

Steering (:mod:`~.steering`): while running, paused or done, ``set_budget``,
``set_constraints`` and ``switch_strategy`` change the search from the next trial on;
each is stored in the config and announced to observers as an ``Event("steer", ...)``.

Example:
    >>> import nasbench_ui as nb
    >>> exp = nb.Experiment(nb.spaces.keras_cnn(), strategy="random", estimator="early_stop",
    ...                     estimator_options={"epochs": 1, "subset": 0.2}, trials=2, seed=0)
    >>> len(exp.run().results())
    2
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from types import EllipsisType
from typing import Any

from .. import data as datasets_mod
from .. import estimators as estimators_mod
from .. import strategies as strategies_mod
from ..config import ExperimentConfig
from ..devices import resolve_device
from ..storage import Trial, TrialState, open_store
from ..strategies.base import Strategy
from ..trust import untrusted
from .checks import as_space, check_new_name, check_pace, check_policy, check_seed
from .commands import CommandQueue, SetPace
from .events import Control, Event
from .executors.dask import DaskExecutor, check_device_name, make_executor
from .ledger import Budget, restore_strategy, tell_history
from .loop import Loop, LoopCallbacks, LoopParts
from .models import ModelKeeper, best_trial
from .ownership import Ownership
from .steering import Steering, check_constraints, check_one_shot, stored_name
from .trial_view import TrialView

log = logging.getLogger(__name__)
_LIVE: weakref.WeakSet[Experiment] = weakref.WeakSet()
IDLE, RUNNING, PAUSED, STOPPING, DONE, FAILED = (
    "idle", "running", "paused", "stopping", "done", "failed")


class Experiment:
    """A NAS experiment. See the module docstring."""

    def __init__(
        self,
        space: Any = "keras_cnn",
        strategy: str | Any = "random",
        estimator: str | Any | None = None,
        dataset: str | Any = "digits",
        trials: int | None = None,
        seconds: float | None = None,
        storage: str | Path | Any = ":memory:",
        device: str = "auto",
        seed: int = 0,
        strategy_options: dict | None = None,
        estimator_options: dict | None = None,
        dataset_options: dict | None = None,
        objectives: list | None = None,
        constraints: dict | None = None,
        name: str | None = None,
        max_failures: int = 10,
        keep_models: int = 3,
        retries: int = 0,
        trial_timeout: float | None = None,
        workers: int | None = None,
        executor: Any = None,
        pace: float | None = None,
        _record: dict | None = None,
    ) -> None:
        space_obj = as_space(space)
        check_policy(retries, trial_timeout, max_failures)
        check_seed(seed)
        if _record is None:
            check_new_name(name)
        self.executor: DaskExecutor | None = make_executor(workers=workers, executor=executor)
        if trials is None and seconds is None:
            trials = 20
        estimator = check_one_shot(strategy, estimator)
        check_pace(pace)
        constraints = check_constraints(constraints)
        ds_name = dataset if isinstance(dataset, str) else getattr(dataset, "name", "custom")
        self.config = ExperimentConfig(
            space=space_obj.to_dict(),
            strategy=stored_name(strategy), strategy_options=strategy_options or {},
            estimator=stored_name(estimator),
            estimator_options=estimator_options or {},
            dataset=ds_name, dataset_options=dataset_options or {},
            trials=trials, seconds=seconds, seed=seed, device=device,
            objectives=objectives or [], constraints=constraints or {},
        )
        self.space = space_obj
        # with Dask the device is picked on each worker (CUDA where the worker has it)
        self.device = resolve_device(device) if self.executor is None else check_device_name(device)
        self.max_failures = max_failures
        self.retries = retries
        self.trial_timeout = float(trial_timeout) if trial_timeout is not None else None
        self.keep_models_k = keep_models
        self.pace = None if pace is None else float(pace)
        self.worker_name: str | None = None
        self._last_error: str | None = None
        # check every name and option before anything is written (bad input loses nothing)
        self.estimator = estimators_mod.create(estimator, self.config.estimator_options)
        first = self._build_strategy(strategy, self.config.strategy_options)
        self._dataset_arg = dataset
        if isinstance(dataset, str):
            datasets_mod.check(dataset, seed, self.config.dataset_options)
        if self.executor is not None:
            self.executor.check(estimator, self.config.strategy)
        self._dataset = None
        self.store = open_store(storage)
        if _record is None:
            self.name = self.store.create_experiment(name, self.config.to_dict())
            self._counters: dict[str, Any] = {"spent_s": 0.0}
        else:
            self.name = _record["name"]
            self._counters = dict(_record.get("counters") or {"spent_s": 0.0})
        self._observers: list[Callable[[Event], None]] = []
        self._thread: threading.Thread | None = None
        self._control = Control()
        self._commands: CommandQueue | None = None
        self._loop: Loop | None = None  # the running search's loop, between begin and end
        self._status = IDLE
        self._error: BaseException | None = None  # what killed the last search (wait() raises it)
        self._ownership = Ownership(self.store, self.name)
        self._view = TrialView(self.store, self.name)  # trials read so far (store.changes)
        self._models = ModelKeeper(self, keep_models, self._view.get)
        self.steering = Steering(
            name=self.name, store=self.store, space=self.space, config=lambda: self.config,
            commit=self._commit, make_strategy=self._build_strategy, emit=self._emit,
            retries=retries, strategy=first, label=self.config.strategy, source=strategy,
            check_strategy=None if self.executor is None else self.executor.check_strategy)
        _LIVE.add(self)

    # ------------------------------------------------------------- building
    def _build_strategy(self, strategy: Any, options: dict | None) -> Strategy:
        """``strategy`` (a name, class or object) with ``options``, constrained."""
        from ..constraints import make_constraint

        constraint = make_constraint(self.config.constraints, self.space)
        return strategies_mod.create(strategy, self.space, seed=self.config.seed,
                                     options=options or {}, constraint=constraint)

    @property
    def strategy(self) -> Strategy:
        """The strategy that proposes the next trials."""
        loop = self._loop
        return loop.strategy if loop is not None else self.steering.strategy

    @property
    def strategy_label(self) -> str:
        """The stored name of :attr:`strategy`."""
        loop = self._loop
        return loop.strategy_label if loop is not None else self.steering.label

    @property
    def last_error(self) -> str | None:
        """Why the last search stopped early (its loop's reason, a lost lease, or the
        fatal error that ``wait()`` raises), or None."""
        loop = self._loop
        if loop is not None and loop.last_error and self._last_error is None:
            return loop.last_error
        return self._last_error

    @property
    def counters(self) -> dict[str, Any]:
        """The stored counters (``spent_s``: the budget spent in seconds)."""
        loop = self._loop
        return loop.counters if loop is not None else self._counters

    @property
    def dataset(self) -> Any:
        """The data set, loaded on first use."""
        if self._dataset is None:
            if isinstance(self._dataset_arg, str):
                self._dataset = datasets_mod.load(self._dataset_arg, seed=self.config.seed,
                                                  **self.config.dataset_options)
            else:
                self._dataset = self._dataset_arg
        return self._dataset

    @property
    def dataset_by_name(self) -> bool:
        """True when the data set is a registered name (a worker can load it itself),
        False when it was given as an object."""
        return isinstance(self._dataset_arg, str)

    @classmethod
    def load(cls, path: str | Path, name: str | None = None, **overrides: Any) -> Experiment:
        """Reopen a stored experiment (the most recent one unless ``name`` is given)."""
        store = open_store(path, readonly=True)  # reading never changes the file
        rec = store.load_experiment(name)
        cfg = ExperimentConfig.from_dict(rec["config"])
        kwargs: dict[str, Any] = {
            "space": cfg.space, "strategy": cfg.strategy, "estimator": cfg.estimator,
            "dataset": cfg.dataset, "trials": cfg.trials, "seconds": cfg.seconds,
            "device": cfg.device, "seed": cfg.seed, "strategy_options": cfg.strategy_options,
            "estimator_options": cfg.estimator_options, "dataset_options": cfg.dataset_options,
            "objectives": cfg.objectives, "constraints": cfg.constraints,
        }
        kwargs.update(overrides)
        # Nothing is written here: a search that another process runs in this store goes
        # on undisturbed. run(), start() and steering take the lease (and interrupt the
        # RUNNING trials of a dead owner) only when nobody else runs the experiment.
        # The stored config may be someone else's: a path or a module it names must be
        # trusted (nb.trust) before it is opened or imported.
        with untrusted(f"the stored experiment {rec['name']!r} in {path}"):
            return cls(storage=store, _record=rec, **kwargs)

    # ---------------------------------------------------------------- owner
    @property
    def lease_ttl(self) -> float:
        """Seconds without a heartbeat after which this process's lease expires."""
        return self._ownership.ttl

    @lease_ttl.setter
    def lease_ttl(self, ttl: float) -> None:
        self._ownership.ttl = ttl

    def owner(self) -> dict[str, Any] | None:
        """The lease record of the live process that runs this experiment (``pid``,
        ``host``, ``heartbeat``), or None when nobody runs it.

        Example:
            >>> import nasbench_ui as nb
            >>> nb.Experiment("nb201", estimator="zero_cost", trials=1).owner() is None
            True
        """
        return self._ownership.owner()

    @property
    def followed(self) -> bool:
        """True while another process runs this experiment (this object only reads it)."""
        return not self._ownership.held and self.owner() is not None

    def _commit(self, config: ExperimentConfig) -> None:
        """Make ``config`` the experiment's and store it (steering calls this)."""
        self._ownership.ensure_writable()  # a read-only open: only when nobody else runs it
        self.config = config
        self.store.update_config(self.name, config.to_dict())

    # --------------------------------------------------------------- budget
    def spent_s(self) -> float:
        """Seconds of the budget spent (simulated ``cost_s`` or real ``duration_s``)."""
        return float(self.counters.get("spent_s", 0.0))

    def budget_left_s(self) -> float | None:
        """Seconds left in a ``seconds`` budget (None without one)."""
        if self.config.seconds is None:
            return None
        return max(0.0, self.config.seconds - self.spent_s())

    def n_done(self) -> int:
        """Finished trials that count toward ``trials`` (a FAILED trial that was retried
        does not: its retry does)."""
        return self._view.n_done()

    def budget_spent(self) -> bool:
        """True when the ``trials`` or ``seconds`` budget is used up."""
        if self.config.trials is not None and self.n_done() >= self.config.trials:
            return True
        left = self.budget_left_s()
        return left is not None and left <= 0

    # ------------------------------------------------------------- steering
    def set_budget(self, trials: int | None | EllipsisType = ...,
                   seconds: float | None | EllipsisType = ...) -> None:
        """Change the budget, also while running or paused; it applies from the next trial.

        An argument left out keeps its value; ``None`` removes that budget (one must
        remain). A ``trials`` below the finished count ends the search after the running
        trial; a raised budget lets ``run()``/``start()`` continue a finished search.

        Example:
            >>> import nasbench_ui as nb
            >>> exp = nb.Experiment("nb201", trials=2)
            >>> exp.set_budget(trials=5); exp.config.trials, exp.config.seconds
            (5, None)
        """
        self.steering.set_budget(trials, seconds)

    def set_constraints(self, constraints: dict[str, Any] | None) -> None:
        """Replace the constraints (the constructor's format; ``{}`` removes them); the
        strategy honours them from its next ask.

        Example:
            >>> import nasbench_ui as nb
            >>> exp = nb.Experiment("mlp", trials=2)
            >>> exp.set_constraints({"params": {"max": 50_000}}); exp.config.constraints
            {'params': {'max': 50000}}
        """
        self.steering.set_constraints(constraints)

    def switch_strategy(self, strategy: str | Any, options: dict | None = None) -> None:
        """Propose the next trials with another strategy that keeps the history.

        The new strategy (a registry name with ``options``, a class, or an object) is
        told every finished trial in order before its first ask; its name and options
        go into the stored config and its state is saved as trials finish, so a resumed
        search continues with it. Each asked trial's ``meta["strategy"]`` names its
        proposer. A one-shot strategy (with an ``ESTIMATOR``, e.g. darts) needs that
        estimator, which cannot change mid-run.

        Example:
            >>> import nasbench_ui as nb
            >>> exp = nb.Experiment("nb201", strategy="random", trials=4)
            >>> exp.switch_strategy("evolution", {"population": 4, "sample_size": 2})
            >>> exp.config.strategy, exp.config.strategy_options["population"]
            ('evolution', 4)
        """
        self.steering.switch_strategy(strategy, options)

    def tell_history(self, strategy: Strategy) -> int:
        """Tell ``strategy`` every finished trial the search's strategy has heard (see
        :func:`~.ledger.tell_history`); returns how many."""
        return tell_history(strategy, self.store.trials(self.name), self.retries)

    def set_pace(self, pace: float | None) -> None:
        """Run at ``pace`` times real time (a trial charged ``cost_s`` simulated seconds,
        as the ``tabular`` estimator charges a table's training time, takes at least
        ``cost_s / pace`` seconds), or at full speed with None. Takes effect from the
        next trial; safe while running. Code and the CLI run at full speed by default.

        Example:
            >>> import nasbench_ui as nb
            >>> exp = nb.Experiment("nb201", estimator="zero_cost", trials=1)
            >>> exp.set_pace(60); exp.pace
            60.0
        """
        check_pace(pace)
        self.pace = None if pace is None else float(pace)
        self.steering.send(SetPace(self.pace))

    # -------------------------------------------------------------- observe
    def observe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback(event)`` on each trial start, curve point, finish and status change.

        Callbacks run on the search thread; an exception in one is logged and ignored.
        Returns a function that removes the observer.
        """
        self._observers.append(callback)
        return lambda: self._observers.remove(callback) if callback in self._observers else None

    def _emit(self, event: Event) -> None:
        for cb in list(self._observers):
            try:
                cb(event)
            except Exception:  # an observer never stops the search
                log.exception("observer %r failed", cb)

    def _set_status(self, status: str) -> None:
        self._status = status
        self._emit(Event("status", self.name, None, {"status": status}))

    @property
    def status(self) -> str:
        """idle, running, paused, stopping, done, or failed (the search died of an error
        that is not a trial's own: ``last_error`` says which, and ``wait()`` raises it)."""
        return self._status

    @property
    def running(self) -> bool:
        """True while a background search (``start()``) runs."""
        return self._thread is not None and self._thread.is_alive()

    # ------------------------------------------------------------ lifecycle
    def _prepare(self) -> None:
        if self.running:
            raise RuntimeError(f"experiment {self.name!r} is already running; stop() it first")
        self._last_error, self._error = None, None
        self._ownership.take(on_lost=self._lease_lost)
        try:
            self._prepare_owned()
        except BaseException:
            self._ownership.release()
            raise

    def _lease_lost(self, why: str) -> None:
        # on the heartbeat's thread: the stop reaches the loop through its Control flags
        self._last_error = f"{why}; this search stopped so that two never run at once"
        self._control.stop.set()
        self._control.running.set()

    def _prepare_owned(self) -> None:
        rec = self.store.load_experiment(self.name)
        self._counters = dict(rec.get("counters") or {"spent_s": 0.0})
        # the config already holds every steering change: the strategy is built from it
        strategy = self._build_strategy(self.steering.source, self.config.strategy_options)
        restore_strategy(strategy, rec.get("strategy_state"),
                         lambda: self.store.trials(self.name), self.retries)
        self.steering.reset(strategy, self.config.strategy)
        self._control = Control()
        self._commands = self.steering.begin_run()  # steering goes to the loop from here on

    def _build_loop(self) -> Loop:
        """The loop of this run, with the thread executor or the Dask one."""
        config = self.config
        parts = LoopParts(
            self.name, self.store, self.space, self.steering.strategy, self.estimator,
            dataset=self.dataset, strategy_label=self.steering.label, device=self.device,
            seed=config.seed, budget=Budget(config.trials, config.seconds),
            retries=self.retries, max_failures=self.max_failures,
            trial_timeout=self.trial_timeout, pace=self.pace, worker_name=self.worker_name,
            counters=self._counters)
        callbacks = LoopCallbacks(emit=self._emit, keep_model=self._models.keep,
                                  history=self.finished_trials)
        executor = None
        if self.executor is not None:
            from ..estimators.base import history_fields
            from .executors.dask_trials import DaskTrials

            try:
                executor = DaskTrials(
                    self.executor, config=config, space=self.space, store=self.store,
                    name=self.name, estimator_cls=estimators_mod.get(config.estimator),
                    history_fields=history_fields(self.estimator),
                    trial_timeout=self.trial_timeout, dataset=self.dataset,
                    dataset_by_name=self.dataset_by_name)
            except BaseException:
                if self.executor.owned:
                    self.executor.close()
                raise
        return Loop(parts, callbacks, executor, self._control, self._commands)

    @contextlib.contextmanager
    def _session(self) -> Iterator[Loop]:
        """A prepared run on this thread: its loop, then its end (status, lease, steering)."""
        self._set_status(RUNNING)
        final, loop = DONE, None
        try:
            self.dataset  # noqa: B018 - load it here, on the search thread
            loop = self._loop = self._build_loop()
            yield loop
            loop.close()
        except BaseException as err:
            # Fatal: not a trial's own error (those end the trial FAILED and the search
            # goes on) but the store, the executor or the loop itself. Never silent.
            final, self._error = FAILED, err
            if not isinstance(err, KeyboardInterrupt):
                self._last_error = f"the search stopped: {type(err).__name__}: {err}"
                log.error("search %r failed: %s", self.name, self._last_error)
            if loop is not None:
                try:
                    loop.close()
                except Exception:  # noqa: BLE001 - the store itself may be what failed
                    log.warning("could not close the loop of %r", self.name, exc_info=True)
            try:
                self.store.interrupt_running(self.name)  # we still own it
            except Exception:  # noqa: BLE001 - the store itself may be what failed
                log.warning("could not mark the running trial of %r INTERRUPTED", self.name)
            raise
        finally:
            if loop is not None:
                self._counters = dict(loop.counters)
                if loop.last_error and self._last_error is None:
                    self._last_error = loop.last_error
                self.steering.end_run(loop.strategy, loop.strategy_label)
            else:
                self.steering.end_run(self.steering.strategy, self.steering.label)
            self._loop = self._commands = None
            self._ownership.release()
            if isinstance(self._error, KeyboardInterrupt):
                final = DONE
            self._set_status(final)

    @contextlib.contextmanager
    def session(self) -> Iterator[Loop]:
        """Open a run to step by hand: the lease, the strategy restored from the store,
        and the :class:`~.loop.Loop` (``while loop.step(): ...``); closing it ends the
        run as ``run()`` does. A race steps several in turn.

        Example:
            >>> import nasbench_ui as nb
            >>> exp = nb.Experiment("nb201", estimator="zero_cost", trials=2)
            >>> with exp.session() as loop:
            ...     first = loop.step()
            >>> first, len(exp.trials), exp.status
            (True, 1, 'done')
        """
        self._prepare()
        with self._session() as loop:
            yield loop

    def _run_here(self) -> None:
        with self._session() as loop:
            while loop.step():
                pass

    def run(self) -> Experiment:
        """Run the search to its budget, blocking. Returns ``self``.

        Raises :class:`~nasbench_ui.storage.LeaseHeld` when another live process runs
        this experiment, and a fatal error of the search itself (``status`` is then
        ``"failed"``).
        """
        self._prepare()
        self._run_here()
        return self

    def start(self) -> Experiment:
        """Run the search in a background thread and return at once.

        A fatal error on that thread sets ``status`` to ``"failed"`` and
        ``last_error``, and ``wait()`` raises it.
        """
        self._prepare()
        self._thread = threading.Thread(target=self._background, name=f"nasbench-{self.name}",
                                        daemon=True)
        self._thread.start()
        return self

    def _background(self) -> None:
        # a fatal error is kept in self._error: wait() raises it on the caller's thread
        with contextlib.suppress(BaseException):
            self._run_here()

    def pause(self) -> None:
        """Pause after the current epoch (the trial resumes where it was)."""
        self._control.running.clear()
        self._set_status(PAUSED)

    def resume(self) -> None:
        """Resume a paused search."""
        self._control.running.set()
        if self.running:
            self._set_status(RUNNING)

    def stop(self, wait: bool = True, timeout: float | None = 60) -> None:
        """Stop the search; the running trial ends INTERRUPTED and runs again on resume."""
        self._control.stop.set()
        self._control.running.set()
        if self.running:
            self._set_status(STOPPING)
            if wait and self._thread is not None:
                self._thread.join(timeout)

    def wait(self, timeout: float | None = None) -> Experiment:
        """Block until the background search ends (or ``timeout`` seconds pass).

        Raises the error that killed the search, if one did (``status == "failed"``).
        """
        if self._thread is not None:
            self._thread.join(timeout)
        if self._error is not None and not self.running and \
                not isinstance(self._error, KeyboardInterrupt):
            raise self._error
        return self

    def close(self) -> None:
        """Stop the search and release the Dask cluster the experiment started (if any).

        The store stays open: ``results()`` and ``trials`` still work.
        """
        self.stop(wait=True)
        if self.executor is not None:
            self.executor.close()

    # -------------------------------------------------------------- results
    @property
    def trials(self) -> list[Trial]:
        """Every trial, in number order."""
        return self.store.trials(self.name)

    def finished_trials(self) -> list[Trial]:
        """The finished trials in number order (read incrementally from the store)."""
        return self._view.finished()

    def results(self, trials: list[Trial] | None = None) -> Any:
        """A pandas DataFrame with one row per trial (of ``trials``, default: all stored)."""
        from ..viz.tables import results_frame

        objs = [tuple(o) for o in self.config.objectives] or None
        return results_frame(self.trials if trials is None else trials, self.space,
                             objectives=objs)

    def best(self) -> Trial:
        """The best COMPLETE trial by the first objective (the value by default)."""
        return best_trial(self.store.trials(self.name, states=[TrialState.COMPLETE]),
                          self.name, self.config.objectives)

    def keep_model(self, number: int, value: float, model: Any) -> str | None:
        """Keep the best ``keep_models`` trained models (in memory and, with a file store,
        on disk); see :class:`~.models.ModelKeeper`. Returns a warning when saving failed."""
        return self._models.keep(number, value, model)

    def best_model(self) -> Any:
        """The trained ``torch.nn.Module`` of the best trial."""
        from ..weights import load_weights

        if not self.estimator.HAS_MODELS:  # estimators.create always gives an Estimator
            raise ValueError(
                f"the {self.config.estimator!r} estimator keeps no trained model of its own "
                "(it scores architectures without training each one), so no weights exist; "
                "build the best architecture with space.build() and train it"
            )
        best = self.best()
        if best.meta.get("executor") == "dask":
            raise ValueError(
                f"best_model() is not available for trial {best.number}: it ran on a Dask "
                "worker, and models stay on the workers (only JSON results come back); build "
                "it with exp.space.build(exp.best().arch, ...) and train it, or run without workers"
            )
        model = self._models.model(best.number)
        if model is not None:
            return model
        model = load_weights(self, best)
        if model is None:
            raise ValueError(
                f"no weights were kept for trial {best.number}; weights are kept for the best "
                f"{self.keep_models_k} trials of a search run with a file storage"
            )
        return model

    def __repr__(self) -> str:
        return (f"Experiment({self.name!r}, space={self.space.name!r}, strategy={self.config.strategy!r}, "
                f"estimator={self.config.estimator!r}, status={self.status!r})")


@atexit.register
def _stop_all() -> None:
    """Kernel shutdown: stop background searches cleanly."""
    for exp in list(_LIVE):
        if exp.running:
            exp.stop(wait=True, timeout=10)

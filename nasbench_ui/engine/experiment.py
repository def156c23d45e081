"""``Experiment``: a search of a space by a strategy and an estimator, kept in a store.

A façade over the config, the store, :class:`~.steering.Steering` and, while a search runs,
a :class:`~.loop.Loop`, put together by :mod:`~.building` (the arguments), :mod:`~.runs`
(each run), :mod:`~.lifecycle` (status, flags, thread), :mod:`~.observers` and :mod:`~.results`.
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

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import EllipsisType
from typing import Any

from ..config import ExperimentConfig
from ..estimators.callbacks import as_callbacks
from ..storage import Trial, TrialState, open_store
from ..strategies.base import Strategy
from ..trust import untrusted
from .building import build_parts, build_strategy, config_kwargs, store_location, stored_config
from .checks import check_pace
from .commands import SetPace
from .events import Event
from .executors.dask import DaskExecutor
from .ledger import tell_history
from .lifecycle import DONE, FAILED, IDLE, PAUSED, RUNNING, STOPPING, Lifecycle
from .loop import Loop
from .models import ModelKeeper, best_trial
from .observers import Observers
from .ownership import Ownership
from .parts import with_strategy_import
from .process_runs import ProcessRuns
from .results import results_table, trained_model
from .runs import Runs
from .steering import Steering
from .trial_view import TrialView

__all__ = ["DONE", "FAILED", "IDLE", "PAUSED", "RUNNING", "STOPPING", "Experiment"]


class Experiment:
    """A NAS experiment. See the module docstring."""

    def __init__(
        self, space: Any = "keras_cnn", strategy: str | Any = "random",
        estimator: str | Any | None = None, dataset: str | Any = "digits",
        trials: int | None = None, seconds: float | None = None,
        storage: str | Path | Any = ":memory:", device: str = "auto", seed: int = 0,
        strategy_options: dict | None = None, estimator_options: dict | None = None,
        dataset_options: dict | None = None, objectives: list | None = None,
        constraints: dict | None = None, name: str | None = None, max_failures: int = 10,
        keep_models: int = 3, retries: int = 0, trial_timeout: float | None = None,
        workers: int | None = None, executor: Any = None, pace: float | None = None,
        callbacks: Any = None, _record: dict | None = None,
    ) -> None:
        parts = build_parts(  # every check before anything is written: bad input loses nothing
            space=space, strategy=strategy, estimator=estimator, dataset=dataset, trials=trials,
            seconds=seconds, device=device, seed=seed, strategy_options=strategy_options,
            estimator_options=estimator_options, dataset_options=dataset_options,
            objectives=objectives, constraints=constraints, name=name, new=_record is None,
            max_failures=max_failures, retries=retries, trial_timeout=trial_timeout,
            workers=workers, executor=executor, pace=pace, storage=storage)
        self.executor: DaskExecutor | None = parts.executor
        self.callbacks = as_callbacks(callbacks)  # training hooks: in-process, never stored
        if self.callbacks and self.executor is not None:
            raise ValueError("callbacks run in this process only, not on Dask workers: "
                             "drop callbacks= or workers=/executor=")
        self.config, self.space, self.device = parts.config, parts.space, parts.device
        self.estimator, self._data = parts.estimator, parts.data
        self.max_failures, self.retries, self.keep_models_k = max_failures, retries, keep_models
        self.trial_timeout = float(trial_timeout) if trial_timeout is not None else None
        self.pace = None if pace is None else float(pace)
        self.worker_name: str | None = None
        self.yield_gil = True  # the loop hands the GIL to the kernel's threads (LoopParts)
        self.store = open_store(storage)
        self.name: str = (self.store.create_experiment(name, self.config.to_dict())
                          if _record is None else _record["name"])
        counters = dict((_record or {}).get("counters") or {"spent_s": 0.0})
        self._observers = Observers()
        self._life = Lifecycle(self.name, self._observers.emit)  # status, flags, thread, errors
        self._ownership = Ownership(self.store, self.name)
        self._runs = Runs(self, self._ownership, self._life, self._observers.emit, counters)
        self._view = TrialView(self.store, self.name)  # trials read so far (store.changes)
        self._models = ModelKeeper(self, keep_models, self._view.get)
        self._process = ProcessRuns(self, self._life, self._ownership, self._observers.emit,
                                    self._runs.reload)  # start(process=True)
        self.steering = Steering(
            name=self.name, store=self.store, space=self.space, config=lambda: self.config,
            commit=lambda c: self._commit(with_strategy_import(c)), emit=self._observers.emit,
            make_strategy=lambda s, options: build_strategy(s, options, self.config, self.space),
            retries=retries, strategy=parts.strategy, label=self.config.strategy, source=strategy,
            check_strategy=None if self.executor is None else self.executor.check_strategy)

    # ---------------------------------------------------------------- state
    @property
    def strategy(self) -> Strategy:
        """The strategy that proposes the next trials."""
        return self._runs.strategy

    @property
    def strategy_label(self) -> str:
        """The stored name of :attr:`strategy`."""
        return self._runs.strategy_label

    @property
    def last_error(self) -> str | None:
        """Why the last search stopped early (its loop's reason, a lost lease, or the
        fatal error that ``wait()`` raises), or None."""
        return self._runs.last_error

    @property
    def counters(self) -> dict[str, Any]:
        """The stored counters (``spent_s``: the budget spent in seconds)."""
        return self._runs.counters

    @property
    def dataset(self) -> Any:
        """The data set, loaded on first use."""
        return self._data.get()

    @property
    def dataset_by_name(self) -> bool:
        """True when the data set is a registered name (a worker can load it itself),
        False when it was given as an object."""
        return self._data.by_name

    @classmethod
    def load(cls, path: str | Path, name: str | None = None, **overrides: Any) -> Experiment:
        """Reopen a stored experiment (the most recent one unless ``name`` is given)."""
        store = open_store(path, readonly=True)  # reading never changes the file
        rec = store.load_experiment(name)
        # Nothing is written here: a search another process runs in this store goes on
        # undisturbed (run(), start() and steering take the lease, and interrupt a dead
        # owner's RUNNING trials, only when nobody else runs it). The stored config may be
        # someone else's: a path or module it names (custom parts by import path) must be
        # trusted (nb.trust) first; a data set saved with it is read from the store's folder.
        with untrusted(f"the stored experiment {rec['name']!r} in {path}"):
            config = stored_config(rec["config"], given=overrides)
            location = store_location(path)
            kwargs = config_kwargs(config, location and location[0]) | overrides
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
        if not self._process.steer("set_budget", **{
                k: v for k, v in (("trials", trials), ("seconds", seconds)) if v is not ...}):
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
        if not self._process.steer("set_constraints", constraints=constraints):
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
        if not self._process.switch_strategy(strategy, options):
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
        if not self._process.steer("set_pace", reread=False, pace=self.pace):
            self.steering.send(SetPace(self.pace))

    # -------------------------------------------------------------- observe
    def observe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback(event)`` on each trial start, curve point, finish and status change.

        Callbacks run on the search thread (for a search in its own process, on the
        kernel thread that reads its reports: ``status``, ``steer`` and ``trial_finish``
        events only); an exception in one is logged and ignored. Returns a function that
        removes the observer. A callback must return soon and must not wait for another
        thread that pauses, resumes or stops this search: a status event is sent while the
        status is held (so that events arrive in order), and that thread would wait for it.
        Hand slow work to a thread of your own, as the workbench does.
        """
        return self._observers.add(callback)

    @property
    def status(self) -> str:
        """idle, running, paused, stopping, done, or failed (the search died of an error
        that is not a trial's own: ``last_error`` says which, and ``wait()`` raises it)."""
        return self._life.status

    @property
    def running(self) -> bool:
        """True while a background search (``start()``) runs."""
        return self._life.running

    @property
    def process_id(self) -> int | None:
        """The process id of the search while it runs in its own process
        (``start(process=True)``), else None."""
        run = self._process.remote()
        return None if run is None else run.pid

    # ------------------------------------------------------------ lifecycle
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
        self._runs.prepare()
        with self._runs.session() as loop:
            yield loop

    def run(self) -> Experiment:
        """Run the search to its budget, blocking. Returns ``self``.

        Raises :class:`~nasbench_ui.storage.LeaseHeld` when another live process runs
        this experiment, and a fatal error of the search itself (``status`` is then
        ``"failed"``).
        """
        self._runs.prepare()
        self._runs.run_here()
        return self

    def start(self, process: bool = False) -> Experiment:
        """Run the search in a background thread and return at once.

        A fatal error on that thread sets ``status`` to ``"failed"`` and
        ``last_error``, and ``wait()`` raises it.

        ``process=True`` runs it in its own Python process instead (:mod:`~.child_run`),
        so that the kernel's threads (the workbench's charts) never wait for it, nor it
        for them. Pausing, stopping, steering and ``wait()`` work as on a thread;
        observers get ``status``, ``steer`` and ``trial_finish`` events (in batches);
        the trained models are the ones saved with the store. It needs a file store and
        custom parts importable from a module (ValueError says what is missing); a
        failure in the process raises :class:`~.child_run.SearchProcessError` from
        ``wait()``.
        """
        if process:
            self._process.start()
            return self
        self._runs.prepare()
        self._life.start(self._runs.background)
        return self

    def process_problems(self) -> list[str]:
        """Why ``start(process=True)`` cannot run this search in its own process ([]
        when it can).

        Example:
            >>> import nasbench_ui as nb
            >>> nb.Experiment("nb201", estimator="zero_cost", trials=1).process_problems()
            ["a file store (storage='runs/x.db'), which the process reopens"]
        """
        return self._process.problems()

    def pause(self) -> None:
        """Pause after the current epoch (the trial resumes where it was)."""
        self._life.pause()

    def resume(self) -> None:
        """Resume a paused search."""
        self._life.resume()

    def stop(self, wait: bool = True, timeout: float | None = 60) -> None:
        """Stop the search; the running trial ends INTERRUPTED and runs again on resume."""
        self._life.stop(wait, timeout)

    def wait(self, timeout: float | None = None) -> Experiment:
        """Block until the background search ends (or ``timeout`` seconds pass).

        Raises the error that killed the search, if one did (``status == "failed"``).
        """
        self._life.wait(timeout)
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
        return results_table(self.trials if trials is None else trials, self.space,
                             self.config.objectives)

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
        return trained_model(self, self.best, has_models=self.estimator.HAS_MODELS,
                             estimator=self.config.estimator, models=self._models,
                             keep=self.keep_models_k)

    def export_best(self, folder: str | Path, onnx: bool | None = None) -> dict[str, Path]:
        """Write the best model as ``model.py``, ``weights.pt``, ``arch.json``, TorchScript
        and ONNX into ``folder`` (see :func:`nasbench_ui.export.export_model`)."""
        from ..export import export_model

        kept = self._models.retrained  # after retrain(): that network, its stack and data
        if kept is not None:
            return export_model(kept.model, folder, space=self.space, arch=kept.arch,
                                input_shape=kept.input_shape, num_classes=kept.num_classes,
                                stack=kept.stack, onnx=onnx)
        ds = self.dataset
        return export_model(self.best_model(), folder, space=self.space, arch=self.best().arch,
                            input_shape=ds.input_shape, num_classes=ds.num_classes, onnx=onnx)

    def retrain(self, stack: Any = None, epochs: int = 10, dataset: Any = None,
                arch: dict[str, Any] | None = None, options: dict[str, Any] | None = None,
                seed: int | None = None) -> Any:
        """Train the best architecture (or ``arch``; for DARTS the derived one) from
        scratch, stacked by ``stack`` (e.g. ``{"cells": 5}``), for ``epochs`` on
        ``dataset`` (default: the search's), in a background thread like ``start()``.

        Returns a :class:`~.retrain.Retraining` handle (``wait()`` returns the
        :class:`~.retrain.Retrained`; ``curve``, ``status``, ``stop()``); observers get
        ``retrain`` and ``retrain_curve`` events. When it is done, ``best_model()`` and
        ``export_best()`` use the retrained network. ``options``: ``learning_rate``,
        ``optimizer``, ``batch_size``, ``weight_decay``. See :mod:`~.retrain`.

        Example:
            >>> import nasbench_ui as nb
            >>> exp = nb.Experiment("nb201", estimator="zero_cost", trials=2).run()
            >>> r = exp.retrain(stack={"cells": 1, "channels": 4}, epochs=1).wait()
            >>> type(r.model).__name__, exp.best_model() is r.model
            ('StackedNet', True)
        """
        from .retrain import begin

        return begin(self, emit=self._observers.emit, keeper=self._models, stack=stack,
                     epochs=epochs, dataset=dataset, arch=arch, options=options, seed=seed)

    def __repr__(self) -> str:
        return (f"Experiment({self.name!r}, space={self.space.name!r}, strategy={self.config.strategy!r}, "
                f"estimator={self.config.estimator!r}, status={self.status!r})")

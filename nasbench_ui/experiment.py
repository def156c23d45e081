"""``Experiment``: a search of a space by a strategy and an estimator, kept in a store.

``run()`` blocks; ``start()`` runs the same loop in a background thread so the kernel
stays free, with ``pause()``, ``resume()``, ``stop()`` and ``wait()``. Every trial is
written to the store (SQLite by default when a path is given), so an experiment
survives a kernel restart: ``Experiment.load(path)`` reopens it and ``run()`` continues
it to its budget.

``workers=N`` runs N trials at once on a Dask ``LocalCluster`` that the experiment
starts for the search and closes when it ends; ``executor=`` takes a
``distributed.Client`` or a scheduler address (``"tcp://host:port"``) instead (see
:mod:`nasbench_ui.executors`). The fault policy: ``retries``, ``trial_timeout`` and
``max_failures`` (see :mod:`nasbench_ui.runner`).

Steering (:mod:`nasbench_ui.steering`): while running, paused or done, ``set_budget``,
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
import logging
import math
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import data as datasets_mod
from . import estimators as estimators_mod
from . import strategies as strategies_mod
from .config import ExperimentConfig
from .devices import resolve_device
from .executors import check_device_name, make_executor
from .runner import Control, Event, run_loop
from .space import SearchSpace, presets
from .steering import Steering, check_constraints, one_shot_estimator, stored_name
from .storage import Trial, TrialState, open_store

log = logging.getLogger(__name__)
_LIVE: weakref.WeakSet[Experiment] = weakref.WeakSet()
IDLE, RUNNING, PAUSED, STOPPING, DONE = "idle", "running", "paused", "stopping", "done"


def _as_space(space: Any) -> SearchSpace:
    if isinstance(space, SearchSpace):
        return space
    if isinstance(space, str):
        return presets.get(space)
    if isinstance(space, dict):
        return SearchSpace.from_dict(space)
    raise ValueError(f"space must be a SearchSpace, a preset name or a space dict, got {type(space).__name__}")


def _check_policy(retries: Any, trial_timeout: Any, max_failures: Any) -> None:
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be an integer >= 0 (how often a FAILED trial's "
                         f"architecture runs again), got {retries!r}")
    if trial_timeout is not None and (
        isinstance(trial_timeout, bool) or not isinstance(trial_timeout, (int, float))
        or not math.isfinite(trial_timeout) or trial_timeout <= 0
    ):
        raise ValueError(f"trial_timeout must be a positive number of seconds (or None), "
                         f"got {trial_timeout!r}")
    if isinstance(max_failures, bool) or not isinstance(max_failures, int) or max_failures < 0:
        raise ValueError(f"max_failures must be an integer >= 0 (0: never stop on failures), "
                         f"got {max_failures!r}")


_DONE = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED)


class Experiment(Steering):
    """A NAS experiment. See the module docstring and ``../shared/DESIGN.md``."""

    def __init__(
        self,
        space: SearchSpace | str | dict = "keras_cnn",
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
        _record: dict | None = None,
    ) -> None:
        space_obj = _as_space(space)
        _check_policy(retries, trial_timeout, max_failures)
        self.executor = make_executor(workers=workers, executor=executor)
        if trials is None and seconds is None:
            trials = 20
        partner = one_shot_estimator(strategy)
        if estimator is None:  # a one-shot strategy brings its estimator
            estimator = partner or "train"
        elif partner and stored_name(estimator) != partner:
            raise ValueError(
                f"the strategy {stored_name(strategy)!r} is one-shot and runs only with the estimator "
                f"{partner!r}, not {stored_name(estimator)!r}: pass estimator={partner!r} (or leave "
                "estimator out)")
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
        self.worker_name: str | None = None
        self.last_error: str | None = None
        self._strategy_arg = strategy
        # check every name and option before anything is written (bad input loses nothing)
        self.estimator = estimators_mod.create(estimator, self.config.estimator_options)
        self.strategy = self._new_strategy()
        self._dataset_arg = dataset
        if isinstance(dataset, str) and dataset not in datasets_mod.names():
            raise ValueError(f"unknown data set {dataset!r}; data sets are {datasets_mod.names()}")
        if self.executor is not None:
            self.executor.check(self, estimator)
        self._dataset = None
        self.store = open_store(storage)
        if _record is None:
            self.name = self.store.create_experiment(name, self.config.to_dict())
            self.counters: dict[str, Any] = {"spent_s": 0.0}
        else:
            self.name = _record["name"]
            self.counters = dict(_record.get("counters") or {"spent_s": 0.0})
        self._observers: list[Callable[[Event], None]] = []
        self._thread: threading.Thread | None = None
        self._control = Control()
        self._status = IDLE
        self._models: dict[int, tuple[float, Any]] = {}
        self._done_version = 0
        self._done: set[int] = set()
        self._retried: set[int] = set()
        self._init_steering()
        _LIVE.add(self)

    # ------------------------------------------------------------- building
    def _new_strategy(self, strategy: Any = None, options: dict | None = None) -> Any:
        """The configured strategy (or ``strategy`` with ``options``), constrained."""
        from .constraints import make_constraint

        constraint = make_constraint(self.config.constraints, self.space)
        if strategy is None:
            strategy, options = self._strategy_arg, self.config.strategy_options
        return strategies_mod.create(strategy, self.space, seed=self.config.seed,
                                     options=options or {}, constraint=constraint)

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

    @classmethod
    def load(cls, path: str | Path, name: str | None = None, **overrides: Any) -> Experiment:
        """Reopen a stored experiment (the most recent one unless ``name`` is given)."""
        store = open_store(path)
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
        exp = cls(storage=store, _record=rec, **kwargs)
        exp.store.interrupt_running(exp.name)
        return exp

    # --------------------------------------------------------------- budget
    def spent_s(self) -> float:
        return float(self.counters.get("spent_s", 0.0))

    def budget_left_s(self) -> float | None:
        if self.config.seconds is None:
            return None
        return max(0.0, self.config.seconds - self.spent_s())

    def n_done(self) -> int:
        """Finished trials that count toward ``trials`` (a FAILED trial that was retried
        does not: its retry does)."""
        # Incremental: read only the trials changed since the last call (the loop asks
        # this before every trial; reading every trial each time made long searches O(n^2)).
        version, changed = self.store.changes(self.name, since=self._done_version)
        for t in changed:
            (self._done.add if t.state in _DONE else self._done.discard)(t.number)
            if t.meta.get("retry_of") is not None:
                self._retried.add(t.meta["retry_of"])
        self._done_version = version
        return len(self._done) - len(self._retried & self._done)

    def budget_spent(self) -> bool:
        if self.config.trials is not None and self.n_done() >= self.config.trials:
            return True
        left = self.budget_left_s()
        return left is not None and left <= 0

    # -------------------------------------------------------------- control
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
        """idle, running, paused, stopping or done."""
        return self._status

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _prepare(self) -> None:
        if self.running:
            raise RuntimeError(f"experiment {self.name!r} is already running; stop() it first")
        self.last_error = None
        rec = self.store.load_experiment(self.name)
        self.counters = dict(rec.get("counters") or {"spent_s": 0.0})
        self.dataset  # noqa: B018 - load before the loop so errors surface here
        with self._steer_lock:  # the config already holds every steering change
            self._clear_pending()
            self.strategy = self._new_strategy()
            self.strategy_label = self.config.strategy
            state = rec.get("strategy_state")
            if state and self._state_fits(state):
                self.strategy.load_state_dict(state)
            elif state:  # switched before the new strategy's state was saved: replay
                self.tell_history(self.strategy)
            self._control = Control()
            self._looping = True  # steering waits for the loop from here on

    def _loop(self) -> None:
        self._set_status(RUNNING)
        try:
            if self.executor is None:
                run_loop(self, self._control, self._emit)
            else:
                from .executors.dask_executor import run_dask_loop

                run_dask_loop(self, self._control, self._emit, self.executor)
        finally:
            with self._steer_lock:  # changes made from now on apply at once
                self._looping = False
                self.apply_steering()
            self._set_status(DONE)

    def run(self) -> Experiment:
        """Run the search to its budget, blocking. Returns ``self``."""
        self._prepare()
        self._loop()
        return self

    def start(self) -> Experiment:
        """Run the search in a background thread and return at once."""
        self._prepare()
        self._thread = threading.Thread(target=self._loop, name=f"nasbench-{self.name}", daemon=True)
        self._thread.start()
        return self

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
            if wait:
                self.wait(timeout)

    def wait(self, timeout: float | None = None) -> Experiment:
        """Block until the background search ends (or ``timeout`` seconds pass)."""
        if self._thread is not None:
            self._thread.join(timeout)
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
        return [t for t in self.store.trials(self.name) if t.finished]

    def results(self, trials: list[Trial] | None = None) -> Any:
        """A pandas DataFrame with one row per trial (of ``trials``, default: all stored)."""
        from .viz.tables import results_frame

        objs = [tuple(o) for o in self.config.objectives] or None
        return results_frame(self.trials if trials is None else trials, self.space,
                             objectives=objs)

    def best(self) -> Trial:
        """The best COMPLETE trial by the first objective (the value by default)."""
        done = self.store.trials(self.name, states=[TrialState.COMPLETE])
        if not done:
            raise ValueError(f"experiment {self.name!r} has no complete trial yet")
        if self.config.objectives:
            metric, direction = self.config.objectives[0]
            sign = 1 if direction == "max" else -1
            scored = [t for t in done if t.metrics.get(metric) is not None] or done
            return max(scored, key=lambda t: sign * float(t.metrics.get(metric, t.value or 0)))
        return max(done, key=lambda t: t.value if t.value is not None else float("-inf"))

    def keep_model(self, number: int, value: float, model: Any) -> None:
        """Keep the best ``keep_models`` trained models (in memory and, with a file store, on disk)."""
        from .weights import save_weights

        self._models[number] = (value, model)
        ranked = sorted(self._models.items(), key=lambda kv: kv[1][0], reverse=True)
        self._models = dict(ranked[: self.keep_models_k])
        if number in self._models:
            save_weights(self, number, model)

    def best_model(self) -> Any:
        """The trained ``torch.nn.Module`` of the best trial."""
        from .weights import load_weights

        if getattr(self.estimator, "HAS_MODELS", True) is False:
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
        if best.number in self._models:
            return self._models[best.number][1]
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

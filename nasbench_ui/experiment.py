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
import contextlib
import logging
import math
import re
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
from .steering import (
    Steering,
    check_constraints,
    one_shot_estimator,
    stored_name,
    strategy_for_estimator,
)
from .storage import Trial, TrialState, open_store
from .storage.lease import DEFAULT_TTL, Lease, live_holder
from .strategies.base import Strategy
from .trust import untrusted

log = logging.getLogger(__name__)
_LIVE: weakref.WeakSet[Experiment] = weakref.WeakSet()
IDLE, RUNNING, PAUSED, STOPPING, DONE, FAILED = (
    "idle", "running", "paused", "stopping", "done", "failed")
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")


def check_new_name(name: Any) -> None:
    """A new experiment's name: 1 to 100 of ``A-Z a-z 0-9 _ . -``, not ``.`` or ``..``.

    (Stores written before this rule may hold other names; they still open.)

    Example:
        >>> check_new_name("evolution-keras_cnn-3")
        >>> check_new_name("../x")
        Traceback (most recent call last):
        ...
        ValueError: experiment name '../x' is not allowed: use 1 to 100 letters, digits, '_', '.' or '-' (not '.' or '..')
    """
    if name is None:
        return
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name in (".", ".."):
        raise ValueError(f"experiment name {name!r:.120} is not allowed: use 1 to 100 letters, "
                         "digits, '_', '.' or '-' (not '.' or '..')")


def _check_pace(pace: Any) -> None:
    if pace is not None and (isinstance(pace, bool) or not isinstance(pace, (int, float))
                             or not math.isfinite(pace) or pace <= 0):
        raise ValueError(f"pace must be a positive number (simulated seconds per real second, "
                         f"e.g. 60 for 'real time x60'), or None for full speed; got {pace!r}")


def _check_seed(seed: Any) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")


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
        pace: float | None = None,
        _record: dict | None = None,
    ) -> None:
        space_obj = _as_space(space)
        _check_policy(retries, trial_timeout, max_failures)
        _check_seed(seed)
        if _record is None:
            check_new_name(name)
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
        owner = strategy_for_estimator(estimator)
        if owner is not None and owner != stored_name(strategy):
            raise ValueError(
                f"the estimator {stored_name(estimator)!r} serves only the one-shot strategy "
                f"{owner!r} (it trains a shared supernet one epoch per trial), not "
                f"{stored_name(strategy)!r}: pass strategy={owner!r}, or pick another estimator "
                "such as 'early_stop' or 'train'")
        _check_pace(pace)
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
        self.last_error: str | None = None
        self._strategy_arg = strategy
        # check every name and option before anything is written (bad input loses nothing)
        self.estimator = estimators_mod.create(estimator, self.config.estimator_options)
        self.strategy = self._new_strategy()
        self._dataset_arg = dataset
        if isinstance(dataset, str):
            datasets_mod.check(dataset, seed, self.config.dataset_options)
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
        self._error: BaseException | None = None  # what killed the last search (wait() raises it)
        self._lease: Lease | None = None
        self.lease_ttl = DEFAULT_TTL
        self._models: dict[int, tuple[float, Any]] = {}
        self._models_ranked = False
        self._seen_version = 0
        self._seen: dict[int, Trial] = {}  # every trial read so far, by number (store.changes)
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
    def owner(self) -> dict[str, Any] | None:
        """The lease record of the live process that runs this experiment (``pid``,
        ``host``, ``heartbeat``), or None when nobody runs it.

        Example:
            >>> import nasbench_ui as nb
            >>> nb.Experiment("nb201", estimator="zero_cost", trials=1).owner() is None
            True
        """
        return live_holder(self.store, self.name, ttl=self.lease_ttl)

    @property
    def followed(self) -> bool:
        """True while another process runs this experiment (this object only reads it)."""
        if self._lease is not None and self._lease.held:
            return False
        return self.owner() is not None

    def _ensure_writable(self) -> None:
        """Open the store for writing, unless another live process runs the experiment."""
        if self._lease is not None and self._lease.held:
            return
        holder = self.owner()
        if holder is not None:
            Lease(self.store, self.name, ttl=self.lease_ttl).acquire()  # raises LeaseHeld
        self.store.open_for_writing()

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
        self._sync()
        return len(self._done) - len(self._retried & self._done)

    def _sync(self) -> None:
        """Fold in the trials written since the last call (``store.changes``): the loop
        and observers ask for counts and history at every trial, and reading every
        trial each time made long searches O(n^2)."""
        version, changed = self.store.changes(self.name, since=self._seen_version)
        for t in changed:
            self._seen[t.number] = t
            (self._done.add if t.state.counted else self._done.discard)(t.number)
            if t.meta.get("retry_of") is not None:
                self._retried.add(t.meta["retry_of"])
        self._seen_version = version

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
        """idle, running, paused, stopping, done, or failed (the search died of an error
        that is not a trial's own: ``last_error`` says which, and ``wait()`` raises it)."""
        return self._status

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _prepare(self) -> None:
        if self.running:
            raise RuntimeError(f"experiment {self.name!r} is already running; stop() it first")
        self.last_error, self._error = None, None
        self._take_lease()
        try:
            self._prepare_owned()
        except BaseException:
            self._release_lease()
            raise

    def _take_lease(self) -> None:
        """Become the experiment's one owner (or raise :class:`LeaseHeld`), then end the
        trials a dead owner left RUNNING."""
        if self._lease is not None and self._lease.held:
            return
        if self.owner() is not None:  # refuse before anything is written
            Lease(self.store, self.name, ttl=self.lease_ttl).acquire()
        self.store.open_for_writing()
        lease = Lease(self.store, self.name, ttl=self.lease_ttl)
        lease.acquire()
        self._lease = lease
        self.store.interrupt_running(self.name)
        lease.start_heartbeat(on_lost=self._lease_lost)

    def _lease_lost(self, why: str) -> None:
        self.last_error = f"{why}; this search stopped so that two never run at once"
        self._control.stop.set()
        self._control.running.set()

    def _release_lease(self) -> None:
        lease, self._lease = self._lease, None
        if lease is not None:
            try:
                lease.release()
            except Exception:  # noqa: BLE001 - a locked store: the lease expires by itself
                log.warning("could not release the lease of %r; it expires in %.0f s",
                            self.name, self.lease_ttl)

    def _prepare_owned(self) -> None:
        rec = self.store.load_experiment(self.name)
        self.counters = dict(rec.get("counters") or {"spent_s": 0.0})
        # the data set loads on the search thread (start() returns at once); a loader
        # that fails there makes the search "failed", and wait() raises its error
        with self._steer_lock:  # the config already holds every steering change
            self._clear_pending()
            self.strategy = self._new_strategy()
            self.strategy_label = self.config.strategy
            state = rec.get("strategy_state")
            if state and self._state_fits(state) and not Strategy.replays_history(state):
                self.strategy.load_state_dict(state)
            elif state:  # no snapshot (the default), or switched before it was saved
                self.tell_history(self.strategy)
            self._control = Control()
            self._looping = True  # steering waits for the loop from here on

    def _loop(self) -> None:
        self._set_status(RUNNING)
        final = DONE
        try:
            self.dataset  # noqa: B018 - load it here, on the search thread
            if self.executor is None:
                run_loop(self, self._control, self._emit)
            else:
                from .executors.dask_executor import run_dask_loop

                run_dask_loop(self, self._control, self._emit, self.executor)
        except BaseException as err:
            # Fatal: not a trial's own error (those end the trial FAILED and the search
            # goes on) but the store, the executor or the loop itself. Never silent.
            final, self._error = FAILED, err
            if not isinstance(err, KeyboardInterrupt):
                self.last_error = f"the search stopped: {type(err).__name__}: {err}"
                log.error("search %r failed: %s", self.name, self.last_error)
            try:
                self.store.interrupt_running(self.name)  # we still own it
            except Exception:  # noqa: BLE001 - the store itself may be what failed
                log.warning("could not mark the running trial of %r INTERRUPTED", self.name)
            raise
        finally:
            with self._steer_lock:  # changes made from now on apply at once
                self._looping = False
                try:
                    self.apply_steering()
                except Exception:  # noqa: BLE001 - a failing store must not hide the cause
                    log.exception("applying steering after the search of %r", self.name)
            self._release_lease()
            if isinstance(self._error, KeyboardInterrupt):
                final = DONE
            self._set_status(final)

    def run(self) -> Experiment:
        """Run the search to its budget, blocking. Returns ``self``.

        Raises :class:`~nasbench_ui.storage.LeaseHeld` when another live process runs
        this experiment, and a fatal error of the search itself (``status`` is then
        ``"failed"``).
        """
        self._prepare()
        self._loop()
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
            self._loop()

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
        _check_pace(pace)
        self.pace = None if pace is None else float(pace)

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
        self._sync()
        return [t for t in self._seen.values() if t.finished]  # numbers arrive in order

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

    def keep_model(self, number: int, value: float, model: Any) -> str | None:
        """Keep the best ``keep_models`` trained models (in memory and, with a file store,
        on disk); the files of trials that leave the best ``keep_models`` are deleted,
        and the ranking carries over a resume (it starts from the files on disk).

        Saving is optional: a failure (a full disk, a read-only folder) returns a warning
        for the trial instead of raising, and leaves no partial file.
        """
        from .weights import kept_numbers, remove_weights, save_weights

        if not self._models_ranked:  # a resume: rank the files an earlier run kept
            self._sync()
            for n in kept_numbers(self):
                t = self._seen.get(n)
                if n not in self._models and t is not None and t.value is not None:
                    self._models[n] = (float(t.value), None)
            self._models_ranked = True
        self._models[number] = (value, model)
        ranked = sorted(self._models.items(), key=lambda kv: kv[1][0], reverse=True)
        self._models = dict(ranked[: self.keep_models_k])
        for n, _ in ranked[self.keep_models_k:]:
            remove_weights(self, n)
        if number not in self._models:
            return None
        try:
            save_weights(self, number, model)
        except (OSError, RuntimeError) as err:  # torch.save wraps some OSErrors
            log.warning("trial %s: weights not saved: %s", number, err)
            return f"warning: weights not saved ({type(err).__name__}: {err})"
        return None

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
        if best.number in self._models and self._models[best.number][1] is not None:
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

"""Steering a search: new budget, constraints or strategy from the next trial on.

:class:`Steering` is an object the experiment holds (composition, not a mixin). Each
change is checked first (a bad one raises and changes nothing), then written to the
stored config (so ``Experiment.load`` sees it), then announced to observers as
``Event("steer", ...)``. While a run is open (:meth:`Steering.begin_run`) the change
goes into that run's :class:`~nasbench_ui.engine.commands.CommandQueue` and the loop
applies it at its next step; otherwise it applies at once to the idle state held here
(the strategy the next run starts with). :meth:`Steering.end_run` takes the loop's
strategy back and applies what the loop did not get to.

Switching strategy keeps the history: the new strategy is told every finished trial in
number order before its first ask, as it would have been told them had it run from the
start (regularized evolution, Real et al. AAAI 2019, starts from a population drawn from
them; BANANAS, White et al. AAAI 2021, trains its predictors on them).

Example:
    >>> import nasbench_ui as nb
    >>> exp = nb.Experiment("nb201", trials=3)
    >>> exp.set_budget(trials=4); exp.switch_strategy("local_search")
    >>> exp.config.trials, exp.config.strategy
    (4, 'local_search')
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from types import EllipsisType
from typing import Any

from .. import strategies as strategies_mod
from ..config import ExperimentConfig
from ..estimators.adapter import EstimatorAdapter, declared_name
from ..estimators.base import Estimator
from ..strategies.adapter import adapt
from ..strategies.base import Strategy
from .commands import Command, CommandQueue, SetBudget, SetConstraint, SwitchStrategy
from .events import Event
from .ledger import Budget, tell_history

log = logging.getLogger(__name__)
#: the plug-in types that declare ``NAME`` on their base (strategies, estimators, adapters)
_NAMED = (Strategy, Estimator, EstimatorAdapter)


def stored_name(obj: Any) -> str:
    """The name a strategy or estimator (name, class or object) is stored under.

    The contract: a name is itself; a :class:`~nasbench_ui.strategies.base.Strategy` or
    :class:`~nasbench_ui.estimators.base.Estimator` (class or instance) and an
    ``EstimatorAdapter`` declare ``NAME`` on their base; a part written to the bare
    protocol is read by the adapters' ``declared_name`` (the one place that asks a
    foreign object), ``"custom"`` when it declares none.

    Example:
        >>> from nasbench_ui.strategies import RandomSearch
        >>> stored_name("evolution"), stored_name(RandomSearch), stored_name(object())
        ('evolution', 'random', 'custom')
    """
    if isinstance(obj, str):
        return obj
    if isinstance(obj, _NAMED) or (isinstance(obj, type) and issubclass(obj, _NAMED)):
        name = obj.NAME
        return name if isinstance(name, str) else "custom"
    return declared_name(obj)


def one_shot_estimator(strategy: Any) -> str | None:
    """The estimator a one-shot strategy (name, class or object) runs with: the
    ``ESTIMATOR`` of the :class:`~nasbench_ui.strategies.base.Strategy` (None: any).

    Example:
        >>> one_shot_estimator("darts"), one_shot_estimator("random")
        ('darts_epoch', None)
    """
    if isinstance(strategy, str):
        try:
            strategy = strategies_mod.get(strategy)
        except ValueError:  # an unknown name is reported when the strategy is created
            return None
    if isinstance(strategy, type):
        estimator = strategy.ESTIMATOR if issubclass(strategy, Strategy) else None
    else:
        estimator = adapt(strategy).ESTIMATOR  # the adapter reads a foreign object's hooks
    return estimator if isinstance(estimator, str) and estimator else None


def strategy_for_estimator(estimator: Any) -> str | None:
    """The one-shot strategy an estimator belongs to (``darts_epoch`` -> ``darts``), or
    None for an estimator that serves every strategy.

    Example:
        >>> strategy_for_estimator("darts_epoch"), strategy_for_estimator("train")
        ('darts', None)
    """
    name = stored_name(estimator)
    for strategy in strategies_mod.names():
        if one_shot_estimator(strategy) == name:
            return strategy
    return None


def check_constraints(constraints: Any) -> dict[str, Any]:
    """``{metric: {"max": x, "min": y}}`` with numeric bounds ({} or None: none).

    Example:
        >>> check_constraints({"params": {"max": 5e4}}), check_constraints(None)
        ({'params': {'max': 50000.0}}, {})
    """
    if constraints is None:
        return {}
    if not isinstance(constraints, dict):
        raise ValueError(f"constraints must be a dict like {{'params': {{'max': 100000}}}}, "
                         f"got {type(constraints).__name__}")
    for metric, bound in constraints.items():
        if not isinstance(bound, dict) or not bound or set(bound) - {"max", "min"}:
            raise ValueError(f"constraint on {metric!r} must be like {{'max': 100000}} or "
                             f"{{'min': 0.5}}, got {bound!r}")
        for key, v in bound.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"constraint bound {metric}.{key} must be a finite number, got {v!r}")
    return dict(constraints)


def check_one_shot(strategy: Any, estimator: Any) -> Any:
    """The estimator to use with ``strategy``: a one-shot strategy brings its own (and
    refuses another); an estimator that serves one one-shot strategy refuses the others.

    Example:
        >>> check_one_shot("darts", None), check_one_shot("random", None)
        ('darts_epoch', 'train')
        >>> check_one_shot("random", "darts_epoch")
        Traceback (most recent call last):
        ...
        ValueError: the estimator 'darts_epoch' serves only the one-shot strategy 'darts' (it trains a shared supernet one epoch per trial), not 'random': pass strategy='darts', or pick another estimator such as 'early_stop' or 'train'
    """
    one_shot = one_shot_estimator(strategy)
    if estimator is None:
        return one_shot or "train"
    if one_shot and stored_name(estimator) != one_shot:
        raise ValueError(
            f"the strategy {stored_name(strategy)!r} is one-shot and runs only with the "
            f"estimator {one_shot!r}, not {stored_name(estimator)!r}: pass "
            f"estimator={one_shot!r} (or leave estimator out)")
    owner = strategy_for_estimator(estimator)
    if owner is not None and owner != stored_name(strategy):
        raise ValueError(
            f"the estimator {stored_name(estimator)!r} serves only the one-shot strategy "
            f"{owner!r} (it trains a shared supernet one epoch per trial), not "
            f"{stored_name(strategy)!r}: pass strategy={owner!r}, or pick another estimator "
            "such as 'early_stop' or 'train'")
    return estimator


class Steering:
    """Budget, constraint and strategy changes for a running, paused or finished search.

    Inputs (explicit): the experiment's ``name``, ``store`` and ``space``; ``config``
    (a getter) and ``commit`` (stores a new config; raises when another process runs
    the experiment); ``make_strategy(strategy, options)`` (builds a constrained
    strategy from a name, class or object); ``emit`` (observers); ``retries`` (which
    FAILED trials the history holds); ``check_strategy`` (an executor's veto of a
    strategy name, or None). Held here: ``strategy``, ``label`` and ``source`` (the
    name, class or object the next run rebuilds it from), between runs.
    """

    def __init__(self, *, name: str, store: Any, space: Any,
                 config: Callable[[], ExperimentConfig],
                 commit: Callable[[ExperimentConfig], None],
                 make_strategy: Callable[[Any, dict | None], Strategy],
                 emit: Callable[[Event], None], retries: int,
                 check_strategy: Callable[[str], None] | None,
                 strategy: Strategy, label: str, source: Any) -> None:
        self.name, self.store, self.space = name, store, space
        self._config, self._commit, self._make = config, commit, make_strategy
        self._emit, self.retries, self._check_strategy = emit, retries, check_strategy
        self.strategy, self.label, self.source = strategy, label, source
        self._latest = strategy  # the strategy the last change chose (queued or held)
        self._lock = threading.RLock()  # steering changes vs. a run's begin and end
        self._queue: CommandQueue | None = None

    # ------------------------------------------------------------- runs
    @property
    def running(self) -> bool:
        """True between :meth:`begin_run` and :meth:`end_run`."""
        return self._queue is not None

    def reset(self, strategy: Strategy, label: str) -> None:
        """Hold ``strategy`` (built for a new run from the config)."""
        with self._lock:
            self.strategy = self._latest = strategy
            self.label = label

    def begin_run(self) -> CommandQueue:
        """From now on, changes go into the returned queue (the new loop's)."""
        with self._lock:
            self._queue = CommandQueue()
            return self._queue

    def end_run(self, strategy: Strategy, label: str) -> None:
        """Take the loop's strategy back, and apply the commands it did not get to."""
        with self._lock:
            queue, self._queue = self._queue, None
            self.strategy, self.label, self._latest = strategy, label, strategy
            for command in queue.drain() if queue is not None else []:
                try:
                    command.apply(self)
                    if isinstance(command, SwitchStrategy):
                        self._latest = self.strategy
                except Exception:  # noqa: BLE001 - a failing store must not hide the cause
                    log.exception("applying steering after the search of %r", self.name)

    def send(self, command: Command) -> None:
        """Queue ``command`` for the running loop, or apply it now when none runs."""
        with self._lock:
            if self._queue is not None:
                self._queue.put(command)
            else:
                command.apply(self)

    # --------------------------------------------- idle state as a target
    def use_budget(self, budget: Budget) -> None:
        """Nothing to do: the next run reads the budget from the config."""

    def use_pace(self, pace: float | None) -> None:
        """Nothing to do: the next run reads the experiment's pace."""

    def use_constraint(self, fn: Callable[[dict[str, Any]], bool] | None) -> None:
        if self.strategy.ACCEPTS_CONSTRAINTS:
            self.strategy.set_constraint(fn)

    def use_strategy(self, strategy: Strategy, label: str) -> None:
        tell_history(strategy, self.store.trials(self.name), self.retries)
        self._adopt(strategy, label)

    def _adopt(self, strategy: Strategy, label: str) -> None:
        self.strategy, self.label, self._latest = strategy, label, strategy
        self.store.save_strategy_state(self.name, strategy.state_dict())

    # ---------------------------------------------------------- changes
    def set_budget(self, trials: int | None | EllipsisType = ...,
                   seconds: float | None | EllipsisType = ...) -> None:
        """Change the budget (see :meth:`Experiment.set_budget
        <nasbench_ui.engine.experiment.Experiment.set_budget>`)."""
        with self._lock:
            old = self._config()
            new = replace(old, trials=old.trials if trials is ... else trials,
                          seconds=old.seconds if seconds is ... else seconds)  # validates
            self._commit(new)
            self.send(SetBudget(Budget(new.trials, new.seconds)))
        self._steered("budget", {"trials": new.trials, "seconds": new.seconds},
                      {"trials": old.trials, "seconds": old.seconds})

    def set_constraints(self, constraints: dict[str, Any] | None) -> None:
        """Replace the constraints (see :meth:`Experiment.set_constraints
        <nasbench_ui.engine.experiment.Experiment.set_constraints>`)."""
        from ..constraints import make_constraint

        constraints = check_constraints(constraints)
        fn = make_constraint(constraints, self.space)
        with self._lock:
            if fn is not None and not self._latest.ACCEPTS_CONSTRAINTS:
                raise ValueError(f"the strategy {self.label!r} has no set_constraint, "
                                 "so it cannot honour constraints")
            old = self._config().constraints
            self._commit(replace(self._config(), constraints=constraints))
            self.send(SetConstraint(fn))
        self._steered("constraints", {"constraints": constraints}, {"constraints": old})

    def switch_strategy(self, strategy: Any, options: dict | None = None) -> None:
        """Propose the next trials with another strategy that keeps the history (see
        :meth:`Experiment.switch_strategy
        <nasbench_ui.engine.experiment.Experiment.switch_strategy>`)."""
        label = stored_name(strategy)
        estimator = self._config().estimator
        current_needs = one_shot_estimator(self._latest)  # the estimator each one-shot needs
        new_needs = one_shot_estimator(strategy)
        if new_needs and new_needs != estimator:
            raise ValueError(
                f"the strategy {label!r} is one-shot and runs only with the estimator "
                f"{new_needs!r}; this experiment's estimator is {estimator!r} and cannot change "
                f"mid-run: start a new experiment with strategy={label!r}, estimator={new_needs!r}")
        if current_needs and current_needs == estimator and new_needs != estimator:
            raise ValueError(
                f"the estimator {estimator!r} runs only with the one-shot strategy "
                f"{self.label!r}, so the search cannot switch to {label!r}; start a new "
                "experiment with another estimator")
        if self._check_strategy is not None:
            self._check_strategy(label)
        new = self._make(strategy, options or {})  # checks the name and options
        with self._lock:
            config = self._config()
            old = {"strategy": config.strategy, "options": config.strategy_options}
            if self._queue is None:
                tell_history(new, self.store.trials(self.name), self.retries)  # may raise
            self._commit(replace(config, strategy=label, strategy_options=dict(options or {})))
            self.source = strategy
            if self._queue is None:
                self._adopt(new, label)
            else:
                self._queue.put(SwitchStrategy(new, label))
                self._latest = new
        self._steered("strategy", {"strategy": label, "options": dict(options or {})}, old)

    def _steered(self, change: str, new: dict[str, Any], old: dict[str, Any]) -> None:
        self._emit(Event("steer", self.name, None,
                         {"change": change, "new": new, "old": old, "at": time.time()}))

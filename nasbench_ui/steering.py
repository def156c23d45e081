"""Steering a search mid-run: new budget, constraints or strategy from the next trial on.

A mixin of :class:`nasbench_ui.experiment.Experiment`. A change made while the loop runs
(or is paused) is kept pending and applied by the loop between trials
(:meth:`Steering.apply_steering`, called from ``Search.next_job``); one made while no
loop runs applies at once. Every change is written to the stored config, so
``Experiment.load`` sees it, and announced to observers as ``Event("steer", ...)``.

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
from dataclasses import replace
from types import EllipsisType
from typing import TYPE_CHECKING, Any

from . import strategies as strategies_mod
from .runner import Event
from .storage import TrialState

if TYPE_CHECKING:
    from .config import ExperimentConfig

log = logging.getLogger(__name__)


_NOTHING: Any = object()  # no pending constraint change


def stored_name(obj: Any) -> str:
    """The name a strategy or estimator (name, class or object) is stored under.

    Example:
        >>> stored_name("evolution"), stored_name(object())
        ('evolution', 'custom')
    """
    return obj if isinstance(obj, str) else getattr(obj, "NAME", "custom")


def one_shot_estimator(strategy: Any) -> str | None:
    """The estimator a one-shot strategy (name, class or object) runs with (``ESTIMATOR``).

    Example:
        >>> one_shot_estimator("darts"), one_shot_estimator("random")
        ('darts_epoch', None)
    """
    if isinstance(strategy, str):
        try:
            strategy = strategies_mod.get(strategy)
        except ValueError:  # an unknown name is reported when the strategy is created
            return None
    partner = getattr(strategy, "ESTIMATOR", None)
    return partner if isinstance(partner, str) and partner else None


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


class Steering:
    """Budget, constraint and strategy changes for a running, paused or finished search.

    The host class provides ``config``, ``space``, ``store``, ``name``, ``strategy``,
    ``executor``, ``retries``, ``last_error``, ``_strategy_arg``, ``_emit`` and
    ``_new_strategy``, and calls :meth:`_init_steering` in its constructor.
    """

    config: ExperimentConfig
    space: Any
    store: Any
    name: str
    strategy: Any
    strategy_label: str
    executor: Any
    retries: int
    last_error: str | None
    _strategy_arg: Any

    def _init_steering(self) -> None:
        # changes made while the loop runs wait here until it is between trials
        self._steer_lock = threading.RLock()
        self._looping = False
        self._pending_switch: tuple[Any, str] | None = None
        self._pending_constraint: Any = _NOTHING
        self.strategy_label = self.config.strategy

    def _clear_pending(self) -> None:
        """Forget pending changes (a new run builds its strategy from the config, which
        holds them all)."""
        self._pending_switch, self._pending_constraint = None, _NOTHING

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
        with self._steer_lock:
            old = self.config
            new = replace(old, trials=old.trials if trials is ... else trials,
                          seconds=old.seconds if seconds is ... else seconds)  # validates
            self._commit(new)
        self._emit_steer("budget", {"trials": new.trials, "seconds": new.seconds},
                         {"trials": old.trials, "seconds": old.seconds})

    def set_constraints(self, constraints: dict[str, Any] | None) -> None:
        """Replace the constraints (the constructor's format; ``{}`` removes them); the
        strategy honours them from its next ask.

        Example:
            >>> import nasbench_ui as nb
            >>> exp = nb.Experiment("mlp", trials=2)
            >>> exp.set_constraints({"params": {"max": 50_000}}); exp.config.constraints
            {'params': {'max': 50000}}
        """
        from .constraints import make_constraint

        constraints = check_constraints(constraints)
        fn = make_constraint(constraints, self.space)
        with self._steer_lock:
            target = self._pending_switch[0] if self._pending_switch else self.strategy
            if fn is not None and not target.ACCEPTS_CONSTRAINTS:
                raise ValueError(f"the strategy {self.strategy_label!r} has no set_constraint, "
                                 "so it cannot honour constraints")
            old = self.config.constraints
            self._commit(replace(self.config, constraints=constraints))
            if self._looping:
                self._pending_constraint = fn
            elif self.strategy.ACCEPTS_CONSTRAINTS:
                self.strategy.set_constraint(fn)
        self._emit_steer("constraints", {"constraints": constraints}, {"constraints": old})

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
        label = stored_name(strategy)
        estimator, old_partner = self.config.estimator, one_shot_estimator(self.strategy)
        partner = one_shot_estimator(strategy)
        if partner and partner != estimator:
            raise ValueError(
                f"the strategy {label!r} is one-shot and runs only with the estimator "
                f"{partner!r}; this experiment's estimator is {estimator!r} and cannot change "
                f"mid-run: start a new experiment with strategy={label!r}, estimator={partner!r}")
        if old_partner and old_partner == estimator and partner != estimator:
            raise ValueError(
                f"the estimator {estimator!r} runs only with the one-shot strategy "
                f"{self.strategy_label!r}, so the search cannot switch to {label!r}; start a new "
                "experiment with another estimator")
        if self.executor is not None:
            self.executor.check_strategy(label)
        new = self._new_strategy(strategy, options or {})  # checks the name and options
        with self._steer_lock:
            old = {"strategy": self.config.strategy, "options": self.config.strategy_options}
            if not self._looping:
                self.tell_history(new)  # an error here changes nothing
            self._commit(replace(self.config, strategy=label, strategy_options=dict(options or {})))
            self._strategy_arg = strategy
            if self._looping:
                self._pending_switch = (new, label)
            else:
                self._adopt(new, label)
        self._emit_steer("strategy", {"strategy": label, "options": dict(options or {})}, old)

    def apply_steering(self) -> bool:
        """Apply the changes made while the loop ran (the loop calls this between trials).

        False when the switched-to strategy failed to take the history: ``last_error``
        says so and the search must stop (the stored config names the new strategy).
        """
        with self._steer_lock:
            switch, self._pending_switch = self._pending_switch, None
            fn, self._pending_constraint = self._pending_constraint, _NOTHING
            if switch is not None:
                try:
                    self.tell_history(switch[0])
                except Exception as err:  # noqa: BLE001 - a user strategy's bug stops the search
                    log.exception("the switched-to strategy failed to take the history")
                    self.last_error = (f"switching to the strategy {switch[1]!r} failed while "
                                       f"telling it the history ({type(err).__name__}: {err}); "
                                       "the search stopped")
                    return False
                self._adopt(*switch)
            if fn is not _NOTHING and self.strategy.ACCEPTS_CONSTRAINTS:
                self.strategy.set_constraint(fn)
        return True

    def tell_history(self, strategy: Any) -> int:
        """Tell ``strategy`` every finished trial the search's strategy has heard, in
        number order (a FAILED trial that was retried is left out: its retry is told).
        Returns how many were told."""
        told = 0
        for t in self.store.trials(self.name):
            failed = t.state is TrialState.FAILED
            if t.state in (TrialState.COMPLETE, TrialState.PRUNED) or (
                    failed and int(t.meta.get("attempt", 0)) >= self.retries):
                strategy.tell(t.arch, None if failed else t.value, t)
                told += 1
        return told

    def _adopt(self, strategy: Any, label: str) -> None:
        """Make ``strategy`` (told the history) the search's and save its state."""
        self.strategy, self.strategy_label = strategy, label
        self.store.save_strategy_state(self.name, strategy.state_dict())

    def _state_fits(self, state: Any) -> bool:
        """Whether a stored strategy state belongs to the configured strategy and options
        (it does not when a switch was stored but the new state not yet saved)."""
        if not isinstance(state, dict):
            return True  # load_state_dict reports it
        owner, name = state.get("strategy"), self.strategy.NAME
        if owner is not None and name and owner != name:
            return False
        options = self.strategy.options
        return not (isinstance(options, dict) and "options" in state and state["options"] != options)

    def _commit(self, config: ExperimentConfig) -> None:
        """Make ``config`` the experiment's and store it (the loop reads it between trials)."""
        self._ensure_writable()  # a read-only open: only when nobody else runs it
        with self._steer_lock:
            self.config = config
            self.store.update_config(self.name, config.to_dict())

    def _emit_steer(self, change: str, new: dict[str, Any], old: dict[str, Any]) -> None:
        self._emit(Event("steer", self.name, None,
                         {"change": change, "new": new, "old": old, "at": time.time()}))

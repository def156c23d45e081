"""Multi-trial search strategies (ask/tell) and their registry.

Built in: ``random``, ``grid``, ``evolution`` (regularized evolution), ``reinforce``
(policy gradient), ``local_search``, ``bananas`` (predictor-based), ``pareto_evolution``
(multi-objective) and ``darts`` (gradient-based, one-shot). See :mod:`.base` for the protocol.

Example:
    >>> from nasbench_ui import spaces
    >>> names()[:8]
    ['random', 'grid', 'evolution', 'reinforce', 'local_search', 'bananas', 'pareto_evolution', 'darts']
    >>> s = create("evolution", spaces.nb201(), seed=0, options={"population": 10})
    >>> arch = s.ask(); s.tell(arch, 0.5)
    >>> describe("evolution")["options"]["population"]["default"]
    20
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import options as _options
from .adapter import StrategyAdapter, adapt
from .bananas import Bananas
from .base import (
    MAX_TRIES,
    Constraint,
    Strategy,
    StrategyBase,
    StrategyExhausted,
    clean_value,
    rng_state,
    set_rng_state,
)
from .darts import Darts
from .evolution import RegularizedEvolution
from .grid import GridSearch
from .local_search import LocalSearch
from .pareto_evolution import ParetoEvolution
from .random_search import RandomSearch
from .reinforce import Reinforce

_REQUIRED = ("ask", "tell", "state_dict", "load_state_dict")
_REGISTRY: dict[str, type] = {}


def names() -> list[str]:
    """Registered strategy names, built-ins first."""
    return list(_REGISTRY)


def get(name: str) -> type:
    """The class registered as ``name``; ValueError lists the names."""
    if not isinstance(name, str) or name not in _REGISTRY:
        raise ValueError(f"unknown strategy {name!r}; available strategies: {names()}")
    return _REGISTRY[name]


def register(name: str, cls: type, replace: bool = False) -> type:
    """Register a strategy class under ``name`` (ValueError if taken, unless ``replace``).

    The class must have ``ask``, ``tell``, ``state_dict`` and ``load_state_dict`` and
    is constructed as ``cls(space, seed=0, constraint=None, **options)``.

    Example:
        >>> class Mine(RandomSearch):
        ...     NAME = "mine"
        >>> _ = register("mine", Mine); "mine" in names()
        True
        >>> _ = unregister("mine")
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"a strategy name must be a non-empty string, got {name!r}")
    if not isinstance(cls, type):
        raise ValueError(f"register({name!r}, ...) needs a class, got {type(cls).__name__}")
    missing = [m for m in _REQUIRED if not callable(getattr(cls, m, None))]
    if missing:
        raise ValueError(
            f"strategy class {cls.__name__} lacks the method(s) {missing}; a strategy needs "
            f"{list(_REQUIRED)} (see nasbench_ui.strategies.base.Strategy)"
        )
    if name in _REGISTRY and not replace:
        raise ValueError(
            f"a strategy named {name!r} is already registered; pass replace=True to replace it"
        )
    _REGISTRY[name] = cls
    return cls


def unregister(name: str) -> type:
    """Remove a registered strategy and return its class."""
    get(name)
    return _REGISTRY.pop(name)


def create(
    name_or_obj: Any,
    space: Any,
    seed: int = 0,
    options: Mapping[str, Any] | None = None,
    constraint: Constraint | None = None,
) -> Any:
    """A strategy from a registered name (or a class); an existing strategy object as is.

    Options are checked against the class's ``OPTIONS``: an unknown key or a wrong
    type raises ValueError naming it and listing the valid keys.
    """
    if isinstance(name_or_obj, str):
        cls = get(name_or_obj)
    elif isinstance(name_or_obj, type):
        missing = [m for m in _REQUIRED if not callable(getattr(name_or_obj, m, None))]
        if missing:
            raise ValueError(f"strategy class {name_or_obj.__name__} lacks {missing}")
        cls = name_or_obj
    elif all(callable(getattr(name_or_obj, m, None)) for m in ("ask", "tell")):
        if options:
            raise ValueError(
                "options apply when a strategy is created by name; this strategy object "
                f"already exists, so drop options {sorted(options)}"
            )
        strategy = adapt(name_or_obj)  # a Strategy: every optional hook has a body
        if constraint is not None:
            strategy.set_constraint(constraint)
        return strategy
    else:
        raise ValueError(
            f"strategy must be a name (one of {names()}), a strategy class or an object "
            f"with ask/tell, got {type(name_or_obj).__name__}"
        )
    resolved = _options.resolve(cls, options)
    return adapt(cls(space, seed=seed, constraint=constraint, **resolved))


def describe(name: str) -> dict[str, Any]:
    """``{"name", "doc", "options"}``: the docstring's first line and the declared options."""
    cls = get(name)
    doc = (cls.__doc__ or "").strip().splitlines()
    return {"name": name, "doc": doc[0] if doc else "", "options": _options.describe(cls)}


for _cls in (RandomSearch, GridSearch, RegularizedEvolution, Reinforce, LocalSearch):
    register(_cls.NAME, _cls)
for _cls in (Bananas, ParetoEvolution, Darts):
    register(_cls.NAME, _cls)
# optional: Optuna's samplers (the `optuna` extra), listed only where Optuna is installed
from . import optuna_sampler as _optuna_sampler  # noqa: E402 - imports Optuna only when used

if _optuna_sampler.available():
    register(_optuna_sampler.OptunaSampler.NAME, _optuna_sampler.OptunaSampler)

__all__ = [
    "MAX_TRIES", "GridSearch", "LocalSearch", "RandomSearch", "RegularizedEvolution",
    "Reinforce", "Strategy", "StrategyAdapter", "StrategyBase", "StrategyExhausted", "adapt",
    "clean_value", "create",
    "describe", "get", "names", "register", "rng_state", "set_rng_state", "unregister",
]

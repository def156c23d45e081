"""Multi-trial search strategies (ask/tell) and their registry.

Built in: ``random``, ``grid``, ``evolution`` (regularized evolution), ``reinforce``
(policy gradient), ``local_search``, ``bananas`` (predictor-based), ``pareto_evolution``
(multi-objective) and ``darts`` (gradient-based, one-shot); the multi-fidelity
schedulers ``successive_halving``, ``hyperband``, ``bohb`` and ``asha`` wrap one of
them as a proposer (:mod:`.fidelity`). See :mod:`.base` for the protocol.

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
from ..registry import Registry
from .adapter import StrategyAdapter, adapt, is_protocol_object, missing_methods
from .asha import Asha
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
from .catalog import REGISTRY, build
from .darts import Darts
from .evolution import RegularizedEvolution
from .grid import GridSearch
from .hyperband import Bohb, Hyperband
from .local_search import LocalSearch
from .pareto_evolution import ParetoEvolution
from .random_search import RandomSearch
from .reinforce import Reinforce
from .successive_halving import SuccessiveHalving

_REGISTRY: Registry[type] = REGISTRY  # the one registry (catalog.py)


def names() -> list[str]:
    """Registered strategy names, built-ins first."""
    return _REGISTRY.names()


def get(name: str) -> type:
    """The class registered as ``name``; ValueError lists the names."""
    return _REGISTRY.get(name)


def options(name: str) -> dict[str, _options.Option]:
    """The options the strategy ``name`` declares (its ``OPTIONS``), for forms.

    Example:
        >>> options("evolution")["population"].default
        20
    """
    return _REGISTRY.options(name)


def register(name: str, cls: type, replace: bool = False) -> type:
    """Register a strategy class under ``name`` (ValueError if taken, unless ``replace``).

    The class must have ``ask`` and ``tell`` (a :class:`Strategy` subclass gives every
    other hook a default; a class written without the base is wrapped by
    :class:`StrategyAdapter`) and is constructed as
    ``cls(space, seed=0, constraint=None, **options)``.

    Example:
        >>> class Mine(RandomSearch):
        ...     NAME = "mine"
        >>> _ = register("mine", Mine); "mine" in names()
        True
        >>> _ = unregister("mine")
    """
    return _REGISTRY.register(name, cls, replace=replace)


def unregister(name: str) -> type:
    """Remove a registered strategy and return its class."""
    return _REGISTRY.unregister(name)


def create(
    name_or_obj: Any,
    space: Any,
    seed: int = 0,
    options: Mapping[str, Any] | None = None,
    constraint: Constraint | None = None,
) -> Strategy:
    """A :class:`Strategy` from a registered name (or a class); an existing strategy
    object as is (wrapped by :class:`StrategyAdapter` when it lacks the base).

    Options are checked against the class's ``OPTIONS``: an unknown key or a wrong
    type raises ValueError naming it and listing the valid keys.
    """
    if isinstance(name_or_obj, str):
        cls = get(name_or_obj)
    elif isinstance(name_or_obj, type):
        missing = missing_methods(name_or_obj)
        if missing:
            raise ValueError(f"strategy class {name_or_obj.__name__} lacks {missing}")
        cls = name_or_obj
    elif is_protocol_object(name_or_obj):
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
    if isinstance(name_or_obj, str):
        return build(name_or_obj, space, seed=seed, options=options, constraint=constraint)
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
# multi-fidelity schedulers: strategies that wrap a proposer (strategies/fidelity.py)
for _cls in (SuccessiveHalving, Hyperband, Bohb, Asha):
    register(_cls.NAME, _cls)
# optional: Optuna's samplers (the `optuna` extra), listed only where Optuna is installed
from . import optuna_sampler as _optuna_sampler  # noqa: E402 - imports Optuna only when used
from .optuna_bridge import available as _optuna_available  # noqa: E402

if _optuna_available():
    register(_optuna_sampler.OptunaSampler.NAME, _optuna_sampler.OptunaSampler)

__all__ = [
    "MAX_TRIES", "Asha", "Bohb", "GridSearch", "Hyperband", "SuccessiveHalving", "LocalSearch", "RandomSearch", "RegularizedEvolution",
    "Reinforce", "Strategy", "StrategyAdapter", "StrategyBase", "StrategyExhausted", "adapt",
    "clean_value", "create",
    "describe", "get", "names", "options", "register", "rng_state", "set_rng_state",
    "unregister",
]

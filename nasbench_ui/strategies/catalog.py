"""The one registry of strategy classes, in a module of its own so that a strategy that
builds another by name (a multi-fidelity scheduler's proposer, :mod:`.fidelity`) reads
it without importing the package's ``__init__`` (no import cycle).
:mod:`nasbench_ui.strategies` keeps the public functions (``register``, ``get``,
``names``, ``create``...) as thin wrappers over :data:`REGISTRY`.

Example:
    >>> from nasbench_ui import spaces, strategies
    >>> REGISTRY is strategies._REGISTRY
    True
    >>> build("random", spaces.nb201(), seed=0).NAME
    'random'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import options as _options
from ..registry import Registry
from .adapter import adapt, declared_options, missing_methods
from .base import Constraint, Strategy


def _check_class(name: str, cls: Any) -> None:
    if not isinstance(cls, type):
        raise ValueError(f"register({name!r}, ...) needs a class, got {type(cls).__name__}")
    missing = missing_methods(cls)
    if missing:
        raise ValueError(
            f"strategy class {cls.__name__} lacks the method(s) {missing}; a strategy needs "
            f"{list(Strategy.REQUIRED)} (see nasbench_ui.strategies.base.Strategy)"
        )


REGISTRY: Registry[type] = Registry("strategy", _check_class, options=declared_options)


def build(name: str, space: Any, seed: int = 0, options: Mapping[str, Any] | None = None,
          constraint: Constraint | None = None) -> Strategy:
    """A strategy from a registered ``name``; its options are checked against the class's
    ``OPTIONS`` (ValueError naming an unknown key or a wrong type)."""
    cls = REGISTRY.get(name)
    resolved = _options.resolve(cls, options)
    return adapt(cls(space, seed=seed, constraint=constraint, **resolved))

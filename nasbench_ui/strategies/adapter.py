"""``StrategyAdapter``: a strategy object written to the ask/tell protocol without
subclassing :class:`~nasbench_ui.strategies.base.Strategy`, made into one.

This is the one place that asks a foreign object (or class) which methods and hooks
it has: :func:`missing_methods` and :func:`declared_options` for a class,
:func:`is_protocol_object` and :func:`adapt` for an object. The registry and the loop
then call every hook of the base without probing.

Example:
    >>> class Plain:  # ask and tell only
    ...     def ask(self):
    ...         return {"op": "a"}
    ...     def tell(self, arch, value, trial=None):
    ...         pass
    >>> s = adapt(Plain())
    >>> s.ask(), s.finished, s.ask_meta(), s.state_dict()["replay"]
    ({'op': 'a'}, False, {}, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..options import Option
from .base import Constraint, Strategy


class StrategyAdapter(Strategy):
    """A :class:`Strategy` around ``inner`` (see the module docstring)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.NAME = str(getattr(inner, "NAME", "custom"))  # type: ignore[misc]
        self.ESTIMATOR = getattr(inner, "ESTIMATOR", None)  # type: ignore[misc]
        self.options = dict(getattr(inner, "options", None) or {})
        self.ACCEPTS_CONSTRAINTS = callable(getattr(inner, "set_constraint", None))  # type: ignore[misc]

    def ask(self) -> dict[str, Any]:
        return self.inner.ask()

    def tell(self, arch: dict[str, Any], value: float | None, trial: Any = None) -> None:
        self.inner.tell(arch, value, trial)

    @property
    def finished(self) -> bool:
        return bool(getattr(self.inner, "finished", False))

    def ask_meta(self) -> dict[str, Any]:
        hook = getattr(self.inner, "ask_meta", None)
        return dict(hook() or {}) if callable(hook) else {}

    def set_constraint(self, fn: Constraint | None) -> None:
        hook = getattr(self.inner, "set_constraint", None)
        if callable(hook):
            hook(fn)
        elif fn is not None:
            raise ValueError(f"strategy object {type(self.inner).__name__} has no "
                             "set_constraint; it cannot take a constraint")

    def state_dict(self) -> dict[str, Any]:
        hook = getattr(self.inner, "state_dict", None)
        return hook() if callable(hook) else super().state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        hook = getattr(self.inner, "load_state_dict", None)
        if callable(hook):
            hook(state)


def adapt(strategy: Any) -> Strategy:
    """``strategy`` itself when it is a :class:`Strategy`, else a :class:`StrategyAdapter`."""
    return strategy if isinstance(strategy, Strategy) else StrategyAdapter(strategy)


def missing_methods(cls: type) -> list[str]:
    """The required methods (``Strategy.REQUIRED``: ask and tell) that the class
    ``cls`` lacks; ``[]`` for a usable class.

    Example:
        >>> class Half:
        ...     def ask(self):
        ...         return {}
        >>> missing_methods(Half), missing_methods(Strategy)
        (['tell'], [])
    """
    return [m for m in Strategy.REQUIRED if not callable(getattr(cls, m, None))]


def is_protocol_object(obj: Any) -> bool:
    """Whether ``obj`` is a strategy object: an instance with ``ask`` and ``tell``.

    Example:
        >>> is_protocol_object(Strategy()), is_protocol_object(3), is_protocol_object(Strategy)
        (True, False, False)
    """
    return not isinstance(obj, type) and not missing_methods(type(obj))


def declared_options(cls: type) -> dict[str, Option]:
    """The ``OPTIONS`` a strategy class declares (``{}`` for a class without them).

    Example:
        >>> class Plain:
        ...     pass
        >>> declared_options(Plain)
        {}
    """
    declared = getattr(cls, "OPTIONS", None)
    return dict(declared) if isinstance(declared, Mapping) else {}

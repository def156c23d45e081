"""``StrategyAdapter``: a strategy object written to the ask/tell protocol without
subclassing :class:`~nasbench_ui.strategies.base.Strategy`, made into one.

This is the one place that asks a foreign object which optional hooks it has; the
loop then calls every hook of the base without probing.

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

from typing import Any

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

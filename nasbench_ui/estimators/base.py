"""The estimator protocol: estimate one architecture, reporting along the way.

An estimator gets an :class:`EstimateContext` from the experiment. It calls
``ctx.report(point)`` after each epoch (the point lands in the trial's curve and in the
charts), checks ``ctx.should_stop()`` to honour a stop request (raise
:class:`Interrupted`), raises :class:`Pruned` to stop a trial early (the trial ends
PRUNED with its curve), and returns an :class:`Estimate`.

Example:
    >>> class Const:
    ...     NAME = "const"
    ...     OPTIONS = {}
    ...     def __init__(self, **options): pass
    ...     def estimate(self, arch, ctx):
    ...         ctx.report({"epoch": 1, "valid_acc": 0.5})
    ...         return Estimate(value=0.5, metrics={"valid_acc": 0.5})
    >>> ctx = EstimateContext(space=None, dataset=None)
    >>> Const().estimate({}, ctx).value, ctx.curve
    (0.5, [{'epoch': 1, 'valid_acc': 0.5}])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..options import Option


class Pruned(Exception):
    """Raised by an estimator to end a trial PRUNED; ``metrics`` are kept."""

    def __init__(self, reason: str = "pruned", value: float | None = None,
                 metrics: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.value = value
        self.metrics = dict(metrics or {})


class Interrupted(Exception):
    """Raised when a stop was requested mid-trial; the trial ends INTERRUPTED."""


class TrialFailed(Exception):
    """Raised for a failure the estimator detected itself (NaN loss, for example)."""


@dataclass
class Estimate:
    """What an estimator returns: the objective, metrics, and optionally the model."""

    value: float
    metrics: dict[str, Any] = field(default_factory=dict)
    model: Any = None  # a trained torch.nn.Module, when one exists (for best_model)


@dataclass
class EstimateContext:
    """What the experiment hands an estimator for one trial."""

    space: Any
    dataset: Any
    device: str = "cpu"
    seed: int = 0
    number: int = 0
    report_fn: Callable[[dict[str, Any]], None] | None = None
    stop_fn: Callable[[], bool] | None = None
    history_fn: Callable[[], list[Any]] | None = None
    budget_left_fn: Callable[[], float | None] | None = None
    curve: list[dict[str, Any]] = field(default_factory=list)

    def report(self, point: dict[str, Any]) -> None:
        """Record one curve point (a JSON-able dict such as ``{"epoch": 1, "valid_acc": .9}``)."""
        self.curve.append(dict(point))
        if self.report_fn is not None:
            self.report_fn(dict(point))

    def should_stop(self) -> bool:
        """True when the user asked the search to stop; raise :class:`Interrupted` then."""
        return bool(self.stop_fn and self.stop_fn())

    def check_stop(self) -> None:
        if self.should_stop():
            raise Interrupted("stopped by the user mid-trial")

    def history(self) -> list[Any]:
        """The experiment's trials so far (finished ones, in number order)."""
        return list(self.history_fn()) if self.history_fn else []

    def budget_left(self) -> float | None:
        """Simulated seconds left in the budget (None when the budget is not in seconds)."""
        return self.budget_left_fn() if self.budget_left_fn else None


@runtime_checkable
class Estimator(Protocol):
    NAME: str
    OPTIONS: dict[str, Option]

    def estimate(self, arch: dict[str, Any], ctx: EstimateContext) -> Estimate: ...

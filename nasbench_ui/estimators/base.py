"""The estimator contract: estimate one architecture, reporting along the way.

:class:`Estimator` is the base of every estimator and names the whole contract: one
required method, ``estimate(arch, ctx)``, and optional hooks with default bodies
(``cost``, ``prepare_options``, ``HISTORY``, ``HAS_MODELS``, ``NAME``, ``OPTIONS``).
An object written to the bare protocol is wrapped by
:class:`~nasbench_ui.estimators.adapter.EstimatorAdapter`.

An estimator gets an :class:`EstimateContext` from the experiment. It calls
``ctx.report(point)`` after each epoch (the point lands in the trial's curve and in the
charts), checks ``ctx.should_stop()`` to honour a stop request (raise
:class:`Interrupted`), raises :class:`Pruned` to stop a trial early (the trial ends
PRUNED with its curve), and returns an :class:`Estimate`.

An estimator that reads ``ctx.history()`` (the experiment's finished trials) declares
which :class:`~nasbench_ui.storage.Trial` fields it reads in a class attribute
``HISTORY`` (``number`` and ``state`` always come along); without one it reads no
history (:data:`NO_HISTORY`). On Dask workers a trial gets only those fields, and an
estimator that declares none and still calls ``ctx.history()`` gets a ValueError.
:func:`history_fields` reads and checks the declaration.

Example:
    >>> class Const(Estimator):
    ...     NAME = "const"
    ...     def estimate(self, arch, ctx):
    ...         ctx.report({"epoch": 1, "valid_acc": 0.5})
    ...         return Estimate(value=0.5, metrics={"valid_acc": 0.5})
    >>> ctx = EstimateContext(space=None, dataset=None)
    >>> Const().estimate({}, ctx).value, ctx.curve
    (0.5, [{'epoch': 1, 'valid_acc': 0.5}])
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..options import Option
from .adapter import EstimatorAdapter, declared_history

#: The ``HISTORY`` of an estimator that never calls ``ctx.history()`` (the default).
NO_HISTORY: tuple[str, ...] = ()
#: The trial fields an estimator may list in ``HISTORY``; ``number`` and ``state`` always
#: come with each finished trial.
HISTORY_FIELDS: tuple[str, ...] = ("arch", "value", "metrics", "curve", "error", "started_at",
                                   "finished_at", "worker", "meta")


class BudgetExhausted(Exception):
    """Raised by ``estimate`` when the query would overrun the search's budget (a
    simulated cost larger than ``ctx.budget_left()``): the query is not made (nothing
    is charged), the trial ends INTERRUPTED with ``"not made: ..."`` and the search
    ends, its budget spent. ``cost`` and ``left`` carry the two numbers."""

    def __init__(self, message: str, cost: float = 0.0, left: float = 0.0) -> None:
        super().__init__(message)
        self.cost = cost
        self.left = left


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
    #: the trial's facts as its strategy asked it (``Trial.meta``): a multi-fidelity
    #: scheduler puts the rung and the budget to train at here
    meta: dict[str, Any] = field(default_factory=dict)
    #: training callbacks of the experiment (objects with ``on_epoch_end(trial, epoch,
    #: metrics)``); in-process only, never stored
    callbacks: tuple[Any, ...] = ()

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
        """The experiment's trials so far (finished ones, in number order).

        Only the fields the estimator declares in ``HISTORY`` are sure to be filled (the
        others may hold their defaults, as on Dask workers); see :func:`history_fields`.
        """
        return list(self.history_fn()) if self.history_fn else []

    def budget_left(self) -> float | None:
        """Simulated seconds left in the budget (None when the budget is not in seconds)."""
        return self.budget_left_fn() if self.budget_left_fn else None


class Estimator(ABC):
    """The base of every estimator: the whole contract in one place.

    Required (one method): :meth:`estimate`. Every other hook has a default body here,
    so the experiment and the loop use it without probing:

    * ``NAME`` (``"custom"``), ``OPTIONS`` (declared options, built from a plain dict
      by the registry as ``cls(**options)``; ``{}``);
    * ``HISTORY``: the trial fields :meth:`EstimateContext.history` must fill (see
      :func:`history_fields`; :data:`NO_HISTORY`: the estimator reads no history);
    * ``HAS_MODELS``: whether an estimate returns the trial's own trained model, for
      ``best_model()`` (True);
    * :meth:`cost`: the simulated seconds a trial will be charged, asked before it runs
      (None: it charges the real time, as training does);
    * :meth:`cost_at`: the same for a multi-fidelity trial, whose ``meta["budget"]``
      names its rung (default: :meth:`cost`, the rung does not change the price);
    * :meth:`prepare_options`: rewrites a user's shorthand options before they are
      checked against ``OPTIONS`` (unchanged);
    * :meth:`check_space`: refuses, before anything is written, a search space it cannot
      serve (every space passes).

    Example:
        >>> class Half(Estimator):
        ...     def estimate(self, arch, ctx):
        ...         return Estimate(0.5)
        >>> e = Half()
        >>> e.estimate({}, None).value, e.cost({}, None), e.HISTORY, e.HAS_MODELS
        (0.5, None, (), True)
        >>> e.cost_at({}, None, {"budget": {"epochs": 2}}) is None
        True
        >>> e.check_space(None)
    """

    NAME: ClassVar[str] = "custom"
    OPTIONS: ClassVar[Mapping[str, Option]] = {}
    HISTORY: ClassVar[tuple[str, ...]] = NO_HISTORY
    HAS_MODELS: ClassVar[bool] = True

    @abstractmethod
    def estimate(self, arch: dict[str, Any], ctx: EstimateContext) -> Estimate:
        """Estimate ``arch``: report curve points through ``ctx``, honour
        ``ctx.should_stop()``, and return an :class:`Estimate` (or raise :class:`Pruned`,
        :class:`Interrupted`, :class:`TrialFailed` or :class:`BudgetExhausted`)."""

    def cost(self, arch: dict[str, Any], space: Any) -> float | None:
        """The simulated seconds ``arch`` will cost, or None: it charges real time."""
        return None

    def cost_at(self, arch: dict[str, Any], space: Any, meta: dict[str, Any]) -> float | None:
        """The simulated seconds of ``arch`` at the rung ``meta`` asks for (a scheduler's
        ``meta["budget"]``); by default the rung does not change the price: :meth:`cost`."""
        return self.cost(arch, space)

    @classmethod
    def prepare_options(cls, options: dict[str, Any]) -> dict[str, Any]:
        """The user's options with shorthand rewritten, before the ``OPTIONS`` check."""
        return options

    def check_space(self, space: Any) -> None:
        """Raise ValueError, saying why, for a search space this estimator cannot serve
        (the experiment asks before it writes anything); by default every space passes."""
        return None


Estimator.register(EstimatorAdapter)  # a wrapped protocol object counts as an Estimator


def adapt(estimator: Any) -> Estimator:
    """``estimator`` itself when it is an :class:`Estimator`, else an
    :class:`~nasbench_ui.estimators.adapter.EstimatorAdapter` around it.

    Example:
        >>> class Plain:
        ...     def estimate(self, arch, ctx): return Estimate(1.0)
        >>> isinstance(adapt(Plain()), Estimator), adapt(Plain()).cost({}, None)
        (True, None)
    """
    return estimator if isinstance(estimator, Estimator) else EstimatorAdapter(estimator)  # type: ignore[return-value]


def estimator_cost(estimator: Any, arch: dict[str, Any], space: Any) -> float | None:
    """The simulated seconds ``estimator`` charges for ``arch`` (its ``cost(arch,
    space)`` hook, as ``tabular`` has), or None: it charges real time.

    Example:
        >>> class Plain:
        ...     def estimate(self, arch, ctx): return Estimate(1.0)
        >>> estimator_cost(Plain(), {}, None) is None
        True
    """
    return adapt(estimator).cost(arch, space)


def history_fields(estimator: Any) -> tuple[str, ...]:
    """The trial fields an estimator class (or instance) reads from ``ctx.history()``.

    The class attribute ``HISTORY`` declares them (a tuple of names from
    :data:`HISTORY_FIELDS`); a class without it reads no history: ``()``. ``number``
    and ``state`` always come along and need no declaration. A bad declaration is a
    ValueError that names the class and the allowed fields.

    Example:
        >>> class Median:
        ...     HISTORY = ("curve",)
        >>> history_fields(Median), history_fields(Median())
        (('curve',), ('curve',))
        >>> class Plain:
        ...     pass
        >>> history_fields(Plain)
        ()
        >>> class Bad:
        ...     HISTORY = ("curves",)
        >>> history_fields(Bad)
        Traceback (most recent call last):
        ...
        ValueError: Bad.HISTORY lists unknown trial field(s) ['curves']; allowed: arch, value, metrics, curve, error, started_at, finished_at, worker, meta (number and state always come)
    """
    cls = _owner_class(estimator)
    if isinstance(estimator, Estimator):
        declared: Any = estimator.HISTORY
    elif isinstance(estimator, type) and issubclass(estimator, Estimator):
        declared = estimator.HISTORY
    else:  # a class or object written without the base: the adapter reads it
        declared = declared_history(estimator)
    if isinstance(declared, str) or not isinstance(declared, (tuple, list)) \
            or not all(isinstance(f, str) for f in declared):
        raise ValueError(f"{cls.__name__}.HISTORY must be a tuple of trial field names such "
                         f"as ('curve',), got {declared!r}")
    unknown = [f for f in declared if f not in HISTORY_FIELDS and f not in ("number", "state")]
    if unknown:
        raise ValueError(f"{cls.__name__}.HISTORY lists unknown trial field(s) {unknown}; "
                         f"allowed: {', '.join(HISTORY_FIELDS)} (number and state always come)")
    return tuple(f for f in HISTORY_FIELDS if f in declared)


class HistoryNotDeclared(ValueError):
    """``ctx.history()`` was called by an estimator whose class declares no ``HISTORY``."""

    def __init__(self, estimator: Any) -> None:
        cls = _owner_class(estimator)
        super().__init__(
            f"{cls.__name__} called ctx.history() but declares no HISTORY, so this trial was "
            f"sent no history; declare the trial fields it reads in the class, e.g. "
            f"HISTORY: ClassVar[tuple[str, ...]] = ('curve',) (allowed: "
            f"{', '.join(HISTORY_FIELDS)})")


def _owner_class(estimator: Any) -> type:
    """The class an estimator (class, object or adapter) was written as, for messages."""
    if isinstance(estimator, EstimatorAdapter):
        return type(estimator.inner)
    return estimator if isinstance(estimator, type) else type(estimator)

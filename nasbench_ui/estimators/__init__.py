"""Performance estimators and their registry.

An estimator turns an architecture into an :class:`Estimate` (see :mod:`.base`). The
built-in ones are ``train`` (full training), ``early_stop`` (reduced fidelity with
patience and the median stopping rule) and ``tabular`` (benchmark table lookup with a
simulated cost); also ``lce``, ``weight_sharing``, ``zero_cost`` and ``darts_epoch``.
Classes are registered under a name and built from a plain dict of options, checked
against their ``OPTIONS``: ``cls(**resolve(cls, options))``. A class may define
``prepare_options(options) -> options`` to rewrite shorthand before the check
(``tabular`` accepts ``cost`` as one column name that way). :func:`create` always
returns an :class:`Estimator`: a class or object written to the bare protocol is
wrapped by :class:`EstimatorAdapter`.

Example:
    >>> "train" in names()
    True
    >>> create("train", {"epochs": 2}).options["epochs"]
    2
    >>> create("train", {"epoch": 2})
    Traceback (most recent call last):
    ...
    ValueError: train: unknown option(s) ['epoch']; valid options are ['amp', 'augment', 'batch_size', 'crop_padding', 'epochs', 'label_smoothing', 'latency_runs', 'learning_rate', 'optimizer', 'schedule', 'step_gamma', 'step_size', 'threads', 'weight_decay']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import options as _options
from ..registry import Registry
from .adapter import (
    EstimatorAdapter,
    check_class,
    declared_options,
    is_protocol_object,
    prepare_options,
)
from .base import (
    Estimate,
    EstimateContext,
    Estimator,
    Interrupted,
    Pruned,
    TrialFailed,
    adapt,
    estimator_cost,
    history_fields,
)
from .darts_epoch import DartsEpoch
from .early_stop import EarlyStopEstimator
from .lce import LearningCurveExtrapolation
from .tabular import BudgetExhausted, TabularEstimator
from .train import TrainEstimator
from .weight_sharing import WeightSharing
from .zero_cost import ZeroCost


def _check_class(name: str, cls: Any) -> None:
    if isinstance(cls, type) and issubclass(cls, Estimator):
        if cls.__abstractmethods__:
            raise ValueError(f"estimator {name!r}: {cls.__name__} does not implement "
                             f"{sorted(cls.__abstractmethods__)}")
        return
    check_class(name, cls)  # a class written without the base: the adapter checks it


def _declared_options(cls: type) -> Mapping[str, _options.Option]:
    return cls.OPTIONS if issubclass(cls, Estimator) else declared_options(cls)


_REGISTRY: Registry[type] = Registry("estimator", _check_class, options=_declared_options)


def register(name: str, cls: type, replace: bool = False) -> None:
    """Register an estimator class under ``name``.

    The class needs an ``estimate(arch, ctx)`` method and an ``OPTIONS`` dict (an
    :class:`Estimator` subclass has both); it is built as ``cls(**options)``.
    ValueError if ``name`` is taken by another class (unless ``replace``).

    Example:
        >>> class Const(Estimator):
        ...     NAME = "const"
        ...     def estimate(self, arch, ctx): return Estimate(1.0)
        >>> register("const", Const, replace=True); create("const").estimate({}, None).value
        1.0
        >>> _ = unregister("const")
    """
    same = name in _REGISTRY and _REGISTRY.get(name) is cls  # registering again: no-op
    _REGISTRY.register(name, cls, replace=replace or same)


def unregister(name: str) -> type:
    """Remove a registered estimator and return its class."""
    return _REGISTRY.unregister(name)


def names() -> list[str]:
    """The registered estimator names, in registration order."""
    return _REGISTRY.names()


def get(name: str) -> type:
    """The class registered as ``name``; ValueError lists the names."""
    return _REGISTRY.get(name)


def options(name: str) -> dict[str, _options.Option]:
    """The options the estimator ``name`` declares (its ``OPTIONS``), for forms.

    Example:
        >>> options("early_stop")["patience"].default
        2
    """
    return _REGISTRY.options(name)


def create(name_or_obj: Any, options: Mapping[str, Any] | None = None) -> Estimator:
    """An :class:`Estimator` from a registered name and a dict of options.

    An object that already has an ``estimate`` method is used as it is (options must
    then be empty: give them to its constructor instead); one written without the
    :class:`Estimator` base comes back wrapped in an :class:`EstimatorAdapter`, whose
    ``inner`` is the object.
    """
    if isinstance(name_or_obj, type):
        raise ValueError(f"pass an estimator instance or a registered name, not the "
                         f"class {name_or_obj.__name__}")
    if is_protocol_object(name_or_obj):
        if options:
            raise ValueError("options cannot be applied to an estimator object; pass them to "
                             f"its constructor instead (got {sorted(options)})")
        return adapt(name_or_obj)
    cls = get(name_or_obj)  # a name (anything else: the unknown-estimator error)
    opts: Any = dict(options or {}) if isinstance(options, Mapping) or options is None \
        else options
    if isinstance(opts, dict):
        opts = cls.prepare_options(opts) if issubclass(cls, Estimator) \
            else prepare_options(cls, opts)
    return adapt(cls(**_options.resolve(cls, opts)))


def describe(name: str) -> dict[str, dict[str, Any]]:
    """``{option: {"type", "default", "low", "high", "choices", "help", "optional"}}``.

    Example:
        >>> describe("early_stop")["patience"]["default"]
        2
    """
    return _options.describe(get(name))


def summary(name: str) -> str:
    """The first line of an estimator class's docstring (for dropdowns and ``list``)."""
    doc = (get(name).__doc__ or "").strip()
    return doc.splitlines()[0] if doc else ""


for _name, _cls in (("train", TrainEstimator), ("early_stop", EarlyStopEstimator),
                   ("tabular", TabularEstimator), ("lce", LearningCurveExtrapolation),
                   ("weight_sharing", WeightSharing), ("zero_cost", ZeroCost),
                   ("darts_epoch", DartsEpoch)):
    register(_name, _cls)

__all__ = [
    "BudgetExhausted", "DartsEpoch", "EarlyStopEstimator", "Estimate", "EstimateContext",
    "Estimator", "EstimatorAdapter", "Interrupted", "LearningCurveExtrapolation", "Pruned",
    "TabularEstimator", "TrainEstimator", "TrialFailed", "WeightSharing", "ZeroCost", "adapt",
    "create", "describe", "estimator_cost", "get", "history_fields", "names", "options",
    "register", "summary", "unregister",
]

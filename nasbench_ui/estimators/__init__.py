"""Performance estimators and their registry.

An estimator turns an architecture into an :class:`Estimate` (see :mod:`.base`). The
built-in ones are ``train`` (full training), ``early_stop`` (reduced fidelity with
patience and the median stopping rule) and ``tabular`` (benchmark table lookup with a
simulated cost). Classes are registered under a name and built from a plain dict of
options, checked against their ``OPTIONS``: ``cls(**resolve(cls, options))``. A class
may define ``prepare_options(options) -> options`` to rewrite shorthand before the
check (``tabular`` accepts ``cost`` as one column name that way).

Example:
    >>> "train" in names()
    True
    >>> create("train", {"epochs": 2}).options["epochs"]
    2
    >>> create("train", {"epoch": 2})
    Traceback (most recent call last):
    ...
    ValueError: train: unknown option(s) ['epoch']; valid options are ['batch_size', 'epochs', 'latency_runs', 'learning_rate', 'optimizer', 'threads', 'weight_decay']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import options as _options
from .base import Estimate, EstimateContext, Estimator, Interrupted, Pruned, TrialFailed
from .early_stop import EarlyStopEstimator
from .tabular import BudgetExhausted, TabularEstimator
from .train import TrainEstimator

_REGISTRY: dict[str, type] = {}


def register(name: str, cls: type, replace: bool = False) -> None:
    """Register an estimator class under ``name``.

    The class needs an ``estimate(arch, ctx)`` method and an ``OPTIONS`` dict; it is
    built as ``cls(**options)``. ValueError if ``name`` is taken (unless ``replace``).

    Example:
        >>> class Const:
        ...     NAME, OPTIONS = "const", {}
        ...     def estimate(self, arch, ctx): return Estimate(1.0)
        >>> register("const", Const, replace=True); create("const").estimate({}, None).value
        1.0
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"an estimator name must be a non-empty str, got {name!r}")
    if not isinstance(cls, type) or not callable(getattr(cls, "estimate", None)):
        raise ValueError(f"estimator {name!r}: register a class with an estimate(arch, ctx) "
                         f"method, got {cls!r}")
    if not isinstance(getattr(cls, "OPTIONS", None), Mapping):
        raise ValueError(f"estimator {name!r}: the class needs an OPTIONS dict "
                         "(name -> nasbench_ui.options.Option); use {} for none")
    if name in _REGISTRY and not replace and _REGISTRY[name] is not cls:
        raise ValueError(f"an estimator named {name!r} is already registered; pass "
                         "replace=True to replace it")
    _REGISTRY[name] = cls


def names() -> list[str]:
    """The registered estimator names, in registration order."""
    return list(_REGISTRY)


def get(name: str) -> type:
    """The class registered as ``name``; ValueError lists the names."""
    if not isinstance(name, str) or name not in _REGISTRY:
        raise ValueError(f"unknown estimator {name!r}; choose one of {names()}")
    return _REGISTRY[name]


def create(name_or_obj: Any, options: Mapping[str, Any] | None = None) -> Any:
    """An estimator from a registered name and a dict of options.

    An object that already has an ``estimate`` method is returned as it is (options
    must then be empty: give them to its constructor instead).
    """
    if not isinstance(name_or_obj, str) and callable(getattr(name_or_obj, "estimate", None)):
        if isinstance(name_or_obj, type):
            raise ValueError(f"pass an estimator instance or a registered name, not the "
                             f"class {name_or_obj.__name__}")
        if options:
            raise ValueError("options cannot be applied to an estimator object; pass them to "
                             f"its constructor instead (got {sorted(options)})")
        return name_or_obj
    cls = get(name_or_obj)
    opts = dict(options or {}) if isinstance(options, Mapping) or options is None else options
    prepare = getattr(cls, "prepare_options", None)
    if callable(prepare) and isinstance(opts, dict):
        opts = prepare(opts)
    return cls(**_options.resolve(cls, opts))


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


register("train", TrainEstimator)
register("early_stop", EarlyStopEstimator)
register("tabular", TabularEstimator)

from ..strategies.darts import DartsEpoch  # noqa: E402
from .lce import LearningCurveExtrapolation  # noqa: E402
from .weight_sharing import WeightSharing  # noqa: E402
from .zero_cost import ZeroCost  # noqa: E402

register("lce", LearningCurveExtrapolation)
register("weight_sharing", WeightSharing)
register("zero_cost", ZeroCost)
register("darts_epoch", DartsEpoch)

__all__ = [
    "BudgetExhausted", "EarlyStopEstimator", "Estimate", "EstimateContext", "Estimator",
    "Interrupted", "Pruned", "TabularEstimator", "TrainEstimator", "TrialFailed", "create",
    "describe", "get", "names", "register", "summary",
]

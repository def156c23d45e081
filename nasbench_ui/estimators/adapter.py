"""``EstimatorAdapter``: an estimator written to the bare protocol (a class with an
``estimate(arch, ctx)`` method, maybe ``cost``, ``HISTORY``, ``HAS_MODELS``, ``NAME``,
``OPTIONS`` or ``prepare_options``) without subclassing
:class:`~nasbench_ui.estimators.base.Estimator`, made into one.

This is the one place that asks a foreign object or class which hooks it has
(:func:`is_protocol_object`, :func:`check_class`, :func:`declared_options`,
:func:`prepare_options`, :func:`declared_history` and the adapter itself); :func:`nasbench_ui.estimators.create` always returns an
``Estimator``, so callers use ``estimator.cost(...)``, ``.HAS_MODELS`` and
``.HISTORY`` directly.

The adapter counts as an ``Estimator`` (``Estimator.register`` makes it a virtual
subclass) but does not inherit from it: ``base`` builds adapters for
:func:`~nasbench_ui.estimators.base.history_fields` and
:func:`~nasbench_ui.estimators.base.estimator_cost`, so this module must not import
``base``. It implements every hook of the base itself.

Example:
    >>> class Plain:  # estimate only
    ...     def estimate(self, arch, ctx):
    ...         return 0.5
    >>> est = EstimatorAdapter(Plain())
    >>> est.estimate({}, None), est.cost({}, None), est.HAS_MODELS, est.HISTORY, est.NAME
    (0.5, None, True, (), 'custom')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class EstimatorAdapter:
    """An :class:`~nasbench_ui.estimators.base.Estimator` around ``inner`` (an object
    with ``estimate``); ``inner`` is the object itself, as passed."""

    def __init__(self, inner: Any) -> None:
        if not is_protocol_object(inner):
            raise ValueError(f"an estimator object needs an estimate(arch, ctx) method, got "
                             f"{inner!r}")
        self.inner = inner
        self.NAME: str = _text(getattr(inner, "NAME", None), "custom")
        self.OPTIONS: dict[str, Any] = declared_options(type(inner))
        self.HISTORY: Any = declared_history(inner)
        self.HAS_MODELS: bool = getattr(inner, "HAS_MODELS", True) is not False
        hook = getattr(inner, "cost", None)
        self._cost = hook if callable(hook) else None

    def estimate(self, arch: dict[str, Any], ctx: Any) -> Any:
        """The wrapped object's estimate, unchanged."""
        return self.inner.estimate(arch, ctx)

    def cost(self, arch: dict[str, Any], space: Any) -> float | None:
        """The wrapped object's ``cost(arch, space)``, or None when it has none."""
        return self._cost(arch, space) if self._cost is not None else None

    def cost_at(self, arch: dict[str, Any], space: Any, meta: dict[str, Any]) -> float | None:
        """As :meth:`cost`: a protocol object prices no rungs."""
        return self.cost(arch, space)

    @classmethod
    def prepare_options(cls, options: dict[str, Any]) -> dict[str, Any]:
        """Options unchanged (an object is built already: its options are its own)."""
        return options

    def check_space(self, space: Any) -> None:
        """Every space passes: a protocol object declares no spaces it refuses."""

    def __repr__(self) -> str:
        return f"EstimatorAdapter({self.inner!r})"


def is_protocol_object(obj: Any) -> bool:
    """Whether ``obj`` is an estimator object: an instance with ``estimate``.

    Example:
        >>> class Plain:
        ...     def estimate(self, arch, ctx): return 1.0
        >>> is_protocol_object(Plain()), is_protocol_object(Plain), is_protocol_object(3)
        (True, False, False)
    """
    return not isinstance(obj, type) and callable(getattr(obj, "estimate", None))


def declared_options(cls: type) -> dict[str, Any]:
    """The ``OPTIONS`` an estimator class declares (``{}`` for a class without them).

    Example:
        >>> declared_options(object)
        {}
    """
    declared = getattr(cls, "OPTIONS", None)
    return dict(declared) if isinstance(declared, Mapping) else {}


def declared_history(estimator: Any) -> Any:
    """The raw ``HISTORY`` an estimator class or object declares (``()`` without one);
    :func:`~nasbench_ui.estimators.base.history_fields` checks it.

    Example:
        >>> class Median:
        ...     HISTORY = ("curve",)
        >>> declared_history(Median), declared_history(object())
        (('curve',), ())
    """
    return getattr(estimator, "HISTORY", ())


def declared_name(part: Any) -> str:
    """The ``NAME`` a plug-in class or object written to the bare protocol declares
    (``"custom"`` without one); strategies and estimators share this one optional name.

    Example:
        >>> class Median:
        ...     NAME = "median"
        >>> declared_name(Median), declared_name(Median()), declared_name(object())
        ('median', 'median', 'custom')
    """
    return _text(getattr(part, "NAME", None), "custom")


def check_class(name: str, cls: Any) -> None:
    """ValueError unless ``cls`` may be registered as the estimator ``name``: a class
    with an ``estimate(arch, ctx)`` method and an ``OPTIONS`` dict.

    Example:
        >>> check_class("x", object)
        Traceback (most recent call last):
        ...
        ValueError: estimator 'x': register a class with an estimate(arch, ctx) method, got <class 'object'>
    """
    if not isinstance(cls, type) or not callable(getattr(cls, "estimate", None)):
        raise ValueError(f"estimator {name!r}: register a class with an estimate(arch, ctx) "
                         f"method, got {cls!r}")
    if not isinstance(getattr(cls, "OPTIONS", None), Mapping):
        raise ValueError(f"estimator {name!r}: the class needs an OPTIONS dict "
                         "(name -> nasbench_ui.options.Option); use {} for none")


def prepare_options(cls: type, options: dict[str, Any]) -> dict[str, Any]:
    """``cls.prepare_options(options)`` where the class has that hook, else ``options``.

    Example:
        >>> prepare_options(object, {"a": 1})
        {'a': 1}
    """
    hook = getattr(cls, "prepare_options", None)
    return hook(options) if callable(hook) else options


def _text(value: Any, default: str) -> str:
    return value if isinstance(value, str) and value else default

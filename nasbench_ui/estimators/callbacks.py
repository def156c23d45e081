"""Training callbacks: user code that runs inside the shared training loop.

A callback is an instance of :class:`Callback` (every hook has an empty default body, so
a subclass overrides only what it needs) or a plain function
``fn(trial, epoch, metrics)``, which :func:`as_callbacks` wraps as the
``on_epoch_end`` hook. Give them to an experiment with
``nb.Experiment(..., callbacks=[...])``: they run in the experiment's process only
(never on Dask workers), and they are never stored (an experiment reopened with
``Experiment.load(path, callbacks=[...])`` takes them again).

:func:`~nasbench_ui.estimators.trainer.fit` (the loop of ``train``, ``early_stop``,
``lce`` and ``retrain``) calls, for each trial it trains:

* ``on_train_start(trial)`` once, before the first epoch;
* ``on_epoch_end(trial, epoch, metrics)`` after each epoch, once the curve point is
  stored: ``metrics`` is a copy of that point (``epoch``, ``train_loss``,
  ``valid_acc``, ``time_s``, and ``lr`` when a learning-rate schedule is set);
* ``on_train_end(trial, metrics)`` after the last epoch (not for a trial pruned or
  stopped before it), with the last point.

``trial`` is a :class:`TrialInfo`: the trial's ``number``, its ``arch`` (empty when the
estimator does not pass it), its ``meta`` (the strategy's facts, such as a
multi-fidelity rung), the ``device`` and the ``model`` being trained.

A callback that raises fails its trial (FAILED, with the callback's name and error in
the trial's error text); the search goes on with the next trial. See
``docs/training-hooks.md`` for a TensorBoard example.

Example:
    >>> class Printer(Callback):
    ...     def on_epoch_end(self, trial, epoch, metrics):
    ...         print(trial.number, epoch, sorted(metrics))
    >>> cbs = as_callbacks([Printer(), lambda trial, epoch, metrics: None])
    >>> [type(c).__name__ for c in cbs]
    ['Printer', 'EpochFunction']
    >>> cbs[0].on_epoch_end(TrialInfo(3), 1, {"epoch": 1, "valid_acc": 0.5})
    3 1 ['epoch', 'valid_acc']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .base import TrialFailed


@dataclass(frozen=True)
class TrialInfo:
    """The trial a callback is called for (in-process objects; nothing is copied)."""

    number: int
    arch: Mapping[str, Any] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)
    device: str = "cpu"
    model: Any = None


class Callback:
    """The base of training callbacks; every hook does nothing by default.

    Example:
        >>> c = Callback()
        >>> c.on_train_start(TrialInfo(0)), c.on_epoch_end(TrialInfo(0), 1, {}), \\
        ...     c.on_train_end(TrialInfo(0), {})
        (None, None, None)
    """

    def on_train_start(self, trial: TrialInfo) -> None:
        """Before the first epoch of ``trial``."""

    def on_epoch_end(self, trial: TrialInfo, epoch: int, metrics: dict[str, Any]) -> None:
        """After epoch ``epoch`` (from 1) of ``trial``; ``metrics`` is its curve point."""

    def on_train_end(self, trial: TrialInfo, metrics: dict[str, Any]) -> None:
        """After the last epoch of ``trial`` (not called for a pruned or stopped trial)."""


class EpochFunction(Callback):
    """A plain function ``fn(trial, epoch, metrics)`` as the ``on_epoch_end`` hook."""

    def __init__(self, fn: Callable[[TrialInfo, int, dict[str, Any]], Any]) -> None:
        self.fn = fn

    def on_epoch_end(self, trial: TrialInfo, epoch: int, metrics: dict[str, Any]) -> None:
        self.fn(trial, epoch, metrics)

    def __repr__(self) -> str:
        return f"EpochFunction({getattr(self.fn, '__name__', self.fn)!r})"


def as_callbacks(items: Iterable[Any] | None) -> tuple[Callback, ...]:
    """``items`` as a tuple of :class:`Callback` (functions wrapped); ValueError for
    anything else, naming it.

    Example:
        >>> as_callbacks(None)
        ()
        >>> as_callbacks([42])
        Traceback (most recent call last):
        ...
        ValueError: callbacks[0]: expected a nasbench_ui.estimators.callbacks.Callback or a function fn(trial, epoch, metrics), got int (subclass Callback and override on_epoch_end)
    """
    if items is None:
        return ()
    if isinstance(items, (Callback, str, bytes)) or callable(items):
        raise ValueError("callbacks must be a list of callbacks, e.g. callbacks=[MyCallback()]")
    out: list[Callback] = []
    for i, item in enumerate(items):
        if isinstance(item, Callback):
            out.append(item)
        elif callable(item) and not isinstance(item, type):
            out.append(EpochFunction(item))
        else:
            raise ValueError(
                f"callbacks[{i}]: expected a nasbench_ui.estimators.callbacks.Callback or a "
                f"function fn(trial, epoch, metrics), got {type(item).__name__} (subclass "
                f"Callback and override on_epoch_end)")
    return tuple(out)


def run_callbacks(callbacks: tuple[Callback, ...], hook: str, where: str,
                  call: Callable[[Callback], Any]) -> None:
    """``call(cb)`` for each callback; an error fails the trial, naming the callback.

    Example:
        >>> class Bad(Callback):
        ...     def on_epoch_end(self, trial, epoch, metrics): raise KeyError("x")
        >>> run_callbacks((Bad(),), "on_epoch_end", "epoch 2",
        ...               lambda cb: cb.on_epoch_end(TrialInfo(0), 2, {}))
        Traceback (most recent call last):
        ...
        nasbench_ui.estimators.base.TrialFailed: callback Bad.on_epoch_end raised at epoch 2: KeyError: 'x'
    """
    for cb in callbacks:
        try:
            call(cb)
        except Exception as err:  # noqa: BLE001 - user code: the trial fails, the search goes on
            raise TrialFailed(f"callback {type(cb).__name__}.{hook} raised at {where}: "
                              f"{type(err).__name__}: {err}") from err

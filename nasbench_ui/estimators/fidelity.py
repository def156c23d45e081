"""What a training estimator reads from a multi-fidelity trial's meta, and the weights it
keeps so that a promotion continues where the lower rung stopped.

A scheduler (:mod:`nasbench_ui.strategies.fidelity`: successive halving, Hyperband,
BOHB, ASHA) puts ``budget`` (``{"epochs": e}`` or ``{"data_fraction": f}``) in the
trial's meta, and for a promotion ``promoted_from`` (the trial it continues) and
``from_budget``. The ``train`` estimator reads it through :func:`rung_of`:

* ``epochs``: train to ``e`` epochs in all; a promotion whose lower rung's weights this
  estimator still holds (:class:`RungWeights`, in memory, per process: on Dask only
  when the same worker ran the lower rung) loads them and trains the ``e - e0`` epochs
  it adds, its curve points numbered ``e0+1..e`` (:func:`continued`); otherwise it
  retrains from scratch for ``e`` epochs and says so in its metrics.
* ``data_fraction``: train the estimator's epochs on the first ``f`` of a fixed random
  order of the training split (:func:`fraction_of`: the subsets of the rungs nest); a
  promotion continues from the lower rung's weights with its epochs numbered on.

Example:
    >>> r = rung_of({"budget": {"epochs": 4}, "promoted_from": 3,
    ...              "from_budget": {"epochs": 2}}, default_epochs=10)
    >>> r.epochs, r.fraction, r.promoted_from
    (4, 1.0, 3)
    >>> rung_of({}, default_epochs=10) is None
    True
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import torch

from .base import EstimateContext


@dataclass(frozen=True)
class Rung:
    """The budget of one multi-fidelity trial: ``epochs`` to reach (epochs fidelity) or
    the estimator's epochs, the training ``fraction``, and the trial it continues."""

    epochs: int
    fraction: float
    by_epochs: bool
    promoted_from: int | None


def rung_of(meta: dict[str, Any], default_epochs: int) -> Rung | None:
    """The :class:`Rung` of a trial's meta; None when no scheduler set a budget.

    Example:
        >>> rung_of({"budget": {"data_fraction": 0.5}}, 3)
        Rung(epochs=3, fraction=0.5, by_epochs=False, promoted_from=None)
        >>> rung_of({"budget": {"width": 2}}, 3)
        Traceback (most recent call last):
        ...
        ValueError: train: a budget must be {'epochs': n} or {'data_fraction': f}, got {'width': 2}
    """
    budget = meta.get("budget")
    if not isinstance(budget, dict):
        return None
    promoted = meta.get("promoted_from")
    promoted = int(promoted) if isinstance(promoted, int) and promoted >= 0 else None
    if "epochs" in budget:
        return Rung(max(1, int(budget["epochs"])), 1.0, True, promoted)
    if "data_fraction" in budget and 0 < float(budget["data_fraction"]) <= 1:
        return Rung(default_epochs, float(budget["data_fraction"]), False, promoted)
    raise ValueError(f"train: a budget must be {{'epochs': n}} or {{'data_fraction': f}}, "
                     f"got {budget}")


def fraction_of(data: Any, fraction: float, seed: int) -> Any:
    """``data`` (a :class:`~.trainer.Splits`) with the first ``fraction`` of a fixed random
    order (``seed``) of its training split; the subsets of growing fractions nest.

    Example:
        >>> from nasbench_ui.estimators.trainer import Splits
        >>> x = torch.arange(10.0).reshape(10, 1); y = torch.zeros(10, dtype=torch.long)
        >>> s = Splits(x, y, x, y, None, None)
        >>> half, fifth = fraction_of(s, 0.5, 0), fraction_of(s, 0.2, 0)
        >>> len(half.x_train), set(fifth.x_train.flatten().tolist()) <= set(half.x_train.flatten().tolist())
        (5, True)
    """
    if fraction >= 1.0:
        return data
    n = len(data.x_train)
    k = max(2, int(round(n * fraction)))
    order = torch.randperm(n, generator=torch.Generator().manual_seed(int(seed)))[:k]
    order = order.to(data.x_train.device)
    return dataclasses.replace(data, x_train=data.x_train[order], y_train=data.y_train[order])


def continued(ctx: EstimateContext, offset: int) -> EstimateContext:
    """A context whose reported points are ``ctx``'s with ``epoch`` moved on by ``offset``
    (a promotion's curve continues the lower rung's numbering); stop, history, budget,
    meta and callbacks are ``ctx``'s.

    Example:
        >>> ctx = EstimateContext(space=None, dataset=None)
        >>> continued(ctx, 2).report({"epoch": 1, "valid_acc": 0.5}); ctx.curve
        [{'epoch': 3, 'valid_acc': 0.5}]
    """
    def report(point: dict[str, Any]) -> None:
        ctx.report({**point, "epoch": int(point["epoch"]) + offset})

    return EstimateContext(space=ctx.space, dataset=ctx.dataset, device=ctx.device, seed=ctx.seed,
                           number=ctx.number, report_fn=report, stop_fn=ctx.stop_fn,
                           history_fn=ctx.history_fn, budget_left_fn=ctx.budget_left_fn,
                           meta=ctx.meta, callbacks=ctx.callbacks)


class RungWeights:
    """The weights of the last ``keep`` rung trials (on the CPU), by trial number, with the
    architecture's key and the epochs trained, so that a promotion warm-starts.

    Example:
        >>> w = RungWeights(keep=1)
        >>> m = torch.nn.Linear(2, 2)
        >>> w.put(0, "a", m, 2); w.put(1, "b", m, 1)
        >>> w.get(0, "a") is None, w.get(1, "a") is None, w.get(1, "b")[1]
        (True, True, 1)
    """

    def __init__(self, keep: int = 32) -> None:
        self.keep = keep
        self._held: OrderedDict[int, tuple[str, dict[str, torch.Tensor], int]] = OrderedDict()

    def put(self, number: int, key: str, model: torch.nn.Module, epochs: int) -> None:
        state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        self._held[number] = (key, state, epochs)
        self._held.move_to_end(number)
        while len(self._held) > self.keep:
            self._held.popitem(last=False)

    def get(self, number: int, key: str) -> tuple[dict[str, torch.Tensor], int] | None:
        """``(state dict, epochs trained)`` of trial ``number`` if held for ``key``."""
        held = self._held.get(number)
        if held is None or held[0] != key:
            return None
        return held[1], held[2]

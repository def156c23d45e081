"""Multi-fidelity lookups in a tabular benchmark: the metric and the cost of one rung.

A multi-fidelity scheduler (:mod:`nasbench_ui.strategies.fidelity`) asks for an
architecture at a budget of ``e`` epochs (``ctx.meta["budget"] == {"epochs": e}``),
possibly continuing a trial that ran ``e0`` epochs (``meta["from_budget"]``). A table
answers it in one of two ways:

* ``curve``: a column holding a JSON list of the metric after each epoch (the shipped
  digits table's ``curve``, 8 epochs). The rung reports the points ``e0+1..e`` (the
  promoted trial's curve continues) and its value is entry ``e``.
* ``epoch_metrics``: ``{epochs: column}``, the metric after that many epochs
  (NAS-Bench-201: ``{"12": "valid_acc_12ep", "200": "valid_acc_200ep"}``, a two-rung
  case). A budget must be one of these epoch counts.

The simulated cost of a rung is the per-query ``cost`` columns plus ``cost_per_epoch``
columns times the epochs the rung adds (``e - e0``), so a promotion pays only for its
extra epochs (the digits table: ``{"cost_s": 1/8}``, its 8-epoch training time spread
over the epochs; NAS-Bench-201: ``{"train_time_per_epoch_s": 1}``).

Example:
    >>> import pandas as pd
    >>> df = pd.DataFrame({"k": ["a"], "curve": ["[0.5, 0.6, 0.7, 0.8]"], "t": [8.0]})
    >>> rt = RungTable(df, "k", curve="curve", epoch_metrics={}, cost_per_epoch={"t": 0.25},
    ...                scale=1.0)
    >>> rt.cost("a", {"budget": {"epochs": 4}, "promoted_from": 0,
    ...              "from_budget": {"epochs": 1}}, base=0.0)
    6.0
    >>> rt.lookup("a", {"budget": {"epochs": 2}})
    (0.6, 2, [{'epoch': 1, 'valid_acc': 0.5}, {'epoch': 2, 'valid_acc': 0.6}])
"""

from __future__ import annotations

import json
import math
from typing import Any

from .base import TrialFailed


def budget_epochs(meta: dict[str, Any]) -> tuple[int, int] | None:
    """``(epochs, from_epochs)`` of a multi-fidelity trial's meta; None without a budget.

    Example:
        >>> budget_epochs({"budget": {"epochs": 4}, "promoted_from": 1,
        ...                "from_budget": {"epochs": 2}})
        (4, 2)
        >>> budget_epochs({}) is None
        True
    """
    budget = meta.get("budget")
    if not isinstance(budget, dict):
        return None
    if "epochs" not in budget:
        raise TrialFailed(f"tabular: a table answers budgets in epochs only, not {budget}; "
                          "choose the scheduler option fidelity='epochs'")
    prev = meta.get("from_budget") if "promoted_from" in meta else None
    e0 = int(prev.get("epochs", 0)) if isinstance(prev, dict) else 0
    return int(budget["epochs"]), e0


class RungTable:
    """Per-epoch metrics and per-epoch costs of a table's rows, keyed like the table."""

    def __init__(self, frame: Any, key: str, curve: str, epoch_metrics: dict[str, str],
                 cost_per_epoch: dict[str, float], scale: float) -> None:
        keys = frame[key].astype(str).tolist()
        self.curve_column, self.scale = curve, scale
        self.epoch_columns = {int(e): str(c) for e, c in epoch_metrics.items()}
        self.curves: dict[str, list[float]] = {}
        if curve:
            for k, raw in zip(keys, frame[curve].tolist(), strict=True):
                self.curves[k] = [v * scale for v in _curve(raw, curve)]
        self.at_epochs: dict[str, dict[int, float]] = {k: {} for k in keys}
        for e, col in self.epoch_columns.items():
            for k, v in zip(keys, frame[col].tolist(), strict=True):
                self.at_epochs[k][e] = float(v) * scale
        self.per_epoch = dict.fromkeys(keys, 0.0)
        for col, w in cost_per_epoch.items():
            for k, v in zip(keys, frame[col].tolist(), strict=True):
                self.per_epoch[k] += float(w) * float(v)

    def max_epochs(self, k: str) -> int:
        """The most epochs the table knows for ``k`` (0: none)."""
        if k in self.curves:
            return len(self.curves[k])
        return max(self.epoch_columns, default=0)

    def cost(self, k: str, meta: dict[str, Any], base: float) -> float:
        """Simulated seconds of the rung ``meta`` asks for (``base``: the per-query cost);
        without a budget, the whole training the table records."""
        epochs = budget_epochs(meta)
        e, e0 = epochs if epochs is not None else (self.max_epochs(k), 0)
        return base + self.per_epoch.get(k, 0.0) * max(0, e - e0)

    def lookup(self, k: str, meta: dict[str, Any]) -> tuple[float, int, list[dict[str, Any]]]:
        """``(value, epochs, curve points)`` of the rung ``meta`` asks for; the points are
        ``{"epoch", "valid_acc"}`` (the charts' curve key) for the epochs the rung adds."""
        epochs = budget_epochs(meta)
        if epochs is None:
            raise TrialFailed("tabular: no budget in the trial's meta")
        e, e0 = epochs
        if k in self.curves:
            curve = self.curves[k]
            if not 1 <= e <= len(curve):
                raise TrialFailed(f"tabular: a budget of {e} epochs is outside the "
                                  f"{len(curve)} epochs of the column {self.curve_column!r}")
            points = [{"epoch": i, "valid_acc": curve[i - 1]} for i in range(e0 + 1, e + 1)]
            return curve[e - 1], e, points
        if e not in self.epoch_columns:
            known = sorted(self.epoch_columns)
            raise TrialFailed(f"tabular: the table knows the metric after {known} epochs, not "
                              f"{e}; give the scheduler budgets={known}" if known else
                              "tabular: set the option curve or epoch_metrics to answer budgets")
        value = self.at_epochs[k][e]
        return value, e, [{"epoch": e, "valid_acc": value}]


def _curve(raw: Any, column: str) -> list[float]:
    values = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(values, list) or not values or not all(
            isinstance(v, (int, float)) and math.isfinite(v) for v in values):
        raise ValueError(f"tabular: the column {column!r} must hold JSON lists of numbers "
                         "(the metric after each epoch)")
    return [float(v) for v in values]

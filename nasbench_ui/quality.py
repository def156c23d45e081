"""How well an estimator ranks architectures: rank correlations and top-k overlap.

A performance estimator (a short training run, a zero-cost proxy, a weight-sharing
supernet) only has to *rank* architectures the way full training would. The usual
measures (Zela et al., "Surrogate NAS Benchmarks", ICLR 2022; Abdelfattah et al.,
"Zero-Cost Proxies for Lightweight NAS", ICLR 2021; Ning et al., "Evaluating
Efficient Performance Estimators of Neural Architectures", NeurIPS 2021) are:

* **Kendall's tau** (tau-b, which corrects for ties) and **Spearman's rho** between
  the estimates and the true values (``scipy.stats``, a dependency of scikit-learn);
* **top-k overlap**: the fraction of the truly best ``k`` architectures that are
  among the ``k`` best by estimate (ties broken by the order given).

:class:`GroundTruth` gives the true value of an architecture from a benchmark table
(a CSV path or a ``pandas.DataFrame`` with a key column matched against
``space.key(arch)`` and a metric column, as :mod:`nasbench_ui.estimators.tabular`) or
from a dict ``{space.key(arch): accuracy}`` of architectures trained in full.

Example:
    >>> q = rank_quality([0.1, 0.4, 0.3, 0.9], [0.2, 0.5, 0.6, 0.8], k=2)
    >>> round(q["kendall_tau"], 3), round(q["spearman"], 3), q["top_k_overlap"], q["n"]
    (0.667, 0.8, 0.5, 4)
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["GroundTruth", "rank_quality", "top_k_overlap"]


def _number(x: Any, where: str) -> float:
    if x is None:
        return math.nan
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise ValueError(f"{where} must hold numbers (or None/NaN), got {x!r}")
    return float(x)


def top_k_overlap(estimates: Sequence[float], truths: Sequence[float], k: int) -> float:
    """The fraction of the true top-``k`` that is in the estimated top-``k`` (higher is
    better for both; ``k`` is capped at the number of pairs; NaN when there are none).

    Example:
        >>> top_k_overlap([3, 2, 1], [1, 2, 3], k=1), top_k_overlap([3, 2, 1], [3, 2, 1], k=2)
        (0.0, 1.0)
    """
    n = len(estimates)
    if len(truths) != n:
        raise ValueError(f"estimates and truths differ in length ({n} vs {len(truths)})")
    k = min(k, n)
    if k == 0:
        return math.nan
    # sorted() is stable: equal values keep the order given
    by_est = sorted(range(n), key=lambda i: -estimates[i])[:k]
    by_true = sorted(range(n), key=lambda i: -truths[i])[:k]
    return len(set(by_est) & set(by_true)) / k


def rank_quality(estimates: Iterable[Any], truths: Iterable[Any], k: int = 10) -> dict[str, Any]:
    """Kendall tau-b, Spearman rho and top-``k`` overlap of ``estimates`` against ``truths``.

    Pairs where either side is None or NaN are dropped first (``n`` counts the pairs
    kept, ``dropped`` the others). With fewer than two pairs, or a constant side, the
    correlations are NaN. Returns ``{"kendall_tau", "spearman", "top_k_overlap", "k",
    "n", "dropped"}`` (``k``: the k used, capped at ``n``).

    Example:
        >>> rank_quality([1, None, 3], [1.0, 2.0, float("nan")])["n"]
        1
        >>> rank_quality([1, 2], [1])
        Traceback (most recent call last):
        ...
        ValueError: estimates and truths differ in length (2 vs 1); give one truth per estimate
    """
    est = list(estimates)
    tru = list(truths)
    if len(est) != len(tru):
        raise ValueError(f"estimates and truths differ in length ({len(est)} vs {len(tru)}); "
                         "give one truth per estimate")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    pairs = [(_number(e, "estimates"), _number(t, "truths")) for e, t in zip(est, tru, strict=True)]
    kept = [(e, t) for e, t in pairs if math.isfinite(e) and math.isfinite(t)]
    xs, ys = [e for e, _ in kept], [t for _, t in kept]
    tau = rho = math.nan
    if len(kept) >= 2 and len(set(xs)) > 1 and len(set(ys)) > 1:
        from scipy import stats

        tau = float(stats.kendalltau(xs, ys).statistic)
        rho = float(stats.spearmanr(xs, ys).statistic)
    return {"kendall_tau": tau, "spearman": rho, "top_k_overlap": top_k_overlap(xs, ys, k),
            "k": min(k, len(kept)), "n": len(kept), "dropped": len(pairs) - len(kept)}


class GroundTruth:
    """The true value of an architecture, looked up by ``space.key(arch)``.

    ``source`` is a dict ``{key: value}``, a ``pandas.DataFrame`` or the path of a CSV
    file; a table needs the ``key`` and ``metric`` columns. ``scale`` multiplies the
    values (0.01 turns percent into fractions). Unknown architectures give None.

    Example:
        >>> from nasbench_ui import spaces
        >>> space = spaces.nb201()
        >>> arch = space.sample(__import__("random").Random(0))
        >>> truth = GroundTruth(space, {space.key(arch): 93.0}, scale=0.01)
        >>> truth(arch), len(truth)
        (0.93, 1)
    """

    def __init__(self, space: Any, source: Mapping[str, float] | Any | str | os.PathLike[str],
                 key: str = "arch_str", metric: str = "valid_acc_200ep",
                 scale: float = 1.0) -> None:
        if isinstance(scale, bool) or not isinstance(scale, numbers.Real) \
                or not math.isfinite(scale):
            raise ValueError(f"scale must be a finite number, got {scale!r}")
        self.space, self.key, self.metric, self.scale = space, key, metric, float(scale)
        if isinstance(source, Mapping):
            self.source = "the ground-truth values"
            values = {str(k): _number(v, f"the value of {k!r}") for k, v in source.items()}
        else:
            if isinstance(source, (str, os.PathLike)):
                from .estimators.tabular import load_table

                # the header must hold both columns; no message quotes the file
                frame = load_table(source, [("key", key), ("metric", metric)])
                self.source = str(source)
            elif hasattr(source, "columns") and hasattr(source, "__getitem__"):
                frame, self.source = source, "the ground-truth table"
            else:
                raise ValueError(f"ground truth must be a dict {{key: value}}, a DataFrame or "
                                 f"a CSV path, got {type(source).__name__}")
            missing = [c for c in (key, metric) if c not in frame.columns]
            if missing:
                raise ValueError(f"ground truth: column(s) {missing} not in {self.source}; its "
                                 f"columns are {[str(c) for c in frame.columns]}")
            import pandas as pd

            if not pd.api.types.is_numeric_dtype(frame[metric]):
                raise ValueError(f"ground truth: column {metric!r} must hold numbers")
            values = dict(zip(frame[key].astype(str).tolist(),
                              frame[metric].astype(float).tolist(), strict=True))
        self._values = {k: v * self.scale for k, v in values.items() if math.isfinite(v)}

    def __len__(self) -> int:
        return len(self._values)

    def __call__(self, arch: dict[str, Any]) -> float | None:
        """The true value of ``arch`` (None when it is not known, or not in the space)."""
        try:
            return self._values.get(self.space.key(arch))
        except ValueError:
            return None

    def values(self, archs: Iterable[dict[str, Any]]) -> list[float | None]:
        """``[self(arch) for arch in archs]``."""
        return [self(a) for a in archs]

    def __repr__(self) -> str:
        return f"GroundTruth({len(self)} archs from {self.source}, metric={self.metric!r})"

"""``results_frame``: one pandas row per trial, in the column order of the public contract.

Example:
    >>> from nasbench_ui.storage.trial import Trial, TrialState as S
    >>> results_frame([Trial(0, S.COMPLETE, {"op": "skip"}, 0.9)]).loc[0, "op"]
    'skip'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from nasbench_ui.storage.trial import Trial
from nasbench_ui.viz.pareto import pareto_front
from nasbench_ui.viz.rungs import has_rungs, rung_of
from nasbench_ui.viz.trials import check_trials, metric, num, state_name

__all__ = ["results_frame"]


def _check_objectives(objectives: Any) -> list[tuple[str, str]]:
    out = []
    for o in objectives:
        if (not isinstance(o, (tuple, list)) or len(o) != 2 or not isinstance(o[0], str)
                or o[1] not in ("max", "min")):
            raise ValueError(
                f"objectives must be (metric, 'max' | 'min') pairs, e.g. "
                f"[('valid_acc', 'max'), ('params', 'min')]; got {o!r}")
        out.append((o[0], o[1]))
    return out


def results_frame(
    trials: Sequence[Trial], space: Any = None,
    objectives: Sequence[tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """One row per trial: number, state, value, arch, one column per decision label (from
    ``space.labels``, else the arch keys), one per metric, duration_s, error, worker, and
    ``pareto`` (non-dominated COMPLETE trials) when ``objectives`` are given. When some
    trial has a multi-fidelity rung (``meta["rung"]``, see ``viz.rungs``), a ``rung``
    column follows ``state`` (None for a trial without one).

    A metric named like an earlier column is renamed ``metrics.NAME``.

    Example:
        >>> from nasbench_ui.storage.trial import Trial, TrialState as S
        >>> df = results_frame([Trial(0, S.COMPLETE, {"op": "skip"}, 0.9, {"params": 5})],
        ...                    objectives=[("value", "max"), ("params", "min")])
        >>> list(df.columns)
        ['number', 'state', 'value', 'arch', 'op', 'params', 'duration_s', 'error', 'worker', 'pareto']
    """
    ts = check_trials(trials)
    objs = _check_objectives(objectives) if objectives is not None else None
    if space is not None:
        labels = list(space.labels)
    else:
        seen: dict[str, None] = {}
        for t in ts:
            seen.update(dict.fromkeys(t.arch))
        labels = list(seen)
    keys: dict[str, None] = {}
    for t in ts:
        keys.update(dict.fromkeys(t.metrics))
    keys.pop("duration_s", None)
    with_rungs = has_rungs(ts)
    base = ["number", "state", *(["rung"] if with_rungs else []), "value", "arch"]
    taken = set(base) | {"duration_s", "error", "worker", "pareto"}
    labels = [lb for lb in labels if lb not in taken]
    taken |= set(labels)
    metric_cols = [(k, f"metrics.{k}" if k in taken else k) for k in keys]
    cols: dict[str, list] = {c: [] for c in base}
    cols["number"] = [t.number for t in ts]
    cols["state"] = [state_name(t) for t in ts]
    if with_rungs:
        cols["rung"] = pd.Series([rung_of(t) for t in ts], dtype=object)  # ints, None
    cols["value"] = [num(t.value) for t in ts]
    cols["arch"] = [t.arch for t in ts]
    for lb in labels:
        cols[lb] = [t.arch.get(lb) for t in ts]
    for k, name in metric_cols:
        cols[name] = [t.metrics.get(k) for t in ts]
    cols["duration_s"] = [metric(t, "duration_s") for t in ts]
    cols["error"] = [t.error for t in ts]
    cols["worker"] = [t.worker for t in ts]
    if objs is not None:
        idx, pts = [], []
        for i, t in enumerate(ts):
            p = tuple(metric(t, k) for k, _ in objs)
            if state_name(t) == "COMPLETE" and not any(math.isnan(v) for v in p):
                idx.append(i)
                pts.append(p)
        flags = [False] * len(ts)
        for j in pareto_front(pts, [d for _, d in objs]):
            flags[idx[j]] = True
        cols["pareto"] = flags
    return pd.DataFrame(cols)

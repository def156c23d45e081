"""Multi-fidelity rungs of trials, as the charts and the trials table show them.

A multi-fidelity scheduler -- successive halving and Hyperband (Li et al., "Hyperband: A
Novel Bandit-Based Approach to Hyperparameter Optimization", JMLR 2018), ASHA (Li et al.,
"A System for Massively Parallel Hyperparameter Tuning", MLSys 2020) -- runs a trial at
a small budget (rung 0) and promotes the best to larger budgets (rungs 1, 2, ...). Its
trials say so in ``trial.meta``: ``"rung"`` (int), ``"budget"`` (a dict such as
``{"epochs": 4}``) and, for a promotion, ``"promoted_from"`` (the parent's number).

This module reads those fields (anything else is "no rung") and joins a promoted
trial's learning curve to its parent's: when the child's first point comes after the
parent's last (training resumed), the parent's points are drawn first, so one line
climbs the rungs.

Example:
    >>> from nasbench_ui.storage.trial import Trial, TrialState as S
    >>> t = Trial(5, S.COMPLETE, {}, 0.9, meta={"rung": 1, "budget": {"epochs": 4},
    ...                                          "promoted_from": 2})
    >>> rung_of(t), parent_of(t), rung_text(t)
    (1, 2, 'rung 1 · epochs 4 · from trial 2')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from nasbench_ui.storage.trial import Trial

__all__ = ["NO_RUNG", "has_rungs", "joined_curve", "parent_of", "rung_marks", "rung_of",
           "rung_text"]

NO_RUNG = -1  # the rung column's value for a trial without one
_MAX_DEPTH = 32  # ancestors followed at most (a cycle in bad data stops there)


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def rung_of(t: Trial) -> int | None:
    """The trial's rung (``meta["rung"]``, an int >= 0), else None.

    Example:
        >>> from nasbench_ui.storage.trial import Trial, TrialState as S
        >>> rung_of(Trial(0, S.COMPLETE, {}, meta={"rung": "2"})) is None
        True
    """
    r = _int((t.meta or {}).get("rung"))
    return r if r is not None and r >= 0 else None


def parent_of(t: Trial) -> int | None:
    """The number of the trial this one was promoted from, else None.

    Example:
        >>> from nasbench_ui.storage.trial import Trial, TrialState as S
        >>> parent_of(Trial(3, S.COMPLETE, {}, meta={"promoted_from": 1}))
        1
    """
    p = _int((t.meta or {}).get("promoted_from"))
    return p if p is not None and 0 <= p != t.number else None


def rung_text(t: Trial) -> str:
    """The rung, budget and parent in words ("" for a trial without a rung).

    Example:
        >>> from nasbench_ui.storage.trial import Trial, TrialState as S
        >>> rung_text(Trial(0, S.COMPLETE, {}, meta={"rung": 0, "budget": {"epochs": 1}}))
        'rung 0 · epochs 1'
    """
    r = rung_of(t)
    if r is None:
        return ""
    parts = [f"rung {r}"]
    budget = (t.meta or {}).get("budget")
    if isinstance(budget, dict):
        parts += [f"{k} {v}" for k, v in budget.items()]
    p = parent_of(t)
    if p is not None:
        parts.append(f"from trial {p}")
    return " · ".join(parts)


def has_rungs(trials: Sequence[Trial]) -> bool:
    """Whether any trial has a rung (the table then shows a rung column).

    Example:
        >>> from nasbench_ui.storage.trial import Trial, TrialState as S
        >>> has_rungs([Trial(0, S.COMPLETE, {})]), has_rungs([Trial(0, S.COMPLETE, {}, meta={"rung": 0})])
        (False, True)
    """
    return any(rung_of(t) is not None for t in trials)


def joined_curve(t: Trial, xs: list[float], ys: list[float],
                 points: Callable[[Trial], tuple[list[float], list[float]]],
                 lineage: Callable[[int], Trial | None] | None) -> tuple[list[float],
                                                                         list[float], int]:
    """The curve ``(xs, ys)`` of ``t`` after its ancestors' (each ancestor joined when its
    last point comes before the curve so far starts), and how many points came from them.
    ``points(trial)`` gives a trial's own curve; ``lineage(number)`` a trial by number.

    Example:
        >>> from nasbench_ui.storage.trial import Trial, TrialState as S
        >>> parent = Trial(0, S.COMPLETE, {}, meta={"rung": 0})
        >>> child = Trial(1, S.COMPLETE, {}, meta={"rung": 1, "promoted_from": 0})
        >>> joined_curve(child, [3.0, 4.0], [0.6, 0.7], lambda t: ([1.0, 2.0], [0.4, 0.5]),
        ...              {0: parent}.get)
        ([1.0, 2.0, 3.0, 4.0], [0.4, 0.5, 0.6, 0.7], 2)
    """
    joined = 0
    if lineage is None:
        return xs, ys, joined
    seen, cur = {t.number}, t
    for _ in range(_MAX_DEPTH):
        p = parent_of(cur)
        parent = lineage(p) if p is not None and p not in seen else None
        if parent is None or not xs:
            break
        px, py = points(parent)
        if not px or px[-1] >= xs[0]:
            break  # the child trained from scratch: its own curve covers the parent's
        xs, ys, joined = px + xs, py + ys, joined + len(px)
        seen.add(parent.number)
        cur = parent
    return xs, ys, joined


def rung_marks(curves: dict[str, list]) -> dict[str, list]:
    """Markers of the rungs on the learning curves: one at the end of each line of a
    trial with a rung, and one where a promoted trial's line joins its parent's; columns
    x, y, number, label ("r0", "r1", ...).

    ``curves`` are the columns of :func:`viz.tables.curves_data` (xs, ys, number, rung,
    joined_at, parent_rung).

    Example:
        >>> marks = rung_marks({"xs": [[1.0, 2.0, 3.0]], "ys": [[0.1, 0.2, 0.3]],
        ...                     "number": [4], "rung": [1], "joined_at": [2],
        ...                     "parent_rung": [0]})
        >>> marks["x"], marks["label"]
        ([2.0, 3.0], ['r0', 'r1'])
    """
    out: dict[str, list] = {"x": [], "y": [], "number": [], "label": []}
    for xs, ys, n, r, j, pr in zip(curves["xs"], curves["ys"], curves["number"],
                                   curves["rung"], curves["joined_at"], curves["parent_rung"],
                                   strict=True):
        if r == NO_RUNG or not xs:
            continue
        if j > 0 and pr != NO_RUNG:
            out["x"].append(xs[j - 1])
            out["y"].append(ys[j - 1])
            out["number"].append(n)
            out["label"].append(f"r{pr}")
        out["x"].append(xs[-1])
        out["y"].append(ys[-1])
        out["number"].append(n)
        out["label"].append(f"r{r}")
    return out

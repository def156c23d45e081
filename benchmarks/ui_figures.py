"""The figures of the UI benchmarks (``ui_responsiveness.py``, ``ui_follow.py``) from
what they recorded: summaries of timings, the chart lag of each finished trial from the
page's samples, the worst lags and where they happened, the rate ratio and the garbage
collector's pauses. Pure functions: no page, no kernel.

Example:
    >>> chart_lags([10.0, 10.5], [(10.2, 1), (10.9, 2)])
    ([0.2, 0.4], 0)
    >>> summarize([3.0, 1.0, 2.0])["median"]
    2.0
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Sequence
from typing import Any

__all__ = ["chart_lags", "gc_pauses", "mean_rate", "rate_ratio", "spikes", "summarize", "worst"]


def summarize(values: Sequence[float]) -> dict[str, Any]:
    """Count, median, 95th percentile, max and mean of ``values`` (None when empty).

    Example:
        >>> summarize([1.0, 2.0, 10.0])["max"]
        10.0
        >>> summarize([])["median"] is None
        True
    """
    vals = sorted(float(v) for v in values)
    if not vals:
        return {"n": 0, "median": None, "p95": None, "max": None, "mean": None}
    p95 = vals[min(len(vals) - 1, math.ceil(0.95 * len(vals)) - 1)]
    return {"n": len(vals), "median": round(statistics.median(vals), 4), "p95": p95,
            "max": vals[-1], "mean": round(statistics.fmean(vals), 4)}


def chart_lags(
    finished_at: Sequence[float], samples: Sequence[tuple[float, int]]
) -> tuple[list[float], int]:
    """Lag of each finished trial: from its finish time to the first page sample with at
    least that many rows. Returns (lags in finish order, trials the page never showed).

    ``finished_at`` are the store's finish times; ``samples`` the page's (time, rows).

    Example:
        >>> chart_lags([1.0, 2.0, 3.0], [(0.0, 0), (1.5, 1), (2.25, 2)])
        ([0.5, 0.25], 1)
    """
    if any(b[0] < a[0] for a, b in zip(samples, samples[1:], strict=False)):
        raise ValueError("page samples must be in time order; sort them by their time")
    finish = sorted(float(t) for t in finished_at)
    times = [float(t) for t, _ in samples]
    # rows can drop (a source replaced by a shorter one), so keep the running maximum
    best, seen = [], 0
    for _, rows in samples:
        seen = max(seen, int(rows))
        best.append(seen)
    lags: list[float] = []
    for k, t_done in enumerate(finish, start=1):
        i = bisect.bisect_left(best, k)
        if i == len(best):
            return lags, len(finish) - len(lags)
        lags.append(round(times[i] - t_done, 4))
    return lags, 0


def spikes(lags: Sequence[float], finished: Sequence[float], t_start: float, n: int = 5,
           gap: float = 1.0) -> list[list[float]]:
    """The ``n`` largest lags at least ``gap`` seconds apart, as ``[seconds after Start of
    the trial's finish, lag]``, largest first (to line them up with ``long_gc_s``).

    Example:
        >>> spikes([0.1, 0.9, 0.8, 0.5], [10.0, 10.5, 10.6, 12.0], 10.0, n=2)
        [[0.5, 0.9], [2.0, 0.5]]
    """
    ts = sorted(float(t) for t in finished)
    order = sorted(range(len(lags)), key=lambda i: -lags[i])
    out: list[list[float]] = []
    for i in order:
        at = ts[i] - t_start
        if all(abs(at - a) >= gap for a, _ in out):
            out.append([round(at, 2), lags[i]])
            if len(out) == n:
                break
    return out


def worst(lags: Sequence[float], finished: Sequence[float], t_start: float,
           t_stop: float) -> dict[str, Any]:
    """Where the largest lag happened: its trial (by finish order), that trial's finish time
    after Start, and whether it finished within a second of the Stop click (``t_stop``).

    Example:
        >>> worst([0.1, 0.9], [10.5, 11.0], 10.0, 11.2)
        {'max_trial': 1, 'max_at_s': 1.0, 'max_near_stop': True}
    """
    if not lags:
        return {"max_trial": None, "max_at_s": None, "max_near_stop": None}
    i = max(range(len(lags)), key=lambda k: lags[k])
    done = sorted(finished)[i]
    return {"max_trial": i, "max_at_s": round(done - t_start, 2),
            "max_near_stop": abs(t_stop - done) < 1.0}


def mean_rate(a: float | None, b: float | None) -> float | None:
    """The mean of the rates that are known (None: neither).

    Example:
        >>> mean_rate(10.0, None), mean_rate(10.0, 20.0), mean_rate(None, None)
        (10.0, 15.0, None)
    """
    rates = [r for r in (a, b) if r is not None]
    return round(sum(rates) / len(rates), 1) if rates else None


def rate_ratio(search: dict[str, Any]) -> float | None:
    """The search's trial rate with the workbench over its rate without it (point 7 of
    issue 14 asks for at least 0.85), or None when either is unknown.

    Example:
        >>> rate_ratio({"trials_per_s": 850.0, "trials_per_s_without_ui": 1000.0})
        0.85
    """
    ui, alone = search.get("trials_per_s"), search.get("trials_per_s_without_ui")
    if not ui or not alone:
        return None
    return round(ui / alone, 3)


def gc_pauses(pauses: Sequence[Sequence[float]]) -> dict[str, dict[str, float]]:
    """Count, total and longest pause per generation of ``(time, generation, seconds)``.

    Example:
        >>> gc_pauses([(0.0, 0, 0.001), (1.0, 2, 0.25), (2.0, 0, 0.003)])["gen0"]
        {'n': 2, 'total': 0.004, 'max': 0.003}
    """
    out: dict[str, dict[str, float]] = {}
    for _, gen, secs in pauses:
        g = out.setdefault(f"gen{int(gen)}", {"n": 0, "total": 0.0, "max": 0.0})
        g["n"] += 1
        g["total"] = round(g["total"] + secs, 4)
        g["max"] = round(max(g["max"], secs), 4)
    return dict(sorted(out.items()))

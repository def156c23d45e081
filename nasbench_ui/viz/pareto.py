"""The Pareto front (non-dominated points) of a set of objective vectors.

Algorithm: sort-filter-skyline (Chomicki, Godfrey, Gryz, Liang, "Skyline with
presorting", ICDE 2003). After turning every objective into one to minimise, the
points are sorted lexicographically; a point can only be dominated by a point that
comes before it, so one pass that checks each point against the front found so far
suffices: O(n log n + n * |front|). With two objectives the check is O(1): after the
sort, a point is dominated exactly when an earlier, different point has a second
coordinate no larger than its own. Equal points do not dominate each other, so
duplicates on the front are all kept.

Example:
    >>> pareto_front([(0.9, 300), (0.8, 100), (0.7, 200), (0.9, 300)], ["max", "min"])
    [0, 1, 3]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["pareto_front"]


def pareto_front(points: Sequence[Sequence[float]], directions: Sequence[str]) -> list[int]:
    """Indices (ascending) of the points no other point dominates.

    ``directions`` holds "max" or "min" per objective. A point with a NaN or None
    coordinate is never on the front.
    """
    dirs = list(directions)
    if not dirs or any(d not in ("max", "min") for d in dirs):
        raise ValueError(f"directions must be a non-empty list of 'max' / 'min', got {dirs!r}")
    signs = [-1.0 if d == "max" else 1.0 for d in dirs]
    keyed: list[tuple[tuple[float, ...], int]] = []
    for i, p in enumerate(points):
        if len(p) != len(dirs):
            raise ValueError(
                f"point {i} has {len(p)} objectives but {len(dirs)} directions were given")
        if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in p):
            continue
        keyed.append((tuple(s * float(v) for s, v in zip(signs, p, strict=True)), i))
    keyed.sort()
    if len(dirs) == 2:
        return _front_2d(keyed)
    front: list[tuple[tuple[float, ...], int]] = []
    for q, i in keyed:
        dominated = any(
            all(a <= b for a, b in zip(f, q, strict=True)) and f != q for f, _ in front)
        if not dominated:
            front.append((q, i))
    return sorted(i for _, i in front)


def _front_2d(keyed: list[tuple[tuple[float, ...], int]]) -> list[int]:
    out: list[int] = []
    best = math.inf  # smallest second coordinate among earlier, different points
    prev: tuple[float, ...] | None = None
    group_best = math.inf
    for q, i in keyed:
        if q != prev:
            best = min(best, group_best)
            prev = q
            group_best = q[1]
        if q[1] < best:
            out.append(i)
    return sorted(out)

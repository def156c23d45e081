"""``LiveTables``: the chart columns of a growing list of trials, kept up to date
incrementally.

``viz.tables`` builds each chart's columns from all the trials: O(n) Python work per
call, so a live chart that rebuilds them at every push does O(n^2) work over a search,
and at thousands of trials a push took hundreds of milliseconds (seen in
``benchmarks/ui_responsiveness.py``). A finished trial never changes, so this class
folds each one in once and keeps:

- ``history``: the columns of :func:`tables.history_data` (rows by trial number; a
  trial that finishes after a higher-numbered one is inserted, and the best-so-far
  column is recomputed from there on);
- ``points`` and ``front``: the columns of :func:`tables.scatter_data`, with the points
  in the order their trials finished (a scatter glyph does not care) and the Pareto
  front kept as a :class:`~nasbench_ui.viz.skyline.Skyline` (sorted blocks): O(log f +
  block + removed) per point, against O(n log n) per rebuild; ``front_sample(limit)``
  is what a chart draws of it, O(limit);
- ``top``: the ``top_k`` best COMPLETE trials (the input of :func:`tables.op_frequency`).

``front_version`` counts the changes of the front, so a caller can skip re-sending it.
``changes(role)`` says which rows of ``history`` or ``points`` changed in place since
``clear_changes()`` (appended rows are not listed), so a push compares only those
(:func:`viz.figures.sync_source` with ``changed=``) and costs O(changes), not O(rows).
``feed_sorted(trials)`` takes a list sorted by number and skips the finished prefix it
has folded in already: O(new trials) per call however long the list.

Example:
    >>> from nasbench_ui.storage.trial import Trial, TrialState as S
    >>> lt = LiveTables()
    >>> lt.feed([Trial(0, S.COMPLETE, {}, 0.5, {"params": 10}), Trial(1, S.RUNNING, {})])
    1
    >>> lt.feed([Trial(1, S.COMPLETE, {}, 0.7, {"params": 5})])
    1
    >>> lt.history["best_so_far"], lt.points["pareto"], lt.front["number"]
    ([0.5, 0.7], [False, True], [1])
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

from nasbench_ui.storage.trial import Trial
from nasbench_ui.viz.skyline import Skyline
from nasbench_ui.viz.trials import (
    PARETO_COLOR,
    STATE_COLORS,
    Memo,
    better,
    check_trials,
    metric,
    num,
    state_name,
    texts,
)

__all__ = ["HISTORY_COLUMNS", "POINT_COLUMNS", "TEXT_COLUMNS", "LiveTables"]

HISTORY_COLUMNS = ("number", "value", "state", "color", "best_so_far", "arch_text",
                   "metrics_text")
POINT_COLUMNS = ("number", "x", "y", "pareto", "color", "state", "arch_text", "metrics_text")
TEXT_COLUMNS = ("arch_text", "metrics_text")


class LiveTables:
    """Chart columns over trials fed one batch at a time (see the module docstring).

    ``objective`` names the plotted value ("value" or a metric), ``maximize`` its
    direction, ``x`` the scatter's cost metric (always minimised), ``top_k`` how many best
    trials ``top`` keeps. ``memo`` caches hover texts (see ``viz.trials.texts``).
    ``texts=False`` leaves the text columns out of both tables (a chart that formats
    the texts of only the rows it draws: :meth:`texts_of`).
    """

    def __init__(self, objective: str = "value", maximize: bool = True, x: str = "params",
                 top_k: int = 10, memo: Memo | None = None, texts: bool = True) -> None:
        if not isinstance(objective, str) or not isinstance(x, str):
            raise ValueError(f"objective and x must be metric names (str), got {objective!r} "
                             f"and {x!r}")
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
            raise ValueError(f"top_k must be a positive int, got {top_k!r}")
        self.objective, self.maximize, self.x, self.top_k = objective, maximize, x, top_k
        self.memo: Memo = {} if memo is None else memo
        self._pick = better(maximize)
        self._ysign = -1.0 if maximize else 1.0  # the front minimises (x, ysign * y)
        self._texts = texts
        self._history_columns = HISTORY_COLUMNS if texts else tuple(
            k for k in HISTORY_COLUMNS if k not in TEXT_COLUMNS)
        self.history: dict[str, list] = {k: [] for k in self._history_columns}
        self._point_columns = POINT_COLUMNS if texts else tuple(
            k for k in POINT_COLUMNS if k not in TEXT_COLUMNS)
        self.points: dict[str, list] = {k: [] for k in self._point_columns}
        self.front_version = 0
        self._front = Skyline()  # (x, ysign * y): both minimised
        self._top: list[tuple[float, int, Trial]] = []  # (sort key, number, trial), best first
        self._done: dict[int, Trial] = {}  # finished trials folded in, by number
        self._lo = 0  # feed_sorted: list positions below it hold finished trials folded in
        # rows changed in place since clear_changes(), by table: (first row of a run of
        # rows that all may have changed (an insert shifts them) or None, single rows)
        self._changed: dict[str, tuple[int | None, set[int]]] = {
            "history": (0, set()), "points": (0, set())}
        # [x min, x max, y min, y max] of the finite values folded in, by table
        self._bounds = {"history": [math.inf, -math.inf, math.inf, -math.inf],
                        "points": [math.inf, -math.inf, math.inf, -math.inf]}

    @property
    def front(self) -> dict[str, list]:
        """The columns of the Pareto front: x, y, number, sorted by x (built on each call:
        O(front); a chart draws ``front_sample``)."""
        return self._front.columns()

    def front_sample(self, limit: int) -> tuple[dict[str, list], int]:
        """(the front's columns, step): all of it up to ``limit`` points, else its ends and
        every ``step``-th point by trial number (:meth:`Skyline.sample`).

        Example:
            >>> from nasbench_ui.storage.trial import Trial, TrialState as S
            >>> lt = LiveTables()
            >>> _ = lt.feed([Trial(i, S.COMPLETE, {}, i / 10, {"params": i}) for i in range(9)])
            >>> lt.front_sample(4)[0]["number"], lt.front_sample(4)[1]
            ([0, 4, 8], 4)
        """
        return self._front.sample(limit)

    def texts_of(self, number: int, state: str) -> tuple[str, str]:
        """(arch_text, metrics_text) of finished trial ``number`` shown as ``state``
        (formatted once, kept in ``memo``).

        Example:
            >>> from nasbench_ui.storage.trial import Trial, TrialState as S
            >>> lt = LiveTables(texts=False)
            >>> _ = lt.feed([Trial(0, S.COMPLETE, {"e": "conv"}, 0.5, {"params": 10})])
            >>> "arch_text" in lt.history, lt.texts_of(0, "COMPLETE")[0]
            (False, 'e=conv')
        """
        return texts(self._done[number], state, self.memo)

    @property
    def top(self) -> list[Trial]:
        """The ``top_k`` best COMPLETE trials with a value, best first (ties: lower number)."""
        return [t for _, _, t in self._top]

    def feed(self, trials: Sequence[Trial]) -> int:
        """Fold in the finished trials of ``trials`` not seen yet; return how many.

        ``trials`` may be the full current list (seen ones are skipped by a dict lookup)
        or only the changed ones. A seen trial that comes back different (a store that
        was rewritten) raises ValueError: make a new ``LiveTables`` then.
        """
        new = []
        for t in check_trials(trials):
            prev = self._done.get(t.number)
            if prev is t or not t.state.finished:
                continue
            if prev is not None:
                if (prev.state, prev.value, prev.metrics) != (t.state, t.value, t.metrics):
                    raise ValueError(f"trial {t.number} changed after it finished")
                self._done[t.number] = t
                continue
            new.append(t)
        new.sort(key=lambda t: t.number)
        for t in new:
            self._done[t.number] = t
            st = state_name(t)
            self._add_history(t, st)
            if st == "COMPLETE":
                self._add_point(t)
                self._add_top(t)
        return len(new)

    def feed_sorted(self, trials: Sequence[Trial]) -> list[Trial]:
        """Fold in the newly finished trials of ``trials``, a list sorted by number that
        only grows (a live run's), looking only past the finished prefix already folded
        in; return the trials folded in now, by number.

        Example:
            >>> from nasbench_ui.storage.trial import Trial, TrialState as S
            >>> lt = LiveTables()
            >>> run = [Trial(0, S.COMPLETE, {}, 0.5), Trial(1, S.RUNNING, {})]
            >>> [t.number for t in lt.feed_sorted(run)]
            [0]
            >>> run[1] = Trial(1, S.COMPLETE, {}, 0.7)
            >>> [t.number for t in lt.feed_sorted(run)], lt.history["best_so_far"]
            ([1], [0.5, 0.7])
        """
        lo = self._lo if self._lo <= len(trials) else 0
        if lo and trials[lo - 1] is not self._done.get(trials[lo - 1].number):
            lo = 0  # a list read afresh (new objects): check every trial again (feed)
        tail = trials[lo:]
        before = len(self._done)
        self.feed(tail)
        while lo < len(trials) and trials[lo].state.finished and trials[lo].number in self._done:
            lo += 1
        self._lo = lo
        if len(self._done) == before:
            return []
        return sorted((t for t in tail if t.state.finished and self._done.get(t.number) is t),
                      key=lambda t: t.number)

    @property
    def folded(self) -> int:
        """How many leading trials of the list given to ``feed_sorted`` are finished and
        folded in (the rest may still change)."""
        return self._lo

    def changes(self, role: str) -> tuple[int | None, set[int]]:
        """Rows of ``role`` ("history" or "points") changed in place since
        ``clear_changes()``: (a first row from which every row may have changed, or None;
        single changed rows). A new ``LiveTables`` reports every row (0)."""
        return self._changed[role]

    def extent(self, role: str) -> tuple[tuple[float, float], tuple[float, float]] | None:
        """((x min, x max), (y min, y max)) of the finite values of ``role`` ("history":
        trial number and value; "points": cost and value) folded in so far, None before
        any (kept as rows come: O(1) per row; a live chart frames its axes with it).

        Example:
            >>> from nasbench_ui.storage.trial import Trial, TrialState as S
            >>> lt = LiveTables()
            >>> _ = lt.feed([Trial(i, S.COMPLETE, {}, 1 - i / 4) for i in range(3)])
            >>> lt.extent("history"), lt.extent("points")
            (((0.0, 2.0), (0.5, 1.0)), None)
        """
        x0, x1, y0, y1 = self._bounds[role]
        return None if x0 > x1 or y0 > y1 else ((x0, x1), (y0, y1))

    def _widen(self, role: str, x: float, y: float) -> None:
        if math.isfinite(x) and math.isfinite(y):
            b = self._bounds[role]
            if x < b[0]:
                b[0] = float(x)
            if x > b[1]:
                b[1] = float(x)
            if y < b[2]:
                b[2] = float(y)
            if y > b[3]:
                b[3] = float(y)

    def clear_changes(self) -> None:
        """Start counting in-place changes afresh (after a push sent them)."""
        self._changed = {"history": (None, set()), "points": (None, set())}

    def _changed_from(self, role: str, row: int) -> None:
        start, rows = self._changed[role]
        self._changed[role] = (row if start is None else min(start, row), rows)

    # ------------------------------------------------------------- history
    def _add_history(self, t: Trial, st: str) -> None:
        h = self.history
        numbers = h["number"]
        i = len(numbers) if not numbers or numbers[-1] < t.number else bisect.bisect_left(
            numbers, t.number)
        row: tuple = (t.number, metric(t, self.objective), st,
                      STATE_COLORS.get(st, "#000000"), math.nan)
        if self._texts:
            row += texts(t, st, self.memo)
        self._widen("history", t.number, row[1])
        if i < len(numbers):  # an insert shifts the rows after it
            self._changed_from("history", i)
        for k, v in zip(self._history_columns, row, strict=True):
            h[k].insert(i, v)
        best = h["best_so_far"][i - 1] if i else math.nan
        values, states, bests = h["value"], h["state"], h["best_so_far"]
        for j in range(i, len(numbers)):
            v = values[j]
            if states[j] == "COMPLETE" and not math.isnan(v):
                best = v if math.isnan(best) else self._pick(best, v)
            if j > i and _same(bests[j], best):
                break  # the rest is as it was: the inserted row did not change the best
            if j > i:
                self._changed["history"][1].add(j)
            bests[j] = best

    # -------------------------------------------------------------- scatter
    def _add_point(self, t: Trial) -> None:
        xv, yv = metric(t, self.x), metric(t, self.objective)
        if math.isnan(xv) or math.isnan(yv):
            return
        p = self.points
        row = len(p["number"])
        self._widen("points", xv, yv)
        p["number"].append(t.number)
        p["x"].append(xv)
        p["y"].append(yv)
        p["pareto"].append(False)
        p["color"].append(STATE_COLORS["COMPLETE"])
        p["state"].append("COMPLETE")
        if "arch_text" in p:
            at, mt = texts(t, "COMPLETE", self.memo)
            p["arch_text"].append(at)
            p["metrics_text"].append(mt)
        removed = self._front.add(xv, self._ysign * yv, row, t.number, yv)
        if removed is None:
            return  # dominated: never on the front again
        for r in removed:
            p["pareto"][r] = False
            p["color"][r] = STATE_COLORS["COMPLETE"]
            self._changed["points"][1].add(r)
        p["pareto"][row] = True
        p["color"][row] = PARETO_COLOR
        self.front_version += 1

    # ------------------------------------------------------------------ top
    def _add_top(self, t: Trial) -> None:
        v = num(t.value)
        if math.isnan(v):
            return
        entry = ((-v if self.maximize else v), t.number, t)
        top = self._top
        if len(top) < self.top_k or entry[:2] < top[-1][:2]:
            bisect.insort(top, entry, key=lambda e: e[:2])
            del top[self.top_k:]


def _same(a: float, b: float) -> bool:
    return a == b or (a != a and b != b)  # NaN equals NaN here

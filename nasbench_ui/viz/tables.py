"""Pure chart data: trials in, plain dicts of columns out. No Bokeh here.

Each chart of nasbench_ui is a pure function of a list of ``Trial`` (this module) plus a
thin Bokeh renderer (``viz.figures``), as in Optuna's visualization package. A value
that is missing, ``None`` or NaN reads as NaN; nothing here raises on odd trials.
``results_frame`` (the table of all trials, a DataFrame) lives in ``viz.frame`` and is
re-exported here.

Example:
    >>> from nasbench_ui.storage.trial import Trial, TrialState
    >>> ts = [Trial(i, TrialState.COMPLETE, {"op": "skip"}, v) for i, v in enumerate([.5, .4, .7])]
    >>> history_data(ts)["best_so_far"]
    [0.5, 0.5, 0.7]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from nasbench_ui.space.decisions import OpDecision
from nasbench_ui.storage.trial import Trial
from nasbench_ui.viz import rungs
from nasbench_ui.viz.frame import results_frame
from nasbench_ui.viz.labels import edge_text
from nasbench_ui.viz.pareto import pareto_front
from nasbench_ui.viz.trials import (
    NAN,
    PARETO_COLOR,
    STATE_COLORS,
    TEXT_LIMIT,
    Memo,
    arch_text,
    better,
    check_trials,
    metric,
    metrics_text,
    num,
    state_name,
    texts,
)

__all__ = [
    "PARETO_COLOR", "STATE_COLORS", "TEXT_LIMIT", "Memo", "arch_text", "curves_data",
    "edge_texts", "history_data", "metric", "metrics_text", "op_frequency",
    "op_frequency_empty", "pareto_front", "results_frame", "scatter_data",
]


def history_data(
    trials: Sequence[Trial], objective: str = "value", maximize: bool = True,
    initial_best: float | None = None, memo: Memo | None = None,
) -> dict[str, list]:
    """Columns of the optimisation history: one row per *finished* trial, by number.

    ``best_so_far`` is the running best ``objective`` over COMPLETE trials only (NaN
    before the first); ``initial_best`` seeds it (to continue an earlier history).
    ``memo`` (a dict the caller keeps between calls) saves re-formatting the hover
    texts of finished trials, keyed by (number, state).

    Example:
        >>> from nasbench_ui.storage.trial import Trial, TrialState as S
        >>> ts = [Trial(0, S.FAILED, {}), Trial(1, S.COMPLETE, {}, 0.3), Trial(2, S.PRUNED, {}, 0.9)]
        >>> d = history_data(ts)
        >>> d["number"], d["state"], d["best_so_far"][1:]
        ([0, 1, 2], ['FAILED', 'COMPLETE', 'PRUNED'], [0.3, 0.3])
    """
    done = sorted((t for t in check_trials(trials) if t.state.finished), key=lambda t: t.number)
    pick = better(maximize)
    best = num(initial_best)
    out: dict[str, list] = {k: [] for k in (
        "number", "value", "state", "color", "best_so_far", "arch_text", "metrics_text")}
    for t in done:
        v = metric(t, objective)
        st = state_name(t)
        if st == "COMPLETE" and not math.isnan(v):
            best = v if math.isnan(best) else pick(best, v)
        out["number"].append(t.number)
        out["value"].append(v)
        out["state"].append(st)
        out["color"].append(STATE_COLORS.get(st, "#000000"))
        out["best_so_far"].append(best)
        at, mt = texts(t, st, memo)
        out["arch_text"].append(at)
        out["metrics_text"].append(mt)
    return out


def scatter_data(
    trials: Sequence[Trial], x: str = "params", y: str = "value",
    maximize_y: bool = True, minimize_x: bool = True, memo: Memo | None = None,
) -> dict[str, dict[str, list]]:
    """Accuracy-vs-cost points of COMPLETE trials, flagged when on the Pareto front.

    Returns ``{"points": columns, "front": columns}``: points have number, x, y,
    pareto, color, state, arch_text, metrics_text (trials missing x or y are left
    out); the front holds x, y, number sorted by x, for a step line.

    Example:
        >>> from nasbench_ui.storage.trial import Trial, TrialState as S
        >>> ts = [Trial(i, S.COMPLETE, {}, acc, {"params": p})
        ...       for i, (acc, p) in enumerate([(0.9, 300), (0.8, 100), (0.7, 200)])]
        >>> d = scatter_data(ts)
        >>> d["points"]["pareto"], d["front"]["number"]
        ([True, True, False], [1, 0])
    """
    if not isinstance(x, str) or not isinstance(y, str):
        raise ValueError(f"x and y must be metric names (str), got {x!r} and {y!r}")
    rows = []
    for t in check_trials(trials):
        if state_name(t) != "COMPLETE":
            continue
        xv, yv = metric(t, x), metric(t, y)
        if not (math.isnan(xv) or math.isnan(yv)):
            rows.append((t, xv, yv))
    dirs = ("min" if minimize_x else "max", "max" if maximize_y else "min")
    front = set(pareto_front([(xv, yv) for _, xv, yv in rows], dirs))
    points: dict[str, list] = {k: [] for k in (
        "number", "x", "y", "pareto", "color", "state", "arch_text", "metrics_text")}
    for i, (t, xv, yv) in enumerate(rows):
        on = i in front
        points["number"].append(t.number)
        points["x"].append(xv)
        points["y"].append(yv)
        points["pareto"].append(on)
        points["color"].append(PARETO_COLOR if on else STATE_COLORS["COMPLETE"])
        points["state"].append("COMPLETE")
        at, mt = texts(t, "COMPLETE", memo)
        points["arch_text"].append(at)
        points["metrics_text"].append(mt)
    order = sorted(front, key=lambda i: (rows[i][1], rows[i][2] if maximize_y else -rows[i][2], i))
    line = {"x": [rows[i][1] for i in order], "y": [rows[i][2] for i in order],
            "number": [rows[i][0].number for i in order]}
    return {"points": points, "front": line}


def curves_data(
    trials: Sequence[Trial], metric: str = "valid_acc", last: int = 10, running: bool = True,
    lineage: Callable[[int], Trial | None] | None = None,
) -> dict[str, list]:
    """Learning curves (``multi_line`` columns xs, ys, number, state, color, width, last_x,
    last_value (the line's end point: a one-epoch curve is only a dot), and the rung columns rung, rung_text, joined_at, parent_rung) of the ``last``
    highest-numbered trials that reported ``metric``; RUNNING trials are included (drawn
    thicker) unless ``running`` is False. x is the point's ``epoch``, or its position
    (1, 2, ...) when it has none. With ``lineage(number) -> Trial | None``, a promoted
    trial's line continues its parent's (``viz.rungs.joined_curve``; ``joined_at``: the
    points drawn from ancestors).

    Example:
        >>> from nasbench_ui.storage.trial import Trial, TrialState as S
        >>> t = Trial(0, S.RUNNING, {}, curve=[{"epoch": 1, "valid_acc": 0.5}, {"epoch": 2}])
        >>> d = curves_data([t])
        >>> d["xs"], d["ys"], d["state"], d["rung"]
        ([[1.0]], [[0.5]], ['RUNNING'], [-1])
    """
    if isinstance(last, bool) or not isinstance(last, int) or last < 1:
        raise ValueError(f"last must be a positive int (how many curves to draw), got {last!r}")
    out: dict[str, list] = {k: [] for k in (
        "xs", "ys", "number", "state", "color", "width", "last_x", "last_value", "rung",
        "rung_text",
        "joined_at", "parent_rung")}

    def points(t: Trial) -> tuple[list[float], list[float]]:
        xs, ys = [], []
        for i, p in enumerate(t.curve):
            v = num(p.get(metric)) if isinstance(p, dict) else NAN
            if math.isnan(v):
                continue
            ep = num(p.get("epoch"))
            xs.append(float(i + 1) if math.isnan(ep) else ep)
            ys.append(v)
        return xs, ys

    picked = []
    for t in sorted(check_trials(trials), key=lambda t: t.number, reverse=True):
        if len(picked) == last:
            break
        st = state_name(t)
        if st == "RUNNING" and not running:
            continue
        xs, ys = points(t)
        if xs:
            picked.append((t, st, xs, ys))
    for t, st, xs, ys in reversed(picked):
        xs, ys, joined = rungs.joined_curve(t, xs, ys, points, lineage)
        parent = lineage(rungs.parent_of(t)) if joined and lineage is not None else None
        parent_rung = rungs.rung_of(parent) if parent is not None else None
        rung = rungs.rung_of(t)
        out["xs"].append(xs)
        out["ys"].append(ys)
        out["number"].append(t.number)
        out["state"].append(st)
        out["color"].append(STATE_COLORS.get(st, "#000000"))
        out["width"].append(3.0 if st == "RUNNING" else 1.5)
        out["last_x"].append(xs[-1])
        out["last_value"].append(ys[-1])
        out["rung"].append(rungs.NO_RUNG if rung is None else rung)
        out["rung_text"].append(rungs.rung_text(t))
        out["joined_at"].append(joined)
        out["parent_rung"].append(rungs.NO_RUNG if parent_rung is None else parent_rung)
    return out


def op_frequency(
    trials: Sequence[Trial], space: Any, top_k: int = 10, maximize: bool = True,
) -> dict[str, list]:
    """How often each candidate op of each op decision was chosen by the ``top_k`` best
    COMPLETE trials (by value). A long table: edge, op, count, fraction (count / number of
    top trials, 0 when there are none), top (that number of top trials, on every row),
    and for the heatmap edge_text (``a → b``), count_text ("" for 0) and text_color
    (white on a dark cell).

    Example:
        >>> from nasbench_ui.space import Edge, SearchSpace
        >>> from nasbench_ui.storage.trial import Trial, TrialState as S
        >>> s = SearchSpace("t", ["a", "b"], [Edge("a", "b", ["relu", "tanh"])])
        >>> ts = [Trial(0, S.COMPLETE, {"b<-a": "relu"}, 0.9), Trial(1, S.COMPLETE, {"b<-a": "tanh"}, 0.1)]
        >>> op_frequency(ts, s, top_k=1)["count"]
        [1, 0]
    """
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise ValueError(f"top_k must be a positive int, got {top_k!r}")
    if not hasattr(space, "decisions"):
        raise ValueError(f"space must be a SearchSpace, got {type(space).__name__}")
    done = [t for t in check_trials(trials)
            if state_name(t) == "COMPLETE" and not math.isnan(num(t.value))]
    done.sort(key=lambda t: (-num(t.value) if maximize else num(t.value), t.number))
    top = done[:top_k]
    out = op_frequency_empty()
    names = edge_texts(space)
    for d in space.decisions:
        if not isinstance(d, OpDecision):
            continue
        for op in d.edge.ops:
            n = sum(1 for t in top if t.arch.get(d.label) == op)
            share = n / len(top) if top else 0.0
            out["edge"].append(d.label)
            out["op"].append(op)
            out["count"].append(n)
            out["fraction"].append(share)
            out["top"].append(len(top))
            out["edge_text"].append(names[d.label])
            out["count_text"].append(str(n) if n else "")
            out["text_color"].append("#ffffff" if share > 0.5 else "#1f2937")
    return out


def op_frequency_empty() -> dict[str, list]:
    """The columns of :func:`op_frequency`, with no rows.

    Example:
        >>> sorted(op_frequency_empty())[:3]
        ['count', 'count_text', 'edge']
    """
    return {k: [] for k in ("edge", "op", "count", "fraction", "top", "edge_text", "count_text",
                            "text_color")}


def edge_texts(space: Any) -> dict[str, str]:
    """``{decision label: text}`` of the space's op decisions, each read in the edge's
    direction (``n1<-input`` -> ``input → n1``); a text two labels would share stays the
    label.

    Example:
        >>> from nasbench_ui.space import Edge, SearchSpace
        >>> s = SearchSpace("t", ["a", "b"], [Edge("a", "b", ["relu", "tanh"])])
        >>> edge_texts(s)
        {'b<-a': 'a → b'}
    """
    labels = [d.label for d in (space.decisions if space is not None else ())
              if isinstance(d, OpDecision)]
    texts_ = {lb: edge_text(lb) for lb in labels}
    seen: dict[str, int] = {}
    for t in texts_.values():
        seen[t] = seen.get(t, 0) + 1
    return {lb: t if seen[t] == 1 and (t == lb or t not in texts_) else lb
            for lb, t in texts_.items()}

"""Words and numbers for people: metric names, edge labels, 135 k / 1.2 M / 3.4 ms.

Pure functions shared by the charts (``viz.figures``, ``ui.charts``), the trials table
(``ui.table``) and the graph editor: no Bokeh, no widgets.

Example:
    >>> human_number(135_000), human_number(1_234_567), human_number(3.42, "ms")
    ('135 k', '1.2 M', '3.4 ms')
    >>> edge_text("n1<-input"), metric_label("flops")
    ('input → n1', 'FLOPs')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from nasbench_ui.storage.trial import Trial
from nasbench_ui.viz.trials import edge_text, inputs_text, num, state_name, words_list

__all__ = [
    "EMPTY_CURVES", "EMPTY_OPS", "HUMAN_TICKS_JS", "METRIC_LABELS", "STATE_LEGEND",
    "change_text", "curves_note", "decision_text", "edge_text", "human_number", "human_value",
    "inputs_text", "metric_label", "objective_label", "words_list",
]

#: readable names of the metrics the estimators report (axis labels, table headers)
METRIC_LABELS = {
    "number": "trial", "params": "parameters", "flops": "FLOPs", "latency_ms": "latency (ms)",
    "duration_s": "time (s)", "valid_acc": "valid_acc", "test_acc": "test_acc",
}
#: the states the charts colour, in legend order (lower case, as a person reads them);
#: "interrupted" is a trial a stop cut short (grey; its curve stays drawn)
STATE_LEGEND = ("complete", "pruned", "failed", "running", "interrupted")
EMPTY_CURVES = ("no learning curves: tabular looks results up instead of training (its "
                "curve column is read by the multi-fidelity strategies only)")
EMPTY_OPS = "no operation heatmap: this space has no operation choices"
_UNITS = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))
#: a Bokeh ``CustomJSTickFormatter`` body doing what :func:`human_number` does
HUMAN_TICKS_JS = """
const a = Math.abs(tick);
const units = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
for (const [f, u] of units) {
  if (a >= f) {
    const v = tick / f;
    return (Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(2)).toString()) + " " + u;
  }
}
return Number(tick.toPrecision(3)).toString();
"""


def human_number(value: Any, unit: str = "") -> str:
    """``value`` with two significant digits and a k / M / G suffix or a ``unit`` (three
    digits at 100 and above, and for a bare number): 135 k, 1.2 M, 0.912, 3.4 ms.
    Missing values give "".

    Example:
        >>> human_number(987), human_number(1500), human_number(None), human_number(0.91234)
        ('987', '1.5 k', '', '0.912')
    """
    v = num(value)
    if math.isnan(v):
        return ""
    if math.isinf(v):
        return ("-" if v < 0 else "") + "∞"
    text = ""
    for factor, suffix in _UNITS:
        if abs(v) >= factor:
            x = v / factor
            text = f"{x:.0f} {suffix}" if abs(x) >= 100 else f"{float(f'{x:.2g}'):g} {suffix}"
            break
    if not text:
        digits = 2 if unit else 3
        text = f"{v:.0f}" if abs(v) >= 100 else f"{float(f'{v:.{digits}g}'):g}"
    return f"{text} {unit}" if unit else text


def human_value(name: str, value: Any) -> str:
    """A metric's value as a person reads it: parameters and FLOPs in k / M, latency in
    ms, seconds with an "s", anything else to 4 significant digits.

    Example:
        >>> human_value("params", 135012), human_value("latency_ms", 3.412), human_value("valid_acc", 0.93456)
        ('135 k', '3.4 ms', '0.9346')
    """
    v = num(value)
    if math.isnan(v):
        return "" if value is None or isinstance(value, float) else str(value)
    if name in ("params", "flops") or name.endswith(".params") or name.endswith(".flops"):
        return human_number(v)
    if name.endswith("_ms"):
        return human_number(v, "ms")
    if name.endswith("_s"):
        return human_number(v, "s")
    return f"{v:.4g}"


def metric_label(name: str) -> str:
    """The readable name of a metric or column (``flops`` -> ``FLOPs``).

    Example:
        >>> metric_label("latency_ms"), metric_label("my_metric")
        ('latency (ms)', 'my_metric')
    """
    return METRIC_LABELS.get(name, name)


def decision_text(label: str) -> str:
    """A decision's name for a person: an edge's label reads ``edge 0 → 1``, any other
    label (a hyperparameter, ``n3.inputs``) stays as it is.

    Example:
        >>> decision_text("1<-0"), decision_text("units")
        ('edge 0 → 1', 'units')
    """
    text = edge_text(label)
    return str(label) if text == label else f"edge {text}"


def change_text(mutation: Any) -> str:
    """What a mutation changed, as a teacher reads it: the stored label (``3<-2``, or
    several joined by commas) with each edge written ``the edge 2 → 3``.

    Example:
        >>> change_text("3<-2"), change_text("1<-0,3<-1"), change_text("units")
        ('the edge 2 → 3', 'the edges 0 → 1, 1 → 3', 'units')
    """
    parts = [p for p in str(mutation).split(",") if p] if mutation is not None else []
    edges = [edge_text(p) for p in parts if edge_text(p) != p]
    others = [p for p in parts if edge_text(p) == p]
    words = ([("the edge " if len(edges) == 1 else "the edges ") + ", ".join(edges)]
             if edges else []) + others
    return ", ".join(words) if words else "?"


def objective_label(trials: Sequence[Trial], objective: str = "value") -> str:
    """What the charts' y axis calls the objective: ``objective`` itself when it names a
    metric, else the metric of the finished trials whose value the objective equals
    (``valid_acc`` for ``train``, the table's column for ``tabular``), else "objective".
    Never the bare word "value".

    Example:
        >>> from nasbench_ui.storage.trial import Trial, TrialState as S
        >>> objective_label([Trial(0, S.COMPLETE, {}, 0.9, {"params": 3, "valid_acc": 0.9})])
        'valid_acc'
        >>> objective_label([]), objective_label([], "params")
        ('objective', 'parameters')
    """
    if objective != "value":
        return metric_label(objective)
    for t in trials:
        if state_name(t) != "COMPLETE":
            continue
        v = num(t.value)
        if math.isnan(v):
            continue
        keys = sorted((k for k, m in t.metrics.items() if num(m) == v),
                      key=lambda k: (k != "valid_acc", "acc" not in k, k))
        return keys[0] if keys else "objective"
    return "objective"


def curves_note(trials: Sequence[Trial], metric: str = "valid_acc",
                estimator: str | None = None) -> str:
    """Why the learning-curve panel is empty, or "" when it has (or may soon have) a curve.

    A tabular estimator (named, or, when the estimator is not known, seen from the
    ``cost_s`` its trials report) reports curves only for a multi-fidelity strategy's
    rungs (its ``curve`` column); no estimator whose finished trials reported no
    ``metric`` point has any.

    Example:
        >>> from nasbench_ui.storage.trial import Trial, TrialState as S
        >>> curves_note([], estimator="tabular")[:60]
        'no learning curves: tabular looks results up instead of trai'
        >>> curves_note([Trial(0, S.COMPLETE, {}, 0.9)])
        'no learning curves: this estimator reports no valid_acc per epoch'
        >>> curves_note([])
        ''
        >>> curves_note([Trial(0, S.COMPLETE, {}, 0.9, metrics={"cost_s": 0.1})],
        ...             estimator="zero_cost")
        'no learning curves: this estimator reports no valid_acc per epoch'
    """
    for t in trials:  # a multi-fidelity tabular search reads its table's curves
        if any(isinstance(p, dict) and metric in p for p in t.curve):
            return ""
    if estimator == "tabular":
        return EMPTY_CURVES
    finished = [t for t in trials if state_name(t) not in ("RUNNING",)]
    if not finished:
        return ""
    if estimator is None and any("cost_s" in t.metrics for t in finished[:10]):  # tabular
        return EMPTY_CURVES
    return f"no learning curves: this estimator reports no {metric} per epoch"

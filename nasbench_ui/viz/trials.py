"""Reading trials for charts: checked lists, state names, numbers (NaN when missing),
short hover texts, state colours. Shared by ``tables``, ``frame`` and ``report``.

Example:
    >>> from nasbench_ui.storage.trial import Trial, TrialState
    >>> t = Trial(0, TrialState.COMPLETE, {"op": "skip"}, None, {"params": 12})
    >>> metric(t, "value"), metric(t, "params"), arch_text(t.arch)
    (nan, 12.0, 'op=skip')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from nasbench_ui.storage.trial import Trial, TrialState

__all__ = [
    "NAN", "PARETO_COLOR", "STATE_COLORS", "TEXT_LIMIT", "Memo", "arch_text", "better",
    "check_trials", "cut", "cut_items", "cut_words", "edge_text", "inputs_text", "metric",
    "metrics_text", "num", "state_name", "texts", "words_list",
]

STATE_COLORS = {
    "COMPLETE": "#1f77b4", "PRUNED": "#ff7f0e", "FAILED": "#d62728",
    "INTERRUPTED": "#7f7f7f", "RUNNING": "#2ca02c",
}
PARETO_COLOR = "#d62728"
TEXT_LIMIT = 160
NAN = float("nan")
_EDGE = re.compile(r"^(.+)<-(.+)$")
_INPUTS = re.compile(r"^(.+)\.inputs$")  # an input choice's label (InputChoice)


def check_trials(trials: Any) -> list[Trial]:
    if trials is None:
        return []
    if isinstance(trials, (str, bytes, dict)) or not hasattr(trials, "__iter__"):
        raise ValueError(f"trials must be a list of Trial, got {type(trials).__name__}")
    out = list(trials)
    for i, t in enumerate(out):
        if not isinstance(t, Trial):
            raise ValueError(f"trials[{i}] is a {type(t).__name__}, not a Trial")
    return out


def state_name(t: Trial) -> str:
    """The state's name ("COMPLETE", ...); a plain string state is taken as it is."""
    st = t.state
    return st.name if isinstance(st, TrialState) else str(st)


def num(v: Any) -> float:
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        return float(v)
    try:
        return float(v) if v is not None and not isinstance(v, str) else NAN
    except (TypeError, ValueError):
        return NAN


def metric(t: Trial, key: str) -> float:
    """``t.value`` for "value", ``duration_s`` from the metrics or the timestamps, else a
    metric; NaN when missing.

    Example:
        >>> from nasbench_ui.storage.trial import Trial, TrialState
        >>> metric(Trial(0, TrialState.COMPLETE, {}, 0.5, {"params": 10}), "params")
        10.0
    """
    if key == "value":
        return num(t.value)
    if key == "duration_s" and "duration_s" not in t.metrics:
        return num(t.duration_s)
    return num(t.metrics.get(key))


def _fmt(v: Any) -> str:
    if type(v) is str:  # most choices (the common case first: a hover text per trial)
        return v
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(_fmt(x) for x in v) + "]"
    return str(v)


def cut(s: str, limit: int) -> str:
    """``s`` cut to at most ``limit`` characters, the last an ellipsis (a table cell, an
    SVG label: anywhere a word boundary does not matter).

    Example:
        >>> cut("abcdefghij", 5), cut("abc", 5)
        ('abcd…', 'abc')
    """
    return s if len(s) <= limit else s[: limit - 1] + "\u2026"


def cut_words(s: str, limit: int) -> str:
    """``s`` cut to at most ``limit`` characters at a word boundary, with an ellipsis
    (a text without a space in its second half is cut at the limit).

    Example:
        >>> cut_words("the quick brown fox", 14), cut_words("abcdefghij", 5)
        ('the quick…', 'abcd…')
    """
    if len(s) <= limit:
        return s
    head = s[: limit - 1]
    space = head.rfind(" ")
    if space > limit // 2:
        head = head[:space].rstrip(" ,;:")
    return head + "\u2026"


def cut_items(items: Sequence[str], limit: int) -> str:
    """``items`` joined by ", ", cut to at most ``limit`` characters after the last whole
    item that fits (then ``, …``): a hover cut mid-word read ``edge n1 → n3: se…``. Where
    the whole items would keep less than half of ``limit``, the text is cut at a word
    (:func:`cut_words`).

    Example:
        >>> cut_items(["edge 0 → 1: skip", "edge 0 → 2: conv"], 30)
        'edge 0 → 1: skip, …'
        >>> cut_items(["a", "b"], 30)
        'a, b'
    """
    text = ", ".join(items)
    if len(text) <= limit:
        return text
    kept = ""
    for item in items:
        longer = f"{kept}, {item}" if kept else item
        if len(longer) + len(", \u2026") > limit:
            break
        kept = longer
    if len(kept) > limit // 2:
        return kept + ", \u2026"
    return cut_words(text, limit)


def edge_text(label: str) -> str:
    """A decision label as read in the edge's direction: ``n1<-input`` -> ``input → n1``;
    any other label (a custom one, ``n3.inputs``, a hyperparameter) stays as it is.

    Example:
        >>> edge_text("3<-0"), edge_text("kernel_size")
        ('0 → 3', 'kernel_size')
    """
    m = _EDGE.match(label) if isinstance(label, str) else None
    return f"{m.group(2)} → {m.group(1)}" if m else str(label)


def words_list(items: Sequence[str]) -> str:
    """Items as a sentence lists them: ``a``, ``a and b``, ``a, b and c``.

    Example:
        >>> words_list(["1"]), words_list(["1", "2"]), words_list(["0", "1", "2"])
        ('1', '1 and 2', '0, 1 and 2')
    """
    items = [str(i) for i in items]
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def inputs_text(node: str, kept: Sequence[str], input_node: str | None = None) -> str:
    """An input choice's value in words: which nodes ``node`` takes (``kept``, as
    stored), the space's input node (``input_node``) called the input.

    Example:
        >>> inputs_text("3", ["1", "2"]), inputs_text("n3", ["in", "n2"], input_node="in")
        ('node 3 takes nodes 1 and 2', 'node n3 takes the input and node n2')
        >>> inputs_text("n2", ["n1"]), inputs_text("n2", [])
        ('node n2 takes node n1', 'node n2 takes no input')
    """
    names = [str(k) for k in kept]
    if not names:
        return f"node {node} takes no input"
    others = [n for n in names if n != input_node]
    words = ["the input"] if len(others) < len(names) else []
    if others:
        words.append(("node " if len(others) == 1 else "nodes ") + words_list(others))
    return f"node {node} takes {' and '.join(words)}"


def _decision(label: str, value: Any) -> str:
    m = _EDGE.match(label) if type(label) is str else None
    if m is not None:
        return f"edge {m.group(2)} → {m.group(1)}: {_fmt(value)}"
    m = _INPUTS.match(label) if type(label) is str else None
    if m is not None and isinstance(value, (list, tuple)):
        return f"inputs of {m.group(1)}: {words_list([str(v) for v in value]) or 'none'}"
    return f"{label}={_fmt(value)}"


def arch_text(arch: dict[str, Any], limit: int = TEXT_LIMIT) -> str:
    """A short text of an architecture for a person, cut after the last whole item that
    fits ``limit`` (:func:`cut_items`): an edge's decision reads ``edge 0 → 1: op``, an
    input choice (``n3.inputs``) ``inputs of n3: in and n2`` (the Trials table's column
    ``inputs of n3``; a report, which does not know the space's input node, read ``node
    n3 takes nodes in and n2``), any other ``label=value``. Input choices come first: a
    cell's edges run past ``limit`` (darts_cell's nine take about 250 characters), and
    the choice came last, cut off. The stored labels (``1<-0``) stay in the architecture
    itself.

    Example:
        >>> arch_text({"1<-0": "skip", "n3.inputs": ["in", "n2"], "lr": 0.001})
        'inputs of n3: in and n2, edge 0 → 1: skip, lr=0.001'
    """
    items = sorted(arch.items(), key=lambda kv: not (type(kv[0]) is str and _INPUTS.match(kv[0])))
    return cut_items([_decision(k, v) for k, v in items], limit)


def metrics_text(metrics: dict[str, Any], limit: int = TEXT_LIMIT) -> str:
    """A short ``key=value, ...`` text of a trial's metrics (numbers to 4 digits), cut
    after the last whole item that fits ``limit`` (:func:`cut_items`)."""
    return cut_items([f"{k}={_fmt(v)}" for k, v in metrics.items()], limit)


def better(maximize: bool):
    return max if maximize else min


Memo = dict[tuple[int, str], tuple[str, str]]


def texts(t: Trial, st: str, memo: Memo | None) -> tuple[str, str]:
    """(arch_text, metrics_text) of a trial; a finished trial's are kept in ``memo``."""
    if memo is None or st == "RUNNING":
        return arch_text(t.arch), metrics_text(t.metrics)
    key = (t.number, st)
    got = memo.get(key)
    if got is None:
        got = memo[key] = (arch_text(t.arch), metrics_text(t.metrics))
    return got

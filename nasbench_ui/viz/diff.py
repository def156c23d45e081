"""Architecture diff and lineage.

``arch_diff`` lists the decisions on which two architectures of one space differ
(labels as in ``space.decisions``). ``lineage`` reads the parent -> child edges that
regularized evolution (Real et al., "Regularized Evolution for Image Classifier
Architecture Search", AAAI 2019) records in each trial's meta
(``{"parent": number, "mutation": label}``, see ``strategies/evolution.py``).
``lineage_svg`` draws them as a family tree (one column per generation).

Example:
    >>> from nasbench_ui import spaces
    >>> s = spaces.nb201()
    >>> a = {lb: "skip_connect" for lb in s.labels}
    >>> arch_diff(s, a, {**a, "3<-0": "none"})
    {'3<-0': ('skip_connect', 'none')}
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from nasbench_ui.viz.labels import change_text

__all__ = ["arch_diff", "highlight_of", "lineage", "lineage_svg"]


def arch_diff(space: Any, a: dict[str, Any], b: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """``{label: (a's choice, b's choice)}`` for exactly the decisions that differ, in
    the space's decision order. Both archs are validated (ValueError names the bad one)."""
    if not hasattr(space, "decisions"):
        raise ValueError(f"space must be a SearchSpace, got {type(space).__name__}")
    for name, arch in (("a", a), ("b", b)):
        if not isinstance(arch, dict):
            raise ValueError(f"arch {name} must be a dict {{label: choice}}, got {type(arch).__name__}")
        try:
            space.validate(arch)
        except ValueError as e:
            raise ValueError(f"arch {name}: {e}") from None
    ca, cb = space.canonical(a), space.canonical(b)
    return {lb: (ca[lb], cb[lb]) for lb in space.labels if ca[lb] != cb[lb]}


def highlight_of(space: Any, labels: Any) -> set[str]:
    """The edge labels and node names to highlight in a drawing for decision ``labels``:
    an operation decision highlights its edge, an input choice its node."""
    out: set[str] = set()
    for d in space.decisions:
        if d.label in labels:
            edge = getattr(d, "edge", None)
            node = getattr(d, "node", None)
            if edge is not None:
                out.add(edge.label)
            elif node is not None:
                out.add(node)
    return out


def lineage(trials: Sequence[Any]) -> list[tuple[int, int, str | None]]:
    """``[(parent, child, mutation)]`` for every trial whose meta names a parent, by
    child number.

    Example:
        >>> from nasbench_ui.storage.trial import Trial, TrialState as S
        >>> ts = [Trial(0, S.COMPLETE, {}, 0.1), Trial(1, S.COMPLETE, {}, 0.2, meta={"parent": 0, "mutation": "x"})]
        >>> lineage(ts)
        [(0, 1, 'x')]
    """
    out = []
    for t in sorted(trials, key=lambda t: t.number):
        meta = getattr(t, "meta", None) or {}
        parent = meta.get("parent")
        if isinstance(parent, int) and not isinstance(parent, bool):
            out.append((parent, t.number, meta.get("mutation")))
    return out


def lineage_svg(trials: Sequence[Any], selected: int | None = None, max_nodes: int = 300) -> str:
    """A family tree (``<svg>``) of ``trials``: generation = distance from a root (a
    trial without a parent); an arrow per parent -> child, labelled with the mutation.
    Only the last ``max_nodes`` trials are drawn."""
    trials = sorted(trials, key=lambda t: t.number)[-max_nodes:]
    numbers = {t.number for t in trials}
    parent = {c: p for p, c, _ in lineage(trials) if p in numbers}
    mutation = {c: m for _, c, m in lineage(trials)}
    gen: dict[int, int] = {}
    for t in trials:
        gen[t.number] = gen.get(parent.get(t.number, -1), -1) + 1 if t.number in parent else 0
    rows: dict[int, int] = {}
    pos: dict[int, tuple[float, float]] = {}
    for t in trials:
        g = gen[t.number]
        rows[g] = rows.get(g, 0) + 1
        pos[t.number] = (30 + 90 * g, 20 + 26 * (rows[g] - 1))
    width = 60 + 90 * max(gen.values(), default=0)
    height = 40 + 26 * max(max(rows.values(), default=1) - 1, 0)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="nbui-lineage" width="{width}" '
             f'height="{height}" font-family="sans-serif" font-size="10">']
    for child, par in parent.items():
        (x1, y1), (x2, y2) = pos[par], pos[child]
        parts.append(f'<line x1="{x1 + 12}" y1="{y1}" x2="{x2 - 12}" y2="{y2}" stroke="#888" '
                     f'data-parent="{par}" data-child="{child}"><title>trial {par} → trial '
                     f'{child}: changed {escape(change_text(mutation.get(child)))}</title></line>')
    for t in trials:
        x, y = pos[t.number]
        fill = "#f4b942" if t.number == selected else "#e8f0fa"
        number = escape(str(t.number))  # a number from someone's store: text, whatever it holds
        parts.append(f'<circle cx="{x}" cy="{y}" r="11" fill="{fill}" stroke="#1f4e79" '
                     f'data-trial="{number}"/><text x="{x}" y="{y + 3}" text-anchor="middle">'
                     f'{number}</text>')
    parts.append("</svg>")
    return "\n".join(parts)

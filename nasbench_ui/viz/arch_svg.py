"""A static SVG drawing of one architecture: nodes in topological layers, kept edges
labelled with their operation.

A node's layer is the length of the longest path from the input (a longest-path
layering, the first step of Sugiyama, Tagawa & Toda, "Methods for visual
understanding of hierarchical system structures", IEEE SMC 1981). Edges that skip
layers are drawn as arcs, alternately above and below, so that they do not run
through the nodes in between. Only edges kept by the architecture are drawn (an
input choice's dropped inputs and ``none`` ops are left out); their list comes from
``nasbench_ui.space.build.active_edges``.

Example:
    >>> from nasbench_ui import spaces
    >>> s = spaces.nb201()
    >>> svg = arch_svg(s, spaces.nb201_arch(
    ...     "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|"))
    >>> svg.startswith("<svg") and "nor_conv_3x3" in svg and ">none<" not in svg
    True
"""

from __future__ import annotations

from html import escape
from typing import Any

from nasbench_ui.space.build import active_edges
from nasbench_ui.viz.trials import cut as cut_text

__all__ = ["arch_svg"]

LAYER_GAP = 150
ROW_GAP = 70
MARGIN = 40
RADIUS = 16
ARC = 45


def _layers(space: Any) -> dict[str, int]:
    layer = {name: 0 for name in space.topological_nodes()}
    for name in space.topological_nodes():
        for e in space.edges:  # all edges, so the layout is the same for every arch
            if e.dst == name:
                layer[name] = max(layer[name], layer[e.src] + 1)
    return layer


def _bends(space: Any, layer: dict[str, int], by_layer: dict[int, list[str]]) -> dict:
    """How far each edge's middle rises (+) or sinks (-): edges that skip layers between
    nodes of one row arc, alternately up and down, over every edge of the space (so an
    edge bends the same way whatever the architecture keeps)."""
    rows = max(len(v) for v in by_layer.values())
    row = {n: (rows - len(by_layer[layer[n]])) / 2 + by_layer[layer[n]].index(n) for n in layer}
    out: dict[tuple[str, str], float] = {}
    side = 1
    for e in space.edges:
        span = abs(layer[e.dst] - layer[e.src])
        bend = 0.0
        if span > 1 and row[e.src] == row[e.dst]:
            bend = side * ARC * min(span - 1, 2)
            side = -side
        out[(e.src, e.dst)] = bend
    return out


def arch_svg(space: Any, arch: dict[str, Any], title: str | None = None,
             highlight: Any = ()) -> str:
    """An ``<svg>`` element (a str) drawing ``arch`` in ``space``.

    ``space.validate(arch)`` runs first, so a bad architecture raises its ValueError.
    ``highlight`` holds edge labels and node names drawn in red (class ``nbui-hl``),
    e.g. the decisions on which two architectures differ (``viz.diff.highlight_of``).
    """
    highlight = set(highlight or ())
    if not hasattr(space, "topological_nodes"):
        raise ValueError(f"space must be a SearchSpace, got {type(space).__name__}")
    if not isinstance(arch, dict):
        raise ValueError(f"arch must be a dict {{label: choice}}, got {type(arch).__name__}")
    space.validate(arch)
    edges = active_edges(space, arch)
    layer = _layers(space)
    by_layer: dict[int, list[str]] = {}
    for name in space.topological_nodes():
        by_layer.setdefault(layer[name], []).append(name)
    rows = max(len(v) for v in by_layer.values())
    bends = _bends(space, layer, by_layer)
    up = max([b for b in bends.values() if b > 0], default=0.0)
    down = -min([b for b in bends.values() if b < 0], default=0.0)
    top = (24 if title else 0) + MARGIN + up
    height = top + (rows - 1) * ROW_GAP + down + MARGIN
    width = 2 * MARGIN + (len(by_layer) - 1) * LAYER_GAP
    pos: dict[str, tuple[float, float]] = {}
    for lay, names in by_layer.items():
        offset = (rows - len(names)) * ROW_GAP / 2
        for j, name in enumerate(names):
            pos[name] = (MARGIN + lay * LAYER_GAP, top + offset + j * ROW_GAP)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="nbui-arch" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif">',
        '<defs><marker id="nbui-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="6" markerHeight="6" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
    ]
    if title:
        parts.append(f'<text x="{MARGIN}" y="18" font-size="13" font-weight="bold">'
                     f"{escape(title)}</text>")
    for e, op in edges:
        (x1, y1), (x2, y2) = pos[e.src], pos[e.dst]
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2 - bends[(e.src, e.dst)]
        # shorten the path so the arrow stops at the node's circle
        dx, dy = x2 - mx, y2 - my
        norm = max((dx * dx + dy * dy) ** 0.5, 1e-9)
        ux, uy = abs(dx) / norm, abs(dy) / norm
        cut = min(_half_width(e.dst) / max(ux, 1e-9), RADIUS / max(uy, 1e-9)) + 1
        ex, ey = x2 - dx / norm * cut, y2 - dy / norm * cut
        cx, cy = 2 * mx - (x1 + ex) / 2, 2 * my - (y1 + ey) / 2
        hl = e.label in highlight
        parts.append(
            f'<path d="M{x1:.1f},{y1:.1f} Q{cx:.1f},{cy:.1f} {ex:.1f},{ey:.1f}" fill="none" '
            + (f'stroke="#c0392b" stroke-width="3" class="nbui-hl" data-edge="{escape(e.label)}" ' if hl
               else 'stroke="#555" stroke-width="1.5" ') + 'marker-end="url(#nbui-arrow)">'
            f"<title>{escape(e.label)}: {escape(op)}</title></path>")
        parts.append(
            f'<text x="{mx:.1f}" y="{my - 5:.1f}" font-size="11" text-anchor="middle" '
            f'fill="#1f4e79" paint-order="stroke" stroke="white" stroke-width="3">'
            f"{escape(op)}</text>")
        bound = ", ".join(f"{kw}={arch.get(lb)}" for kw, lb in e.bind if lb in arch)
        if bound:  # the hyperparameters this edge's op takes, under the edge
            parts.append(
                f'<text x="{mx:.1f}" y="{my + 13:.1f}" font-size="9" text-anchor="middle" '
                f'fill="#555">{escape(cut_text(bound, 30))}</text>')
    for name, (x, y) in pos.items():
        label = _short(name)
        w = 2 * _half_width(name)
        parts.append(
            f'<rect x="{x - w / 2:.1f}" y="{y - RADIUS:.1f}" width="{w}" height="{2 * RADIUS}" '
            f'rx="{RADIUS}" fill="#e8f0fa" '
            + (f'stroke="#c0392b" stroke-width="3" class="nbui-hl" data-node="{escape(name)}"/>'
               if name in highlight else 'stroke="#1f4e79" stroke-width="1.5"/>')
            + f'<text x="{x:.1f}" y="{y + 4:.1f}" font-size="11" text-anchor="middle">'
            f"{escape(label)}</text>")
    parts.append("</svg>")
    return "\n".join(parts)


def _half_width(name: str) -> int:
    return max(RADIUS, (7 * len(_short(name)) + 10) // 2)


def _short(name: str) -> str:
    return name if len(name) <= 10 else name[:9] + "\u2026"

"""Where the graph editor draws a space's nodes: columns by longest path from the
input (top to bottom for a deep graph), and the positions a person moved kept over
edits. Pure functions of a space dict, which may be malformed (an edit in progress).

Example:
    >>> compute_layout({"nodes": ["in", "h", "out"], "edges": [{"src": "in", "dst": "h"}]})
    {'in': [60.0, 60.0], 'h': [220.0, 60.0], 'out': [380.0, 60.0]}
"""

from __future__ import annotations

import math
from typing import Any

import networkx as nx

__all__ = ["COLUMN_DX", "DEEP", "LEVEL_DY", "MARGIN", "ROW_DY", "compute_layout", "edge_label",
           "edge_list", "merge_positions", "node_names"]

COLUMN_DX = 160.0
ROW_DY = 84.0
LEVEL_DY = 84.0  # between levels of a deep graph, drawn top to bottom
DEEP = 6  # a graph of this many levels or more is drawn top to bottom (it fits a screen)
MARGIN = 60.0


def node_names(d: Any) -> list[str]:
    """Node names of a (possibly malformed) space dict, in declared order, no repeats.

    Example:
        >>> node_names({"nodes": ["in", {"name": "h"}, "in", 3, "out"]})
        ['in', 'h', 'out']
    """
    out: list[str] = []
    nodes = d.get("nodes") if isinstance(d, dict) else None
    for n in nodes if isinstance(nodes, list) else []:
        name = n.get("name") if isinstance(n, dict) else n
        if isinstance(name, str) and name not in out:
            out.append(name)
    return out


def edge_list(d: Any) -> list[dict[str, Any]]:
    """The well-formed edge dicts of a (possibly malformed) space dict.

    Example:
        >>> edge_list({"edges": [{"src": "a", "dst": "b"}, {"src": 1}, "x"]})
        [{'src': 'a', 'dst': 'b'}]
    """
    edges = d.get("edges") if isinstance(d, dict) else None
    return [e for e in (edges if isinstance(edges, list) else [])
            if isinstance(e, dict) and isinstance(e.get("src"), str) and isinstance(e.get("dst"), str)]


def edge_label(e: dict[str, Any]) -> str:
    """An edge dict's label, or the default ``"dst<-src"`` when it has none.

    Example:
        >>> edge_label({"src": "a", "dst": "b"}), edge_label({"src": "a", "dst": "b", "label": "x"})
        ('b<-a', 'x')
    """
    label = e.get("label")
    return label if isinstance(label, str) and label else f"{e['dst']}<-{e['src']}"


def compute_layout(space_dict: dict[str, Any]) -> dict[str, list[float]]:
    """Node centres ``{name: [x, y]}``: columns by longest path from the input.

    Works on invalid dicts too (cycles are broken, unconnected nodes go to column 1);
    the input is leftmost, the output alone in the rightmost column. Within a column
    nodes are ordered by the mean row of their predecessors (one barycentre pass).
    A deep graph (``DEEP`` levels or more, such as keras_cnn's chain of 7) is drawn top to
    bottom instead, so that it fits a screen at a readable size.

    Example:
        >>> from nasbench_ui import spaces
        >>> compute_layout(spaces.blank().to_dict())
        {'input': [60.0, 60.0], 'output': [220.0, 60.0]}
    """
    names = node_names(space_dict)
    if not names:
        return {}
    g = nx.DiGraph()
    g.add_nodes_from(names)
    g.add_edges_from((e["src"], e["dst"]) for e in edge_list(space_dict)
                     if e["src"] in g and e["dst"] in g and e["src"] != e["dst"])
    while not nx.is_directed_acyclic_graph(g):
        u, v = nx.find_cycle(g)[-1][:2]
        g.remove_edge(u, v)
    inp = space_dict.get("input") if space_dict.get("input") in g else names[0]
    out = space_dict.get("output") if space_dict.get("output") in g else names[-1]
    order = {n: i for i, n in enumerate(names)}
    col: dict[str, int] = {}
    for n in nx.lexicographical_topological_sort(g, key=order.__getitem__):
        preds = [p for p in g.predecessors(n)]
        col[n] = 0 if n == inp else (max(col[p] for p in preds) + 1 if preds else 1)
    if out != inp:
        col[out] = max([c for n, c in col.items() if n != out] + [0]) + 1
    columns: dict[int, list[str]] = {}
    for n in names:
        columns.setdefault(col[n], []).append(n)
    row: dict[str, float] = {}
    for c in sorted(columns):
        members = columns[c]

        def bary(n: str) -> tuple[float, int]:
            rows = [row[p] for p in g.predecessors(n) if p in row]
            return (sum(rows) / len(rows) if rows else 0.0, order[n])

        members.sort(key=bary)
        for i, n in enumerate(members):
            row[n] = i - (len(members) - 1) / 2
    top = min(row.values())
    if len(columns) >= DEEP:
        return {n: [MARGIN + (row[n] - top) * COLUMN_DX, MARGIN + col[n] * LEVEL_DY]
                for n in names}
    return {n: [MARGIN + col[n] * COLUMN_DX, MARGIN + (row[n] - top) * ROW_DY] for n in names}


def merge_positions(space_dict: dict[str, Any], *layers: Any) -> dict[str, list[float]]:
    """Positions for every node of ``space_dict``: the first layer that has a valid
    ``[x, y]`` for a node wins; nodes found in none get a computed position."""
    names = node_names(space_dict)
    fallback = compute_layout(space_dict)
    out: dict[str, list[float]] = {}
    for n in names:
        for layer in layers:
            xy = layer.get(n) if isinstance(layer, dict) else None
            if (isinstance(xy, (list, tuple)) and len(xy) == 2
                    and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                            and math.isfinite(v) for v in xy)):
                out[n] = [float(xy[0]), float(xy[1])]
                break
        else:
            out[n] = fallback[n]
    return out

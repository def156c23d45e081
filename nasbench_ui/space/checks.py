"""The checks a :class:`~nasbench_ui.space.spec.SearchSpace` passes when it is made: its
fields, each edge, the graph as a whole, the decision labels and the input choices.
Every ValueError names the node, edge or decision at fault (the graph editor finds its
culprits from these messages), and says what to do.

Example:
    >>> from nasbench_ui.space.spec import Edge, Node, SearchSpace
    >>> SearchSpace("s", [Node("in"), Node("out")], [Edge("in", "out", ["warp"])])
    Traceback (most recent call last):
    ...
    ValueError: edge 'out<-in' (in -> out): unknown operation 'warp'; known operations: ...
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import networkx as nx

from . import ops

__all__ = ["HEADS", "KEY_FORMATS", "MAX_NODES", "check_space"]

HEADS = ("flatten", "gap")
KEY_FORMATS = ("json", "nb201")
MAX_NODES = 500


def check_space(space: Any) -> None:
    """Raise a ValueError naming the first thing wrong with ``space`` (a ``SearchSpace``
    being made, which calls this: typed ``Any`` so this module needs no import of it).

    Example:
        >>> from nasbench_ui.space.spec import Edge, Node, SearchSpace
        >>> SearchSpace("s", ["in", "h", "out"], [Edge("in", "out", ["skip"])])
        Traceback (most recent call last):
        ...
        ValueError: node 'h' is unreachable from the input 'in'; connect it to an earlier node or delete it
    """
    names = [n.name for n in space.nodes]
    _check_fields(space, names)
    _check_edges(space, names)
    _check_graph(space, names)
    labels = [e.label for e in space.edges if e.is_decision]
    labels += [ic.label for ic in space.input_choices] + [h.label for h in space.hparams]
    dup = sorted(x for x, n in Counter(labels).items() if n > 1)  # linear: 18,000 labels
    if dup:
        raise ValueError(f"decision labels must be unique; repeated: {dup}")
    _check_input_choices(space, set(names))


def _check_fields(space: Any, names: list[str]) -> None:
    if len(names) > MAX_NODES:
        raise ValueError(f"a search space may have at most {MAX_NODES} nodes, got {len(names)}")
    dup = sorted(n for n, k in Counter(names).items() if k > 1)
    if dup:
        raise ValueError(f"node names must be unique; repeated: {dup}")
    for end, what in ((space.input, "input"), (space.output, "output")):
        if end not in names:
            raise ValueError(f"the {what} node {end!r} is not among the nodes {names}")
    if space.input == space.output:
        raise ValueError(f"the input and output must be different nodes, both are {space.input!r}")
    if space.head not in HEADS:
        raise ValueError(f"head must be one of {list(HEADS)}, got {space.head!r}")
    if space.key_format not in KEY_FORMATS:
        raise ValueError(f"key_format must be one of {list(KEY_FORMATS)}, got {space.key_format!r}")
    stem = space.stem
    if stem is not None and (isinstance(stem, bool) or not isinstance(stem, int) or stem < 1):
        raise ValueError(f"stem must be None or a positive channel count, got {stem!r}")


def _check_edges(space: Any, names: list[str]) -> None:
    """Each edge: its ends, no loop or twin, the input and output ends respected, known
    and distinct operations, and bindings to hyperparameters that exist."""
    known, hp_labels = set(names), [h.label for h in space.hparams]
    seen_pairs: set[tuple[str, str]] = set()
    for e in space.edges:
        where = f"edge {e.label!r} ({e.src} -> {e.dst})"
        for end in (e.src, e.dst):
            if end not in known:
                raise ValueError(f"{where}: node {end!r} does not exist; nodes are {names}")
        if e.src == e.dst:
            raise ValueError(f"{where}: an edge cannot join a node to itself (a cycle)")
        if (e.src, e.dst) in seen_pairs:
            raise ValueError(f"{where}: there is already an edge {e.src} -> {e.dst}")
        seen_pairs.add((e.src, e.dst))
        if e.dst == space.input:
            raise ValueError(f"{where}: the input node {space.input!r} cannot have incoming edges")
        if e.src == space.output:
            raise ValueError(f"{where}: the output node {space.output!r} cannot have outgoing edges")
        if not e.ops:
            raise ValueError(f"{where}: the candidate operation list is empty; add at least one")
        if len(set(e.ops)) != len(e.ops):
            raise ValueError(f"{where}: candidate operations repeat: {list(e.ops)}")
        for op in e.ops:
            if not ops.is_registered(op):
                raise ValueError(
                    f"{where}: unknown operation {op!r}; known operations: {ops.names()} "
                    "(register your own with nasbench_ui.space.ops.register)"
                )
        for kw, ref in e.bind:
            if ref not in hp_labels:
                raise ValueError(
                    f"{where}: {kw!r} is bound to {ref!r}, which is not a hyperparameter "
                    f"(hyperparameters: {hp_labels})"
                )


def _check_graph(space: Any, names: list[str]) -> None:
    """No cycle, and every node on a path from the input to the output."""
    g = space.graph()
    if not nx.is_directed_acyclic_graph(g):
        cycle = [u for u, _ in nx.find_cycle(g)]
        raise ValueError(f"the graph has a cycle through nodes {cycle}; remove one of its edges")
    reach = nx.descendants(g, space.input) | {space.input}
    back = nx.ancestors(g, space.output) | {space.output}
    for n in names:
        if n not in reach:
            raise ValueError(
                f"node {n!r} is unreachable from the input {space.input!r}; "
                "connect it to an earlier node or delete it"
            )
        if n not in back:
            raise ValueError(
                f"node {n!r} cannot reach the output {space.output!r}; "
                "connect it to a later node or delete it"
            )


def _check_input_choices(space: Any, known: set[str]) -> None:
    ic_nodes: set[str] = set()
    for ic in space.input_choices:
        where = f"input choice {ic.label!r} on node {ic.node!r}"
        if ic.node not in known:
            raise ValueError(f"{where}: node {ic.node!r} does not exist")
        if ic.node in ic_nodes:
            raise ValueError(f"{where}: node {ic.node!r} already has an input choice")
        ic_nodes.add(ic.node)
        preds = {e.src for e in space.edges if e.dst == ic.node}
        bad = [c for c in ic.candidates if c not in preds]
        if bad:
            raise ValueError(
                f"{where}: candidates {bad} are not predecessors of {ic.node!r} "
                f"(predecessors: {sorted(preds)})"
            )
        if not ic.candidates:
            raise ValueError(f"{where}: the node has no candidate inputs")
        if isinstance(ic.k, bool) or not isinstance(ic.k, int) or ic.k < 1:
            raise ValueError(f"{where}: k must be a positive integer, got {ic.k!r}")
        if ic.k > len(ic.candidates):
            raise ValueError(
                f"{where}: k={ic.k} is greater than the number of candidates "
                f"({len(ic.candidates)}: {list(ic.candidates)})"
            )

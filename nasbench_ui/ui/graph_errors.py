"""What the graph editor shows for a space that does not hold: the problem and the
"how to fix" hint of a space-model error message, the nodes and edges it names (drawn
red), and the dead ends a path from the input stops at. Pure functions of the message
and the (possibly malformed) space dict.

Example:
    >>> explain("edge 'b<-a' (a -> b): the candidate operation list is empty; add at least one",
    ...         {"nodes": ["a", "b"], "edges": [{"src": "a", "dst": "b"}]})["edges"]
    ['b<-a']
"""

from __future__ import annotations

import re
from typing import Any

import networkx as nx

from .graph_layout import edge_label, edge_list, node_names

__all__ = ["culprits", "dead_ends", "explain", "split_hint"]

# imperative verbs that start the "how to fix" part of a space model's message
_FIX_VERBS = ("connect", "remove", "add", "delete", "upgrade", "register", "use", "choose",
              "rename", "set", "give", "pick", "make", "change", "drop", "lower", "raise")
_QUOTED = r"(?:'([^']*)'|\"([^\"]*)\")"
_NODE_RE = re.compile(r"\bnode " + _QUOTED)
_EDGE_RE = re.compile(r"\bedge " + _QUOTED)
_LIST_RE = re.compile(r"\b(?:nodes|repeated:) \[([^\]]*)\]")
_ITEM_RE = re.compile(_QUOTED)


def split_hint(message: str) -> tuple[str, str]:
    """``(problem, hint)``: the hint is the part after the last ``"; "`` when it is an
    instruction (it starts with a verb such as "connect" or "remove"), else ``""``.

    Example:
        >>> split_hint("node 'n1' is unreachable from the input 'in'; connect it to an earlier node")
        ("node 'n1' is unreachable from the input 'in'", 'connect it to an earlier node')
    """
    head, sep, tail = message.rpartition("; ")
    if sep and tail.split(" ", 1)[0].lower() in _FIX_VERBS:
        return head, tail
    return message, ""


def culprits(message: str, space_dict: dict[str, Any]) -> tuple[list[str], list[str]]:
    """``(nodes, edge_labels)`` named in a space-model error message that exist in
    ``space_dict``. A message about an edge names only that edge; a cycle names its
    nodes and the edges between them.

    Example:
        >>> culprits("node 'h' cannot reach the output 'out'; connect it", {"nodes": ["in", "h", "out"]})
        (['h'], [])
    """
    names = node_names(space_dict)
    edges = edge_list(space_dict)
    labels = [edge_label(e) for e in edges]
    bad_nodes: list[str] = []
    bad_edges: list[str] = []

    def add(lst: list[str], item: str) -> None:
        if item not in lst:
            lst.append(item)

    for m in _EDGE_RE.finditer(message):
        name = m.group(1) if m.group(1) is not None else m.group(2)
        if name in labels:
            add(bad_edges, name)
    listed: list[str] = []
    for m in _LIST_RE.finditer(message):
        listed += [a if a else b for a, b in _ITEM_RE.findall(m.group(1))]
    for item in listed:
        if item in names:
            add(bad_nodes, item)
        if item in labels:
            add(bad_edges, item)
    if "cycle" in message and listed:
        ring = [n for n in listed if n in names]
        pairs = {(ring[i], ring[(i + 1) % len(ring)]) for i in range(len(ring))}
        for e, label in zip(edges, labels, strict=True):
            if (e["src"], e["dst"]) in pairs:
                add(bad_edges, label)
    if not message.startswith("edge "):
        for m in _NODE_RE.finditer(message):
            name = m.group(1) if m.group(1) is not None else m.group(2)
            if name in names:
                add(bad_nodes, name)
    return bad_nodes, bad_edges


def dead_ends(space_dict: dict[str, Any]) -> list[str]:
    """Nodes reached from the input that nothing leaves (the output aside): where a path
    stops short of the output. The input itself only when it has no edge out.

    Example:
        >>> dead_ends({"nodes": ["in", "a", "b", "out"], "input": "in", "output": "out",
        ...            "edges": [{"src": "in", "dst": "a"}, {"src": "in", "dst": "b"},
        ...                      {"src": "b", "dst": "out"}]})
        ['a']
    """
    names = node_names(space_dict)
    if not names:
        return []
    inp = space_dict.get("input") if space_dict.get("input") in names else names[0]
    out = space_dict.get("output") if space_dict.get("output") in names else names[-1]
    g = nx.DiGraph()
    g.add_nodes_from(names)
    g.add_edges_from((e["src"], e["dst"]) for e in edge_list(space_dict)
                     if e["src"] in g and e["dst"] in g)
    reached = nx.descendants(g, inp) | {inp}
    return [n for n in names if n in reached and n != out and g.out_degree(n) == 0]


def explain(message: str, space_dict: dict[str, Any]) -> dict[str, Any]:
    """The ``errors`` trait for a space-model ``message``: the message, a "how to fix"
    hint and the culprit nodes and edges. When the input cannot reach the output, the
    culprits are the dead ends (the nodes a path stops at), not the input; the hint never
    suggests deleting the input or the output.

    Example:
        >>> d = {"nodes": ["in", "a", "out"], "input": "in", "output": "out",
        ...      "edges": [{"src": "in", "dst": "a"}]}
        >>> e = explain("node 'in' cannot reach the output 'out'; connect it to a later node "
        ...             "or delete it", d)
        >>> e["nodes"], e["hint"]
        (['a'], "connect 'a' to a later node (a path from the input stops there)")
    """
    nodes, edges = culprits(message, space_dict)
    hint = split_hint(message)[1]
    names = node_names(space_dict)
    inp = space_dict.get("input") if space_dict.get("input") in names else (
        names[0] if names else None)
    out = space_dict.get("output") if space_dict.get("output") in names else (
        names[-1] if names else None)
    if "cannot reach the output" in message:
        ends = dead_ends(space_dict)
        if ends and (inp in nodes or not nodes):
            nodes = ends
            named = ", ".join(repr(n) for n in ends)
            message = (f"{'node' if len(ends) == 1 else 'nodes'} {named}: a dead end (no edge "
                       f"leaves it), so the input {inp!r} cannot reach the output {out!r}")
            hint = f"connect {named} to a later node (a path from the input stops there)"
    if hint and (inp in nodes or out in nodes) and "delete" in hint:
        ends = [n for n in nodes if n in (inp, out)]
        hint = "connect " + ", ".join(repr(n) for n in ends) + " to the rest of the graph"
    return {"message": message, "hint": hint, "nodes": nodes, "edges": edges}

"""A visual search-space editor: an anywidget that draws the space's DAG as SVG.

Python is the source of truth. The browser edits a copy of ``space_json`` and sends the
whole new dict back; Python validates it with :meth:`SearchSpace.from_dict`, keeps the
undo history, and reports a bad edit in ``errors`` (message, "how to fix" hint, culprit
nodes and edges, which the browser draws red) while the invalid dict stays on screen.

Node positions live in the ``positions`` trait (``{node: [x, y]}``, node centres).
It is not called ``layout`` because every ipywidgets ``DOMWidget`` already has a
``layout`` trait (its CSS ``Layout`` model) that the front end relies on.

Example:
    >>> from nasbench_ui import spaces
    >>> ed = GraphEditor(spaces.nb201())
    >>> ed.size, ed.valid
    (15625, True)
    >>> d = ed.space_json
    >>> ed.space_json = {**d, "edges": [e for e in d["edges"] if e["label"] != "3<-2"]}
    >>> ed.valid, ed.errors["nodes"], ed.errors["hint"]
    (False, ['2'], 'connect it to a later node or delete it')
    >>> ed.undo(), ed.space.size()
    (True, 15625)
    >>> ed.warnings  # a hyperparameter that nothing reads would be named here, in red
    []
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import networkx as nx
import traitlets

from ..estimators.trainer import RESERVED
from ..space import ops
from ..space.presets import blank
from ..space.spec import SearchSpace

HERE = Path(__file__).parent
MAX_HISTORY = 100
COLUMN_DX = 160.0
ROW_DY = 84.0
LEVEL_DY = 84.0  # between levels of a deep graph, drawn top to bottom
DEEP = 6  # a graph of this many levels or more is drawn top to bottom (it fits a screen)
MARGIN = 60.0
# imperative verbs that start the "how to fix" part of a space model's message
_FIX_VERBS = ("connect", "remove", "add", "delete", "upgrade", "register", "use", "choose",
              "rename", "set", "give", "pick", "make", "change", "drop", "lower", "raise")
_QUOTED = r"(?:'([^']*)'|\"([^\"]*)\")"
_NODE_RE = re.compile(r"\bnode " + _QUOTED)
_EDGE_RE = re.compile(r"\bedge " + _QUOTED)
_LIST_RE = re.compile(r"\b(?:nodes|repeated:) \[([^\]]*)\]")
_ITEM_RE = re.compile(_QUOTED)

SpaceCallback = Callable[[SearchSpace], Any]


def _read(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


def _node_names(d: Any) -> list[str]:
    """Node names of a (possibly malformed) space dict, in declared order, no repeats."""
    out: list[str] = []
    nodes = d.get("nodes") if isinstance(d, dict) else None
    for n in nodes if isinstance(nodes, list) else []:
        name = n.get("name") if isinstance(n, dict) else n
        if isinstance(name, str) and name not in out:
            out.append(name)
    return out


def _edge_list(d: Any) -> list[dict[str, Any]]:
    """The well-formed edge dicts of a (possibly malformed) space dict."""
    edges = d.get("edges") if isinstance(d, dict) else None
    return [e for e in (edges if isinstance(edges, list) else [])
            if isinstance(e, dict) and isinstance(e.get("src"), str) and isinstance(e.get("dst"), str)]


def _edge_label(e: dict[str, Any]) -> str:
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
    names = _node_names(space_dict)
    if not names:
        return {}
    g = nx.DiGraph()
    g.add_nodes_from(names)
    g.add_edges_from((e["src"], e["dst"]) for e in _edge_list(space_dict)
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
    names = _node_names(space_dict)
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
    names = _node_names(space_dict)
    edges = _edge_list(space_dict)
    labels = [_edge_label(e) for e in edges]
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
    names = _node_names(space_dict)
    if not names:
        return []
    inp = space_dict.get("input") if space_dict.get("input") in names else names[0]
    out = space_dict.get("output") if space_dict.get("output") in names else names[-1]
    g = nx.DiGraph()
    g.add_nodes_from(names)
    g.add_edges_from((e["src"], e["dst"]) for e in _edge_list(space_dict)
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
    names = _node_names(space_dict)
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


def _no_errors() -> dict[str, Any]:
    return {"message": "", "hint": "", "nodes": [], "edges": []}


class GraphEditor(anywidget.AnyWidget):
    """Draw and edit a search space in the notebook.

    Traits (synced as JSON): ``space_json`` (the space's ``to_dict()``, possibly
    invalid while being edited), ``positions`` (``{node: [x, y]}``), ``errors``
    (``{"message", "hint", "nodes", "edges"}``), ``warnings`` (notes on a valid space,
    shown in red: a hyperparameter that nothing reads, with the reserved labels the
    trainer reads), ``space_valid``, ``size`` (the last
    valid space's number of architectures), ``op_groups``, ``selected``
    (``{"kind": "node"|"edge"|None, "id": ...}``), ``can_undo``, ``can_redo``, ``mode``.

    Example:
        >>> from nasbench_ui import spaces
        >>> ed = GraphEditor(spaces.mlp())
        >>> ed.space.name, ed.size
        ('mlp', 20736)
        >>> ed.load_json("{not json"), ed.errors["message"].startswith("Import failed")
        (False, True)
    """

    _esm = _read("graph_editor.js")
    _css = _read("graph_editor.css")

    space_json = traitlets.Dict().tag(sync=True)
    positions = traitlets.Dict().tag(sync=True)
    errors = traitlets.Dict(_no_errors()).tag(sync=True)
    warnings = traitlets.List(traitlets.Unicode()).tag(sync=True)
    space_valid = traitlets.Bool(True).tag(sync=True)
    size = traitlets.Int(0).tag(sync=True)
    op_groups = traitlets.Dict().tag(sync=True)
    selected = traitlets.Dict({"kind": None, "id": None}).tag(sync=True)
    can_undo = traitlets.Bool(False).tag(sync=True)
    can_redo = traitlets.Bool(False).tag(sync=True)
    mode = traitlets.Unicode("edit").tag(sync=True)

    def __init__(self, space: SearchSpace | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._history: list[tuple[dict[str, Any], dict[str, list[float]]]] = []
        self._pos = -1
        self._valid_space: SearchSpace | None = None
        self._callbacks: list[SpaceCallback] = []
        self._busy = False
        self.op_groups = ops.groups()
        self.observe(self._on_space_json, names="space_json")
        self.on_msg(self._on_msg)
        self.space = blank() if space is None else space

    # ---------------------------------------------------------------- public API
    @property
    def space(self) -> SearchSpace:
        """The current space; ValueError with the model's message while it is invalid."""
        if not self.space_valid or self._valid_space is None:
            raise ValueError(f"the edited search space is invalid: {self.errors.get('message')}")
        return self._valid_space

    @space.setter
    def space(self, space: SearchSpace) -> None:
        if not isinstance(space, SearchSpace):
            raise ValueError(f"GraphEditor.space takes a SearchSpace, got {type(space).__name__}")
        d = space.to_dict()
        self._accept(d, compute_layout(d), record=True)

    @property
    def valid(self) -> bool:
        """Whether the dict on screen is a valid search space."""
        return bool(self.space_valid)

    def undo(self) -> bool:
        """Go back one edit; False when there is nothing to undo."""
        if self._pos <= 0:
            return False
        self._pos -= 1
        self._restore()
        return True

    def redo(self) -> bool:
        """Re-apply an undone edit; False when there is nothing to redo."""
        if self._pos >= len(self._history) - 1:
            return False
        self._pos += 1
        self._restore()
        return True

    def relayout(self) -> None:
        """Recompute every node position (columns by longest path)."""
        self.positions = compute_layout(self.space_json)

    def to_json(self) -> str:
        """The dict on screen (valid or not) plus ``"layout"`` (the positions) as JSON."""
        return json.dumps({**self.space_json, "layout": self.positions}, indent=2)

    def load_json(self, text: str | bytes) -> bool:
        """Load a space exported by :meth:`to_json` or ``SearchSpace.to_json``.

        Never raises: on bad input, ``errors`` says why, the current space stays and
        False is returned.
        """
        try:
            space = SearchSpace.from_json(text)
            raw = json.loads(text)
        except Exception as e:  # noqa: BLE001 - shown to the user, never raised
            self.errors = {**_no_errors(), "message": f"Import failed: {e}",
                           "hint": "paste the JSON of a search space (Export JSON gives one)"}
            return False
        d = space.to_dict()
        self._accept(d, merge_positions(d, raw.get("layout")), record=True)
        return True

    def observe_space(self, callback: SpaceCallback) -> None:
        """Call ``callback(space)`` after each edit that leaves a valid space."""
        if not callable(callback):
            raise ValueError(f"observe_space takes a callable, got {callback!r}")
        self._callbacks.append(callback)

    def unobserve_space(self, callback: SpaceCallback) -> None:
        """Stop calling ``callback``; ValueError if it was not registered."""
        if callback not in self._callbacks:
            raise ValueError(f"{callback!r} is not observing this editor")
        self._callbacks.remove(callback)

    # ---------------------------------------------------------------- internals
    def _on_msg(self, _widget: Any, content: Any, _buffers: Any = None) -> None:
        """Custom messages from the browser: undo, redo, import, relayout."""
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "undo":
            self.undo()
        elif kind == "redo":
            self.redo()
        elif kind == "import":
            self.load_json(content.get("text") if isinstance(content.get("text"), str) else "")
        elif kind == "relayout":
            self.relayout()

    def _on_space_json(self, change: dict[str, Any]) -> None:
        if self._busy:
            return
        new = change["new"]
        self._accept(new, merge_positions(new, self.positions), record=True)

    def _accept(self, d: dict[str, Any], positions: dict[str, list[float]], record: bool) -> None:
        """Validate ``d``, show it (normalised when valid) and record it in the history."""
        try:
            space: SearchSpace | None = SearchSpace.from_dict(d)
            errors = _no_errors()
        except Exception as e:  # noqa: BLE001 - any bad dict becomes a message, no traceback
            space = None
            message = str(e) if isinstance(e, ValueError) else f"invalid search space: {e!r}"
            errors = explain(message, d)
        shown = space.to_dict() if space is not None else copy.deepcopy(d)
        self._busy = True
        try:
            with self.hold_sync():
                self.space_json = shown
                self.positions = positions
                self.errors = errors
                note = space.unused_hparams_note(RESERVED) if space is not None else None
                self.warnings = [note] if note else []
                self.space_valid = space is not None
                if space is not None:
                    self._valid_space = space
                    self.size = space.size()
                if record:
                    self._record(shown, positions)
        finally:
            self._busy = False
        if space is not None:
            for cb in list(self._callbacks):
                cb(space)

    def _record(self, d: dict[str, Any], positions: dict[str, list[float]]) -> None:
        del self._history[self._pos + 1:]
        self._history.append((copy.deepcopy(d), dict(positions)))
        if len(self._history) > MAX_HISTORY:
            del self._history[0]
        self._pos = len(self._history) - 1
        self._sync_history()

    def _sync_history(self) -> None:
        self.can_undo = self._pos > 0
        self.can_redo = self._pos < len(self._history) - 1

    def _restore(self) -> None:
        d, saved = self._history[self._pos]
        d = copy.deepcopy(d)
        self._accept(d, merge_positions(d, self.positions, saved), record=False)
        self._sync_history()


__all__ = ["GraphEditor", "compute_layout", "culprits", "dead_ends", "explain",
           "merge_positions", "split_hint"]

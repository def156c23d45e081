"""A read-only drawing of one architecture over its search space (anywidget).

Each kept edge is drawn solid and labelled with its chosen operation. Edges the
architecture drops (op ``none``, or a predecessor that an input choice did not keep)
are drawn faint and dashed without a label, so the cell's shape stays readable.
Input choices are listed under the graph in words (``node n3 takes nodes n1 and n2``),
hyperparameters as ``label = value``.
Python computes which edges are kept (``edges_shown``), so the JavaScript stays dumb.

With no architecture (before a search has a trial) the whole space is drawn: each
edge is labelled as the graph editor labels it (``ops_label``: the candidates when they
are short, else ``5 ops``), since a full list of candidates on every edge ran hundreds
of pixels wide and covered the other edges and the nodes; the full lists are notes
under the graph (``5 ops = none | skip_connect | ...``), and the title says what is
drawn.

The columns are set apart so that the widest text an edge of the space can carry fits
between two nodes (``spread_columns``): the editor's layout leaves 36 px there, and
``graph_editor.js`` draws a straight edge's text at its middle, so ``nor_conv_3x3`` on
``0 → 1`` covered half of node ``1``.

Example:
    >>> from nasbench_ui import spaces
    >>> s = spaces.nb201()
    >>> arch = spaces.nb201_arch("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|nor_conv_1x1~1|avg_pool_3x3~2|")
    >>> v = ArchView(s, arch, title="trial 7")
    >>> [(e["label"], e["op"]) for e in v.edges_shown][:2]
    [('1<-0', 'nor_conv_3x3'), ('2<-1', 'skip_connect')]
    >>> len(v.edges_shown)
    4
"""

from __future__ import annotations

from typing import Any

import anywidget
import traitlets

from ..space.build import active_edges
from ..space.decisions import Edge, InputChoice
from ..space.spec import SearchSpace
from ..viz.labels import inputs_text
from .graph_editor import HERE
from .graph_layout import COLUMN_DX, compute_layout

#: the most characters of an edge's label before its candidates read ``N ops``
#: (``opsLabel`` in graph_editor.js, which the editor uses)
LABEL_CHARS = 22
#: mirrors of graph_editor.js: a node box's width, and a label character's width (its
#: ``CHAR_W``, ``LABEL_PX * 0.58``) as the page places labels
NODE_W = 124.0
CHAR_W = 13 * 0.58
#: the room left on each side of an edge's text between two nodes
LABEL_MARGIN = 8.0
#: the view's title when it draws the whole space (no architecture) and none was given
SPACE_TITLE = "the search space (no trial shown): each edge with its candidate operations"


def _fmt(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def ops_label(ops: tuple[str, ...] | list[str]) -> str:
    """The text on an edge of candidates ``ops``: them all when that fits
    ``LABEL_CHARS``, else their count (one long name is cut with an ellipsis).

    Example:
        >>> ops_label(("relu", "tanh")), ops_label(("none", "skip_connect", "nor_conv_1x1"))
        ('relu | tanh', '3 ops')
    """
    uniq = list(dict.fromkeys(ops))
    text = " | ".join(uniq)
    if len(text) <= LABEL_CHARS:
        return text
    return f"{len(uniq)} ops" if len(uniq) > 1 else text[:LABEL_CHARS - 1] + "\u2026"


def candidate_notes(edges: tuple[Edge, ...] | list[Edge]) -> list[str]:
    """The full candidate lists that ``ops_label`` shortened, one note per distinct list:
    ``"5 ops = a | b | ..."``, or the edges named (``"0 → 1, 0 → 2: a | b | ..."``) where
    two lists would read the same count.

    Example:
        >>> ops = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3")
        >>> candidate_notes([Edge("0", "1", ops), Edge("1", "2", ops), Edge("0", "2", ("relu",))])
        ['4 ops = none | skip_connect | nor_conv_1x1 | nor_conv_3x3']
    """
    groups: dict[tuple[str, ...], list[Edge]] = {}
    for e in edges:
        uniq = tuple(dict.fromkeys(e.ops))
        if ops_label(uniq) != " | ".join(uniq):
            groups.setdefault(uniq, []).append(e)
    counts: dict[str, int] = {}
    for ops in groups:
        counts[ops_label(ops)] = counts.get(ops_label(ops), 0) + 1
    notes = []
    for ops, group in groups.items():
        label = ops_label(ops)
        head = (label + " =" if counts[label] == 1
                else ", ".join(f"{e.src} \u2192 {e.dst}" for e in group) + ":")
        notes.append(f"{head} {' | '.join(ops)}")
    return notes


def widest_label(space: SearchSpace) -> int:
    """The characters of the longest text any edge of ``space`` carries in the view: a
    chosen operation, or the edge's ``ops_label`` when no architecture is drawn.

    Example:
        >>> from nasbench_ui import spaces
        >>> widest_label(spaces.nb201())
        12
    """
    return max((len(t) for e in space.edges for t in (*e.ops, ops_label(e.ops))), default=0)


def spread_columns(positions: dict[str, list[float]], label_chars: int) -> dict[str, list[float]]:
    """``positions`` (``compute_layout``'s, columns ``COLUMN_DX`` apart) with the x
    distances stretched so that ``label_chars`` characters and a margin on each side fit
    between two node boxes side by side; never narrowed.

    Example:
        >>> spread_columns({"a": [60.0, 60.0], "b": [220.0, 60.0]}, 12)
        {'a': [60.0, 60.0], 'b': [290.48, 60.0]}
    """
    need = NODE_W + label_chars * CHAR_W + 2 * LABEL_MARGIN
    k = max(1.0, need / COLUMN_DX)
    if not positions or k == 1.0:
        return {n: list(xy) for n, xy in positions.items()}
    x0 = min(xy[0] for xy in positions.values())
    return {n: [round(x0 + (x - x0) * k, 2), y] for n, (x, y) in positions.items()}


class ArchView(anywidget.AnyWidget):
    """Show ``arch`` (a dict) over ``space``; ``show(arch, title)`` switches to another.

    With ``arch=None`` every edge is drawn, labelled by ``ops_label`` (its candidates,
    or their count), with the full lists in ``notes`` and ``SPACE_TITLE`` as the title
    unless one is given.

    Traits: ``space_json``, ``positions`` (``{node: [x, y]}``), ``arch``, ``title``,
    ``edges_shown`` (``[{"src", "dst", "op", "label"}]``, ``op`` the text on the edge),
    ``notes`` (shown under the graph: each input choice in words, ``labels.inputs_text``,
    then each hyperparameter as ``"label = value"``), ``mode`` (``"view"``).

    Example:
        >>> from nasbench_ui import spaces
        >>> v = ArchView(spaces.keras_cnn())
        >>> v.show({"filters": 64, "kernel_size": 3, "units": 32, "dropout": 0.2,
        ...         "learning_rate": 0.001}, title="best")
        >>> v.notes[:2], v.title
        (['filters = 64', 'kernel_size = 3'], 'best')
    """

    _esm = (HERE / "graph_editor.js").read_text(encoding="utf-8")
    _css = (HERE / "graph_editor.css").read_text(encoding="utf-8")

    space_json = traitlets.Dict().tag(sync=True)
    positions = traitlets.Dict().tag(sync=True)
    arch = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    edges_shown = traitlets.List().tag(sync=True)
    notes = traitlets.List().tag(sync=True)
    mode = traitlets.Unicode("view").tag(sync=True)

    def __init__(self, space: SearchSpace, arch: dict[str, Any] | None = None,
                 title: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._space: SearchSpace | None = None
        self.space = space
        self.show(arch, title)

    @property
    def space(self) -> SearchSpace:
        assert self._space is not None
        return self._space

    @space.setter
    def space(self, space: SearchSpace) -> None:
        if not isinstance(space, SearchSpace):
            raise ValueError(f"ArchView needs a SearchSpace, got {type(space).__name__}")
        self._space = space
        d = space.to_dict()
        with self.hold_sync():
            self.space_json = d
            self.positions = spread_columns(compute_layout(d), widest_label(space))
            self._set_arch(None, "")

    def set_space(self, space: SearchSpace) -> None:
        """Switch to another space (redraws it with no architecture)."""
        self.space = space

    def show(self, arch: dict[str, Any] | None, title: str = "") -> None:
        """Draw ``arch`` (None: the whole space); ValueError names a bad decision."""
        if arch is not None:
            arch = self.space.canonical(arch)
        with self.hold_sync():
            self._set_arch(arch, title)

    def _set_arch(self, arch: dict[str, Any] | None, title: str) -> None:
        space = self.space
        if arch is None:
            shown = [{"src": e.src, "dst": e.dst, "op": ops_label(e.ops), "label": e.label}
                     for e in space.edges]
            notes = candidate_notes(space.edges)
            title = title or SPACE_TITLE
        else:
            shown = [{"src": e.src, "dst": e.dst, "op": op, "label": e.label}
                     for e, op in active_edges(space, arch)]
            # which nodes a node takes, in words (its stored label, ``n3.inputs``, read
            # like code)
            notes = [inputs_text(d.node, arch[d.label], space.input) for d in space.decisions
                     if isinstance(d, InputChoice)]
            notes += [f"{h.label} = {_fmt(arch[h.label])}" for h in space.hparams]
        self.arch = arch
        self.title = str(title)
        self.edges_shown = shown
        self.notes = notes


__all__ = ["CHAR_W", "LABEL_CHARS", "LABEL_MARGIN", "NODE_W", "SPACE_TITLE", "ArchView",
           "candidate_notes", "ops_label", "spread_columns", "widest_label"]

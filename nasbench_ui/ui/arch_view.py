"""A read-only drawing of one architecture over its search space (anywidget).

Each kept edge is drawn solid and labelled with its chosen operation. Edges the
architecture drops (op ``none``, or a predecessor that an input choice did not keep)
are drawn faint and dashed without a label, so the cell's shape stays readable.
Hyperparameters and input choices are listed beside the graph as ``label = value``.
Python computes which edges are kept (``edges_shown``), so the JavaScript stays dumb.

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
from ..space.decisions import InputChoice
from ..space.spec import SearchSpace
from .graph_editor import HERE
from .graph_layout import compute_layout


def _fmt(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class ArchView(anywidget.AnyWidget):
    """Show ``arch`` (a dict) over ``space``; ``show(arch, title)`` switches to another.

    With ``arch=None`` every edge is drawn with its candidate operations.

    Traits: ``space_json``, ``positions`` (``{node: [x, y]}``), ``arch``, ``title``,
    ``edges_shown`` (``[{"src", "dst", "op", "label"}]``), ``notes``
    (``["label = value"]``), ``mode`` (``"view"``).

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
            self.positions = compute_layout(d)
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
            shown = [{"src": e.src, "dst": e.dst, "op": " | ".join(e.ops), "label": e.label}
                     for e in space.edges]
            notes: list[str] = []
        else:
            shown = [{"src": e.src, "dst": e.dst, "op": op, "label": e.label}
                     for e, op in active_edges(space, arch)]
            notes = [f"{d.label} = {_fmt(arch[d.label])}" for d in space.decisions
                     if isinstance(d, InputChoice)]
            notes += [f"{h.label} = {_fmt(arch[h.label])}" for h in space.hparams]
        self.arch = arch
        self.title = str(title)
        self.edges_shown = shown
        self.notes = notes


__all__ = ["ArchView"]

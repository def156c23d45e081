"""Build a ``torch.nn.Module`` from (space, architecture, input shape, classes).

Shapes are inferred through the graph in topological order. Each active edge applies
its operation to its source node's tensor; a node merges its incoming tensors:

* ``sum``: the first incoming tensor fixes the node's shape; any other input of a
  different shape is projected to it (adaptive average pooling for the spatial size and
  a 1x1 convolution for channels between images; a linear map otherwise).
* ``concat``: images are pooled to the first input's spatial size and concatenated on
  channels; vectors and sequences on their last dimension (a sequence of another length
  is first projected to the first input's shape).

An edge whose operation is ``none`` is dropped, as is an edge from a predecessor that an
input choice did not keep. A node whose every incoming edge is dropped holds zeros of
the shape its first edge would have given; if that reaches the output, the classifier
sees zeros and predicts from its bias alone: the network is valid (it is one of
NAS-Bench-201's cells) but cannot learn.

The head: images are flattened (``head="flatten"``) or globally average-pooled
(``head="gap"``); a sequence gives its last step; then one linear layer to the classes.

Example:
    >>> import random, torch
    >>> from nasbench_ui import spaces
    >>> s = spaces.keras_cnn()
    >>> m = s.build(s.sample(random.Random(0)), input_shape=(1, 8, 8), num_classes=10)
    >>> m(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 10])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

import torch
from torch import nn

from . import ops
from .decisions import InputChoice


class SearchSpace(Protocol):
    """What the builder reads of a :class:`~nasbench_ui.space.spec.SearchSpace` (spec
    imports this module, not the other way round)."""

    name: str
    nodes: Any
    edges: Any
    stem: int | None
    head: str

    @property
    def decisions(self) -> tuple[Any, ...]: ...
    def canonical(self, arch: Any) -> dict[str, Any]: ...
    def topological_nodes(self) -> list[str]: ...

Shape = tuple[int, ...]


class _Reshape(nn.Module):
    def __init__(self, shape: Shape) -> None:
        super().__init__()
        self.shape = shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.shape)


class _LastStep(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, T, F) -> (B, F)
        return x[:, -1]


def projection(src: Shape, dst: Shape) -> nn.Module | None:
    """A module mapping tensors of shape ``src`` to ``dst`` (None when they match)."""
    if src == dst:
        return None
    if len(src) == 3 and len(dst) == 3:
        layers: list[nn.Module] = []
        if src[1:] != dst[1:]:
            layers.append(nn.AdaptiveAvgPool2d(dst[1:]))
        if src[0] != dst[0]:
            layers.append(nn.Conv2d(src[0], dst[0], 1, bias=False))
        return nn.Sequential(*layers)
    return nn.Sequential(nn.Flatten(), nn.Linear(math.prod(src), math.prod(dst)), _Reshape(dst))


def _concat_shape(shapes: list[Shape]) -> tuple[Shape, list[Shape]]:
    """The merged shape and the shape each input is projected to before concatenation."""
    first = shapes[0]
    if len(first) == 3:
        targets = [(s[0], *first[1:]) if len(s) == 3 else first for s in shapes]
        return (sum(t[0] for t in targets), *first[1:]), targets
    if len(first) == 2:
        targets = [(first[0], s[1]) if len(s) == 2 and s[0] == first[0] else first for s in shapes]
        return (first[0], sum(t[1] for t in targets)), targets
    targets = [(math.prod(s),) for s in shapes]
    return (sum(t[0] for t in targets),), targets


class ArchNet(nn.Module):
    """The network of one architecture. ``plan`` lists, per node, its active inputs."""

    def __init__(
        self,
        stem: nn.Module | None,
        order: list[str],
        plan: dict[str, list[tuple[str, str]]],
        merges: dict[str, str],
        shapes: dict[str, Shape],
        edge_ops: dict[str, nn.Module],
        projections: dict[str, nn.Module],
        head: nn.Module,
    ) -> None:
        super().__init__()
        self.stem = stem if stem is not None else nn.Identity()
        self.order = order
        self.plan = plan
        self.merges = merges
        self.shapes = shapes
        self.edge_ops = nn.ModuleDict(edge_ops)
        self.projections = nn.ModuleDict(projections)
        self.head = head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        values = {self.order[0]: self.stem(x)}
        for name in self.order[1:]:
            parts = []
            for key, src in self.plan[name]:
                y = self.edge_ops[key](values[src])
                if key in self.projections:
                    y = self.projections[key](y)
                parts.append(y)
            if not parts:
                values[name] = x.new_zeros((x.shape[0], *self.shapes[name]))
            elif len(parts) == 1:
                values[name] = parts[0]
            elif self.merges[name] == "concat":
                dim = 1 if len(self.shapes[name]) in (1, 3) else 2
                values[name] = torch.cat(parts, dim)
            else:
                values[name] = torch.stack(parts).sum(0)
        return self.head(values[self.order[-1]])


def edge_kwargs(space: SearchSpace, edge: Any, arch: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of an edge's operation: literals plus bound decisions."""
    kw = dict(edge.params)
    kw.update({k: arch[label] for k, label in edge.bind})
    return kw


def active_edges(space: SearchSpace, arch: dict[str, Any]) -> list[tuple[Any, str]]:
    """``(edge, op)`` for every edge kept by ``arch`` whose op is not ``none``."""
    dropped: set[tuple[str, str]] = set()
    for d in space.decisions:
        if isinstance(d, InputChoice):
            dropped |= {(c, d.node) for c in d.candidates if c not in arch[d.label]}
    out = []
    for e in space.edges:
        if (e.src, e.dst) in dropped:
            continue
        op = arch[e.label] if e.is_decision else e.ops[0]
        if op != "none":
            out.append((e, op))
    return out


def check_shapes(input_shape: Sequence[int], num_classes: int) -> Shape:
    """``input_shape`` as a tuple of ints; ValueError for a bad shape or class count."""
    in_shape: Shape = tuple(int(v) for v in input_shape)
    if not 1 <= len(in_shape) <= 3 or any(v < 1 for v in in_shape):
        raise ValueError(f"input_shape must be (F,), (T, F) or (C, H, W) of positive ints, got {input_shape}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
    return in_shape


def build(
    space: SearchSpace, arch: dict[str, Any], input_shape: Sequence[int], num_classes: int
) -> ArchNet:
    """Build the network of ``arch``; ValueError names an edge whose op rejects its input."""
    arch = space.canonical(arch)
    in_shape = check_shapes(input_shape, num_classes)
    stem = None
    if space.stem is not None:
        if len(in_shape) != 3:
            raise ValueError(f"space {space.name!r} has a conv stem, which needs an image input (C, H, W); got {in_shape}")
        stem = nn.Sequential(nn.Conv2d(in_shape[0], space.stem, 3, padding=1, bias=False),
                             nn.BatchNorm2d(space.stem))
        in_shape = (space.stem, *in_shape[1:])
    cell = build_cell(space, arch, in_shape)
    head = classifier_head(space, cell.shapes[cell.order[-1]], num_classes)
    return ArchNet(stem, cell.order, cell.plan, cell.merges, cell.shapes, dict(cell.edge_ops),
                   dict(cell.projections), head)


def classifier_head(space: SearchSpace, final: Shape, num_classes: int) -> nn.Module:
    """The head on the cell's output of shape ``final``: pooled or flattened images
    (``space.head``), a sequence's last step, or a vector; then one linear layer.

    Example:
        >>> from nasbench_ui import spaces
        >>> classifier_head(spaces.nb201(), (16, 4, 4), 10)[1]
        Linear(in_features=16, out_features=10, bias=True)
    """
    if len(final) == 3:
        pre: nn.Module = (nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
                          if space.head == "gap" else nn.Flatten())
        feat = final[0] if space.head == "gap" else math.prod(final)
    elif len(final) == 2:
        pre, feat = _LastStep(), final[1]
    else:
        pre, feat = nn.Identity(), final[0]
    return nn.Sequential(pre, nn.Linear(feat, num_classes))


def build_cell(space: SearchSpace, arch: dict[str, Any], in_shape: Shape) -> ArchNet:
    """The cell of ``arch`` alone, for an input of shape ``in_shape``: no stem and no head
    (both are identities), so cells can be stacked; its output shape is
    ``cell.shapes[cell.order[-1]]``.

    Example:
        >>> import torch
        >>> from nasbench_ui import spaces
        >>> s = spaces.nb201()
        >>> cell = build_cell(s, s.sample(__import__("random").Random(0)), (16, 8, 8))
        >>> cell(torch.zeros(2, 16, 8, 8)).shape
        torch.Size([2, 16, 8, 8])
    """
    arch = space.canonical(arch)
    order = space.topological_nodes()
    active = active_edges(space, arch)
    by_dst: dict[str, list[tuple[Any, str]]] = {}
    for e, op in active:
        by_dst.setdefault(e.dst, []).append((e, op))
    first_edge = {}
    for e in space.edges:
        first_edge.setdefault(e.dst, e)
    shapes: dict[str, Shape] = {order[0]: in_shape}
    plan: dict[str, list[tuple[str, str]]] = {}
    edge_ops: dict[str, nn.Module] = {}
    projs: dict[str, nn.Module] = {}
    merges = {n.name: n.merge for n in space.nodes}
    for name in order[1:]:
        outs: list[tuple[str, str, Shape]] = []
        for e, op in by_dst.get(name, []):
            key = f"e{space.edges.index(e)}"
            try:
                module, out = ops.build_op(
                    op, shapes[e.src], **ops.filter_kwargs(op, edge_kwargs(space, e, arch)))
            except ValueError as err:
                raise ValueError(f"edge {e.label!r} ({e.src} -> {e.dst}), op {op!r}: {err}") from None
            edge_ops[key] = module
            outs.append((key, e.src, tuple(out)))
        if not outs:
            shapes[name] = shapes[first_edge[name].src]
            plan[name] = []
            continue
        if merges[name] == "concat" and len(outs) > 1:
            shapes[name], targets = _concat_shape([o[2] for o in outs])
        else:
            shapes[name] = outs[0][2]
            targets = [outs[0][2]] * len(outs)
        for (key, _src, out), target in zip(outs, targets, strict=True):
            p = projection(out, target)
            if p is not None:
                projs[key] = p
        plan[name] = [(k, s) for k, s, _ in outs]
    return ArchNet(None, order, plan, merges, shapes, edge_ops, projs, nn.Identity())

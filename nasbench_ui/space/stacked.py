"""A searched cell stacked into a full network: NAS-Bench-201's macro skeleton.

Dong & Yang, "NAS-Bench-201: Extending the Scope of Reproducible Neural Architecture
Search", ICLR 2020, section 2.1: a 3x3 conv-BN stem, then ``stages`` stages of
``cells`` copies of the cell, with a residual reduction block between two stages that
halves the resolution and doubles the channels (16, 32, 64 at the published size),
then BN-ReLU, global average pooling and a linear classifier. The reduction block is a
ResNet basic block: ReLU-conv3x3(stride 2)-BN, ReLU-conv3x3-BN, and a shortcut of 2x2
average pooling and a 1x1 conv.

Each copy of the cell has its own weights; the cell is built by
:func:`nasbench_ui.space.build.build_cell`, so any space whose cell takes an image works
(a cell that changes the channel count hands its own count to the next block). The
space's own ``stem`` and ``head`` are not used: the stack has its own.

A space with the graph of the ``darts`` preset (:mod:`.darts_space`) is stacked into
the DARTS network instead (:mod:`.darts_net`): ``Stack(cells, stages, channels)`` gives
``cells`` normal cells per stage, a reduction cell between stages and ``channels`` as
the paper's ``C`` (``Stack(cells=6, channels=36)`` is its 20-cell CIFAR-10 network).

At ``Stack(cells=5, channels=16)`` with 10 classes, the all-``nor_conv_3x3`` cell has
1,531,546 parameters, NAS-Bench-201's largest network (1.53 M).

Example:
    >>> import torch
    >>> from nasbench_ui import spaces
    >>> s = spaces.nb201()
    >>> arch = {label: "nor_conv_3x3" for label in s.labels}
    >>> net = build_stacked(s, arch, (3, 32, 32), 10, Stack(cells=5, channels=16))
    >>> sum(p.numel() for p in net.parameters())
    1531546
    >>> net(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 10])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .build import SearchSpace, build_cell, check_shapes
from .darts_genotype import is_darts
from .darts_net import DartsNet, build_darts

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Stack:
    """How to stack a cell: ``cells`` per stage, ``stages`` stages, ``channels`` in the first.

    NAS-Bench-201 trains ``Stack(cells=5, stages=3, channels=16)``; a search on digits can
    use ``Stack(cells=1)``.

    Example:
        >>> Stack(cells=5).channels_per_stage()
        (16, 32, 64)
        >>> Stack(cells=0)
        Traceback (most recent call last):
        ...
        ValueError: Stack: cells must be an int >= 1, got 0
    """

    cells: int = 5
    stages: int = 3
    channels: int = 16

    def __post_init__(self) -> None:
        for name in ("cells", "stages", "channels"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"Stack: {name} must be an int >= 1, got {v!r}")

    def channels_per_stage(self) -> tuple[int, ...]:
        return tuple(self.channels * 2 ** i for i in range(self.stages))

    @classmethod
    def from_dict(cls, d: dict[str, Any] | Stack) -> Stack:
        """A stack from ``{"cells": 5, "stages": 3, "channels": 16}`` (keys optional)."""
        if isinstance(d, Stack):
            return d
        if not isinstance(d, dict):
            raise ValueError(f"stack must be a Stack or a dict, got {type(d).__name__}")
        unknown = sorted(set(d) - {"cells", "stages", "channels"})
        if unknown:
            raise ValueError(f"stack: unknown key(s) {unknown}; valid keys are "
                             "['cells', 'channels', 'stages']")
        return cls(**d)


def _relu_conv_bn(c_in: int, c_out: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.ReLU(), nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False),
                         nn.BatchNorm2d(c_out))


class ResidualReduction(nn.Module):
    """NAS-Bench-201's reduction block: a ResNet basic block with stride 2.

    Example:
        >>> ResidualReduction(16, 32)(torch.zeros(1, 16, 8, 8)).shape
        torch.Size([1, 32, 4, 4])
    """

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = _relu_conv_bn(c_in, c_out, 2)
        self.conv_b = _relu_conv_bn(c_out, c_out, 1)
        # ceil_mode keeps odd sizes in step with the stride-2 conv (no effect on even ones)
        self.shortcut = nn.Sequential(nn.AvgPool2d(2, 2, ceil_mode=True, count_include_pad=False),
                                      nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shortcut(x) + self.conv_b(self.conv_a(x))


class StackedNet(nn.Module):
    """Stem, the stages of cells and reductions (``body``), and the classifier."""

    def __init__(self, stem: nn.Module, body: nn.Sequential, head: nn.Module) -> None:
        super().__init__()
        self.stem = stem
        self.body = body
        self.head = head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(self.stem(x)))


def build_stacked(space: SearchSpace, arch: dict[str, Any], input_shape: Sequence[int],
                  num_classes: int, stack: Stack | dict[str, Any] | None = None
                  ) -> StackedNet | DartsNet:
    """The network of ``arch``'s cell stacked by ``stack`` (default: NAS-Bench-201's size;
    the DARTS network for the ``darts`` space).

    ValueError for an input that is not an image ``(C, H, W)``, or one too small for the
    stages (each reduction halves the height and width).
    """
    stack = Stack() if stack is None else Stack.from_dict(stack)
    in_shape = check_shapes(input_shape, num_classes)
    if is_darts(space):
        return build_darts(space, arch, in_shape, num_classes, stack.cells, stack.stages,
                           stack.channels)
    if len(in_shape) != 3:
        raise ValueError(f"a stacked network needs an image input (C, H, W); got {in_shape}")
    c = stack.channels
    stem = nn.Sequential(nn.Conv2d(in_shape[0], c, 3, padding=1, bias=False), nn.BatchNorm2d(c))
    shape: Shape = (c, *in_shape[1:])
    blocks: list[nn.Module] = []
    for stage, width in enumerate(stack.channels_per_stage()):
        if stage:
            if min(shape[1:]) < 2:
                raise ValueError(f"input {in_shape} is too small for {stack.stages} stages: "
                                 f"stage {stage + 1} would start below 1x1")
            blocks.append(ResidualReduction(shape[0], width))
            shape = (width, (shape[1] + 1) // 2, (shape[2] + 1) // 2)
        for _ in range(stack.cells):
            cell = build_cell(space, arch, shape)
            blocks.append(cell)
            shape = cell.shapes[cell.order[-1]]
            if len(shape) != 3:
                raise ValueError(f"space {space.name!r}: a stacked cell must give an image, "
                                 f"its output has shape {shape}")
    head = nn.Sequential(nn.BatchNorm2d(shape[0]), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(shape[0], num_classes))
    return StackedNet(stem, nn.Sequential(*blocks), head)

"""The DARTS network: a stem, normal and reduction cells, a global-pool linear head.

Liu, Simonyan & Yang, "DARTS: Differentiable Architecture Search", ICLR 2019, section 3
and appendix A. The macro network the paper trains on CIFAR-10:

* a stem: 3x3 conv to ``3 * C`` channels and batch norm;
* ``stages`` stages of ``cells`` normal cells, with one reduction cell between two stages
  (so the reductions sit at 1/3 and 2/3 of the depth: ``cells=2`` gives the 8-cell search
  network, ``cells=6`` the 20-cell evaluation network); a reduction cell doubles the
  channels and applies its operations on the cell inputs with stride 2;
* each cell reads the outputs of the two previous cells: ``c0`` (k-2) through
  ReLU-1x1 conv-BN, or FactorizedReduce when the previous cell reduced (the spatial
  sizes differ), and ``c1`` (k-1) through ReLU-1x1 conv-BN; each intermediate node sums
  its two operations; the cell's output concatenates the four intermediate nodes
  (``4 * C`` channels);
* global average pooling and one linear layer.

The operations (all keep the channel count): ``sep_conv_kxk`` is ReLU, depthwise kxk
conv, 1x1 conv, BN, twice (the first with the stride); ``dil_conv_kxk`` is ReLU,
depthwise kxk conv with dilation 2, 1x1 conv, BN; pools are 3x3 with padding 1 (the
average one does not count the padding); ``skip_connect`` is the identity, or
FactorizedReduce at stride 2; ``none`` gives zeros. Batch norms are affine. The paper's
auxiliary head and drop-path are training devices, not part of this network.

Example:
    >>> import torch
    >>> from .darts_space import darts, from_genotype
    >>> g = [("sep_conv_3x3", 0), ("skip_connect", 1)] * 4
    >>> net = build_darts(darts(), from_genotype(g, g), (1, 8, 8), 10, cells=1, stages=3,
    ...                   channels=4)
    >>> net(torch.zeros(2, 1, 8, 8)).shape, len(net.cells)
    (torch.Size([2, 10]), 5)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .darts_genotype import CELLS, genotype


class StridedZero(nn.Module):
    """The ``none`` operation: zeros of the input's shape, subsampled by ``stride``."""

    def __init__(self, stride: int) -> None:
        super().__init__()
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            return x.mul(0.0)
        return x[:, :, ::self.stride, ::self.stride].mul(0.0)


class FactorizedReduce(nn.Module):
    """Halve the height and width with two offset stride-2 1x1 convs (DARTS); an odd
    size is padded at the bottom-right first, so the two halves always agree.

    Example:
        >>> FactorizedReduce(4, 6)(torch.zeros(1, 4, 7, 8)).shape
        torch.Size([1, 6, 4, 4])
    """

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.relu = nn.ReLU()
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out - c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        pad_w, pad_h = x.shape[-1] % 2, x.shape[-2] % 2
        if pad_w or pad_h:
            x = F.pad(x, (0, int(pad_w), 0, int(pad_h)))
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1))


class DartsCell(nn.Module):
    """One cell: preprocess both inputs, then node ``i`` sums ``edges[2i](states[src])``
    and ``edges[2i+1](...)`` (``sources`` gives each edge's state index), and the output
    concatenates the intermediate nodes."""

    def __init__(self, pre0: nn.Module, pre1: nn.Module, edges: nn.ModuleList,
                 sources: list[int]) -> None:
        super().__init__()
        self.pre0, self.pre1, self.edges = pre0, pre1, edges
        self.sources = list(sources)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.pre0(s0), self.pre1(s1)]
        for i in range(len(self.sources) // 2):
            a, b = 2 * i, 2 * i + 1
            states.append(self.edges[a](states[self.sources[a]])
                          + self.edges[b](states[self.sources[b]]))
        return torch.cat(states[2:], dim=1)


class DartsNet(nn.Module):
    """Stem, cells (each reads the two previous outputs) and the head."""

    def __init__(self, stem: nn.Module, cells: nn.ModuleList, head: nn.Module) -> None:
        super().__init__()
        self.stem, self.cells, self.head = stem, cells, head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.head(s1)


def relu_conv_bn(c_in: int, c_out: int) -> nn.Sequential:
    """DARTS's 1x1 ReLU-conv-BN that maps a cell input to the cell's channel count."""
    return nn.Sequential(nn.ReLU(), nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out))


def make_op(name: str, c: int, stride: int) -> nn.Module:
    """One DARTS operation on ``c`` channels (see the module docstring).

    Example:
        >>> sum(p.numel() for p in make_op("sep_conv_3x3", 4, 1).parameters())  # 2 * (36 + 16 + 8)
        120
    """
    if name == "none":
        return StridedZero(stride)
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(c, c)
    if name == "max_pool_3x3":
        return nn.MaxPool2d(3, stride, 1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride, 1, count_include_pad=False)
    kind, _, size = name.rpartition("_")
    k = int(size.split("x")[0]) if size[:1].isdigit() else 0
    if kind == "sep_conv" and k in (3, 5):
        layers: list[nn.Module] = []
        for s in (stride, 1):
            layers += [nn.ReLU(), nn.Conv2d(c, c, k, s, k // 2, groups=c, bias=False),
                       nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c)]
        return nn.Sequential(*layers)
    if kind == "dil_conv" and k in (3, 5):
        return nn.Sequential(nn.ReLU(), nn.Conv2d(c, c, k, stride, k - 1, dilation=2, groups=c,
                                                  bias=False),
                             nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c))
    raise ValueError(f"{name!r} is not an operation of the DARTS space")


def reduction_layers(cells: int, stages: int) -> list[bool]:
    """For each cell of the network, whether it reduces: ``cells`` normal cells per stage
    and a reduction cell between two stages.

    Example:
        >>> [i for i, r in enumerate(reduction_layers(2, 3)) if r]  # DARTS's 8 cells
        [2, 5]
        >>> [i for i, r in enumerate(reduction_layers(6, 3)) if r]  # and its 20
        [6, 13]
    """
    out: list[bool] = []
    for stage in range(stages):
        if stage:
            out.append(True)
        out += [False] * cells
    return out


def build_darts(space: Any, arch: dict[str, Any], input_shape: Sequence[int], num_classes: int,
                cells: int, stages: int, channels: int) -> DartsNet:
    """The DARTS network of ``arch`` (an arch of :func:`~.darts_space.darts`).

    ValueError for an input that is not an image ``(C, H, W)``.
    """
    shape = tuple(int(v) for v in input_shape)
    if len(shape) != 3:
        raise ValueError(f"the DARTS network needs an image input (C, H, W); got {shape}")
    geno = genotype(space, arch)
    c_stem = 3 * channels  # the paper's stem multiplier
    stem = nn.Sequential(nn.Conv2d(shape[0], c_stem, 3, padding=1, bias=False), nn.BatchNorm2d(c_stem))
    c_pp, c_p, c = c_stem, c_stem, channels
    size, reduce_prev = min(shape[1:]), False
    blocks: list[nn.Module] = []
    for reduction in reduction_layers(cells, stages):
        if reduction:
            if size < 2:
                raise ValueError(f"input {shape} is too small for {stages} stages: a reduction "
                                 "cell would start below 2x2")
            c, size = 2 * c, (size + 1) // 2
        pre0 = FactorizedReduce(c_pp, c) if reduce_prev else relu_conv_bn(c_pp, c)
        edges, sources = [], []
        for pair in geno[CELLS[1] if reduction else CELLS[0]]:
            for op, src in pair:
                edges.append(make_op(op, c, 2 if reduction and src < 2 else 1))
                sources.append(src)
        blocks.append(DartsCell(pre0, relu_conv_bn(c_p, c), nn.ModuleList(edges), sources))
        c_pp, c_p, reduce_prev = c_p, 4 * c, reduction
    head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_p, num_classes))
    return DartsNet(stem, nn.ModuleList(blocks), head)

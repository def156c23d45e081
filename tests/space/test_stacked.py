"""Stacked networks (issue 15, point 2): NAS-Bench-201's skeleton at its published size."""

from __future__ import annotations

import random

import pytest
import torch
from torch import nn

from nasbench_ui import spaces
from nasbench_ui.space.stacked import ResidualReduction, Stack, StackedNet, build_stacked

MIXED = ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
         "+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def nb201_reference_count(convs_per_cell: int, n: int = 5, c: int = 16, classes: int = 10) -> int:
    """NAS-Bench-201's layer definitions counted by hand: Conv-BN stem; per cell, each
    nor_conv_3x3 edge is ReLU-Conv(3x3, no bias)-BN(affine) and skip/pool/none have no
    weights; ResNet basic-block reductions (two ReLU-Conv-BN, avg-pool + 1x1 conv
    shortcut); BN-ReLU, global pool and a linear head."""
    total = 3 * c * 9 + 2 * c  # stem
    for w in (c, 2 * c, 4 * c):
        total += n * convs_per_cell * (9 * w * w + 2 * w)
    for a, b in ((c, 2 * c), (2 * c, 4 * c)):
        total += (9 * a * b + 2 * b) + (9 * b * b + 2 * b) + a * b
    return total + 2 * 4 * c + 4 * c * classes + classes


@pytest.mark.parametrize("cell, convs, millions", [
    (MIXED, 5, 1.29),
    ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
     "+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|", 6, 1.53),
])
def test_nb201_skeleton_has_the_published_parameter_counts(cell, convs, millions):
    s = spaces.nb201()
    net = s.build(spaces.nb201_arch(cell), (3, 32, 32), 10, stack={"cells": 5, "channels": 16})
    count = n_params(net)
    assert count == nb201_reference_count(convs)
    assert round(count / 1e6, 2) == millions
    assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


def test_the_skeleton_has_15_cells_2_reductions_and_its_channels():
    s = spaces.nb201()
    net = build_stacked(s, spaces.nb201_arch(MIXED), (3, 32, 32), 10)
    assert isinstance(net, StackedNet)
    reductions = [b for b in net.body if isinstance(b, ResidualReduction)]
    assert len(net.body) == 17 and len(reductions) == 2
    x = net.stem(torch.zeros(1, 3, 32, 32))
    shapes = []
    for block in net.body:
        x = block(x)
        shapes.append(tuple(x.shape[1:]))
    assert shapes[4] == (16, 32, 32) and shapes[10] == (32, 16, 16) and shapes[-1] == (64, 8, 8)


def test_every_cell_has_its_own_weights():
    s = spaces.nb201()
    net = build_stacked(s, spaces.nb201_arch(MIXED), (3, 8, 8), 10, Stack(cells=2, stages=1))
    a, b = net.body[0], net.body[1]
    assert all(p is not q for p, q in zip(a.parameters(), b.parameters(), strict=True))


def test_a_small_stack_trains_on_digits_sized_input():
    s = spaces.digits_cell()
    net = s.build(s.sample(random.Random(1)), (1, 8, 8), 10, stack=Stack(cells=1, channels=8))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    x, y = torch.randn(16, 1, 8, 8), torch.randint(0, 10, (16,))
    before = nn.functional.cross_entropy(net(x), y).item()
    for _ in range(20):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
    assert loss.item() < before


def test_odd_sizes_reduce_in_step():
    s = spaces.nb201()
    net = build_stacked(s, spaces.nb201_arch(MIXED), (1, 7, 7), 3, Stack(cells=1))
    assert net(torch.zeros(2, 1, 7, 7)).shape == (2, 3)


@pytest.mark.parametrize("stack, message", [
    ({"cell": 5}, "unknown key"),
    ({"cells": 0}, "cells must be an int >= 1"),
    ({"stages": True}, "stages must be an int >= 1"),
    ("big", "must be a Stack or a dict"),
])
def test_bad_stacks_are_value_errors(stack, message):
    s = spaces.nb201()
    with pytest.raises(ValueError, match=message):
        s.build(spaces.nb201_arch(MIXED), (3, 32, 32), 10, stack=stack)


def test_bad_inputs_are_value_errors():
    s = spaces.nb201()
    with pytest.raises(ValueError, match="needs an image input"):
        build_stacked(s, spaces.nb201_arch(MIXED), (64,), 10)
    with pytest.raises(ValueError, match="too small"):
        build_stacked(s, spaces.nb201_arch(MIXED), (1, 1, 1), 10, Stack(cells=1, stages=3))
    with pytest.raises(ValueError, match="must give an image"):
        mlp = spaces.mlp()
        build_stacked(mlp, mlp.sample(random.Random(0)), (1, 8, 8), 10, Stack(cells=1))

"""The DARTS network (space/darts_net.py) and its space (space/darts_space.py): shapes,
parameter counts against a hand computation and the paper, one epoch on digits."""

from __future__ import annotations

import random

import pytest
import torch
import torch.nn.functional as F

from nasbench_ui import data, spaces
from nasbench_ui.space.darts_net import DartsNet, FactorizedReduce, build_darts, reduction_layers
from nasbench_ui.space.darts_space import from_genotype, genotype
from nasbench_ui.space.stacked import Stack

NORMAL = [("sep_conv_3x3", 0), ("skip_connect", 1), ("dil_conv_3x3", 0), ("max_pool_3x3", 2),
          ("avg_pool_3x3", 1), ("none", 3), ("sep_conv_5x5", 2), ("dil_conv_5x5", 4)]
REDUCE = [("skip_connect", 0), ("sep_conv_3x3", 1), ("max_pool_3x3", 0), ("skip_connect", 2),
          ("skip_connect", 2), ("dil_conv_3x3", 3), ("none", 1), ("sep_conv_3x3", 4)]
# DARTS (second order) cell of the paper's code, "DARTS_V2"
V2_NORMAL = [("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
             ("sep_conv_3x3", 1), ("skip_connect", 0), ("skip_connect", 0), ("dil_conv_3x3", 2)]
V2_REDUCE = [("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 1),
             ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("max_pool_3x3", 1)]


def n_params(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


# hand-written layer counts: conv weights (no bias) and BN (2 per channel)
def sep(k: int, c: int) -> int:
    return 2 * (k * k * c + c * c + 2 * c)


def dil(k: int, c: int) -> int:
    return k * k * c + c * c + 2 * c


def rcb(c_in: int, c: int) -> int:  # ReLU-1x1 conv-BN; FactorizedReduce has the same count
    return c_in * c + 2 * c


def test_params_match_a_hand_count_for_a_small_network():
    s = spaces.darts()
    net = s.build(from_genotype(NORMAL, REDUCE), (1, 8, 8), 10, stack=Stack(cells=1, channels=4))
    assert isinstance(net, DartsNet) and len(net.cells) == 5
    normal = lambda c: sep(3, c) + dil(3, c) + sep(5, c) + dil(5, c)  # noqa: E731
    # reduce: skip at stride 2 is FactorizedReduce(c, c); pools, skips and none are free
    reduce = lambda c: rcb(c, c) + sep(3, c) + dil(3, c) + sep(3, c)  # noqa: E731
    stem = 1 * 12 * 9 + 2 * 12                                  # 3x3 conv to 3C = 12, BN
    cells = [rcb(12, 4) + rcb(12, 4) + normal(4),               # normal, C = 4 -> out 16
             rcb(12, 8) + rcb(16, 8) + reduce(8),               # reduce, C = 8 -> out 32
             rcb(16, 8) + rcb(32, 8) + normal(8),               # FactorizedReduce(16, 8)
             rcb(32, 16) + rcb(32, 16) + reduce(16),            # -> out 64
             rcb(32, 16) + rcb(64, 16) + normal(16)]            # FactorizedReduce(32, 16)
    head = 64 * 10 + 10
    assert n_params(net) == stem + sum(cells) + head == 12_750
    assert [n_params(c) for c in net.cells] == cells


def test_darts_v2_at_the_papers_size_has_its_3_3_m_parameters():
    s = spaces.darts()
    net = s.build(from_genotype(V2_NORMAL, V2_REDUCE), (3, 32, 32), 10,
                  stack={"cells": 6, "channels": 36})
    assert len(net.cells) == 20
    # the cell after each reduction reads cell k-2 through FactorizedReduce (sizes differ)
    assert [i for i, c in enumerate(net.cells) if isinstance(c.pre0, FactorizedReduce)] == [7, 14]
    assert 3.2e6 < n_params(net) < 3.4e6  # "3.3M" in the paper's table 1 (no auxiliary head)


def test_reductions_sit_at_one_and_two_thirds_and_halve_the_size():
    assert reduction_layers(2, 3) == [False, False, True, False, False, True, False, False]
    s = spaces.darts()
    net = build_darts(s, from_genotype(V2_NORMAL, V2_REDUCE), (1, 8, 8), 10, 2, 3, 4)
    sizes = []
    x = s0 = s1 = net.stem(torch.zeros(2, 1, 8, 8))
    for cell in net.cells:
        s0, s1 = s1, cell(s0, s1)
        sizes.append(tuple(s1.shape[1:]))
    assert sizes == [(16, 8, 8)] * 2 + [(32, 4, 4)] * 3 + [(64, 2, 2)] * 3
    assert x.shape[1] == 12


def test_every_sampled_arch_builds_and_an_odd_input_works():
    s = spaces.darts()
    rng = random.Random(0)
    for _ in range(5):
        a = s.sample(rng)
        net = s.build(a, (1, 7, 7), 3, stack={"cells": 1, "channels": 4})
        assert net(torch.randn(2, 1, 7, 7)).shape == (2, 3)
        assert s.build(a, (1, 8, 8), 3)(torch.randn(2, 1, 8, 8)).shape == (2, 3)  # flat graph


def test_a_non_image_input_or_a_too_small_one_is_refused():
    s = spaces.darts()
    a = s.sample(random.Random(0))
    with pytest.raises(ValueError, match="image input"):
        s.build(a, (64,), 10, stack={"cells": 1})
    with pytest.raises(ValueError, match="too small"):
        s.build(a, (1, 1, 1), 10, stack={"cells": 1, "stages": 3})


def test_genotype_reads_back_what_from_genotype_wrote():
    s = spaces.darts()
    g = genotype(s, from_genotype(NORMAL, REDUCE))
    assert [p for node in g["normal"] for p in node] == NORMAL
    assert [p for node in g["reduce"] for p in node] == REDUCE
    with pytest.raises(ValueError, match="must differ"):
        from_genotype([("sep_conv_3x3", 0)] * 8, REDUCE)


def test_trains_one_epoch_on_digits():
    torch.manual_seed(0)
    ds = data.load("digits")
    s = spaces.darts()
    net = s.build(from_genotype(V2_NORMAL, V2_REDUCE), ds.input_shape, ds.num_classes,
                  stack={"cells": 1, "channels": 8})
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)

    def loss_on_train() -> float:  # batch statistics: 17 steps leave BN's running ones behind
        net.train()
        with torch.no_grad():
            return float(F.cross_entropy(net(ds.x_train), ds.y_train))

    before = loss_on_train()
    net.train()
    for lo in range(0, len(ds.x_train), 64):
        opt.zero_grad()
        loss = F.cross_entropy(net(ds.x_train[lo:lo + 64]), ds.y_train[lo:lo + 64])
        loss.backward()
        opt.step()
    after = loss_on_train()
    assert after < 0.8 * before, (before, after)

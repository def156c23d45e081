"""Model building: every preset on 50 random architectures builds and runs forward."""

import random

import pytest
import torch

from nasbench_ui import spaces
from nasbench_ui.space import Edge, IntRange, Node, SearchSpace

SHAPES = {"rnn": (8, 8)}


@pytest.mark.parametrize("name", spaces.names())
def test_preset_builds_50_random_archs(name):
    s = spaces.get(name)
    shape = SHAPES.get(name, (1, 8, 8))
    rng = random.Random(0)
    torch.manual_seed(0)
    x = torch.randn(3, *shape)
    for _ in range(50 if s.size() > 1 else 1):
        m = s.build(s.sample(rng), input_shape=shape, num_classes=10)
        y = m(x)
        assert y.shape == (3, 10)
        assert torch.isfinite(y).all()


def test_backward_through_nb201():
    s = spaces.nb201()
    arch = spaces.nb201_arch("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|")
    m = s.build(arch, (1, 8, 8), 10)
    loss = m(torch.randn(4, 1, 8, 8)).sum()
    loss.backward()
    assert all(p.grad is not None for p in m.parameters() if p.requires_grad)


def test_all_none_cell_outputs_bias_only():
    s = spaces.nb201()
    m = s.build({lb: "none" for lb in s.labels}, (1, 8, 8), 10).eval()
    y = m(torch.randn(4, 1, 8, 8))
    assert torch.allclose(y, y[0].expand_as(y))


def test_sum_merge_projects_different_shapes():
    s = SearchSpace("proj", ["in", "a", "out"],
                    [Edge("in", "a", ["conv_3x3"], params={"filters": 4}),
                     Edge("in", "out", ["max_pool_2x2"]),
                     Edge("a", "out", ["skip"])])
    m = s.build({}, (2, 8, 8), 3)
    assert m.shapes["out"] == (2, 4, 4)
    assert m(torch.randn(2, 2, 8, 8)).shape == (2, 3)


def test_concat_merge():
    s = SearchSpace("cat", [Node("in"), Node("a"), Node("b"), Node("out", merge="concat")],
                    [Edge("in", "a", ["conv_1x1"], params={"filters": 3}),
                     Edge("in", "b", ["conv_1x1"], params={"filters": 5}),
                     Edge("a", "out", ["skip"]), Edge("b", "out", ["skip"])])
    m = s.build({}, (1, 8, 8), 2)
    assert m.shapes["out"] == (8, 8, 8)


def test_bind_reads_hyperparameter():
    s = SearchSpace("b", ["in", "out"], [Edge("in", "out", ["linear"], bind={"units": "u"})],
                    hparams=[IntRange("u", 4, 8, 4)])
    m = s.build({"u": 8}, (5,), 2)
    assert m.shapes["out"] == (8,)


def test_op_shape_error_names_edge():
    s = SearchSpace("bad", ["in", "out"], [Edge("in", "out", ["conv_3x3"])])
    with pytest.raises(ValueError, match="edge 'out<-in' \\(in -> out\\), op 'conv_3x3'"):
        s.build({}, (10,), 2)


def test_classic_cnn_from_parts_matches_preset():
    from nasbench_ui.space import Categorical, FloatRange

    cnn = SearchSpace(
        "keras_cnn",
        nodes=["input", "conv", "act1", "pool", "dense", "act2", "output"],
        edges=[
            Edge("input", "conv", ["conv"], bind={"filters": "filters", "kernel_size": "kernel_size"}),
            Edge("conv", "act1", ["relu"]),
            Edge("act1", "pool", ["max_pool_2x2"]),
            Edge("pool", "dense", ["linear"], bind={"units": "units"}),
            Edge("dense", "act2", ["relu"]),
            Edge("act2", "output", ["dropout"], bind={"rate": "dropout"}),
        ],
        hparams=[IntRange("filters", 32, 128, 32), Categorical("kernel_size", [3, 5]),
                 IntRange("units", 32, 128, 32), FloatRange("dropout", 0.1, 0.5, 0.1),
                 Categorical("learning_rate", [1e-2, 1e-3])],
    )
    assert cnn == spaces.keras_cnn()
    assert cnn.size() == 4 * 2 * 4 * 5 * 2
    m = cnn.build({"filters": 64, "kernel_size": 5, "units": 96, "dropout": 0.2,
                   "learning_rate": 1e-3}, (1, 8, 8), 10)
    conv = m.edge_ops["e0"]
    convs = [mod for mod in conv.modules() if isinstance(mod, torch.nn.Conv2d)]
    assert convs[0].out_channels == 64 and convs[0].kernel_size == (5, 5)
    linears = [mod for mod in m.edge_ops["e3"].modules() if isinstance(mod, torch.nn.Linear)]
    assert linears[0].out_features == 96


def test_edge_kwargs_go_only_to_ops_that_take_them():
    s = SearchSpace("mix", ["in", "out"],
                    [Edge("in", "out", ["conv_3x3", "max_pool_3x3"], params={"filters": 4})])
    assert s.build({"out<-in": "conv_3x3"}, (1, 8, 8), 2).shapes["out"] == (4, 8, 8)
    assert s.build({"out<-in": "max_pool_3x3"}, (1, 8, 8), 2).shapes["out"] == (1, 8, 8)

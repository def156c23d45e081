"""The one-shot supernet: single-path and mixed forwards, shapes, errors, path sizes."""

from __future__ import annotations

import random
from typing import Any

import pytest
import torch

from nasbench_ui import spaces
from nasbench_ui.space import Categorical, Edge, SearchSpace
from nasbench_ui.space.presets import DARTS_OPS
from nasbench_ui.space.supernet import Supernet, check_space, derive

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def _copy_into_archnet(net: Supernet, arch: dict[str, Any]) -> torch.nn.Module:
    """``space.build(arch)`` holding the supernet's weights for that path."""
    model = net.space.build(arch, (1, 8, 8), 10)
    model.stem.load_state_dict(net.stem.state_dict())
    model.head.load_state_dict(net.head.state_dict())
    for key, _src in (p for plan in model.plan.values() for p in plan):
        i = int(key[1:])
        e = net.space.edges[i]
        op = arch[e.label] if e.is_decision else e.ops[0]
        model.edge_ops[key].load_state_dict(net.edge_ops[net.op_keys[i][op]].state_dict())
    return model


@pytest.mark.parametrize("make", [spaces.nb201, spaces.darts_cell])
def test_single_path_equals_the_built_network_with_the_same_weights(make: Any) -> None:
    space = make(4)
    torch.manual_seed(0)
    net = Supernet(space, (1, 8, 8), 10, batch_stats=False).eval()
    x = torch.randn(5, 1, 8, 8)
    rng = random.Random(3)
    for _ in range(4):
        arch = space.sample(rng)
        model = _copy_into_archnet(net, arch).eval()
        with torch.no_grad():
            assert torch.allclose(net(x, arch=arch), model(x), atol=1e-5)
        assert net.path_params(arch) == sum(p.numel() for p in model.parameters())


def test_one_hot_weights_equal_the_single_path() -> None:
    space = spaces.nb201(4)
    torch.manual_seed(1)
    net = Supernet(space, (1, 8, 8), 10).eval()
    x = torch.randn(6, 1, 8, 8)
    for arch in (space.sample(random.Random(s)) for s in range(3)):
        w = {lb: torch.tensor([1.0 if op == arch[lb] else 0.0 for op in net.candidates[lb]])
             for lb in net.mixed}
        with torch.no_grad():
            assert torch.allclose(net(x, weights=w), net(x, arch=arch), atol=1e-5)


def test_mixed_forward_gives_gradients_to_the_weights_of_every_edge() -> None:
    space = spaces.nb201(4)
    net = Supernet(space, (1, 8, 8), 10)
    alphas = {lb: torch.zeros(5, requires_grad=True) for lb in net.mixed}
    out = net(torch.randn(4, 1, 8, 8), weights={lb: a.softmax(0) for lb, a in alphas.items()})
    out.logsumexp(1).sum().backward()
    assert all(a.grad is not None and a.grad.abs().sum() > 0 for a in alphas.values())


def test_all_none_output_ignores_the_input() -> None:
    space = spaces.nb201(4)
    net = Supernet(space, (1, 8, 8), 10).eval()
    arch = {lb: "none" for lb in space.labels}
    a, b = net(torch.randn(3, 1, 8, 8), arch=arch), net(torch.randn(3, 1, 8, 8), arch=arch)
    assert torch.equal(a, b)
    assert net.path_params(arch) == sum(p.numel() for p in net.stem.parameters()) + \
        sum(p.numel() for p in net.head.parameters())


def test_shapes_and_candidates() -> None:
    net = Supernet(spaces.darts_cell(8), (1, 8, 8), 10)
    assert net.shapes["out"] == (24, 8, 8)  # three nodes of 8 channels concatenated
    assert net.mixed == tuple(lb for lb in spaces.darts_cell().labels if "<-" in lb)
    assert net.candidates["n1<-in"][0] == "none" and len(net.candidates["n1<-in"]) == 8


def test_candidates_of_other_shapes_are_projected_to_the_first() -> None:
    space = SearchSpace("proj", nodes=["in", "h", "out"], edges=[
        Edge("in", "h", ["skip", "global_avg_pool", "conv_3x3"], params={}),
        Edge("h", "out", ["relu", "tanh"])])
    net = Supernet(space, (3, 6, 6), 4)
    assert net.shapes["h"] == (3, 6, 6)
    x = torch.randn(2, 3, 6, 6)
    for op in ("skip", "global_avg_pool", "conv_3x3"):
        assert net(x, arch={"h<-in": op, "out<-h": "tanh"}).shape == (2, 4)


def test_an_op_that_rejects_the_shape_is_left_out_and_cannot_be_chosen() -> None:
    space = SearchSpace("vec", nodes=["in", "out"], edges=[Edge("in", "out", ["relu", "conv_3x3"])])
    net = Supernet(space, (16,), 3)
    assert net.candidates["out<-in"] == ("relu",) and net.mixed == ()
    assert net(torch.randn(2, 16), arch={"out<-in": "relu"}).shape == (2, 3)
    with pytest.raises(ValueError, match=r"'conv_3x3' does not take the edge's input shape \(16,\)"):
        net(torch.randn(2, 16), arch={"out<-in": "conv_3x3"})


def test_no_candidate_fits_names_the_edge() -> None:
    space = SearchSpace("bad", nodes=["in", "out"], edges=[Edge("in", "out", ["conv_3x3", "max_pool_3x3"])])
    with pytest.raises(ValueError, match=r"edge 'out<-in' \(in -> out\): no candidate operation"):
        Supernet(space, (16,), 3)


@pytest.mark.parametrize("make", [spaces.keras_cnn, spaces.mlp, spaces.rnn])
def test_spaces_that_bind_widths_are_refused(make: Any) -> None:
    space = make()
    with pytest.raises(ValueError, match=rf"needs every edge's op to keep one shape; space '{space.name}' binds op widths to hyperparameters"):
        Supernet(space, (1, 8, 8), 10)
    with pytest.raises(ValueError, match="binds"):
        check_space(space)


def test_forward_arguments_are_checked() -> None:
    net = Supernet(spaces.nb201(4), (1, 8, 8), 10)
    x = torch.zeros(2, 1, 8, 8)
    with pytest.raises(ValueError, match="exactly one of arch="):
        net(x)
    good = {lb: torch.full((5,), 0.2) for lb in net.mixed}
    with pytest.raises(ValueError, match=r"missing \['3<-2'\]"):
        net(x, weights={k: v for k, v in good.items() if k != "3<-2"})
    with pytest.raises(ValueError, match=r"weights\['1<-0'\] must be a tensor of shape \(5,\)"):
        net(x, weights={**good, "1<-0": torch.ones(4)})
    with pytest.raises(ValueError, match="exactly one of"):
        net(x, arch={lb: "none" for lb in net.mixed}, weights=good)
    with pytest.raises(ValueError, match="missing decision"):
        net(x, arch={"1<-0": "none"})
    with pytest.raises(ValueError, match="num_classes"):
        Supernet(spaces.nb201(4), (1, 8, 8), 0)


def test_derive_skips_none_and_ranks_inputs_by_their_strongest_op() -> None:
    space = spaces.darts_cell()
    weights = {lb: {op: 1 / 8 for op in DARTS_OPS} for lb in space.labels if "<-" in lb}
    weights["n1<-in"] = {**weights["n1<-in"], "none": 0.9, "sep_conv_5x5": 0.2}
    weights["n3<-n1"] = {**weights["n3<-n1"], "max_pool_3x3": 0.6}
    weights["n3<-n2"] = {**weights["n3<-n2"], "dil_conv_3x3": 0.5}
    arch = derive(space, weights)
    assert arch["n1<-in"] == "sep_conv_5x5"
    assert arch["n3<-n1"] == "max_pool_3x3" and arch["n3.inputs"] == ["n1", "n2"]
    assert derive(space, None)["n2<-n1"] == "skip_connect"  # uniform: the first non-none op
    assert derive(space, None)["n3.inputs"] == ["in", "n1"]
    cnn_like = SearchSpace("hp", nodes=["in", "out"], edges=[Edge("in", "out", ["relu", "tanh"])],
                           hparams=[Categorical("learning_rate", [0.1, 0.01])])
    assert derive(cnn_like, {"out<-in": {"relu": 0.4, "tanh": 0.6}}) == {"out<-in": "tanh", "learning_rate": 0.1}

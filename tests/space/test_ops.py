"""Tests of the operations registry and every built-in operation."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nasbench_ui.space import ops

IMAGE, SEQ, VEC = (3, 8, 8), (5, 6), (7,)

# Expected output shape per op and input kind; None: the op must refuse that kind.
EXPECTED: dict[str, tuple] = {
    "conv": ((3, 8, 8), None, None),
    "conv_1x1": ((3, 8, 8), None, None),
    "conv_3x3": ((3, 8, 8), None, None),
    "conv_5x5": ((3, 8, 8), None, None),
    "sep_conv_3x3": ((3, 8, 8), None, None),
    "sep_conv_5x5": ((3, 8, 8), None, None),
    "dil_conv_3x3": ((3, 8, 8), None, None),
    "dil_conv_5x5": ((3, 8, 8), None, None),
    "nor_conv_1x1": ((3, 8, 8), None, None),
    "nor_conv_3x3": ((3, 8, 8), None, None),
    "linear": ((192,), (30,), (7,)),
    "gru": ((8, 32), (5, 32), (1, 32)),
    "lstm": ((8, 32), (5, 32), (1, 32)),
    "relu": (IMAGE, SEQ, VEC),
    "gelu": (IMAGE, SEQ, VEC),
    "tanh": (IMAGE, SEQ, VEC),
    "sigmoid": (IMAGE, SEQ, VEC),
    "silu": (IMAGE, SEQ, VEC),
    "max_pool_3x3": (IMAGE, None, None),
    "avg_pool_3x3": (IMAGE, None, None),
    "max_pool_2x2": ((3, 4, 4), None, None),
    "avg_pool_2x2": ((3, 4, 4), None, None),
    "global_avg_pool": ((3,), None, None),
    "batch_norm": (IMAGE, SEQ, VEC),
    "layer_norm": (IMAGE, SEQ, VEC),
    "dropout": (IMAGE, SEQ, VEC),
    "skip": (IMAGE, SEQ, VEC),
    "skip_connect": (IMAGE, SEQ, VEC),
    "none": (IMAGE, SEQ, VEC),
    "flatten": ((192,), (30,), (7,)),
}
CASES = [(name, shape, out) for name, outs in EXPECTED.items()
         for shape, out in zip((IMAGE, SEQ, VEC), outs, strict=True)]


def test_builtins_are_exactly_the_documented_ones() -> None:
    assert ops.names() == list(EXPECTED)


@pytest.mark.parametrize(("name", "shape", "out"), [c for c in CASES if c[2] is not None])
@pytest.mark.parametrize("batch", [1, 2])
def test_builtin_forward_matches_declared_shape(name: str, shape: tuple, out: tuple, batch: int) -> None:
    module, declared = ops.build_op(name, shape)
    assert declared == out
    module.train()
    y = module(torch.randn(batch, *shape))
    assert tuple(y.shape) == (batch, *out)
    assert torch.isfinite(y).all()
    module.eval()
    assert tuple(module(torch.randn(batch, *shape)).shape) == (batch, *out)


@pytest.mark.parametrize(("name", "shape"), [(c[0], c[1]) for c in CASES if c[2] is None])
def test_image_ops_refuse_other_shapes(name: str, shape: tuple) -> None:
    kind = "a sequence (T, F)" if len(shape) == 2 else "a vector (F,)"
    with pytest.raises(ValueError, match=rf"operation '{name}' needs an image \(C, H, W\)") as e:
        ops.build_op(name, shape)
    assert f"got shape {shape}, {kind}" in str(e.value)


def test_groups_are_ordered_and_cover_every_op() -> None:
    g = ops.groups()
    assert list(g) == ["conv", "linear", "recurrent", "activation", "pooling",
                       "normalization", "regularization", "identity", "custom"]
    assert sorted(n for names in g.values() for n in names) == sorted(ops.names())
    assert g["recurrent"] == ["gru", "lstm"]
    assert g["identity"] == ["skip", "skip_connect", "none", "flatten"]
    assert g["custom"] == []


def test_info_and_is_registered() -> None:
    i = ops.info("conv")
    assert i == {"name": "conv", "group": "conv", "doc": i["doc"],
                 "params": ["filters", "kernel_size"], "builtin": True}
    assert "kernel_size" in i["doc"]
    assert ops.info("gru")["params"] == ["units", "layers"]
    assert ops.info("relu")["params"] == []
    assert ops.is_registered("skip") and not ops.is_registered("Skip")
    assert not ops.is_registered(3)  # type: ignore[arg-type]


# ------------------------------------------------------------------ conv group
def test_conv_filters_and_kernel_size() -> None:
    m, out = ops.build_op("conv", (2, 6, 5), filters=4, kernel_size=5)
    assert out == (4, 6, 5)
    assert isinstance(m, nn.Conv2d) and m.kernel_size == (5, 5) and m.stride == (1, 1)
    assert ops.build_op("conv_1x1", (2, 6, 5), filters=32.0)[1] == (32, 6, 5)
    assert ops.build_op("conv", (2, 6, 5))[0].kernel_size == (3, 3)


@pytest.mark.parametrize(("kwargs", "text"), [
    ({"kernel_size": 4}, "kernel_size must be odd"),
    ({"kernel_size": 0}, "kernel_size must be an int >= 1, got 0"),
    ({"filters": 0}, "filters must be an int >= 1, got 0"),
    ({"filters": True}, "filters must be an int >= 1, got True"),
    ({"filters": 2.5}, "filters must be an int >= 1, got 2.5"),
    ({"filters": "8"}, "filters must be an int >= 1, got '8'"),
    ({"units": 8}, r"got unknown keyword\(s\) \['units'\]; it takes \['filters', 'kernel_size'\]"),
])
def test_conv_bad_kwargs(kwargs: dict, text: str) -> None:
    with pytest.raises(ValueError, match=text):
        ops.build_op("conv", (1, 8, 8), **kwargs)


def test_sep_dil_and_nor_conv_structure() -> None:
    sep, _ = ops.build_op("sep_conv_5x5", (4, 8, 8), filters=6)
    relu, dw, pw, bn = sep
    assert isinstance(relu, nn.ReLU) and isinstance(bn, nn.BatchNorm2d)
    assert dw.groups == 4 and dw.kernel_size == (5, 5) and dw.dilation == (1, 1)
    assert pw.kernel_size == (1, 1) and pw.out_channels == 6
    dil, _ = ops.build_op("dil_conv_3x3", (4, 8, 8))
    assert dil[1].dilation == (2, 2) and dil[1].groups == 4 and dil[2].out_channels == 4
    nor, _ = ops.build_op("nor_conv_3x3", (4, 8, 8), filters=2)
    assert [type(m) for m in nor][:2] == [nn.ReLU, nn.Conv2d] and isinstance(nor[2], nn.BatchNorm2d)
    assert nor[1].bias is None and nor[1].kernel_size == (3, 3)


# -------------------------------------------------------- linear and recurrent
def test_linear_flattens_and_defaults_units_to_features() -> None:
    m, out = ops.build_op("linear", (3, 4, 4), units=10)
    assert out == (10,)
    assert m(torch.randn(2, 3, 4, 4)).shape == (2, 10)
    assert ops.build_op("linear", (9,))[0].out_features == 9
    with pytest.raises(ValueError, match="'linear': units must be an int >= 1, got -3"):
        ops.build_op("linear", (9,), units=-3)


@pytest.mark.parametrize("name", ["gru", "lstm"])
def test_recurrent_reads_image_rows_as_steps(name: str) -> None:
    torch.manual_seed(0)
    m, out = ops.build_op(name, (2, 6, 3), units=5, layers=2)
    assert out == (6, 5)
    rnn = m.rnn
    assert rnn.input_size == 6 and rnn.hidden_size == 5 and rnn.num_layers == 2 and rnn.batch_first
    x = torch.randn(2, 2, 6, 3)
    y = m(x)
    x2 = x.clone()
    x2[:, :, 4, :] += 1.0  # change image row 4 only: steps 0..3 must not change
    y2 = m(x2)
    assert torch.allclose(y[:, :4], y2[:, :4])
    assert not torch.allclose(y[:, 4], y2[:, 4])


def test_recurrent_vector_is_one_step_and_kwargs_are_checked() -> None:
    m, out = ops.build_op("lstm", (7,))
    assert out == (1, 32) and m(torch.randn(3, 7)).shape == (3, 1, 32)
    with pytest.raises(ValueError, match="'gru': layers must be an int >= 1, got 0"):
        ops.build_op("gru", (5, 6), layers=0)
    with pytest.raises(ValueError, match=r"'gru' got unknown keyword\(s\) \['hidden'\]"):
        ops.build_op("gru", (5, 6), hidden=8)


# --------------------------------------------------------------------- pooling
def test_avg_pool_3x3_excludes_padding() -> None:
    m, _ = ops.build_op("avg_pool_3x3", (1, 4, 4))
    assert torch.allclose(m(torch.ones(1, 1, 4, 4)), torch.ones(1, 1, 4, 4))


def test_pool_2x2_floors_and_refuses_tiny_images() -> None:
    m, out = ops.build_op("max_pool_2x2", (1, 5, 7))
    assert out == (1, 2, 3) and m(torch.randn(2, 1, 5, 7)).shape == (2, 1, 2, 3)
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    assert ops.build_op("avg_pool_2x2", (1, 4, 4))[0](x).flatten().tolist() == [2.5, 4.5, 10.5, 12.5]
    with pytest.raises(ValueError, match=r"'avg_pool_2x2' halves height and width and needs "
                                         r"both >= 2; got shape \(3, 1, 8\)"):
        ops.build_op("avg_pool_2x2", (3, 1, 8))


def test_global_avg_pool_averages_each_channel() -> None:
    m, out = ops.build_op("global_avg_pool", (2, 3, 3))
    x = torch.stack([torch.full((3, 3), 2.0), torch.arange(9.0).reshape(3, 3)]).unsqueeze(0)
    assert out == (2,) and m(x).tolist() == [[2.0, 4.0]]


# --------------------------------------------------------------- normalization
def test_batch_norm_on_sequences_normalises_each_feature() -> None:
    m, _ = ops.build_op("batch_norm", (5, 3))
    assert isinstance(m, nn.BatchNorm1d) and m.num_features == 3
    x = torch.randn(4, 5, 3) + torch.tensor([0.0, 10.0, -20.0])
    y = m.train()(x)
    assert torch.allclose(y.mean(dim=(0, 1)), torch.zeros(3), atol=1e-5)
    assert torch.allclose(y.var(dim=(0, 1), unbiased=False), torch.ones(3), atol=1e-3)


def test_batch_norm_images_and_vectors() -> None:
    m, _ = ops.build_op("batch_norm", (2, 4, 4))
    assert isinstance(m, nn.BatchNorm2d) and m.num_features == 2
    y = m.train()(torch.randn(3, 2, 4, 4) * 5 + 3)
    assert torch.allclose(y.mean(dim=(0, 2, 3)), torch.zeros(2), atol=1e-5)
    v, _ = ops.build_op("batch_norm", (3,))
    y = v.train()(torch.tensor([[1.0, 2.0, 3.0], [3.0, 6.0, 9.0]]))
    assert torch.allclose(y.mean(0), torch.zeros(3), atol=1e-6)


def test_batch_norm_batch_one_in_training_uses_running_stats() -> None:
    v, _ = ops.build_op("batch_norm", (3,))
    v.train()
    v(torch.tensor([[1.0, 2.0, 3.0], [3.0, 6.0, 9.0]]))  # updates running stats
    before = v.running_mean.clone()
    x = torch.tensor([[2.0, 4.0, 6.0]])
    y_train = v(x)
    assert torch.equal(v.running_mean, before)  # not updated by the single sample
    assert torch.allclose(y_train, v.eval()(x))
    img, _ = ops.build_op("nor_conv_1x1", (2, 1, 1))
    assert img.train()(torch.randn(1, 2, 1, 1)).shape == (1, 2, 1, 1)


def test_layer_norm_over_chw_for_images_and_last_dim_otherwise() -> None:
    m, _ = ops.build_op("layer_norm", (2, 3, 3))
    assert tuple(m.normalized_shape) == (2, 3, 3)
    y = m(torch.randn(4, 2, 3, 3) * 3 + 7)
    assert torch.allclose(y.mean(dim=(1, 2, 3)), torch.zeros(4), atol=1e-5)
    assert tuple(ops.build_op("layer_norm", (5, 6))[0].normalized_shape) == (6,)


# ------------------------------------------------------ regularization, identity
def test_dropout_rate() -> None:
    m, _ = ops.build_op("dropout", (100,), rate=0.0)
    x = torch.randn(2, 100)
    assert torch.equal(m.train()(x), x)
    m, _ = ops.build_op("dropout", (1000,))
    assert m.p == 0.5
    assert 300 < int((m.train()(torch.ones(1, 1000)) == 0).sum()) < 700
    assert torch.equal(m.eval()(x[:, :1].expand(2, 1000)), x[:, :1].expand(2, 1000))


@pytest.mark.parametrize("rate", [1.0, -0.1, "0.5", True, None])
def test_dropout_bad_rate(rate: object) -> None:
    with pytest.raises(ValueError, match=r"'dropout': rate must be a number with 0 <= rate < 1"):
        ops.build_op("dropout", (4,), rate=rate)


def test_identity_ops() -> None:
    x = torch.randn(2, 3, 4, 4)
    assert torch.equal(ops.build_op("skip", (3, 4, 4))[0](x), x)
    assert torch.equal(ops.build_op("skip_connect", (3, 4, 4))[0](x), x)
    z = ops.build_op("none", (3, 4, 4))[0](x)
    assert z.shape == x.shape and not z.any()
    assert torch.equal(ops.build_op("flatten", (3, 4, 4))[0](x), x.reshape(2, 48))
    with pytest.raises(ValueError, match=r"'skip' got unknown keyword\(s\) \['filters'\]; it takes no keywords"):
        ops.build_op("skip", (3,), filters=4)


# ------------------------------------------------------- lookups and bad input
def test_unknown_name_lists_close_names() -> None:
    with pytest.raises(ValueError, match=r"unknown operation 'conv3x3' \(did you mean 'conv_3x3'") as e:
        ops.build_op("conv3x3", (1, 8, 8))
    assert "nasbench_ui.space.ops.register" in str(e.value)
    for fn in (ops.get, ops.info):
        with pytest.raises(ValueError, match="unknown operation 'maxpool'"):
            fn("maxpool")


@pytest.mark.parametrize("shape", [(), (0, 4), (1, 2, 3, 4), (2.5,), "abc", 5, (True,)])
def test_bad_shapes(shape: object) -> None:
    with pytest.raises(ValueError, match=r"operation 'relu': a shape must be \(F,\), \(T, F\) or \(C, H, W\)"):
        ops.build_op("relu", shape)  # type: ignore[arg-type]


def test_filter_kwargs_keeps_what_each_op_takes(cleanup: list[str]) -> None:
    kw = {"filters": 8, "kernel_size": 5, "rate": 0.1}
    assert ops.filter_kwargs("conv", kw) == {"filters": 8, "kernel_size": 5}
    assert ops.filter_kwargs("sep_conv_3x3", kw) == {"filters": 8}
    assert ops.filter_kwargs("dropout", kw) == {"rate": 0.1}
    assert ops.filter_kwargs("skip", kw) == {}
    cleanup.append("anykw")
    ops.register("anykw", lambda shape, **k: (nn.Identity(), shape))
    assert ops.filter_kwargs("anykw", kw) == kw
    with pytest.raises(ValueError, match="unknown operation 'nope'"):
        ops.filter_kwargs("nope", kw)


def test_get_returns_a_checked_factory() -> None:
    f = ops.get("conv_3x3")
    m, out = f((1, 8, 8), filters=2)
    assert out == (2, 8, 8) and isinstance(m, nn.Conv2d)
    with pytest.raises(ValueError, match="unknown keyword"):
        f((1, 8, 8), rate=0.1)


# ------------------------------------------------------------ custom operations
@pytest.fixture
def cleanup():
    added: list[str] = []
    yield added
    for name in added:
        if ops.is_registered(name):
            ops.unregister(name)


def _scale_factory(shape: tuple, factor: int = 2) -> tuple[nn.Module, tuple]:
    if len(shape) != 1:
        raise ValueError(f"operation 'scale' needs a vector, got {shape}")
    lin = nn.Linear(shape[0], shape[0] * factor)
    return lin, (shape[0] * factor,)


def test_register_custom_op(cleanup: list[str]) -> None:
    cleanup.append("scale")
    ops.register("scale", _scale_factory, doc="a linear map to factor * F")
    assert ops.is_registered("scale") and "scale" in ops.names()
    assert ops.groups()["custom"] == ["scale"]
    assert ops.info("scale") == {"name": "scale", "group": "custom", "doc": "a linear map to factor * F",
                                 "params": ["factor"], "builtin": False}
    assert ops.check_op("scale", (3,), factor=3) == (9,)
    with pytest.raises(ValueError, match="needs a vector"):
        ops.build_op("scale", (3, 4))
    with pytest.raises(ValueError, match=r"'scale' got unknown keyword\(s\) \['units'\]; it takes \['factor'\]"):
        ops.build_op("scale", (3,), units=2)


def test_register_twice_needs_replace(cleanup: list[str]) -> None:
    cleanup.append("twice")
    ops.register("twice", lambda shape: (nn.Identity(), shape))
    with pytest.raises(ValueError, match="operation 'twice' is already registered; pass replace=True"):
        ops.register("twice", lambda shape: (nn.Tanh(), shape))
    ops.register("twice", lambda shape: (nn.Tanh(), shape), group="activation", replace=True)
    assert isinstance(ops.build_op("twice", (2,))[0], nn.Tanh)
    assert ops.groups()["activation"][-1] == "twice"
    with pytest.raises(ValueError, match="'relu' is already registered"):
        ops.register("relu", lambda shape: (nn.Identity(), shape))


def test_register_new_group_comes_after_standard_ones(cleanup: list[str]) -> None:
    cleanup.append("attn")
    ops.register("attn", lambda shape, **kw: (nn.Identity(), shape), group="attention")
    assert list(ops.groups())[-1] == "attention"
    assert ops.info("attn")["params"] is None  # a **kw factory takes any keyword
    assert ops.build_op("attn", (4, 4), heads=2)[1] == (4, 4)


@pytest.mark.parametrize(("args", "text"), [
    (("bad name", lambda s: (nn.Identity(), s)), "operation name must be a str"),
    (("", lambda s: (nn.Identity(), s)), "operation name must be a str"),
    (("x1", "not callable"), "operation 'x1': factory must be callable"),
    (("x1", lambda: (nn.Identity(), (1,))), "must take the input shape as its first positional"),
    (("x1", lambda s: (nn.Identity(), s), ""), "operation 'x1': group must be a non-empty str"),
])
def test_register_bad_input(args: tuple, text: str) -> None:
    with pytest.raises(ValueError, match=text):
        ops.register(*args)
    assert not ops.is_registered("x1")


def test_register_params_must_match_signature(cleanup: list[str]) -> None:
    with pytest.raises(ValueError, match="params names 'units', which the factory does not accept"):
        ops.register("x2", _scale_factory, params=("units",))
    cleanup.append("x2")
    ops.register("x2", _scale_factory, params=("factor",))
    assert ops.info("x2")["params"] == ["factor"]


def test_factory_results_are_checked(cleanup: list[str]) -> None:
    cleanup += ["broken", "liar", "badshape"]
    ops.register("broken", lambda shape: nn.Identity())
    with pytest.raises(ValueError, match=r"'broken': the factory must return \(torch.nn.Module, out_shape\)"):
        ops.build_op("broken", (3,))
    ops.register("badshape", lambda shape: (nn.Identity(), (0,)))
    with pytest.raises(ValueError, match="'badshape': the factory returned a bad out_shape"):
        ops.build_op("badshape", (3,))
    ops.register("liar", lambda shape: (nn.Identity(), (shape[0] + 1,)))
    assert ops.build_op("liar", (3,))[1] == (4,)  # not checked in the hot path
    with pytest.raises(ValueError, match=r"'liar': declared output shape \(4,\) for input \(3,\), "
                                         r"but its forward pass gave \(3,\)"):
        ops.check_op("liar", (3,))


def test_unregister() -> None:
    ops.register("gone", lambda shape: (nn.Identity(), shape))
    ops.unregister("gone")
    assert not ops.is_registered("gone")
    with pytest.raises(ValueError, match="'relu' is built in and cannot be removed"):
        ops.unregister("relu")
    with pytest.raises(ValueError, match="unknown operation 'gone'"):
        ops.unregister("gone")

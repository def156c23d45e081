"""Export of a found network (issue 15, point 3): standalone source, weights, TorchScript
and ONNX reproduce the network; what cannot be exported says why."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from torch import nn

import nasbench_ui as nb
from nasbench_ui import spaces
from nasbench_ui.export import export_model, model_source
from nasbench_ui.space import Edge, Node, SearchSpace, ops
from nasbench_ui.space.stacked import Stack

SHAPES = {"keras_cnn": (1, 8, 8), "mlp": (64,), "rnn": (8, 8), "nb201": (1, 8, 8),
          "darts_cell": (1, 8, 8), "digits_cell": (1, 8, 8)}


def _check_in_a_fresh_process(folder: Path, shape: tuple[int, ...], expected: torch.Tensor,
                              x: torch.Tensor, onnx: bool) -> None:
    torch.save({"x": x, "expected": expected}, folder / "check.pt")
    script = textwrap.dedent(f"""
        import sys, torch
        sys.path.insert(0, {str(folder)!r})
        import model
        assert "nasbench_ui" not in sys.modules, "the source imported nasbench_ui"
        data = torch.load({str(folder / 'check.pt')!r})
        net = model.build()
        net.load_state_dict(torch.load({str(folder / 'weights.pt')!r}))
        net.eval()
        with torch.no_grad():
            got = net(data["x"])
            assert torch.allclose(got, data["expected"], atol=1e-5), "source"
            ts = torch.jit.load({str(folder / 'model.torchscript.pt')!r})
            assert torch.allclose(ts(data["x"]), data["expected"], atol=1e-5), "torchscript"
        if {onnx!r}:
            import onnxruntime
            sess = onnxruntime.InferenceSession({str(folder / 'model.onnx')!r})
            y = sess.run(None, {{"x": data["x"].numpy()}})[0]
            assert abs(torch.from_numpy(y) - data["expected"]).max() < 1e-5, "onnx"
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, cwd=folder)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_the_best_model_of_a_search_exports_and_reloads_in_a_fresh_process(tmp_path):
    import onnxruntime  # noqa: F401 - the test extra installs it: never skipped
    exp = nb.Experiment("digits_cell", strategy="random", estimator="train",
                        estimator_options={"epochs": 1, "latency_runs": 0}, trials=2, seed=0)
    exp.run()
    best = exp.best_model().eval()
    shape = tuple(exp.dataset.input_shape)
    paths = exp.export_best(tmp_path / "out")
    assert sorted(paths) == ["arch", "onnx", "source", "torchscript", "weights"]
    meta = json.loads(paths["arch"].read_text())
    assert meta["input_shape"] == list(shape) and meta["num_classes"] == 10
    assert meta["space"]["name"] == "digits_cell"
    x = torch.randn(4, *shape)
    with torch.no_grad():
        expected = best(x)
    _check_in_a_fresh_process(tmp_path / "out", shape, expected, x, onnx=True)


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_every_preset_exports_source_that_rebuilds_the_same_module_names(name, tmp_path):
    space = getattr(spaces, name)()
    arch = space.sample(random.Random(3))
    net = space.build(arch, SHAPES[name], 10)
    ns: dict = {}
    exec(model_source(net, space, arch), ns)
    rebuilt = ns["build"]()
    assert list(rebuilt.state_dict()) == list(net.state_dict())
    paths = export_model(net, tmp_path, space=space, arch=arch, input_shape=SHAPES[name],
                         num_classes=10, onnx=False)
    assert "onnx" not in paths and paths["source"].read_text().count("import nasbench_ui") == 0


def test_a_stacked_network_exports(tmp_path):
    import onnxruntime  # noqa: F401 - the test extra installs it: never skipped
    space = spaces.nb201()
    arch = space.sample(random.Random(0))
    net = space.build(arch, (3, 16, 16), 10, stack=Stack(cells=2, channels=8)).eval()
    paths = export_model(net, tmp_path, space=space, arch=arch, input_shape=(3, 16, 16),
                         num_classes=10, stack={"cells": 2, "channels": 8})
    assert json.loads(paths["arch"].read_text())["stack"] == {"cells": 2, "stages": 3,
                                                               "channels": 8}
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        expected = net(x)
    _check_in_a_fresh_process(tmp_path, (3, 16, 16), expected, x, onnx=True)


CUSTOM_OP = '''
from torch import nn


class Scale(nn.Module):
    def __init__(self, factor):
        super().__init__()
        self.factor = nn.Parameter(nn.init.constant_(__import__("torch").empty(1), factor))

    def forward(self, x):
        return x * self.factor


def scaled(in_shape, factor=2.0):
    return Scale(factor), in_shape
'''


def _custom_space(op: str) -> SearchSpace:
    return SearchSpace("custom", nodes=[Node("in"), Node("out")],
                       edges=[Edge("in", "out", (op, "skip"), params={"factor": 3.0})])


def test_a_custom_operation_is_imported_from_its_own_module(tmp_path, monkeypatch):
    pkg = tmp_path / "mine"
    pkg.mkdir()
    (pkg / "myops.py").write_text(CUSTOM_OP)
    monkeypatch.syspath_prepend(str(pkg))
    import myops  # noqa: PLC0415 - written by this test

    ops.register("scaled_export_test", myops.scaled, group="custom")
    try:
        space = _custom_space("scaled_export_test")
        arch = {space.labels[0]: "scaled_export_test"}
        net = space.build(arch, (5,), 2)
        source = model_source(net, space, arch)
        assert "from myops import scaled as _op_scaled_export_test" in source
        paths = export_model(net, tmp_path / "out", space=space, arch=arch, input_shape=(5,),
                             num_classes=2, onnx=False)
        x = torch.randn(3, 5)
        with torch.no_grad():
            expected = net.eval()(x)
        torch.save({"x": x, "expected": expected}, tmp_path / "out" / "check.pt")
        script = (f"import sys, torch; sys.path[:0] = [{str(paths['source'].parent)!r}, "
                  f"{str(pkg)!r}]; import model; n = model.build(); "
                  f"n.load_state_dict(torch.load({str(paths['weights'])!r})); n.eval(); "
                  f"d = torch.load({str(tmp_path / 'out' / 'check.pt')!r}); "
                  "assert torch.allclose(n(d['x']), d['expected'], atol=1e-5); print('ok')")
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              timeout=120)
        assert done.stdout.strip() == "ok", done.stderr[-2000:]
    finally:
        ops.unregister("scaled_export_test")


def test_an_operation_defined_in_a_notebook_cannot_be_imported_and_says_so(tmp_path):
    def local_factory(in_shape):
        return nn.Identity(), in_shape

    ops.register("local_export_test", local_factory, group="custom")
    try:
        space = _custom_space("local_export_test")
        arch = {space.labels[0]: "local_export_test"}
        with pytest.raises(ValueError, match="move its factory to an importable module"):
            model_source(space.build(arch, (5,), 2), space, arch)
    finally:
        ops.unregister("local_export_test")


def test_a_module_it_does_not_know_is_refused_with_the_reason(tmp_path):
    class Odd(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(ValueError, match="cannot export a .*Odd module.*DARTS supernet"):
        export_model(nn.Sequential(nn.Linear(2, 2), Odd()), tmp_path, space=spaces.mlp(),
                     arch=spaces.mlp().sample(random.Random(0)), input_shape=(2,),
                     num_classes=2, onnx=False)
    assert not (tmp_path / "model.py").exists()


def test_the_cli_exports_a_stored_search_and_leaves_the_store_as_it_was(tmp_path, capsys):
    from nasbench_ui.cli import main

    db = tmp_path / "runs.db"
    assert main(["run", "--space", "digits_cell", "--strategy", "random", "--estimator", "train",
                 "--estimator-options", '{"epochs": 1, "latency_runs": 0}', "--trials", "2",
                 "--storage", str(db), "--no-progress"]) == 0
    before = db.read_bytes()
    assert main(["export", str(db), "--out", str(tmp_path / "out"), "--no-onnx"]) == 0
    out = capsys.readouterr().out
    assert "exported trial" in out and "model.py" in out
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "arch.json", "model.py", "model.torchscript.pt", "weights.pt"]
    assert db.read_bytes() == before
    assert main(["export", str(tmp_path / "missing.db"), "--out", str(tmp_path / "x")]) == 2
    assert not (tmp_path / "missing.db").exists() and not (tmp_path / "x").exists()


def test_a_darts_network_exports_and_reloads_in_a_fresh_process(tmp_path):
    import onnxruntime  # noqa: F401 - the test extra installs it: never skipped
    space = spaces.darts()
    arch = space.sample(random.Random(5))  # samples hold none, pools and stride-2 skips
    stack = {"cells": 1, "channels": 4}
    net = space.build(arch, (1, 7, 7), 10, stack=stack)
    ns: dict = {}
    exec(model_source(net, space, arch), ns)
    assert list(ns["build"]().state_dict()) == list(net.state_dict())
    paths = export_model(net, tmp_path, space=space, arch=arch, input_shape=(1, 7, 7),
                         num_classes=10, stack=stack)
    assert json.loads(paths["arch"].read_text())["stack"] == {"cells": 1, "stages": 3,
                                                               "channels": 4}
    x = torch.randn(3, 1, 7, 7)
    with torch.no_grad():
        expected = net.eval()(x)
    _check_in_a_fresh_process(tmp_path, (1, 7, 7), expected, x, onnx=True)

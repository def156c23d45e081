"""Export a found network: standalone PyTorch source, weights, TorchScript and ONNX.

:func:`export_model` writes, into one folder:

* ``model.py``: a PyTorch module source that imports only ``torch`` (and the module of
  each custom operation in the network): ``build()`` returns the network, with the
  same module names as the original, so ``weights.pt`` loads into it as it is;
* ``weights.pt``: the state dict (``torch.save``);
* ``arch.json``: the space, the architecture, the input shape, the classes and the stack;
* ``model.torchscript.pt``: the network traced with ``torch.jit.trace``;
* ``model.onnx``: where the ``onnx`` package is installed (the ``export`` extra).

The source is made by :func:`model_source`, which writes each module as the call that
builds it; before anything is written the source is run and its outputs compared with
the network's (within 1e-5), so a file that would not reproduce the network is never
written.

Example:
    >>> import random, tempfile, torch
    >>> from nasbench_ui import spaces
    >>> s = spaces.digits_cell(channels=4)
    >>> arch = s.sample(random.Random(0))
    >>> net = s.build(arch, (1, 8, 8), 10)
    >>> folder = tempfile.mkdtemp()
    >>> sorted(p.name for p in export_model(net, folder, space=s, arch=arch,
    ...        input_shape=(1, 8, 8), num_classes=10, onnx=False).values())
    ['arch.json', 'model.py', 'model.torchscript.pt', 'weights.pt']
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .space import darts_net, op_library, ops, stacked
from .space.build import ArchNet, _LastStep, _Reshape, active_edges, edge_kwargs

_ACTIVATIONS = (nn.ReLU, nn.Tanh, nn.Sigmoid, nn.SiLU, nn.Identity, nn.Softmax)


def _conv(m: nn.Conv2d) -> str:
    return (f"nn.Conv2d({m.in_channels}, {m.out_channels}, {m.kernel_size}, stride={m.stride}, "
            f"padding={m.padding!r}, dilation={m.dilation}, groups={m.groups}, "
            f"bias={m.bias is not None}, padding_mode={m.padding_mode!r})")


def _norm(cls: str) -> Callable[[Any], str]:
    return lambda m: (f"{cls}({m.num_features}, eps={m.eps!r}, momentum={m.momentum!r}, "
                      f"affine={m.affine}, track_running_stats={m.track_running_stats})")


def _rnn(m: nn.RNNBase) -> str:
    return (f"nn.{type(m).__name__}({m.input_size}, {m.hidden_size}, num_layers={m.num_layers}, "
            f"bias={m.bias}, batch_first={m.batch_first}, dropout={m.dropout!r}, "
            f"bidirectional={m.bidirectional})")


#: How each module type is written: its constructor call, from its attributes.
_LEAVES: dict[type, Callable[[Any], str]] = {
    nn.Conv2d: _conv,
    nn.BatchNorm1d: _norm("nn.BatchNorm1d"),
    nn.BatchNorm2d: _norm("nn.BatchNorm2d"),
    nn.Linear: lambda m: f"nn.Linear({m.in_features}, {m.out_features}, bias={m.bias is not None})",
    nn.GELU: lambda m: f"nn.GELU(approximate={m.approximate!r})",
    nn.ELU: lambda m: f"nn.ELU(alpha={m.alpha!r})",
    nn.LeakyReLU: lambda m: f"nn.LeakyReLU(negative_slope={m.negative_slope!r})",
    nn.MaxPool2d: lambda m: (f"nn.MaxPool2d({m.kernel_size!r}, {m.stride!r}, {m.padding!r}, "
                             f"dilation={m.dilation!r}, ceil_mode={m.ceil_mode})"),
    nn.AvgPool2d: lambda m: (f"nn.AvgPool2d({m.kernel_size!r}, {m.stride!r}, {m.padding!r}, "
                             f"ceil_mode={m.ceil_mode}, count_include_pad={m.count_include_pad}, "
                             f"divisor_override={m.divisor_override!r})"),
    nn.AdaptiveAvgPool2d: lambda m: f"nn.AdaptiveAvgPool2d({m.output_size!r})",
    nn.AdaptiveMaxPool2d: lambda m: f"nn.AdaptiveMaxPool2d({m.output_size!r})",
    nn.Flatten: lambda m: f"nn.Flatten({m.start_dim}, {m.end_dim})",
    nn.Dropout: lambda m: f"nn.Dropout({m.p!r})",
    nn.LayerNorm: lambda m: (f"nn.LayerNorm({tuple(m.normalized_shape)!r}, eps={m.eps!r}, "
                             f"elementwise_affine={m.elementwise_affine})"),
    nn.GRU: _rnn,
    nn.LSTM: _rnn,
    **{cls: (lambda m: f"nn.{type(m).__name__}()") for cls in _ACTIVATIONS},
}
_LEAVES[nn.ReLU] = lambda m: f"nn.ReLU(inplace={m.inplace})"

#: This package's own module classes: their source goes into ``model.py``.
_OWN: dict[type, Callable[[Any, Callable[[nn.Module], str]], str]] = {
    op_library._Zero: lambda m, emit: "_Zero()",
    op_library._BatchNorm2d: lambda m, emit: _norm("_BatchNorm2d")(m),
    op_library._FeatureBatchNorm: lambda m, emit: _norm("_FeatureBatchNorm")(m),
    op_library._Recurrent: lambda m, emit: (f"_Recurrent(nn.{type(m.rnn).__name__}, {m.rnn.input_size}, "
                                     f"{m.rnn.hidden_size}, {m.rnn.num_layers})"),
    _Reshape: lambda m, emit: f"_Reshape({tuple(m.shape)!r})",
    _LastStep: lambda m, emit: "_LastStep()",
    stacked.ResidualReduction: lambda m, emit: (f"ResidualReduction({m.conv_a[1].in_channels}, "
                                                f"{m.conv_a[1].out_channels})"),
    stacked.StackedNet: lambda m, emit: (f"StackedNet({emit(m.stem)}, {emit(m.body)}, "
                                         f"{emit(m.head)})"),
    darts_net.StridedZero: lambda m, emit: f"StridedZero({m.stride})",
    darts_net.FactorizedReduce: lambda m, emit: (f"FactorizedReduce({m.conv_1.in_channels}, "
                                                 f"{m.bn.num_features})"),
    darts_net.DartsCell: lambda m, emit: (f"DartsCell({emit(m.pre0)}, {emit(m.pre1)}, "
                                          f"{emit(m.edges)}, {m.sources!r})"),
    darts_net.DartsNet: lambda m, emit: (f"DartsNet({emit(m.stem)}, {emit(m.cells)}, "
                                         f"{emit(m.head)})"),
}
_HELPERS = (op_library._one_value_per_channel, stacked._relu_conv_bn)


class _Writer:
    """Writes one network as source: the expression that builds it, the classes and the
    imports it needs."""

    def __init__(self, space: Any, arch: dict[str, Any] | None) -> None:
        self.space, self.arch = space, arch
        self.classes: dict[type, None] = {}
        self.imports: dict[str, str] = {}  # alias -> import line

    def emit(self, m: nn.Module) -> str:
        cls = type(m)
        if cls is nn.Sequential:
            return f"nn.Sequential({', '.join(self.emit(c) for c in m)})"
        if cls is nn.ModuleList:
            return f"nn.ModuleList([{', '.join(self.emit(c) for c in m)}])"
        if cls is nn.ModuleDict:
            items = ", ".join(f"{k!r}: {self.emit(c)}" for k, c in m.items())
            return f"nn.ModuleDict({{{items}}})"
        if cls is ArchNet:
            return self._archnet(m)
        if cls in _OWN:
            self.classes[cls] = None
            return _OWN[cls](m, self.emit)
        if cls in _LEAVES:
            return _LEAVES[cls](m)
        raise ValueError(f"cannot export a {cls.__module__}.{cls.__qualname__} module: only the "
                         "networks this package builds (space.build, with or without a stack) "
                         "export; a DARTS supernet must be retrained into its derived "
                         "architecture first")

    def _archnet(self, m: ArchNet) -> str:
        self.classes[ArchNet] = None
        custom = self._custom_edges(m)
        edges = ", ".join(f"{k!r}: {custom[k] if k in custom else self.emit(c)}"
                          for k, c in m.edge_ops.items())
        projections = ", ".join(f"{k!r}: {self.emit(c)}" for k, c in m.projections.items())
        return (f"ArchNet({self.emit(m.stem)}, {m.order!r}, {m.plan!r}, {m.merges!r}, "
                f"{m.shapes!r}, {{{edges}}}, {{{projections}}}, {self.emit(m.head)})")

    def _custom_edges(self, m: ArchNet) -> dict[str, str]:
        """Edges whose operation is not built in: a call of the op's own factory."""
        if self.space is None or self.arch is None:
            return {}
        out = {}
        src_of = {k: s for plan in m.plan.values() for k, s in plan}
        for edge, op in active_edges(self.space, self.space.canonical(self.arch)):
            key = f"e{self.space.edges.index(edge)}"
            if key not in m.edge_ops or ops.info(op)["builtin"]:
                continue
            module, qualname = ops.factory_path(op)
            if module == "__main__" or "<locals>" in qualname:
                raise ValueError(
                    f"operation {op!r} is defined in {module}{'' if module == '__main__' else ' inside a function'}: "
                    "move its factory to an importable module to export the network")
            alias = "_op_" + "".join(ch if ch.isalnum() else "_" for ch in op)
            self.imports[alias] = f"from {module} import {qualname.split('.')[0]} as {alias}"
            attr = "".join(f".{part}" for part in qualname.split(".")[1:])
            kwargs = ops.filter_kwargs(op, edge_kwargs(self.space, edge, self.arch))
            out[key] = f"{alias}{attr}({m.shapes[src_of[key]]!r}, **{kwargs!r})[0]"
        return out


def model_source(model: nn.Module, space: Any = None, arch: dict[str, Any] | None = None) -> str:
    """Python source whose ``build()`` returns a network like ``model`` (fresh weights).

    ``space`` and ``arch`` are needed only when the network has custom operations (their
    factories are imported by name). ValueError for a module that cannot be written.

    Example:
        >>> ns = {}
        >>> exec(model_source(nn.Sequential(nn.Linear(3, 2), nn.ReLU())), ns)
        >>> ns["build"]()
        Sequential(
          (0): Linear(in_features=3, out_features=2, bias=True)
          (1): ReLU()
        )
    """
    writer = _Writer(space, arch)
    expr = writer.emit(model)
    parts = ['"""A network exported by nasbench_ui; it needs only torch.\n\n'
             "    net = build(); net.load_state_dict(torch.load(\"weights.pt\"))\n"
             '"""\n', "from __future__ import annotations\n", "from typing import Any\n",
             "import torch", "import torch.nn.functional as F", "from torch import nn\n",
             *sorted(writer.imports.values()), "\nShape = tuple[int, ...]\n"]
    if writer.classes:
        parts += [inspect.getsource(f) for f in _HELPERS]
        parts += [inspect.getsource(cls) for cls in writer.classes]
    parts.append(f"\ndef build() -> nn.Module:\n    return {expr}\n")
    return "\n".join(parts)


def _load_source(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"_nbui_export_{abs(hash(path))}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _same(a: torch.Tensor, b: torch.Tensor, what: str) -> None:
    if a.shape != b.shape or not torch.allclose(a, b, atol=1e-5, rtol=1e-5):
        diff = (a - b).abs().max().item() if a.shape == b.shape else f"shape {tuple(a.shape)}"
        raise RuntimeError(f"export: the {what} does not reproduce the network ({diff})")


def export_model(model: nn.Module, folder: str | Path, *, space: Any, arch: dict[str, Any],
                 input_shape: Sequence[int], num_classes: int, stack: Any = None,
                 onnx: bool | None = None) -> dict[str, Path]:
    """Write ``model`` as source, weights, architecture, TorchScript and (where possible)
    ONNX into ``folder`` (created); returns ``{kind: path}``.

    ``onnx=None`` writes ONNX where the ``onnx`` package imports, ``True`` requires it
    (ImportError otherwise), ``False`` skips it. Each file is checked against the
    network on a random input before the next is written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model = model.cpu().eval()
    shape = tuple(int(v) for v in input_shape)
    example = torch.randn(2, *shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = model(example)
    out: dict[str, Path] = {}
    source = model_source(model, space, arch)
    out["source"] = folder / "model.py"
    out["source"].write_text(source)
    out["weights"] = folder / "weights.pt"
    torch.save(model.state_dict(), out["weights"])
    rebuilt = _load_source(out["source"]).build()
    rebuilt.load_state_dict(torch.load(out["weights"], weights_only=True))
    with torch.no_grad():
        _same(rebuilt.eval()(example), expected, "exported source")
    out["arch"] = folder / "arch.json"
    meta = {"format": "nasbench_ui.export", "version": 1, "space": space.to_dict(),
            "arch": space.canonical(arch), "input_shape": list(shape),
            "num_classes": int(num_classes),
            "stack": None if stack is None else vars(stacked.Stack.from_dict(stack))}
    out["arch"].write_text(json.dumps(meta, indent=1))
    out["torchscript"] = folder / "model.torchscript.pt"
    with torch.no_grad(), warnings.catch_warnings():
        # a trace keeps the shapes of this input; the check below runs it on the same one
        # TorchScript is deprecated from torch 2.13 on (torch.export replaces it); the
        # issue asks for the file, which every torch since 1.x loads
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        traced = torch.jit.trace(model, example)
        traced.save(str(out["torchscript"]))
        _same(torch.jit.load(str(out["torchscript"]))(example), expected, "TorchScript file")
    if onnx is None:
        onnx = importlib.util.find_spec("onnx") is not None
    if onnx:
        out["onnx"] = folder / "model.onnx"
        _export_onnx(model, example, out["onnx"])
    return out


def _export_onnx(model: nn.Module, example: torch.Tensor, path: Path) -> None:
    import onnx  # noqa: F401 - the `export` extra; ImportError names it

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", DeprecationWarning)  # the TorchScript-based exporter
        # strided slices (DARTS's FactorizedReduce and stride-2 'none') are exported as they are
        warnings.filterwarnings("ignore", message="Constant folding")
        torch.onnx.export(model, (example,), str(path), input_names=["x"], output_names=["logits"],
                          dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}}, dynamo=False)

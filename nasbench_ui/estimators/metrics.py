"""Secondary objectives of a model: trainable parameters, FLOPs and latency on a device.

* :func:`count_params` counts trainable parameters.
* :func:`count_flops` runs one sample through the model under
  ``torch.utils.flop_counter.FlopCounterMode`` and returns the total it counted (a
  multiply-add counts as 2 FLOPs; only the operators PyTorch's counter knows are
  counted: matrix products, convolutions, attention). PyTorch's counter misses some
  fused recurrent kernels (``nn.LSTM`` on the CPU, cuDNN RNNs); for a recurrent layer
  it saw nothing of, the matrix products are added analytically
  (``2 * gates * hidden * (input + hidden)`` per step, layer and direction). It returns None instead of raising when the model cannot be
  traced that way.
* :func:`measure_latency` is the median wall time of one forward pass over a batch, in
  milliseconds, after warm-up runs (synchronising CUDA / MPS around each run).
* :class:`MetricsCache` gives all three for a trial's model, measured once per
  architecture: an estimator keeps one per instance, keyed by the architecture's
  canonical JSON, the input shape, the number of classes and the device, so a pruned
  trial and a repeated architecture cost no second measurement.

Example:
    >>> from torch import nn
    >>> m = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    >>> count_params(m), count_flops(m, (2, 2))
    (15, 24)
    >>> measure_latency(m, (2, 2), runs=3, warmup=1) > 0
    True
"""

from __future__ import annotations

import contextlib
import json
import statistics
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import torch
from torch import nn


def count_params(model: nn.Module) -> int:
    """The number of trainable parameters (``requires_grad``) of ``model``."""
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


@contextlib.contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Put ``model`` in eval mode under ``torch.no_grad`` and restore its mode after."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was_training)


def _input(input_shape: Sequence[int], batch: int, device: str | torch.device) -> torch.Tensor:
    shape = tuple(int(v) for v in input_shape)
    if not shape or any(v < 1 for v in shape):
        raise ValueError(f"input_shape must be a tuple of positive ints, got {input_shape!r}")
    # a private generator: measuring never advances the caller's global RNG
    return torch.randn((batch, *shape), generator=torch.Generator().manual_seed(0)).to(device)


def count_flops(
    model: nn.Module, input_shape: Sequence[int], device: str | torch.device = "cpu"
) -> int | None:
    """Total FLOPs of one forward pass on a batch of one sample (None if it cannot count).

    ``input_shape`` excludes the batch dimension. The model must already be on
    ``device``; its training mode is restored afterwards.
    """
    from torch.utils.flop_counter import FlopCounterMode

    x = _input(input_shape, 1, device)
    recurrent: dict[int, int] = {}

    def hook(module: nn.Module, args: tuple[object, ...], _out: object) -> None:
        recurrent[id(module)] = recurrent.get(id(module), 0) + (rnn_flops(module, args[0])
                                                                if args else 0)

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, nn.RNNBase)]
    try:
        with eval_mode(model):
            counter = FlopCounterMode(display=False)
            with counter:
                model(x)
        total = int(counter.get_total_flops())
        if recurrent:  # add the recurrent layers the counter saw nothing of (LSTM on CPU)
            counted = {k for k, v in counter.get_flop_counts().items() if sum(v.values())}
            for name, m in model.named_modules():
                if id(m) in recurrent and not any(
                        k.endswith("." + name) or k == name for k in counted):
                    total += recurrent.pop(id(m))
        return total
    except Exception:  # a metric must never fail a trial
        return None
    finally:
        for h in handles:
            h.remove()


def rnn_flops(module: nn.Module, x: object) -> int:
    """FLOPs of the matrix products of a recurrent layer on input ``x`` (0 if unknown)."""
    if not isinstance(module, nn.RNNBase) or not isinstance(x, torch.Tensor) or x.dim() < 2:
        return 0
    gates = {"LSTM": 4, "GRU": 3}.get(module.mode, 1)
    if x.dim() == 2:
        steps, batch = x.shape[0], 1
    else:
        batch, steps = (x.shape[0], x.shape[1]) if module.batch_first else (x.shape[1], x.shape[0])
    dirs = 2 if module.bidirectional else 1
    h = module.hidden_size
    out_h = module.proj_size if getattr(module, "proj_size", 0) else h
    total = 0
    for layer in range(module.num_layers):
        features = module.input_size if layer == 0 else out_h * dirs
        total += 2 * gates * h * (features + out_h) * dirs
    return int(total * steps * batch)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def measure_latency(
    model: nn.Module,
    input_shape: Sequence[int],
    device: str | torch.device = "cpu",
    batch_size: int = 64,
    runs: int = 10,
    warmup: int = 3,
) -> float:
    """Median milliseconds of one forward pass over ``batch_size`` random inputs.

    The model must already be on ``device``; it runs in eval mode under
    ``torch.no_grad`` and its training mode is restored afterwards.
    """
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise ValueError(f"runs must be a positive int, got {runs!r}")
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be an int >= 0, got {warmup!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    dev = torch.device(device)
    x = _input(input_shape, batch_size, dev)
    times: list[float] = []
    with eval_mode(model):
        for _ in range(warmup):
            model(x)
        for _ in range(runs):
            _sync(dev)
            start = time.perf_counter()
            model(x)
            _sync(dev)
            times.append((time.perf_counter() - start) * 1000.0)
    return float(statistics.median(times))


LATENCY_BATCH = 64


def arch_key(space: Any, arch: Mapping[str, Any]) -> str:
    """The canonical JSON of ``arch`` in ``space`` (sorted keys), a cache key.

    Example:
        >>> from nasbench_ui import spaces
        >>> arch_key(spaces.nb201(4), {lb: "skip_connect" for lb in spaces.nb201(4).labels})[:20]
        '{"1<-0":"skip_connec'
    """
    return json.dumps(space.canonical(dict(arch)), sort_keys=True, separators=(",", ":"))


class MetricsCache:
    """``params``, ``flops`` and ``latency_ms`` of built models, measured once per key.

    A key is ``(space JSON, canonical arch JSON, input shape, classes, device)``. The
    latency is measured only when ``latency_runs > 0``; an entry measured without it
    gains it the first time it is asked for. At most ``max_size`` entries are kept
    (least recently used dropped). Thread-safe; a model is measured outside the lock.

    Example:
        >>> from nasbench_ui import spaces
        >>> space, cache = spaces.nb201(4), MetricsCache()
        >>> arch = {lb: "nor_conv_3x3" for lb in space.labels}
        >>> build = lambda: space.build(arch, (1, 8, 8), 10)
        >>> first = cache.get(space, arch, (1, 8, 8), 10, "cpu", build, latency_runs=2)
        >>> sorted(first), cache.measured
        (['flops', 'latency_ms', 'params'], 1)
        >>> cache.get(space, arch, (1, 8, 8), 10, "cpu", build, latency_runs=2) == first
        True
        >>> cache.measured  # the second trial of the same architecture measured nothing
        1
    """

    def __init__(self, max_size: int = 4096, latency_batch: int = LATENCY_BATCH) -> None:
        self.max_size, self.latency_batch = int(max_size), int(latency_batch)
        self.measured = 0  # how many times a model was measured (for tests and logs)
        self._entries: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:  # a copy (Dask) starts empty
        return {"max_size": self.max_size, "latency_batch": self.latency_batch}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, space: Any, arch: Mapping[str, Any], input_shape: Sequence[int],
            num_classes: int, device: str | torch.device,
            model: nn.Module | Callable[[], nn.Module], latency_runs: int = 10,
            ) -> dict[str, Any]:
        """The metrics of ``arch``'s network; ``model`` (a module on ``device``, or a
        function that builds one) is measured only when the cache lacks them."""
        key = (space.to_json(), arch_key(space, arch),
               tuple(int(v) for v in input_shape), int(num_classes), str(device))
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
        want_latency = latency_runs > 0
        if entry is not None and (not want_latency or "latency_ms" in entry):
            return {k: v for k, v in entry.items() if want_latency or k != "latency_ms"}
        module = model if isinstance(model, nn.Module) else model()
        module = module.to(device)
        fresh = dict(entry or {})
        if entry is None:
            fresh["params"] = count_params(module)
            fresh["flops"] = count_flops(module, input_shape, device)
        if want_latency:
            fresh["latency_ms"] = measure_latency(module, input_shape, device,
                                                  batch_size=self.latency_batch,
                                                  runs=int(latency_runs))
        with self._lock:
            self.measured += 1
            self._entries[key] = fresh
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_size:
                self._entries.popitem(last=False)
        return dict(fresh)

"""Choosing and describing the device a search runs on.

Example:
    >>> resolve_device("cpu")
    'cpu'
    >>> describe_device("cpu").startswith("cpu")
    True
"""

from __future__ import annotations

import torch

from . import threads


def resolve_device(device: str = "auto") -> str:
    """``"auto"`` picks CUDA, then MPS, then CPU; other names are checked."""
    if not isinstance(device, str):
        raise ValueError(f"device must be a string such as 'auto', 'cpu' or 'cuda:0', got {device!r}")
    if device == "auto":
        if torch.cuda.is_available():
            return "cuda:0"
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return "mps"
        return "cpu"
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError):
        raise ValueError(f"unknown device {device!r}; use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {device!r} asked for CUDA, but torch sees no CUDA GPU here; use 'auto' or 'cpu'")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"device {device!r}: only {torch.cuda.device_count()} CUDA device(s) exist")
        return f"cuda:{dev.index or 0}"
    if dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError("device 'mps' is not available on this machine; use 'auto' or 'cpu'")
        return "mps"
    if dev.type != "cpu":
        raise ValueError(f"unsupported device {device!r}; use 'auto', 'cpu', 'cuda:N' or 'mps'")
    return "cpu"


def describe_device(device: str = "auto") -> str:
    """What the kernel will use, e.g. ``"cuda:0 NVIDIA H100"`` or, on the CPU, how many
    threads trials use (see :mod:`nasbench_ui.threads`):
    ``"cpu, threads chosen per trial, 1 for small models (2 usable CPUs, ...)"`` or
    ``"cpu, 1 thread (OMP_NUM_THREADS=1 in the environment)"``."""
    dev = resolve_device(device)
    if dev.startswith("cuda"):
        return f"{dev} {torch.cuda.get_device_name(torch.device(dev))}"
    if dev == "mps":
        return "mps (Apple GPU)"
    return f"cpu, {threads.describe()}"

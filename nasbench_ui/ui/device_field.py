"""The search panel's device choice: the devices this machine offers, and what each is.

Example:
    >>> device_options()[:2]
    ['auto', 'cpu']
    >>> "cpu" in str(describe("cpu")).lower()
    True
"""

from __future__ import annotations

import torch

from ..devices import describe_device
from .text import Markup, error_html, esc, markup

__all__ = ["describe", "device_options"]


def device_options() -> list[str]:
    """``auto``, ``cpu``, then each CUDA device and Apple's ``mps`` where present."""
    opts = ["auto", "cpu"]
    if torch.cuda.is_available():
        opts += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if torch.backends.mps.is_available():
        opts.append("mps")
    return opts


def describe(device: str) -> Markup:
    """What ``device`` is here, as page markup (a device name from an imported config
    is shown as text)."""
    try:
        text = esc(describe_device(device))
    except ValueError as e:  # a config from another machine: say why it cannot run here
        text = error_html(e)
    return markup("<small>{}</small>", text)

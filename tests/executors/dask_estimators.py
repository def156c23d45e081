"""A slow, deterministic estimator that Dask worker processes can import.

Importing this module registers ``test_sleepy``. Worker processes import it by its
module name (``dask_estimators``), so its folder must be on their ``sys.path``: the
test module puts it there before the cluster starts, and spawned workers inherit it.

Example:
    >>> from nasbench_ui import spaces
    >>> from nasbench_ui.estimators import EstimateContext
    >>> arch = {label: "nor_conv_3x3" for label in spaces.nb201().labels}
    >>> Sleepy(seconds=0.0).estimate(arch, EstimateContext(space=None, dataset=None)).value
    1.0
"""

from __future__ import annotations

import time
from typing import Any

from nasbench_ui import estimators
from nasbench_ui.estimators import Estimate, EstimateContext
from nasbench_ui.options import Option


def score(arch: dict[str, Any]) -> float:
    """The objective: the share of 3x3 convolutions among the cell's edges."""
    return sum(v == "nor_conv_3x3" for v in arch.values()) / max(1, len(arch))


class Sleepy:
    """Sleeps ``seconds`` in two epochs (checking for a stop), then returns :func:`score`."""

    NAME = "test_sleepy"
    OPTIONS = {"seconds": Option(float, 0.5, low=0.0, help="time one trial takes")}

    def __init__(self, seconds: float = 0.5) -> None:
        self.seconds = seconds

    def estimate(self, arch: dict[str, Any], ctx: EstimateContext) -> Estimate:
        for epoch in (1, 2):
            end = time.monotonic() + self.seconds / 2
            while time.monotonic() < end:
                ctx.check_stop()
                time.sleep(0.01)
            ctx.report({"epoch": epoch, "valid_acc": score(arch) * epoch / 2})
        return Estimate(score(arch), {"valid_acc": score(arch)})


estimators.register("test_sleepy", Sleepy, replace=True)

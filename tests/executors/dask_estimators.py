"""Deterministic estimators that Dask worker processes can import.

Importing this module registers ``test_sleepy`` (slow, reads no history),
``test_median`` (instant, applies early_stop's median rule to a synthetic curve and
declares ``HISTORY = ("curve",)``), ``test_nosy`` (calls ``ctx.history()`` without
declaring it) and ``test_bad_history`` (a bad ``HISTORY``). Worker processes import it
by its module name (``dask_estimators``), so its folder must be on their ``sys.path``:
the test module puts it there before the cluster starts, and spawned workers inherit it.

Example:
    >>> from nasbench_ui import spaces
    >>> from nasbench_ui.estimators import EstimateContext
    >>> arch = {label: "nor_conv_3x3" for label in spaces.nb201().labels}
    >>> Sleepy(seconds=0.0).estimate(arch, EstimateContext(space=None, dataset=None)).value
    1.0
"""

from __future__ import annotations

import json
import os
import random
import time
from typing import Any

from nasbench_ui import estimators
from nasbench_ui.estimators import Estimate, EstimateContext, Pruned
from nasbench_ui.estimators.early_stop import median_of_others
from nasbench_ui.options import Option

NAMES = ("test_sleepy", "test_median", "test_nosy", "test_bad_history")
MEDIAN_EPOCHS = 4
MEDIAN_MIN_TRIALS = 3


def score(arch: dict[str, Any]) -> float:
    """The objective: the share of 3x3 convolutions among the cell's edges."""
    return sum(v == "nor_conv_3x3" for v in arch.values()) / max(1, len(arch))


class Sleepy:
    """Sleeps ``seconds`` in two epochs (checking for a stop), then returns :func:`score`.
    With ``gate`` (a file path), a trial first waits until that file exists: a test can
    then act on a trial that is surely running on its worker."""

    NAME = "test_sleepy"
    OPTIONS = {"seconds": Option(float, 0.5, low=0.0, help="time one trial takes"),
               "gate": Option(str, "", help="a file path: each trial waits until it exists")}

    def __init__(self, seconds: float = 0.5, gate: str = "") -> None:
        self.seconds, self.gate = seconds, gate

    def estimate(self, arch: dict[str, Any], ctx: EstimateContext) -> Estimate:
        while self.gate and not os.path.exists(self.gate):
            ctx.check_stop()
            time.sleep(0.01)
        for epoch in (1, 2):
            end = time.monotonic() + self.seconds / 2
            while time.monotonic() < end:
                ctx.check_stop()
                time.sleep(0.01)
            ctx.report({"epoch": epoch, "valid_acc": score(arch) * epoch / 2})
        return Estimate(score(arch), {"valid_acc": score(arch)})


def synthetic_curve(arch: dict[str, Any]) -> list[float]:
    """A deterministic validation curve of ``MEDIAN_EPOCHS`` points for ``arch``."""
    noise = random.Random(json.dumps(arch, sort_keys=True))
    base = 0.3 + 0.4 * score(arch) + 0.2 * noise.random()
    return [round(min(1.0, base * (0.7 + 0.1 * e) + 0.02 * noise.random()), 6)
            for e in range(1, MEDIAN_EPOCHS + 1)]


def median_decision(curve: list[float], history: list[Any], number: int) -> int | None:
    """The epoch at which early_stop's median rule stops ``curve``, or None."""
    best = 0.0
    for epoch, acc in enumerate(curve, start=1):
        best = max(best, acc)
        if 1 < epoch < len(curve):
            median, n = median_of_others(history, number, epoch)
            if median is not None and n >= MEDIAN_MIN_TRIALS and best < median:
                return epoch
    return None


class Median:
    """Instant: reports :func:`synthetic_curve` and prunes it by the median rule."""

    NAME = "test_median"
    OPTIONS: dict[str, Option] = {}
    HISTORY = ("curve",)

    def estimate(self, arch: dict[str, Any], ctx: EstimateContext) -> Estimate:
        curve = synthetic_curve(arch)
        history = ctx.history()
        seen = sorted(t.number for t in history)
        stop = median_decision(curve, history, ctx.number)
        for epoch, acc in enumerate(curve[:stop], start=1):
            ctx.report({"epoch": epoch, "valid_acc": acc})
        metrics = {"seen": seen, "valid_acc": max(curve[:stop])}
        if stop is not None:
            raise Pruned(f"median rule at epoch {stop}", max(curve[:stop]), metrics)
        return Estimate(max(curve), metrics)


class Nosy:
    """Reads ``ctx.history()`` but declares no ``HISTORY``."""

    NAME = "test_nosy"
    OPTIONS: dict[str, Option] = {}

    def estimate(self, arch: dict[str, Any], ctx: EstimateContext) -> Estimate:
        return Estimate(float(len(ctx.history())))


class BadHistory(Nosy):
    """Declares a trial field that does not exist."""

    NAME = "test_bad_history"
    HISTORY = ("curves",)


estimators.register("test_sleepy", Sleepy, replace=True)
estimators.register("test_median", Median, replace=True)
estimators.register("test_nosy", Nosy, replace=True)
estimators.register("test_bad_history", BadHistory, replace=True)

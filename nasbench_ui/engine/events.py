"""What the engine tells the world (:class:`Event`), the pause / stop flags it shares
with the caller's thread (:class:`Control`), and the error texts of failed trials.

Example:
    >>> Event("status", "exp", None, {"status": "running"}).data["status"]
    'running'
    >>> c = Control(); c.running.is_set(), c.stop.is_set()
    (True, False)
"""

from __future__ import annotations

import math
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    """What observers receive: ``kind`` is trial_start, curve, trial_finish, status or
    steer (a change of budget, constraints or strategy: ``data["change"]``, ``"new"``,
    ``"old"``, ``"at"``; emitted on the thread that made it).

    Example:
        >>> Event("trial_finish", "e", 3, {"state": "COMPLETE"}).number
        3
    """

    kind: str
    experiment: str
    number: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


def _is_oom(err: BaseException) -> bool:
    return "out of memory" in str(err).lower() or type(err).__name__ == "OutOfMemoryError"


def error_text(err: BaseException) -> str:
    """A one-line error and a short traceback summary (the last frames).

    Example:
        >>> try:
        ...     1 / 0
        ... except ZeroDivisionError as e:
        ...     text = error_text(e)
        >>> text.splitlines()[0], "in <module>" in text
        ('ZeroDivisionError: division by zero', True)
    """
    head = f"{type(err).__name__}: {err}"
    if _is_oom(err):
        head = f"out of memory: {err}"
    frames = traceback.extract_tb(err.__traceback__)[-4:]
    tb = " | ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}" for f in frames)
    return f"{head}\n  at {tb}" if tb else head


def timeout_text(seconds: float) -> str:
    """The error of a trial that ran past ``trial_timeout``.

    Example:
        >>> timeout_text(2.5).split(":")[0]
        'timeout after 2.5 s'
    """
    return f"timeout after {seconds:g} s: the trial ran longer than trial_timeout"


class Control:
    """Pause / stop flags shared by the loop and the caller's thread.

    Both are ``threading.Event``: ``stop`` set asks the search to end (the running
    trial ends INTERRUPTED); ``running`` cleared pauses it after the current epoch.

    Example:
        >>> c = Control(); c.stop.set(); c.wait_if_paused()  # a stop ends any wait
        >>> c.stop.is_set()
        True
    """

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.running = threading.Event()
        self.running.set()  # set = not paused

    def wait_if_paused(self) -> None:
        """Block while paused (until resumed or stopped)."""
        while not self.running.wait(0.05):
            if self.stop.is_set():
                return


def pace_wait(pace: float | None, metrics: dict[str, Any], started: float,
              control: Control) -> None:
    """Slow a search to ``pace`` times real time: a trial charged ``cost_s`` simulated
    seconds (a table's own training time) takes at least ``cost_s / pace`` seconds of
    wall time. A stop ends the wait at once; a pause does not count.

    Example:
        >>> c = Control(); t0 = time.time()
        >>> pace_wait(100.0, {"cost_s": 5.0}, t0, c); time.time() - t0 >= 0.05
        True
        >>> pace_wait(None, {"cost_s": 5.0}, time.time(), c)  # None: full speed
    """
    cost = metrics.get("cost_s")
    if pace is None or not isinstance(cost, (int, float)) or not math.isfinite(cost):
        return
    left = float(cost) / pace - (time.time() - started)
    while left > 0 and not control.stop.is_set():
        if not control.running.is_set():
            control.wait_if_paused()  # the pause does not count
            continue
        step = min(left, 0.05)
        control.stop.wait(step)
        left -= step

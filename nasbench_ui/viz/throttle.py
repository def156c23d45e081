"""``Throttle``: run a function from one daemon thread, at most once per interval.

Live charts are fed by callers that may report hundreds of changes a second; the
browser needs a few pushes a second. ``poke()`` only sets an event (microseconds, never
blocks); the thread wakes, waits until ``interval`` seconds have passed since its last
call, and calls ``fn()`` once for every poke in between: the first poke is served at
once, a burst after it by one more call an interval later. It also keeps itself to about
a third of the time busy: after a call that took ``c`` seconds it waits at least ``2c``.
A call that returns ``False`` declined to act (it is not counted, and the next poke is
served at once).

Example:
    >>> import time
    >>> calls = []
    >>> th = Throttle(lambda: calls.append(1), interval=0.05)
    >>> for _ in range(1000):
    ...     th.poke()
    >>> time.sleep(0.2); th.close()
    >>> len(calls) in (1, 2)
    True
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

__all__ = ["Throttle"]

log = logging.getLogger(__name__)


class Throttle:
    """Call ``fn()`` from a daemon thread after ``poke()``, at most once per ``interval``."""

    def __init__(self, fn: Callable[[], object], interval: float = 0.25,
                 name: str = "nbui-throttle") -> None:
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or interval < 0:
            raise ValueError(f"interval must be a number of seconds >= 0, got {interval!r}")
        self.fn, self.interval, self.name = fn, float(interval), name
        self.calls = 0
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def poke(self) -> None:
        """Ask for a call soon (starts the thread on first use)."""
        self._wake.set()
        if self._thread is None:
            with self._start_lock:
                if self._thread is None and not self._closed.is_set():
                    self._thread = threading.Thread(target=self._run, name=self.name,
                                                    daemon=True)
                    self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def close(self, timeout: float = 2.0) -> None:
        """Stop the thread (a call in progress finishes first)."""
        self._closed.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        last, cost = float("-inf"), 0.0
        while not self._closed.is_set():
            self._wake.wait()
            delay = last + max(self.interval, 2 * cost) - time.monotonic()
            if self._closed.is_set() or (delay > 0 and self._closed.wait(delay)):
                return
            self._wake.clear()  # pokes from now on ask for the next call
            start = time.monotonic()
            try:
                if self.fn() is False:
                    continue  # fn declined (it will poke again): not a call
            except Exception:  # the thread must outlive one bad call
                log.exception("nasbench_ui: %s failed", self.name)
            self.calls += 1
            last = time.monotonic()
            cost = last - start

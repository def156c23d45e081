"""``HeapFreeze``: keep Python's full garbage collections short while a search runs.

A notebook kernel holds about half a million objects that the cyclic garbage collector
tracks (torch, scikit-learn, Bokeh, Jupyter), and a fast search adds long-lived ones
(its trials) quickly enough to trigger a full collection every few seconds. Each full
collection scans every tracked object with the interpreter lock held: measured in
``benchmarks/ui_responsiveness.py`` at 0.3-0.47 s each (10 in 60 s, 2.4 s in all), a
pause of the search, of the live charts (the largest chart lags) and of every cell.

``gc.freeze()`` moves the objects alive at that moment to a permanent generation that
collections skip (CPython's own remedy, see the ``gc`` documentation); ``gc.unfreeze()``
returns them. So a run freezes the heap once, after its first step (imports done, data
loaded; a full collection first, so the first trial's garbage, a model in a cycle
say, is freed and not frozen), and again after each full collection (what the search
keeps, its trials in the workbench's cache, would otherwise be scanned by each one: a
0.58 s pause at 200,000 trials). The last run of the process to end unfreezes it: an
object alive at a freeze that becomes cyclic garbage during the search is collected
when the search ends, so nothing is held longer than a search.
Runs in several threads share one freeze (a count under a lock).
``NASBENCH_UI_GC_FREEZE=0`` in the environment turns it off.

Example:
    >>> import gc
    >>> with HeapFreeze() as heap:
    ...     heap.after_step()
    ...     frozen = gc.get_freeze_count() > 0 or not heap.enabled
    >>> frozen, HeapFreeze.active()
    (True, 0)
"""

from __future__ import annotations

import gc
import os
import threading
from types import TracebackType

__all__ = ["ENV", "HeapFreeze"]

ENV = "NASBENCH_UI_GC_FREEZE"


class HeapFreeze:
    """One run's share of the process-wide freeze (see the module docstring): enter it
    around the run, call :meth:`after_step` after each step (it freezes once)."""

    _lock = threading.Lock()
    _holders = 0  # runs that froze the heap and have not ended

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = os.environ.get(ENV, "1").strip() != "0" if enabled is None else enabled
        self._held = False
        self._full = 0  # full collections counted at the last freeze

    @classmethod
    def active(cls) -> int:
        """How many runs of this process hold the freeze now."""
        with cls._lock:
            return cls._holders

    def after_step(self) -> None:
        """Freeze the heap the first time this run calls it, and again after each full
        collection since (what the search made and kept: its trials)."""
        if not self.enabled:
            return
        if self._held:
            full = gc.get_stats()[2]["collections"]
            if full != self._full:  # the garbage was just collected: freeze what is kept
                self._full = full
                gc.freeze()
            return
        with HeapFreeze._lock:
            HeapFreeze._holders += 1
            self._held = True
            if HeapFreeze._holders == 1:
                gc.collect()  # garbage of the first step (a model in a cycle) is not frozen
            gc.freeze()
            self._full = gc.get_stats()[2]["collections"]

    def release(self) -> None:
        """End this run's share; the last run to end unfreezes the heap."""
        if not self._held:
            return
        with HeapFreeze._lock:
            self._held = False
            HeapFreeze._holders -= 1
            if HeapFreeze._holders == 0:
                gc.unfreeze()

    def __enter__(self) -> HeapFreeze:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

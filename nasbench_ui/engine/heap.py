"""``HeapFreeze``: keep Python's full garbage collections short while a search runs.

A notebook kernel holds about half a million objects that the cyclic garbage collector
tracks (torch, scikit-learn, Bokeh, Jupyter), and a fast search adds long-lived ones
(its trials, and the workbench's cache of them) quickly enough to trigger a full
collection every few seconds. Each full collection scans every tracked object with the
interpreter lock held: measured in ``benchmarks/ui_responsiveness.py`` at 0.3-0.58 s
each (6.4 s of collections in a 120 s run), a pause of the search, of the live charts
and of every cell.

``gc.freeze()`` moves the objects alive at that moment to a permanent generation that
collections skip (CPython's own remedy, see the ``gc`` documentation); ``gc.unfreeze()``
returns them. So at the end of each step after a full collection (by the collector or
anyone's ``gc.collect()``) while a run goes on, the run's loop freezes the heap, and the
next full collection scans only what was made since. A short run, with no full
collection, does nothing. A step longer than ``SLOW_STEP_S``, not counting the time the
collector paused it (the hook times each collection), first collects again (its
trial may have dropped a model that a reference cycle keeps alive, say a hook's closure:
frozen, it would hold its memory, a GPU's too, until the search ends; one more
collection is nothing against such a step); a faster step freezes at once (a second
collection would double the pause the search just took, and such a step made few
objects since). The first full collection inside a run scans the kernel's whole heap
plus every trial kept so far: 0.30-0.38 s, 20-40 s into a 2,000 trials/s search, a chart
lag spike of 1.2-1.5 s in ``benchmarks/ui_responsiveness.py``. So a run in the
background (``start()``: someone watches it) that may be long (``EARLY_TRIALS`` trials or
more, or no trial limit) collects and freezes when it enters, before its first trial,
while nothing is shown yet (``early=True``); its full collections then scan only what it
made. A run in the foreground (``run()``, scripts and benchmarks) or a short one is left
to the collector until its first full collection, as before. The last run of the
process to end unfreezes the heap: what became
cyclic garbage while frozen is collected by the next full collection (the trainer's
out-of-memory guard runs one). Runs in several threads share this (a count under a
lock). The heap is left alone when something else froze objects before (a caller that
manages the heap itself), and ``NASBENCH_UI_GC_FREEZE=0`` in the environment turns it
off. A workbench that follows a search another process runs keeps that search's trials
in this kernel as a run of its own would, so its poller manages the heap the same way
while it follows (``ui/live_view.py``; without it, the full collections grew with the
trials kept, 0.29 to 0.51 s in a 120 s run of ``benchmarks/ui_follow.py``, each a chart
lag spike of up to 1.9 s).

Example:
    >>> import gc
    >>> with HeapFreeze(enabled=True) as heap:
    ...     heap.after_step()
    ...     untouched = gc.get_freeze_count() == 0  # no full collection yet
    ...     _ = gc.collect()
    ...     heap.after_step()
    ...     frozen = gc.get_freeze_count() > 0
    >>> untouched, frozen, gc.get_freeze_count(), HeapFreeze.active()
    (True, True, 0, 0)
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
import time
from types import TracebackType

__all__ = ["EARLY_TRIALS", "ENV", "SLOW_STEP_S", "HeapFreeze"]

ENV = "NASBENCH_UI_GC_FREEZE"
SLOW_STEP_S = 0.05  # a step this long collects once more before the heap is frozen
EARLY_TRIALS = 256  # a background run allowed this many trials freezes as it enters


def _count_full(phase: str, info: dict) -> None:
    """A ``gc.callbacks`` hook while a run goes on: counts the full collections and the
    seconds spent collecting (two clock reads per collection; ``gc.get_stats()`` after
    every step cost a fast search 3 %)."""
    if phase == "start":
        HeapFreeze._started = time.perf_counter()
        return
    HeapFreeze.gc_seconds += time.perf_counter() - HeapFreeze._started
    if info.get("generation") == 2:
        HeapFreeze.full_collections += 1


class HeapFreeze:
    """One run's share of the process-wide freeze (see the module docstring): enter it
    around the run and call :meth:`after_step` after each step."""

    _lock = threading.Lock()
    _holders = 0  # runs going on now that manage the heap
    _froze = False  # whether they froze it (so the last one to end thaws it)
    full_collections = 0  # counted by _count_full while a run goes on
    gc_seconds = 0.0  # seconds spent in collections, summed by _count_full
    _started = 0.0  # when the collection going on started (perf_counter)

    def __init__(self, enabled: bool | None = None, early: bool = False,
                 recollect: bool = True) -> None:
        self.enabled = os.environ.get(ENV, "1").strip() != "0" if enabled is None else enabled
        self.early = early  # collect and freeze on entering, unless frozen already
        # collect once more before freezing after a slow step (a search's step may have
        # dropped a model that a cycle keeps); a reader of the store, whose "steps" are
        # its polls, drops no such thing and passes False
        self.recollect = recollect
        self._held = False
        self._full = 0  # full collections counted at the last look
        self._last = 0.0  # time.monotonic() at the last look
        self._gc = 0.0  # gc_seconds at the last look

    @classmethod
    def active(cls) -> int:
        """How many runs of this process manage the heap now."""
        with cls._lock:
            return cls._holders

    def __enter__(self) -> HeapFreeze:
        if not self.enabled:
            return self
        with HeapFreeze._lock:
            if HeapFreeze._holders == 0 and gc.get_freeze_count() > 0:
                return self  # something else froze objects: its heap, left alone
            if HeapFreeze._holders == 0:
                gc.callbacks.append(_count_full)
            HeapFreeze._holders += 1
            self._held = True
            if self.early and not HeapFreeze._froze:
                gc.collect()  # before the first trial: nothing of the run is shown yet
                gc.freeze()
                HeapFreeze._froze = True
            self._full = HeapFreeze.full_collections
            self._last, self._gc = time.monotonic(), HeapFreeze.gc_seconds
        return self

    def after_step(self) -> None:
        """Freeze the heap when a full collection happened since the last call."""
        if not self._held:
            return
        now, collecting = time.monotonic(), HeapFreeze.gc_seconds
        # the step's own time: a collection's pause does not make it a slow step
        step = now - self._last - (collecting - self._gc)
        self._last, self._gc = now, collecting
        if HeapFreeze.full_collections != self._full:  # the garbage was just collected
            if self.recollect and step > SLOW_STEP_S:
                gc.collect()  # what the step dropped since, a model in a cycle say
            self._full = HeapFreeze.full_collections
            with HeapFreeze._lock:  # freeze what is kept
                gc.freeze()
                HeapFreeze._froze = True

    def release(self) -> None:
        """End this run's share; the last run to end unfreezes what they froze."""
        if not self._held:
            return
        with HeapFreeze._lock:
            self._held = False
            HeapFreeze._holders -= 1
            if HeapFreeze._holders == 0:
                with contextlib.suppress(ValueError):
                    gc.callbacks.remove(_count_full)
                if HeapFreeze._froze:
                    HeapFreeze._froze = False
                    gc.unfreeze()

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

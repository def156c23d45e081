"""``RecentWrites``: the trial rows a :class:`~nasbench_ui.storage.sqlite.SQLiteStore`
wrote lately, kept in memory so that ``changes()`` answers its own writes without
reading them back from the file.

A workbench shows a search that runs in the kernel's own process: its poller asks the
store for the trials changed since its last read, ten times a second, and every one of
them was written by the same store object a moment before. Reading them back cost the kernel
about 16 µs a trial (the rows, one step of SQLite each, with the interpreter lock handed
to the search thread and back at every step, then the JSON texts), all of it time the
search thread could not hold the lock (``benchmarks/ui_responsiveness.py``). The store
now keeps the rows it wrote (the texts and numbers it put in the file, so a trial built
from them is the one a read of the file would give) for the experiments someone reads
the changes of, and answers from them when it can prove the file holds nothing else.

The proof is the file's trial version counter (``meta.trial_version``), which every write
of a trial moves on by one. The log knows ``last``: every version above the log's start
and up to ``last`` was written by this object and recorded. A read of the changes reads
the counter in its snapshot, then takes from the log the trials changed after its
``since`` up to ``last``, and from the file only those with a version above ``last``:
usually none, or the one write this object has committed and not yet recorded (a write
in flight), or another writer's. A trial in both is the file's.

A write of this object that takes a version other than ``last + 1`` breaks the chain
(another writer came in between, or two threads of this object finished out of order):
the next read starts every log again from the counter in its snapshot (``rebase``) and
reads the file. A write to a trial the log does not hold (one written before its log
started) moves the start of that experiment's log past it. A read takes :attr:`lock`
from its read of the counter to the log's answer, so no write is recorded in between.

Example:
    >>> log = RecentWrites()
    >>> log.answer(1, since=0, counter=0) is None  # first read: starts the log, reads the file
    True
    >>> log.end(1, 1, 0, row=("RUNNING",) + (None,) * 8 + ((),))
    >>> log.end(1, 2, 0, at=(CURVE,), values=(('{"epoch": 1}',),))
    >>> entries, last = log.answer(1, since=0, counter=3)  # version 3: read from the file
    >>> [(n, e[0], e[CURVE]) for n, e in entries], last
    ([(0, 'RUNNING', ('{"epoch": 1}',))], 2)
    >>> log.end(1, 4, 0, at=(STATE,), values=("COMPLETE",))  # 3 was another writer's
    >>> log.answer(1, since=2, counter=4) is None  # the chain broke: start again, read the file
    True
"""

from __future__ import annotations

import threading
from collections import OrderedDict

__all__ = ["ARCH", "CURVE", "ERROR", "FIELDS", "FINISHED", "META", "METRICS", "RECENT_LIMIT",
           "STARTED", "STATE", "VALUE", "VERSION", "WORKER", "RecentWrites"]

FIELDS = ("state", "arch", "value", "metrics", "error", "started_at", "finished_at", "worker",
          "meta", "curve", "version")
"""An entry's fields, in its tuple: the trial's columns as written (texts and numbers),
``curve`` a tuple of point texts, ``version`` the write's. A tuple of texts and numbers
is not followed by the garbage collector: entries that live for seconds would otherwise
be moved to its oldest generation and bring on its full collections."""
STATE, ARCH, VALUE, METRICS, ERROR, STARTED, FINISHED, WORKER, META, CURVE, VERSION = range(11)

RECENT_LIMIT = 4096
"""Trials an experiment's log holds at most (the oldest go first; a read of changes
older than the log's start goes to the file)."""


class _ExpLog:
    """One experiment's log: every write to its trials with a version above ``start``."""

    __slots__ = ("entries", "start")

    def __init__(self, start: int) -> None:
        self.start = start
        #: trial number -> entry (a tuple, see FIELDS), oldest version first
        self.entries: OrderedDict[int, tuple] = OrderedDict()


class RecentWrites:
    """The log of one store object's trial writes (see the module docstring).

    ``limit``: trials kept per experiment."""

    def __init__(self, limit: int = RECENT_LIMIT) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be an int >= 1, got {limit!r}")
        self.limit = limit
        self.lock = threading.Lock()
        self._last: int | None = None  # versions up to it are accounted for (None: none)
        self._broken = False  # a write skipped a version: start again at the next read
        self._logs: dict[int, _ExpLog] = {}  # by experiment id

    # ------------------------------------------------------------ writes
    def end(self, exp_id: int | None, version: int | None, number: int | None,
            row: tuple | None = None, at: tuple[int, ...] = (), values: tuple = ()) -> None:
        """A write of this object ended, committed with ``version`` (None: it failed,
        nothing was written). ``row``: a new trial's fields (:data:`FIELDS` but the
        version); else ``at`` and ``values``: the fields it changed (at :data:`CURVE`, the
        points it appended); neither: it changed trials the log cannot follow (every
        RUNNING one, say).

        Example:
            >>> log = RecentWrites(); _ = log.answer(1, 0, counter=0)
            >>> _ = log.answer(1, 0, counter=0)  # the log of experiment 1 starts at 0
            >>> log.end(1, 1, 0, row=("RUNNING",) + (None,) * 8 + ((),))
            >>> log.end(1, 2, 0, at=(CURVE, STATE), values=(("p1",), "COMPLETE"))
            >>> [(e[STATE], e[CURVE], e[VERSION]) for _, e in log.answer(1, 0, counter=2)[0]]
            [('COMPLETE', ('p1',), 2)]
        """
        with self.lock:
            last = self._last
            if version is None or last is None or self._broken or version <= last:
                return  # nothing written, no log, or a version before the log's start
            if version != last + 1:
                self._broken = True
                return
            self._last = version
            log = self._logs.get(exp_id) if exp_id is not None else None
            if log is None:
                return
            old = log.entries.pop(number, None) if number is not None else None
            if row is not None and number is not None:
                entry: tuple = (*row, version)
            elif old is not None and at:  # a new tuple: a reader may hold the old one
                changed = list(old)
                for i, value in zip(at, values, strict=True):
                    changed[i] = old[CURVE] + value if i == CURVE else value
                changed[VERSION] = version
                entry = tuple(changed)
            else:  # a trial the log does not hold: answer only what comes after it
                log.start, log.entries = version, OrderedDict()
                return
            log.entries[number] = entry  # the newest version goes last; texts and
            while len(log.entries) > self.limit:  # numbers only: the collector stops
                _, gone = log.entries.popitem(last=False)  # tracking the tuple
                log.start = gone[VERSION]

    def drop(self, exp_id: int) -> None:
        """The experiment's trials were deleted: forget its log."""
        with self.lock:
            self._logs.pop(exp_id, None)

    # ------------------------------------------------------------- reads
    def answer(self, exp_id: int, since: int,
               counter: int) -> tuple[list[tuple[int, tuple]], int] | None:
        """``(entries, last)``: the trials of ``exp_id`` changed after version ``since``
        up to version ``last``, as ``(number, entry)`` pairs, oldest version first; the
        caller reads those changed after ``last`` from the file. None: read the file for
        all of them. ``counter``: the file's trial version counter in the reader's
        snapshot, read with :attr:`lock` held until this answer."""
        if self._last is None or self._broken or counter < self._last:
            self._last, self._broken = counter, False  # start afresh from the snapshot
            self._logs = {exp_id: _ExpLog(counter)}
            return None
        log = self._logs.get(exp_id)
        if log is None:
            self._logs[exp_id] = _ExpLog(self._last)
            return None
        if since < log.start:
            return None
        out = []
        for number, entry in reversed(log.entries.items()):
            if entry[VERSION] <= since:
                break
            out.append((number, entry))
        out.reverse()
        return out, self._last

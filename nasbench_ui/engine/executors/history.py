"""The finished-trial history a Dask trial reads, sent to each worker once.

An estimator declares in ``HISTORY`` the trial fields it reads from ``ctx.history()``
(:func:`nasbench_ui.estimators.base.history_fields`). With none declared, a task
carries no history at all. Otherwise:

* the driver keeps a :class:`HistoryLog`: an append-only list of *updates*, one compact
  record (``number``, ``state`` and the declared fields) per finished trial, read
  from the store with ``store.changes()`` (only what changed since the last read);
* each task carries ``{"id", "fields", "start", "end", "updates": log[start:end]}``, where
  ``start`` is how many updates the target worker said it holds (its last result's
  ``history_held``); so a trial ships only the trials finished since that worker's
  last task, not the whole history;
* the worker (:class:`WorkerHistory`) keeps the updates per log ``id`` in its process,
  appends the new ones, and gives ``ctx.history()`` the records of the first ``end``
  updates: exactly the finished trials the driver knew when it submitted the task
  (the thread loop's ``exp.finished_trials()`` at that moment), in number order;
* a worker that holds fewer than ``start`` updates (a restarted worker, or a task that
  Dask placed on another worker) answers ``history_gap`` without running the trial, and
  the driver sends that task again with the whole log (``start=0``).

Example:
    >>> from nasbench_ui.storage import MemoryStore, TrialState
    >>> store = MemoryStore(); name = store.create_experiment("e", {})
    >>> n = store.create_trial(name, {"op": "a"})
    >>> store.finish_trial(name, n, TrialState.COMPLETE, value=0.5)
    >>> log = HistoryLog(store, name, ("value",))
    >>> task = log.payload("w1")
    >>> task["start"], task["end"], task["updates"]
    (0, 1, [{'number': 0, 'state': 'COMPLETE', 'value': 0.5}])
    >>> held = WorkerHistory()
    >>> [(t.number, t.value) for t in held.view(task)], held.held(task["id"])
    ([(0, 0.5)], 1)
    >>> log.ack("w1", held.held(task["id"])); log.payload("w1")["updates"]
    []
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from typing import Any

from ...storage.trial import Trial

KEEP_LOGS = 2  # histories (searches) a worker process keeps


def compact(trial: Trial, fields: tuple[str, ...]) -> dict[str, Any]:
    """``number``, ``state`` (by name) and ``fields`` of a trial, as a plain dict."""
    d = trial.to_dict()
    return {"number": d["number"], "state": d["state"], **{f: d[f] for f in fields}}


class HistoryLog:
    """The driver's side: compact finished-trial records as an append-only update log.

    ``fields`` empty means the estimator reads no history: :meth:`payload` is None.
    """

    def __init__(self, store: Any, name: str, fields: tuple[str, ...]) -> None:
        self.store, self.name, self.fields = store, name, tuple(fields)
        self.id = uuid.uuid4().hex
        self.version = 0
        self.records: dict[int, dict[str, Any]] = {}
        self.updates: list[dict[str, Any]] = []
        self.acked: dict[str, int] = {}

    def refresh(self) -> None:
        """Read the trials written since the last call; log the finished ones that changed."""
        if not self.fields:
            return
        self.version, changed = self.store.changes(self.name, self.version)
        for t in changed:
            if not t.finished:
                continue
            rec = compact(t, self.fields)
            if self.records.get(t.number) != rec:
                self.records[t.number] = rec
                self.updates.append(rec)

    def payload(self, worker: str | None, full: bool = False) -> dict[str, Any] | None:
        """What a task for ``worker`` carries: the updates it does not hold yet.

        ``full`` (or an unknown worker) sends the whole log.
        """
        if not self.fields:
            return None
        self.refresh()
        end = len(self.updates)
        start = 0 if full or worker is None else min(self.acked.get(worker, 0), end)
        return {"id": self.id, "fields": list(self.fields), "start": start, "end": end,
                "updates": self.updates[start:end]}

    def ack(self, worker: str | None, held: Any) -> None:
        """Note how many updates ``worker`` holds (from its result's ``history_held``)."""
        if worker and isinstance(held, int) and not isinstance(held, bool) and held >= 0:
            self.acked[worker] = min(held, len(self.updates))


class HistoryGap(Exception):
    """The worker holds fewer updates than the task's ``start``: it needs the whole log."""

    def __init__(self, held: int, start: int) -> None:
        super().__init__(f"this worker holds {held} history updates; the task starts at {start}")
        self.held = held


class _Held:
    """One log on a worker: its updates and the trials they make, built incrementally."""

    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []
        self.trials: dict[int, Trial] = {}  # the records of updates[:self.at]
        self.at = 0
        self.ordered: list[Trial] | None = None

    def upto(self, end: int) -> list[Trial]:
        if end < self.at:  # an older snapshot than the one built: build it apart
            records = {int(r["number"]): r for r in self.updates[:end]}
            return [Trial.from_dict(records[n]) for n in sorted(records)]
        for rec in self.updates[self.at:end]:
            self.trials[int(rec["number"])] = Trial.from_dict(rec)
        if end != self.at or self.ordered is None:
            self.at, self.ordered = end, [self.trials[n] for n in sorted(self.trials)]
        return self.ordered


class WorkerHistory:
    """A worker process's side: the update logs it holds, by log id (the last few)."""

    def __init__(self) -> None:
        self._logs: OrderedDict[str, _Held] = OrderedDict()
        self._lock = threading.Lock()

    def held(self, log_id: str) -> int:
        """How many updates of log ``log_id`` this process holds."""
        with self._lock:
            log = self._logs.get(log_id)
            return len(log.updates) if log is not None else 0

    def view(self, payload: dict[str, Any]) -> list[Trial]:
        """Apply a task's updates; the finished trials of its first ``end`` updates.

        HistoryGap when updates before ``start`` are missing here; ValueError for a
        payload that is not one :meth:`HistoryLog.payload` makes.
        """
        try:
            log_id, start, end = str(payload["id"]), int(payload["start"]), int(payload["end"])
            updates = list(payload["updates"])
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"a task's history must be a dict with id, start, end and "
                             f"updates, got {type(payload).__name__} ({err})") from err
        if not 0 <= start <= end or len(updates) != end - start:
            raise ValueError(f"a task's history holds {len(updates)} updates for the range "
                             f"[{start}, {end})")
        with self._lock:
            log = self._logs.setdefault(log_id, _Held())
            self._logs.move_to_end(log_id)
            while len(self._logs) > KEEP_LOGS:
                self._logs.popitem(last=False)
            if len(log.updates) < start:
                raise HistoryGap(len(log.updates), start)
            log.updates.extend(updates[len(log.updates) - start:])
            return list(log.upto(end))

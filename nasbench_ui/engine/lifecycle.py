"""``Lifecycle``: the status of an experiment's searches and how they are driven.

One object per :class:`~.experiment.Experiment` keeps its ``status`` (idle, running,
paused, stopping, done, failed: each change is emitted as ``Event("status", ...)``),
the :class:`~.events.Control` flags the running loop reads, the background thread of
``start()``, and the error that ended the last search: ``error`` (a fatal one, which
``wait()`` raises) and ``last_error`` (its text, a lost lease's, or the loop's reason).
At interpreter exit (a kernel shutdown) every background search still running is
stopped cleanly.

A search is *active* from :meth:`~Lifecycle.enter` (running) to :meth:`~Lifecycle.end`
(done or failed). Pause, resume and stop change the status only then, and never undo a
stop: a Stop or Pause that comes as a search ends (a click that raced its end) leaves
its final status, and a Resume after a Stop leaves it stopping.

Example:
    >>> statuses = []; life = Lifecycle("e", lambda e: statuses.append(e.data["status"]))
    >>> life.pause(); life.status  # nothing runs: nothing to pause
    'idle'
    >>> life.begin(); life.enter(); life.pause(); life.resume(); life.end(DONE)
    >>> life.stop(); life.pause(); statuses  # after its end, nothing changes it
    ['running', 'paused', 'done']
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any

from .events import Control, Event

log = logging.getLogger(__name__)
IDLE, RUNNING, PAUSED, STOPPING, DONE, FAILED = (
    "idle", "running", "paused", "stopping", "done", "failed")
_LIVE: weakref.WeakSet[Lifecycle] = weakref.WeakSet()  # stopped at exit (_stop_all)


class Lifecycle:
    """Status, control flags, background thread and last error of experiment ``name``;
    ``emit`` receives the status events."""

    def __init__(self, name: str, emit: Callable[[Event], None]) -> None:
        self.name, self.emit = name, emit
        self.status = IDLE
        # a status change and its event, one at a time (a stop never lands after the end)
        self._lock = threading.RLock()
        self._active = False  # between enter() and end()
        self.control = Control()
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None  # what killed the last search (wait() raises it)
        self.last_error: str | None = None
        # a search in its own process (start(process=True)): pause, resume and stop are
        # requests to it ("pause", "resume", "stop"); its status comes back as events
        # (True: the process has done it; False: sent to a process still starting, which
        # does it once it has started: its status is shown here at once)
        self.remote: Callable[[str], bool] | None = None
        _LIVE.add(self)

    def set_status(self, status: str) -> None:
        """Make ``status`` the current one and emit it."""
        with self._lock:
            self.status = status
            self.emit(Event("status", self.name, None, {"status": status}))

    def reported(self, status: str) -> None:
        """A status the search's own process entered (``start(process=True)``): taken,
        unless it is the current one (no event twice) or it would undo a stop asked
        here (a stop sent while the process started: its first "running" comes after).

        Example:
            >>> seen = []; life = Lifecycle("e", lambda e: seen.append(e.data["status"]))
            >>> life.begin(); life.enter(); life.reported(RUNNING); life.reported(PAUSED)
            >>> life.stop(wait=False); life.reported(RUNNING); seen
            ['running', 'paused']
        """
        with self._lock:
            if status == self.status or \
                    (self.control.stop.is_set() and status in (RUNNING, PAUSED)):
                return
            self.set_status(status)

    def enter(self) -> None:
        """A search begins: it is active, and running (or paused, or stopping, when a
        pause or a stop came before it)."""
        with self._lock:
            self._active = True
            control = self.control
            self.set_status(STOPPING if control.stop.is_set() else
                            RUNNING if control.running.is_set() else PAUSED)

    def end(self, status: str) -> None:
        """A search ended with ``status`` (done or failed); nothing changes it after."""
        with self._lock:
            self._active = False
            self.set_status(status)

    @property
    def active(self) -> bool:
        """True from :meth:`enter` to :meth:`end`: a search goes on (or is ending)."""
        return self._active

    @property
    def running(self) -> bool:
        """True while the background thread of :meth:`start` runs."""
        return self.thread is not None and self.thread.is_alive()

    def begin(self) -> None:
        """Before a search: refuse a second one at once, forget the last one's error and
        its stop or pause.

        Example:
            >>> life = Lifecycle("e", print); life.last_error = "old"
            >>> life.begin(); life.last_error is None
            True
        """
        if self.running:
            raise RuntimeError(f"experiment {self.name!r} is already running; stop() it first")
        self.last_error, self.error, self.remote = None, None, None
        self.control = Control()  # the last search's stop or pause is not this one's

    def lease_lost(self, why: str) -> None:
        """Another process took the lease: stop the search (called on the heartbeat's
        thread, the stop reaches the loop through its Control flags)."""
        self.last_error = f"{why}; this search stopped so that two never run at once"
        self.control.stop.set()
        self.control.running.set()

    def note(self, loop_error: str | None) -> None:
        """Keep the loop's reason for stopping early, unless an error is kept already.

        Example:
            >>> life = Lifecycle("e", print); life.note("budget"); life.note("other")
            >>> life.last_error
            'budget'
        """
        if loop_error and self.last_error is None:
            self.last_error = loop_error

    def failed(self, err: BaseException, loop: Any, store: Any) -> None:
        """A fatal error: not a trial's own (those end the trial FAILED and the search
        goes on) but the store's, the executor's or the loop's. Keep it, log it, close
        ``loop`` (None: not built yet) and mark the running trial INTERRUPTED. Never silent.

        Example:
            >>> from nasbench_ui.storage import MemoryStore
            >>> store = MemoryStore(); life = Lifecycle(store.create_experiment("e", {}), print)
            >>> life.failed(OSError("disk full"), None, store); life.last_error
            'the search stopped: OSError: disk full'
        """
        self.error = err
        if not isinstance(err, KeyboardInterrupt):
            self.last_error = f"the search stopped: {type(err).__name__}: {err}"
            log.error("search %r failed: %s", self.name, self.last_error)
        if loop is not None:
            try:
                loop.close()
            except Exception:  # noqa: BLE001 - the store itself may be what failed
                log.warning("could not close the loop of %r", self.name, exc_info=True)
        try:
            store.interrupt_running(self.name)  # we still own it
        except Exception:  # noqa: BLE001 - the store itself may be what failed
            log.warning("could not mark the running trial of %r INTERRUPTED", self.name)

    def start(self, target: Callable[[], None]) -> None:
        """Run ``target`` on a new daemon thread."""
        self.thread = threading.Thread(target=target, name=f"nasbench-{self.name}", daemon=True)
        self.thread.start()

    def pause(self) -> None:
        """Pause after the current epoch (nothing while no search is active, or once
        it was asked to stop)."""
        if self.remote is not None and self.running:
            if not self.remote("pause"):
                self._shown_asked(PAUSED)
            return
        with self._lock:
            if not self._active or self.control.stop.is_set():
                return
            self.control.running.clear()
            if self.status != PAUSED:
                self.set_status(PAUSED)

    def _shown_asked(self, status: str) -> None:
        """A pause or resume the search's process will do once it has started: show it
        now (a stopping search stays stopping)."""
        with self._lock:
            if not self._active or self.control.stop.is_set():
                return
            if self.status != status:
                self.set_status(status)

    def resume(self) -> None:
        """Resume a paused search (a stopping one stays stopping)."""
        if self.remote is not None and self.running:
            if not self.remote("resume"):
                self._shown_asked(RUNNING)
            return
        self.control.running.set()
        with self._lock:
            if self._active and self.running and self.status == PAUSED \
                    and not self.control.stop.is_set():
                self.set_status(RUNNING)

    def stop(self, wait: bool = True, timeout: float | None = 60) -> None:
        """Ask the search to stop; with ``wait``, join the background thread (unless
        this is that thread: an observer of the search may stop it)."""
        if self.remote is not None and self.running:
            self.remote("stop")
        self.control.stop.set()
        self.control.running.set()
        with self._lock:
            # a process already said so, or a second stop(): one "stopping" event; a
            # search that has ended keeps its final status
            if self._active and self.running and self.status != STOPPING:
                self.set_status(STOPPING)
        thread = self.thread
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def wait(self, timeout: float | None = None) -> None:
        """Join the background thread; raise the error that killed the search, if any.

        Example:
            >>> life = Lifecycle("e", print); life.error = OSError("disk full")
            >>> life.wait()
            Traceback (most recent call last):
            OSError: disk full
        """
        if self.thread is not None:
            self.thread.join(timeout)
        if self.error is not None and not self.running and \
                not isinstance(self.error, KeyboardInterrupt):
            raise self.error


@atexit.register
def _stop_all() -> None:
    """Kernel shutdown: stop background searches cleanly."""
    for life in list(_LIVE):
        if life.running:
            life.stop(wait=True, timeout=10)

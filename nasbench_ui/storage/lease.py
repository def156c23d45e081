"""One owner per running experiment: a lease kept in the store.

Only the process that holds an experiment's lease runs its search: it alone creates,
finishes and interrupts that experiment's trials. Opening a store to read it
(``Experiment.load``, ``Workbench.load``, ``nasbench-ui show``) takes no lease and
writes nothing, so a search running in another kernel or a CLI is never disturbed.

A lease record is a small JSON dict: ``owner`` (a random id per run), ``host``,
``pid``, ``pid_start`` (the process's start time on Linux, so a reused pid is not
taken for the owner), ``since`` and ``heartbeat`` (seconds, from the lease's clock).
The owner refreshes ``heartbeat`` every ``ttl / 3`` seconds from a small thread.
Another process may take the lease over when:

* the owner released it (its search ended), or
* the owner's process is gone: on the same host its pid is checked, so a
  ``--resume`` right after a ``kill -9`` works at once, or
* the heartbeat is older than ``ttl`` seconds (a dead host, a frozen process).

The store offers two primitives (both stores implement them): ``lease(name)``
reads the record, and ``swap_lease(name, expected_owner, new)`` replaces it in one
write transaction only when the current owner id is ``expected_owner`` (``None``:
no lease), returning ``(done, current)``.

Example:
    >>> from nasbench_ui.storage import MemoryStore
    >>> store = MemoryStore()
    >>> name = store.create_experiment("demo", {})
    >>> clock = [100.0]
    >>> mine = Lease(store, name, clock=lambda: clock[0])
    >>> mine.acquire()
    >>> other = Lease(store, name, clock=lambda: clock[0], host="elsewhere")
    >>> try:
    ...     other.acquire()
    ... except LeaseHeld as e:
    ...     print(str(e).split(";")[0])
    experiment 'demo' is being run by pid ... on host ... (heartbeat 0 s ago)
    >>> mine.release()
    >>> other.acquire()  # released: free at once
    >>> other.release()
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

#: Seconds without a heartbeat after which a lease from another host (or from a
#: process that still lives but stopped beating) may be taken over.
DEFAULT_TTL = 30.0


class LeaseHeld(RuntimeError):
    """Another live process runs this experiment; the message names it."""

    def __init__(self, message: str, holder: dict[str, Any]) -> None:
        super().__init__(message)
        self.holder = holder


def _pid_start(pid: int) -> str | None:
    """The start time of process ``pid`` (Linux ``/proc``), None where unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("ascii", "replace")
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    # after the command: state is field 3 (index 0 here), starttime field 22 (index 19)
    if len(fields) < 20:
        return None
    if fields[0] == "Z":  # a zombie is dead: it only waits for its parent to reap it
        return "zombie"
    return fields[19]


def process_alive(pid: Any, pid_start: Any = None) -> bool:
    """Whether process ``pid`` on this host lives (and is the same process as the one
    that started at ``pid_start``, when given).

    Example:
        >>> process_alive(os.getpid()), process_alive(os.getpid(), "not-its-start")
        (True, False)
    """
    if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by someone else
    except OSError:
        return False
    start = _pid_start(pid)
    if start == "zombie":
        return False
    return pid_start is None or start is None or str(pid_start) == start


def describe(record: dict[str, Any], now: float) -> str:
    """``pid 123 on host h (heartbeat 3 s ago)``.

    Example:
        >>> describe({"pid": 7, "host": "h", "heartbeat": 10.0}, 13.2)
        'pid 7 on host h (heartbeat 3 s ago)'
    """
    age = max(0.0, now - float(record.get("heartbeat") or now))
    return (f"pid {record.get('pid', '?')} on host {record.get('host', '?')} "
            f"(heartbeat {age:.0f} s ago)")


def is_live(record: dict[str, Any] | None, now: float, ttl: float = DEFAULT_TTL,
            host: str | None = None) -> bool:
    """Whether ``record`` still binds: its heartbeat is fresh, and, on this host, its
    process lives.

    Example:
        >>> rec = {"owner": "x", "host": "far", "pid": 1, "heartbeat": 100.0}
        >>> is_live(rec, 110.0), is_live(rec, 200.0), is_live(None, 0.0)
        (True, False, False)
    """
    if not record:
        return False
    if now - float(record.get("heartbeat") or 0.0) > ttl:
        return False
    if record.get("host") == (host or socket.gethostname()):
        return process_alive(record.get("pid"), record.get("pid_start"))
    return True


def live_holder(store: Any, name: str, *, ttl: float = DEFAULT_TTL,
                clock: Callable[[], float] = time.time) -> dict[str, Any] | None:
    """The lease record of a live owner of ``name``, or None when nobody runs it.

    Example:
        >>> from nasbench_ui.storage import MemoryStore
        >>> store = MemoryStore(); n = store.create_experiment("a", {})
        >>> live_holder(store, n) is None
        True
    """
    record = store.lease(name)
    return record if is_live(record, clock(), ttl) else None


class Lease:
    """This process's claim on one experiment of a store (see the module docstring).

    ``clock`` is injectable for tests; ``host`` and ``pid`` default to this process's.
    """

    def __init__(self, store: Any, name: str, *, ttl: float = DEFAULT_TTL,
                 clock: Callable[[], float] = time.time, host: str | None = None,
                 pid: int | None = None) -> None:
        if not (isinstance(ttl, (int, float)) and ttl > 0):
            raise ValueError(f"the lease ttl must be a positive number of seconds, got {ttl!r}")
        self.store, self.name, self.ttl, self.clock = store, name, float(ttl), clock
        self.host = host or socket.gethostname()
        self.pid = os.getpid() if pid is None else pid
        self.owner = uuid.uuid4().hex
        self.held = False
        self.lost: str | None = None  # why the lease was lost while held
        self._since = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _record(self) -> dict[str, Any]:
        return {"owner": self.owner, "host": self.host, "pid": self.pid,
                "pid_start": _pid_start(self.pid) if self.pid == os.getpid() else None,
                "since": self._since, "heartbeat": self.clock()}

    def acquire(self) -> None:
        """Take the lease, or raise :class:`LeaseHeld` naming the live owner."""
        for _ in range(5):  # another process may change it between the read and the swap
            current = self.store.lease(self.name)
            now = self.clock()
            if current and current.get("owner") != self.owner and \
                    is_live(current, now, self.ttl, self.host):
                raise LeaseHeld(
                    f"experiment {self.name!r} is being run by {describe(current, now)}; "
                    "wait for it to end or stop it there. Reading it is safe: "
                    "Experiment.load() and Workbench.load() follow it without taking it over",
                    current)
            self._since = now
            done, _ = self.store.swap_lease(self.name, current.get("owner") if current else None,
                                            self._record())
            if done:
                self.held, self.lost = True, None
                return
        raise LeaseHeld(f"experiment {self.name!r}: could not take its lease (it kept "
                        "changing hands); try again", self.store.lease(self.name) or {})

    def beat(self) -> bool:
        """Refresh the heartbeat; False (and ``lost`` set) when another process took over."""
        if not self.held:
            return False
        done, current = self.store.swap_lease(self.name, self.owner, self._record())
        if not done:
            self.held = False
            who = describe(current, self.clock()) if current else "nobody"
            self.lost = f"the lease of experiment {self.name!r} was taken over by {who}"
        return done

    def release(self) -> None:
        """Stop the heartbeat and give the lease back (a no-op when not held)."""
        self.stop_heartbeat()
        if self.held:
            self.held = False
            self.store.swap_lease(self.name, self.owner, None)

    def start_heartbeat(self, on_lost: Callable[[str], None] | None = None) -> None:
        """Beat every ``ttl / 3`` seconds on a daemon thread until :meth:`release`."""
        self.stop_heartbeat()
        self._stop.clear()

        def run() -> None:
            while not self._stop.wait(self.ttl / 3):
                try:
                    ok = self.beat()
                except Exception:  # noqa: BLE001 - a busy store: try again next beat
                    continue
                if not ok:
                    if on_lost is not None:
                        on_lost(self.lost or "the lease was lost")
                    return

        self._thread = threading.Thread(target=run, name=f"lease-{self.name}", daemon=True)
        self._thread.start()

    def stop_heartbeat(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

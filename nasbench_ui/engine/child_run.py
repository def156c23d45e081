"""``ChildRun``: the kernel's side of a search that runs in its own process.

``Experiment.start(process=True)`` runs the search in ``python -m nasbench_ui.engine.child``
(:mod:`.child`), which reopens the stored experiment, takes its lease and writes every
trial to the store as a search in the kernel would. The kernel keeps no interpreter lock
busy for it: a fast search with the workbench showing it ran at 0.87-0.96 of its rate
alone (``benchmarks/ui_follow.py``), against 0.72-0.78 on a kernel thread
(``benchmarks/ui_responsiveness.py``), where the workbench's threads share the search's
lock. A ``ChildRun`` starts the process, sends it requests (pause, resume, stop,
steering) and waits for each reply (a stop's excepted), and turns what the process reports into the
experiment's events: ``status`` and ``steer`` as they happen, ``trial_finish`` in
batches (``trial_start`` and ``curve`` events stay in the process). When the process
ends, ``on_end`` receives its final status and ``last_error``; a process that died
without saying so ends ``failed``, with the tail of its standard error.

Example (a process that ends at once: it cannot open the store):
    >>> seen = []
    >>> run = ChildRun("e", emit=seen.append, on_status=seen.append, on_end=seen.append)
    >>> run.start({"storage": "/nonexistent/x.db", "name": "e"})
    >>> run.follow()
    >>> seen[-1]["status"], "could not start" in seen[-1]["last_error"]
    ('failed', True)
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .events import Event
from .lifecycle import DONE, FAILED

__all__ = ["REPLY_TIMEOUT_S", "ChildRun", "SearchProcessError", "process_problems"]

log = logging.getLogger(__name__)
REPLY_TIMEOUT_S = 60.0  # how long a request waits for the process's reply
_TERMINAL = (DONE, FAILED)  # set by on_end, after last_error


class SearchProcessError(RuntimeError):
    """The search process failed; the message is its ``last_error``."""


@dataclass
class _Pending:
    """A request sent and not yet answered: ``answered`` is set with its ``error`` (None:
    done); ``after`` runs once it is done, when its caller did not wait for it."""

    after: Callable[[], None] | None = None
    waited: bool = True
    shown: bool = False  # a pause or resume the lifecycle showed before the process started
    answered: threading.Event = field(default_factory=threading.Event)
    error: str | None = None


def process_problems(*, file_store: bool, unsent: list[str], callbacks: bool,
                     executor: bool) -> list[str]:
    """Why an experiment's search cannot run in its own process ([] when it can): the
    process reopens it from a file store, imports its custom parts by path and gets the
    others by value (``unsent``: why some cannot be sent, from :func:`.by_value.pack`).

    Example:
        >>> process_problems(file_store=True, unsent=[], callbacks=True, executor=False)
        ['no callbacks= (they run in this process)']
    """
    problems = [] if file_store else ["a file store (storage='runs/x.db'), which the "
                                      "process reopens"]
    problems += unsent
    if callbacks:
        problems.append("no callbacks= (they run in this process)")
    if executor:
        problems.append("no workers=/executor= (Dask runs the trials elsewhere already)")
    return problems


class ChildRun:
    """A search in its own process (see the module docstring). ``emit`` receives the
    trial and steer events, ``on_status`` each status the process enters before its end,
    ``on_end`` the final ``{"status", "last_error"}``; all on the thread of
    :meth:`follow`."""

    def __init__(self, name: str, emit: Callable[[Event], None],
                 on_status: Callable[[str], None],
                 on_end: Callable[[dict[str, Any]], None]) -> None:
        self.name, self.emit, self.on_status, self.on_end = name, emit, on_status, on_end
        self.proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()  # requests pending, ended
        self._write_lock = threading.Lock()  # one line to the process at a time
        self._next = 0
        self._pending: dict[int, _Pending] = {}
        self._reader: threading.Thread | None = None  # the thread of follow()
        self._stderr: collections.deque[str] = collections.deque(maxlen=40)
        self._ended = False
        self._spec_sent = threading.Event()
        self._up = threading.Event()  # it has started its search: it answers at once
        # pauses and resumes sent before it started, not yet answered: the lifecycle has
        # shown the last one's status, and the process's "running" or "paused" reports
        # until they are answered are older than that (each request's own status comes
        # before its answer)
        self._shown = 0

    @property
    def pid(self) -> int | None:
        """The search process's id (None before :meth:`start`)."""
        return None if self.proc is None else self.proc.pid

    def start(self, spec: dict[str, Any]) -> None:
        """Start the process and hand it ``spec`` (see :mod:`.child`); returns at once."""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "nasbench_ui.engine.child"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        threading.Thread(target=self._drain, name=f"nasbench-{self.name}-stderr",
                         daemon=True).start()
        # on a thread of its own: the parts sent by value can outgrow the pipe's buffer,
        # and the process reads its start only after its imports (seconds)
        threading.Thread(target=self._send_spec, args=(json.dumps(spec),),
                         name=f"nasbench-{self.name}-spec", daemon=True).start()

    def _send_spec(self, line: str) -> None:
        with contextlib.suppress(OSError):  # it ended at once: follow() reports why
            self._write(line, first=True)
        self._spec_sent.set()

    def _write(self, line: str, first: bool = False) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        if not first:  # a request goes after the start, never before it
            self._spec_sent.wait(REPLY_TIMEOUT_S)
        with self._write_lock:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for line in self.proc.stderr:
            self._stderr.append(line.rstrip("\n"))
            log.debug("search process of %r: %s", self.name, line.rstrip())

    def reading(self) -> bool:
        """Whether this is the thread that reads the process's reports and replies: the
        one the experiment's observers of a search in its own process run on."""
        return threading.current_thread() is self._reader

    def call(self, call: str, after: Callable[[], None] | None = None, wait: bool = True,
             shown: bool = False, **kwargs: Any) -> None:
        """Ask the process to ``call`` (with ``kwargs``) and wait for its reply, then run
        ``after``; the process's ValueError comes back as one, and RuntimeError when it
        has ended. On the thread that reads the replies (an observer of the process's
        events, :meth:`reading`) the request is sent without waiting: only that thread
        could read the reply, and it waited ``REPLY_TIMEOUT_S`` for itself while the
        search's reports (and a Stop's reply) queued behind it. ``after`` then runs when
        the reply comes, and an error of the process is logged. ``wait=False`` sends it
        so from any thread, and never waits to send it either: a process still starting
        (its imports take seconds) gets it once it has read its start. ``shown``: a pause
        or resume whose status the lifecycle has shown already (:meth:`request`)."""
        waited = wait and not self.reading()
        with self._lock:
            if self._ended:
                raise RuntimeError(f"the search process of {self.name!r} has ended")
            self._next += 1
            ident, pending = self._next, _Pending(after, waited, shown)
            self._pending[ident] = pending
            self._shown += shown
        line = json.dumps({"id": ident, "call": call, "kwargs": kwargs})
        if not wait and not self._spec_sent.is_set():  # its start is still being written
            threading.Thread(target=self._send_later, args=(line, ident, call), daemon=True,
                             name=f"nasbench-{self.name}-request").start()
            return
        try:
            self._write(line)
        except (BrokenPipeError, OSError, ValueError):
            self._unsent(ident)
            raise RuntimeError(f"the search process of {self.name!r} has ended") from None
        if not waited:
            return
        if not pending.answered.wait(REPLY_TIMEOUT_S):
            with self._lock:
                self._pending.pop(ident, None)
            raise RuntimeError(f"the search process of {self.name!r} did not answer {call} "
                               f"in {REPLY_TIMEOUT_S:g} s")
        if pending.error is not None:
            raise ValueError(pending.error)
        if after is not None:
            after()

    def _send_later(self, line: str, ident: int, call: str) -> None:
        """Write a request that did not wait, once the start has been written."""
        try:
            self._write(line)
        except (OSError, ValueError) as e:  # it has ended: nothing to ask
            self._unsent(ident)
            log.debug("search process of %r: %s not sent: %s", self.name, call, e)

    def _unsent(self, ident: int) -> None:
        """Forget a request that could not be written (the process has ended)."""
        with self._lock:
            pending = self._pending.pop(ident, None)
            if pending is not None and pending.shown:
                self._shown -= 1

    def request(self, call: str) -> bool:
        """:meth:`call` that never raises (pause, resume, stop from the lifecycle: a
        process that has ended needs none of them); True when the process has done it.

        A stop never waits for the process's reply, and a pause or resume waits only
        once the process has started its search (then it answers in milliseconds): the
        lifecycle shows the status at once, and a kernel that pressed Stop or Pause
        while the process was still starting (its imports take seconds, more on a busy
        machine) stayed busy until then."""
        wait = call != "stop" and self._up.is_set()
        try:
            self.call(call, wait=wait, shown=call in ("pause", "resume") and not wait)
        except (RuntimeError, ValueError) as e:
            log.debug("search process of %r: %s: %s", self.name, call, e)
            return True  # nothing to wait for
        return wait

    def follow(self) -> None:
        """Read the process's reports until it ends (the lifecycle's thread runs this),
        then report its end."""
        assert self.proc is not None and self.proc.stdout is not None
        self._reader = threading.current_thread()
        end: dict[str, Any] | None = None
        for line in self.proc.stdout:
            try:
                msg = json.loads(line)
            except json.JSONDecodeError:
                continue
            self._up.set()  # it speaks: its search has started (or it has ended)
            if "finished" in msg:
                for number, data in msg["finished"]:
                    self.emit(Event("trial_finish", self.name, number, data))
            elif "reply" in msg:
                self._resolve(msg["reply"], msg.get("error"))
            elif msg.get("event") == "status":
                status = msg["data"].get("status")
                with self._lock:
                    older = self._shown > 0 and status in ("running", "paused")
                if status not in _TERMINAL and not older:
                    self.on_status(status)
            elif msg.get("event") == "steer":
                self.emit(Event("steer", self.name, None, msg["data"]))
            elif "end" in msg:
                end = msg["end"]
        code = self.proc.wait()
        with self._lock:
            self._ended = True
            if self.proc.stdin is not None:
                with contextlib.suppress(OSError):
                    self.proc.stdin.close()
            pending, self._pending = self._pending, {}
        for unanswered in pending.values():
            self._answer(unanswered, "the search process has ended")
        if end is None:
            tail = "\n".join(list(self._stderr)[-12:])
            end = {"status": "failed", "last_error": f"the search process ended with code "
                   f"{code} before it said why: {tail[-2000:] or 'no output'}"}
        self.on_end(end)

    def _resolve(self, ident: Any, error: str | None) -> None:
        with self._lock:
            pending = self._pending.pop(ident, None) if isinstance(ident, int) else None
        if pending is not None:
            self._answer(pending, error)

    def _answer(self, pending: _Pending, error: str | None) -> None:
        """Hand a reply to its waiting caller, or finish a request sent without waiting."""
        if pending.shown:
            with self._lock:
                self._shown -= 1
        pending.error = error
        pending.answered.set()
        if pending.waited:
            return
        if error is not None:
            log.warning("search process of %r: a request from an observer failed: %s",
                        self.name, error)
        elif pending.after is not None:
            try:
                pending.after()
            except Exception:  # noqa: BLE001 - the reader must go on reading
                log.warning("search process of %r: after a request", self.name,
                            exc_info=True)

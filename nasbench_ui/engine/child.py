"""The search process of ``Experiment.start(process=True)``: ``python -m nasbench_ui.engine.child``.

It reads one JSON line from its standard input (the store's path, the experiment's
name, what the kernel trusted, the parts it sends by value (:mod:`.by_value`), its
``sys.path`` and pace), registers those parts, reopens the stored experiment,
takes its lease and runs its search as ``start()`` does in a kernel, then serves requests
(one JSON line each) until the search ends:

- in: ``{"id": 3, "call": "set_budget", "kwargs": {"trials": 50}}``, ``call`` one of
  :data:`CALLS` (``switch_strategy``'s ``parts``: a notebook cell's strategy by value);
  the end of its input (the kernel died) stops the search;
- out: ``{"reply": 3, "error": null}`` (or the ``ValueError``'s text); each ``status``
  and ``steer`` event as it happens (``{"event": "status", "number": null, "data":
  {...}}``); the finished trials every ``BATCH_S`` seconds (``{"finished": [[number,
  {"state": ..., "value": ...}], ...]}``); at the end ``{"end": {"status": ...,
  "last_error": ...}}``.

Its own standard output goes to its standard error, so that a part that prints cannot
break the protocol. The kernel side is :class:`~.child_run.ChildRun`.

Example (one request, answered without a search):
    >>> import io, json
    >>> out = Protocol(io.StringIO())
    >>> serve_line('{"id": 1, "call": "format_disk"}', None, out)
    >>> json.loads(out.stream.getvalue())["error"]
    "unknown call 'format_disk'; known: pause, resume, stop, set_budget, set_constraints, switch_strategy, set_pace"
"""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import Any, TextIO

__all__ = ["BATCH_S", "CALLS", "Protocol", "main", "open_search", "serve_line"]

BATCH_S = 0.1  # the finished trials are sent this often
CALLS = ("pause", "resume", "stop", "set_budget", "set_constraints", "switch_strategy",
         "set_pace")


class Protocol:
    """JSON lines to the kernel, one writer at a time; finished trials batched. The
    search's thread only appends a finished trial (its own lock): it never waits for a
    write to a pipe the kernel has not read yet."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._lock = threading.Lock()  # one line at a time
        self._batch_lock = threading.Lock()  # the finished trials not sent yet
        self._finished: list[list[Any]] = []

    def send(self, message: dict[str, Any]) -> None:
        """Write ``message`` as one line."""
        with self._lock:
            self._write(message)

    def event(self, event: Any) -> None:
        """An observer of the search: finished trials batched, status and steer at once."""
        if event.kind == "trial_finish":
            with self._batch_lock:
                self._finished.append([event.number, event.data])
        elif event.kind in ("status", "steer"):
            self.flush()  # the trials before it first, in order
            self.send({"event": event.kind, "number": event.number, "data": event.data})

    def flush(self) -> None:
        """Send the finished trials not sent yet (in order: one flush at a time)."""
        with self._lock:
            with self._batch_lock:
                batch, self._finished = self._finished, []
            if batch:
                self._write({"finished": batch})

    def _write(self, message: dict[str, Any]) -> None:
        self.stream.write(json.dumps(message, default=str) + "\n")
        self.stream.flush()


def serve_line(line: str, exp: Any, out: Protocol) -> None:
    """Apply one request line to ``exp`` and reply (a bad request gets its error)."""
    try:
        req = json.loads(line)
        ident = req.get("id") if isinstance(req, dict) else None
    except json.JSONDecodeError as e:
        out.send({"reply": None, "error": f"not a JSON request ({e.msg})"})
        return
    call, kwargs = req.get("call"), req.get("kwargs") or {}
    if call not in CALLS or not isinstance(kwargs, dict):
        out.send({"reply": ident, "error": f"unknown call {call!r}; known: {', '.join(CALLS)}"})
        return
    methods = {"pause": exp.pause, "resume": exp.resume,
               "stop": lambda: exp.stop(wait=False), "set_budget": exp.set_budget,
               "set_constraints": exp.set_constraints,
               "switch_strategy": lambda strategy, options=None, parts=None: _switch(
                   exp, strategy, options, parts),
               "set_pace": exp.set_pace}
    try:
        methods[call](**kwargs)
        out.send({"reply": ident, "error": None})
    except (ValueError, TypeError, RuntimeError) as e:
        out.send({"reply": ident, "error": str(e)})


def _switch(exp: Any, strategy: str, options: dict | None, parts: Any) -> None:
    """``switch_strategy``; ``parts``: the kernel's notebook-cell strategy, by value."""
    from .by_value import unpack

    unpack(parts or [])  # from the kernel, on this process's standard input
    exp.switch_strategy(strategy, options)


def _batches(out: Protocol, done: threading.Event) -> None:
    while not done.wait(BATCH_S):
        out.flush()


def open_search(spec: dict[str, Any], out: Protocol) -> Any:
    """The stored experiment ``spec`` names, set up to run here and report to ``out``.

    Example:
        >>> import io, pathlib, tempfile
        >>> import nasbench_ui as nb
        >>> db = str(pathlib.Path(tempfile.mkdtemp()) / "c.db")
        >>> name = nb.Experiment("nb201", estimator="zero_cost", trials=1, storage=db).name
        >>> exp = open_search({"storage": db, "name": name, "pace": 2}, Protocol(io.StringIO()))
        >>> exp.pace, exp.yield_gil
        (2.0, False)
    """
    import nasbench_ui as nb

    from .by_value import unpack

    unpack(spec.get("parts") or [])  # a notebook cell's parts, from the kernel
    if spec.get("trust"):
        nb.trust(*spec["trust"])
    exp = nb.Experiment.load(spec["storage"], name=spec["name"])
    exp.set_pace(spec.get("pace"))
    # no workbench threads here to hand the GIL to: the hand-overs (sleep(0) every 2 ms)
    # only cost the search (its thread ran 0.87 of a core with them, 0.89-0.91 without)
    exp.yield_gil = False
    exp.observe(out.event)
    return exp


def main(stdin: TextIO | None = None) -> int:
    """Run the search the first input line names; 0 when it ended, 1 when it failed."""
    protocol = os.fdopen(os.dup(1), "w", buffering=1)  # the kernel's line; then the
    os.dup2(2, 1)  # process's own output (a part that prints) goes to standard error
    sys.stdout = sys.stderr
    out = Protocol(protocol)
    stdin = sys.stdin if stdin is None else stdin
    spec = json.loads(stdin.readline())
    for entry in reversed(spec.get("sys_path") or []):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    try:
        exp = open_search(spec, out)
        exp.start()
    except Exception as e:  # noqa: BLE001 - told to the kernel, which raises it there
        out.send({"end": {"status": "failed", "last_error": f"the search process could not "
                          f"start: {type(e).__name__}: {e}"}})
        return 1
    done = threading.Event()
    threading.Thread(target=_batches, args=(out, done), daemon=True).start()

    def requests() -> None:
        for line in stdin:
            if line.strip():
                serve_line(line, exp, out)
        exp.stop(wait=False)  # the kernel is gone: end the search

    threading.Thread(target=requests, daemon=True).start()
    failed = False
    try:
        exp.wait()
    except BaseException:  # noqa: BLE001 - its text is last_error, sent below
        failed = True
    done.set()
    out.flush()
    out.send({"end": {"status": exp.status, "last_error": exp.last_error}})
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

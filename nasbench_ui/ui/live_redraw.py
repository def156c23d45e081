"""What a :class:`~nasbench_ui.ui.live_view.LiveView` draws with: the :class:`Redraw`
callbacks, the :class:`Progress` it hands the status line, and the status it shows
(:func:`shown_status`).

Example:
    >>> shown_status("running", False, True)
    'done'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Progress", "Redraw", "shown_status"]

#: statuses of a live search; once its thread has ended they read "done", "stopped" or "ready"
_LIVE_STATUSES = ("idle", "running", "paused", "stopping", "done")


def shown_status(status: str, running: bool, has_trials: bool, spent: bool = True) -> str:
    """The status the workbench shows: the experiment's own while its search runs; once
    it ended, "done" when its budget is ``spent``, "stopped" before that (Start goes on
    from there), or "ready" with no trial yet -- except a status that says more, such as
    "failed" (the search died; ``last_error`` says why), which is shown as it is.

    Example:
        >>> shown_status("running", True, True), shown_status("running", False, True)
        ('running', 'done')
        >>> shown_status("done", False, True, spent=False)
        'stopped'
        >>> shown_status("idle", False, False), shown_status("failed", False, True)
        ('ready', 'failed')
    """
    if running or status not in _LIVE_STATUSES:
        return status
    if not has_trials:
        return "ready"
    return "done" if spent else "stopped"


@dataclass(frozen=True)
class Progress:
    """What the status line and the buttons show of a run.

    Example:
        >>> Progress(count=3, done=2, total=10, counts={"COMPLETE": 2, "RUNNING": 1},
        ...          status="running", name="run", error=None, running=[(2, "w0")],
        ...          state="running").done
        2
    """

    count: int  # trials in the store (the replay's end)
    done: int  # finished trials (complete, pruned or failed)
    total: int | None  # the trial budget
    counts: dict[str, int]  # trials by state name
    status: str  # the status line's word (or "following: run by pid ...")
    name: str  # the run
    error: str | None  # why the search failed, if it did
    running: list[tuple[int, Any]]  # (number, worker) of the running trials
    state: str  # what the buttons follow (``LiveView.button_state``)


def _no_op(*_: Any) -> None:
    return None


@dataclass
class Redraw:
    """The callbacks a :class:`LiveView` draws with (each defaults to doing nothing).

    ``trials(sorted_trials)``: the run's trials for the charts (cheap: they push later);
    ``flush()``: push the charts now; ``replay_view(before)``: show only trials numbered
    below ``before`` in the charts (None: all); ``state(word)``: what the buttons follow;
    ``progress(Progress)``: the status line; ``tabs(shown, everything, table)``: refresh the
    shown tab (every tab when ``everything``; the table only when ``table``);
    ``trial(trial_or_None, highlight, why)``: show the selected trial (None: none at this
    replay position), highlighted in the charts when ``highlight``, ``why`` it is shown
    ("latest", "best", or "" for a trial picked); ``ended()``: the search
    ended and every view is up to date; ``error(text)``: show an error.

    Example:
        >>> seen = []
        >>> Redraw(error=seen.append).error("oops"); seen
        ['oops']
    """

    trials: Callable[[list[Any]], Any] = field(default=_no_op)
    flush: Callable[[], Any] = field(default=_no_op)
    replay_view: Callable[[int | None], Any] = field(default=_no_op)
    state: Callable[[str], Any] = field(default=_no_op)
    progress: Callable[[Progress], Any] = field(default=_no_op)
    tabs: Callable[[list[Any], bool, bool], Any] = field(default=_no_op)
    trial: Callable[[Any, bool, str], Any] = field(default=_no_op)
    ended: Callable[[], Any] = field(default=_no_op)
    error: Callable[[str], Any] = field(default=_no_op)

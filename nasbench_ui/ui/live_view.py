"""The live side of the workbench, as one object the workbench holds: :class:`LiveView`.

It owns what changes while a search runs -- the poller thread, the cache of the run's
trials (:class:`~nasbench_ui.ui.trial_cache.TrialCache`), the replay position and the selected trial -- and draws
nothing itself: it calls the :class:`~nasbench_ui.ui.live_redraw.Redraw` callbacks it was
given. Its inputs are
explicit: ``attach(experiment)`` names the run (its store, its name, its public status),
and ``Redraw`` says how to draw. It reads only the experiment's public members
(``store``, ``name``, ``status``, ``running``, ``followed``, ``owner()``, ``config``,
``last_error``, ``best()``, ``observe()``); it never reads a strategy.

A poller thread reads ``store.changes()`` every ``poll_interval`` and hands the sorted
trials to the charts (``Redraw.trials``); the other widgets follow at most every
``WIDGET_INTERVAL`` s (each of their updates costs the page a layout), the trials table
every ``TABLE_INTERVAL`` s. Each read and each status line is O(changes): the cache keeps
the counts by state and the running trials as trials change. When the search ends, one
full refresh reads the last changes and updates every tab (the cache reads every trial
again only when the store's version went back: a rewritten run).

Lock order: ``LiveView.lock`` is taken before a chart's own lock, never after.

Example:
    >>> import nasbench_ui as nb
    >>> wb = nb.Workbench(space="nb201", storage=":memory:")
    >>> isinstance(wb.live, LiveView), wb.live.selected, wb.live.replay_before, wb.counts()
    (True, None, None, {})
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..engine.heap import HeapFreeze
from .live_redraw import Progress, Redraw, shown_status
from .trial_cache import TrialCache, merge_sorted

if TYPE_CHECKING:
    from ..experiment import Experiment

__all__ = ["AUTO_PACE_TRIALS", "WIDGET_INTERVAL", "LiveView", "Progress", "Redraw", "TrialCache",
           "merge_sorted", "shown_status"]

#: the auto speed learns a search's typical trial cost from this many trials
AUTO_PACE_TRIALS = 9
WIDGET_INTERVAL = 1.0  # seconds between two updates of the non-chart widgets, at least
TABLE_INTERVAL = 2.0  # seconds between two updates of the trials table while a search runs
_COUNTED = ("COMPLETE", "PRUNED", "FAILED")


class LiveView:
    """Polling, trial cache, replay position and selection of one attached run (see the
    module docstring); ``redraw`` draws, ``poll_interval`` is the seconds between polls."""

    def __init__(self, redraw: Redraw, poll_interval: float = 0.1) -> None:
        if not isinstance(redraw, Redraw):
            raise ValueError(f"LiveView needs a Redraw, got {type(redraw).__name__}")
        if isinstance(poll_interval, bool) or not isinstance(poll_interval, (int, float)) \
                or poll_interval <= 0:
            raise ValueError(f"poll_interval must be a number of seconds > 0, got {poll_interval!r}")
        self.redraw, self.poll_interval = redraw, float(poll_interval)
        self.lock = threading.RLock()  # taken before any chart's lock
        self.experiment: Experiment | None = None
        self.cache: TrialCache | None = None
        #: the replay position: only trials numbered below it are shown (None: live)
        self.replay_before: int | None = None
        self.selected: int | None = None  # the trial shown in the architecture view
        #: the newest trial is shown as it comes (until the user picks one)
        self.following_latest = True
        self.following = False  # another process runs the attached run (read-only)
        self._poller: threading.Thread | None = None
        self._poll_stop = threading.Event()
        self._last_widgets = 0.0
        self._last_table = 0.0
        self._widgets_stale = False
        self._unobserve: Callable[[], Any] | None = None

    # ------------------------------------------------------------ the run
    @property
    def trials(self) -> list[Any]:
        """Every trial of the attached run read so far, by number."""
        return self.cache.sorted if self.cache is not None else []

    def attach(self, experiment: Experiment) -> None:
        """Follow ``experiment`` from now on (the poller of the previous one stops); the
        caller then calls ``refresh(full=True)`` and, while it runs, ``start_polling()``."""
        self.stop_polling()
        if self._unobserve is not None:
            self._unobserve()
        with self.lock:
            self.experiment = experiment
            self.cache = TrialCache(experiment.store, experiment.name)
            self.replay_before = None
            self.following = False
        self._unobserve = experiment.observe(self._on_event)

    def _on_event(self, event: Any) -> None:
        if event.kind == "status" and event.data.get("status") not in (
                "running", "paused", "stopping"):  # done, failed, ...: it ended
            threading.Thread(target=self._final_refresh, daemon=True).start()

    def _final_refresh(self) -> None:
        poller = self._poller  # another thread may replace it; one not started yet is not joined
        if poller is not None and poller.is_alive() and poller is not threading.current_thread():
            poller.join(5 * self.poll_interval + 1)
        # the changes only: the cache is current, and reading every trial again made new
        # objects that the charts compared one by one (seconds at 200,000 trials, while
        # the search's last trials waited to be drawn)
        self.refresh(full=True, reread=False)
        self.redraw.ended()

    # ------------------------------------------------------------- polling
    @property
    def polling(self) -> bool:
        """Whether the poller thread runs."""
        return self._poller is not None and self._poller.is_alive()

    def start_polling(self) -> None:
        """Start the poller thread (no-op while it runs)."""
        if self.polling:
            return
        self._poll_stop.clear()
        self._poller = threading.Thread(target=self._poll, name="nbui-poller", daemon=True)
        self._poller.start()

    def stop_polling(self) -> None:
        """Stop the poller thread (waits up to 2 s for it)."""
        self._poll_stop.set()
        poller = self._poller
        if poller is not None and poller.is_alive() and poller is not threading.current_thread():
            poller.join(2)
        self._poller = None

    def _poll(self) -> None:
        followed = False
        with contextlib.ExitStack() as stack:
            heap: HeapFreeze | None = None
            while not self._poll_stop.is_set():
                exp = self.experiment
                try:
                    self.refresh()
                except Exception as e:  # the poller must survive a bad refresh
                    self.redraw.error(f"display error: {e}")
                elsewhere = self.following or (exp is not None and exp.process_id is not None)
                if elsewhere and heap is None:
                    # this kernel keeps another process's trials as its own run would:
                    # full collections stay short as in that run (engine/heap.py)
                    heap = stack.enter_context(HeapFreeze(early=True, recollect=False))
                elif heap is not None:
                    heap.after_step()
                followed = followed or self.following
                if exp is None or not (exp.running or self.following):
                    break
                self._poll_stop.wait(self.poll_interval)
            if followed and not self._poll_stop.is_set():  # the other process ended: show it
                self.refresh(full=True, reread=False)

    def refresh(self, full: bool = False, reread: bool | None = None) -> None:
        """Read what is new in the store and redraw (the hidden tabs only when ``full``:
        a poll updates a tab on show, so a fast search stays cheap). The charts get every
        poll's trials; the other widgets at most every ``WIDGET_INTERVAL`` s.
        ``reread`` (default: ``full``) reads every trial again rather than the changes."""
        exp, cache = self.experiment, self.cache
        if exp is None or cache is None:
            return
        with self.lock:
            # another process runs it: follow it read-only from the store (a lease read)
            self.following = not exp.running and exp.followed
            changed = cache.read(full if reread is None else reread)
            if changed or full:
                self.redraw.trials(cache.sorted)
                self._widgets_stale = True
            if full or not (exp.running or self.following):
                self.redraw.flush()  # the last trials of a search show now, before the tabs
            now = time.monotonic()
            if not (full or (self._widgets_stale and now - self._last_widgets
                             >= WIDGET_INTERVAL)):
                if not changed:
                    self.redraw.state(self.button_state())
                return
            self._last_widgets, self._widgets_stale = now, False
            self.update_widgets(full)

    def recheck(self) -> str:
        """After a refused Start: whether another process runs the attached run now (then
        the poller follows it until it ends, and Start comes back with its end); returns
        the buttons' state (:meth:`button_state`)."""
        exp = self.experiment
        if exp is not None:
            with self.lock:
                self.following = not exp.running and exp.followed
            if exp.running or self.following:
                self.start_polling()
        return self.button_state()

    def button_state(self) -> str:
        """What the buttons follow: the search's status, "following" while another
        process runs it (Start would be refused), else "done"."""
        exp = self.experiment
        if exp is not None and exp.running:
            return exp.status
        return "following" if self.following else "done"

    def progress(self) -> Progress | None:
        """The attached run's progress as the status line shows it (None: no run)."""
        exp = self.experiment
        if exp is None:
            return None
        trials, cache = self.trials, self.cache
        counts = {k: v for k, v in cache.counts.items() if v} if cache is not None else {}
        running = exp.running
        status = shown_status(exp.status, running, bool(trials),
                              spent=running or exp.budget_spent())
        if self.following:
            owner = exp.owner() or {}
            status = (f"following: run by pid {owner.get('pid', '?')} on host "
                      f"{owner.get('host', '?')}")
        return Progress(count=len(trials), done=sum(counts.get(s, 0) for s in _COUNTED),
                        total=exp.config.trials, counts=counts, status=status, name=exp.name,
                        error=exp.last_error, state=self.button_state(),
                        running=sorted(cache.running.items()) if cache is not None else [])

    def update_widgets(self, full: bool = False) -> None:
        """Redraw the status line, the newest trial (while following it) and the shown tab
        now (every tab when ``full``)."""
        with self.lock:
            progress = self.progress()
            exp = self.experiment
            if progress is None or exp is None:
                return
            self.redraw.progress(progress)
            trials = self.trials
            if self.following_latest and trials and self.replay_before is None:
                self._show(trials[-1], highlight=False, why="latest")
            now = time.time()
            table = full or not exp.running or now - self._last_table > TABLE_INTERVAL
            if table:
                self._last_table = now
            self.redraw_tabs(everything=full, table=table)

    def shown_trials(self) -> list[Any]:
        """The trials the views show: all, or those before the replay position."""
        trials, before = self.trials, self.replay_before
        return trials if before is None else [t for t in trials if t.number < before]

    def redraw_tabs(self, everything: bool = False, table: bool = True) -> None:
        """Redraw the shown tab (every tab when ``everything``) with the shown trials."""
        if self.experiment is None:
            return
        with self.lock:
            self.redraw.tabs(self.shown_trials(), everything, table)

    def reload(self) -> list[Any]:
        """Read every trial of the attached run again; return the shown ones."""
        with self.lock:
            if self.cache is not None:
                self.cache.read_all()
            return self.shown_trials()

    # -------------------------------------------------------------- replay
    def replay_to(self, before: int | None) -> None:
        """Rewind every view to the trials numbered below ``before`` and select the last
        of them; ``None`` returns to following the search (the replay widget calls this)."""
        if before is not None and (isinstance(before, bool) or not isinstance(before, int)
                                   or before < 0):
            raise ValueError(f"a replay position is an int >= 0 or None, got {before!r}")
        with self.lock:
            self.replay_before = before
            self.redraw.replay_view(before)
            if self.experiment is None or self.cache is None:
                return
            self.following_latest = before is None
            if not self.cache.by_number:
                self.cache.read_all()
            shown = self.shown_trials()
            self.redraw.flush()
            self.redraw_tabs(everything=True)
            if shown:
                self._show(shown[-1], highlight=True)
            else:
                self.selected = None
                self.redraw.trial(None, False, "")

    # ----------------------------------------------------------- selection
    def _show(self, trial: Any, highlight: bool, why: str = "") -> None:
        self.selected = trial.number
        self.redraw.trial(trial, highlight, why)

    def select(self, number: int, why: str = "") -> None:
        """Show trial ``number`` (read from the store) and stop following the newest;
        ``why`` it is shown ("best"; "" for a trial picked) leads the view's title."""
        if self.cache is None:
            return
        with self.lock:  # a poller refresh must not overwrite the selection
            self.following_latest = False
            self._show(self.cache.trial(number), highlight=True, why=why)

    def select_best(self) -> None:
        """Show the run's best trial (its absence is shown as an error)."""
        if self.experiment is not None:
            try:
                self.select(self.experiment.best().number, why="best")
            except ValueError as e:
                self.redraw.error(str(e))

    def select_latest(self) -> None:
        """Show the newest trial and follow the newest from now on."""
        self.following_latest = True
        if self.experiment is not None:
            trials = self.experiment.trials
            if trials:
                with self.lock:
                    self._show(trials[-1], highlight=False, why="latest")

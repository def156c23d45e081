"""The workbench's live side: polling the store, refreshing the views, replay, the
quality tab and the selected trial. A mixin of :class:`~nasbench_ui.ui.workbench.Workbench`
(it uses the workbench's widgets and state; it never reads a strategy).

A poller thread reads ``store.changes()`` every ``poll_interval`` and hands the sorted
trials to the charts; the other widgets follow at most every ``WIDGET_INTERVAL`` s (each
of their updates costs the page a layout). When the search ends, one full refresh reads
every trial again and updates every tab.

Example:
    >>> import nasbench_ui as nb
    >>> wb = nb.Workbench(space="nb201", storage=":memory:")
    >>> isinstance(wb, LiveViewMixin), wb.selected is None, wb.counts()
    (True, True, {})
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from ..storage import TrialState

if TYPE_CHECKING:
    from ..experiment import Experiment

__all__ = ["AUTO_PACE_TRIALS", "WIDGET_INTERVAL", "LiveViewMixin", "merge_sorted", "shown_status"]

#: the auto speed learns a search's typical trial cost from this many trials
AUTO_PACE_TRIALS = 9
WIDGET_INTERVAL = 0.5  # seconds between two updates of the non-chart widgets, at least
#: statuses of a live search; once its thread has ended they read "done" (or "ready")
_LIVE_STATUSES = ("idle", "running", "paused", "stopping", "done")


def shown_status(status: str, running: bool, has_trials: bool) -> str:
    """The status the workbench shows: the experiment's own while its search runs; once
    it ended, "done" (or "ready" with no trial yet) -- except a status that says more,
    such as "failed" (the search died; ``last_error`` says why), which is shown as it is.

    Example:
        >>> shown_status("running", True, True), shown_status("running", False, True)
        ('running', 'done')
        >>> shown_status("idle", False, False), shown_status("failed", False, True)
        ('ready', 'failed')
    """
    if running or status not in _LIVE_STATUSES:
        return status
    return "done" if has_trials else "ready"


def merge_sorted(done: list[Any], changed: list[Any], every: dict[int, Any]) -> list[Any]:
    """``every``'s trials by number, from the previous list ``done`` and the ``changed``
    trials: numbered 0, 1, 2, ... as a store numbers them, a changed trial replaces its
    slot and a new one is appended (O(changed)); anything else sorts ``every`` again.

    Example:
        >>> from types import SimpleNamespace as T
        >>> done = [T(number=0, v="a"), T(number=1, v="b")]
        >>> new = [T(number=2, v="c"), T(number=1, v="B")]
        >>> every = {t.number: t for t in done + new}
        >>> [t.v for t in merge_sorted(list(done), new, every)]
        ['a', 'B', 'c']
    """
    out = list(done)  # a new list: the chart thread may be reading the old one
    for t in sorted(changed, key=lambda t: t.number):
        n = t.number
        if 0 <= n < len(out) and out[n].number == n:
            out[n] = t
        elif n == len(out) and (not out or out[-1].number == n - 1):
            out.append(t)
        else:
            return sorted(every.values(), key=lambda t: t.number)
    return out


class LiveViewMixin:
    """Polling, refresh, replay, quality and selection of a ``Workbench``."""

    # provided by the Workbench
    experiment: Experiment | None
    poll_interval: float
    charts: Any
    controls: Any
    arch_view: Any
    replay: Any
    diff: Any
    table: Any
    tabs: Any
    runs: Any
    quality: Any
    space: Any
    _lock: Any
    _trials: dict[int, Any]
    _sorted: list[Any]
    _since: int
    _poller: threading.Thread | None
    _poll_stop: threading.Event
    _follow_latest: bool
    _selected: int | None
    _last_table: float
    _last_widgets: float
    _widgets_stale: bool
    _upto: int | None
    _following: bool
    _displayed: threading.Event
    _costs: list[float]

    def _on_event(self, event: Any) -> None:
        if event.kind == "trial_finish" and self.controls.speed.value == "auto" \
                and len(self._costs) < AUTO_PACE_TRIALS:
            self._learn_cost(event.number)
        if event.kind == "status":
            status = event.data.get("status")
            if status not in ("running", "paused", "stopping"):  # done, failed, ...: it ended
                threading.Thread(target=self._final_refresh, daemon=True).start()

    def _learn_cost(self, number: int) -> None:
        """Note a finished trial's simulated cost and set the watchable pace from the
        costs so far (called in the search's thread, before it waits out the trial)."""
        exp = self.experiment
        if exp is None:
            return
        cost = (exp.store.trial(exp.name, number).metrics or {}).get("cost_s")
        if isinstance(cost, (int, float)) and cost > 0:
            self._costs.append(float(cost))
            exp.set_pace(self.controls.pace(self._costs))

    def _final_refresh(self) -> None:
        poller = self._poller  # another thread may replace it; one not started yet is not joined
        if poller is not None and poller.is_alive() and poller is not threading.current_thread():
            poller.join(5 * self.poll_interval + 1)
        self.refresh(full=True)
        self.runs.refresh()  # the run picker's trial counts and best values

    # ------------------------------------------------------------- polling
    def _start_polling(self) -> None:
        if self._poller is not None and self._poller.is_alive():
            return
        self._poll_stop.clear()
        self._poller = threading.Thread(target=self._poll, name="nbui-poller", daemon=True)
        self._poller.start()

    def _stop_polling(self) -> None:
        self._poll_stop.set()
        poller = self._poller
        if poller is not None and poller.is_alive() and poller is not threading.current_thread():
            poller.join(2)
        self._poller = None

    def _poll(self) -> None:
        followed = False
        while not self._poll_stop.is_set():
            exp = self.experiment
            try:
                self.refresh()
            except Exception as e:  # the poller must survive a bad refresh
                self.controls.show_error(f"display error: {e}")
            followed = followed or self._following
            if exp is None or not (exp.running or self._following):
                break
            self._poll_stop.wait(self.poll_interval)
        if followed and not self._poll_stop.is_set():  # the other process ended: show it
            self.refresh(full=True)

    def refresh(self, full: bool = False) -> None:
        """Read what is new in the store and update every view (the hidden tabs only when
        ``full``: a poll updates the tab on show, so a fast search stays cheap). The charts
        get every poll's trials; the other widgets (progress, architecture, replay) at most
        every ``WIDGET_INTERVAL`` s: each of their updates costs the page a layout."""
        exp = self.experiment
        if exp is None:
            return
        with self._lock:
            # another process runs it: follow it read-only from the store (a lease read)
            self._following = not exp.running and exp.followed
            version, changed = exp.store.changes(exp.name, self._since)
            if changed or full:
                self._since = version
                if full:
                    self._load_trials(exp)
                else:
                    self._trials.update((t.number, t) for t in changed)
                    self._sorted = merge_sorted(self._sorted, changed, self._trials)
                self.charts.update(self._sorted)
                self._widgets_stale = True
            if full or not (exp.running or self._following):
                self.charts.flush()  # the last trials of a search show now, before the tabs
            now = time.monotonic()
            if not (full or (self._widgets_stale and now - self._last_widgets
                                                    >= WIDGET_INTERVAL)):
                if not changed:
                    self.controls.set_running_state(self._shown_state(exp))
                return
            self._last_widgets, self._widgets_stale = now, False
            self._update_widgets(exp, self._sorted, full)

    def _update_widgets(self, exp: Experiment, trials: list[Any], full: bool) -> None:
        self.replay.set_count(len(trials))
        counts: dict[str, int] = {}
        for t in trials:
            counts[t.state.name] = counts.get(t.state.name, 0) + 1
        done = sum(counts.get(s, 0) for s in ("COMPLETE", "PRUNED", "FAILED"))
        status = shown_status(exp.status, exp.running, bool(trials))
        if self._following:
            owner = exp.owner() or {}
            status = (f"following: run by pid {owner.get('pid', '?')} on host "
                      f"{owner.get('host', '?')}")
        self.controls.set_running_state(self._shown_state(exp))
        running = [(t.number, t.worker) for t in trials if t.state is TrialState.RUNNING]
        self.controls.show_progress(done, exp.config.trials, counts, status, exp.name,
                                    exp.last_error, running)
        if self._follow_latest and trials and self._upto is None:
            self._show_trial(trials[-1])
        now = time.time()
        slow_ok = full or not exp.running or now - self._last_table > 2.0
        if slow_ok:
            self._last_table = now
        self._refresh_tabs(everything=full, table=slow_ok)

    def _shown_state(self, exp: Experiment) -> str:
        """What the buttons follow: the search's status, "following" while another
        process runs it (Start would be refused), else "done"."""
        if exp.running:
            return exp.status
        return "following" if self._following else "done"

    def _load_trials(self, exp: Experiment) -> None:
        """Read every trial of ``exp`` from the store (``_trials`` and ``_sorted``)."""
        trials = exp.store.trials(exp.name)
        self._trials = {t.number: t for t in trials}
        self._sorted = sorted(self._trials.values(), key=lambda t: t.number)

    def _shown_trials(self) -> list[Any]:
        trials = self._sorted
        return trials if self._upto is None else [t for t in trials if t.number < self._upto]

    def _refresh_tabs(self, everything: bool = False, table: bool = True) -> None:
        """Update the table, Compare and Quality tabs: the one shown, or all."""
        if self.experiment is None:
            return
        with self._lock:
            i = self.tabs.selected_index
            current = self.tabs.children[i] if i is not None and i < len(self.tabs.children) else None
            shown = self._shown_trials()
            if (everything or current is self.table) and table:
                self.table.show(self.experiment.results(shown))
            if everything or current is self.diff:
                self.diff.set_trials(shown)
            if self.quality is not None and (everything or current is self.quality):
                self.quality.update(shown)

    # -------------------------------------------------------------- replay
    def replay_to(self, k: int | None) -> None:
        """Rewind every view to the first ``k`` trials (numbers 0..k-1) and select trial
        ``k - 1``; ``None`` returns to following the search (the replay widget calls this)."""
        if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 0):
            raise ValueError(f"a replay position is an int >= 0 or None, got {k!r}")
        with self._lock:
            self._upto = k
            self.charts.set_view(k)
            exp = self.experiment
            if exp is None:
                return
            self._follow_latest = k is None
            if not self._trials:
                self._load_trials(exp)
            shown = self._shown_trials()
            self.charts.flush()
            self._refresh_tabs(everything=True)
            if shown:
                self._show_trial(shown[-1])
                self.charts.select(shown[-1].number)
            else:
                self.arch_view.show(None, title="no trial yet at this replay position")
                self._selected = None

    # ------------------------------------------------------------- quality
    def set_truth(self, truth: Any, metric: str = "valid_acc", key: str = "arch_str",
                  k: int = 10) -> Any:
        """Show the estimator-quality panel (tab "Quality"): Kendall tau, top-``k``
        overlap and estimate-vs-truth scatter of the trials so far, updated live.

        ``truth`` is a :class:`~nasbench_ui.quality.GroundTruth`, or what one takes (a
        ``{key: value}`` dict, a DataFrame or a CSV path with ``key`` and ``metric``).
        """
        from ..quality import GroundTruth
        from .quality_panel import QualityPanel

        if not isinstance(truth, GroundTruth):
            truth = GroundTruth(self.space, truth, key=key, metric=metric)
        with self._lock:
            old, self.quality = self.quality, QualityPanel(truth.space, truth, k=k)
            pages = [c for c in self.tabs.children if c is not old]
            titles = [self.tabs.get_title(i) for i, c in enumerate(self.tabs.children)
                      if c is not old]
            self.tabs.children = (*pages, self.quality)
            for i, t in enumerate([*titles, "Quality"]):
                self.tabs.set_title(i, t)
            if old is not None:
                old.close()
            exp = self.experiment
            if exp is not None:
                self._load_trials(exp)
                self.quality.update(self._shown_trials())
            self.quality.flush()
        return self.quality

    # ----------------------------------------------------------- selection
    def _show_trial(self, trial: Any) -> None:
        v = f"{trial.value:.4f}" if trial.value is not None else "-"
        meta = trial.meta or {}
        origin = (f" · child of {meta['parent']} by mutating {meta.get('mutation')}"
                  if meta.get("parent") is not None else "")
        self.arch_view.show(trial.arch, title=f"trial {trial.number} · {trial.state.name} · value {v}{origin}")
        self._selected = trial.number
        self.diff.set_selected(trial.number)

    def select(self, number: int) -> None:
        """Show trial ``number`` in the architecture view (charts call this on a tap)."""
        if self.experiment is None:
            return
        with self._lock:  # a poller refresh must not overwrite the selection
            self._follow_latest = False
            self._show_trial(self.experiment.store.trial(self.experiment.name, number))
        self.charts.select(number)

    def select_best(self) -> None:
        if self.experiment is not None:
            try:
                self.select(self.experiment.best().number)
            except ValueError as e:
                self.controls.show_error(str(e))

    def select_latest(self) -> None:
        self._follow_latest = True
        if self.experiment is not None:
            trials = self.experiment.trials
            if trials:
                self._show_trial(trials[-1])

    @property
    def selected(self) -> int | None:
        """The number of the trial shown in the architecture view."""
        return self._selected

    def results(self) -> Any:
        return self.experiment.results() if self.experiment else None

    def counts(self) -> dict[str, int]:
        if self.experiment is None:
            return {}
        out: dict[str, int] = {}
        for t in self.experiment.trials:
            out[t.state.name] = out.get(t.state.name, 0) + 1
        return out

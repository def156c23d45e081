"""``LivePanels``: the workbench's widgets that show a run live, and how a
:class:`~nasbench_ui.ui.live_view.LiveView` draws into them (:meth:`LivePanels.redraw`).

The panels are given explicitly: the charts, the control panel (buttons, status line),
the replay scrubber, the architecture view, the Compare view, the trials table, the run
picker and the tabs, plus ``results(trials)`` that makes the table's rows. The Quality
tab joins them once a ground truth is known (:meth:`LivePanels.show_quality`).

Example:
    >>> import nasbench_ui as nb
    >>> wb = nb.Workbench(space="nb201", storage=":memory:")
    >>> isinstance(wb.panels, LivePanels), wb.panels.quality is None
    (True, True)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..viz.labels import change_text
from .live_view import Progress, Redraw

__all__ = ["LivePanels"]


class LivePanels:
    """The live widgets of a workbench; ``redraw()`` gives a ``LiveView`` its callbacks.

    ``tabs`` (an ``ipywidgets.Tab`` holding some of the panels) may be set after
    construction: the workbench builds its tabs from the panels.
    """

    def __init__(self, *, charts: Any, controls: Any, replay: Any, arch_view: Any, diff: Any,
                 table: Any, runs: Any, results: Callable[[list[Any]], Any],
                 tabs: Any = None) -> None:
        self.charts, self.controls, self.replay = charts, controls, replay
        self.arch_view, self.diff, self.table, self.runs = arch_view, diff, table, runs
        self.results, self.tabs = results, tabs
        self.quality: Any = None  # a QualityPanel once show_quality() gives one

    def redraw(self) -> Redraw:
        """The callbacks a ``LiveView`` draws these panels with."""
        return Redraw(trials=self.charts.update, flush=self.charts.flush,
                      replay_view=self.charts.set_view, state=self.controls.set_running_state,
                      progress=self.progress, tabs=self.redraw_tabs, trial=self.show_trial,
                      ended=self.runs.refresh, error=self.controls.show_error)

    def progress(self, p: Progress) -> None:
        """Show ``p`` in the replay's length, the buttons and the status line."""
        self.replay.set_count(p.count)
        self.controls.set_running_state(p.state)
        self.controls.show_progress(p.done, p.total, p.counts, p.status, p.name, p.error,
                                    p.running)

    def redraw_tabs(self, shown: list[Any], everything: bool, table: bool) -> None:
        """Update the table (when ``table``), Compare and Quality tabs with the ``shown``
        trials: the tab on show, or all of them when ``everything``."""
        tabs = self.tabs
        i = tabs.selected_index if tabs is not None else None
        current = tabs.children[i] if i is not None and i < len(tabs.children) else None
        if (everything or current is self.table) and table:
            self.table.show(self.results(shown))
        if everything or current is self.diff:
            self.diff.set_trials(shown)
        if self.quality is not None and (everything or current is self.quality):
            self.quality.update(shown)

    def show_trial(self, trial: Any, highlight: bool, why: str = "") -> None:
        """Show ``trial`` in the architecture view and Compare (None: no trial at this
        replay position); ``highlight`` marks it in the charts too; ``why`` it is shown
        ("latest" while the view follows the newest trial, "best") leads the title, so the
        view under the Best trial and Latest trial buttons says which it is."""
        if trial is None:
            self.arch_view.show(None, title="no trial yet at this replay position")
            return
        v = f"{trial.value:.4f}" if trial.value is not None else "-"
        meta = trial.meta or {}
        origin = (f" · child of trial {meta['parent']}: changed "
                  f"{change_text(meta.get('mutation'))}" if meta.get("parent") is not None else "")
        lead = f"{why}: " if why else ""
        try:
            self.arch_view.show(trial.arch, title=f"{lead}trial {trial.number} · "
                                                  f"{trial.state.name} · value {v}{origin}")
        except ValueError as e:  # a stored architecture that does not fit this space
            self.arch_view.show(None, title=f"{lead}trial {trial.number}: its architecture "
                                            f"does not fit this space ({e})")
        self.diff.set_selected(trial.number)
        if highlight:
            self.charts.select(trial.number)

    def show_quality(self, panel: Any) -> None:
        """Show ``panel`` as the last tab, "Quality" (replacing and closing the previous)."""
        old, self.quality = self.quality, panel
        tabs = self.tabs
        pages = [c for c in tabs.children if c is not old]
        titles = [tabs.get_title(i) for i, c in enumerate(tabs.children) if c is not old]
        tabs.children = (*pages, panel)
        for i, t in enumerate([*titles, "Quality"]):
            tabs.set_title(i, t)
        if old is not None:
            old.close()

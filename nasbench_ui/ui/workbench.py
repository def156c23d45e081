"""``Workbench``: the notebook widget — draw a space, pick how to search it, watch it live.

Data flows one way: the widgets build an experiment config, the workbench starts an
:class:`~nasbench_ui.experiment.Experiment` in the background, and a poller thread
reads new rows from the experiment's store and hands them to the charts, the
architecture view, the progress bar and the table. The UI never reaches into a
strategy. The workbench composes its parts: ``space_side`` (``ui/space_panel.py``: preset,
editor, hyperparameters), ``search`` (``ui/search_control.py``: Start/Pause/Resume/Stop
and the pace), ``live`` (``ui/live_view.py``: poller, trial cache, replay, selection)
drawing into ``panels`` (``ui/live_panels.py``), and ``shared`` (state, hide, lock).

Each search runs in its own Python process (``Experiment.start(process=True)``) when it
can, so the kernel's threads (poller, charts) and the search never wait for each other's
interpreter lock: with a file store, custom parts that live in a module or can be sent
there by value (a notebook cell's, ``engine/by_value.py``), two CPUs or more, and a speed
other than the watchable one (``process=None``, the default; ``ui/search_control.py``).
``process=False`` keeps it on a kernel thread, ``process=True`` insists (an error says
what is missing).

Re-running the cell that creates a workbench while a search runs stops that search
cleanly (its completed trials stay in the store; ``Workbench.load`` reattaches).

``wb.state`` is the experiment-config JSON (a dict; see ``ui/sharing.py``): reading it
exports the workbench, setting it (or ``load_state``, or the Import button) restores
editor, forms, dropdowns, budget and seed. ``hide=`` / ``lock=`` take the names in
``sharing.HIDEABLE`` / ``sharing.LOCKABLE``. The replay scrubber (``ui/replay.py``)
rewinds charts, table and architecture view to the first k trials (numbers 0..k-1).

Example:
    >>> import nasbench_ui as nb
    >>> wb = nb.Workbench(storage=":memory:")
    >>> wb.space.name
    'keras_cnn'
"""

from __future__ import annotations

import threading
import weakref
from pathlib import Path
from typing import Any

import ipywidgets as w

from ..config import ExperimentConfig
from ..experiment import Experiment
from ..space import SearchSpace, presets
from ..storage import TrialState, open_store
from ..viz.notebook import prepare_display
from .arch_view import ArchView
from .charts import LiveCharts
from .controls import ControlPanel
from .diff_view import DiffView
from .export_panel import ExportPanel
from .live_panels import LivePanels
from .live_view import LiveView
from .replay import Replay
from .run_picker import RunPicker, latest_run
from .search_control import SearchControl
from .sharing import HIDEABLE, LOCKABLE, SharedState, check_names
from .space_panel import SpacePanel
from .steering_panel import SteeringPanel
from .table import TrialsTable
from .text import WORKBENCH_STYLE as STYLE
from .text import Markup, SafeHTML, error_html, markup, shown_path
from .workbench_layout import LAYOUT_STYLE

_INSTANCES: weakref.WeakSet[Workbench] = weakref.WeakSet()
_WARMED = threading.Event()


def _warm_up() -> None:
    """Pay torch's one-time import of its compiler (the first optimizer triggers it,
    seconds on a small machine) while the user reads the page, not after Start."""
    if not _WARMED.is_set():
        import torch

        torch.optim.Adam([torch.zeros(1, requires_grad=True)])
        _WARMED.set()
DEFAULT_STORAGE = "runs/workbench.db"


class Workbench(w.VBox):
    """The composed workbench widget. See the module docstring.

    ``hide`` / ``lock`` take part names (``ui.sharing.HIDEABLE`` / ``LOCKABLE``);
    an unknown name is a ValueError listing the valid ones. ``shared`` (a
    :class:`~nasbench_ui.ui.sharing.SharedState`) holds the state, hide and lock logic;
    ``state``, ``load_state``, ``locked`` and ``hidden`` hand over to it, and ``sharing``
    is its Share tab.

    Example:
        >>> wb = Workbench(space="nb201", storage=":memory:", lock=["strategy", "seed"])
        >>> wb.controls.strategy.disabled, wb.controls.seed.disabled
        (True, True)
        >>> copy = Workbench(storage=":memory:")
        >>> copy.state = wb.state
        >>> copy.state == wb.state, copy.space.name
        (True, 'nb201')
    """

    def __init__(
        self,
        experiment: Experiment | None = None,
        space: SearchSpace | str | None = None,
        storage: str | Path = DEFAULT_STORAGE,
        strategy: str = "random",
        estimator: str = "early_stop",
        trials: int = 30,
        poll_interval: float = 0.1,
        hide: list[str] | None = None,
        lock: list[str] | None = None,
        process: bool | None = None,
    ) -> None:
        hidden, locked = check_names(hide, HIDEABLE, "hide"), check_names(lock, LOCKABLE, "lock")
        if process is not None and not isinstance(process, bool):  # before anything is kept
            raise ValueError(f"process must be True, False or None (auto), got {process!r}")
        # never orphan a search of a re-run cell: stop it, and say so below
        stopped = [old.experiment.name for old in list(_INSTANCES)
                   if old.experiment is not None and old.experiment.running]
        for old in list(_INSTANCES):
            old.close_search()
        _INSTANCES.add(self)
        threading.Thread(target=_warm_up, name="nbui-warm-up", daemon=True).start()
        self._load_error: str | None = None
        if experiment is None and space is None:  # a re-run cell: show the latest run
            experiment, self._load_error = latest_run(storage)
        if isinstance(space, str):
            space = presets.get(space)
        space = space or (experiment.space if experiment else presets.keras_cnn())
        self._unobserve: Any = None  # stops this workbench's own listening to the run
        self._primed: str | None = None  # the run the charts were filled with before display

        self.controls = ControlPanel(strategy=strategy, estimator=estimator, trials=trials,
                                     dataset=presets.DEFAULT_DATASET.get(space.name, "digits"))
        # locked before the space panel shows it its space: a locked choice stays
        self.controls.lock([n for n in locked if n in ControlPanel.LOCKS])
        self.diff = DiffView(space)
        #: the space side: preset dropdown, graph editor (or drawing), hyperparameter form
        self.space_side = SpacePanel(space, self.controls, on_space=self.diff.set_space,
                                     locked=locked)
        sp = self.space_side
        self.preset, self.editor, self.hparams = sp.preset, sp.editor, sp.hparams
        self.space_view = sp.space_view  # a read-only drawing shown instead of a locked editor
        self.charts = LiveCharts(space)
        self.arch_view = ArchView(space)
        self.best_button = w.Button(description="Best trial", icon="trophy", layout=w.Layout(width="120px"))
        self.latest_button = w.Button(description="Latest trial", icon="clock-o", layout=w.Layout(width="120px"))
        self.table = TrialsTable()
        self.run_label = SafeHTML(Markup("<i>no run yet</i>"))
        self.run_label.add_class("nbui-run-label")
        self.replay = Replay(self.replay_to)
        #: the state (config JSON), hide and lock; ``sharing`` is its Share tab
        self.shared = SharedState(self.controls, self.editor, busy=self._busy,
                                  hide=hidden, lock=locked)
        self.sharing = self.shared.panel
        self.steer = SteeringPanel(on_limit=self.charts.set_limit)
        self.runs = RunPicker(self.open_run)
        self.charts.on_limit(self.steer.apply_limit)  # a drag of the line on the chart

        self.controls.start_button.on_click(lambda _: self.start())
        self.controls.pause_button.on_click(lambda _: self.pause())
        self.controls.resume_button.on_click(lambda _: self.resume())
        self.controls.stop_button.on_click(lambda _: self.stop(wait=False))
        self.controls.speed.observe(lambda _: self.search.apply_pace(), "value")
        self.best_button.on_click(lambda _: self.select_best())
        self.latest_button.on_click(lambda _: self.select_latest())
        self.charts.on_select(self.select)
        #: the widgets that show the run live (the tabs join them below)
        self.panels = LivePanels(charts=self.charts, controls=self.controls, replay=self.replay,
                                 arch_view=self.arch_view, diff=self.diff, table=self.table,
                                 runs=self.runs, results=self._results_of)
        #: the live side: poller, trial cache, replay position, selection
        self.live = LiveView(self.panels.redraw(), poll_interval)
        #: Start, Pause, Resume, Stop and the pace (owns the store: ``storage``)
        self.search = SearchControl(controls=self.controls, live=self.live, shared=self.shared,
                                    space_panel=self.space_side, runs=self.runs,
                                    storage=experiment.store if experiment else storage,
                                    attach=self.attach, process=process)

        self.space_panel = self.space_side.widget
        self.export = ExportPanel()  # the best model as model.py, weights, TorchScript, ONNX
        self.view_panel = w.VBox([w.HBox([self.best_button, self.latest_button]), self.arch_view,
                                  self.export, self.export.message],
                                 layout=w.Layout(min_width="360px", flex="1 1 360px"))
        wrap = {"flex_flow": "row wrap", "align_items": "flex-start"}  # side by side if room
        pages = [("charts", "Charts", self._charts_page),
                 ("table", "Trials", lambda: self.table), ("diff", "Compare", lambda: self.diff),
                 ("steer", "Steer", lambda: self.steer), ("runs", "Runs", lambda: self.runs),
                 ("sharing", "Share", lambda: self.sharing)]
        if self._load_error:
            self.run_label.value = error_html(self._load_error)
        if experiment is not None:
            # the charts' page widget is made below: holding the run's trials already, a
            # page's first view of it shows them (a view gets only what the widget held
            # when it was made, and what is pushed after it has rendered)
            self.charts.reset(experiment.space, estimator=experiment.config.estimator)
            self.charts.update(sorted(experiment.store.trials(experiment.name),
                                      key=lambda t: t.number))
            self.charts.flush()
            self._primed = experiment.name
        pages = [(title, make()) for name, title, make in pages
                 if self.shared.shows_page(name)]
        # one width for every page: the tab bar does not move under the mouse
        self.tabs = w.Tab([p for _, p in pages], titles=[t for t, _ in pages],
                          layout=w.Layout(flex="1 1 800px", min_width="0"))
        self.tabs.add_class("nbui-tabs")
        # a tab's content is refreshed while it is shown, and when the user opens it
        self.panels.tabs = self.tabs
        self.tabs.observe(lambda _: self.live.redraw_tabs(), "selected_index")
        # the space panel takes its whole row, the search column under it; a wide page
        # shows that column as a bar above the charts (ui/workbench_layout.py)
        self.space_panel.add_class("nbui-space-panel")
        design = w.HBox([self.space_panel, self.controls], layout=w.Layout(**wrap))
        design.add_class("nbui-design-row")
        live = w.HBox([self.tabs, self.view_panel], layout=w.Layout(**wrap))
        live.add_class("nbui-live-row")
        super().__init__([
            SafeHTML(STYLE + LAYOUT_STYLE
                     + Markup("<h3 style='margin:4px 0'>nasbench_ui workbench</h3>")),
            design, self.run_label, self.replay, live,
        ])
        self.add_class("nbui-workbench")
        self.shared.apply(space_panel=self.space_panel, view_panel=self.view_panel,
                          replay=self.replay, preset=self.preset, hparams=self.hparams)
        if experiment is not None:
            self.attach(experiment)
        if stopped:
            shown = self.experiment is not None and self.experiment.name in stopped
            self.controls.notice.value = markup(
                "<small>ⓘ re-running the cell stopped the search {} (one search runs per "
                "workbench): {}Start goes on from where it stopped.</small>", ", ".join(stopped),
                "" if shown else "the Runs tab opens it, then ")

    def _charts_page(self) -> w.VBox:
        page = w.VBox([self.charts.widget])
        page.add_class("nbui-charts-page")
        return page

    # ------------------------------------------------------------- display
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        prepare_display(self)
        return super()._repr_mimebundle_(**kwargs)

    # ------------------------------------------------- state, hide and lock
    @property
    def locked(self) -> tuple[str, ...]:
        """The parts locked (``lock=``): disabled, and Import may not change them."""
        return self.shared.locked

    @property
    def hidden(self) -> tuple[str, ...]:
        """The parts hidden (``hide=``)."""
        return self.shared.hidden

    @property
    def state(self) -> dict[str, Any]:
        """The experiment-config dict the workbench shows (``ExperimentConfig.to_dict()``).

        Setting it restores every widget; ValueError for a bad config (nothing changes).
        """
        return self.shared.state

    @state.setter
    def state(self, value: dict[str, Any]) -> None:
        self.shared.load_state(value)

    def load_state(self, source: Any, ui: bool = False) -> ExperimentConfig:
        """Restore the workbench from a config dict, JSON text, an ExperimentConfig or a
        path to a ``.json`` file. ``ui=True`` (the Import button) refuses to change a
        locked part. Returns the config loaded."""
        return self.shared.load_state(source, ui=ui)

    def _busy(self) -> bool:
        return self.experiment is not None and self.experiment.running

    # --------------------------------------------------------------- space
    @property
    def space(self) -> SearchSpace:
        """The space drawn in the editor (ValueError while the drawing is invalid)."""
        return self.space_side.space

    @space.setter
    def space(self, space: SearchSpace) -> None:
        self.space_side.space = space

    @property
    def storage(self) -> Any:
        """The store new runs go to: a path until the first run opens it, then the store."""
        return self.search.storage

    # -------------------------------------------------------------- search
    def attach(self, experiment: Experiment) -> None:
        """Show a stored or running experiment; Start resumes it while its budget lasts."""
        self.live.attach(experiment)
        self.search.storage = experiment.store
        self.space = experiment.space
        cfg = experiment.config.to_dict()
        self.controls.load_settings(cfg)
        self.shared.keep_extra(cfg)
        if self._primed != experiment.name:  # (filled in __init__: no second send)
            self.charts.reset(experiment.space, estimator=cfg.get("estimator"))
        self._primed = None
        self.arch_view.set_space(experiment.space)  # before the replay shows a trial in it
        self.replay.set_count(0)
        self.replay.follow()
        if self._unobserve is not None:
            self._unobserve()
        self._unobserve = experiment.observe(self.search.on_event)
        self.steer.attach(experiment)
        self.export.attach(experiment)
        self.charts.set_limit((cfg.get("constraints") or {}).get("params", {}).get("max"))
        self.run_label.value = markup("run <b>{}</b> in <code>{}</code>", experiment.name,
                                      shown_path(experiment.store.path))
        self.search.costs = []
        self.runs.show_store(experiment.store, experiment.name)
        self.live.refresh(full=True)
        if experiment.running or self.live.following:  # following: another process runs it
            self.live.start_polling()

    @classmethod
    def load(cls, path: str | Path, name: str | None = None, **kwargs: Any) -> Workbench:
        """A workbench attached to a stored experiment (the most recent unless ``name``).

        The store is opened read-only: when another kernel or a CLI runs the experiment,
        the workbench follows it live from the store ("following: run by pid ...") and
        leaves it undisturbed; Start takes over only once that search has ended."""
        return cls(experiment=Experiment.load(path, name=name), **kwargs)

    def start(self) -> Experiment | None:
        """Start (or resume) a search from what the widgets show. User errors are shown, not raised."""
        return self.search.start()

    def pause(self) -> None:
        """Pause the search."""
        self.search.pause()

    def resume(self) -> None:
        """Resume a paused search."""
        self.search.resume()

    def stop(self, wait: bool = True) -> None:
        """Stop the search (the running trial ends INTERRUPTED)."""
        self.search.stop(wait)

    def close_search(self) -> None:
        """Stop this workbench's search and poller (used when the cell is re-run)."""
        self.search.close()

    def open_run(self, name: str) -> None:
        """Show the stored run ``name`` of this workbench's store (read-only until Start)."""
        self.search.open_run(name)

    # ------------------------------------------------------------ the live view
    @property
    def experiment(self) -> Experiment | None:
        """The attached experiment (None before the first Start or load)."""
        return self.live.experiment

    @property
    def poll_interval(self) -> float:
        """Seconds between two reads of the store while a search runs."""
        return self.live.poll_interval

    @property
    def selected(self) -> int | None:
        """The number of the trial shown in the architecture view."""
        return self.live.selected

    def refresh(self, full: bool = False) -> None:
        """Read what is new in the store and update the views (``LiveView.refresh``)."""
        self.live.refresh(full)

    def replay_to(self, k: int | None) -> None:
        """Rewind every view to the first ``k`` trials (numbers 0..k-1) and select trial
        ``k - 1``; ``None`` returns to following the search (the replay widget calls this)."""
        self.live.replay_to(k)

    def select(self, number: int) -> None:
        """Show trial ``number`` in the architecture view (charts call this on a tap)."""
        self.live.select(number)

    def select_best(self) -> None:
        """Show the best trial so far."""
        self.live.select_best()

    def select_latest(self) -> None:
        """Show the newest trial, and each newer one as it comes."""
        self.live.select_latest()

    def results(self) -> Any:
        """The attached run's results table (``Experiment.results()``), or None."""
        return self.experiment.results() if self.experiment else None

    def counts(self) -> dict[str, int]:
        """The attached run's trials by state name."""
        out: dict[str, int] = {}
        for t in self.experiment.trials if self.experiment is not None else ():
            out[t.state.name] = out.get(t.state.name, 0) + 1
        return out

    def _results_of(self, trials: list[Any]) -> Any:
        exp = self.experiment
        return exp.results(trials) if exp is not None else None

    @property
    def quality(self) -> Any:
        """The Quality tab's panel, once ``set_truth()`` gave a ground truth (else None)."""
        return self.panels.quality

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
        panel = QualityPanel(truth.space, truth, k=k)
        with self.live.lock:
            self.panels.show_quality(panel)
            if self.experiment is not None:
                panel.update(self.live.reload())
            panel.flush()
        return panel


__all__ = ["DEFAULT_STORAGE", "TrialState", "Workbench", "open_store"]

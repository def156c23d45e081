"""Search controls: strategy, estimator, budget, pace, the Start / Pause / Resume / Stop
buttons, progress (time left in words) and a status line that wraps in its fixed-width
column; under "Advanced" (folded) each component's generated options form under its own
heading, then data set, seed and device. An estimator that serves only one strategy
(``darts_epoch``) switches the strategy with a notice, and the reverse. The estimators
offered follow the space shown (:meth:`ControlPanel.set_space`; ``tabular`` only for a
space a table can hold, ``ui/estimator_choice.py``): a space without one while
``tabular`` is chosen switches to ``early_stop`` with a notice. The budget boxes refuse
a number of trials below 1 with the reason under them (``ui/budget.py``). The red line
a failed Start leaves on the status line goes as soon as the control it was about
(budget, a component's options, the space) holds a valid value again.

The panel only builds an :class:`~nasbench_ui.config.ExperimentConfig`-shaped dict and
shows what the workbench tells it; it never touches a strategy.

Example:
    >>> panel = ControlPanel()
    >>> sorted(panel.settings())[:3]
    ['dataset', 'dataset_options', 'device']
"""

from __future__ import annotations

import time
from typing import Any

import ipywidgets as w

from .. import data, estimators, options, strategies
from ..space import SearchSpace
from ..steering import one_shot_estimator, strategy_for_estimator
from .budget import BudgetFields
from .device_field import describe, device_options
from .estimator_choice import (
    DEFAULT_ESTIMATOR,
    TABLE_HINT,
    has_table,
    no_table_note,
    no_table_reason,
    offered_estimators,
    stored_table_note,
)
from .forms import FieldError, OptionsForm
from .pace import PACED_ESTIMATORS, SPEEDS, WATCHABLE_RATE, auto_pace, default_speed, fmt_eta
from .text import Markup, SafeHTML, error_html, join, markup, status_html

__all__ = ["LOCKABLE", "PACED_ESTIMATORS", "SPEEDS", "STATUS_MIN_HEIGHT", "WATCHABLE_RATE",
           "ControlPanel", "auto_pace", "default_speed", "fmt_eta"]

_STYLE = {"description_width": "80px"}
#: the status line's least height: three of its lines (1.35 em each, text.WORKBENCH_STYLE)
STATUS_MIN_HEIGHT = "4.05em"
#: the parts of the panel a teacher can lock (``Workbench(lock=[...])``)
LOCKABLE = ("dataset", "strategy", "estimator", "budget", "seed", "device")


def _now() -> float:
    """The clock of the time left (a test replaces it)."""
    return time.time()


class ControlPanel(w.VBox):
    """Dropdowns, forms, budget, speed and buttons; see the module docstring.

    What starts a search (strategy, estimator, budget, speed, Start) comes first; the
    components' options, the data set, seed and device fold away under "Advanced", with
    a heading for each component.
    """

    LOCKS = LOCKABLE

    def __init__(self, strategy: str = "random", estimator: str = "early_stop",
                 dataset: str = "digits", trials: int = 30) -> None:
        self._loading = False
        self._locked: set[str] = set()  # the parts a teacher locked (lock())
        self._active = False  # a search runs, is paused or stopping: the fields are off
        self._space_waits = False  # set_space came while it was active
        self._table_note = False  # the notice says a space has no table
        self.dataset = w.Dropdown(options=data.names(), value=dataset, description="data set",
                                  style=_STYLE, layout=w.Layout(width="300px"))
        self.strategy = w.Dropdown(options=strategies.names(), value=strategy,
                                   description="strategy", style=_STYLE,
                                   layout=w.Layout(width="300px"))
        self.estimator = w.Dropdown(options=estimators.names(), value=estimator,
                                    description="estimator", style=_STYLE,
                                    layout=w.Layout(width="300px"))
        # the status line before a failed Start's error, and the control it is about
        self._before_error: Any = None
        self._error_field: str | None = None
        self.strategy_box, self.estimator_box = w.VBox(), w.VBox()
        self._set_form("strategy", strategy)
        self._set_form("estimator", estimator)
        self.notice = SafeHTML("")
        self.notice.add_class("nbui-notice")
        #: the trials and minutes boxes with the line that says what is wrong with them
        self.budget = BudgetFields(trials=trials, style=_STYLE)
        self.trials, self.minutes = self.budget.trials, self.budget.minutes
        for box in (self.trials, self.minutes):  # after the budget's own check
            box.observe(lambda _c: self._field_changed("budget"), "value")
        self._space: SearchSpace | None = None  # the space shown (set_space); None: unknown
        self._offering = False  # the estimator's options are being replaced
        self.speed = w.Dropdown(options=list(SPEEDS), value=default_speed(estimator),
                                description="pace", style=_STYLE, layout=w.Layout(width="300px"),
                                tooltip="how fast a table look-up search runs: 'real time ×N' "
                                        "charges each trial its table training time / N")
        self.speed.add_class("nbui-speed")
        self.seed = w.IntText(value=0, description="seed", style=_STYLE, layout=w.Layout(width="175px"))
        self.device = w.Dropdown(options=device_options(), value="auto", description="device",
                                 style={"description_width": "55px"}, layout=w.Layout(width="160px"))
        self.device_label = SafeHTML(describe(self.device.value))
        self.device_label.add_class("nbui-device-label")
        self.device.observe(lambda ch: setattr(self.device_label, "value", describe(ch["new"])),
                            "value")
        self.strategy.observe(self._on_strategy, "value")
        self.estimator.observe(self._on_estimator, "value")
        self.start_button = w.Button(description="Start", button_style="success", icon="play")
        self.pause_button = w.Button(description="Pause", icon="pause", disabled=True)
        self.resume_button = w.Button(description="Resume", icon="play", disabled=True)
        self.stop_button = w.Button(description="Stop", button_style="danger", icon="stop", disabled=True)
        for b in (self.start_button, self.pause_button, self.resume_button, self.stop_button):
            b.add_class("nbui-" + b.description.lower())
            b.layout = w.Layout(width="90px")
        self.progress = w.IntProgress(value=0, min=0, max=max(trials, 1), layout=w.Layout(width="150px"))
        self.progress_label = SafeHTML("")
        self.progress_label.add_class("nbui-progress-label")
        self.status = SafeHTML(Markup("<span class='nbui-status'>ready</span>"))
        self.status.add_class("nbui-status-line")
        # room for its three lines (the run and its status, the counts, the trial in
        # flight) from the start: with the column layout the charts come right under it,
        # and they moved a line up and down as "running: #n" came and went
        self.status.layout = w.Layout(width="auto", min_height=STATUS_MIN_HEIGHT)
        # the time left: seconds this search ran since Start (paused time left out: the
        # clock runs from _t0 while running, _ran holds the spans before) and the trials
        # done when the clock started (a resumed run's earlier trials took no part of it)
        self._t0: float | None = None
        self._ran = 0.0
        self._done0: int | None = None
        self._seconds: float | None = None
        self.advanced = w.Accordion(children=[
            self.strategy_box, self.estimator_box,
            w.VBox([self.dataset, w.HBox([self.seed, self.device]), self.device_label])])
        self.advanced.selected_index = None
        self.advanced.add_class("nbui-advanced")
        self._title_advanced()
        # three groups, one under the other in the 400 px column; side by side (a bar
        # across the workbench) where the workbench is wide (ui/workbench_layout.py)
        self.fields_group = w.VBox([SafeHTML(Markup("<b>Search</b>")), self.strategy,
                                    self.estimator, self.budget, self.speed])
        self.advanced_group = w.VBox([SafeHTML(Markup("<small>Advanced</small>")),
                                      self.advanced])
        # Start last, as a form's button, so the charts below it are in view with it
        self.run_group = w.VBox([
            w.HBox([self.start_button, self.pause_button, self.resume_button, self.stop_button]),
            w.HBox([self.progress, self.progress_label], layout=w.Layout(align_items="center")),
            self.status, self.notice])
        for group, name in ((self.fields_group, "fields"), (self.advanced_group, "advanced"),
                            (self.run_group, "run")):
            group.add_class(f"nbui-search-{name}")
        super().__init__([self.fields_group, self.advanced_group, self.run_group],
                         layout=w.Layout(width="400px", min_width="400px", flex="0 0 400px"))
        self.add_class("nbui-controls")

    def _title_advanced(self) -> None:
        self.advanced.titles = (f"strategy options: {self.strategy.value}",
                                f"estimator options: {self.estimator.value}",
                                "data set, seed and device")

    def pace(self, costs: list[float] | None = None) -> float | None:
        """The pace the speed control asks for (None: full speed); ``auto`` is computed
        from the simulated ``costs`` of the trials so far (:func:`auto_pace`)."""
        v = self.speed.value
        if v == "full":
            return None
        if v == "auto":
            return auto_pace(costs or [])
        return float(v)

    # ---------------------------------------------------------------- forms
    def _set_form(self, kind: str, name: str, values: dict[str, Any] | None = None) -> None:
        """Show a new options form of the ``kind`` ("strategy" or "estimator") ``name``."""
        registry = strategies if kind == "strategy" else estimators
        form = OptionsForm(registry.options(name), values or {}, owner=name)
        form.on_change(lambda: self._field_changed(kind))
        if kind == "strategy":
            self.strategy_form = form
            self.strategy_box.children = [form]
        else:
            self.estimator_form = form
            self.estimator_box.children = [form]
        self._field_changed(kind)

    def _on_strategy(self, change: dict[str, Any]) -> None:
        name = change["new"]
        self._set_form("strategy", name)
        if not self._loading:
            partner = one_shot_estimator(name)  # one-shot strategies (DARTS) need theirs
            owner = strategy_for_estimator(self.estimator.value)
            if partner and partner in self.estimator.options and self.estimator.value != partner:
                self._say(f"{name} is a one-shot strategy and runs only with the estimator "
                          f"{partner}: the estimator is now {partner}")
                self.estimator.value = partner
            elif owner is not None and owner != name:
                self._say(f"the estimator {self.estimator.value} serves only the {owner} "
                          f"strategy: the estimator is now early_stop")
                self.estimator.value = "early_stop"
        self._title_advanced()
        self._apply_locks()

    def _on_estimator(self, change: dict[str, Any]) -> None:
        if self._offering:
            return
        name = change["new"]
        self._set_form("estimator", name)
        if not self._loading:
            owner = strategy_for_estimator(name)
            partner = one_shot_estimator(self.strategy.value)
            if owner is not None and owner != self.strategy.value:
                self._say(f"the estimator {name} serves only the {owner} strategy (it trains "
                          f"one shared supernet): the strategy is now {owner}")
                self.strategy.value = owner
            elif partner is not None and partner != name:
                self._say(f"{self.strategy.value} runs only with the estimator {partner}: "
                          "the strategy is now random")
                self.strategy.value = "random"
            self.speed.value = default_speed(name)
        self._title_advanced()
        self._apply_locks()

    def _say(self, text: str, table_note: bool = False) -> None:
        self.notice.value = markup("<small>ⓘ {}</small>", text)
        self._table_note = table_note  # a note on the space's table, cleared by set_space

    # ------------------------------------------------------------ the space
    def set_space(self, space: SearchSpace) -> None:
        """Offer the estimators that can serve ``space``, the space shown (the space
        panel calls this for each one). A table look-up (``tabular``) chosen for a
        space no table can hold switches to ``early_stop`` with a notice saying why; a
        teacher's locked estimator stays, and the notice says its trials will fail.
        While a search runs the estimator shown is the run's: the offer follows the
        space once the search has ended."""
        before, self._space = self._space, space
        self._field_changed("space")  # a space shown is a valid one
        self._space_waits = self._active
        if self._active:
            if before is not None and before.to_dict() != space.to_dict():
                self._say("the space shown is for the next Start: the running search keeps "
                          "its own", table_note=True)
            return
        offered = offered_estimators(space)
        current = self.estimator.value
        if current not in offered:
            if "estimator" in self._locked:
                offered.append(current)
                self._say(no_table_note(current, space, None), table_note=True)
            else:
                self.estimator.value = DEFAULT_ESTIMATOR  # its form, its speed
                self._say(no_table_note(current, space, DEFAULT_ESTIMATOR), table_note=True)
        elif self._table_note:  # said of a space shown before
            self.notice.value, self._table_note = "", False
        self.estimator.tooltip = (None if has_table(space) else
                                  f"tabular (a table look-up) is offered for {TABLE_HINT}")
        self._offer(offered)

    def _offer(self, offered: list[str]) -> None:
        """Set the estimators offered, keeping the one shown where it is among them."""
        current = self.estimator.value
        if list(self.estimator.options) != offered:
            self._offering = True
            try:  # new options select the first one: the one shown goes back
                self.estimator.options = offered
                self.estimator.value = current if current in offered else DEFAULT_ESTIMATOR
            finally:
                self._offering = False

    def _space_of(self, cfg: dict[str, Any]) -> SearchSpace | None:
        """The space a config names (the one shown when it names none readable)."""
        d = cfg.get("space")
        if isinstance(d, dict):
            try:
                return SearchSpace.from_dict(d)
            except ValueError:  # the config's own check says why, where it is loaded
                return self._space
        return self._space

    def check(self) -> None:
        """Raise a ValueError (a ``FieldError`` naming the form) with the reason when a
        form holds an invalid entry."""
        for what, form in (("strategy", self.strategy_form), ("estimator", self.estimator_form)):
            err = form.validate()
            if err:
                raise FieldError(f"{what} option {err}", what)

    def settings(self) -> dict[str, Any]:
        """The experiment settings shown (ValueError names a bad field: a number of
        trials below 1 is refused, see :class:`~nasbench_ui.ui.budget.BudgetFields`)."""
        trials, seconds = self.budget.budget()
        if seconds is not None and self._seconds is not None and abs(seconds - self._seconds) < 1e-6:
            seconds = self._seconds
        return {
            "dataset": self.dataset.value, "dataset_options": {},
            "strategy": self.strategy.value,
            "strategy_options": self.strategy_form.values(only_changed=True),
            "estimator": self.estimator.value,
            "estimator_options": self.estimator_form.values(only_changed=True),
            "trials": trials, "seconds": seconds, "seed": self.seed.value,
            "device": self.device.value,
        }

    def load_settings(self, cfg: dict[str, Any], strict: bool = False) -> None:
        """Show a stored config's settings (the inverse of :meth:`settings`).

        Each options form is rebuilt from its defaults, then the config's options are
        filled in, so nothing of an earlier setting lingers. The estimators offered are
        those of the config's space (:meth:`set_space`). ``strict`` raises a ValueError
        (listing the valid names) for an unknown data set, strategy or estimator, an
        estimator its space cannot serve (``tabular`` without a table), or a bad option,
        instead of keeping what is shown.
        """
        space = self._space_of(cfg)
        for key, names, registry in (("dataset", list(self.dataset.options), data),
                                     ("strategy", list(self.strategy.options), strategies),
                                     ("estimator", estimators.names(), estimators)):
            name = cfg.get(key)
            if strict and name not in names:
                raise ValueError(f"unknown {key} {name!r}; valid: {names}")
            if strict and key != "dataset":
                options.resolve(registry.get(name), cfg.get(f"{key}_options") or {})
        name = cfg.get("estimator")
        if strict and space is not None and name not in offered_estimators(space):
            raise ValueError(f"{no_table_reason(name, space)}: choose another estimator")
        self._loading = True
        try:
            self._load_checked(cfg, space)
        finally:
            self._loading = False

    def _load_checked(self, cfg: dict[str, Any], space: SearchSpace | None) -> None:
        if space is not None:
            self.set_space(space)
        if cfg.get("dataset") in self.dataset.options:
            self.dataset.value = cfg["dataset"]
        if cfg.get("strategy") in self.strategy.options:
            self.strategy.value = cfg["strategy"]
            self._set_form("strategy", cfg["strategy"], cfg.get("strategy_options"))
        name = cfg.get("estimator")
        if space is not None and name in estimators.names() and name not in self.estimator.options:
            # a stored run of a table look-up on a space no NAS-Bench-201 table holds (a
            # table of its own, given in code): shown as stored, so Export and Start keep it
            self._offer([*self.estimator.options, name])
            self._say(stored_table_note(name, space), table_note=True)
        if name in self.estimator.options:
            self.estimator.value = cfg["estimator"]
            self._set_form("estimator", cfg["estimator"], cfg.get("estimator_options"))
        self.budget.show(cfg.get("trials"), cfg.get("seconds"))
        self._seconds = cfg.get("seconds")  # exact, so a round trip keeps e.g. 10.0
        self.seed.value = cfg.get("seed", 0)
        device = cfg.get("device", "auto")
        if not isinstance(device, str) or not device:
            raise ValueError(f"device must be a name like 'auto', 'cpu' or 'cuda:0', got {device!r}")
        if device not in self.device.options:  # e.g. a GPU config opened here: Start says so
            self.device.options = [*self.device.options, device]
        self.device.value = device
        self.speed.value = default_speed(self.estimator.value)
        self._title_advanced()
        self._apply_locks()

    # ---------------------------------------------------------------- locks
    def lock(self, names: Any) -> None:
        """Disable the named parts for good (see :data:`LOCKABLE`)."""
        self._locked = set(names)
        self._apply_locks()

    def _fields_of(self, name: str) -> list[Any]:
        return {"dataset": [self.dataset], "strategy": [self.strategy, self.strategy_form],
                "estimator": [self.estimator, self.estimator_form],
                "budget": [self.trials, self.minutes], "seed": [self.seed],
                "device": [self.device]}.get(name, [])

    def _apply_locks(self) -> None:
        for name in LOCKABLE:
            off = self._active or name in self._locked
            for f in self._fields_of(name):
                if isinstance(f, OptionsForm):
                    f.set_disabled(off)
                else:
                    f.disabled = off

    # --------------------------------------------------------------- status
    def set_running_state(self, status: str) -> None:
        """Enable only the buttons that make sense for ``status``."""
        running, paused = status == "running", status == "paused"
        active = running or paused or status == "stopping"
        # "following": another process runs the experiment; this page only reads it
        self.start_button.disabled = active or status == "following"
        self.pause_button.disabled = not running
        self.resume_button.disabled = not paused
        self.stop_button.disabled = not active or status == "stopping"
        self._active = active
        self._apply_locks()
        if not active and self._space_waits and self._space is not None:
            self.set_space(self._space)  # the space was changed while the search ran
        if running and self._t0 is None:
            self._t0 = _now()
        elif not running and self._t0 is not None:  # paused or stopping: the clock stops
            self._ran += _now() - self._t0
            self._t0 = None
        if not active:
            self._t0, self._ran, self._done0 = None, 0.0, None

    def show_progress(self, done: int, total: int | None, counts: dict[str, int], status: str,
                      run: str, message: str | None = None,
                      running: list[tuple[int, str | None]] | None = None) -> None:
        """Progress bar, ETA and status line; ``running`` lists ``(trial, worker)`` of the
        trials in flight (with Dask, each names the worker that holds it)."""
        self.progress.max = max(total or done or 1, 1)
        self.progress.value = min(done, self.progress.max)
        eta = None
        if self._t0 is not None and self._done0 is None:
            self._done0 = done
        new = done - (self._done0 or 0)
        if status == "running" and self._t0 is not None and total and new > 0:
            eta = (self._ran + _now() - self._t0) / new * max(total - done, 0)
        self.progress_label.value = f"{done} / {total or '∞'} trials · {fmt_eta(eta)}".rstrip(" ·")
        parts = [f"{counts.get(k, 0)} {k.lower()}" for k in ("COMPLETE", "PRUNED", "FAILED")]
        # every trial is counted, so the parts add up to the replay's "live · N trials": a
        # trial a stop cut short, and one in flight (held mid-trial while paused)
        if counts.get("INTERRUPTED"):
            parts.append(f"{counts['INTERRUPTED']} interrupted")
        if counts.get("RUNNING"):
            held = status == "paused"
            parts.append(f"{counts['RUNNING']} {'paused mid-trial' if held else 'running'}")
        # the counts on a line of their own, each whole (.nbui-count does not wrap): in the
        # bar's 368 px a count's number ended one line and its word began the next
        # ('· 0' / 'pruned'), and the words moved between lines as the counts grew
        text = markup("<b>{}</b>: {}<br>{}", run, status_html(status), join(" · ", (
            markup("<span class='nbui-count'>{}</span>", p) for p in parts)))
        if running and status != "paused":
            text += markup("<br>running: {}", join(", ", (
                markup("#{}", n) + (markup(" on <code>{}</code>", w) if w else "")
                for n, w in running)))
        if message:
            text += markup("<br>{}", error_html(message))
        self._error_field = self._before_error = None  # this status replaces any error
        # it wraps in the column by its class (.nbui-status-line in text.WORKBENCH_STYLE)
        self.status.value = markup("<span class='nbui-status'>{}</span>", text)

    def show_error(self, message: str, field: str | None = None) -> None:
        """Show ``message`` (any text: an error's ``str``) in red on the status line.
        ``field`` names the control it is about (a ``FieldError``'s): once that control
        holds a valid value, the status line shows again what it showed before."""
        if self._before_error is None:
            self._before_error = self.status.value
        self._error_field = field
        self.status.value = error_html(message, cls="nbui-status")

    def _field_changed(self, field: str) -> None:
        """``field`` was changed: the error it caused goes once it is valid."""
        if self._error_field != field:
            return
        valid = {"budget": lambda: self.budget.error is None,
                 "strategy": lambda: self.strategy_form.validate() is None,
                 "estimator": lambda: self.estimator_form.validate() is None,
                 "space": lambda: True}[field]
        if valid():
            self.status.value, self._before_error = self._before_error, None
            self._error_field = None

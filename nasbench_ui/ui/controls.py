"""Search controls: data set, strategy and estimator (with generated forms), budget,
seed, device, the Start / Pause / Resume / Stop buttons, progress and status.

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
import torch

from .. import data, estimators, options, strategies
from ..devices import describe_device
from .forms import OptionsForm
from .text import Markup, SafeHTML, error_html, esc, join, markup, status_html

_STYLE = {"description_width": "80px"}
#: the parts of the panel a teacher can lock (``Workbench(lock=[...])``)
LOCKABLE = ("dataset", "strategy", "estimator", "budget", "seed", "device")


def _device_options() -> list[str]:
    opts = ["auto", "cpu"]
    if torch.cuda.is_available():
        opts += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        opts.append("mps")
    return opts


def _describe(device: str) -> Markup:
    """What ``device`` is here, as page markup (a device name from an imported config
    is shown as text)."""
    try:
        text = esc(describe_device(device))
    except ValueError as e:  # a config from another machine: say why it cannot run here
        text = error_html(e)
    return markup("<small>{}</small>", text)


def _fmt_eta(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return ""
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"ETA {h}:{m:02d}:{s:02d}" if h else f"ETA {m}:{s:02d}"


class ControlPanel(w.VBox):
    """Dropdowns, forms, budget and buttons; see the module docstring."""

    LOCKS = LOCKABLE

    def __init__(self, strategy: str = "random", estimator: str = "early_stop",
                 dataset: str = "digits", trials: int = 30) -> None:
        self.dataset = w.Dropdown(options=data.names(), value=dataset, description="data set",
                                  style=_STYLE)
        self.strategy = w.Dropdown(options=strategies.names(), value=strategy,
                                   description="strategy", style=_STYLE)
        self.estimator = w.Dropdown(options=estimators.names(), value=estimator,
                                    description="estimator", style=_STYLE)
        self.strategy_form = OptionsForm(strategies.get(strategy).OPTIONS)
        self.estimator_form = OptionsForm(estimators.get(estimator).OPTIONS)
        self.strategy_box = w.VBox([self.strategy_form])
        self.estimator_box = w.VBox([self.estimator_form])
        self.strategy.observe(self._on_strategy, "value")
        self.estimator.observe(self._on_estimator, "value")
        self.trials = w.BoundedIntText(value=trials, min=0, max=10**7, description="trials",
                                       style=_STYLE, layout=w.Layout(width="180px"))
        self.minutes = w.BoundedFloatText(value=0.0, min=0.0, max=10**6, description="minutes",
                                          style=_STYLE, layout=w.Layout(width="180px"),
                                          tooltip="0 = no time limit (simulated seconds for tabular)")
        self.seed = w.IntText(value=0, description="seed", style=_STYLE, layout=w.Layout(width="180px"))
        self.device = w.Dropdown(options=_device_options(), value="auto", description="device",
                                 style=_STYLE, layout=w.Layout(width="180px"))
        self.device_label = SafeHTML(_describe(self.device.value))
        self.device_label.add_class("nbui-device-label")
        self.device.observe(lambda ch: setattr(self.device_label, "value", _describe(ch["new"])),
                            "value")
        self.start_button = w.Button(description="Start", button_style="success", icon="play")
        self.pause_button = w.Button(description="Pause", icon="pause", disabled=True)
        self.resume_button = w.Button(description="Resume", icon="play", disabled=True)
        self.stop_button = w.Button(description="Stop", button_style="danger", icon="stop", disabled=True)
        for b in (self.start_button, self.pause_button, self.resume_button, self.stop_button):
            b.add_class("nbui-" + b.description.lower())
            b.layout = w.Layout(width="90px")
        self.progress = w.IntProgress(value=0, min=0, max=max(trials, 1), layout=w.Layout(width="260px"))
        self.progress_label = SafeHTML("")
        self.status = SafeHTML(Markup("<span class='nbui-status'>ready</span>"))
        self.status.add_class("nbui-status-line")
        self._t0: float | None = None
        self._seconds: float | None = None
        self._locked: set[str] = set()
        super().__init__([
            SafeHTML(Markup("<b>Search</b>")),
            self.dataset,
            self.strategy, self.strategy_box,
            self.estimator, self.estimator_box,
            w.HBox([self.trials, self.minutes]),
            w.HBox([self.seed, self.device]), self.device_label,
            w.HBox([self.start_button, self.pause_button, self.resume_button, self.stop_button]),
            w.HBox([self.progress, self.progress_label]),
            self.status,
        ])

    # ---------------------------------------------------------------- forms
    def _on_strategy(self, change: dict[str, Any]) -> None:
        cls = strategies.get(change["new"])
        self.strategy_form = OptionsForm(cls.OPTIONS)
        self.strategy_box.children = [self.strategy_form]
        partner = getattr(cls, "ESTIMATOR", None)  # one-shot strategies (DARTS) need theirs
        if partner and partner in self.estimator.options:
            self.estimator.value = partner
        self._apply_locks()

    def _on_estimator(self, change: dict[str, Any]) -> None:
        self.estimator_form = OptionsForm(estimators.get(change["new"]).OPTIONS)
        self.estimator_box.children = [self.estimator_form]
        self._apply_locks()

    def settings(self) -> dict[str, Any]:
        """The experiment settings shown (ValueError names a bad field)."""
        trials = self.trials.value or None
        seconds = self.minutes.value * 60 or None
        if seconds is not None and self._seconds is not None and abs(seconds - self._seconds) < 1e-6:
            seconds = self._seconds
        if trials is None and seconds is None:
            raise ValueError("set a budget: trials > 0 and/or minutes > 0")
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
        filled in, so nothing of an earlier setting lingers. ``strict`` raises a
        ValueError (listing the valid names) for an unknown data set, strategy or
        estimator, or a bad option, instead of keeping what is shown.
        """
        for key, field, registry in (("dataset", self.dataset, data), ("strategy", self.strategy, strategies),
                                     ("estimator", self.estimator, estimators)):
            name = cfg.get(key)
            if strict and name not in field.options:
                raise ValueError(f"unknown {key} {name!r}; valid: {list(field.options)}")
            if strict and key != "dataset":
                options.resolve(registry.get(name), cfg.get(f"{key}_options") or {})
        if cfg.get("dataset") in self.dataset.options:
            self.dataset.value = cfg["dataset"]
        if cfg.get("strategy") in self.strategy.options:
            self.strategy.value = cfg["strategy"]
            self.strategy_form = OptionsForm(strategies.get(cfg["strategy"]).OPTIONS,
                                             cfg.get("strategy_options") or {})
            self.strategy_box.children = [self.strategy_form]
        if cfg.get("estimator") in self.estimator.options:
            self.estimator.value = cfg["estimator"]
            self.estimator_form = OptionsForm(estimators.get(cfg["estimator"]).OPTIONS,
                                              cfg.get("estimator_options") or {})
            self.estimator_box.children = [self.estimator_form]
        self.trials.value = cfg.get("trials") or 0
        self.minutes.value = (cfg.get("seconds") or 0) / 60
        self._seconds = cfg.get("seconds")  # exact, so a round trip keeps e.g. 10.0
        self.seed.value = cfg.get("seed", 0)
        device = cfg.get("device", "auto")
        if not isinstance(device, str) or not device:
            raise ValueError(f"device must be a name like 'auto', 'cpu' or 'cuda:0', got {device!r}")
        if device not in self.device.options:  # e.g. a GPU config opened here: Start says so
            self.device.options = [*self.device.options, device]
        self.device.value = device
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

    def _apply_locks(self, active: bool = False) -> None:
        for name in LOCKABLE:
            off = active or name in getattr(self, "_locked", set())
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
        self._apply_locks(active)
        if running and self._t0 is None:
            self._t0 = time.time()
        if not active:
            self._t0 = None

    def show_progress(self, done: int, total: int | None, counts: dict[str, int], status: str,
                      run: str, message: str | None = None,
                      running: list[tuple[int, str | None]] | None = None) -> None:
        """Progress bar, ETA and status line; ``running`` lists ``(trial, worker)`` of the
        trials in flight (with Dask, each names the worker that holds it)."""
        self.progress.max = max(total or done or 1, 1)
        self.progress.value = min(done, self.progress.max)
        eta = None
        if self._t0 is not None and total and done:
            eta = (time.time() - self._t0) / done * max(total - done, 0)
        self.progress_label.value = f"{done} / {total or '∞'} trials {_fmt_eta(eta)}"
        parts = [f"{counts.get(k, 0)} {k.lower()}" for k in ("COMPLETE", "PRUNED", "FAILED")]
        text = markup("<b>{}</b>: {} · {}", run, status_html(status), " · ".join(parts))
        if running:
            text += markup("<br>running: {}", join(", ", (
                markup("#{}", n) + (markup(" on <code>{}</code>", w) if w else "")
                for n, w in running)))
        if message:
            text += markup("<br>{}", error_html(message))
        self.status.value = markup("<span class='nbui-status'>{}</span>", text)

    def show_error(self, message: str) -> None:
        """Show ``message`` (any text: an error's ``str``) in red on the status line."""
        self.status.value = error_html(message, cls="nbui-status")

"""``SteeringPanel``: change a running (or paused) search without stopping it.

Three levers, each applied by the experiment from its next trial on (see
:mod:`nasbench_ui.steering`): the budget (trials and/or minutes), a parameter limit
(a hard ``params`` constraint that every strategy honours; it is also drawn on the
accuracy-vs-parameters chart as a dotted line the user can drag), and the strategy
(the new one is told the history first). Each change shows in a log line, from the
experiment's ``steer`` events. The panel only calls the experiment's public steering
methods; it never touches a strategy.

Example:
    >>> import nasbench_ui as nb
    >>> exp = nb.Experiment("nb201", estimator="zero_cost", trials=3, storage=":memory:")
    >>> panel = SteeringPanel()
    >>> panel.attach(exp)
    >>> panel.trials.value = 5
    >>> panel.apply_budget()
    >>> exp.config.trials
    5
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w

from .. import strategies as strategies_mod
from ..steering import one_shot_estimator
from .text import Markup, SafeHTML, markup

__all__ = ["SteeringPanel"]


def _multi_trial_strategies() -> list[str]:
    """The strategies a search can switch to: every registered one but the one-shot
    strategies (a one-shot strategy runs with its own estimator)."""
    return [n for n in strategies_mod.names() if one_shot_estimator(n) is None]


class SteeringPanel(w.VBox):
    """Budget, parameter limit and strategy switch for the attached experiment.

    ``on_limit(value_or_None)`` is called after the limit changes (the workbench draws
    it on the chart).
    """

    def __init__(self, on_limit: Callable[[float | None], Any] | None = None) -> None:
        self.experiment: Any = None
        self._on_limit = on_limit
        self._unobserve: Callable[[], Any] | None = None
        # wide enough that no label is cut ("minutes (0: none)", "max params (0: none)")
        field = {"style": {"description_width": "150px"}, "layout": w.Layout(width="280px")}
        self.trials = w.BoundedIntText(value=1, min=1, max=10**7, description="trials", **field)
        self.minutes = w.BoundedFloatText(value=0, min=0, max=10**7, step=1,
                                          description="minutes (0: none)", **field)
        self.budget_button = w.Button(description="Set budget", icon="hourglass-half")
        self.max_params = w.BoundedIntText(value=0, min=0, max=10**12, step=1000,
                                           description="max params (0: none)", **field)
        self.limit_button = w.Button(description="Set limit", icon="filter")
        self.strategy = w.Dropdown(options=_multi_trial_strategies(), description="switch to",
                                   **field)
        self.switch_button = w.Button(description="Switch", icon="random")
        self.message = SafeHTML(Markup("<i>attach or start a search to steer it</i>"))
        self.budget_button.on_click(lambda _: self._guard(self.apply_budget))
        self.limit_button.on_click(lambda _: self._guard(self.apply_limit))
        self.switch_button.on_click(lambda _: self._guard(self.apply_switch))
        super().__init__([
            SafeHTML(Markup("<b>Steer the search</b> (applies from the next trial)")),
            w.HBox([self.trials, self.minutes, self.budget_button]),
            w.HBox([self.max_params, self.limit_button]),
            w.HBox([self.strategy, self.switch_button]),
            self.message,
        ])
        self.add_class("nbui-steer")
        self._set_enabled(False)

    # --------------------------------------------------------------- wiring
    def attach(self, experiment: Any) -> None:
        """Steer ``experiment`` from now on; the fields show its current settings."""
        if self._unobserve is not None:
            self._unobserve()
        self.experiment = experiment
        cfg = experiment.config
        self.trials.value = cfg.trials or self.trials.value
        self.minutes.value = round(cfg.seconds / 60, 3) if cfg.seconds else 0
        self.max_params.value = int((cfg.constraints.get("params") or {}).get("max") or 0)
        if cfg.strategy in self.strategy.options:
            self.strategy.value = cfg.strategy
        self._unobserve = experiment.observe(self._on_event)
        self.message.value = markup("steering <b>{}</b>", experiment.name)
        # a one-shot search (darts) is one strategy and its estimator: nothing to steer
        self._set_enabled(one_shot_estimator(cfg.strategy) is None)

    def _set_enabled(self, on: bool) -> None:
        for b in (self.budget_button, self.limit_button, self.switch_button):
            b.disabled = not on

    def _guard(self, fn: Callable[[], Any]) -> None:
        try:
            fn()
        except (ValueError, RuntimeError) as e:
            self.message.value = markup("<span style='color:#c62828'>{}</span>", e)

    def _on_event(self, event: Any) -> None:
        if event.kind != "steer":
            return
        d = event.data
        self.message.value = markup("from trial {}: {} → {}", d.get("at"), d.get("change"),
                                    d.get("new"))

    # --------------------------------------------------------------- levers
    def _exp(self) -> Any:
        if self.experiment is None:
            raise ValueError("no search to steer yet: press Start first")
        return self.experiment

    def apply_budget(self) -> None:
        """Set the experiment's budget to the fields' trials and minutes (0: none)."""
        minutes = float(self.minutes.value)
        self._exp().set_budget(trials=int(self.trials.value),
                               seconds=minutes * 60 if minutes > 0 else None)

    def apply_limit(self, value: float | None = None) -> None:
        """Limit the parameter count to ``value`` (default: the field; 0 or None: no limit)."""
        if value is not None:
            self.max_params.value = max(0, int(value))
        limit = int(self.max_params.value)
        exp = self._exp()
        constraints = {k: v for k, v in exp.config.constraints.items() if k != "params"}
        if limit > 0:
            constraints["params"] = {**(exp.config.constraints.get("params") or {}), "max": limit}
        exp.set_constraints(constraints)
        if self._on_limit is not None:
            self._on_limit(limit or None)

    def apply_switch(self) -> None:
        """Switch the search to the strategy in the dropdown (it keeps the history)."""
        self._exp().switch_strategy(self.strategy.value)

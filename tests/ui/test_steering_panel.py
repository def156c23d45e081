"""Steering from the workbench: budget, parameter limit (also dragged on the chart) and
strategy switch, each applied from the next trial; and the estimator-quality tab."""

from __future__ import annotations

import threading

import pandas as pd
import pytest
from scipy.stats import kendalltau

import nasbench_ui as nb
from nasbench_ui.constraints import arch_params
from nasbench_ui.estimators import Estimate
from nasbench_ui.ui.steering_panel import SteeringPanel

OPS = ["none", "skip_connect", "avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3"]


def score(arch):
    return sum(OPS.index(v) * (i + 1) for i, v in enumerate(arch.values())) / 84


class Gated:
    """Instant scores; trial ``hold`` waits for ``gate`` (so a test can steer then)."""

    NAME, OPTIONS = "gated", {}

    def __init__(self, hold: int = 2) -> None:
        self.hold, self.gate, self.reached = hold, threading.Event(), threading.Event()

    def estimate(self, arch, ctx):
        if ctx.number == self.hold:
            self.reached.set()
            while not self.gate.wait(0.01):
                ctx.check_stop()
        return Estimate(score(arch), {"valid_acc": score(arch)})


def started(est, **kw):
    exp = nb.Experiment("nb201", estimator=est, storage=":memory:", seed=0, **kw)
    wb = nb.Workbench(experiment=exp)
    exp.start()
    assert est.reached.wait(30)
    return wb, exp


def test_panel_needs_a_search():
    panel = SteeringPanel()
    assert panel.budget_button.disabled and panel.switch_button.disabled
    panel._guard(panel.apply_budget)
    assert "press Start" in panel.message.value


def test_budget_change_applies_from_the_next_trial():
    est = Gated(hold=2)
    wb, exp = started(est, trials=10)
    wb.steer.trials.value = 4
    wb.steer.budget_button.click()
    est.gate.set()
    exp.wait(30)
    assert len(exp.trials) == 4 and exp.config.trials == 4
    assert "trials" in wb.steer.message.value


def test_limit_from_the_field_and_from_a_drag_on_the_chart():
    est = Gated(hold=2)
    wb, exp = started(est, trials=6)
    wb.steer.max_params.value = 50_000
    wb.steer.limit_button.click()
    assert exp.config.constraints == {"params": {"max": 50_000}}
    assert wb.charts.limit == 50_000 and wb.charts.limit_span.visible
    # the page drags the dashed line: Bokeh sets the span's location
    wb.charts.limit_span.location = 30_000.0
    assert exp.config.constraints == {"params": {"max": 30_000}}
    assert wb.steer.max_params.value == 30_000
    wb.charts.set_scatter_x("flops")  # the line is in parameters: hidden on another axis
    assert not wb.charts.limit_span.visible
    est.gate.set()
    exp.wait(30)
    later = [t for t in exp.trials if t.number > 2]
    assert later and all(arch_params(exp.space, t.arch) <= 30_000 for t in later)


def test_switch_strategy_from_the_panel_keeps_the_history():
    est = Gated(hold=3)
    wb, exp = started(est, trials=8, strategy="random")
    wb.steer.strategy.value = "evolution"
    wb.steer.switch_button.click()
    est.gate.set()
    exp.wait(30)
    proposers = [t.meta.get("strategy") for t in exp.trials]
    assert proposers[:4] == ["random"] * 4 and set(proposers[4:]) == {"evolution"}
    assert exp.config.strategy == "evolution"
    assert "darts" not in wb.steer.strategy.options  # one-shot: not a switch target


def test_a_stopped_search_takes_a_new_budget_and_an_error_is_shown_not_raised():
    est = Gated(hold=1)
    wb, exp = started(est, trials=3)
    exp.stop(wait=True)
    wb.steer.trials.value = 5
    wb.steer.budget_button.click()
    assert exp.config.trials == 5
    wb.steer.experiment = None  # as before any Start
    wb.steer.switch_button.click()
    assert "press Start" in wb.steer.message.value


def test_quality_tab_matches_scipy():
    space = nb.spaces.nb201()
    exp = nb.Experiment(space, estimator="zero_cost", trials=8, seed=0, storage=":memory:")
    exp.run()
    truth = pd.DataFrame({"arch_str": [space.key(t.arch) for t in exp.trials],
                          "acc": [score(t.arch) for t in exp.trials]})
    wb = nb.Workbench(experiment=exp)
    panel = wb.set_truth(truth, metric="acc", k=3)
    assert wb.tabs.get_title(len(wb.tabs.children) - 1) == "Quality"
    assert panel is wb.quality and panel in wb.tabs.children
    tau = kendalltau([t.value for t in exp.trials], [score(t.arch) for t in exp.trials])[0]
    assert panel.quality["kendall_tau"] == pytest.approx(tau)
    assert panel.quality["n"] == 8
    wb.replay_to(4)  # the replay rewinds the panel too
    panel.flush()
    assert panel.quality["n"] == 4
    wb.set_truth(truth, metric="acc")  # a new truth replaces the tab, not adds one
    assert sum(1 for c in wb.tabs.children if c is wb.quality) == 1
    assert [wb.tabs.get_title(i) for i in range(len(wb.tabs.children))].count("Quality") == 1

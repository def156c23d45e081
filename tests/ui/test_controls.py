"""The search panel (``ui/controls.py``): the budget boxes refuse a number of trials
below 1 next to the field, so Start never starts with it."""

from __future__ import annotations

import pytest

import nasbench_ui as nb
from nasbench_ui.ui.controls import ControlPanel


# ------------------------------------------------------------------ trials
def test_trials_below_one_are_refused_next_to_the_field_and_start_does_not_start():
    wb = nb.Workbench(space="nb201", estimator="zero_cost", storage=":memory:")
    c = wb.controls
    c.strategy.value = "evolution"
    c.trials.value = -5  # what the page sends for a typed -5
    assert c.trials.value == -5  # shown as typed, not turned into 0
    assert "nbui-bad" in c.trials._dom_classes
    assert "trials must be 1 or more, got -5" in c.budget.message.value
    assert wb.start() is None and wb.experiment is None
    assert "trials must be 1 or more" in c.status.value
    assert (c.strategy.value, c.estimator.value) == ("evolution", "zero_cost")  # kept
    c.trials.value = 0  # and no time budget: refused too
    assert "0 means no trial limit, only with minutes" in c.budget.message.value
    with pytest.raises(ValueError, match="trials must be 1 or more"):
        c.settings()
    c.trials.value = 2
    assert "nbui-bad" not in c.trials._dom_classes and c.budget.message.value == ""
    exp = wb.start()
    assert exp is not None, c.status.value
    exp.wait()
    assert exp.config.trials == 2 and len(exp.trials) == 2


def test_zero_trials_with_minutes_is_a_search_without_a_trial_limit_and_says_so():
    c = ControlPanel()
    c.trials.value = 0
    c.minutes.value = 1.5
    assert c.budget.error is None and "nbui-bad" not in c.trials._dom_classes
    assert "no trial limit" in c.budget.message.value
    s = c.settings()
    assert (s["trials"], s["seconds"]) == (None, 90.0)
    c.minutes.value = -1  # a negative time is refused the same way, on its own box
    assert "nbui-bad" in c.minutes._dom_classes and "nbui-bad" not in c.trials._dom_classes
    with pytest.raises(ValueError, match="minutes must be 0"):
        c.settings()


def test_a_seconds_only_config_round_trips_through_the_budget_boxes():
    c = ControlPanel()
    cfg = {**c.settings(), "trials": None, "seconds": 600.0}
    c.load_settings(cfg)
    assert (c.trials.value, c.minutes.value, c.budget.error) == (0, 10.0, None)
    assert (c.settings()["trials"], c.settings()["seconds"]) == (None, 600.0)

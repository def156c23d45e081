"""The search panel (``ui/controls.py``): the estimators offered follow the space shown
(``tabular`` only where a table can hold its architectures), and the budget boxes refuse
a number of trials below 1 next to the field, so Start never starts with it."""

from __future__ import annotations

import pytest

import nasbench_ui as nb
from nasbench_ui.space import presets
from nasbench_ui.ui.controls import ControlPanel


def _digits_state() -> dict:
    """A shared config of the shipped table's search (tabular, the digits table)."""
    source = nb.Workbench(space="digits_cell", estimator="tabular", storage=":memory:")
    source.controls.estimator_form.set_values({"table": "digits"})
    return source.state


# ------------------------------------------------------------ estimators offered
@pytest.mark.parametrize("space", ["keras_cnn", "mlp", "rnn", "darts_cell"])
def test_tabular_is_not_offered_for_a_space_without_a_table(space):
    wb = nb.Workbench(space=space, storage=":memory:")
    assert "tabular" not in wb.controls.estimator.options
    assert "early_stop" in wb.controls.estimator.options
    assert "digits_cell" in wb.controls.estimator.tooltip  # where to find one


def test_tabular_is_offered_again_when_the_space_shown_has_a_table():
    wb = nb.Workbench(storage=":memory:")  # keras_cnn
    assert "tabular" not in wb.controls.estimator.options
    wb.preset.value = "nb201"
    assert "tabular" in wb.controls.estimator.options
    assert wb.controls.estimator.value == "early_stop"  # offered, not chosen
    wb.preset.value = "digits_cell"  # the shipped table: picked with its table
    assert wb.controls.estimator.value == "tabular"
    assert wb.controls.settings()["estimator_options"] == {"table": "digits"}


def test_a_space_without_a_table_switches_tabular_to_early_stop_with_a_note():
    wb = nb.Workbench(space="digits_cell", estimator="tabular", storage=":memory:")
    c = wb.controls
    c.strategy.value = "evolution"
    c.trials.value = 12
    assert c.estimator.value == "tabular" and c.speed.value == "auto"
    wb.preset.value = "mlp"
    assert c.estimator.value == "early_stop"
    assert c.estimator_form.owner == "early_stop" and "epochs" in c.estimator_form.fields
    assert "tabular" not in c.estimator.options
    note = c.notice.value
    assert "mlp has no table" in note and "the estimator is now early_stop" in note
    assert c.speed.value == "full"  # the speed of training, not of a table look-up
    assert (c.strategy.value, c.trials.value) == ("evolution", "12")  # nothing else changed
    assert "estimator options: early_stop" in c.advanced.titles


def test_an_edited_space_that_loses_its_table_switches_too():
    wb = nb.Workbench(space="digits_cell", estimator="tabular", storage=":memory:")
    wb.space = presets.keras_cnn()  # what the editor's observer hands on, as after a drawing
    assert wb.controls.estimator.value == "early_stop"
    assert "keras_cnn has no table" in wb.controls.notice.value


def test_a_locked_tabular_estimator_stays_and_the_note_says_its_trials_will_fail():
    wb = nb.Workbench(space="digits_cell", estimator="tabular", storage=":memory:",
                      lock=["estimator"])
    wb.preset.value = "mlp"
    assert wb.controls.estimator.value == "tabular" and wb.controls.estimator.disabled
    assert "locked, so each trial will fail" in wb.controls.notice.value


def test_a_workbench_opened_with_tabular_locked_on_a_space_without_a_table_keeps_it():
    # the lock holds from the start: the space shown first does not switch it away
    wb = nb.Workbench(space="mlp", estimator="tabular", storage=":memory:", lock=["estimator"])
    assert wb.controls.estimator.value == "tabular" and wb.controls.estimator.disabled
    assert "locked, so each trial will fail" in wb.controls.notice.value
    assert wb.state["estimator"] == "tabular"


def test_a_shared_config_with_tabular_and_its_table_space_loads_into_another_space():
    state = _digits_state()
    for ui in (False, True):  # wb.state = ..., and the Import button
        wb = nb.Workbench(storage=":memory:")  # keras_cnn: no tabular offered
        wb.load_state(state, ui=ui)
        assert wb.space.name == "digits_cell"
        assert wb.controls.estimator.value == "tabular"
        assert wb.controls.settings()["estimator_options"] == {"table": "digits"}
        assert wb.state == state


def test_a_shared_config_with_tabular_on_a_space_without_a_table_is_refused():
    state = {**_digits_state(), "space": presets.mlp().to_dict()}
    wb = nb.Workbench(space="nb201", storage=":memory:")
    before = wb.state
    with pytest.raises(ValueError, match="mlp has no table for tabular"):
        wb.state = state
    assert wb.state == before  # nothing changed
    assert wb.sharing.import_text(__import__("json").dumps(state)) is False
    assert "mlp has no table" in wb.sharing.message.value


def test_a_panel_without_a_space_offers_every_estimator():
    panel = ControlPanel()
    assert "tabular" in panel.estimator.options
    panel.set_space(presets.get("keras_cnn"))
    assert "tabular" not in panel.estimator.options
    panel.set_space(presets.get("digits_cell"))
    panel.estimator.value = "tabular"
    assert panel.estimator.value == "tabular" and panel.estimator.tooltip is None


# ------------------------------------------------------------------ trials
@pytest.mark.parametrize("typed", ["2.5", "2e3", "ten", ""])
def test_a_trials_count_that_is_no_whole_number_is_refused_as_typed(typed):
    """ipywidgets' IntText dropped the point of a typed "2.5" in the page and sent 25; the
    box is text now, kept as typed, and what is no whole number is refused, never read as
    another number."""
    wb = nb.Workbench(space="nb201", estimator="zero_cost", storage=":memory:")
    c = wb.controls
    c.trials.value = typed  # what the page sends for it
    assert c.trials.value == typed and "nbui-bad" in c.trials._dom_classes
    reason = f"trials must be a whole number, got {typed}" if typed else "write the number"
    assert reason in c.budget.message.value
    assert wb.start() is None and wb.experiment is None
    c.trials.value = " 25 "
    assert c.budget.error is None and c.settings()["trials"] == 25


def test_trials_below_one_are_refused_next_to_the_field_and_start_does_not_start():
    wb = nb.Workbench(space="nb201", estimator="zero_cost", storage=":memory:")
    c = wb.controls
    c.strategy.value = "evolution"
    c.trials.value = -5  # what the page sends for a typed -5
    assert c.trials.value == "-5"  # shown as typed, not turned into 0
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
    assert (c.trials.value, c.minutes.value, c.budget.error) == ("0", 10.0, None)
    assert (c.settings()["trials"], c.settings()["seconds"]) == (None, 600.0)


def test_a_stored_tabular_run_on_a_space_without_a_table_is_shown_as_stored_with_a_note(
        tmp_path):
    table = tmp_path / "mlp.csv"  # a table of its own, keyed by mlp's JSON keys
    table.write_text("arch_str,valid_acc_12ep\nx,0.5\n")
    exp = nb.Experiment("mlp", estimator="tabular", estimator_options={"table": str(table)},
                        trials=2, storage=":memory:")  # made in code
    wb = nb.Workbench(experiment=exp)
    # Export, Copy as Python and Start keep what the run stored
    assert wb.controls.estimator.value == "tabular"
    assert wb.state["estimator"] == "tabular"
    assert wb.state["estimator_options"] == {"table": str(table)}
    assert "table of its own" in wb.controls.notice.value
    wb.preset.value = "keras_cnn"  # a new space: the offer follows it again
    assert wb.controls.estimator.value == "early_stop"
    assert "tabular" not in wb.controls.estimator.options


def test_the_estimator_of_a_running_search_stays_while_the_space_changes():
    c = ControlPanel(estimator="tabular")
    c.set_space(presets.digits_cell())
    c.set_running_state("running")
    c.set_space(presets.mlp())  # the preset switched while the search runs
    assert c.estimator.value == "tabular" and c.estimator.disabled and c.trials.disabled
    assert "the space shown is for the next Start" in c.notice.value
    c.set_running_state("paused")
    assert c.estimator.value == "tabular" and c.estimator.disabled
    c.set_running_state("done")  # ended: the offer follows the space shown
    assert c.estimator.value == "early_stop" and not c.estimator.disabled
    assert "mlp has no table for tabular" in c.notice.value


def test_a_space_change_during_a_run_keeps_the_panel_locked_in_the_workbench():
    wb = nb.Workbench(space="digits_cell", estimator="tabular", storage=":memory:",
                      trials=10_000, process=False)
    wb.controls.estimator_form.set_values({"table": "digits"})
    wb.controls.speed.value = 1.0  # real time: a trial takes its simulated seconds
    exp = wb.start()
    try:
        assert exp.running
        wb.preset.value = "mlp"
        c = wb.controls
        assert (c.estimator.value, c.estimator.disabled, c.strategy.disabled,
                c.trials.disabled) == ("tabular", True, True, True)
    finally:
        wb.stop(wait=True)


def test_a_table_note_goes_when_the_space_shown_has_a_table_again():
    wb = nb.Workbench(space="digits_cell", estimator="tabular", storage=":memory:",
                      lock=["estimator"])
    wb.preset.value = "mlp"
    assert "each trial will fail" in wb.controls.notice.value
    wb.preset.value = "digits_cell"
    assert wb.controls.notice.value == ""
    assert wb.controls.estimator.value == "tabular"


def test_a_hidden_budget_hides_its_message_too():
    wb = nb.Workbench(storage=":memory:", hide=["budget"])
    wb.controls.trials.value, wb.controls.minutes.value = 0, 2.0
    assert "no trial limit" in wb.controls.budget.message.value
    assert wb.controls.budget.layout.display == "none"


def test_start_with_the_digits_table_on_nb201_says_why_and_starts_nothing():
    wb = nb.Workbench(space="nb201", estimator="tabular", storage=":memory:", process=False)
    wb.controls.estimator_form.set_values({"table": "digits"})  # what the box suggests
    wb.start()
    assert wb.experiment is None
    assert "digits_cell preset only" in wb.controls.status.value


# ------------------------------------------------------------ the budget's line
def test_the_budget_line_wraps_by_the_stylesheet_class_not_an_inline_style():
    from nasbench_ui.ui.text import WORKBENCH_STYLE

    c = ControlPanel()
    c.trials.value = -5
    assert "trials must be 1 or more" in c.budget.message.value
    assert "style='white-space" not in c.budget.message.value  # no second copy of the rule
    c.trials.value, c.minutes.value = 0, 2.0
    assert "no trial limit" in c.budget.message.value and "white-space" not in c.budget.message.value
    assert "nbui-budget-message" in c.budget.message._dom_classes
    wrapping = WORKBENCH_STYLE.split("{ white-space: normal")[0].rsplit("}", 1)[-1]
    assert ".nbui-workbench .nbui-budget-message .widget-html-content" in wrapping


def test_a_failed_starts_red_line_goes_once_the_control_it_was_about_is_valid():
    wb = nb.Workbench(space="nb201", estimator="zero_cost", storage=":memory:", process=False)
    c = wb.controls
    ready = c.status.value
    c.trials.value = -5
    assert wb.start() is None and "trials must be 1 or more" in c.status.value
    c.trials.value = -3  # still refused: the reason under the box says so, the line stays
    assert "trials must be 1 or more" in c.status.value
    c.trials.value = 3
    assert c.status.value == ready
    c.estimator_form.fields["threads"].value = "many"
    assert wb.start() is None and "estimator option threads" in c.status.value
    c.trials.value = 4  # another control: the estimator's error stays
    assert "estimator option threads" in c.status.value
    c.estimator_form.fields["threads"].value = "1"
    assert c.status.value == ready
    wb.hparams.add.click()
    wb.hparams._rows[-1]["spec"].value = "one to four"
    assert wb.start() is None and "fix the hyperparameters first" in c.status.value
    wb.hparams._rows[-1]["spec"].value = "1..4 step 1"
    assert c.status.value == ready
    assert wb.experiment is None

"""Issue 11 (points 1, 2, 6, 7, 8, 9), headless: forms whose edits count at once, the
speed control, the latest run shown by a new workbench, run names and the run picker,
paused status and the time left in words."""

from __future__ import annotations

import re

import ipywidgets as w
import pytest

import nasbench_ui as nb
from nasbench_ui import estimators, strategies
from nasbench_ui.storage.lease import Lease
from nasbench_ui.ui import forms
from nasbench_ui.ui.controls import ControlPanel, auto_pace, default_speed, fmt_eta
from nasbench_ui.ui.forms import OptionsForm
from nasbench_ui.ui.live_panels import LivePanels
from nasbench_ui.ui.live_redraw import Progress
from nasbench_ui.ui.option_fields import NamesText, PairRows
from nasbench_ui.ui.replay import Replay
from nasbench_ui.ui.run_picker import RunPicker, run_name
from nasbench_ui.ui.steering_panel import SteeringPanel
from nasbench_ui.ui.text import WORKBENCH_STYLE, shown_path

NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")


def _spec(wb: nb.Workbench, label: str) -> w.Text:
    return next(r["spec"] for r in wb.hparams._rows if r["label"].value == label)


def test_a_typed_range_counts_without_apply_and_keeps_its_field():
    wb = nb.Workbench(storage=":memory:")
    spec = _spec(wb, "units")
    spec.value = "32..48 step 16"  # what the page sends on Tab
    assert [h.to_dict() for h in wb.space.hparams if h.label == "units"] == [
        {"type": "int", "label": "units", "low": 32, "high": 48, "step": 16}]
    assert wb.editor.size == 160
    assert _spec(wb, "units") is spec  # the row was kept: the field being typed in stays
    wb.controls.estimator_form.fields["epochs"].value = 1
    wb.controls.trials.value = 1
    exp = wb.start()
    exp.wait()
    assert [h.high for h in exp.space.hparams if h.label == "units"] == [48]


def test_a_bad_range_turns_red_and_start_refuses_with_its_reason():
    wb = nb.Workbench(storage=":memory:")
    spec = _spec(wb, "units")
    spec.value = "32..x"
    assert "nbui-bad" in spec._dom_classes
    assert "write the range" in wb.hparams.message.value
    assert wb.start() is None and wb.experiment is None
    assert "fix the hyperparameters first" in wb.controls.status.value
    spec.value = "32..64 step 32"
    assert "nbui-bad" not in spec._dom_classes and wb.hparams.error is None


def test_an_edge_with_no_operation_is_blamed_on_the_space_not_the_hyperparameters():
    """Unticking every operation of an edge: Start names the space and the edge (it said
    "fix the hyperparameters first" before), and nothing starts."""
    wb = nb.Workbench(space="nb201", storage=":memory:")
    d = wb.space.to_dict()
    d["edges"][0]["ops"] = []
    wb.editor.space_json = d
    assert wb.start() is None and wb.experiment is None
    status = wb.controls.status.value
    assert "fix the search space first" in status and "1&lt;-0" in status, status
    assert "hyperparameters" not in status


def test_a_bad_structured_option_is_refused_at_start_with_the_reason():
    wb = nb.Workbench(space="digits_cell", estimator="tabular", storage=":memory:")
    wb.controls.estimator_form.set_values({"table": "digits"})
    cost = wb.controls.estimator_form.fields["cost"]
    assert isinstance(cost, PairRows)
    cost.value = {"no_such_column": 1}
    assert wb.controls.estimator_form.values()["cost"] == {"no_such_column": 1}
    assert wb.start() is None and wb.experiment is None
    assert "no_such_column" in wb.controls.status.value


def test_structured_options_have_inputs_not_json():
    form = OptionsForm(strategies.get("pareto_evolution").OPTIONS, owner="pareto_evolution")
    objectives = form.fields["objectives"]
    assert isinstance(objectives, PairRows)
    objectives.rows[1]["second"].value = "max"
    assert form.values()["objectives"] == [["value", "max"], ["params", "max"]]
    tab = OptionsForm(estimators.get("tabular").OPTIONS, owner="tabular")
    assert isinstance(tab.fields["extra_metrics"], NamesText)
    tab.fields["extra_metrics"].value = ["train_acc"]
    assert tab.values(only_changed=True) == {"extra_metrics": ["train_acc"]}
    assert not any(isinstance(f, w.Text) and f.value.startswith(("[", "{"))
                   for f in [*form.fields.values(), *tab.fields.values()])


def test_extra_metrics_is_a_labelled_box_of_names_separated_by_commas():
    """"extra metrics" was an ipywidgets tag input: a tiny empty square beside its label
    (and in JupyterLab its Enter never made a tag: the notebook took the key). It is a
    text box like the others, labelled and with a grey hint, read as a list of names."""
    tab = OptionsForm(estimators.get("tabular").OPTIONS, {"extra_metrics": ["test_acc"]},
                      owner="tabular")
    box = tab.fields["extra_metrics"]
    assert isinstance(box, w.Text) and box.description == "extra metrics"
    assert box.value == "test_acc" and tab.values()["extra_metrics"] == ["test_acc"]
    box.value = ""
    assert box.placeholder == "columns, separated by commas"
    box.value = "test_acc, params,  flops ,params"  # what the page sends
    assert tab.values(only_changed=True) == {"extra_metrics": ["test_acc", "params", "flops"]}
    tab.set_values({"extra_metrics": ["a", "b"]})
    assert box.value == "a, b" and tab.error is None
    # every row leaves room for its own margins (2 px a side): at "100%" it ran 2 px past
    # the panel and the input's right edge was cut (tests/browser/test_controls_e2e.py)
    assert {f.layout.width for f in tab.fields.values() if isinstance(f, w.Text)} == {
        f"calc(100% - {forms.ROW_MARGINS_PX}px)"}


@pytest.mark.parametrize("strategy", strategies.names())
def test_no_two_fields_of_the_search_panel_share_a_label(strategy):
    panel = ControlPanel()
    panel.strategy.value = strategy
    for estimator in estimators.names():
        panel.estimator.value = estimator
        labels = [f.description for f in (panel.strategy, panel.estimator, panel.trials,
                                           panel.minutes, panel.speed, panel.dataset,
                                           panel.seed, panel.device)]
        for form in (panel.strategy_form, panel.estimator_form):
            labels += list(form.labels.values())
        dupes = {t for t in labels if labels.count(t) > 1}
        assert not dupes, f"{panel.strategy.value} + {estimator}: {dupes}"
        panel.strategy.value = strategy


def test_bananas_names_its_predictor_options_without_renaming_keys():
    form = OptionsForm(strategies.get("bananas").OPTIONS, owner="bananas")
    assert form.labels["epochs"] == "predictor epochs"
    assert form.labels["learning_rate"] == "predictor learning rate"
    assert "epochs" in form.values() and "learning_rate" in form.values()


def test_an_estimator_of_another_strategy_switches_the_strategy_with_a_notice():
    panel = ControlPanel()
    panel.estimator.value = "darts_epoch"
    assert panel.strategy.value == "darts"
    assert "serves only the darts strategy" in panel.notice.value
    panel.strategy.value = "random"
    assert panel.estimator.value != "darts_epoch"
    nb.Experiment("nb201", strategy=panel.strategy.value, estimator=panel.estimator.value,
                  trials=1)  # a pair the engine takes


def test_speed_defaults_watchable_for_tabular_and_full_otherwise():
    assert default_speed("tabular") == "auto" and default_speed("early_stop") == "full"
    assert auto_pace([1.0, 3.0, 2.0], rate=2.0) == 4.0 and auto_pace([None, 0]) is None
    panel = ControlPanel()
    assert panel.pace() is None
    panel.estimator.value = "tabular"
    assert panel.speed.value == "auto"
    panel.speed.value = 10.0
    assert panel.pace() == 10.0


def test_watchable_speed_paces_a_tabular_search_from_its_costs():
    wb = nb.Workbench(space="digits_cell", estimator="tabular", storage=":memory:")
    wb.controls.estimator_form.set_values({"table": "digits"})
    assert wb.controls.speed.value == "auto"
    wb.controls.trials.value = 3
    exp = wb.start()
    exp.wait()
    costs = [t.metrics["cost_s"] for t in exp.finished_trials()]
    assert exp.pace == pytest.approx(auto_pace(costs))
    wb.controls.speed.value = "full"
    assert exp.pace is None


def test_a_new_workbench_shows_the_latest_run_of_its_store(tmp_path):
    db = tmp_path / "runs.db"
    exp = nb.Experiment("nb201", estimator="zero_cost", trials=4, storage=str(db))
    exp.run()
    exp.close()
    wb = nb.Workbench(storage=str(db))  # a re-run cell
    assert wb.experiment is not None and wb.experiment.name == exp.name
    assert wb.space.name == "nb201"
    assert len(wb.charts.sources["history"].data["number"]) == 4
    assert not wb.experiment.running
    assert exp.name in wb.run_label.value
    assert [n for _, n in wb.runs.runs.options] == [exp.name]


def test_a_workbench_with_a_space_starts_empty(tmp_path):
    db = tmp_path / "runs.db"
    nb.Experiment("nb201", estimator="zero_cost", trials=1, storage=str(db)).run().close()
    assert nb.Workbench(space="keras_cnn", storage=str(db)).experiment is None


def test_run_names_count_from_the_store(tmp_path):
    db = str(tmp_path / "runs.db")
    names = []
    for _ in range(2):
        # on a kernel thread: a process of its own per search only costs seconds here
        wb = nb.Workbench(space="nb201", storage=db, estimator="zero_cost", trials=1,
                          process=False)
        names.append(wb.start().wait().name)
    assert names == ["random-nb201-1", "random-nb201-2"]
    store = nb.storage.open_store(":memory:")
    assert NAME.fullmatch(run_name(store, "a b/c", "<x>" * 60))


def test_run_picker_opens_and_deletes_but_never_a_running_or_shown_run():
    store = nb.storage.open_store(":memory:")
    for name in ("old", "busy", "shown"):
        nb.Experiment("nb201", estimator="zero_cost", trials=1, storage=store, name=name).run()
    opened = []
    picker = RunPicker(opened.append)
    picker.show_store(store, current="shown")
    assert [n for _, n in picker.runs.options] == ["shown", "busy", "old"]
    assert picker.delete("shown") is False and "run shown here" in picker.message.value
    lease = Lease(store, "busy")
    lease.acquire()
    try:
        assert picker.delete("busy") is False and "is running" in picker.message.value
    finally:
        lease.release()
    assert picker.delete("old") is False and "again" in picker.message.value
    assert picker.delete("old") is True
    assert [e["name"] for e in store.experiments()] == ["busy", "shown"]
    picker.open_run("busy")
    assert opened == ["busy"]


def test_paused_status_and_time_left_in_words():
    panel = ControlPanel()
    panel.show_progress(3, 10, {"COMPLETE": 3}, "paused", "run", running=[(5, None)])
    assert "paused" in panel.status.value and "running: #" not in panel.status.value
    panel.show_progress(3, 10, {"COMPLETE": 3}, "running", "run", running=[(5, None)])
    assert "running: #5" in panel.status.value
    assert fmt_eta(719) == "about 12 min left" and fmt_eta(5) == "about 5 s left"
    assert fmt_eta(None) == "" and "ETA" not in fmt_eta(4000)


def test_the_status_line_wraps_by_the_stylesheet_class_not_an_inline_style():
    """The status line carried its own 'white-space:normal;overflow-wrap:anywhere' style,
    a second copy of the .nbui-status-line rule of the workbench's stylesheet."""
    panel = ControlPanel()
    panel.show_progress(3, 10, {"COMPLETE": 3}, "running", "run", running=[(5, None)])
    assert "style=" not in panel.status.value and "nbui-status-line" in panel.status._dom_classes
    rule = re.search(r"\.nbui-status-line \.widget-html-content,[^{]*\{([^}]*)\}", WORKBENCH_STYLE)
    assert rule and "white-space: normal" in rule.group(1) and "overflow-wrap: anywhere" in rule.group(1)


def test_the_status_lines_counts_stand_on_their_own_line_each_kept_whole():
    """In the bar (1280 px, file browser closed) the status line is 368 px wide and
    'evolution-digits_cell-1: running · 7 complete · 0 pruned · 0 failed' broke between
    '0' and 'pruned'. The counts now start a line of their own, each in a span the
    stylesheet keeps whole (tests/browser/test_teacher_e2e.py reads the lines)."""
    panel = ControlPanel()
    panel.show_progress(7, 200, {"COMPLETE": 7}, "running", "evolution-digits_cell-1")
    assert re.search(r": <span class='nbui-state'>running</span><br><span class='nbui-count'>"
                     r"7 complete</span> · <span class='nbui-count'>0 pruned</span> · "
                     r"<span class='nbui-count'>0 failed</span></span>$", panel.status.value), \
        panel.status.value
    assert re.search(r"\.nbui-status-line \.nbui-count \{ white-space: nowrap; \}", WORKBENCH_STYLE)


def test_the_share_tabs_messages_use_the_projects_colours():
    """The Share tab wrote its refusals in a hard-coded '#c0392b', not text.ERROR_COLOR:
    every red line of the workbench is error_html's (class nbui-error, ERROR_COLOR), and
    no module of the UI but text.py spells the colour out."""
    from pathlib import Path

    from nasbench_ui.ui import text
    from nasbench_ui.ui.sharing import StatePanel

    def refuse(_text):
        raise ValueError("no such strategy")

    panel = StatePanel(lambda: {}, refuse)
    assert panel.import_text("{}") is False
    assert panel.message.value.startswith(f"<span class='nbui-error' style='color:{text.ERROR_COLOR}'>")
    ui = Path(text.__file__).parent
    spelled = [p.name for p in ui.glob("*.py") if p.name != "text.py"
               and text.ERROR_COLOR.lower() in p.read_text(encoding="utf-8").lower()]
    assert spelled == []


def _counted(status: str) -> dict[str, int]:
    words = "complete|pruned|failed|interrupted|running|paused mid-trial"
    return {w: int(n) for n, w in re.findall(rf"(\d+) ({words})", status)}


@pytest.mark.parametrize("status", ["paused", "running"])
def test_the_status_line_counts_every_trial_the_replay_counts(status):
    """Paused with a trial held mid-trial, the replay read 'live · 3 trials' and the
    status line '2 complete · 0 pruned · 0 failed': the trial in flight (and one a stop
    cut short) were counted by the replay only."""
    panel, replay = ControlPanel(), Replay(lambda _k: None)
    panels = LivePanels(charts=None, controls=panel, replay=replay, arch_view=None, diff=None,
                        table=None, runs=None, results=list)
    counts = {"COMPLETE": 2, "INTERRUPTED": 1, "RUNNING": 1}
    panels.progress(Progress(count=4, done=2, total=10, counts=counts, status=status,
                             name="run", error=None, running=[(3, None)], state=status))
    assert "live · 4 trials" in replay.label.value
    shown = _counted(panel.status.value)
    assert sum(shown.values()) == 4, panel.status.value
    assert shown["interrupted"] == 1
    assert shown["paused mid-trial" if status == "paused" else "running"] == 1


def test_time_left_counts_the_time_run_not_paused_and_only_this_starts_trials(monkeypatch):
    """A teacher paused for minutes and saw "about 5 min left" for a 20 s search: the
    estimate counted the pause. It counts running time, from the trials this Start
    finished, and shows nothing while paused or stopping."""
    from nasbench_ui.ui import controls as module

    clock = [1000.0]
    monkeypatch.setattr(module, "_now", lambda: clock[0])
    panel = ControlPanel()
    panel.set_running_state("running")
    panel.show_progress(20, 30, {"COMPLETE": 20}, "running", "run")  # resumed at 20 of 30
    clock[0] += 10
    panel.show_progress(25, 30, {"COMPLETE": 25}, "running", "run")  # 5 trials in 10 s
    assert panel.progress_label.value == "25 / 30 trials · about 10 s left"
    panel.set_running_state("paused")
    clock[0] += 300  # five minutes paused
    panel.show_progress(25, 30, {"COMPLETE": 25}, "paused", "run")
    assert panel.progress_label.value == "25 / 30 trials"
    panel.set_running_state("running")
    clock[0] += 2
    panel.show_progress(26, 30, {"COMPLETE": 26}, "running", "run")  # 6 trials in 12 s
    assert panel.progress_label.value == "26 / 30 trials · about 8 s left"
    panel.set_running_state("stopping")
    panel.show_progress(26, 30, {"COMPLETE": 26}, "stopping", "run")
    assert panel.progress_label.value == "26 / 30 trials"


def test_steering_applies_on_its_button_not_on_a_typed_value():
    exp = nb.Experiment("nb201", estimator="zero_cost", trials=3)
    panel = SteeringPanel()
    panel.attach(exp)
    panel.trials.value = 1  # "100" typed one key at a time passes through 1
    assert exp.config.trials == 3
    panel.trials.value = 100
    panel.budget_button.click()
    assert exp.config.trials == 100


def test_paths_show_relative_to_the_notebook_folder(tmp_path):
    inside = tmp_path / "runs" / "a.db"
    assert shown_path(inside, tmp_path) == "runs/a.db"
    assert shown_path("/elsewhere/a.db", tmp_path) == "/elsewhere/a.db"

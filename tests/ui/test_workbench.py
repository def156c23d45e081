"""Headless tests of the composed workbench (the widget API, no browser)."""

from __future__ import annotations

import time

import pytest
from helpers import wait_for

import nasbench_ui as nb
from nasbench_ui.estimators import Estimate


class Quick:
    NAME = "quick"
    OPTIONS: dict = {}

    def estimate(self, arch, ctx):
        v = sum(1 for x in arch.values() if x == "nor_conv_3x3") / 6
        ctx.report({"epoch": 1, "valid_acc": v})
        time.sleep(0.02)
        return Estimate(v, {"valid_acc": v, "params": 100 + 10 * v})


@pytest.fixture
def quick_registered():
    from nasbench_ui import estimators

    estimators.register("quick", Quick, replace=True)
    yield
    estimators._REGISTRY.pop("quick", None) if hasattr(estimators, "_REGISTRY") else None


def test_default_workbench_holds_keras_cnn():
    wb = nb.Workbench(storage=":memory:")
    assert wb.space == nb.spaces.keras_cnn()
    assert wb.controls.strategy.value == "random"
    assert wb.controls.start_button.disabled is False
    assert wb.controls.stop_button.disabled is True


def test_editor_change_changes_space():
    wb = nb.Workbench(storage=":memory:")
    d = nb.spaces.nb201().to_dict()
    wb.editor.space_json = d
    assert wb.space == nb.spaces.nb201()
    assert wb.editor.size == 15625 or "15,625" in str(wb.editor.size)


def test_invalid_edit_flags_culprit_and_start_reports_it():
    wb = nb.Workbench(storage=":memory:")
    d = nb.spaces.keras_cnn().to_dict()
    d["nodes"].append({"name": "orphan", "merge": "sum"})
    wb.editor.space_json = d
    assert "orphan" in wb.editor.errors["nodes"]
    assert "unreachable" in wb.editor.errors["message"]
    with pytest.raises(ValueError):
        wb.space  # noqa: B018
    assert wb.start() is None
    assert "orphan" in wb.controls.status.value


def test_start_through_widget_grows_charts_and_selection_changes_view(quick_registered):
    wb = nb.Workbench(space="nb201", storage=":memory:", estimator="quick", trials=8)
    wb.controls.start_button.click()
    assert wb.experiment is not None
    assert wait_for(lambda: not wb.experiment.running)
    wb.refresh(full=True)
    src = wb.charts.sources["history"] if hasattr(wb.charts, "sources") else None
    n_done = len([t for t in wb.experiment.trials if t.finished])
    assert n_done == 8
    if src is not None:
        assert len(src.data["number"]) == 8
    first = wb.experiment.trials[0]
    wb.select(first.number)
    assert wb.selected == first.number
    assert wb.arch_view.arch == first.arch
    wb.select_best()
    assert wb.selected == wb.experiment.best().number
    assert "done" in wb.controls.status.value
    assert len(wb.table.frame) == 8


def test_a_double_click_on_start_starts_one_search(tmp_path, quick_registered):
    """Both clicks of a double-click reach the kernel before the page disables Start:
    the second one must neither start another run (which the workbench would no longer
    show nor stop) nor fail the first."""
    wb = nb.Workbench(space="nb201", storage=str(tmp_path / "w.db"), estimator="quick",
                      trials=500, process=False)
    try:
        wb.controls.start_button.click()
        first = wb.experiment
        assert "running" in wb.controls.status.value  # at once, not at the first poll
        wb.controls.start_button.click()
        assert wb.experiment is first and first.running
        assert [e["name"] for e in first.store.experiments()] == [first.name]
        assert first.last_error is None and "LeaseHeld" not in wb.controls.status.value
        wb.controls.stop_button.click()
        assert wait_for(lambda: not first.running)
        wb.controls.start_button.click()  # once it has ended, Start starts again
        assert wb.experiment.running
    finally:
        wb.close_search()


def test_a_re_run_cell_says_it_stopped_the_search(tmp_path, quick_registered):
    """Re-running the workbench's cell stops its search (never orphaned): the new
    workbench shows the run and says why it stopped and how to go on."""
    db = str(tmp_path / "w.db")
    first = nb.Workbench(space="nb201", storage=db, estimator="quick", trials=100_000,
                         process=False)
    try:
        first.controls.start_button.click()
        assert first.experiment.running
        again = nb.Workbench(storage=db, process=False)  # the same cell, run again
        assert not first.experiment.running
        assert again.experiment.name == first.experiment.name
        note = again.controls.notice.value
        assert f"re-running the cell stopped the search {first.experiment.name}" in note
        assert "Start goes on from where it stopped" in note and "Runs tab" not in note
        assert nb.Workbench(storage=":memory:").controls.notice.value == ""  # nothing ran
    finally:
        first.close_search()


def test_pause_resume_stop_buttons(quick_registered):
    wb = nb.Workbench(space="nb201", storage=":memory:", estimator="quick", trials=500)
    wb.controls.start_button.click()
    assert wb.controls.pause_button.disabled is False
    assert wb.controls.start_button.disabled is True
    wb.controls.pause_button.click()
    assert wb.controls.resume_button.disabled is False
    wb.controls.resume_button.click()
    assert wait_for(lambda: wb.experiment.n_done() >= 1)  # a run with no trial reads "ready"
    wb.controls.stop_button.click()
    assert wait_for(lambda: not wb.experiment.running)
    wb.refresh(full=True)
    assert wb.controls.start_button.disabled is False
    assert len(wb.experiment.trials) < 500
    # ended before its budget: "stopped" (Start goes on from there), not "done"
    assert "stopped" in wb.controls.status.value and ">done<" not in wb.controls.status.value


def test_attach_to_stored_experiment_and_rerun_cell_stops_search(tmp_path, quick_registered):
    db = tmp_path / "w.db"
    exp = nb.Experiment("nb201", estimator="quick", trials=5, storage=str(db))
    exp.run()
    wb = nb.Workbench.load(db)
    assert wb.experiment.name == exp.name
    assert len(wb.table.frame) == 5
    wb2 = nb.Workbench(space="nb201", storage=str(db), estimator="quick", trials=1000)
    wb2.start()
    assert wb2.experiment.running
    wb3 = nb.Workbench(storage=":memory:")  # the re-run cell: the old search stops cleanly
    assert not wb2.experiment.running
    assert all(t.finished for t in wb2.experiment.trials)
    del wb3


def test_every_strategy_and_estimator_is_in_the_dropdowns_with_a_generated_form():
    wb = nb.Workbench(space="nb201", storage=":memory:")  # a space with a table: tabular too
    assert list(wb.controls.strategy.options) == nb.strategies.names()
    assert list(wb.controls.estimator.options) == nb.estimators.names()
    for name in nb.strategies.names():
        wb.controls.strategy.value = name
        assert set(wb.controls.strategy_form.fields) == set(nb.strategies.get(name).OPTIONS)
    for name in nb.estimators.names():
        wb.controls.estimator.value = name
        assert set(wb.controls.estimator_form.fields) == set(nb.estimators.get(name).OPTIONS)


def test_picking_darts_selects_its_estimator_and_the_charts_follow_the_search():
    # a narrow cell (4 channels) keeps the two supernet epochs short
    wb = nb.Workbench(space=nb.spaces.nb201(4), storage=":memory:", trials=2)
    wb.controls.strategy.value = "darts"
    assert wb.controls.estimator.value == "darts_epoch"
    wb.controls.estimator_form.fields["epochs"].value = 2
    exp = wb.start()
    assert exp is not None, wb.controls.status.value
    assert wait_for(lambda: not exp.running, timeout=300)
    wb.refresh(full=True)
    trials = exp.trials
    assert len(trials) == 2 and all(t.state.name == "COMPLETE" for t in trials), [t.error for t in trials]
    assert "alphas" in trials[-1].metrics
    assert len(wb.charts.sources["history"].data["number"]) == 2


def test_the_digits_cell_preset_searches_the_shipped_table_in_one_click():
    wb = nb.Workbench(storage=":memory:", trials=12)
    wb.preset.value = "digits_cell"
    assert wb.controls.estimator.value == "tabular"
    assert wb.controls.settings()["estimator_options"] == {"table": "digits"}
    wb.controls.start_button.click()
    assert wait_for(lambda: not wb.experiment.running)
    states = {t.state.name for t in wb.experiment.trials}
    assert states == {"COMPLETE"} and len(wb.experiment.trials) == 12
    locked = nb.Workbench(storage=":memory:", estimator="early_stop", lock=["estimator"])
    locked.preset.value = "digits_cell"  # a teacher's locked estimator stays as it is
    assert locked.controls.estimator.value == "early_stop"


def test_merge_sorted_equals_a_full_sort():
    import random
    from types import SimpleNamespace as T

    from nasbench_ui.ui.live_view import merge_sorted

    rng = random.Random(0)
    every: dict[int, object] = {}
    done: list = []
    for step in range(200):
        n = len(every)
        changed = [T(number=rng.randrange(n), v=step) for _ in range(rng.randint(0, 2)) if n]
        changed += [T(number=n + i, v=step) for i in range(rng.randint(0, 3))]
        if step % 50 == 49:  # now and then a gap: numbers a store did not give
            changed.append(T(number=n + 10, v=step))
        every.update((t.number, t) for t in changed)
        before = done
        numbered = [t.number for t in before] == list(range(len(before)))
        done = merge_sorted(done, changed, every)
        assert done == sorted(every.values(), key=lambda t: t.number)
        if numbered and step % 50 != 49:  # no copy of every trial per poll: in place
            assert done is before, step


def test_a_workbench_display_sends_its_charts_pushes_whole_until_a_view_is_ready():
    """Each display makes a view from the document as it was when the charts were made
    (viz.notebook.expect_views): the charts' next pushes go whole until it is ready."""
    import time

    from bokeh.events import DocumentReady

    wb = nb.Workbench(storage=":memory:")
    try:
        pusher = wb.charts.pusher
        wb.charts.layout.document.callbacks.trigger_event(DocumentReady())
        assert pusher._whole_until < time.monotonic()
        assert "application/vnd.jupyter.widget-view+json" in wb._repr_mimebundle_()
        assert pusher._whole_until > time.monotonic()
    finally:
        wb.close()


def test_the_architecture_views_title_says_which_trial_it_shows(quick_registered):
    """Under the 'Best trial' and 'Latest trial' buttons the view read 'trial 9 ·
    COMPLETE · value 0.8162' while it followed the newest trial (the best was trial 8):
    a teacher read it as the best. The title now says 'latest' while it follows the
    newest trial, 'best' after Best trial, and a trial picked on a chart or the table
    stays 'trial n'."""
    wb = nb.Workbench(space="nb201", storage=":memory:", estimator="quick", trials=8)
    wb.controls.start_button.click()
    assert wait_for(lambda: not wb.experiment.running)
    wb.refresh(full=True)
    newest = wb.experiment.trials[-1]
    assert wb.arch_view.title.startswith(f"latest: trial {newest.number} · "), wb.arch_view.title
    wb.select_best()
    best = wb.experiment.best().number
    assert wb.arch_view.title.startswith(f"best: trial {best} · "), wb.arch_view.title
    wb.select(0)
    assert wb.arch_view.title.startswith("trial 0 · "), wb.arch_view.title
    wb.select_latest()
    assert wb.arch_view.title.startswith(f"latest: trial {newest.number} · "), wb.arch_view.title

"""The trials table shows a rung column exactly when some trial has a multi-fidelity rung,
and the workbench shows the rungs of trials stored by a scheduler."""

from __future__ import annotations

import random

import nasbench_ui as nb
from nasbench_ui.storage.trial import Trial, TrialState
from nasbench_ui.ui.table import TrialsTable, cell_text
from nasbench_ui.viz.frame import results_frame

S = TrialState


def test_the_rung_column_appears_only_with_rungs() -> None:
    plain = [Trial(0, S.COMPLETE, {"op": "a"}, 0.5)]
    assert "rung" not in results_frame(plain).columns
    laddered = plain + [Trial(1, S.COMPLETE, {"op": "a"}, 0.6, meta={"rung": 1,
                                                                     "promoted_from": 0})]
    df = results_frame(laddered)
    assert list(df.columns[:4]) == ["number", "state", "rung", "value"]
    assert list(df["rung"]) == [None, 1]
    table = TrialsTable()
    table.show(df)
    assert "<th title='rung'>rung</th>" in str(table.html.value)
    assert cell_text("rung", 1) == "1" and cell_text("rung", None) == ""
    table.show(results_frame(plain))
    assert "rung" not in str(table.html.value)


def _store_ladder(exp: nb.Experiment) -> None:
    """Hand-made trials as a Hyperband/ASHA scheduler stores them: trial 0 at rung 0,
    promoted as trial 1 (rung 1, training resumed)."""
    store, name = exp.store, exp.name
    arch = exp.space.sample(random.Random(0))
    for n, meta, epochs in ((0, {"rung": 0, "budget": {"epochs": 2}}, (1, 2)),
                            (1, {"rung": 1, "budget": {"epochs": 4}, "promoted_from": 0}, (3, 4))):
        number = store.create_trial(name, arch, meta=meta)
        assert number == n
        for e in epochs:
            store.append_curve(name, n, {"epoch": e, "valid_acc": 0.1 * e})
        store.finish_trial(name, n, S.COMPLETE, value=0.1 * epochs[-1],
                           metrics={"valid_acc": 0.1 * epochs[-1], "params": 100 + n})


def test_the_workbench_shows_stored_rungs() -> None:
    exp = nb.Experiment("nb201", trials=5, storage=":memory:")
    _store_ladder(exp)
    wb = nb.Workbench(experiment=exp)
    wb.refresh(full=True)
    assert list(wb.table.frame["rung"]) == [0, 1]
    curves = wb.charts.sources["curves"].data
    assert curves["xs"][curves["number"].index(1)] == [1.0, 2.0, 3.0, 4.0]
    marks = wb.charts.sources["rungs"].data
    assert sorted(zip(marks["number"], marks["label"], strict=True)) == [
        (0, "r0"), (1, "r0"), (1, "r1")]
    wb.close_search()
    wb.charts.close()


def test_a_huge_stored_metric_and_thousands_of_columns_stay_small_in_the_page(tmp_path):
    """A store may be someone else's: a 2 M-character metric went to the page whole,
    twice (cell and hover), and 5,000 metric names made a 5,000-column table and a
    5,000-option sort menu. Cells and hovers are cut, columns capped; the CSV has all."""
    import pandas as pd

    from nasbench_ui.ui.table import CELL_CHARS, MAX_COLUMNS, TITLE_CHARS, TrialsTable

    note = "x" * 2_000_000
    frame = pd.DataFrame({"number": [0, 1], "value": [0.5, 0.9], "note": [note, "short"],
                          **{f"m{i}": [i, i] for i in range(5000)}})
    t = TrialsTable()
    t.show(frame)
    page = str(t.html.value)
    assert len(page) < 100_000, len(page)
    assert "x" * (CELL_CHARS - 1) + "…" in page and "x" * TITLE_CHARS not in page
    assert "short" in page and len(t.sort_by.options) == MAX_COLUMNS
    assert f"{5003 - MAX_COLUMNS} more columns" in page
    written = pd.read_csv(t.export(tmp_path / "all.csv"))
    assert len(written.columns) == 5003 and written["note"][0] == note


def test_an_input_choice_reads_as_names_not_a_python_list() -> None:
    """darts_cell's input choice showed in the Trials tab as a Python list under its stored
    label: 'n3.inputs' over "['in', 'n2']" (artifacts/teacher2-closed-trials.png). The
    header now reads 'inputs of n3' and the cell 'in, n2'."""
    from nasbench_ui.ui.table import header_text

    assert header_text("n3.inputs") == "inputs of n3"
    assert cell_text("n3.inputs", ["in", "n2"]) == "in, n2"
    assert cell_text("n3.inputs", ("n1",)) == "n1"
    table = TrialsTable()
    table.show(results_frame([Trial(0, TrialState.COMPLETE, {"n3.inputs": ["in", "n2"]}, 0.5,
                                    {"params": 10})]))
    assert "inputs of n3" in table.html.value
    assert "in, n2" in table.html.value and "[" not in table.html.value.split("<tbody>")[-1]


def test_columns_right_of_the_table_are_hinted_at() -> None:
    """The table scrolled sideways with nothing to say that more columns lay right of it
    (artifacts/teacher-closed-15-tab-trials.png: cut at 'parame'). A note "scroll for
    more columns →" stands above it, shown by a scroll timeline of the table's box only
    while the box can scroll right, and a shadow marks the box's right edge (the page:
    tests/browser/test_teacher_e2e.py). The note is constant text: no cell reaches it."""
    import pandas as pd

    from nasbench_ui.ui import table as tbl

    t = TrialsTable()
    t.show(pd.DataFrame({"number": [0], "value": [0.5], "<b>x</b>": ["<i>y</i>"]}))
    note = t.more_note
    assert "nbui-trials-more" in note._dom_classes and tbl.MORE_TEXT in note.value
    assert list(t.children).index(note) == list(t.children).index(t.html) - 1
    assert "nbui-trials-scroll" in t.html._dom_classes and "nbui-trials-box" in t._dom_classes
    css = str(note.value)
    assert "scroll-timeline:--nbui-trials-x x" in css and "timeline-scope:--nbui-trials-x" in css
    assert ".nbui-trials-more{align-self:flex-end;visibility:hidden" in css  # until it scrolls
    assert "no-repeat local" in css and "no-repeat scroll" in css  # the edge's shadow
    assert "<b>" not in str(note.value).split("</style>")[1]


def test_the_tables_controls_wrap_in_a_narrow_panel() -> None:
    """At 1024 px with the file browser open (a 556 px panel) the row of sort, order and
    export controls (650 px) cut 'descending' and 'Export CSV' to an ellipsis; it now
    wraps (the page: tests/browser/test_teacher_e2e.py)."""
    bar = TrialsTable().children[0]
    assert bar.layout.flex_flow == "row wrap"

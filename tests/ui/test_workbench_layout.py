"""The workbench's two arrangements (``ui/workbench_layout.py``), headless: which one a
width gets, the widths the bar is made of, and the classes the page's rules place. The
page itself is checked in ``tests/browser/test_classroom_workbench_e2e.py``."""

from __future__ import annotations

import nasbench_ui as nb
from nasbench_ui.ui import forms, workbench_layout
from nasbench_ui.ui.workbench_layout import BAR_MIN_PX, LAYOUT_STYLE, bar_fits

# the workbench's width in JupyterLab at 1280 px with the file browser closed and open,
# and at 1024 px closed (measured in Chromium)
CLOSED_1280, OPEN_1280, CLOSED_1024 = 1100, 848, 844


def test_the_search_is_a_bar_only_where_its_three_groups_fit_side_by_side() -> None:
    assert bar_fits(CLOSED_1280)
    assert not bar_fits(OPEN_1280) and not bar_fits(CLOSED_1024)
    L = workbench_layout
    assert BAR_MIN_PX == L.FIELDS_PX + L.ADVANCED_PX + L.RUN_PX + 2 * L.BAR_GAP_PX
    # an option row in the bar's Advanced folds keeps the width the forms are made for
    assert L.ADVANCED_PX - L.FOLD_CHROME_PX == forms.FORM_WIDTH_PX
    # the trials box (175 px) and the narrower minutes box, 2 px margins a side, fit
    assert 175 + L.MINUTES_PX + 4 * 2 <= L.FIELDS_PX
    assert f"@container nbui-workbench (min-width: {BAR_MIN_PX}px)" in LAYOUT_STYLE


def test_the_workbench_marks_the_parts_the_page_places() -> None:
    wb = nb.Workbench(storage=":memory:")
    style, design, run_label, replay, live = wb.children
    assert str(LAYOUT_STYLE) in style.value
    assert "nbui-design-row" in design._dom_classes
    assert list(design.children) == [wb.space_panel, wb.controls]
    assert "nbui-space-panel" in wb.space_panel._dom_classes
    # the space panel takes its whole row: the search column never sits beside it
    assert wb.space_panel.layout.flex == "1 1 100%"
    assert "nbui-preset" in wb.preset._dom_classes
    assert "nbui-run-label" in run_label._dom_classes and "nbui-replay" in replay._dom_classes
    assert "nbui-live-row" in live._dom_classes and wb.tabs in live.children
    groups = wb.controls.children
    assert [g._dom_classes for g in groups] == [
        ("nbui-search-fields",), ("nbui-search-advanced",), ("nbui-search-run",)]
    fields, advanced, run = groups
    assert {wb.controls.strategy, wb.controls.estimator, wb.controls.budget,
            wb.controls.speed} <= set(fields.children)
    assert wb.controls.advanced in advanced.children
    assert wb.controls.start_button in run.children[0].children  # Start ends the column
    assert run.children[-2:] == (wb.controls.status, wb.controls.notice)
    wb.close_search()


def test_the_space_panel_has_a_heading_like_the_other_panels() -> None:
    """In the bar layout the space panel comes after the live views, its preset dropdown
    moved up beside the workbench's title: the graph editor stood there with no heading,
    and a teacher could not tell what the panel was. It now opens with a bold heading, as
    "Search" and "Hyperparameters" do (the page: tests/browser/test_teacher_e2e.py)."""
    wb = nb.Workbench(storage=":memory:")
    heading, *rest = wb.space_panel.children
    assert "nbui-space-heading" in heading._dom_classes
    assert heading.value.startswith("<b>Search space</b>"), heading.value
    assert rest[:2] == [wb.preset, wb.editor]
    search_heading = wb.controls.fields_group.children[0]
    assert search_heading.value == "<b>Search</b>"  # the same form as the search's
    wb.close_search()



def test_the_charts_take_their_panels_width_and_wrap_where_two_do_not_fit() -> None:
    """The live charts were four fixed 400x300 figures in two rows: a 1,100 px panel (the
    bar layout) kept 300 px unused at their right, and at 1024 px with the file browser
    open (a 560 px panel) the second chart of each row was cut. Each figure now stretches
    from 400 px, its height kept, and a row wraps where two do not fit (the page:
    tests/browser/test_teacher_e2e.py)."""
    from nasbench_ui.viz import figures

    wb = nb.Workbench(storage=":memory:")
    lay = wb.charts.layout
    assert lay.sizing_mode == "stretch_width"
    for r in lay.children:
        assert r.sizing_mode == "stretch_width" and r.styles["flex-wrap"] == "wrap"
        for fig in r.children:
            assert fig.sizing_mode == "stretch_width" and fig.height == figures.HEIGHT
            assert fig.styles["flex"] == f"1 1 {figures.WIDTH}px"
    wb.close_search()

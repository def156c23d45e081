"""A two-strategy race in a real JupyterLab page: click Start, see two live curves.

The notebook is written by the test: ``nb.race`` on the nb201 cell with a synthetic
``tabular`` table (instant trials), random against evolution. The race's Start button
is clicked with the mouse; the page's Bokeh document must then hold one growing
best-so-far line per strategy, and the kernel's race must have finished both runs.
Before Start the legend has a swatch per strategy; after the race a note says why the
two lines overlap at first (evolution's random first population is random search's first
architectures: one seed). Screenshots: race-before-start.png, race_two_curves.png.
"""

from __future__ import annotations

import nbformat
import pytest
from helpers.lab import (
    assert_clean,
    bokeh_source_lengths,
    open_notebook,
    run_all,
    run_code,
    save_screenshot,
    text_spacing,
)

pytestmark = pytest.mark.browser

TRIALS = 25

SETUP = """\
import nasbench_ui as nb
import pandas as pd

space = nb.spaces.nb201()
ops = ["none", "skip_connect", "avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3"]
rows = [(space.key(a), sum(ops.index(v) * (i + 1) for i, v in enumerate(a.values())) / 84)
        for a in space.enumerate()]
frame = pd.DataFrame(rows, columns=["arch_str", "acc"])"""

RACE = f"""\
view = nb.race(space, ["random", "evolution"], estimator="tabular", estimator_frame=frame,
               estimator_options={{"metric": "acc"}}, trials={TRIALS}, seed=0,
               strategy_options={{"evolution": {{"population": 5, "sample_size": 2}}}})
view"""


# each legend item of the race chart: its label and the rows of its renderers' sources
LEGEND_JS = """() => {
    for (const doc of window.Bokeh?.documents ?? []) {
        const legend = doc.get_model_by_name('nbui-race-legend');
        if (legend == null) { continue; }
        return legend.items.map((i) => ({label: i.label.value,
            first_rows: i.renderers.map((r) => r.data_source.get_length() ?? 0)}));
    }
    return null;
}"""


def test_a_two_strategy_race_draws_two_curves(page, jupyter_server, console_log, tmp_path):
    path = tmp_path / "race.ipynb"
    book = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(SETUP), nbformat.v4.new_code_cell(RACE)],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}})
    nbformat.write(book, path)
    open_notebook(page, jupyter_server, path)
    run_all(page, timeout=180)
    view = page.locator(".nbui-race")
    view.locator(".nbui-race-chart .bk-Canvas, .nbui-race-chart canvas").first \
        .wait_for(timeout=60_000)
    assert bokeh_source_lengths(page, "nbui-race-random") == [0]
    assert bokeh_source_lengths(page, "nbui-race-evolution") == [0]
    # before Start the legend has a swatch per strategy: each item draws from a key of
    # one row (BokehJS draws an item from its renderer's first row; the lines had none)
    keys = page.evaluate(LEGEND_JS)
    assert [k["label"] for k in keys] == ["random", "evolution"], keys
    assert all(k["first_rows"][0] == 1 for k in keys), keys
    assert not view.locator(".nbui-race-note").is_visible()
    save_screenshot(page, "race-before-start")

    view.get_by_role("button", name="Start").click()
    page.wait_for_function(
        """(n) => {
            const B = window.Bokeh; if (!B || !B.documents) { return false; }
            const len = (name) => { for (const d of B.documents) {
                const m = d.get_model_by_name(name); if (m) { return m.get_length() ?? 0; } }
                return 0; };
            return len('nbui-race-random') >= n && len('nbui-race-evolution') >= n;
        }""",
        arg=TRIALS, timeout=120_000)
    out = run_code(page, "view.race.wait(60); print(view.race.status, "
                         "{k: len(e.trials) for k, e in view.race.experiments.items()})")
    assert f"'random': {TRIALS}" in out and f"'evolution': {TRIALS}" in out, out
    lengths = (bokeh_source_lengths(page, "nbui-race-random")
               + bokeh_source_lengths(page, "nbui-race-evolution"))
    assert lengths == [TRIALS, TRIALS]
    # the two lines differ: the strategies really ran apart
    best = run_code(page, "print(view.race.best_so_far().groupby('strategy')['best'].apply(list)"
                          ".to_dict())")
    assert "random" in best and "evolution" in best
    # evolution's random first population (5) is random search's first 5 architectures
    # (one seed): the page says so under the chart, rather than the lines differing
    note = view.locator(".nbui-race-note")
    note.wait_for(state="visible", timeout=10_000)
    assert "evolution's first 5 trials are the architectures random tried first" \
        in note.inner_text(), note.inner_text()
    # it reads as a paragraph: its wrapped lines sit a text line apart, not one widget
    # row (28 px) apart as ipywidgets sets an HTML widget's line height
    spacing = text_spacing(page, ".nbui-race-note")
    assert spacing["lines"] >= 2, spacing  # the note wraps at this width
    assert spacing["line_height"] <= 1.5 * spacing["font_size"], spacing
    save_screenshot(page, "race_two_curves")
    assert_clean(page, console_log)

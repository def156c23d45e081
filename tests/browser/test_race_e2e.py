"""A two-strategy race in a real JupyterLab page: click Start, see two live curves.

The notebook is written by the test: ``nb.race`` on the nb201 cell with a synthetic
``tabular`` table (instant trials), random against evolution. The race's Start button
is clicked with the mouse; the page's Bokeh document must then hold one growing
best-so-far line per strategy, and the kernel's race must have finished both runs.
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
    save_screenshot(page, "race_two_curves")
    assert_clean(page, console_log)

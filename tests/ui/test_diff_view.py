"""The diff view: two trials side by side, differing decisions marked, lineage shown."""

from __future__ import annotations

import re

import nasbench_ui as nb
from nasbench_ui.storage.trial import Trial, TrialState
from nasbench_ui.ui.diff_view import DiffView


def _trials():
    s = nb.spaces.nb201()
    a = {lb: "nor_conv_3x3" for lb in s.labels}
    b = {**a, "2<-0": "none", "3<-2": "skip_connect"}
    c = {**b, "3<-2": "avg_pool_3x3"}
    return s, [Trial(0, TrialState.COMPLETE, a, 0.5),
               Trial(1, TrialState.COMPLETE, b, 0.6, meta={"parent": 0, "mutation": "2<-0"}),
               Trial(2, TrialState.COMPLETE, c, 0.7, meta={"parent": 1, "mutation": "3<-2"})]


def _marked(view: DiffView) -> set[str]:
    return set(re.findall(r"<tr class='nbui-diff' data-label='([^']+)'", view.table.value.replace("&lt;", "<")))


def test_compare_marks_exactly_the_differing_decisions():
    s, ts = _trials()
    v = DiffView(s)
    v.set_trials(ts)
    assert v.compare(0, 2) == {"2<-0": ("nor_conv_3x3", "none"), "3<-2": ("nor_conv_3x3", "avg_pool_3x3")}
    assert _marked(v) == {"2<-0", "3<-2"}
    assert v.table.value.count("nbui-same") == len(s.labels) - 2
    assert v.left.value.count('class="nbui-hl"') == 2
    assert v.right.value.count('class="nbui-hl"') == 1  # "none" drops edge 2<-0 from trial 2
    v.b.value = 1  # the dropdowns redraw
    assert _marked(v) == {"2<-0", "3<-2"} and "2 of 6 decisions differ" in v.table.value
    v.compare(1, 1)
    assert _marked(v) == set()


def test_compare_with_selected_uses_the_parent_and_shows_the_lineage():
    s, ts = _trials()
    v = DiffView(s)
    v.set_trials(ts)
    v.set_selected(2)
    assert "child of trial <b>1</b>, changed <b>the edge 2 → 3</b>" in v.lineage_html.value
    v.with_selected.click()
    assert (v.a.value, v.b.value) == (2, 1)
    assert v.diff == {"3<-2": ("avg_pool_3x3", "skip_connect")}
    assert v.tree.value.count("<line") == 2
    v.set_selected(0)
    assert "no parent" in v.lineage_html.value
    v.set_trials([t for t in ts if (t.meta or {}).get("parent") is None])  # no child yet
    assert "no trial here has a parent" in v.tree.value  # not 'records none (evolution does)'


def test_workbench_has_the_diff_view_and_feeds_it():
    wb = nb.Workbench(space="nb201", storage=":memory:")
    assert "Compare" in wb.tabs.titles
    assert wb.diff.space == nb.spaces.nb201()
    wb.state = {**wb.state, "space": nb.spaces.mlp().to_dict()}
    assert wb.diff.space == nb.spaces.mlp()


def test_workbench_shows_the_lineage_of_an_evolution_run(tmp_path):
    from nasbench_ui.viz.diff import lineage

    db = tmp_path / "evo.db"
    exp = nb.Experiment("nb201", strategy="evolution", estimator="zero_cost", trials=5, seed=2,
                        strategy_options={"population": 2, "sample_size": 2}, storage=str(db))
    exp.run()
    wb = nb.Workbench.load(db)
    child = next(t for t in exp.trials if t.meta.get("parent") is not None)
    wb.select(child.number)
    # a teacher reads the changed edge in words ("3<-2" read "mutating 3<-2"); the meta
    # keeps the stored label, which the Compare tab's diff still matches
    dst, src = child.meta["mutation"].split("<-")
    changed = f"changed the edge {src} → {dst}"
    assert f"child of trial {child.meta['parent']}: {changed}" in wb.arch_view.title
    assert f"child of trial <b>{child.meta['parent']}</b>, changed <b>the edge {src} → {dst}</b>" \
        in wb.diff.lineage_html.value
    assert f": {changed}</title>" in wb.diff.tree.value
    for shown in (wb.arch_view.title, wb.diff.lineage_html.value, wb.diff.tree.value):
        assert "<-" not in shown and "&lt;-" not in shown
    wb.diff.with_selected.click()
    assert (wb.diff.a.value, wb.diff.b.value) == (child.number, child.meta["parent"])
    assert set(wb.diff.diff) <= {child.meta["mutation"]}
    assert f"<td>edge {src} → {dst}</td>" in wb.diff.table.value  # the row's name
    assert f"data-label='{child.meta['mutation']}'" in wb.diff.table.value.replace("&lt;", "<")
    assert wb.diff.tree.value.count("<line") == len(lineage(exp.trials)) == 3
    wb.charts.close()


def test_a_long_search_offers_the_newest_and_best_trials_and_any_on_request():
    """The dropdowns of a 1,000-trial search list ~220 trials, not 1,000 (each refresh
    was a message of every trial to the page); ``compare`` still takes any trial."""
    from nasbench_ui.ui import diff_view

    s = nb.spaces.nb201()
    a = {lb: "skip_connect" for lb in s.labels}
    v = DiffView(s)
    v.set_trials([Trial(i, TrialState.COMPLETE, a, (i * 37 % 1000) / 1000) for i in range(1000)])
    offered = [n for _, n in v.a.options]
    assert len(offered) <= diff_view.CHOICES + 20 and offered == sorted(offered)
    assert set(range(1000 - diff_view.CHOICES, 1000)) <= set(offered)  # the newest
    best = max(range(1000), key=lambda i: i * 37 % 1000)
    assert best in offered and 0 in offered  # the highest value, and the lowest (0.0)
    v.compare(5, 6)  # old trials, offered on request
    assert (v.a.value, v.b.value) == (5, 6)
    v.set_trials([Trial(i, TrialState.COMPLETE, a, 0.5) for i in range(1000)])
    assert (v.a.value, v.b.value) == (5, 6)  # the chosen ones stay offered

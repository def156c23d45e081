"""Architecture diff, highlight sets and lineage edges."""

from __future__ import annotations

import random

import pytest

import nasbench_ui as nb
from nasbench_ui.storage.trial import Trial, TrialState
from nasbench_ui.viz.arch_svg import arch_svg
from nasbench_ui.viz.diff import arch_diff, highlight_of, lineage, lineage_svg


def test_arch_diff_lists_exactly_the_differing_decisions():
    s = nb.spaces.keras_cnn()
    rng = random.Random(0)
    for _ in range(20):
        a, b = s.sample(rng), s.sample(rng)
        d = arch_diff(s, a, b)
        assert set(d) == {lb for lb in s.labels if a[lb] != b[lb]}
        assert all(d[lb] == (a[lb], b[lb]) for lb in d)
        assert list(d) == [lb for lb in s.labels if lb in d]  # the space's order
        assert arch_diff(s, a, a) == {}


def test_arch_diff_rejects_bad_archs():
    s = nb.spaces.nb201()
    a = s.sample(random.Random(1))
    with pytest.raises(ValueError, match="arch b"):
        arch_diff(s, a, {**a, "1<-0": "no_such_op"})
    with pytest.raises(ValueError, match="must be a dict"):
        arch_diff(s, a, [1])


def test_highlight_of_and_svg_marks_only_differing_edges():
    s = nb.spaces.nb201()
    a = {lb: "nor_conv_3x3" for lb in s.labels}
    b = {**a, "2<-1": "skip_connect", "3<-0": "avg_pool_3x3"}
    hl = highlight_of(s, arch_diff(s, a, b))
    assert hl == {"2<-1", "3<-0"}
    svg = arch_svg(s, b, highlight=hl)
    assert svg.count('class="nbui-hl"') == 2
    assert 'data-edge="2&lt;-1"' in svg and 'data-edge="3&lt;-0"' in svg
    assert 'class="nbui-hl"' not in arch_svg(s, b)


def test_highlight_of_an_input_choice_is_its_node():
    s = nb.spaces.darts_cell()
    ic = next(d for d in s.decisions if d.label.endswith(".inputs"))
    assert highlight_of(s, [ic.label]) == {ic.node}


def test_lineage_matches_the_meta_evolution_records():
    exp = nb.Experiment("nb201", strategy="evolution", estimator="zero_cost", trials=8, seed=2,
                        strategy_options={"population": 3, "sample_size": 2})
    trials = exp.run().trials
    edges = lineage(trials)
    want = [(t.meta["parent"], t.number, t.meta["mutation"]) for t in trials
            if t.meta.get("parent") is not None]
    assert edges == want and len(edges) == 5  # the first 3 are random, the rest children
    for parent, child, label in edges:
        assert parent < child and label in nb.spaces.nb201().labels
        # a mutation changes exactly the named decision (or none, if it drew the same value)
        d = arch_diff(exp.space, trials[parent].arch, trials[child].arch)
        assert set(d) <= {label}
    svg = lineage_svg(trials, selected=edges[0][1])
    assert svg.count("<line") == 5 and svg.count("<circle") == 8
    assert f'data-parent="{edges[0][0]}" data-child="{edges[0][1]}"' in svg


def test_lineage_ignores_trials_without_a_parent():
    ts = [Trial(0, TrialState.COMPLETE, {}, 0.1),
          Trial(1, TrialState.COMPLETE, {}, 0.2, meta={"parent": None}),
          Trial(2, TrialState.FAILED, {}, meta={"parent": 1, "mutation": "m"})]
    assert lineage(ts) == [(1, 2, "m")]

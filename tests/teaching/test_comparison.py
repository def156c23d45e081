"""``teaching.comparison``: one row per estimator setting, never two merged."""

from __future__ import annotations

import pytest

import nasbench_ui as nb
from nasbench_ui import teaching
from nasbench_ui.quality import GroundTruth
from nasbench_ui.teaching.comparison import Scores


def test_two_proxies_of_zero_cost_are_two_rows():
    """The workshop scores synflow and naswot (and the exercise grad_norm and snip) with
    one estimator; each must keep its own row and tau."""
    space, table = nb.spaces.digits_cell(), nb.benchmarks.digits()
    truth = GroundTruth(space, table, metric="valid_acc")
    scores = [teaching.score(space, "zero_cost", {"proxy": p}, cells=6)
              for p in ("synflow", "naswot")]
    assert [s.name for s in scores] == ["zero_cost (proxy=synflow)", "zero_cost (proxy=naswot)"]
    df = teaching.compare(truth, scores, table)
    assert list(df.index[-2:]) == [s.name for s in scores]
    assert not df.loc[[s.name for s in scores]].reference.any()


def test_a_name_given_is_kept_and_an_estimator_without_options_is_its_name():
    s = teaching.score("digits_cell", "tabular", {"table": "digits"}, cells=2, name="table")
    assert s.name == "table"
    assert teaching.score("digits_cell", "zero_cost", cells=2).name == "zero_cost"


def test_two_scores_of_one_name_are_refused_not_merged():
    space, table = nb.spaces.digits_cell(), nb.benchmarks.digits()
    truth = GroundTruth(space, table, metric="valid_acc")
    one = teaching.score(space, "zero_cost", {"proxy": "synflow"}, cells=3, name="proxy")
    other = Scores("proxy", one.trials, 1.0)
    with pytest.raises(ValueError, match="two rows would be named 'proxy'"):
        teaching.compare(truth, [one, other], table)
    with pytest.raises(ValueError, match="'full training'"):
        teaching.compare(truth, [Scores("full training", one.trials, 1.0)], table)

"""BOHB-style search: a model-based proposer (BANANAS, or Optuna's TPE) proposes and
Hyperband schedules, end to end on the shipped digits table."""

from __future__ import annotations

import pytest

import nasbench_ui as nb
from nasbench_ui import strategies
from nasbench_ui.storage import TrialState
from nasbench_ui.tables import digits_multifidelity_options, digits_space

BANANAS = {"initial": 4, "candidates": 30, "ensemble": 2, "epochs": 30}


def run(proposer: str, options: dict, trials: int = 30) -> nb.Experiment:
    return nb.Experiment(digits_space(), strategy="bohb",
                         strategy_options={"eta": 2, "min_budget": 1, "max_budget": 8,
                                           "proposer": proposer, "proposer_options": options},
                         estimator="tabular", estimator_options=digits_multifidelity_options(),
                         trials=trials, storage=":memory:", seed=0).run()


def test_bohb_with_bananas_runs_and_its_model_learns_from_first_rungs() -> None:
    exp = run("bananas", BANANAS)
    trials = exp.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 30
    proposer = exp.strategy.proposer
    assert proposer.NAME == "bananas"
    new = [t for t in trials if "promoted_from" not in t.meta]
    told = proposer.history
    assert [h["number"] for h in told] == [t.number for t in new]
    assert [h["value"] for h in told] == [t.value for t in new]
    assert any("promoted_from" in t.meta for t in trials)
    # trials past BANANAS's random start come from its predictor
    assert len(new) > BANANAS["initial"]


def test_bohb_with_optuna_tpe() -> None:
    if "optuna" not in strategies.names():
        pytest.skip("optuna is not installed")
    exp = run("optuna", {"sampler": "tpe"}, trials=20)
    assert [t.state for t in exp.trials] == [TrialState.COMPLETE] * 20
    assert exp.strategy.proposer.NAME == "optuna"

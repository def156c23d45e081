"""Every trial that builds a model records params, flops and latency_ms, pruned ones
included (issue 15 point 6), through a real experiment and its store."""

from __future__ import annotations

import math
from typing import Any

import pytest

import nasbench_ui as nb
from nasbench_ui.storage import TrialState

CASES = {
    "zero_cost": (lambda: nb.spaces.nb201(4), {"proxy": "naswot", "latency_runs": 1}),
    "weight_sharing": (lambda: nb.spaces.nb201(4),
                       {"steps": 2, "warmup_steps": 0, "chunks": 1, "latency_runs": 1}),
    # min_delta 1: no epoch counts as a gain, so patience 1 prunes every trial at epoch 2
    "early_stop": (nb.spaces.mlp, {"epochs": 3, "subset": 0.2, "patience": 1,
                                   "min_delta": 1.0, "median_stop": False, "latency_runs": 1}),
    "lce": (nb.spaces.mlp, {"epochs": 4, "min_epochs": 3, "margin": 0.0, "latency_runs": 1}),
}


@pytest.mark.parametrize("estimator", sorted(CASES))
def test_every_trial_records_params_flops_and_latency(estimator: str) -> None:
    space, options = CASES[estimator]
    exp = nb.Experiment(space(), strategy="random", estimator=estimator,
                        estimator_options=options, dataset="digits", trials=3, seed=0)
    exp.run()
    assert len(exp.trials) == 3
    for t in exp.trials:
        assert t.state in (TrialState.COMPLETE, TrialState.PRUNED), t.error
        m: dict[str, Any] = t.metrics
        assert isinstance(m["params"], int) and m["params"] > 0
        assert isinstance(m["flops"], int) and m["flops"] > 0
        assert isinstance(m["latency_ms"], float) and math.isfinite(m["latency_ms"]) \
            and m["latency_ms"] > 0
    if estimator == "early_stop":
        assert {t.state for t in exp.trials} == {TrialState.PRUNED}

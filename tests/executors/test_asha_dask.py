"""ASHA on a 2-process local Dask cluster: asynchronous promotions, each trial's rung
reaching the worker's estimator as ``ctx.meta`` (the tabular rung's curve and cost)."""

from __future__ import annotations

import json

import pytest

import nasbench_ui as nb
from nasbench_ui.storage import TrialState
from nasbench_ui.tables import digits, digits_multifidelity_options, digits_space

pytest.importorskip("distributed")


def test_asha_runs_on_two_dask_workers_and_charges_each_rung() -> None:
    exp = nb.Experiment(digits_space(), strategy="asha",
                        strategy_options={"eta": 2, "min_budget": 1, "max_budget": 8},
                        estimator="tabular", estimator_options=digits_multifidelity_options(),
                        trials=16, workers=2, seed=0)
    exp.run()
    trials = exp.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 16
    assert len({t.worker for t in trials}) == 2, "both workers ran trials"
    assert all(t.meta["executor"] == "dask" for t in trials)
    rows = digits().set_index("arch_str")
    by_number = {t.number: t for t in trials}
    promotions = [t for t in trials if "promoted_from" in t.meta]
    assert promotions, "ASHA promoted some trials"
    for t in trials:
        e = t.meta["budget"]["epochs"]
        row = rows.loc[exp.space.key(t.arch)]
        curve = json.loads(row["curve"])
        e0 = 0
        if "promoted_from" in t.meta:
            src = by_number[t.meta["promoted_from"]]
            assert src.arch == t.arch and src.meta["rung"] == t.meta["rung"] - 1
            assert src.finished_at <= t.started_at, "a promotion starts after its source ended"
            e0 = src.meta["budget"]["epochs"]
        # the worker saw the rung: the value, the curve points and the cost are the rung's
        assert t.value == pytest.approx(curve[e - 1])
        assert [p["epoch"] for p in t.curve] == list(range(e0 + 1, e + 1))
        assert t.metrics["cost_s"] == pytest.approx(row["cost_s"] * (e - e0) / 8)
    assert exp.counters["spent_s"] == pytest.approx(sum(t.metrics["cost_s"] for t in trials))

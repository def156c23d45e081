"""Tabular multi-fidelity: each rung is looked up in the table's per-epoch columns and
charged its own cost (a promotion: the epochs it adds), on the shipped digits table (8
epochs) and NAS-Bench-201's 12- and 200-epoch columns (two rungs); the seconds budget
counts those costs; a search resumes from its store."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import nasbench_ui as nb
from nasbench_ui import estimators, spaces
from nasbench_ui.estimators import EstimateContext
from nasbench_ui.storage import TrialState
from nasbench_ui.tables import digits, digits_multifidelity_options, digits_space


def rung_meta(e: int, e0: int = 0) -> dict:
    meta = {"rung": 0, "budget": {"epochs": e}}
    if e0:
        meta.update(promoted_from=0, from_budget={"epochs": e0})
    return meta


def test_digits_rungs_read_the_curve_and_charge_the_epochs_they_add() -> None:
    est = estimators.create("tabular", digits_multifidelity_options())
    space = digits_space()
    row = digits().iloc[5]
    arch = nb.spaces.nb201_arch(row["arch_str"])
    arch = {k: v for k, v in arch.items() if k in space.labels}
    curve = json.loads(row["curve"])
    ctx = EstimateContext(space=space, dataset=None, meta=rung_meta(4, 2))
    out = est.estimate(arch, ctx)
    assert out.value == pytest.approx(curve[3])
    assert out.metrics["cost_s"] == pytest.approx(row["cost_s"] * 2 / 8)
    assert [p["epoch"] for p in ctx.curve] == [3, 4]
    assert [p["valid_acc"] for p in ctx.curve] == pytest.approx(curve[2:4])
    assert est.cost_at(arch, space, rung_meta(4, 2)) == pytest.approx(row["cost_s"] / 4)
    # without a budget: the whole training, as the single-fidelity estimator charges
    assert est.cost(arch, space) == pytest.approx(row["cost_s"])
    with pytest.raises(estimators.TrialFailed, match="outside the 8 epochs"):
        est.estimate(arch, EstimateContext(space=space, dataset=None, meta=rung_meta(9)))
    with pytest.raises(estimators.TrialFailed, match="epochs only"):
        est.estimate(arch, EstimateContext(space=space, dataset=None,
                                           meta={"budget": {"data_fraction": 0.5}}))


def test_hyperband_on_the_digits_table_charges_each_rung(tmp_path) -> None:
    db = str(tmp_path / "mf.db")
    exp = nb.Experiment(digits_space(), strategy="hyperband",
                        strategy_options={"eta": 2, "min_budget": 1, "max_budget": 8},
                        estimator="tabular", estimator_options=digits_multifidelity_options(),
                        trials=30, storage=db, seed=0)
    exp.run()
    trials = exp.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 30
    rows = digits().set_index("arch_str")
    by = {t.number: t for t in trials}
    total = 0.0
    for t in trials:
        row = rows.loc[exp.space.key(t.arch)]
        e = t.meta["budget"]["epochs"]
        e0 = by[t.meta["promoted_from"]].meta["budget"]["epochs"] if "promoted_from" in t.meta \
            else 0
        assert t.metrics["cost_s"] == pytest.approx(row["cost_s"] * (e - e0) / 8)
        assert t.value == pytest.approx(json.loads(row["curve"])[e - 1])
        total += row["cost_s"] * (e - e0) / 8
    assert exp.counters["spent_s"] == pytest.approx(total)
    assert {t.meta["budget"]["epochs"] for t in trials} == {1, 2, 4, 8}
    # resume: a new process's Experiment.load continues the same schedule
    reference = nb.Experiment(digits_space(), strategy="hyperband",
                              strategy_options={"eta": 2, "min_budget": 1, "max_budget": 8},
                              estimator="tabular",
                              estimator_options=digits_multifidelity_options(),
                              trials=45, storage=":memory:", seed=0).run().trials
    again = nb.Experiment.load(db)
    again.set_budget(trials=45)
    again.run()
    resumed = again.trials
    assert [(t.arch, {k: v for k, v in t.meta.items() if k != "executor"}) for t in resumed] \
        == [(t.arch, {k: v for k, v in t.meta.items() if k != "executor"}) for t in reference]


def test_a_seconds_budget_counts_rung_costs() -> None:
    exp = nb.Experiment(digits_space(), strategy="successive_halving",
                        strategy_options={"eta": 2, "min_budget": 1, "max_budget": 8},
                        estimator="tabular", estimator_options=digits_multifidelity_options(),
                        seconds=6.0, storage=":memory:", seed=1)
    exp.run()
    done = [t for t in exp.trials if t.state is TrialState.COMPLETE]
    spent = sum(t.metrics["cost_s"] for t in done)
    assert exp.counters["spent_s"] == pytest.approx(spent) and spent <= 6.0 + 1e-9
    # one full 8-epoch training of these cells costs about 1 s: the cheap rungs let
    # many more trials run than 6 full trainings would
    assert len(done) > 8


def test_nb201_two_rungs_12_and_200_epochs(nb201_csv) -> None:
    options = {"table": str(nb201_csv), "metric": "valid_acc_12ep", "scale": 0.01,
               "cost": {"valid_time_s": 1},
               "cost_per_epoch": {"train_time_per_epoch_s": 1},
               "epoch_metrics": {"12": "valid_acc_12ep", "200": "valid_acc_200ep"}}
    exp = nb.Experiment(spaces.nb201(), strategy="successive_halving",
                        strategy_options={"eta": 3, "budgets": [12, 200]},
                        estimator="tabular", estimator_options=options,
                        trials=8, storage=":memory:", seed=0)
    exp.run()
    trials = exp.trials
    table = pd.read_csv(nb201_csv).set_index("arch_str")
    assert [t.meta["rung"] for t in trials] == [0, 0, 0, 1, 0, 0, 0, 1]
    for t in trials:
        row = table.loc[exp.space.key(t.arch)]
        if t.meta["rung"] == 0:
            assert t.value == pytest.approx(row["valid_acc_12ep"] / 100)
            cost = 12 * row["train_time_per_epoch_s"] + row["valid_time_s"]
        else:
            assert t.value == pytest.approx(row["valid_acc_200ep"] / 100)
            cost = 188 * row["train_time_per_epoch_s"] + row["valid_time_s"]
            low = [u for u in trials[:3] if u.meta["bracket"] == t.meta["bracket"]] \
                if t.number == 3 else trials[4:7]
            best = max(low, key=lambda u: (u.value, -u.number))
            assert t.meta["promoted_from"] == best.number and t.arch == best.arch
        assert t.metrics["cost_s"] == pytest.approx(cost)
        assert t.metrics["epochs"] == t.meta["budget"]["epochs"]
    with pytest.raises(estimators.TrialFailed, match=r"after \[12, 200\] epochs, not 50"):
        est = estimators.create("tabular", options)
        est.estimate(trials[0].arch, EstimateContext(space=exp.space, dataset=None,
                                                     meta=rung_meta(50)))

"""The ``train`` estimator under a multi-fidelity scheduler: Hyperband on keras_cnn and
the digits data set with real (tiny) trainings; its promotions and values checked by hand
against the stored curves; warm starts, data fractions and a retrain when no weights."""

from __future__ import annotations

from typing import Any

import pytest

import nasbench_ui as nb
from nasbench_ui import spaces
from nasbench_ui.data import load
from nasbench_ui.estimators import EstimateContext
from nasbench_ui.estimators.train import TrainEstimator
from nasbench_ui.storage import TrialState


@pytest.fixture(scope="module")
def small_digits() -> Any:
    return load("digits").subset(120, seed=0)


def cnn_arch() -> dict[str, Any]:
    import random

    return spaces.keras_cnn().sample(random.Random(0))


def test_hyperband_on_keras_cnn_promotes_the_top_and_continues_curves(small_digits) -> None:
    exp = nb.Experiment(spaces.keras_cnn(), strategy="hyperband",
                        strategy_options={"eta": 2, "min_budget": 1, "max_budget": 4},
                        estimator="train", estimator_options={"latency_runs": 0,
                                                              "batch_size": 32},
                        dataset=small_digits, trials=14, storage=":memory:", seed=0)
    exp.run()
    trials = exp.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 14
    by = {t.number: t for t in trials}
    for t in trials:  # each value is the last point of the stored curve at the rung's budget
        e = t.meta["budget"]["epochs"]
        assert t.value == t.curve[-1]["valid_acc"] and t.metrics["epochs"] == e
        assert t.curve[-1]["epoch"] == e
    # hand computation, bracket by bracket: the promoted trials are the best 1/eta of the
    # rung below (by stored value, ties to the older configuration), in that order
    for s in (2, 1):
        bracket = [t for t in trials if t.meta["bracket"] == s]
        rungs = sorted({t.meta["rung"] for t in bracket})
        for low, high in zip(rungs, rungs[1:], strict=False):
            below = [t for t in bracket if t.meta["rung"] == low]
            ranked = sorted(below, key=lambda t: (-t.value, t.meta["config"]))
            promoted = [t for t in bracket if t.meta["rung"] == high]
            assert len(promoted) == len(below) // 2
            assert [t.meta["promoted_from"] for t in promoted] == \
                [t.number for t in ranked[:len(promoted)]]
            for t in promoted:  # the curve continues: same arch, epochs numbered on
                src = by[t.meta["promoted_from"]]
                assert t.arch == src.arch and t.metrics["warm_start"] is True
                assert [p["epoch"] for p in t.curve] == \
                    list(range(src.curve[-1]["epoch"] + 1, t.meta["budget"]["epochs"] + 1))
    assert [len([t for t in trials if t.meta["bracket"] == s]) for s in (2, 1, 0)] == [7, 4, 3]


def test_a_promotion_warm_starts_from_the_lower_rung(small_digits) -> None:
    space, arch = spaces.keras_cnn(), cnn_arch()
    est = TrainEstimator(latency_runs=0, batch_size=32)

    def ctx(number: int, meta: dict[str, Any]) -> EstimateContext:
        return EstimateContext(space=space, dataset=small_digits, number=number, meta=meta)

    low = ctx(0, {"rung": 0, "budget": {"epochs": 1}})
    est.estimate(arch, low)
    high = ctx(1, {"rung": 1, "budget": {"epochs": 3}, "promoted_from": 0,
                   "from_budget": {"epochs": 1}})
    out = est.estimate(arch, high)
    assert [p["epoch"] for p in high.curve] == [2, 3]
    assert out.metrics["warm_start"] is True and out.metrics["epochs"] == 3
    # a trial whose weights this estimator does not hold is retrained, and says so
    other = ctx(2, {"rung": 1, "budget": {"epochs": 2}, "promoted_from": 7,
                    "from_budget": {"epochs": 1}})
    out = TrainEstimator(latency_runs=0, batch_size=32).estimate(arch, other)
    assert out.metrics["warm_start"] is False and "trial 7" in out.metrics["retrained"]
    assert [p["epoch"] for p in other.curve] == [1, 2] and out.metrics["epochs"] == 2


def test_warm_start_continues_training_rather_than_restarting(small_digits) -> None:
    space, arch = spaces.keras_cnn(), cnn_arch()
    est = TrainEstimator(latency_runs=0, batch_size=32)
    first = EstimateContext(space=space, dataset=small_digits, number=0,
                            meta={"rung": 0, "budget": {"epochs": 2}})
    est.estimate(arch, first)
    cont = EstimateContext(space=space, dataset=small_digits, number=1,
                           meta={"rung": 1, "budget": {"epochs": 3}, "promoted_from": 0,
                                 "from_budget": {"epochs": 2}})
    est.estimate(arch, cont)
    scratch = EstimateContext(space=space, dataset=small_digits, number=1,
                              meta={"rung": 1, "budget": {"epochs": 1}})
    TrainEstimator(latency_runs=0, batch_size=32).estimate(arch, scratch)
    # one more epoch from trained weights has a lower training loss than a first epoch
    assert cont.curve[0]["train_loss"] < scratch.curve[0]["train_loss"]


def test_data_fraction_budget_trains_on_a_nested_subset(small_digits, monkeypatch) -> None:
    from nasbench_ui.estimators import fidelity, train

    space, arch = spaces.keras_cnn(), cnn_arch()
    est = TrainEstimator(epochs=1, latency_runs=0, batch_size=32)
    sizes: list[int] = []

    def spy(data: Any, fraction: float, seed: int) -> Any:
        out = fidelity.fraction_of(data, fraction, seed)
        sizes.append(len(out.x_train))
        return out

    monkeypatch.setattr(train, "fraction_of", spy)
    curves = []
    for number, f in enumerate((0.25, 1.0)):
        meta: dict[str, Any] = {"rung": number, "budget": {"data_fraction": f}}
        if number:
            meta.update(promoted_from=0, from_budget={"data_fraction": 0.25})
        c = EstimateContext(space=space, dataset=small_digits, number=number, meta=meta)
        out = est.estimate(arch, c)
        curves.append([p["epoch"] for p in c.curve])
    n = len(small_digits.y_train)
    assert sizes == [round(n * 0.25), n]
    # the promotion to the whole split continues the quarter's weights, epochs numbered on
    assert curves == [[1], [2]] and out.metrics["warm_start"] is True
    assert out.metrics["epochs"] == 2

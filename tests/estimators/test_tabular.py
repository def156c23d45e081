"""``tabular``: NAS-Bench-201 lookups, simulated cost, budget, errors and throughput."""

from __future__ import annotations

import csv
import os
import random
import time

import pandas as pd
import pytest

from nasbench_ui import spaces
from nasbench_ui.estimators import BudgetExhausted, TabularEstimator, TrialFailed, create
from nasbench_ui.estimators.tabular import load_table

NB201_COST = {"train_time_per_epoch_s": 12, "valid_time_s": 1}


@pytest.fixture(scope="module")
def nb201():
    return spaces.nb201()


@pytest.fixture(scope="module")
def rows(nb201_csv):
    """The table read with the csv module, independently of the estimator."""
    with open(nb201_csv, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def est(nb201_csv):
    return create("tabular", {"table": str(nb201_csv), "cost": NB201_COST,
                              "extra_metrics": ["test_acc_200ep"]})


def _ctx(make_ctx, space, left=None):
    return make_ctx(space, None, budget_left_fn=(lambda: left))


def test_looks_up_the_right_row_and_charges_its_cost(est, rows, nb201, make_ctx):
    for row in (rows[1], rows[7777], rows[-1]):
        arch = spaces.nb201_arch(row["arch_str"])
        e = est.estimate(arch, _ctx(make_ctx, nb201))
        cost = 12 * float(row["train_time_per_epoch_s"]) + float(row["valid_time_s"])
        assert e.value == float(row["valid_acc_12ep"])
        assert e.metrics == {"valid_acc_12ep": e.value, "cost_s": pytest.approx(cost),
                             "test_acc_200ep": float(row["test_acc_200ep"])}
        assert e.model is None
    assert len(est) == len(rows) == 15625


def test_repeated_query_is_charged_again(est, rows, nb201, make_ctx):
    arch = spaces.nb201_arch(rows[3]["arch_str"])
    spent = 0.0
    for _ in range(3):
        spent += est.estimate(arch, _ctx(make_ctx, nb201)).metrics["cost_s"]
    one = 12 * float(rows[3]["train_time_per_epoch_s"]) + float(rows[3]["valid_time_s"])
    assert spent == pytest.approx(3 * one) and one > 0


def test_cost_prices_a_query_without_making_it(est, rows, nb201):
    arch = spaces.nb201_arch(rows[9]["arch_str"])
    one = 12 * float(rows[9]["train_time_per_epoch_s"]) + float(rows[9]["valid_time_s"])
    assert est.cost(arch, nb201) == pytest.approx(one)
    assert est.cost({"1<-0": "conv_7x7"}, nb201) is None  # not an nb201 architecture
    tiny = TabularEstimator(frame=pd.DataFrame({"arch_str": ["x"], "valid_acc_12ep": [1.0]}))
    assert tiny.cost(arch, nb201) is None  # not in that table
    assert TabularEstimator(frame=pd.DataFrame({"arch_str": [rows[9]["arch_str"]],
                                                "valid_acc_12ep": [1.0]})).cost(arch, nb201) == 0


def test_budget_exhausted_when_the_query_costs_more_than_what_is_left(est, rows, nb201, make_ctx):
    arch = spaces.nb201_arch(rows[5]["arch_str"])
    cost = est.estimate(arch, _ctx(make_ctx, nb201)).metrics["cost_s"]
    with pytest.raises(BudgetExhausted, match=r"costs [\d.]+ simulated seconds but only "
                                              r"[\d.]+ are left") as info:
        est.estimate(arch, _ctx(make_ctx, nb201, left=cost - 0.01))
    assert info.value.cost == pytest.approx(cost) and info.value.left == pytest.approx(cost - 0.01)
    assert not isinstance(info.value, TrialFailed)  # the experiment must not record a failure
    assert est.estimate(arch, _ctx(make_ctx, nb201, left=cost)).metrics["cost_s"] == cost


def test_scale_and_single_cost_column(nb201_csv, rows, nb201, make_ctx):
    e = create("tabular", {"table": str(nb201_csv), "cost": "valid_time_s", "scale": 0.01,
                           "metric": "test_acc_200ep"})
    got = e.estimate(spaces.nb201_arch(rows[0]["arch_str"]), _ctx(make_ctx, nb201))
    assert got.value == pytest.approx(float(rows[0]["test_acc_200ep"]) / 100)
    assert got.metrics["cost_s"] == pytest.approx(float(rows[0]["valid_time_s"]))
    assert e.cost_weights == {"valid_time_s": 1.0}


def test_unknown_columns_are_listed(nb201_csv):
    with pytest.raises(ValueError, match=r"column\(s\) 'valid_acc_13ep' \(metric\), 'gpu_s' "
                                         r"\(cost\) not in .*its columns are \['index', "
                                         r"'arch_str', 'valid_acc_12ep'"):
        TabularEstimator(table=str(nb201_csv), metric="valid_acc_13ep", cost={"gpu_s": 1})


def test_bad_path_is_named(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(ValueError, match=r"cannot read the table '.*nope\.csv'"):
        create("tabular", {"table": str(missing)})
    with pytest.raises(ValueError, match=r"is not a file"):
        TabularEstimator(table=str(tmp_path))
    with pytest.raises(ValueError, match=r"exactly one of table= \(a CSV path\) and frame="):
        create("tabular", {})


def test_unknown_architecture_fails_the_trial(nb201, make_ctx):
    a = nb201.sample(random.Random(0))
    df = pd.DataFrame({"arch_str": ["|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"],
                       "valid_acc_12ep": [10.0]})
    if nb201.key(a) == df.arch_str[0]:
        a = nb201.sample(random.Random(1))
    with pytest.raises(TrialFailed, match=r"architecture '\|.*\|' is not in the 'arch_str' "
                                          r"column of the frame given \(1 rows\)"):
        TabularEstimator(frame=df).estimate(a, _ctx(make_ctx, nb201))


def test_frame_checks(nb201):
    df = pd.DataFrame({"arch_str": ["a", "a"], "valid_acc_12ep": [1.0, 2.0], "t": ["x", "y"]})
    with pytest.raises(ValueError, match=r"repeats 1 value\(s\), e.g. 'a'"):
        TabularEstimator(frame=df)
    with pytest.raises(ValueError, match=r"column 't' of the frame given must hold numbers"):
        TabularEstimator(frame=df.iloc[:1], cost={"t": 1})
    with pytest.raises(ValueError, match=r"cost weight of 't' must be a finite number"):
        TabularEstimator(frame=df.iloc[:1], cost={"t": "heavy"})
    with pytest.raises(ValueError, match=r"give exactly one of"):
        TabularEstimator(table="x.csv", frame=df)


def test_missing_value_in_the_table_fails_the_trial(nb201, make_ctx):
    a = nb201.sample(random.Random(2))
    df = pd.DataFrame({"arch_str": [nb201.key(a)], "valid_acc_12ep": [float("nan")]})
    with pytest.raises(TrialFailed, match=r"has no 'valid_acc_12ep' for"):
        TabularEstimator(frame=df).estimate(a, _ctx(make_ctx, nb201))


def test_csv_is_read_once_per_modification(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("arch_str,valid_acc_12ep\na,1.0\n")
    first = load_table(p)
    assert load_table(str(p)) is first
    p.write_text("arch_str,valid_acc_12ep\na,2.0\nb,3.0\n")
    os.utime(p, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    again = load_table(p)
    assert again is not first and again["valid_acc_12ep"].tolist() == [2.0, 3.0]


def test_throughput(est, nb201, make_ctx):
    rng = random.Random(0)
    archs = [nb201.sample(rng) for _ in range(20_000)]
    ctx = _ctx(make_ctx, nb201, left=1e12)
    start = time.perf_counter()
    for a in archs:
        est.estimate(a, ctx)
    rate = len(archs) / (time.perf_counter() - start)
    print(f"tabular: {rate:,.0f} estimates per second on the NAS-Bench-201 table")
    assert rate > 2_000

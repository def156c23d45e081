"""Multi-objective search: NSGA-II ranking, pareto_evolution, hard constraints honoured by
every strategy, and the Pareto column of ``Experiment.results()``."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from strategy_helpers import drive, score_table, tiny_space

import nasbench_ui as nb
from nasbench_ui import spaces, strategies
from nasbench_ui.constraints import arch_params
from nasbench_ui.estimators import Estimate
from nasbench_ui.storage.trial import Trial, TrialState
from nasbench_ui.strategies.pareto_evolution import (
    ParetoEvolution,
    crowding_distances,
    nondominated_ranks,
)


def brute_ranks(points: list[tuple[float, float]]) -> list[int]:
    """Ranks by definition (max the first coordinate, min the second), for comparison."""
    def dominates(p: tuple[float, float], q: tuple[float, float]) -> bool:
        return p[0] >= q[0] and p[1] <= q[1] and p != q

    ranks, left, r = [0] * len(points), set(range(len(points))), 0
    while left:
        front = {i for i in left if not any(dominates(points[j], points[i]) for j in left)}
        for i in front:
            ranks[i] = r
        left -= front
        r += 1
    return ranks


def test_nondominated_ranks_match_the_definition() -> None:
    import random

    r = random.Random(0)
    for _ in range(20):
        pts = [(float(r.randint(0, 6)), float(r.randint(0, 6))) for _ in range(15)]
        assert nondominated_ranks(pts, ["max", "min"]) == brute_ranks(pts)


def test_crowding_distance_of_a_front_and_of_degenerate_fronts() -> None:
    pts = [(0.0, 4.0), (1.0, 3.0), (3.0, 1.0), (4.0, 0.0), (9.0, 9.0)]
    ranks = [0, 0, 0, 0, 1]
    d = crowding_distances(pts, ranks)
    # per objective the range is 4: (3-0)/4 + (4-1)/4 = 1.5 for both inner points
    assert d[0] == d[3] == math.inf and d[1] == pytest.approx(1.5) and d[2] == pytest.approx(1.5)
    assert d[4] == math.inf  # a front of one point
    same = crowding_distances([(1.0, 1.0)] * 3, [0, 0, 0])
    assert same.count(math.inf) >= 2  # no range: only the extremes count


def make_trial(number: int, arch: dict[str, Any], value: float | None, **metrics: Any) -> Trial:
    state = TrialState.COMPLETE if value is not None else TrialState.FAILED
    return Trial(number, state, arch, value, metrics)


def test_the_tournament_picks_the_least_crowded_member_of_the_first_front() -> None:
    space = spaces.keras_cnn()
    s = ParetoEvolution(space, seed=0, population=5, sample_size=5,
                        objectives=[["value", "max"], ["cost", "min"]])
    # (value, cost): three on the front, two on the second one
    points = [(0.9, 9.0), (0.5, 5.0), (0.1, 1.0), (0.4, 8.0), (0.2, 6.0)]
    for i, (v, c) in enumerate(points):
        a = s.ask()
        s.tell(a, v, make_trial(i, a, v, cost=c))
    assert [m["rank"] for m in s.population] == [0, 0, 0, 1, 1]
    assert {m["number"] for m in s.front} == {0, 1, 2}
    for _ in range(5):  # everyone is in the tournament: an extreme of the front wins
        s.ask()
        assert s.ask_meta()["parent"] in (0, 2)
    s2 = ParetoEvolution(space, seed=0, population=5, sample_size=5,
                         objectives=[["value", "max"]])
    for i, (v, _) in enumerate(points):
        a = s2.ask()
        s2.tell(a, v, make_trial(i, a, v))
    s2.ask()
    assert s2.ask_meta()["parent"] == 0  # one objective: plain best-of-tournament


def test_pareto_evolution_spreads_along_the_front() -> None:
    space = spaces.keras_cnn()
    # value grows with filters; the cost grows with filters too: a real trade-off
    s = ParetoEvolution(space, seed=3, population=12, sample_size=4,
                        objectives=[["value", "max"], ["cost", "min"]])
    for i in range(80):
        a = s.ask()
        v = a["filters"] / 128 - a["dropout"]
        s.tell(a, v, make_trial(i, a, v, cost=a["filters"] + a["units"]))
    front = s.front
    assert len({m["arch"]["filters"] for m in front}) >= 3  # not collapsed on one end
    assert all(m["arch"]["dropout"] == 0.1 for m in front)  # dominated choices are gone
    assert all(m["arch"]["units"] == 32 for m in front)


def test_objectives_are_read_from_the_metrics_and_params_is_computed() -> None:
    space = spaces.keras_cnn()
    s = ParetoEvolution(space, seed=0, population=3, sample_size=2)
    a = s.ask()
    s.tell(a, 0.5, make_trial(0, a, 0.5))  # no params metric: computed from the arch
    assert s.population[0]["objectives"] == [0.5, float(arch_params(space, a, (1, 8, 8)))]
    b = s.ask()
    s.tell(b, 0.7, make_trial(1, b, 0.7, params=123))
    assert s.population[1]["objectives"] == [0.7, 123.0]
    c = s.ask()
    s.tell(c, 0.7, make_trial(2, c, 0.7, params=float("nan")))  # unusable: left out
    s.tell(c, None, make_trial(3, c, None))  # failed: left out
    assert len(s.population) == 2

    s = ParetoEvolution(space, objectives=[["value", "max"], ["latency_ms", "min"]])
    a = s.ask()
    with pytest.raises(ValueError, match=r"objective metric 'latency_ms' is not among the "
                                         r"trial's metrics \['flops'\]"):
        s.tell(a, 0.5, make_trial(0, a, 0.5, flops=3))


@pytest.mark.parametrize(("objectives", "message"), [
    ([], "must be a non-empty list"),
    ([["value", "up"]], r"each objective is \[metric, 'max' \| 'min'\].*got \['value', 'up'\]"),
    (["value"], "each objective is"),
    ([["value", "max"], ["value", "min"]], r"name a metric twice: \['value', 'value'\]"),
])
def test_bad_objectives_are_refused(objectives: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        strategies.create("pareto_evolution", spaces.nb201(), options={"objectives": objectives})
    with pytest.raises(ValueError, match=r"'sample_size' \(5\) must be <= 'population' \(3\)"):
        strategies.create("pareto_evolution", spaces.nb201(),
                          options={"population": 3, "sample_size": 5})


def test_pareto_evolution_resumes_exactly_with_pending_asks() -> None:
    space = spaces.nb201()
    objective = score_table(space, 5)
    opts = {"population": 6, "sample_size": 3, "objectives": [["value", "max"], ["n", "min"]]}

    def tell(s: Any, a: dict, i: int, fail: bool = False) -> None:
        v = None if fail else objective(a)
        s.tell(a, v, make_trial(i, a, v, n=list(a.values()).count("nor_conv_3x3")))

    def run(snapshot: bool) -> list[dict]:
        s = strategies.create("pareto_evolution", space, seed=1, options=opts)
        for i in range(10):
            tell(s, s.ask(), i)
        p1, p2 = s.ask(), s.ask()
        if snapshot:
            clone = strategies.create("pareto_evolution", space, seed=77, options=opts)
            clone.load_state_dict(json.loads(json.dumps(s.state_dict())))
            s = clone
        tell(s, p2, 11)
        tell(s, p1, 10, fail=True)
        out = []
        for i in range(12, 30):
            out.append(s.ask())
            tell(s, out[-1], i)
        return out

    assert run(snapshot=True) == run(snapshot=False)
    other = strategies.create("evolution", space, options={"population": 6, "sample_size": 3})
    with pytest.raises(ValueError, match="belongs to strategy 'evolution', not 'pareto_evolution'"):
        strategies.create("pareto_evolution", space, options=opts).load_state_dict(
            other.state_dict())


# ---------------------------------------------------------------- experiments


class Synthetic:
    """A fast estimator: a hidden score of the architecture; ``size`` is its params."""

    NAME = "synthetic"
    OPTIONS: dict[str, Any] = {}

    def __init__(self, space: Any) -> None:
        self.score = score_table(space, 11)

    def estimate(self, arch: dict[str, Any], ctx: Any) -> Estimate:
        return Estimate(value=self.score(arch), metrics={"size": len(str(arch))})


BOUND = 60_000  # about a third of keras_cnn's architectures have at most this many params
CONSTRAINED = {
    "random": {},
    "grid": {"shuffle": True},
    "evolution": {"population": 5, "sample_size": 2},
    "reinforce": {"learning_rate": 0.5},
    "local_search": {},
    "bananas": {"initial": 5, "epochs": 30},
    "pareto_evolution": {"population": 5, "sample_size": 2},
    **{n: {"eta": 2, "min_budget": 1, "max_budget": 4}  # multi-fidelity: the proposer obeys
       for n in ("successive_halving", "hyperband", "asha")},
    "bohb": {"eta": 2, "min_budget": 1, "max_budget": 4,
             "proposer_options": {"initial": 5, "epochs": 30}},
}
if "optuna" in strategies.names():  # the optuna extra is installed
    CONSTRAINED["optuna"] = {}


def test_every_multi_trial_strategy_is_covered() -> None:
    # one-shot strategies (darts) name the estimator they run with and derive one
    # architecture per epoch: they cannot resample for a constraint
    multi = {n for n in strategies.names() if not getattr(strategies.get(n), "ESTIMATOR", None)}
    assert set(CONSTRAINED) == multi


@pytest.mark.parametrize("name", list(CONSTRAINED))
def test_every_strategy_honours_a_params_constraint(name: str) -> None:
    space = spaces.keras_cnn()
    exp = nb.Experiment(space, strategy=name, strategy_options=CONSTRAINED[name],
                        estimator=Synthetic(space), trials=14, seed=2,
                        constraints={"params": {"max": BOUND}})
    exp.run()
    assert exp.last_error is None
    done = exp.finished_trials()
    assert len(done) == 14
    sizes = [arch_params(space, t.arch, (1, 8, 8)) for t in done]
    assert max(sizes) <= BOUND, f"{name} proposed {max(sizes)} params > {BOUND}"


def test_without_the_constraint_the_bound_is_exceeded() -> None:
    space = spaces.keras_cnn()  # so the test above can fail
    exp = nb.Experiment(space, strategy="random", estimator=Synthetic(space), trials=14, seed=2)
    exp.run()
    assert max(arch_params(space, t.arch, (1, 8, 8)) for t in exp.finished_trials()) > BOUND


class Toy:
    """Six architectures with a known front: ``h<-in`` trades value for size, and
    ``out<-h = tanh`` only makes things worse (lower value, larger size)."""

    NAME = "toy"
    OPTIONS: dict[str, Any] = {}
    VALUE = {"relu": 0.9, "tanh": 0.8, "skip": 0.5}
    SIZE = {"relu": 300, "tanh": 200, "skip": 100}

    def estimate(self, arch: dict[str, Any], ctx: Any) -> Estimate:
        worse = arch["out<-h"] == "tanh"
        return Estimate(value=self.VALUE[arch["h<-in"]] - 0.01 * worse,
                        metrics={"size": self.SIZE[arch["h<-in"]] + 50 * worse})


@pytest.mark.parametrize("strategy", ["grid", "pareto_evolution"])
def test_results_mark_the_pareto_front_and_best_uses_the_first_objective(strategy: str) -> None:
    objectives = [["value", "max"], ["size", "min"]]
    options = {"objectives": objectives, "population": 2, "sample_size": 2} \
        if strategy == "pareto_evolution" else {}
    exp = nb.Experiment(tiny_space(), strategy=strategy, strategy_options=options,
                        estimator=Toy(), trials=30 if strategy != "grid" else 6, seed=0,
                        objectives=objectives)
    exp.run()
    df = exp.results()
    assert "pareto" in df.columns
    on_front = {(r["h<-in"], r["out<-h"]) for _, r in df[df["pareto"]].iterrows()}
    assert on_front == {("relu", "relu"), ("tanh", "relu"), ("skip", "relu")}
    best = exp.best()
    assert (best.arch["h<-in"], best.arch["out<-h"]) == ("relu", "relu")
    # without objectives there is no pareto column
    plain = nb.Experiment(tiny_space(), strategy="grid", estimator=Toy(), trials=6)
    assert "pareto" not in plain.run().results().columns


def test_best_follows_a_minimised_first_objective() -> None:
    exp = nb.Experiment(tiny_space(), strategy="grid", estimator=Toy(), trials=6,
                        objectives=[["size", "min"], ["value", "max"]])
    exp.run()
    best = exp.best()
    assert best.metrics["size"] == 100 and best.arch == {"h<-in": "skip", "out<-h": "relu"}
    assert int(exp.results()["pareto"].sum()) == 3


def test_drive_helper_works_with_pareto_evolution_without_trials() -> None:
    # tell(arch, value) with trial=None: "params" is computed, the number is None
    space = spaces.keras_cnn()
    s = ParetoEvolution(space, seed=0, population=3, sample_size=2)
    drive(s, score_table(space, 0), 2)
    s.tell(s.ask(), 0.3)
    assert [m["number"] for m in s.population] == [0, 1, None]

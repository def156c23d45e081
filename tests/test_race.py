"""Race (nasbench_ui.race): independent, comparable runs of several strategies."""

from __future__ import annotations

import math
import threading

import pandas as pd
import pytest

import nasbench_ui as nb
from nasbench_ui.estimators import Estimate
from nasbench_ui.estimators.tabular import TabularEstimator
from nasbench_ui.race import Race, best_curve
from nasbench_ui.storage import Trial, TrialState

EVO = {"population": 4, "sample_size": 2}


def score(arch):
    ops = ["none", "skip_connect", "avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3"]
    return sum(ops.index(v) * (i + 1) for i, v in enumerate(arch.values())) / 84


class Synthetic:
    """A deterministic, stateless estimator (no data, no training)."""

    NAME, OPTIONS = "synthetic", {}

    def estimate(self, arch, ctx):
        return Estimate(score(arch), {"valid_acc": score(arch)})


class Gate(Synthetic):
    """Blocks each trial until the test releases it (to stop a race mid-way)."""

    def __init__(self):
        self.entered = threading.Semaphore(0)
        self.release = threading.Semaphore(0)

    def estimate(self, arch, ctx):
        self.entered.release()
        while not self.release.acquire(timeout=0.01):
            ctx.check_stop()
        return super().estimate(arch, ctx)


class Broken(Synthetic):
    def estimate(self, arch, ctx):
        raise RuntimeError("broken estimator")


def table(space):
    archs = list(space.enumerate())
    return pd.DataFrame({"arch_str": [space.key(a) for a in archs],
                         "acc": [score(a) for a in archs]})


def history(exp):
    return [(t.arch, t.value, t.state) for t in exp.trials]


@pytest.mark.parametrize("interleave", [True, False])
def test_each_run_matches_a_standalone_experiment(interleave):
    race = Race("nb201", ["random", "evolution"], estimator=Synthetic(), trials=8, seed=5,
                strategy_options={"evolution": EVO}, interleave=interleave).run()
    for s, opts in (("random", None), ("evolution", EVO)):
        alone = nb.Experiment("nb201", strategy=s, estimator=Synthetic(), trials=8, seed=5,
                              strategy_options=opts).run()
        assert history(race.experiments[s]) == history(alone), s
        assert len(history(alone)) == 8


def test_tabular_frame_race_is_independent_of_the_other_strategies():
    space = nb.spaces.nb201()
    df = table(space)
    opts = {"metric": "acc"}
    two = Race(space, ["random", "evolution"], estimator="tabular", estimator_options=opts,
               estimator_frame=df, trials=6, seed=1).run()
    three = Race(space, ["reinforce", "random", "evolution"], estimator="tabular",
                 estimator_options=opts, estimator_frame=df, trials=6, seed=1).run()
    alone = nb.Experiment(space, strategy="random", estimator=TabularEstimator(frame=df, **opts),
                          trials=6, seed=1).run()
    assert history(two.experiments["random"]) == history(alone)
    assert history(three.experiments["random"]) == history(alone)
    assert history(two.experiments["evolution"]) == history(three.experiments["evolution"])


def test_runs_share_space_budget_seed_and_store_under_distinct_names():
    race = Race("nb201", ["random", "evolution", "reinforce"], estimator=Synthetic(),
                trials=4, seed=9)
    names = [e.name for e in race.experiments.values()]
    assert names == ["race-random", "race-evolution", "race-reinforce"]
    configs = [e.config for e in race.experiments.values()]
    assert {(c.trials, c.seconds, c.seed, c.dataset) for c in configs} == {(4, None, 9, "digits")}
    assert len({str(c.space) for c in configs}) == 1
    assert [c.strategy for c in configs] == race.strategies
    race.run()
    assert all(e.store is race.store for e in race.experiments.values())
    assert [e.n_done() for e in race.experiments.values()] == [4, 4, 4]
    # the stored budget is the race budget again after the round-robin turns
    assert all(race.store.load_experiment(n)["config"]["trials"] == 4 for n in names)
    # a second race in the same store gets fresh names
    again = Race("nb201", ["random"], estimator=Synthetic(), trials=1, storage=race.store)
    assert again.experiments["random"].name == "race-2-random"


def test_best_so_far_and_summary():
    race = Race("nb201", ["random", "evolution"], estimator=Synthetic(), trials=5,
                strategy_options={"evolution": EVO}).run()
    df = race.best_so_far()
    assert list(df.columns) == ["strategy", "trial", "number", "best"]
    for s, exp in race.experiments.items():
        part = df[df.strategy == s]
        assert part.trial.tolist() == [1, 2, 3, 4, 5]
        values = [t.value for t in exp.trials]
        assert part.best.tolist() == [max(values[: i + 1]) for i in range(5)]
    summ = race.summary()
    assert set(summ.strategy) == {"random", "evolution"}
    assert summ.best.is_monotonic_decreasing
    top = summ.iloc[0]
    assert top.best == race.experiments[top.strategy].best().value
    assert top.best_trial == race.experiments[top.strategy].best().number


def test_best_curve_counts_failed_trials_and_skips_running_ones():
    c, f, r = TrialState.COMPLETE, TrialState.FAILED, TrialState.RUNNING
    curve = best_curve([Trial(0, f, {}, None), Trial(1, c, {}, 0.3), Trial(2, r, {}, None),
                        Trial(3, c, {}, 0.2)])
    assert [(i, n) for i, n, _ in curve] == [(1, 0), (2, 1), (3, 3)]
    assert math.isnan(curve[0][2]) and [b for *_, b in curve[1:]] == [0.3, 0.3]


@pytest.mark.parametrize("bad, match", [
    ([], "at least one strategy"),
    ("random", "list of strategy names"),
    (["random", "no_such"], "unknown strategy 'no_such'"),
    (["random", "evolution", "random"], "more than once"),
])
def test_bad_strategy_lists(bad, match):
    with pytest.raises(ValueError, match=match):
        Race("nb201", bad, estimator=Synthetic())


def test_bad_options():
    with pytest.raises(ValueError, match=r"strategy_options names \['grid'\]"):
        Race("nb201", ["random"], estimator=Synthetic(), strategy_options={"grid": {}})
    with pytest.raises(ValueError, match="population"):  # checked by the strategy, up front
        Race("nb201", ["evolution"], estimator=Synthetic(),
             strategy_options={"evolution": {"population": "many"}})
    with pytest.raises(ValueError, match="tabular"):
        Race("nb201", ["random"], estimator="zero_cost", estimator_frame=pd.DataFrame())


def test_a_failing_strategy_stops_after_max_failures_and_the_others_finish():
    race = Race("nb201", ["random", "evolution"], estimator=Broken(), trials=20,
                max_failures=3).run()
    for s, exp in race.experiments.items():
        assert [t.state for t in exp.trials] == [TrialState.FAILED] * 3, s
        assert "3 failed trials in a row" in race.errors[s]
    assert race.status == "done"
    assert race.summary().error.notna().all()


def test_stop_in_the_background_then_continue_to_the_same_result():
    gate = Gate()
    race = Race("nb201", ["random", "evolution"], estimator=gate, trials=3,
                strategy_options={"evolution": EVO}).start()
    for _ in range(3):  # random's 1st, evolution's 1st, random's 2nd trial
        assert gate.entered.acquire(timeout=30)
        if _ < 2:
            gate.release.release()
    race.stop(wait=True, timeout=30)
    assert not race.running and race.status == "idle"
    states = {s: [t.state.name for t in e.trials] for s, e in race.experiments.items()}
    assert states == {"random": ["COMPLETE", "INTERRUPTED"], "evolution": ["COMPLETE"]}
    for _ in range(10):
        gate.release.release()
    race.start().wait(timeout=60)
    assert race.status == "done"
    for s, opts in (("random", None), ("evolution", EVO)):
        alone = nb.Experiment("nb201", strategy=s, estimator=Synthetic(), trials=3,
                              strategy_options=opts).run()
        done = [(t.arch, t.value) for t in race.experiments[s].trials
                if t.state is TrialState.COMPLETE]
        assert done == [(t.arch, t.value) for t in alone.trials]


def test_a_sqlite_race_reopens_as_plain_experiments(tmp_path):
    path = tmp_path / "race.db"
    race = Race("nb201", ["random", "evolution"], estimator=Synthetic(), trials=3,
                storage=str(path), strategy_options={"evolution": EVO}).run()
    again = nb.Experiment.load(path, name="race-evolution", estimator=Synthetic())
    assert history(again) == history(race.experiments["evolution"])
    assert again.config.trials == 3 and again.config.strategy_options == EVO

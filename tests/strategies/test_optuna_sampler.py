"""The ``optuna`` strategy: Optuna's samplers through ask/tell, as a full strategy."""

from __future__ import annotations

import itertools
import json
import logging
import math
import subprocess
import sys
import warnings
from typing import Any

import pytest
from strategy_helpers import drive, fan_in_space, score_table, trial

import nasbench_ui as nb
from nasbench_ui import spaces, strategies
from nasbench_ui.estimators import Estimate
from nasbench_ui.space import Edge, IntRange, SearchSpace
from nasbench_ui.storage.trial import Trial, TrialState

optuna = pytest.importorskip("optuna")

from nasbench_ui.strategies import optuna_bridge as bridge  # noqa: E402
from nasbench_ui.strategies import optuna_sampler as osm  # noqa: E402

SPACES = {"nb201": spaces.nb201, "keras_cnn": spaces.keras_cnn,
          "fan_in": lambda: fan_in_space(5, 2), "darts_cell": spaces.darts_cell}


def make(space: Any, seed: int = 0, constraint: Any = None, **options: Any) -> Any:
    return strategies.create("optuna", space, seed=seed, options=options, constraint=constraint)


def roundtrip(state: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(state))


def events(s: Any) -> list[list[Any]]:
    """The strategy's events (its snapshot holds them as one JSON string)."""
    text = s.state_dict()["events"]
    assert isinstance(text, str)
    return json.loads(text)


def numeric_space() -> SearchSpace:
    """No categorical decision: one fixed op and two integer ranges."""
    return SearchSpace("numeric", nodes=["in", "out"], edges=[Edge("in", "out", ["relu"])],
                       hparams=[IntRange("a", 0, 10), IntRange("b", 4, 64, step=4)])


# ------------------------------------------------------------------ search space
@pytest.mark.parametrize("name", list(SPACES))
@pytest.mark.parametrize("sampler", ["tpe", "random", "nsga2", "qmc"])
def test_samplers_propose_valid_architectures_and_learn(name: str, sampler: str) -> None:
    space = SPACES[name]()
    s = make(space, sampler=sampler)
    asked = drive(s, score_table(space, 1), 25)
    for a in asked:
        space.validate(a)
    done = s.study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert len(done) == 25
    assert [bridge.decode(space, t.params) for t in done] == asked
    assert s.ask_meta()["sampler"] == sampler and s.ask_meta()["optuna_trial"] == 24


def test_gp_on_nb201_and_keras_cnn() -> None:
    for space in (spaces.nb201(), spaces.keras_cnn()):
        s = make(space, sampler="gp", sampler_options={"n_startup_trials": 3})
        for a in drive(s, score_table(space, 2), 6):  # three asks after the GP is fitted
            space.validate(a)


def test_tpe_beats_random_on_a_separable_objective() -> None:
    space = spaces.nb201()
    objective = score_table(space, 5)
    best = {}
    for sampler in ("tpe", "random"):
        scores = []
        for seed in range(4):
            s = make(space, seed=seed, sampler=sampler)
            scores.append(max(objective(a) for a in drive(s, objective, 60)))
        best[sampler] = sum(scores) / len(scores)
    assert best["tpe"] > best["random"]


def test_seed_seeds_the_sampler() -> None:
    space = spaces.nb201()
    objective = score_table(space, 3)
    a = drive(make(space, seed=4), objective, 15)
    assert drive(make(space, seed=4), objective, 15) == a
    assert drive(make(space, seed=5), objective, 15) != a


# ------------------------------------------------------------------ protocol
def test_pending_asks_and_tells_in_any_order() -> None:
    space = spaces.nb201()
    s = make(space, sampler="tpe", sampler_options={"n_startup_trials": 2})
    objective = score_table(space, 1)
    asked = [s.ask() for _ in range(5)]
    running = s.study.get_trials(states=(optuna.trial.TrialState.RUNNING,))
    assert len(running) == 5
    for i in (3, 0, 4, 1, 2):
        s.tell(asked[i], objective(asked[i]), trial(i, asked[i], objective(asked[i])))
    by_number = {t.number: t for t in s.study.trials}
    for i, a in enumerate(asked):
        assert by_number[i].state == optuna.trial.TrialState.COMPLETE
        assert by_number[i].value == pytest.approx(objective(a))
    for a in drive(s, objective, 5, first=5):
        space.validate(a)


def test_the_same_architecture_asked_twice_is_told_in_ask_order() -> None:
    space = spaces.nb201()
    s = make(space, sampler="random")
    a = s.ask()
    s._pending[99] = space.key(a)  # as if it had been asked again
    s.tell(a, 0.5)
    assert s.study.trials[0].value == 0.5 and list(s._pending) == [99]


def test_failed_tells_are_fail_for_optuna() -> None:
    space = spaces.keras_cnn()
    s = make(space, sampler="tpe", sampler_options={"n_startup_trials": 3})
    values = [None, math.nan, math.inf, 0.4, None, 0.7]
    for i, v in enumerate(values):
        a = s.ask()
        s.tell(a, v, trial(i, a, v))
    states = [t.state for t in s.study.trials]
    fail, done = optuna.trial.TrialState.FAIL, optuna.trial.TrialState.COMPLETE
    assert states == [fail, fail, fail, done, fail, done]
    assert [t.value for t in s.study.trials if t.state == done] == [0.4, 0.7]
    nothing = make(space, seed=5)
    for a in drive(nothing, lambda a: None, 15):  # only failures: still valid proposals
        space.validate(a)


def test_told_but_never_asked_architectures_join_the_study() -> None:
    space = spaces.nb201()
    other = strategies.create("random", space, seed=1)
    s = make(space, sampler="tpe", sampler_options={"n_startup_trials": 3})
    objective = score_table(space, 0)
    history = drive(other, objective, 6)
    for i, a in enumerate(history):  # what exp.tell_history does after switch_strategy
        s.tell(a, objective(a), trial(i, a, objective(a)))
    s.tell(history[0], None)  # a failed foreign trial teaches nothing
    assert len(s.study.trials) == 6
    assert [bridge.decode(space, t.params) for t in s.study.trials] == history
    assert [e[0] for e in events(s)] == ["add"] * 6
    for a in drive(s, objective, 4, first=6):
        space.validate(a)


def test_switching_an_experiment_to_optuna_tells_it_the_history() -> None:
    space = spaces.keras_cnn()
    exp = nb.Experiment(space, strategy="random", estimator=Synthetic(), trials=4, seed=1)
    exp.run()
    exp.switch_strategy("optuna", {"sampler": "tpe"})
    exp.set_budget(trials=8)
    exp.run()
    assert exp.last_error is None
    done = exp.finished_trials()
    assert len(done) == 8 and all(t.state is TrialState.COMPLETE for t in done)
    assert [t.meta.get("strategy") for t in done][4:] == ["optuna"] * 4
    assert len(exp.strategy.study.trials) == 8


# ------------------------------------------------------------------ resume
@pytest.mark.parametrize("options", [{"sampler": "tpe"},
                                     {"sampler": "tpe", "sampler_options": {"multivariate": True,
                                                                            "n_startup_trials": 5}},
                                     {"sampler": "random"}, {"sampler": "nsga2"}])
@pytest.mark.parametrize("name", ["nb201", "keras_cnn"])
def test_resumed_strategy_proposes_exactly_what_the_uninterrupted_one_would(
        name: str, options: dict[str, Any]) -> None:
    space = SPACES[name]()
    objective = score_table(space, 7)
    a = make(space, **options)
    reference = drive(a, objective, 30)
    b = make(space, **options)
    drive(b, objective, 15)
    fresh = make(space, seed=12345, **options)  # the snapshot carries the seed
    fresh.load_state_dict(roundtrip(b.state_dict()))
    assert drive(fresh, objective, 15, first=15) == reference[15:]
    assert fresh.ask_meta() == a.ask_meta()
    assert roundtrip(fresh.state_dict()) == roundtrip(a.state_dict())
    assert drive(b, objective, 15, first=15) == reference[15:]  # not aliased


def test_snapshot_with_pending_asks_resumes_exactly() -> None:
    space = spaces.nb201()
    objective = score_table(space, 3)

    def run(snapshot: bool) -> list[dict[str, Any]]:
        s = make(space, sampler="tpe", sampler_options={"n_startup_trials": 4})
        drive(s, objective, 6)
        p1, p2 = s.ask(), s.ask()
        if snapshot:
            state = roundtrip(s.state_dict())
            assert [e[0] for e in json.loads(state["events"])][-2:] == ["ask", "ask"]
            s = make(space, seed=99, sampler="tpe", sampler_options={"n_startup_trials": 4})
            s.load_state_dict(state)
            assert len(s.study.get_trials(states=(optuna.trial.TrialState.RUNNING,))) == 2
        s.tell(p2, objective(p2), trial(7, p2, objective(p2)))
        s.tell(p1, None, trial(6, p1, None))
        return drive(s, objective, 8, first=8)

    assert run(snapshot=True) == run(snapshot=False)


def test_a_snapshot_that_replays_differently_keeps_its_history_and_continues() -> None:
    space = spaces.nb201()
    objective = score_table(space, 3)
    s = make(space, seed=0, sampler="tpe", sampler_options={"n_startup_trials": 4})
    asked = drive(s, objective, 10)
    pending = s.ask()
    state = roundtrip(s.state_dict())
    state["seed"] = 1  # the sampler now proposes other architectures than the recorded ones
    r = make(space, seed=0, sampler="tpe", sampler_options={"n_startup_trials": 4})
    r.load_state_dict(state)
    assert r.seed == 1
    assert [bridge.decode(space, t.params) for t in r.study.trials] == [*asked, pending]
    assert [t.value for t in r.study.trials[:10]] == pytest.approx([objective(a) for a in asked])
    assert r.study.trials[10].state == optuna.trial.TrialState.RUNNING
    r.tell(pending, 0.5)
    assert r.study.trials[10].value == 0.5
    for a in drive(r, objective, 5, first=11):
        space.validate(a)
    assert len(r.study.trials) == 16


def test_state_is_json_and_a_foreign_snapshot_is_refused() -> None:
    space = spaces.nb201()
    s = make(space)
    drive(s, score_table(space, 0), 3)
    text = json.dumps(s.state_dict())
    assert json.loads(text)["seed"] == 0
    with pytest.raises(ValueError, match="belongs to strategy 'random'"):
        s.load_state_dict(roundtrip(strategies.create("random", space).state_dict()))
    with pytest.raises(ValueError, match=r"other options \['sampler'\]"):
        make(space, sampler="random").load_state_dict(json.loads(text))
    bad = json.loads(text)
    bad["events"] = "[[\"ask\", {"
    with pytest.raises(ValueError, match="events are not JSON text"):
        s.load_state_dict(bad)
    bad["events"] = [["pop", 1]]
    with pytest.raises(ValueError, match="events must be a list of"):
        s.load_state_dict(bad)
    bad["events"] = [["tell", 7, "complete", [0.5]]]
    with pytest.raises(ValueError, match="tells trial 7, which is not pending"):
        s.load_state_dict(bad)
    s.load_state_dict(json.loads(text))
    assert len(s.study.trials) == 3


# ------------------------------------------------------------------ constraints
def test_constraint_is_honoured_and_rejections_are_pruned_for_optuna() -> None:
    space = spaces.nb201()

    def ok(arch: dict[str, Any]) -> bool:
        return "none" not in arch.values()

    s = make(space, constraint=ok, sampler="tpe", sampler_options={"n_startup_trials": 5})
    asked = drive(s, score_table(space, 4), 20)
    assert all(ok(a) for a in asked)
    pruned, done = optuna.trial.TrialState.PRUNED, optuna.trial.TrialState.COMPLETE
    rejected = [t for t in s.study.trials if t.state == pruned]
    assert rejected and all(not ok(bridge.decode(space, t.params)) for t in rejected)
    assert [bridge.decode(space, t.params) for t in s.study.trials if t.state == done] == asked
    kinds = {e[2] for e in events(s) if e[0] == "tell"}
    assert kinds == {"rejected", "complete"}


def test_a_sampler_stuck_in_a_rejected_region_falls_back_to_random_draws() -> None:
    space = spaces.nb201()
    objective = score_table(space, 4)
    s = make(space, sampler="tpe", sampler_options={"n_startup_trials": 5})
    drive(s, objective, 20)
    # TPE now favours a few choices of '1<-0'; demand the one it likes least
    counts = {c: 0 for c in space.decision("1<-0").choices()}
    for t in s.study.trials:
        counts[t.params["1<-0"]] += 1
    rare = min(counts, key=lambda c: (counts[c], c))
    s.set_constraint(lambda a: a["1<-0"] == rare)
    asked = drive(s, objective, 10, first=20)
    assert all(a["1<-0"] == rare for a in asked)
    metas = []
    for i in range(5):
        a = s.ask()
        metas.append(s.ask_meta())
        s.tell(a, objective(a), trial(30 + i, a, objective(a)))
        assert a["1<-0"] == rare
    assert all(m["rejected"] <= strategies.MAX_TRIES for m in metas)
    # a random fallback is enqueued into the study, and a resumed copy replays it exactly
    state = roundtrip(s.state_dict())
    r = make(space, seed=7, sampler="tpe", sampler_options={"n_startup_trials": 5})
    r.load_state_dict(state)
    r.set_constraint(lambda a: a["1<-0"] == rare)
    assert roundtrip(r.state_dict()) == state
    assert drive(r, objective, 5, first=35) == drive(s, objective, 5, first=35)


def test_random_fallback_when_every_sampler_proposal_is_rejected() -> None:
    space = spaces.nb201()
    s = make(space, sampler="tpe", sampler_options={"n_startup_trials": 2})
    drive(s, score_table(space, 1), 3)
    calls = itertools.count()
    s.set_constraint(lambda a: next(calls) >= osm.SAMPLER_TRIES)  # refuses the sampler's
    a = s.ask()
    assert s.ask_meta() == {"sampler": "tpe", "optuna_trial": 3 + osm.SAMPLER_TRIES,
                            "rejected": osm.SAMPLER_TRIES, "random": True}
    assert events(s)[-1] == ["ask", a, "random"]
    states = [t.state for t in s.study.trials[3:]]
    assert states == [optuna.trial.TrialState.PRUNED] * osm.SAMPLER_TRIES + [
        optuna.trial.TrialState.RUNNING]
    assert bridge.decode(space, s.study.trials[-1].params) == a
    s.tell(a, 0.25)
    assert s.study.trials[-1].value == 0.25


def test_constraint_that_nothing_satisfies() -> None:
    s = make(spaces.nb201(), constraint=lambda arch: False, sampler="random")
    with pytest.raises(ValueError, match=f"no architecture satisfies the constraint after "
                                         f"{strategies.MAX_TRIES} tries"):
        s.ask()


def test_an_experiment_constraint_on_params() -> None:
    from nasbench_ui.constraints import arch_params

    space = spaces.keras_cnn()
    bound = 60_000
    exp = nb.Experiment(space, strategy="optuna", estimator=Synthetic(), trials=12, seed=2,
                        constraints={"params": {"max": bound}})
    exp.run()
    assert exp.last_error is None and len(exp.finished_trials()) == 12
    assert max(arch_params(space, t.arch, (1, 8, 8)) for t in exp.finished_trials()) <= bound


# ------------------------------------------------------------------ objectives
class Synthetic:
    """Instant estimator on keras_cnn-like spaces: value and a ``size`` metric that trade off."""

    NAME = "synthetic"
    OPTIONS: dict[str, Any] = {}

    def estimate(self, arch: dict[str, Any], ctx: Any) -> Estimate:
        size = float(arch.get("filters", 32) * arch.get("units", 32))
        return Estimate(value=1.0 - 1.0 / math.sqrt(size), metrics={"size": size})


def test_nsga2_with_two_objectives_counts_both_metrics() -> None:
    space = spaces.keras_cnn()
    objectives = [["value", "max"], ["size", "min"]]
    s = make(space, sampler="nsga2", sampler_options={"population_size": 6},
             objectives=objectives)
    assert [d.name for d in s.study.directions] == ["MAXIMIZE", "MINIMIZE"]
    for i in range(20):
        a = s.ask()
        est = Synthetic().estimate(a, None)
        s.tell(a, est.value, Trial(i, TrialState.COMPLETE, a, est.value, est.metrics))
    for t in s.study.trials:
        a = bridge.decode(space, t.params)
        size = float(a["filters"] * a["units"])
        assert t.values == pytest.approx([1.0 - 1.0 / math.sqrt(size), size])
    front = {tuple(t.values) for t in s.study.best_trials}
    assert len(front) >= 2  # a trade-off, not one best point
    a = s.ask()
    with pytest.raises(ValueError, match="objective metric 'size' is not among the trial's"):
        s.tell(a, 0.5, Trial(20, TrialState.COMPLETE, a, 0.5, {"other": 1}))
    s.tell(a, 0.5, Trial(20, TrialState.COMPLETE, a, 0.5, {"size": None}))  # missing: FAIL
    assert s.study.trials[-1].state == optuna.trial.TrialState.FAIL


def test_nsga2_in_an_experiment_with_params_computed_from_the_architecture() -> None:
    from nasbench_ui.constraints import arch_params

    space = spaces.keras_cnn()
    exp = nb.Experiment(space, strategy="optuna", estimator=Synthetic(), trials=10, seed=0,
                        strategy_options={"sampler": "nsga2",
                                          "objectives": [["value", "max"], ["params", "min"]]},
                        objectives=[["value", "max"], ["params", "min"]])
    exp.run()
    assert exp.last_error is None
    done = exp.finished_trials()
    assert len(done) == 10 and all(t.state is TrialState.COMPLETE for t in done)
    study = exp.strategy.study
    by_arch = {space.key(bridge.decode(space, t.params)): t.values for t in study.trials}
    for t in done:
        assert by_arch[space.key(t.arch)] == pytest.approx(
            [t.value, arch_params(space, t.arch, (1, 8, 8))])


# ------------------------------------------------------------------ samplers' rules
def test_cmaes_warns_on_categorical_decisions() -> None:
    pytest.importorskip("cmaes")  # Optuna's CMA-ES sampler needs it (the optuna extra has it)
    with pytest.warns(UserWarning, match=r"'cmaes' sampler does not model categorical "
                                         r"decisions; \['kernel_size', 'learning_rate'\] are "
                                         "sampled at random"):
        s = make(spaces.keras_cnn(), sampler="cmaes")
    for a in drive(s, score_table(spaces.keras_cnn(), 0), 8):
        spaces.keras_cnn().validate(a)
    with pytest.warns(UserWarning, match=r"all of them: this is random search"):
        make(spaces.nb201(), sampler="cmaes")


def test_cmaes_on_a_numeric_space_and_qmc_do_not_warn() -> None:
    pytest.importorskip("cmaes")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = make(numeric_space(), sampler="cmaes", sampler_options={"n_startup_trials": 2})
        for a in drive(s, lambda a: -abs(a["a"] - 7) - abs(a["b"] - 20) / 4, 12):
            numeric_space().validate(a)
        if not bridge.falls_back_on_categorical("qmc", optuna.__version__):
            make(spaces.nb201(), sampler="qmc")


def test_cmaes_refuses_several_objectives() -> None:
    with pytest.raises(ValueError, match="'cmaes' sampler optimises one objective"):
        make(numeric_space(), sampler="cmaes", objectives=[["value", "max"], ["params", "min"]])


# ------------------------------------------------------------------ options
def test_bad_options_are_named() -> None:
    space = spaces.nb201()
    with pytest.raises(ValueError, match=r"option 'sampler' must be one of"):
        make(space, sampler="hyperband")
    with pytest.raises(ValueError, match=r"sampler 'tpe' has no option 'bins'; its options are "
                                         r"\[.*'n_startup_trials'"):
        make(space, sampler_options={"bins": 3})
    with pytest.raises(ValueError, match="'seed' is not a sampler option here"):
        make(space, sampler_options={"seed": 3})
    with pytest.raises(ValueError, match="sampler_options must hold JSON values only"):
        make(space, sampler_options={"gamma": lambda n: 1})
    with pytest.raises(ValueError, match=r"sampler 'nsga2' refused sampler_options"):
        make(space, sampler="nsga2", sampler_options={"population_size": 1})
    with pytest.raises(ValueError, match=r"each objective is \[metric, 'max' \| 'min'\]"):
        make(space, objectives=[["value", "up"]])


def test_optuna_logging_is_set_to_warnings() -> None:
    optuna.logging.set_verbosity(optuna.logging.DEBUG)
    make(spaces.nb201())
    assert optuna.logging.get_verbosity() == logging.WARNING


# ------------------------------------------------------------------ registry
def test_registered_when_optuna_imports() -> None:
    assert bridge.available()
    assert "optuna" in strategies.names()
    assert strategies.get("optuna") is osm.OptunaSampler
    assert strategies.describe("optuna")["doc"].startswith("Optuna's samplers")


def test_not_available_without_optuna(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "optuna", None)  # `import optuna` raises ImportError
    assert not bridge.available()
    with pytest.raises(ValueError, match=r"needs Optuna: pip install 'nasbench_ui\[optuna\]'"):
        osm.OptunaSampler(spaces.nb201())


def test_not_registered_in_a_process_without_optuna() -> None:
    code = ("import sys; sys.modules['optuna'] = None\n"
            "from nasbench_ui import strategies, spaces\n"
            "print('optuna' in strategies.names())\n"
            "try:\n    strategies.create('optuna', spaces.nb201())\n"
            "except ValueError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=True).stdout.splitlines()
    assert out[0] == "False"
    assert out[1].startswith("unknown strategy 'optuna'; known: random, grid")


# ------------------------------------------------------------------ experiment
def test_a_tiny_experiment_runs_to_complete() -> None:
    exp = nb.Experiment("nb201", strategy="optuna", estimator="zero_cost", trials=5)
    exp.run()
    assert exp.last_error is None
    trials = exp.trials
    assert len(trials) == 5 and all(t.state is TrialState.COMPLETE for t in trials), \
        [t.error for t in trials]
    assert [t.meta.get("optuna_trial") for t in trials] == [0, 1, 2, 3, 4]


def test_an_experiment_resumed_from_sqlite_continues_exactly(tmp_path: Any) -> None:
    space = spaces.keras_cnn()
    options = {"sampler": "tpe", "sampler_options": {"n_startup_trials": 3}}
    full = nb.Experiment(space, strategy="optuna", strategy_options=options,
                         estimator=Synthetic(), trials=10, seed=3).run()
    db = tmp_path / "o.db"
    nb.Experiment(space, strategy="optuna", strategy_options=options, estimator=Synthetic(),
                  trials=5, seed=3, storage=str(db)).run()
    again = nb.Experiment.load(db, estimator=Synthetic())
    again.set_budget(trials=10)
    again.run()
    assert again.last_error is None
    assert [t.arch for t in again.trials] == [t.arch for t in full.trials]
    assert len(again.strategy.study.trials) == 10

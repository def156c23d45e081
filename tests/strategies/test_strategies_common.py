"""Behaviour every strategy shares: exact resumption, pending asks, failed trials, constraints."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from strategy_helpers import drive, fan_in_space, score_table, trial

from nasbench_ui import spaces, strategies

# (strategy name, options, space factory): every strategy and its interesting modes
CASES: dict[str, tuple[str, dict[str, Any], Any]] = {
    "random": ("random", {}, spaces.keras_cnn),
    "random-dedupe": ("random", {"dedupe": True}, spaces.keras_cnn),
    "grid": ("grid", {}, spaces.keras_cnn),
    "grid-shuffle": ("grid", {"shuffle": True}, spaces.keras_cnn),
    "evolution": ("evolution", {"population": 4, "sample_size": 2}, spaces.nb201),
    "reinforce": ("reinforce", {"learning_rate": 0.5}, spaces.nb201),
    "reinforce-inputs": ("reinforce", {}, lambda: fan_in_space(10, 3)),  # 120 sets: sequential
    "local_search": ("local_search", {}, spaces.keras_cnn),
}


def make(case: str, seed: int = 0, constraint: Any = None) -> tuple[Any, Any]:
    name, options, space_fn = CASES[case]
    space = space_fn()
    return strategies.create(name, space, seed=seed, options=options, constraint=constraint), space


def roundtrip(state: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(state))


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize(("total", "cut"), [(10, 5), (30, 15)])
def test_resumed_strategy_continues_exactly(case: str, total: int, cut: int) -> None:
    a, space = make(case)
    objective = score_table(space, 7)
    reference = drive(a, objective, total)
    b, _ = make(case)
    drive(b, objective, cut)
    fresh, _ = make(case, seed=12345)  # another seed: the snapshot must carry the generator
    fresh.load_state_dict(roundtrip(b.state_dict()))
    resumed = drive(fresh, objective, total - cut, first=cut)
    assert resumed == reference[cut:]
    assert fresh.ask_meta() == a.ask_meta()
    assert roundtrip(fresh.state_dict()) == roundtrip(a.state_dict())
    # the snapshot was not aliased: b still continues on its own
    assert drive(b, objective, total - cut, first=cut) == reference[cut:]


@pytest.mark.parametrize("case", list(CASES))
def test_snapshot_with_pending_asks_resumes_exactly(case: str) -> None:
    objective_space = CASES[case][2]()
    objective = score_table(objective_space, 3)

    def run(s: Any, snapshot: bool) -> tuple[list[dict], Any]:
        drive(s, objective, 6)
        p1, p2 = s.ask(), s.ask()
        if snapshot:
            clone, _ = make(case, seed=99)
            clone.load_state_dict(roundtrip(s.state_dict()))
            s = clone
        s.tell(p2, objective(p2), trial(7, p2, objective(p2)))
        s.tell(p1, None, trial(6, p1, None))
        return drive(s, objective, 8, first=8), s

    uninterrupted, _ = run(make(case)[0], snapshot=False)
    resumed, _ = run(make(case)[0], snapshot=True)
    assert resumed == uninterrupted


@pytest.mark.parametrize("case", list(CASES))
def test_state_dict_is_json_and_rejects_a_foreign_snapshot(case: str) -> None:
    s, space = make(case)
    drive(s, score_table(space, 0), 3)
    text = json.dumps(s.state_dict())
    other = "random" if CASES[case][0] != "random" else "grid"
    foreign = strategies.create(other, space)
    with pytest.raises(ValueError, match=f"belongs to strategy {other!r}"):
        s.load_state_dict(json.loads(json.dumps(foreign.state_dict())))
    s.load_state_dict(json.loads(text))


@pytest.mark.parametrize("case", list(CASES))
def test_four_pending_asks_before_any_tell(case: str) -> None:
    s, space = make(case)
    asked = [s.ask() for _ in range(4)]
    for a in asked:
        space.validate(a)
    objective = score_table(space, 1)
    for i, a in reversed(list(enumerate(asked))):
        s.tell(a, objective(a), trial(i, a, objective(a)))
    for a in drive(s, objective, 6, first=4):
        space.validate(a)


@pytest.mark.parametrize("case", list(CASES))
def test_failed_trials_do_not_crash(case: str) -> None:
    s, space = make(case)
    good = score_table(space, 2)
    bad_values = [None, math.nan, math.inf]

    def objective(arch: dict) -> float | None:
        objective.calls += 1
        return bad_values[objective.calls % 3] if objective.calls % 2 else good(arch)

    objective.calls = 0
    for a in drive(s, objective, 40):
        space.validate(a)
    # nothing but failures: the strategy still proposes valid architectures
    t, _ = make(case, seed=5)
    for a in drive(t, lambda a: None, 25):
        space.validate(a)


def test_failed_trials_leave_the_learning_state_unchanged() -> None:
    s, space = make("reinforce")
    drive(s, lambda a: None, 10)
    assert set(map(tuple, s.state_dict()["logits"].values())) == {(0.0,) * 5}
    assert s.baseline is None
    e, _ = make("evolution")
    drive(e, lambda a: None, 10)
    assert e.population == []


@pytest.mark.parametrize("case", list(CASES))
def test_constraint_is_honoured(case: str) -> None:
    s, space = make(case)
    first = space.decisions[0]
    banned = first.choices()[0]

    def ok(arch: dict) -> bool:
        return arch[first.label] != banned

    s.set_constraint(ok)
    asked = drive(s, score_table(space, 4), 30)
    assert all(ok(a) for a in asked)
    banned2 = first.choices()[1]
    s.set_constraint(lambda a: a[first.label] not in (banned, banned2))
    assert all(a[first.label] not in (banned, banned2) for a in drive(s, lambda a: 1.0, 10, 30))


@pytest.mark.parametrize("case", list(CASES))
def test_constraint_nothing_satisfies(case: str) -> None:
    s, space = make(case, constraint=lambda arch: False)
    n = space.size() if CASES[case][0] == "grid" else strategies.MAX_TRIES
    message = f"no architecture satisfies the constraint after {n} tries"
    with pytest.raises(ValueError, match=message):
        s.ask()


def test_constraint_must_be_callable() -> None:
    with pytest.raises(ValueError, match="constraint must be a function arch -> bool or None"):
        strategies.create("random", spaces.nb201(), constraint="small")


def test_constraint_after_a_run_of_mutations_only_proposes_allowed_children() -> None:
    space = spaces.nb201()
    evo = strategies.create("evolution", space, seed=3, options={"population": 5,
                                                                 "sample_size": 2})
    objective = score_table(space, 3)
    drive(evo, objective, 10)
    evo.set_constraint(lambda a: list(a.values()).count("none") == 0)
    children = drive(evo, objective, 20, first=10)
    assert all("none" not in a.values() for a in children)
    assert evo.ask_meta()["parent"] is not None and evo.ask_meta()["mutation"] in space.labels

"""Hyperband, successive halving and BOHB as strategies: the bracket schedule, the
promotions (the best 1/eta of each rung, checked against a hand ranking), resumption from
a JSON snapshot, and BOHB's model-based proposer."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nasbench_ui import spaces, strategies
from nasbench_ui.storage import Trial, TrialState
from nasbench_ui.strategies.hyperband import Bracket


def objective(space: Any, arch: dict[str, Any], budget: float) -> float:
    """A deterministic value that depends on the architecture and grows with the budget."""
    h = (hash(space.key(arch)) % 1000) / 1000.0
    return round(h * (1 - 0.5 / budget), 6)


def drive(s: Any, space: Any, n: int, first: int = 0) -> list[tuple[str, dict[str, Any]]]:
    """Ask/tell ``n`` trials in sequence, numbered from ``first``; returns (key, meta) each."""
    out = []
    for number in range(first, first + n):
        arch = s.ask()
        meta = s.ask_meta()
        value = objective(space, arch, next(iter(meta["budget"].values())))
        s.tell(arch, value, Trial(number, TrialState.COMPLETE, arch, value, meta=dict(meta)))
        out.append((space.key(arch), meta))
    return out


def test_brackets_follow_li_et_al() -> None:
    # eta=3, R=81 (s_max=4): the first bracket of the paper's Table 1 is 81, 27, 9, 3, 1
    assert Bracket.sized(4, 4, 3).sizes == [81, 27, 9, 3, 1]
    assert Bracket.sized(3, 4, 3).sizes == [34, 11, 3, 1]
    assert Bracket.sized(2, 4, 3).sizes == [15, 5, 1]
    assert Bracket.sized(1, 4, 3).sizes == [8, 2]
    assert Bracket.sized(0, 4, 3).sizes == [5]
    assert Bracket.sized(1, 4, 3).base == 3


def test_hyperband_promotes_the_top_of_each_rung_by_hand() -> None:
    space = spaces.nb201()
    s = strategies.create("hyperband", space, seed=3,
                          options={"eta": 2, "min_budget": 1, "max_budget": 4})
    log = drive(s, space, 14)
    # one whole Hyperband iteration: brackets s=2 (4, 2, 1), s=1 (3, 1), s=0 (3)
    assert [m["bracket"] for _, m in log] == [2] * 7 + [1] * 4 + [0] * 3
    assert [m["rung"] for _, m in log] == [0, 0, 0, 0, 1, 1, 2, 1, 1, 1, 2, 2, 2, 2]
    assert [m["budget"] for _, m in log][:7] == [{"epochs": e} for e in (1, 1, 1, 1, 2, 2, 4)]
    # hand ranking of bracket 2's rung 0 (trials 0-3) on their values
    by_number = {n: (k, m) for n, (k, m) in enumerate(log)}
    def value(n: int) -> float:
        k, m = by_number[n]
        return round((hash(k) % 1000) / 1000.0 * (1 - 0.5 / m["budget"]["epochs"]), 6)
    rung0 = sorted(range(4), key=lambda n: (-value(n), n))
    assert [log[n][1]["promoted_from"] for n in (4, 5)] == rung0[:2]
    assert [log[n][0] for n in (4, 5)] == [log[n][0] for n in rung0[:2]]
    best_of_rung1 = max((4, 5), key=lambda n: (value(n), -n))
    assert log[6][1]["promoted_from"] == best_of_rung1
    # bracket 1: three new configurations at 2 epochs, the best one to 4
    assert all("promoted_from" not in log[n][1] for n in (7, 8, 9))
    assert log[10][1]["promoted_from"] == max((7, 8, 9), key=lambda n: (value(n), -n))
    assert all(m["budget"] == {"epochs": 4} and "promoted_from" not in m for _, m in log[11:])


def test_successive_halving_keeps_one_bracket_shape() -> None:
    space = spaces.keras_cnn()
    s = strategies.create("successive_halving", space, seed=0,
                          options={"eta": 3, "min_budget": 1, "max_budget": 9})
    log = drive(s, space, 26)
    assert [m["rung"] for _, m in log] == [0] * 9 + [1] * 3 + [2] + [0] * 9 + [1] * 3 + [2]
    assert {m["bracket"] for _, m in log} == {2}


def test_a_waiting_rung_opens_the_next_bracket() -> None:
    space = spaces.nb201()
    s = strategies.create("successive_halving", space, seed=0,
                          options={"eta": 2, "min_budget": 1, "max_budget": 2})
    asked = [s.ask(), s.ask()]  # bracket 1: two configurations at rung 0
    s.tell(asked[0], 0.7, Trial(0, TrialState.COMPLETE, asked[0], 0.7,
                                meta={"config": 0, "rung": 0}))
    # config 1 is still running, so bracket 1 cannot promote yet: a second bracket opens
    s.ask()
    assert s.ask_meta()["config"] == 2 and s.ask_meta()["rung"] == 0 and len(s.brackets) == 2
    s.tell(asked[1], 0.9, Trial(1, TrialState.COMPLETE, asked[1], 0.9,
                                meta={"config": 1, "rung": 0}))
    promoted = s.ask()
    m = s.ask_meta()
    assert (m["rung"], m["budget"], m["promoted_from"], m["config"]) == (1, {"epochs": 2}, 1, 1)
    assert promoted == asked[1]


@pytest.mark.parametrize("name", ["hyperband", "successive_halving", "bohb", "asha"])
def test_snapshot_resumes_exactly(name: str) -> None:
    space = spaces.nb201()
    options = {"eta": 2, "min_budget": 1, "max_budget": 4}
    if name == "bohb":
        options["proposer_options"] = {"initial": 3, "candidates": 20, "ensemble": 2,
                                       "epochs": 20}
    a = strategies.create(name, space, seed=5, options=options)
    reference = drive(a, space, 24)
    b = strategies.create(name, space, seed=5, options=options)
    drive(b, space, 11)
    fresh = strategies.create(name, space, seed=99, options=options)
    fresh.load_state_dict(json.loads(json.dumps(b.state_dict())))
    assert drive(fresh, space, 13, first=11) == reference[11:]


class Replayer(strategies.Strategy):
    """A proposer without a snapshot (the default state: replay): it proposes a mutation
    of the best architecture told so far, so what it proposes depends on what it heard."""

    NAME = "test_replayer"

    def __init__(self, space: Any, seed: int = 0, constraint: Any = None) -> None:
        self.space, self.best, self.n = space, None, 0

    def ask(self) -> dict[str, Any]:
        import random

        rng = random.Random(self.n)  # from what it heard only
        return self.space.sample(rng) if self.best is None else \
            self.space.mutation(self.best[1], rng)[0]

    def tell(self, arch: dict[str, Any], value: float | None, trial: Any = None) -> None:
        self.n += 1
        if value is not None and (self.best is None or value > self.best[0]):
            self.best = (value, dict(arch))


def test_a_replaying_proposer_hears_its_history_again() -> None:
    space = spaces.nb201()
    strategies.register(Replayer.NAME, Replayer, replace=True)
    try:
        options = {"eta": 2, "min_budget": 1, "max_budget": 2, "proposer": Replayer.NAME}
        a = strategies.create("successive_halving", space, seed=1, options=options)
        assert strategies.Strategy.replays_history(a.proposer.state_dict())
        reference = drive(a, space, 12)
        b = strategies.create("successive_halving", space, seed=1, options=options)
        drive(b, space, 6)
        fresh = strategies.create("successive_halving", space, seed=1, options=options)
        fresh.load_state_dict(json.loads(json.dumps(b.state_dict())))
        assert fresh.proposer.best == b.proposer.best
        assert drive(fresh, space, 6, first=6) == reference[6:]
    finally:
        strategies.unregister(Replayer.NAME)


def test_bad_options_are_clear_errors() -> None:
    space = spaces.nb201()
    with pytest.raises(ValueError, match="min_budget .* must not exceed max_budget"):
        strategies.create("hyperband", space, options={"min_budget": 9, "max_budget": 3})
    with pytest.raises(ValueError, match="strictly increasing"):
        strategies.create("hyperband", space, options={"budgets": [200, 12]})
    with pytest.raises(ValueError, match="not the scheduler 'asha'"):
        strategies.create("hyperband", space, options={"proposer": "asha"})
    with pytest.raises(ValueError, match="unknown strategy 'nope'"):
        strategies.create("hyperband", space, options={"proposer": "nope"})
    with pytest.raises(ValueError, match="at most 1"):
        strategies.create("asha", space, options={"fidelity": "data_fraction",
                                                 "budgets": [0.5, 2.0]})


def test_a_failed_rung_trial_is_never_promoted() -> None:
    space = spaces.nb201()
    s = strategies.create("successive_halving", space, seed=0,
                          options={"eta": 2, "budgets": [1, 4]})  # brackets of 2, then 1
    for values, promoted in (([None, 0.1], 1), ([None, None], None)):
        first = None
        for v in values:
            arch = s.ask()
            meta = s.ask_meta()
            first = meta["config"] if first is None else first
            number = meta["config"] + (1 if promoted is None else 0)  # the trial numbers
            s.tell(arch, v, Trial(number, TrialState.FAILED if v is None else
                                  TrialState.COMPLETE, arch, v, meta=meta))
        s.ask()
        m = s.ask_meta()
        if promoted is not None:  # the one that did not fail goes on
            assert m["promoted_from"] == promoted and m["config"] == promoted and m["rung"] == 1
            s.tell(s.configs[promoted]["arch"], 0.5, Trial(2, TrialState.COMPLETE,
                                                          s.configs[promoted]["arch"], 0.5,
                                                          meta=m))
        else:  # nothing to promote: the bracket ends and a new one starts
            assert "promoted_from" not in m and m["rung"] == 0 and m["config"] == 4


def test_bohb_proposes_with_bananas_and_tells_it_each_first_evaluation() -> None:
    space = spaces.nb201()
    s = strategies.create("bohb", space, seed=0, options={
        "eta": 2, "min_budget": 1, "max_budget": 4,
        "proposer_options": {"initial": 3, "candidates": 20, "ensemble": 2, "epochs": 20}})
    assert s.proposer.NAME == "bananas"
    log = drive(s, space, 14)
    new = [k for k, m in log if "promoted_from" not in m]
    assert [h["key"] for h in s.proposer.history] == new, \
        "the proposer hears each new configuration once, in order"
    assert len(new) == 4 + 3 + 3

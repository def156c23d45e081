"""BANANAS: candidate choice, async asks, exact resumption, and a seeded
comparison with random search on the NAS-Bench-201 table."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from strategy_helpers import drive, score_table, tiny_space, trial

from nasbench_ui import spaces, strategies
from nasbench_ui.space.canonical import Equivalence
from nasbench_ui.strategies.arch_codec import ArchCodec
from nasbench_ui.strategies.bananas import Bananas
from nasbench_ui.strategies.mlp_ensemble import MLPEnsemble

FAST = {"epochs": 40, "initial": 5}


def test_random_first_then_mutations_of_the_best_never_repeating() -> None:
    space = spaces.nb201()
    objective = score_table(space, 4)
    s = Bananas(space, seed=0, equivalence="none", **FAST)  # see the test below for "function"
    seen, values, randoms, mutants = [], {}, 0, 0
    for i in range(30):
        a = s.ask()
        meta = s.ask_meta()
        key = space.key(a)
        assert key not in seen
        if i < 5:
            assert meta == {"parent": None, "mutation": None, "predicted": None}
        else:
            assert isinstance(meta["predicted"], float)
            if meta["parent"] is None:  # one of the random candidates
                assert meta["mutation"] is None
                randoms += 1
            else:
                parent = s.history[meta["parent"]]["arch"]
                changed = [lb for lb in space.labels if a[lb] != parent[lb]]
                assert meta["mutation"] == ",".join(changed) and 1 <= len(changed) <= 2
                top = sorted(values.values(), reverse=True)[:10]
                assert values[meta["parent"]] >= top[-1]  # a parent is among the 10 best
                mutants += 1
        seen.append(key)
        values[i] = objective(a)
        s.tell(a, values[i], trial(i, a, values[i]))
    assert len(s.history) == 30
    assert mutants > randoms > 0  # the predictor mostly prefers mutants of the best


def test_the_predictor_steers_the_search_towards_good_architectures() -> None:
    space = spaces.nb201()
    objective = score_table(space, 9)
    best_by = {}
    for name, options in (("bananas", FAST), ("random", {})):
        found = []
        for seed in range(3):
            s = strategies.create(name, space, seed=seed, options=options)
            found.append(max(objective(a) for a in drive(s, objective, 40)))
        best_by[name] = statistics.fmean(found)
    assert best_by["bananas"] > best_by["random"]


@pytest.mark.parametrize("extra", [
    {"acquisition": "its"}, {"acquisition": "ucb"}, {"acquisition": "mean"},
    {"encoding": "path"}, {"retrain_every": 1, "warm_epochs": 0},
    {"retrain_every": 4, "warm_epochs": 3}, {"equivalence": "none"},
    {"prior": "params", "target": "rank", "prune_asks": True},
])
@pytest.mark.parametrize(("total", "cut"), [(12, 4), (20, 11), (26, 23)])
def test_resumed_bananas_continues_exactly(extra: dict[str, Any], total: int, cut: int) -> None:
    space = spaces.nb201()
    objective = score_table(space, 2)
    opts = {**FAST, **extra}
    a = Bananas(space, seed=3, **opts)
    reference = drive(a, objective, total)
    b = Bananas(space, seed=3, **opts)
    drive(b, objective, cut)
    fresh = Bananas(space, seed=999, **opts)
    fresh.load_state_dict(json.loads(json.dumps(b.state_dict())))
    assert drive(fresh, objective, total - cut, first=cut) == reference[cut:]
    assert fresh.ask_meta() == a.ask_meta()
    assert json.loads(json.dumps(fresh.state_dict())) == json.loads(json.dumps(a.state_dict()))


def test_pending_asks_and_failed_trials() -> None:
    space = spaces.nb201()
    objective = score_table(space, 6)

    def run(snapshot: bool) -> list[dict[str, Any]]:
        s = Bananas(space, seed=0, **FAST)
        drive(s, objective, 8)
        p1, p2, p3 = s.ask(), s.ask(), s.ask()
        assert len({space.key(p) for p in (p1, p2, p3)}) == 3  # pending ones are not re-asked
        if snapshot:
            clone = Bananas(space, seed=5, **FAST)
            clone.load_state_dict(json.loads(json.dumps(s.state_dict())))
            s = clone
        s.tell(p3, objective(p3), trial(10, p3, objective(p3)))
        s.tell(p1, None, trial(8, p1, None))  # failed: never trained on, never re-asked
        s.tell(p2, float("nan"), trial(9, p2, None))
        out = drive(s, objective, 10, first=11)
        keys = {space.key(a) for a in out}
        assert space.key(p1) not in keys and space.key(p2) not in keys
        assert [h["value"] for h in s.history][8:11] == [objective(p3), None, None]
        return out

    assert run(snapshot=True) == run(snapshot=False)


def test_a_small_space_is_exhausted_without_error() -> None:
    space = tiny_space()  # six architectures
    s = Bananas(space, seed=0, initial=2, epochs=5)
    asked = drive(s, score_table(space, 0), 9)
    assert len({space.key(a) for a in asked[:6]}) == 6  # all six before any repeat


def test_the_constraint_is_honoured_and_an_impossible_one_is_reported() -> None:
    space = spaces.nb201()
    no_pool = lambda a: "avg_pool_3x3" not in a.values()  # noqa: E731
    s = Bananas(space, seed=0, constraint=no_pool, **FAST)
    assert all(no_pool(a) for a in drive(s, score_table(space, 1), 15))
    s = Bananas(space, seed=0, constraint=lambda a: False)
    with pytest.raises(ValueError, match="bananas: no architecture satisfies the constraint "
                                         "after 1000 tries"):
        s.ask()


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match=r"option 'acquisition' must be one of "
                                         r"\['its', 'ucb', 'mean'\], got 'ei'"):
        strategies.create("bananas", spaces.nb201(), options={"acquisition": "ei"})
    with pytest.raises(ValueError, match=r"option 'ensemble' must be >= 1, got 0"):
        strategies.create("bananas", spaces.nb201(), options={"ensemble": 0})
    s = Bananas(spaces.nb201(), seed=0, **FAST)
    with pytest.raises(ValueError, match="create the strategy with the same options"):
        Bananas(spaces.nb201(), seed=0, initial=5, epochs=41).load_state_dict(s.state_dict())


def test_warm_starts_between_trainings_from_scratch() -> None:
    space = spaces.nb201()
    objective = score_table(space, 3)
    s = Bananas(space, seed=0, initial=5, epochs=20, retrain_every=4, warm_epochs=5)
    fits = []
    for i in range(14):
        a = s.ask()
        fits.append(s.state_dict()["fit"])
        s.tell(a, objective(a), trial(i, a, objective(a)))
    assert fits[:5] == [None] * 5
    assert fits[5][0] == 5 and len(fits[5]) == 2  # trained from scratch on 5 results
    assert fits[6] == [*fits[5], 6] and fits[8] == [*fits[5], 6, 7, 8]  # warm steps
    assert fits[9][0] == 9 and len(fits[9]) == 2 and fits[9][1] != fits[5][1]  # again
    # the model equals one built by replaying the schedule in a fresh strategy
    clone = Bananas(space, seed=9, initial=5, epochs=20, retrain_every=4, warm_epochs=5)
    clone.load_state_dict(json.loads(json.dumps(s.state_dict())))
    data = s._successes()
    x = np.array([space.encode(h["arch"]) for h in s.history])
    assert np.array_equal(clone._ensemble(data).predict(x)[0], s._ensemble(data).predict(x)[0])
    # the paper's schedule: from scratch on every result, no warm steps
    p = Bananas(space, seed=0, initial=5, epochs=20, retrain_every=1, warm_epochs=0)
    for i in range(8):
        a = p.ask()
        p.tell(a, objective(a), trial(i, a, objective(a)))
    p.ask()
    n, seed = p.state_dict()["fit"]
    assert n == 8
    # the predictor sees each cell with its dead edges dropped (equivalence="function")
    xs = np.array([space.encode(Equivalence(space).pruned(h["arch"])) for h in p.history])
    ref = MLPEnsemble(30, 5, 32, 2, seed=seed).fit(
        xs, np.array([h["value"] for h in p.history]), 20, 0.03)
    assert np.array_equal(ref.predict(xs)[0], p._ensemble(p._successes()).predict(xs)[0])


def test_an_older_snapshot_with_a_two_number_fit_loads() -> None:
    space = spaces.nb201()
    objective = score_table(space, 4)
    s = Bananas(space, seed=1, **FAST)
    drive(s, objective, 12)
    state = json.loads(json.dumps(s.state_dict()))
    state["fit"] = state["fit"][:2]  # as written before warm starts: [results, seed]
    old = Bananas(space, seed=1, **FAST)
    old.load_state_dict(state)
    assert len(drive(old, objective, 3, first=12)) == 3


def _nb201_table(path: Path) -> dict[str, float]:
    import pandas as pd

    df = pd.read_csv(path, usecols=["arch_str", "valid_acc_12ep"])
    return dict(zip(df["arch_str"], df["valid_acc_12ep"], strict=True))


@pytest.mark.slow
def test_bananas_beats_random_search_on_nas_bench_201(nb201_csv: Path) -> None:
    space = spaces.nb201()
    table = _nb201_table(nb201_csv)
    objective = lambda a: table[space.key(a)]  # noqa: E731
    means = {}
    for name in ("bananas", "random"):
        bests = []
        for seed in range(5):
            s = strategies.create(name, space, seed=seed)
            bests.append(max(objective(a) for a in drive(s, objective, 60)))
        means[name] = statistics.fmean(bests)
    assert means["bananas"] > means["random"] + 0.3, means
    assert means["bananas"] > 84.0, means  # near the table's best (84.89)


def test_a_snapshot_holds_no_architecture_dicts_and_an_older_one_still_loads() -> None:
    space = spaces.nb201()
    objective = score_table(space, 2)
    a = Bananas(space, seed=4, **FAST)
    drive(a, objective, 9)
    state = json.loads(json.dumps(a.state_dict()))
    assert "history" not in state and len(state["rows"]) == len(state["values"]) == 9
    assert all(isinstance(i, int) for row in state["rows"] for i in row)
    older = {k: v for k, v in state.items() if k not in ("rows", "values", "numbers")}
    older["history"] = a.history  # the format written before the compact columns
    for snapshot in (state, json.loads(json.dumps(older))):
        b = Bananas(space, seed=0, **FAST)
        b.load_state_dict(snapshot)
        assert b.history == a.history
        assert drive(b, objective, 5, first=9) == drive(
            _clone(space, state), objective, 5, first=9)


def _clone(space: Any, state: dict[str, Any]) -> Bananas:
    c = Bananas(space, seed=1, **FAST)
    c.load_state_dict(json.loads(json.dumps(state)))
    return c


@pytest.mark.parametrize(("change", "message"), [
    ({"rows": [[0, 0, 0, 0, 0, 9]]}, "choice indices within"),
    ({"rows": [[0, 0, 0]]}, "6 choice indices"),
    ({"rows": [["a", 0, 0, 0, 0, 0]]}, "choice indices"),
    ({"values": []}, "differ in length"),
    ({"rows": None, "values": None, "numbers": None}, "'rows', 'values' and 'numbers'"),
])
def test_a_bad_snapshot_is_a_value_error(change: dict[str, Any], message: str) -> None:
    space = spaces.nb201()
    a = Bananas(space, seed=0, **FAST)
    a.tell(a.ask(), 1.0, trial(0, None, 1.0))
    state = {**json.loads(json.dumps(a.state_dict())), **change}
    state = {k: v for k, v in state.items() if not (k in change and v is None)}
    if change.get("values") == []:
        state["numbers"] = []
    with pytest.raises(ValueError, match=message):
        Bananas(space, seed=0, **FAST).load_state_dict(state)


def test_no_two_asks_compute_the_same_function_and_pending_ones_count() -> None:
    space = spaces.nb201()
    eq = Equivalence(space)
    objective = score_table(space, 4)

    def run(snapshot: bool) -> list[dict[str, Any]]:
        s = Bananas(space, seed=1, **FAST)
        asked = drive(s, objective, 12)
        pending = [s.ask(), s.ask()]
        if snapshot:  # the pending asks' functions survive a snapshot
            clone = Bananas(space, seed=7, **FAST)
            clone.load_state_dict(json.loads(json.dumps(s.state_dict())))
            s = clone
        asked += pending + drive(s, objective, 40, first=14)
        for p in pending:
            s.tell(p, objective(p), trial(99, p, objective(p)))
        return asked

    asked = run(snapshot=False)
    functions = [eq.key(a) for a in asked]
    assert len(set(functions)) == len(functions) == 54
    assert run(snapshot=True) == asked
    # without the equivalence the same search asks some function twice (dead edges differ)
    plain = drive(Bananas(space, seed=1, equivalence="none", **FAST), objective, 54)
    assert len({eq.key(a) for a in plain}) < 54


def test_the_predictor_sees_cells_with_their_dead_edges_dropped() -> None:
    space = spaces.nb201()
    s = Bananas(space, seed=0, **FAST)
    codec = ArchCodec(space)
    conv = dict.fromkeys(space.labels, "nor_conv_3x3")
    dead = {**conv, "1<-0": "none", "2<-1": "avg_pool_3x3", "3<-1": "skip_connect"}
    same = {**conv, "1<-0": "none", "2<-1": "none", "3<-1": "none"}
    x = s._encode(np.array([codec.row(dead), codec.row(same), codec.row(conv)]))
    assert (x[0] == x[1]).all() and not (x[0] == x[2]).all()
    off = Bananas(space, seed=0, equivalence="none", **FAST)
    y = off._encode(np.array([codec.row(dead), codec.row(same)]))
    assert not (y[0] == y[1]).all()


NEW = {"prior": "params", "target": "rank", "prune_asks": True}


def test_pruned_asks_have_no_dead_edges_and_never_repeat_a_function() -> None:
    space = spaces.nb201()
    eq = Equivalence(space)
    objective = score_table(space, 5)
    asked = drive(Bananas(space, seed=2, prune_asks=True, **FAST), objective, 40)
    assert all(eq.pruned(a) == a for a in asked)  # every dead edge carries "none"
    assert len({eq.key(a) for a in asked}) == 40
    plain = drive(Bananas(space, seed=2, **FAST), objective, 40)
    assert any(eq.pruned(a) != a for a in plain)  # without the option some asks have them
    # a constraint that refuses "none" keeps the asks as drawn (and allowed)
    no_none = lambda a: "none" not in a.values()  # noqa: E731
    s = Bananas(space, seed=2, constraint=no_none, prune_asks=True, **FAST)
    assert all(no_none(a) for a in drive(s, objective, 15))


def test_the_params_prior_makes_the_initial_design_larger() -> None:
    from nasbench_ui.strategies.params_prior import ParamsPrior

    space = spaces.nb201()
    prior = ParamsPrior(space)
    objective = score_table(space, 1)
    mean = {}
    for option in ("none", "params"):
        sizes = []
        for seed in range(4):
            s = Bananas(space, seed=seed, prior=option, **FAST)
            sizes += [prior.score(a) for a in drive(s, objective, 5)]  # the random asks
        mean[option] = statistics.fmean(sizes)
    assert mean["params"] > mean["none"] + 0.3, mean


def test_rank_targets_train_on_normal_scores() -> None:
    from nasbench_ui.strategies.mlp_ensemble import normal_scores

    space = spaces.nb201()
    objective = score_table(space, 3)
    s = Bananas(space, seed=0, target="rank", retrain_every=1, **FAST)
    drive(s, objective, 8)
    s.ask()
    n, seed = s.state_dict()["fit"]
    xs = s._encode(np.array(s._rows))
    ref = MLPEnsemble(30, 5, 32, 2, seed=seed).fit(
        xs, normal_scores(np.array([h["value"] for h in s.history])), 40, 0.03)
    assert n == 8
    assert np.array_equal(ref.predict(xs)[0], s._ensemble(s._successes()).predict(xs)[0])


def test_the_new_options_tolerate_failed_and_pending_trials() -> None:
    space = spaces.nb201()
    objective = score_table(space, 6)
    s = Bananas(space, seed=0, **FAST, **NEW)
    drive(s, objective, 7)
    p1, p2 = s.ask(), s.ask()
    s.tell(p1, None, trial(7, p1, None))
    clone = Bananas(space, seed=3, **FAST, **NEW)
    clone.load_state_dict(json.loads(json.dumps(s.state_dict())))
    for t in (s, clone):
        t.tell(p2, objective(p2), trial(8, p2, objective(p2)))
    assert drive(clone, objective, 6, first=9) == drive(s, objective, 6, first=9)
    assert space.key(p1) not in {space.key(h["arch"]) for h in s.history[9:]}

"""BANANAS: the MLP ensemble, candidate choice, async asks, exact resumption, and a seeded
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
from nasbench_ui.strategies.bananas import Bananas, MLPEnsemble

FAST = {"epochs": 40, "initial": 5}


def test_the_ensemble_fits_and_disagrees_away_from_the_data() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, (60, 8)).astype(float)
    y = x @ np.arange(8.0) + 5.0
    m = MLPEnsemble(8, ensemble=5, hidden=32, layers=2, seed=1).fit(x, y, 400, 0.02)
    mu, sd = m.predict(x)
    assert np.abs(mu - y).mean() < 0.5 * np.abs(y - y.mean()).mean() / 4
    far_mu, far_sd = m.predict(np.full((1, 8), 6.0))  # far outside the training inputs
    assert far_sd[0] > 5 * sd.mean()
    again = MLPEnsemble(8, ensemble=5, hidden=32, layers=2, seed=1).fit(x, y, 400, 0.02)
    assert np.array_equal(again.predict(x)[0], mu)  # same seed, same predictors
    single = MLPEnsemble(8, ensemble=1, seed=0).fit(x, y, 10, 0.01)
    assert not single.predict(x)[1].any()  # one member: no spread


def test_random_first_then_mutations_of_the_best_never_repeating() -> None:
    space = spaces.nb201()
    objective = score_table(space, 4)
    s = Bananas(space, seed=0, **FAST)
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


@pytest.mark.parametrize("acquisition", ["its", "ucb", "mean"])
@pytest.mark.parametrize(("total", "cut"), [(12, 4), (20, 11)])
def test_resumed_bananas_continues_exactly(acquisition: str, total: int, cut: int) -> None:
    space = spaces.nb201()
    objective = score_table(space, 2)
    opts = {**FAST, "acquisition": acquisition}
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

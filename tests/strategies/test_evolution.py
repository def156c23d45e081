"""Regularized (aging) evolution: tournament, mutation lineage, aging, async asks."""

from __future__ import annotations

import random

import pytest
from strategy_helpers import drive, score_table, trial

from nasbench_ui import spaces, strategies
from nasbench_ui.strategies import RegularizedEvolution


def test_evolution_beats_random_on_a_hidden_score_table() -> None:
    space = spaces.nb201()
    bests: dict[str, list[float]] = {"random": [], "evolution": []}
    for name, results in bests.items():
        for seed in range(10):
            true = score_table(space, 200 + seed)  # a different hidden table per seed
            noise = random.Random(seed)
            s = strategies.create(name, space, seed=seed)
            asked = drive(s, lambda a, t=true, n=noise: t(a) + n.gauss(0, 0.05), 100)
            results.append(max(map(true, asked)))
    mean = {k: sum(v) / len(v) for k, v in bests.items()}
    assert mean["evolution"] > mean["random"], mean
    wins = sum(e > r for e, r in zip(bests["evolution"], bests["random"], strict=True))
    assert wins >= 7, bests


def test_first_population_asks_are_random_even_while_pending() -> None:
    space = spaces.nb201()
    evo = RegularizedEvolution(space, seed=0, population=4, sample_size=2)
    asked = []
    for _ in range(6):  # 4 to fill the population + 2 more while nothing is told
        asked.append(evo.ask())
        assert evo.ask_meta() == {"parent": None, "mutation": None}
    for i, a in enumerate(asked[:4]):
        evo.tell(a, float(i), trial(10 + i, a, float(i)))
    assert [m["number"] for m in evo.population] == [10, 11, 12, 13]
    child = evo.ask()
    meta = evo.ask_meta()
    assert meta["parent"] in {10, 11, 12, 13}
    parent = next(m for m in evo.population if m["number"] == meta["parent"])
    changed = [lb for lb in space.labels if child[lb] != parent["arch"][lb]]
    assert changed == [meta["mutation"]]


def test_tournament_over_the_whole_population_picks_the_best_member() -> None:
    space = spaces.nb201()
    evo = RegularizedEvolution(space, seed=1, population=5, sample_size=5)
    objective = score_table(space, 5)
    drive(evo, objective, 5)
    for i in range(5, 25):
        best = max(evo.population, key=lambda m: m["value"])
        child = evo.ask()
        assert evo.ask_meta()["parent"] == best["number"]
        evo.tell(child, objective(child), trial(i, child, objective(child)))


def test_the_oldest_member_dies_even_when_it_is_the_best() -> None:
    space = spaces.nb201()
    evo = RegularizedEvolution(space, seed=2, population=3, sample_size=1)
    values = [100.0, 1.0, 2.0]
    for i, v in enumerate(values):
        a = evo.ask()
        evo.tell(a, v, trial(i, a, v))
    child = evo.ask()
    evo.tell(child, 0.5, trial(3, child, 0.5))
    assert [m["number"] for m in evo.population] == [1, 2, 3]
    assert [m["value"] for m in evo.population] == [1.0, 2.0, 0.5]


def test_a_failed_child_does_not_join_or_age_the_population() -> None:
    space = spaces.nb201()
    evo = RegularizedEvolution(space, seed=3, population=3, sample_size=2)
    drive(evo, score_table(space, 0), 3)
    before = evo.population
    child = evo.ask()
    evo.tell(child, None, trial(3, child, None))
    assert evo.population == before


def test_sample_size_above_population_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'sample_size' \(7\) must be <= 'population' \(5\)"):
        RegularizedEvolution(spaces.nb201(), population=5, sample_size=7)
    with pytest.raises(ValueError, match="option 'population' must be >= 2"):
        RegularizedEvolution(spaces.nb201(), population=1, sample_size=1)


def test_ask_meta_is_a_copy() -> None:
    evo = RegularizedEvolution(spaces.nb201(), seed=0, population=2, sample_size=1)
    evo.ask()
    evo.ask_meta()["parent"] = 42
    assert evo.ask_meta()["parent"] is None

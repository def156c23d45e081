"""Random search: uniform coverage and deduplication."""

from __future__ import annotations

import pytest
from strategy_helpers import drive, tiny_space

from nasbench_ui import spaces
from nasbench_ui.strategies import RandomSearch


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_covers_a_tiny_space(seed: int) -> None:
    space = tiny_space()
    s = RandomSearch(space, seed=seed)
    keys = [space.key(a) for a in drive(s, lambda a: 0.0, 200)]
    assert set(keys) == {space.key(a) for a in space.enumerate()}
    # without dedupe, repeats happen in a 6-architecture space
    assert len(set(keys[:20])) < 20


def test_random_is_roughly_uniform() -> None:
    space = tiny_space()
    s = RandomSearch(space, seed=0)
    counts: dict[str, int] = {}
    for a in drive(s, lambda a: 0.0, 3000):
        counts[space.key(a)] = counts.get(space.key(a), 0) + 1
    assert len(counts) == 6
    assert all(400 < c < 600 for c in counts.values()), counts  # expected 500 each


@pytest.mark.parametrize("seed", [0, 1])
def test_dedupe_visits_every_architecture_before_repeating(seed: int) -> None:
    space = spaces.keras_cnn()
    s = RandomSearch(space, seed=seed, dedupe=True)
    keys = [space.key(a) for a in drive(s, lambda a: 0.0, space.size())]
    assert len(set(keys)) == space.size() == 320
    extra = s.ask()  # all seen: a repeat is allowed, not an error
    assert space.key(extra) in set(keys)


def test_dedupe_counts_told_architectures_as_seen() -> None:
    space = tiny_space()
    s = RandomSearch(space, seed=0, dedupe=True)
    told = list(space.enumerate())[:5]
    for a in told:
        s.tell(a, 1.0)
    remaining = {space.key(a) for a in space.enumerate()} - {space.key(a) for a in told}
    assert {space.key(s.ask())} == remaining


def test_tell_rejects_an_architecture_of_another_space() -> None:
    s = RandomSearch(tiny_space(), seed=0)
    with pytest.raises(ValueError, match="missing decision"):
        s.tell({"filters": 32}, 1.0)

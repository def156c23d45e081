"""Grid search: every architecture exactly once, then finished."""

from __future__ import annotations

import pytest
from strategy_helpers import drive, tiny_space

from nasbench_ui import spaces
from nasbench_ui.strategies import GridSearch, StrategyExhausted


@pytest.mark.parametrize("shuffle", [False, True])
def test_grid_enumerates_each_architecture_once_then_finishes(shuffle: bool) -> None:
    space = spaces.keras_cnn()
    g = GridSearch(space, seed=4, shuffle=shuffle)
    asked = []
    while not g.finished:
        asked.append(g.ask())
        g.tell(asked[-1], 0.0)
    keys = [space.key(a) for a in asked]
    assert len(keys) == len(set(keys)) == space.size() == g.total == 320
    in_order = [space.key(a) for a in space.enumerate()]
    assert (keys == in_order) is (not shuffle)
    assert sorted(keys) == sorted(in_order)
    with pytest.raises(StrategyExhausted, match="all 320 architectures .* have been visited"):
        g.ask()


def test_grid_shuffle_depends_on_the_seed() -> None:
    space = tiny_space()
    orders = {tuple(space.key(a) for a in drive(GridSearch(space, seed=s, shuffle=True),
                                                lambda a: 0.0, 6)) for s in range(6)}
    assert len(orders) > 1


def test_grid_refuses_a_space_above_its_limit() -> None:
    with pytest.raises(ValueError, match=r"space 'nb201' has 15,625 architectures, more than "
                                         r"limit=1,000; raise the 'limit' option"):
        GridSearch(spaces.nb201(), limit=1000)
    with pytest.raises(ValueError, match="786,432 architectures.*'random' or 'evolution'"):
        GridSearch(spaces.darts_cell())
    assert GridSearch(spaces.nb201(), limit=15625).total == 15625


def test_grid_skips_architectures_outside_the_constraint() -> None:
    space = spaces.keras_cnn()
    g = GridSearch(space, constraint=lambda a: a["kernel_size"] == 5 and a["filters"] == 64)
    asked = []
    while not g.finished:
        asked.append(g.ask())
    assert len(asked) == 320 // 8
    assert all(a["kernel_size"] == 5 and a["filters"] == 64 for a in asked)

"""Local search: reaches the optimum of a separable objective, restarts, async asks."""

from __future__ import annotations

from typing import Any

import pytest
from strategy_helpers import best_arch, drive, score_table, tiny_space, trial

from nasbench_ui import spaces
from nasbench_ui.strategies import LocalSearch, StrategyExhausted


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_local_search_reaches_the_optimum_of_a_separable_objective(seed: int) -> None:
    space = spaces.keras_cnn()
    objective = score_table(space, 10 + seed)
    ls = LocalSearch(space, seed=seed, restarts=False)
    asked = []
    while not ls.finished:
        asked += drive(ls, objective, 1, first=len(asked))
    assert ls.current["arch"] == best_arch(space, objective)
    assert ls.local_optima == 1
    keys = [space.key(a) for a in asked]
    assert len(keys) == len(set(keys))  # nothing evaluated twice within a descent
    assert len(keys) < space.size() // 2  # far from exhaustive
    with pytest.raises(StrategyExhausted, match="restarts=False; the search is finished"):
        ls.ask()


def test_moves_to_the_first_improving_neighbour() -> None:
    space = spaces.keras_cnn()
    objective = score_table(space, 1)
    ls = LocalSearch(space, seed=0)
    start = ls.ask()
    ls.tell(start, objective(start), trial(0, start, objective(start)))
    for i in range(1, 30):
        current = ls.current
        a = ls.ask()
        meta = ls.ask_meta()
        assert meta["parent"] == current["number"]
        assert [lb for lb in space.labels if a[lb] != current["arch"][lb]] == [meta["mutation"]]
        v = objective(a)
        ls.tell(a, v, trial(i, a, v))
        expected = a if v > current["value"] else current["arch"]
        if ls.local_optima:
            break
        assert ls.current["arch"] == expected


def test_restarts_at_a_random_architecture_after_a_local_optimum() -> None:
    space = tiny_space()
    ls = LocalSearch(space, seed=0)
    asked = drive(ls, lambda a: 1.0 if a["h<-in"] == "tanh" else 0.0, 30)
    assert ls.local_optima >= 3
    assert ls.current is None or ls.current["value"] in (0.0, 1.0)
    assert {a["h<-in"] for a in asked} == {"relu", "tanh", "skip"}


def test_a_failed_start_is_replaced_and_failed_neighbours_never_improve() -> None:
    space = spaces.keras_cnn()
    ls = LocalSearch(space, seed=0)
    first = ls.ask()
    ls.tell(first, None)
    assert ls.current is None
    second = ls.ask()
    ls.tell(second, 0.5)
    assert ls.current["arch"] == second
    n = ls.ask()
    ls.tell(n, None)
    assert ls.current["arch"] == second


def test_pending_neighbours_are_handed_out_before_their_results() -> None:
    space = spaces.keras_cnn()
    objective = score_table(space, 2)
    ls = LocalSearch(space, seed=5)
    start = ls.ask()
    ls.tell(start, objective(start), trial(0, start, objective(start)))
    pending = [ls.ask() for _ in range(4)]
    assert all(sum(a[lb] != start[lb] for lb in space.labels) == 1 for a in pending)
    assert len({space.key(a) for a in pending}) == 4
    for i, a in enumerate(pending):
        ls.tell(a, objective(a), trial(1 + i, a, objective(a)))
    best = max([start, *pending], key=objective)
    assert ls.current["arch"] == best


def test_explore_asks_while_waiting_seed_the_next_descent() -> None:
    space = tiny_space()  # the start has 3 neighbours
    ls = LocalSearch(space, seed=0)
    start = ls.ask()
    ls.tell(start, 10.0)
    neighbours = [ls.ask() for _ in range(3)]
    explore = ls.ask()  # queue empty, neighbours pending: a random exploration
    assert ls.ask_meta() == {}
    ls.tell(explore, 3.0, trial(7, explore, 3.0))
    for a in neighbours:
        ls.tell(a, 1.0)
    assert ls.local_optima == 1
    asked = {space.key(a) for a in [start, *neighbours]}
    assert space.key(explore) not in asked  # unseen in the descent
    assert ls.current["number"] == 7  # the next descent starts at the explored arch
    assert ls.current["arch"] == explore


def test_a_lost_pending_neighbour_does_not_stall_the_search() -> None:
    from nasbench_ui.strategies.local_search import WAIT_LIMIT

    space = spaces.keras_cnn()
    ls = LocalSearch(space, seed=0)
    start = ls.ask()
    ls.tell(start, 0.0, trial(0, start, 0.0))
    neighbours = [ls.ask() for _ in space.neighbors(start)]
    assert all(sum(a[lb] != start[lb] for lb in space.labels) == 1 for a in neighbours)
    lost = neighbours.pop()  # its result never comes back
    for i, a in enumerate(neighbours):
        ls.tell(a, -1.0, trial(1 + i, a, -1.0))
    explores = 0
    while ls.local_optima == 0:  # random explores while waiting for the lost one
        ls.ask()
        assert ls.ask_meta() == {}
        explores += 1
    assert explores == WAIT_LIMIT + 1  # the ask after the limit is a fresh start
    assert ls.current is None
    ls.tell(lost, 5.0, trial(99, lost, 5.0))  # late: it seeds the next descent
    ls.ask()
    assert ls.current["number"] == 99 and ls.ask_meta()["parent"] == 99


def test_steepest_ascent_weighs_every_neighbour_then_moves_to_the_best() -> None:
    space = spaces.keras_cnn()
    objective = score_table(space, 3)
    ls = LocalSearch(space, seed=1, move="best", restarts=False)
    start = ls.ask()
    ls.tell(start, objective(start), trial(0, start, objective(start)))
    number, moves, seen = 1, 0, {space.key(start)}
    while not ls.finished:
        current = ls.current
        neighbours = space.neighbors(current["arch"])
        unseen = [n for n in neighbours if space.key(n) not in seen]  # none asked twice
        asked = []
        for _ in unseen:
            a = ls.ask()
            assert ls.ask_meta()["parent"] == current["number"]
            asked.append(a)
        assert {space.key(a) for a in asked} == {space.key(n) for n in unseen}
        seen |= {space.key(a) for a in asked}
        for k, a in enumerate(asked):
            ls.tell(a, objective(a), trial(number, a, objective(a)))
            number += 1
            if k < len(asked) - 1:  # no move before the whole neighbourhood is in
                assert ls.current == current
        best = max(asked, key=objective)
        if objective(best) > current["value"]:
            assert ls.current["arch"] == best  # the best neighbour, not the first better
            moves += 1
        else:
            assert ls.finished and ls.current == current
    assert moves >= 2
    # steepest ascent ends at a local optimum of the objective
    end = ls.current
    assert all(objective(n) <= end["value"] for n in space.neighbors(end["arch"]))


def test_first_improvement_and_steepest_ascent_differ_where_a_later_neighbour_is_better() -> None:
    space = spaces.keras_cnn()
    objective = score_table(space, 4)
    moves = {}
    for move in ("first", "best"):
        ls = LocalSearch(space, seed=2, move=move)
        start = ls.ask()
        ls.tell(start, objective(start), trial(0, start, objective(start)))
        asked = [ls.ask() for _ in space.neighbors(start)]
        better = [a for a in asked if objective(a) > objective(start)]
        assert len(better) >= 2, "pick a seed whose start has two better neighbours"
        for i, a in enumerate(asked):
            ls.tell(a, objective(a), trial(1 + i, a, objective(a)))
        moves[move] = (ls.current["arch"], better)
    first_arch, better = moves["first"]
    assert first_arch == better[0]  # order of arrival
    assert moves["best"][0] == max(better, key=objective)


def test_the_prior_start_is_the_largest_network_without_a_trial() -> None:
    from nasbench_ui.space.nb201_strings import nb201_str

    space = spaces.nb201()
    starts = {nb201_str(LocalSearch(space, seed=s, start="prior").ask()) for s in range(3)}
    assert starts == {"|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
                      "+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"}
    randoms = {nb201_str(LocalSearch(space, seed=s).ask()) for s in range(3)}
    assert len(randoms) == 3  # the default start stays random


def _largest(arch: dict[str, Any], filters: int = 128) -> bool:
    """keras_cnn's prior maximum: the most filters, the larger kernel, the most units."""
    return (arch["filters"], arch["kernel_size"], arch["units"]) == (filters, 5, 128)


def test_only_the_first_start_is_the_prior_guess_and_a_failed_guess_is_not_asked_again(
) -> None:
    space = spaces.keras_cnn()
    objective = score_table(space, 6)
    ls = LocalSearch(space, seed=0, start="prior", move="best")
    ascents = []
    ascend = ls._prior.ascend
    ls._prior.ascend = lambda *a, **k: ascents.append(1) or ascend(*a, **k)
    guess = ls.ask()
    assert _largest(guess) and len(ascents) == 1
    ls.tell(guess, None)  # it failed
    starts = [guess]
    while ls.local_optima < 2:
        a = ls.ask()
        if ls.current is None or not ls.ask_meta():
            starts.append(a)
        ls.tell(a, objective(a), trial(len(starts) + 100, a, objective(a)))
    assert len(ascents) == 1  # one ascent in all: further starts are random
    assert space.key(starts[1]) != space.key(guess)
    assert len(starts) >= 3 and not all(_largest(a) for a in starts[1:])


def test_a_constraint_bounds_the_prior_start() -> None:
    space = spaces.keras_cnn()
    for seed in range(4):
        ls = LocalSearch(space, seed=seed, start="prior",
                         constraint=lambda a: a["filters"] <= 64)
        assert _largest(ls.ask(), filters=64)  # the largest allowed, not the largest
    randoms = [LocalSearch(space, seed=seed).ask() for seed in range(4)]
    assert not all(_largest(a, filters=64) for a in randoms)


def test_a_snapshot_in_the_middle_of_a_steepest_step_resumes_exactly() -> None:
    """Three asks out at a time: the snapshots hold pending asks, some given up on."""
    import json
    import random

    space = spaces.keras_cnn()
    objective = score_table(space, 5)

    def run(resume_at: int | None) -> list[str]:
        ls = LocalSearch(space, seed=3, move="best", start="prior")
        driver = random.Random(0)
        out: list[tuple[int, dict[str, Any]]] = []
        asked = []
        for i in range(150):
            if i == resume_at:
                assert out, "the snapshot should hold pending asks"
                state = json.loads(json.dumps(ls.state_dict()))
                ls = LocalSearch(space, seed=99, move="best", start="prior")
                ls.load_state_dict(state)
            while len(out) < 3:
                a = ls.ask()
                asked.append(space.key(a))
                out.append((len(asked), a))
            number, a = out.pop(driver.randrange(len(out)))
            if number % 17 == 0:
                continue  # lost: its result never comes
            v = None if number % 11 == 0 else objective(a)
            ls.tell(a, v, trial(number, a, v))
        return asked

    assert run(None) == run(9) == run(40) == run(97)


def test_a_snapshot_from_before_an_option_existed_resumes_with_its_default() -> None:
    space = spaces.keras_cnn()
    ls = LocalSearch(space, seed=0)
    a = ls.ask()
    ls.tell(a, 1.0, trial(0, a, 1.0))
    state = ls.state_dict()
    for key in ("move", "start"):
        del state["options"][key]
    del state["best_neighbour"]
    again = LocalSearch(space, seed=0)
    again.load_state_dict(state)  # ran with the defaults then
    assert again.current == ls.current
    with pytest.raises(ValueError, match=r"other options \['move'\]"):
        LocalSearch(space, seed=0, move="best").load_state_dict(state)


def test_a_neighbour_lost_in_one_steepest_step_does_not_hold_back_the_next() -> None:
    from nasbench_ui.strategies.local_search import WAIT_LIMIT

    space = spaces.keras_cnn()
    ls = LocalSearch(space, seed=0, move="best")
    start = ls.ask()
    ls.tell(start, 0.0, trial(0, start, 0.0))
    step1 = [ls.ask() for _ in space.neighbors(start)]
    lost, told = step1[0], step1[1:]
    for i, a in enumerate(told):
        v = 2.0 if i == 0 else -1.0
        ls.tell(a, v, trial(1 + i, a, v))
    for _ in range(WAIT_LIMIT):  # explores while the lost one is pending
        ls.ask()
        assert ls.ask_meta() == {}
    first = ls.ask()  # the limit: the step ends, the move, then the next step's first ask
    assert ls.current["arch"] == told[0]
    assert ls.ask_meta()["parent"] == ls.current["number"]
    # the next step is told in full: it moves at once, without waiting for the lost one
    step2 = [first]
    while True:
        a = ls.ask()
        if not ls.ask_meta():
            break  # an explore: the step's neighbours are all out
        step2.append(a)
    assert len(step2) > 1
    best = step2[-1]
    for i, a in enumerate(step2):
        v = 3.0 if a is best else 1.0
        ls.tell(a, v, trial(100 + i, a, v))
    assert ls.current["arch"] == best  # no WAIT_LIMIT explores before this move
    ls.tell(lost, 9.0, trial(99, lost, 9.0))  # late: kept for a later descent only
    assert ls.current["arch"] == best


@pytest.mark.parametrize("move", ["first", "best"])
def test_an_old_ask_of_the_same_cell_does_not_take_a_later_steps_result(move: str) -> None:
    space = spaces.keras_cnn()
    objective = score_table(space, 0)
    ls = LocalSearch(space, seed=0, move=move)
    told = []

    def tell(a: dict[str, Any]) -> None:
        v = objective(a)
        ls.tell(a, v, trial(len(told), a, v))
        told.append(a)

    tell(ls.ask())
    lost = space.key(ls.ask())  # its result never comes; the descent gives up on it
    while ls._descent == 0:
        tell(ls.ask())
    for _ in range(5000):  # a later descent asks the same cell as a neighbour
        a = ls.ask()
        if space.key(a) == lost and ls.ask_meta():
            break
        tell(a)
    else:
        pytest.fail("the lost cell was never asked again")
    descent = ls._descent
    tell(a)  # its result comes at once: it counts for this step
    assert not any(p[0] == lost and p[1] == descent for p in ls._pending)
    explores = 0
    while ls._descent == descent:
        b = ls.ask()
        explores += not ls.ask_meta() and ls._descent == descent
        tell(b)
    assert explores == 0  # one ask out at a time: nothing to wait for


def test_with_restarts_off_a_late_better_result_still_becomes_current() -> None:
    from nasbench_ui.strategies.local_search import WAIT_LIMIT

    space = spaces.keras_cnn()
    ls = LocalSearch(space, seed=0, restarts=False)
    start = ls.ask()
    ls.tell(start, 0.0, trial(0, start, 0.0))
    neighbours = [ls.ask() for _ in space.neighbors(start)]
    for i, a in enumerate(neighbours[:-1]):
        ls.tell(a, -1.0, trial(1 + i, a, -1.0))
    for _ in range(WAIT_LIMIT):
        ls.ask()
    assert ls.finished
    ls.tell(neighbours[-1], 5.0, trial(99, neighbours[-1], 5.0))
    assert ls.current["number"] == 99

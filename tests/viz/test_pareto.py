"""The Pareto front (nasbench_ui.viz.pareto) against known fronts and a brute force."""

from __future__ import annotations

import random

import pytest

from nasbench_ui.viz.pareto import pareto_front


def brute_force(points, directions):
    sign = [-1 if d == "max" else 1 for d in directions]
    keyed = [tuple(s * v for s, v in zip(sign, p, strict=True)) for p in points]
    return [i for i, p in enumerate(keyed)
            if not any(all(a <= b for a, b in zip(q, p, strict=True)) and q != p for q in keyed)]


def test_known_two_objective_front():
    # accuracy (max) vs params (min)
    pts = [(0.9, 300), (0.8, 100), (0.7, 200), (0.95, 500), (0.85, 100), (0.6, 50)]
    assert pareto_front(pts, ["max", "min"]) == [0, 3, 4, 5]
    # minimise x, maximise y: (0.7, 200) now dominates (0.8, 100) and (0.85, 100)
    assert pareto_front(pts, ["min", "max"]) == [0, 2, 3, 5]


def test_duplicates_are_all_kept_and_nan_is_never_on_the_front():
    pts = [(1.0, 1.0), (1.0, 1.0), (0.0, 0.0), (float("nan"), 5.0), (None, 9.0)]
    assert pareto_front(pts, ["max", "max"]) == [0, 1]
    assert pareto_front([(1, 2), (1, 3)], ["max", "max"]) == [1]  # a tie on x is not a front


def test_three_objectives_known_front():
    pts = [(1, 1, 1), (0, 0, 0), (2, 0, 0), (0, 2, 0), (0, 0, 2), (1, 1, 0)]
    assert pareto_front(pts, ["max", "max", "max"]) == [0, 2, 3, 4]
    assert pareto_front(pts, ["min", "min", "min"]) == [1]


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_matches_brute_force_on_random_points(dims):
    rng = random.Random(dims)
    for _ in range(200):
        pts = [tuple(rng.randint(0, 6) for _ in range(dims)) for _ in range(rng.randint(0, 30))]
        dirs = [rng.choice(["max", "min"]) for _ in range(dims)]
        assert pareto_front(pts, dirs) == brute_force(pts, dirs), (pts, dirs)


def test_bad_directions_and_shapes():
    with pytest.raises(ValueError, match="directions must be a non-empty list of 'max' / 'min'"):
        pareto_front([(1, 2)], ["max", "up"])
    with pytest.raises(ValueError, match="point 1 has 3 objectives but 2 directions"):
        pareto_front([(1, 2), (1, 2, 3)], ["max", "min"])

"""``viz.skyline.Skyline`` against a brute-force Pareto front, with blocks small enough
to split and empty many times, and its sample against ``viz.thinning.drawn_rows``."""

from __future__ import annotations

import random

import numpy as np
import pytest

from nasbench_ui.viz import skyline as skyline_mod
from nasbench_ui.viz.skyline import Skyline
from nasbench_ui.viz.thinning import drawn_rows


def _brute_front(points: list[tuple[float, float]]) -> list[int]:
    """Rows of the points no other point dominates (both minimised), sorted by (a, b, row)."""
    keep = []
    for i, (a, b) in enumerate(points):
        if not any((c <= a and d <= b) and (c, d) != (a, b) for c, d in points):
            keep.append(i)
    return sorted(keep, key=lambda i: (points[i][0], points[i][1], i))


@pytest.mark.parametrize("seed", range(6))
def test_the_front_equals_the_brute_force_front_as_points_arrive(seed: int, monkeypatch) -> None:
    monkeypatch.setattr(skyline_mod, "BLOCK", 3)  # blocks split and empty often
    rng = random.Random(seed)
    sky, points, on_front = Skyline(), [], set()
    for row in range(250):
        if rng.random() < 0.5:  # mostly a front of many points: cost rising with value
            v = rng.random()
            a, b = round(v * 50 + rng.random(), 1), -round(v, 2)
        else:
            a, b = float(rng.randint(0, 20)), -float(rng.randint(0, 20)) / 20
        points.append((a, b))
        removed = sky.add(a, b, row=row, number=row, y=-b)
        if removed is None:
            assert row not in _brute_front(points)
        else:
            on_front -= set(removed)
            on_front.add(row)
        want = _brute_front(points)
        assert on_front == set(want)
        assert len(sky) == len(want)
        assert [e[2] for e in sky] == want  # sorted by (a, b, row)
        assert sky.columns()["number"] == want


@pytest.mark.parametrize("limit", [1, 5, 40])
def test_the_sample_is_what_drawn_rows_draws_of_the_whole_front(limit: int, monkeypatch) -> None:
    monkeypatch.setattr(skyline_mod, "BLOCK", 4)
    rng = random.Random(limit)
    sky = Skyline()
    for row in range(600):
        v = rng.random()
        # the front grows, and now and then a point removes a long run of it
        a = v * 100 if rng.random() < 0.97 else rng.random() * 10
        sky.add(a, -v, row=row, number=row, y=v)
        if row % 7 == 0 or row == 599:
            cols, step = sky.sample(limit)
            whole = sky.columns()
            numbers = np.asarray(whole["number"])
            must = np.zeros(len(numbers), dtype=bool)
            must[[0, -1]] = True
            rows, want_step = drawn_rows(numbers, limit, 0, must)
            if rows is None:
                assert (cols, step) == (whole, 1)
            else:
                assert step == want_step > 1
                for k in ("x", "y", "number"):
                    assert cols[k] == [whole[k][i] for i in rows.tolist()], k


def test_a_bad_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        Skyline().sample(0)

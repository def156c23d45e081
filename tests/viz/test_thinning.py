"""viz.thinning.drawn_rows: which dots a long search draws."""

from __future__ import annotations

import numpy as np
import pytest

from nasbench_ui.viz.thinning import drawn_rows


def test_under_the_limit_everything_is_drawn():
    assert drawn_rows(np.arange(100), limit=100, recent=10) == (None, 1)


def test_about_limit_rows_and_the_recent_ones():
    rows, step = drawn_rows(np.arange(10_000), limit=1000, recent=200)
    assert step == 16 and 700 <= len(rows) <= 1000
    assert set(range(9800, 10_000)) <= set(rows.tolist())


def test_a_drawn_dot_stays_drawn_until_the_step_doubles():
    before, step1 = drawn_rows(np.arange(3000), limit=1000, recent=100)
    after, step2 = drawn_rows(np.arange(3500), limit=1000, recent=100)
    assert step1 == step2 == 4
    assert set(before.tolist()) - set(range(2900, 3000)) <= set(after.tolist())


def test_must_rows_are_drawn_and_rows_are_by_number_not_position():
    numbers = np.arange(1000)[::-1]  # rows in another order than their numbers
    must = np.zeros(1000, bool)
    must[5] = True
    rows, step = drawn_rows(numbers, limit=100, recent=10, must=must)
    assert 5 in rows.tolist()
    older = [numbers[r] for r in rows.tolist() if r < 990 and r != 5]
    assert all(n % step == 0 for n in older)


@pytest.mark.parametrize("kw", [{"limit": 10, "recent": 10}, {"limit": 10, "recent": -1},
                                {"limit": True, "recent": 1}, {"limit": 10.0, "recent": 1}])
def test_bad_limits_are_refused(kw):
    with pytest.raises(ValueError, match="recent < limit"):
        drawn_rows(np.arange(5), **kw)


def test_a_mask_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="must has 3 rows"):
        drawn_rows(np.arange(50), limit=10, recent=2, must=np.ones(3, bool))

"""The interleaved segments of ``benchmarks/ui_phases.py`` (pure helpers)."""

from __future__ import annotations

import pytest

from benchmarks.ui_phases import in_windows, schedule


def test_the_order_balances_a_linear_drift_over_each_four_segments():
    for k in (2, 4, 6):
        order = schedule(k)
        assert order.count("U") == order.count("W") == k
        # the mean position of each kind is the same: a drift linear in time cancels
        mean = {c: sum(i for i, o in enumerate(order) if o == c) / k for c in "UW"}
        assert mean["U"] == mean["W"]
    assert schedule(3) == ["W", "U", "U", "W", "W", "U"]


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_a_schedule_needs_a_whole_positive_number_of_segments(bad):
    with pytest.raises(ValueError, match="at least one segment"):
        schedule(bad)


def test_trials_count_only_inside_the_windows_ends_included():
    times = [0.0, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 4.5]
    assert in_windows(times, [(1.0, 2.0)]) == (3, 1.0)
    assert in_windows(times, [(1.0, 2.0), (3.0, 4.0)]) == (5, 2.0)
    assert in_windows(times, []) == (0, 0.0)
    with pytest.raises(ValueError, match="ends before it starts"):
        in_windows(times, [(2.0, 1.0)])

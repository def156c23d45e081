"""The interleaved segments of ``benchmarks/ui_phases.py`` (pure helpers)."""

from __future__ import annotations

import pytest

from benchmarks.ui_phases import (
    THREAD_CPU_SETUP,
    in_windows,
    schedule,
    thread_cores,
    thread_group,
)


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


def test_thread_cores_split_the_kernel_by_thread_name():
    before = {"nasbench-exp-1#10": 2.0, "nbui-poller#11": 1.0, "nbui-charts#12": 3.0,
              "MainThread#9": 5.0, "gone#13": 7.0}
    after = {"nasbench-exp-1#10": 10.0, "nbui-poller#11": 2.0, "nbui-charts#12": 5.0,
             "MainThread#9": 5.5, "nasbench-random-nb201-1#14": 2.0}
    cores = thread_cores(before, after, 10.0)
    # the search threads (one ran, one started meanwhile) add up; an ended thread is missed
    assert cores == {"search": 1.0, "poller": 0.1, "charts": 0.2, "other": 0.05}
    assert thread_group("nbui-charts") == "charts" and thread_group("IOPub") == "other"


def test_the_kernel_side_reading_gives_each_live_thread_its_cpu_seconds():
    import json
    import threading

    space: dict = {}
    exec(THREAD_CPU_SETUP, space)
    stop = threading.Event()
    busy = threading.Thread(target=lambda: [sum(range(1000)) for _ in iter(stop.is_set, True)],
                            name="nbui-charts")
    busy.start()
    try:
        threading.Event().wait(0.3)
        got = json.loads(space["_nbui_thread_cpu"]())
    finally:
        stop.set()
        busy.join()
    assert f"nbui-charts#{busy.native_id}" in got
    assert got[f"nbui-charts#{busy.native_id}"] > 0.05  # it spun for 0.3 s
    assert f"{threading.main_thread().name}#{threading.main_thread().native_id}" in got

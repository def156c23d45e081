"""Throttle (nasbench_ui.viz.throttle): one thread, at most one call per interval."""

from __future__ import annotations

import threading
import time

import pytest

from nasbench_ui.viz.throttle import Throttle


def test_a_burst_of_pokes_gives_at_most_two_calls():
    calls = []
    th = Throttle(lambda: calls.append(threading.current_thread().name), interval=0.1,
                  name="t-burst")
    for _ in range(10_000):
        th.poke()
    time.sleep(0.3)
    th.close()
    assert 1 <= len(calls) <= 2 and set(calls) == {"t-burst"}
    assert th.calls == len(calls) and not th.alive


def test_calls_are_spaced_by_the_interval():
    stamps = []
    th = Throttle(lambda: stamps.append(time.monotonic()), interval=0.05)
    end = time.monotonic() + 0.4
    while time.monotonic() < end:
        th.poke()
        time.sleep(0.001)
    th.close()
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert len(stamps) >= 3 and min(gaps) >= 0.045


def test_a_slow_function_is_called_less_often():
    stamps = []

    def slow():
        stamps.append(time.monotonic())
        time.sleep(0.05)

    th = Throttle(slow, interval=0.0)
    end = time.monotonic() + 0.5
    while time.monotonic() < end:
        th.poke()
        time.sleep(0.002)
    th.close()
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert gaps and min(gaps) >= 0.14  # 0.05 s busy, then at least 0.1 s idle


def test_an_error_is_logged_and_the_thread_goes_on(caplog):
    seen = []

    def flaky():
        seen.append(1)
        if len(seen) == 1:
            raise RuntimeError("first call fails")

    th = Throttle(flaky, interval=0.01, name="t-flaky")
    th.poke()
    time.sleep(0.1)
    th.poke()
    time.sleep(0.1)
    th.close()
    assert len(seen) == 2 and "t-flaky failed" in caplog.text and "first call fails" in caplog.text


def test_bad_interval():
    with pytest.raises(ValueError, match="interval must be a number of seconds >= 0"):
        Throttle(lambda: None, interval=-0.1)


def test_a_declined_call_is_not_counted_and_the_next_poke_is_served_at_once():
    calls, answers = [], [False, None]
    th = Throttle(lambda: calls.append(time.monotonic()) or answers.pop(0), interval=5.0)
    th.poke()
    assert _until(lambda: len(calls) == 1)
    assert th.calls == 0  # declined: the 5 s interval did not start
    th.poke()
    assert _until(lambda: len(calls) == 2)
    assert th.calls == 1 and calls[1] - calls[0] < 2.0
    th.close()


def _until(pred, timeout=2.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end and not pred():
        time.sleep(0.01)
    return pred()

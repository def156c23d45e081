"""The figures of the UI benchmarks (``benchmarks/ui_figures.py``): pure functions of
what a run recorded."""

from __future__ import annotations

import sys

import pytest
from helpers import REPO_ROOT

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks import ui_figures as bench  # noqa: E402


def test_chart_lags_pairs_each_finished_trial_with_the_first_sample_showing_it() -> None:
    finished = [10.0, 10.1, 10.2, 12.0]
    # rows drop to 1 (a replaced source) and come back; trial 4 is never shown
    samples = [(9.0, 0), (10.3, 2), (10.4, 1), (10.6, 3)]
    lags, not_shown = bench.chart_lags(finished, samples)
    assert lags == [0.3, 0.2, 0.4]
    assert not_shown == 1
    assert bench.chart_lags([], samples) == ([], 0)
    assert bench.chart_lags([1.0], []) == ([], 1)


def test_chart_lags_rejects_samples_out_of_order() -> None:
    with pytest.raises(ValueError, match="page samples must be in time order"):
        bench.chart_lags([1.0], [(2.0, 1), (1.5, 1)])


def test_summarize() -> None:
    s = bench.summarize([5.0, 1.0, 3.0, 100.0])
    assert (s["n"], s["median"], s["max"], s["p95"]) == (4, 4.0, 100.0, 100.0)
    assert s["mean"] == pytest.approx(27.25)
    assert bench.summarize([]) == {"n": 0, "median": None, "p95": None, "max": None,
                                   "mean": None}


def test_rate_ratio_and_gc_pauses() -> None:
    assert bench.rate_ratio({"trials_per_s": 600.0, "trials_per_s_without_ui": 1000.0}) == 0.6
    assert bench.rate_ratio({"trials_per_s": None, "trials_per_s_without_ui": 10.0}) is None
    assert bench.gc_pauses([(0.0, 2, 0.4), (1.0, 2, 0.1), (2.0, 1, 0.01)]) == {
        "gen1": {"n": 1, "total": 0.01, "max": 0.01},
        "gen2": {"n": 2, "total": 0.5, "max": 0.4}}
    assert bench.gc_pauses([]) == {}


def test_the_worst_lags_and_where_they_happened() -> None:
    finished = [10.0, 10.2, 11.5, 14.0]
    lags = [0.1, 0.8, 0.7, 0.3]
    assert bench.spikes(lags, finished, 10.0, n=3, gap=1.0) == [[0.2, 0.8], [1.5, 0.7],
                                                                 [4.0, 0.3]]
    assert bench.spikes(lags, finished, 10.0, n=2, gap=2.0) == [[0.2, 0.8], [4.0, 0.3]]
    assert bench.worst(lags, finished, 10.0, 14.5) == {
        "max_trial": 1, "max_at_s": 0.2, "max_near_stop": False}
    assert bench.worst([], [], 0.0, 1.0)["max_trial"] is None
    assert bench.mean_rate(None, 3.0) == 3.0 and bench.mean_rate(None, None) is None

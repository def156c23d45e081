"""The soak benchmark's plan and verdict (``benchmarks/soak_report.py``): the audit counts
a lost or duplicated trial when there is one; blocks leave kill downtime out."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

from helpers import REPO_ROOT

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks import soak_report as report  # noqa: E402


def _value(arch: dict[str, str]) -> float:
    return len(arch["1<-0"]) / 100


@dataclass
class _State:
    name: str


@dataclass
class _Trial:
    number: int
    state: _State
    arch: dict[str, str]
    value: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def _t(number: int, state: str, op: str, **meta: Any) -> _Trial:
    arch = {"1<-0": op}
    return _Trial(number, _State(state), arch, _value(arch) if state == "COMPLETE" else None,
                  meta)


def _audit(trials: list[_Trial], budget: int) -> dict[str, Any]:
    return report.audit(trials, budget, lambda a: json.dumps(a, sort_keys=True), _value)


def test_an_interrupted_trial_and_its_rerun_are_one_evaluation() -> None:
    trials = [_t(0, "COMPLETE", "none"), _t(1, "INTERRUPTED", "skip_connect"),
              _t(2, "COMPLETE", "skip_connect", rerun_of=1), _t(3, "COMPLETE", "nor_conv_1x1")]
    r = _audit(trials, 3)
    assert (r["trials_lost"], r["duplicated_evaluations"], r["interrupted_then_rerun"]) == (0, 0, 1)


def test_the_audit_counts_lost_and_duplicated_trials() -> None:
    trials = [_t(0, "COMPLETE", "none"), _t(1, "INTERRUPTED", "skip_connect"),
              _t(3, "COMPLETE", "none"), _t(4, "RUNNING", "avg_pool_3x3")]
    r = _audit(trials, 4)
    assert r["lost_parts"] == {"number_gaps": 1, "left_running": 1, "failed": 0, "pruned": 0,
                               "interrupted_not_rerun": 1, "complete_short_of_budget": 2}
    assert r["trials_lost"] == 5 and r["duplicated_evaluations"] == 1
    assert r["interrupted_not_rerun_numbers"] == [1] and r["number_gaps"] == [2]
    over = _audit([_t(0, "COMPLETE", "none"), _t(1, "COMPLETE", "skip_connect")], 1)
    assert over["complete_over_budget"] == 1 and over["trials_lost"] == 0


def test_a_wrong_value_and_a_rerun_of_another_arch_are_caught() -> None:
    bad = _t(0, "COMPLETE", "none")
    bad.value = 0.9
    r = _audit([bad, _t(1, "INTERRUPTED", "none"), _t(2, "COMPLETE", "avg_pool_3x3", rerun_of=1)],
               2)
    assert r["wrong_values"] == [0] and r["lineage_mismatches"] == [2]


def test_block_times_leave_kill_downtime_out() -> None:
    blocks = report.block_times([1.0, 2.0, 3.0, 10.0, 11.0, 12.0], 0.0, [5.0], 3)
    assert blocks == [{"trials": 3, "wall_s": 3.0, "busy_s": 3.0},
                      {"trials": 3, "wall_s": 9.0, "busy_s": 2.0}]


def test_the_kill_plan_is_distinct_ordered_and_seeded() -> None:
    plan = report.kill_plan(1000, 20, seed=3)
    afters = [k.after for k in plan]
    assert afters == sorted(set(afters)) and len(afters) == 20
    assert all(1 <= a < 1000 and 0 <= k.delay_s < 0.05 for a, k in zip(afters, plan,
                                                                        strict=True))
    assert report.kill_plan(1000, 20, seed=3) == plan != report.kill_plan(1000, 20, seed=4)

"""The soak benchmark (``benchmarks/soak.py``, issue 16): a small real run through the
CLI, with a live reader and SIGKILLs, loses and duplicates nothing; and its audit
counts a lost or duplicated trial when there is one."""

from __future__ import annotations

import doctest
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO_ROOT, SHARED_DIR

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks import soak  # noqa: E402

TABLE = SHARED_DIR / "benchmarks" / "nb201" / "nb201_cifar10.csv"


def _soak(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict[str, Any]]:
    out = tmp_path / "soak.json"
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "benchmarks" / "soak.py"),
                           "--out", str(out), *args],
                          capture_output=True, text=True, timeout=240, cwd=REPO_ROOT)
    assert out.exists(), proc.stderr
    return proc, json.loads(out.read_text())


@pytest.mark.slow
def test_a_small_soak_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    """300 trials, 2 kills, a read every 0.2 s; the table when it is there, else the
    fallback estimator (which always runs)."""
    table = str(TABLE) if TABLE.is_file() else ""
    proc, r = _soak(tmp_path, "--trials", "300", "--kills", "2", "--reader-interval", "0.2",
                    "--block", "100", "--seed", "3", "--table", table)
    assert proc.returncode == 0, proc.stderr
    assert r["ok"] is True
    assert r["trials_lost"] == 0 and r["duplicated_evaluations"] == 0
    assert r["complete"] == 300 and r["states"].get("COMPLETE") == 300
    assert r["kills"] == 2 and r["cli_processes"] == 3 and r["refused_resumes"] == 0
    assert r["killed_pids_reaped"] is True
    assert r["reader"]["errors"] == 0 and r["reader"]["reads"] >= 5
    assert r["reader"]["rows_went_back"] == 0
    # a resume killed again before its first trial has no time to first trial
    assert len(r["resume_first_trial_s"]) + r["resumes_without_a_trial"] == 2
    assert max(r["resume_first_trial_s"], default=0) < 25
    assert [b["trials"] for b in r["blocks"]] == [100, 100, 100]
    assert r["block_ratio_last_first"] is not None and r["cli_peak_rss_mb"] > 0
    assert len(r["cpu_blocks_s"]) >= 2 and min(r["cpu_blocks_s"]) > 0
    assert r["estimator"].startswith("tabular" if table else soak.FALLBACK)
    assert "| trials lost | 0 |" in proc.stdout
    assert "| duplicated evaluations | 0 |" in proc.stdout


@pytest.mark.slow
def test_the_fallback_estimator_runs_without_the_table(tmp_path: Path) -> None:
    proc, r = _soak(tmp_path, "--trials", "60", "--kills", "1", "--reader-interval", "0.2",
                    "--block", "20", "--table", str(tmp_path / "missing.csv"))
    assert proc.returncode == 0, proc.stderr
    assert f"using the fallback estimator {soak.FALLBACK}" in proc.stderr
    assert r["estimator"].startswith(soak.FALLBACK) and r["table"] is None
    assert r["complete"] == 60 and r["kills"] == 1 and r["ok"] is True


def test_bad_options_are_named(capsys: pytest.CaptureFixture[str]) -> None:
    for argv, message in ((["--trials", "0"], "--trials must be 1..15625 (the nb201 grid), got 0"),
                          (["--trials", "10", "--kills", "10"], "--kills must be 0..trials-1"),
                          (["--reader-interval", "0"], "--reader-interval must be a positive"),
                          (["--block", "0"], "--block must be >= 1, got 0")):
        with pytest.raises(SystemExit):
            soak.main([*argv, "--out", ""])
        assert message in capsys.readouterr().err


# ------------------------------------------------------------- the audit can fail


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
    return _Trial(number, _State(state), arch,
                  soak.fallback_value(arch) if state == "COMPLETE" else None, meta)


def _audit(trials: list[_Trial], budget: int) -> dict[str, Any]:
    return soak.audit(trials, budget, lambda a: json.dumps(a, sort_keys=True),
                      soak.fallback_value)


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
    assert over["complete_over_budget"] == 1 and not soak.ok({**over, "reader": {
        "errors": 0, "reads": 1}, "refused_resumes": 0, "cli_failures": [], "final_exit": 0})


def test_a_wrong_value_and_a_rerun_of_another_arch_are_caught() -> None:
    bad = _t(0, "COMPLETE", "none")
    bad.value = 0.9
    r = _audit([bad, _t(1, "INTERRUPTED", "none"), _t(2, "COMPLETE", "avg_pool_3x3", rerun_of=1)],
               2)
    assert r["wrong_values"] == [0] and r["lineage_mismatches"] == [2]


def test_block_times_leave_kill_downtime_out() -> None:
    blocks = soak.block_times([1.0, 2.0, 3.0, 10.0, 11.0, 12.0], 0.0, [5.0], 3)
    assert blocks == [{"trials": 3, "wall_s": 3.0, "busy_s": 3.0},
                      {"trials": 3, "wall_s": 9.0, "busy_s": 2.0}]


def test_docstring_examples_run() -> None:
    result = doctest.testmod(soak, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0

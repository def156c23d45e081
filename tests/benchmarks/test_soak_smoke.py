"""The soak benchmark (``benchmarks/soak.py``, issue 16): a small real run through the
CLI, with a live reader and SIGKILLs, loses and duplicates nothing (its audit can fail:
``test_soak_report.py``)."""

from __future__ import annotations

import doctest
import json
import subprocess
import sys
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


@pytest.mark.parametrize(("key", "bad"), [
    ("trials_lost", 1), ("duplicated_evaluations", 1), ("complete_over_budget", 1),
    ("refused_resumes", 1), ("cli_failures", ["exit 1"]), ("lineage_mismatches", [2]),
    ("wrong_values", [0]), ("final_exit", 1), ("reader", {"errors": 1, "reads": 3}),
    ("reader", {"errors": 0, "reads": 0}),
])
def test_any_loss_duplicate_or_failure_fails_the_soak(key: str, bad: Any) -> None:
    good = {"trials_lost": 0, "duplicated_evaluations": 0, "complete_over_budget": 0,
            "reader": {"errors": 0, "reads": 3}, "refused_resumes": 0, "cli_failures": [],
            "lineage_mismatches": [], "wrong_values": [], "final_exit": 0}
    assert soak.ok(good) and not soak.ok({**good, key: bad})


def test_docstring_examples_run() -> None:
    result = doctest.testmod(soak, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0

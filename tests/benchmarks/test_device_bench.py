"""``benchmarks/device.py`` (issue 14 point 9): on a machine without an accelerator it
times the CPU, and with ``--cpu-amp`` the CPU under bfloat16 autocast, per epoch."""

from __future__ import annotations

import json
import sys

import pytest
from helpers import REPO_ROOT

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks import device as bench  # noqa: E402


@pytest.mark.slow
def test_a_tiny_cpu_run_reports_seconds_per_epoch_with_and_without_amp(tmp_path) -> None:
    out = tmp_path / "device.json"
    result = bench.main(["--device", "cpu", "--trials", "1", "--darts-epochs", "1",
                         "--channels", "4", "--cpu-amp", "--out", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))
    cpu, bf16 = result["runs"]["cpu"], result["runs"]["cpu+amp"]
    assert cpu["quick_start"]["amp"] is False and bf16["quick_start"]["amp"] is True
    assert bf16["darts"]["amp"] is bench.takes_amp("darts_epoch")
    for run in (cpu, bf16):
        for part in ("quick_start", "darts"):
            assert run[part]["epochs"] > 0 and run[part]["s_per_epoch"] > 0
    assert result["cpu_over_cpu_amp"]["quick_start"] == pytest.approx(
        cpu["quick_start"]["s_per_epoch"] / bf16["quick_start"]["s_per_epoch"], rel=1e-2)
    assert result["note"] == "no accelerator here: CPU figures only"

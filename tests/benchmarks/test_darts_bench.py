"""``benchmarks/darts.py`` (issue 15): a tiny real run writes the JSON whose gap and cost
ratios follow from its own per-method figures."""

from __future__ import annotations

import json
import sys

import pytest
from helpers import REPO_ROOT

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks import darts as bench  # noqa: E402


def test_a_tiny_run_reports_the_gap_and_the_cost_ratio(tmp_path) -> None:
    out = tmp_path / "darts.json"
    result = bench.main(["--seeds", "1", "--trials", "2", "--population", "2", "--sample-size",
                         "2", "--epochs", "1", "--search-epochs", "1", "--out", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))
    run = result["runs"][0]
    d, e = run["darts"], run["evolution"]
    assert run["gap_test_points"] == pytest.approx(
        100 * (e["retrained"]["test_acc"] - d["retrained"]["test_acc"]))
    assert run["cost_ratio_wall"] == pytest.approx(e["search_wall_s"] / d["search_wall_s"])
    assert run["cost_ratio_cpu"] == pytest.approx(e["search_cpu_s"] / d["search_cpu_s"])
    assert result["summary"]["gap_test_points"] == pytest.approx(run["gap_test_points"])
    assert 0 < d["retrained"]["test_acc"] <= 1 and "stacked" not in d
    assert bench.parse_stack("cells=1,channels=8") == {"cells": 1, "channels": 8}

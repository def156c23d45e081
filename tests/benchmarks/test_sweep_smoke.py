"""The option sweep: a 2-seed smoke test of ``benchmarks/sweep.py`` and its verdict."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT

if str(REPO_ROOT) not in sys.path:  # spawned workers import benchmarks.sweep by name
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks import sweep  # noqa: E402

pytest.importorskip("optuna")


@pytest.mark.slow
def test_two_variants_and_the_reference_on_the_same_seeds(nb201_csv: Path,
                                                          tmp_path: Path) -> None:
    out = tmp_path / "sweep.json"
    summary = sweep.main(["--runs", "2", "--first-seed", "7", "--seconds", "400,900",
                          "--at", "400", "--variants",
                          '[["random", {}], ["bananas", {"initial": 3}]]',
                          "--table", str(nb201_csv), "--out", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(summary))
    assert summary["protocol"]["seeds"] == "7..8"
    assert list(summary["rows"]) == ["random", 'bananas {"initial": 3}', "plain:tpe"]
    for row in summary["rows"].values():
        assert row["runs"] == 2
        assert 80 < row["400"]["mean"] < 95 and 80 < row["900"]["mean"] < 95  # a later
        # pick has a better signal, not always a better score
        assert 0 < row["400"]["queries"] < row["900"]["queries"]
    assert summary["target"] == summary["rows"]["plain:tpe"]["900"]["mean"]
    best = summary["best_at"]
    assert summary["met"] == (summary["rows"][best]["400"]["mean"] >= summary["target"])
    assert "| plain:tpe |" in summary["markdown"].splitlines()[-1]


def test_the_verdict_compares_the_half_budget_with_the_reference_full_budget() -> None:
    def run(label: str, seed: int, half: float, full: float) -> dict:
        return {"label": label, "seed": seed, "cpu_s": 0.1,
                "picks": {"6000": {"score": half, "queries": 40},
                          "12000": {"score": full, "queries": 90}}}

    results = [run("a", 0, 91.0, 91.2), run("a", 1, 91.2, 91.2),
               run("tpe", 0, 90.0, 91.0), run("tpe", 1, 90.5, 91.2)]
    s = sweep.summarize(results, [6000.0, 12000.0], 6000.0, "tpe", ["a"])
    assert s["target"] == 91.1 and s["best_at"] == "a"
    assert s["rows"]["a"]["6000"] == {"mean": 91.1, "std": 0.1414, "queries": 40.0}
    assert s["met"] and s["rows"]["a"]["reaches_target"]
    assert not s["rows"]["tpe"]["reaches_target"]
    results[1]["picks"]["6000"]["score"] = 91.1  # mean 91.05 < 91.1
    assert not sweep.summarize(results, [6000.0, 12000.0], 6000.0, "tpe")["met"]


def test_bad_variants_are_named(nb201_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        sweep.main(["--table", str(nb201_csv), "--variants", '{"bananas": {}}'])
    assert "[strategy, options] pairs" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        sweep.main(["--table", str(nb201_csv), "--at", "5000"])
    assert "--at 5000 must be one of" in capsys.readouterr().err
    with pytest.raises(ValueError, match="unknown option"):
        sweep.main(["--table", str(nb201_csv), "--variants", '[["bananas", {"nope": 1}]]'])

"""How the peer benchmark names and reports its entries (``benchmarks/peer_report.py``)."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from helpers import REPO_ROOT

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks import peer_report as report  # noqa: E402


def test_entries_are_named_and_grouped() -> None:
    assert [report.group(e) for e in ("bananas", "optuna:tpe", "plain:gp", "x#y")] == [
        "ours", "optuna", "plain", "ours"]
    assert report.label("plain:random") == "Optuna random"
    assert report.label("optuna:gp") == "optuna strategy, GP"
    assert report.label("evolution#fast") == "this project, regularized evolution (fast)"
    assert report.strategy_of("evolution#fast") == "evolution"


def test_cell_stats_tests_each_entry_against_the_best_peer() -> None:
    def runs(scores: list[float]) -> list[dict]:
        return [{"picks": {"1": {"score": s, "signal": s, "queries": 3}}, "wall_s": 1.0,
                 "cpu_s": 0.5} for s in scores]

    stats = report.cell_stats({"evolution": runs([91.0, 91.1, 91.2, 91.3, 91.4]),
                              "plain:tpe": runs([89.0, 89.1, 89.2, 89.3, 89.4]),
                              "plain:random": runs([88.0, 88.1, 88.2, 88.3, 88.4])}, "1")
    assert stats["evolution"]["best_peer"] == "plain:tpe"
    assert stats["evolution"]["delta_vs_best_peer"] == pytest.approx(2.0)
    assert stats["evolution"]["p_mann_whitney"] < 0.05
    assert stats["plain:random"]["best_peer"] == "evolution"
    assert stats["plain:tpe"]["score_mean"] == pytest.approx(89.2)


def test_half_budget_compares_our_best_at_half_with_the_best_plain_peer_at_full() -> None:
    def cell(**scores: list[float]) -> dict[str, dict[str, Any]]:
        return {e.replace("_", ":", 1) if e.startswith("plain") else e:
                {"group": report.group(e.replace("_", ":", 1) if e.startswith("plain") else e),
                 "score_per_run": xs} for e, xs in scores.items()}

    cells = {"3000": cell(bananas=[95.0, 95.0], plain_tpe=[99.0, 99.0]),
             "6000": cell(bananas=[91.0, 91.1], evolution=[91.2, 91.3],
                          plain_tpe=[90.0, 90.1]),
             "12000": cell(bananas=[91.0, 91.1], evolution=[91.2, 91.3],
                           plain_tpe=[91.2, 91.2], plain_random=[90.0, 90.0])}
    # Optuna through this project is neither side: it never sets the bar
    cells["12000"]["optuna:tpe"] = {"group": "optuna", "score_per_run": [99.0, 99.0]}
    v = report.half_budget(cells)
    assert (v["ours"], v["peer"], v["half_s"], v["full_s"]) == \
        ("evolution", "plain:tpe", 6000.0, 12000.0)
    assert v["ours_mean_at_half"] == pytest.approx(91.25) and v["met"] is True
    assert v["p_mann_whitney"] == pytest.approx(  # rounded to 5 places
        report.mann_whitney([91.2, 91.3], [91.2, 91.2]), abs=1e-5)
    cells["12000"]["plain:tpe"]["score_per_run"] = [91.3, 91.3]
    assert report.half_budget(cells)["met"] is False
    assert report.half_budget({"5000": cells["6000"], "12000": cells["12000"]}) is None
    assert report.half_budget({"6000": cell(bananas=[1.0]), "12000": cell(bananas=[1.0])}) is None


def test_the_markdown_table_lists_our_entries_first_with_their_figures() -> None:
    def stats(e: str, mean: float, p: float | None, peer: str | None) -> dict[str, Any]:
        return {"label": report.label(e), "group": report.group(e), "score_mean": mean,
                "score_std": 0.1, "p_mann_whitney": p, "best_peer": peer,
                "queries_mean": 12.0, "wall_s_per_run": 0.5, "cpu_s_per_run": 0.25}
    cells = {b: {"plain:tpe": stats("plain:tpe", 90.0 + k, None, None),
                 "bananas": stats("bananas", 91.0 + k, 0.0123, "plain:tpe")}
             for k, b in enumerate(("6000", "12000"))}
    lines = report.markdown(cells, "cifar10", ["6000", "12000"]).splitlines()
    assert lines[0].startswith("|  | cifar10 6,000 s | cifar10 12,000 s | p vs best peer")
    assert lines[2].startswith("| this project, BANANAS | 91.00 ± 0.10 | 92.00 ± 0.10 | "
                               "0.012 (Optuna TPE (multivariate)) | 12.0 | 0.50 s | 0.25 s")
    assert lines[3].startswith("| Optuna TPE (multivariate) |") and "n/a (-)" in lines[3]

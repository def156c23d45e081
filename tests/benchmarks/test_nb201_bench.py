"""The NAS-Bench-201 benchmark script: a 2-run smoke test of ``benchmarks/nb201.py``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT

if str(REPO_ROOT) not in sys.path:  # spawned workers import benchmarks.nb201 by name
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks import nb201  # noqa: E402


@pytest.mark.slow
def test_two_runs_of_two_strategies_give_plausible_numbers(nb201_csv: Path,
                                                           tmp_path: Path) -> None:
    out, plot = tmp_path / "nb201.json", tmp_path / "regret.html"
    summary = nb201.main(["--runs", "2", "--strategies", "random,evolution", "--table",
                          str(nb201_csv), "--out", str(out), "--plot", str(plot)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(summary))
    assert summary["protocol"]["regret_reference"] == pytest.approx(91.5233)
    for name in ("random", "evolution"):
        s = summary["strategies"][name]
        assert s["runs"] == 2 and len(s["test_acc_per_run"]) == 2
        assert 85 < s["test_acc_mean"] < 92
        assert 80 < s["valid_acc_mean"] < 85  # the table's best valid_acc_12ep is 84.89
        assert 60 < s["queries_mean"] < 140  # 12,000 s at 34..213 s per query
        assert s["wall_s_per_run"] > 0
        curve = summary["regret"][name]
        assert curve["time_s"][-1] == 12_000 and min(curve["regret"]) >= 0
        # at the end of the budget every run's best-so-far is its picked cell
        assert curve["regret"][-1] == pytest.approx(91.5233 - s["test_acc_mean"], abs=1e-3)
    assert summary["strategies"]["evolution"]["options"] == {"population": 10, "sample_size": 3}
    html = plot.read_text()
    assert "Bokeh" in html and "cdn.bokeh.org" not in html  # inline resources only
    assert "evolution" in html and "random" in html


def test_bad_arguments_are_named(nb201_csv: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        nb201.main(["--table", str(tmp_path / "missing.csv")])
    err = capsys.readouterr().err
    assert "--table" in err and "missing.csv' is not a file" in err
    with pytest.raises(SystemExit):
        nb201.main(["--processes", "3", "--table", str(nb201_csv)])
    assert "--processes must be 1..2, got 3" in capsys.readouterr().err
    with pytest.raises(ValueError, match="unknown strategy 'bayes'"):
        nb201.main(["--strategies", "bayes", "--table", str(nb201_csv), "--out", "",
                    "--plot", ""])


def test_regret_curve_averages_the_best_so_far() -> None:
    runs = [{"trajectory": [[50, 90.0], [150, 91.0]]}, {"trajectory": [[80, 89.0]]}]
    curve = nb201.regret_curve(runs, 91.5, step=100, budget=300)
    assert curve["time_s"] == [100.0, 200.0, 300.0]
    assert curve["regret"] == [2.0, 1.5, 1.5]

"""``benchmarks/compare_checkouts.py`` (issue 13): the verdict helpers, and a quick real run
comparing HEAD with HEAD from two git worktrees."""

from __future__ import annotations

import doctest
import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks import compare_checkouts as cc  # noqa: E402


def test_docstring_examples_run() -> None:
    result = doctest.testmod(cc, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(("after", "verdict"), [(94.0, "FAIL"), (96.0, "PASS"), (110.0, "PASS")])
def test_throughput_regression_beyond_five_percent_fails(after: float, verdict: str) -> None:
    v = cc.timing_verdict([100.0, 100.0, 100.0], [after] * 3, higher_is_better=True)
    assert v["verdict"] == verdict
    assert v["change"] == pytest.approx(after / 100.0)
    assert v["direction"] == "higher is better"


@pytest.mark.parametrize(("after", "verdict"), [(1.06, "FAIL"), (1.04, "PASS"), (0.5, "PASS")])
def test_for_times_a_larger_value_is_the_regression(after: float, verdict: str) -> None:
    v = cc.timing_verdict([1.0, 1.0], [after, after], higher_is_better=False)
    assert v["verdict"] == verdict
    assert v["change"] == pytest.approx(round(1.0 / after, 4))  # > 1: after is faster
    assert v["direction"] == "lower is better"


def test_medians_and_noise_are_taken_over_the_repeats() -> None:
    v = cc.timing_verdict([10.0, 12.0, 100.0], [11.0, 11.5, 12.0], higher_is_better=False)
    assert (v["before"], v["after"]) == (12.0, 11.5)  # the outlier 100 does not decide
    assert v["noise_before"] == pytest.approx(round(90 / 12, 4))
    assert v["noise_after"] == pytest.approx(round(1 / 11.5, 4))
    assert cc.timing_verdict([5.0], [5.0], higher_is_better=True)["noise_before"] is None


def test_a_loss_within_the_spread_of_the_runs_still_fails_but_is_marked() -> None:
    noisy = cc.timing_verdict([1.0, 1.5, 1.2], [1.3, 1.3], higher_is_better=False)
    assert noisy["verdict"] == "FAIL" and noisy["within_noise"]  # 8 % loss, 42 % spread
    steady = cc.timing_verdict([1.0, 1.01], [1.2, 1.21], higher_is_better=False)
    assert steady["verdict"] == "FAIL" and not steady["within_noise"]
    runs = [{"bench": "b", "side": s, "metrics": [["m", v, False, True]]}
            for s, v in [("before", 1.0), ("before", 1.5), ("before", 1.2), ("after", 1.3)]]
    assert "FAIL (within noise)" in cc.table(cc.compare(runs))


def test_info_rows_are_shown_but_not_judged() -> None:
    assert cc.timing_verdict([10.0], [1.0], True, judged=False)["verdict"] == "info"
    runs = [{"bench": "b", "side": s, "metrics": [["m", v, True, False]]}
            for s, v in [("before", 10.0), ("after", 1.0)]]
    assert cc.compare(runs)["verdict"] == "PASS"


def test_quality_identical_runs_pass_and_say_so() -> None:
    accs = [90.1, 91.3, 89.7, 90.9]
    v = cc.quality_verdict([accs, accs], [accs])
    assert v["identical"] and v["repeatable_before"] and v["repeatable_after"]
    assert v["difference"] == 0.0 and v["verdict"] == "PASS"


def test_quality_judged_against_its_standard_error() -> None:
    before = [[90.0, 92.0, 91.0, 89.0, 93.0]]  # sd 1.58, SE of the difference 1.0
    within = [[x - 1.5 for x in before[0]]]  # 1.5 SE worse: noise
    beyond = [[x - 2.5 for x in before[0]]]  # 2.5 SE worse: a regression
    assert cc.quality_verdict(before, within)["verdict"] == "PASS"
    assert not cc.quality_verdict(before, within)["identical"]
    assert cc.quality_verdict(before, beyond)["verdict"] == "FAIL"
    assert cc.quality_verdict(before, [[x + 5 for x in before[0]]])["verdict"] == "PASS"
    assert not cc.quality_verdict([[1.0, 2.0], [1.0, 2.5]], [[1.0, 2.0]])["repeatable_before"]


def test_compare_gathers_rows_and_quality_per_benchmark() -> None:
    def run(side: str, wall: float, accs: list[float]) -> dict:
        return {"bench": "nb201", "side": side, "metrics": [["random wall s/run", wall, False,
                                                             True]], "quality": {"random": accs}}

    runs = [run("before", 0.20, [90.0, 91.0]), run("after", 0.21, [90.0, 91.0]),
            run("after", 0.20, [90.0, 91.0]), run("before", 0.22, [90.0, 91.0])]
    c = cc.compare(runs)
    (row,), (q,) = c["rows"], c["quality"]
    assert row["before"] == pytest.approx(0.21) and row["after"] == pytest.approx(0.205)
    assert row["verdict"] == "PASS" and q["identical"] and c["verdict"] == "PASS"
    runs.append(run("after", None, [80.0, 81.0]))  # type: ignore[arg-type]
    c = cc.compare(runs)
    assert c["quality"][0]["verdict"] == "FAIL" and c["verdict"] == "FAIL"
    assert "FAIL" in cc.table(c) and "random" in cc.table(c)


def test_unknown_benchmark_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cc.parse_args(["--before", "HEAD", "--only", "store_scale,nope"])
    assert "nope" in capsys.readouterr().err


@pytest.mark.slow
def test_quick_run_of_head_against_head(tmp_path: Path) -> None:
    out = tmp_path / "compare.json"
    head = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()
    proc = subprocess.run(  # the commit, not "HEAD": others may commit meanwhile
        [sys.executable, str(REPO_ROOT / "benchmarks" / "compare_checkouts.py"),
         "--before", head, "--after", head, "--only", "store_scale", "--quick",
         "--repeats", "1", "--out", str(out)],
        capture_output=True, text=True, timeout=150, cwd=REPO_ROOT)
    assert out.is_file(), proc.stderr
    r = json.loads(out.read_text())
    assert {s: r["sides"][s]["commit"] for s in ("before", "after")} == {"before": head,
                                                                         "after": head}
    packages = {s: Path(r["sides"][s]["imports"]) for s in ("before", "after")}
    for side, init in packages.items():  # each side imported its own checkout's package
        assert init.parts[-3:] == (side, "nasbench_ui", "__init__.py")
        assert not init.parents[1].exists()  # its worktree was removed
    assert sorted((x["side"], x["bench"]) for x in r["runs"]) == [
        ("after", "store_scale"), ("before", "store_scale")]
    metrics = {row["metric"]: row for row in r["rows"]}
    assert {"memory trials/s", "sqlite trials/s"} <= set(metrics)
    assert all(row["before"] > 0 and row["after"] > 0 for row in r["rows"])
    assert r["verdict"] in ("PASS", "FAIL")
    assert proc.returncode == (1 if r["verdict"] == "FAIL" else 0), proc.stderr
    assert "overall:" in proc.stdout and "memory trials/s" in proc.stdout
    worktrees = subprocess.run(["git", "-C", str(REPO_ROOT), "worktree", "list"],
                               capture_output=True, text=True, check=True).stdout
    assert str(packages["before"].parents[1]) not in worktrees

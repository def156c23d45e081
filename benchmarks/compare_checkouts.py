"""Benchmarks of two git revisions side by side, in one run, from two checkouts (issue 13).

Each revision is checked out with ``git worktree add --detach`` into a temporary folder
(removed at the end; a ``shared`` link beside the checkouts makes ``../shared`` resolve
as it does from the repository). Every benchmark script of each checkout runs with the
same interpreter and ``PYTHONPATH=<checkout>``, so it imports that checkout's
``nasbench_ui``: a child prints ``nasbench_ui.__file__`` for each checkout before any
timing, and the run stops if it is not inside the checkout. Runs alternate
(before, after, after, before, ...) ``--repeats`` times and each script's own JSON
output (``--out`` into the temporary folder) is read.

* Timings: the medians over the repeats, ``change`` = after / before oriented so that
  > 1 is better (before / after for lower-is-better figures). FAIL when change < 0.95.
  ``noise`` is the spread (max - min) / median of the before runs among themselves; a
  FAIL whose loss is no larger than either side's spread is marked ``within noise`` (it
  still fails: more repeats, or a quieter machine, decide it).
  Rows marked ``info`` are shown and not judged.
* Search quality (``nb201.py``: test accuracy of the picked cell, per strategy): the
  difference of means after - before with its standard error; FAIL when it is below
  -2 standard errors. Both sides use the same seeds, so a kept behaviour gives identical
  per-run accuracies; ``identical`` says whether they are.

Exit status 1 when any judged row fails. Writes ``benchmarks/results/compare_checkouts.json``.

Usage (the issue's options; about 30 minutes with ``--repeats 3``)::

    .venv/bin/python benchmarks/compare_checkouts.py --before pre-engine --after HEAD
    .venv/bin/python benchmarks/compare_checkouts.py --before HEAD~1 --only store_scale \\
        --quick --repeats 1

Example (the verdict helpers):
    >>> timing_verdict([100.0, 104.0], [95.0, 96.0], higher_is_better=True)["verdict"]
    'FAIL'
    >>> quality_verdict([[90.0, 91.0]], [[90.0, 91.0]])["identical"]
    True
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "benchmarks" / "results" / "compare_checkouts.json"
TABLE = Path("shared") / "benchmarks" / "nb201" / "nb201_cifar10.csv"  # beside the checkouts
TOLERANCE = 0.05
QUALITY_Z = 2.0

Metric = tuple[str, float, bool, bool]  # name, value, higher is better, judged


@dataclass(frozen=True)
class Bench:
    """One benchmark script: its options (the issue's, and short ones for ``--quick``)
    and how to read its JSON into metrics."""

    script: str
    full: tuple[str, ...]
    quick: tuple[str, ...]
    metrics: Callable[[dict[str, Any]], list[Metric]]


def _overhead(d: dict[str, Any]) -> list[Metric]:
    return [("trial/bare ratio", d["ratio"], False, True),
            ("trial median s", d["trial_median_s"], False, False),
            ("bare median s", d["bare_median_s"], False, False)]


def _store_scale(d: dict[str, Any]) -> list[Metric]:
    return [("memory trials/s", d["engine_memory"]["trials_per_s"], True, True),
            ("sqlite trials/s", d["engine_sqlite"]["trials_per_s"], True, True),
            ("memory CPU ms/trial", d["engine_memory"]["cpu_ms_per_trial"], False, False),
            ("sqlite CPU ms/trial", d["engine_sqlite"]["cpu_ms_per_trial"], False, False),
            ("memory engine/optuna", d["memory_ratio_engine_over_optuna"], True, False),
            ("bare sqlite trials/s", d["bare_sqlite"]["trials_per_s"], True, False)]


def _ui(d: dict[str, Any]) -> list[Metric]:
    return [("trials/s with workbench", d["search"]["trials_per_s"], True, True),
            ("cell median ms", d["cell_ms"]["during_search"]["median"], False, True),
            ("chart lag p95 s", d["chart_lag_s"]["p95"], False, True),
            ("trials/s without UI", d["search"]["trials_per_s_without_ui"], True, False),
            ("cell median ms, no search", d["cell_ms"]["baseline"]["median"], False, False)]


def _nb201(d: dict[str, Any]) -> list[Metric]:
    return [(f"{name} wall s/run", s["wall_s_per_run"], False, True)
            for name, s in d["strategies"].items()]


BENCHES: dict[str, Bench] = {
    "overhead": Bench("overhead.py", (), ("--epochs", "1", "--repeats", "1"), _overhead),
    "store_scale": Bench("store_scale.py", (), ("--trials", "300", "--repeats", "1",
                                                "--optuna-sqlite-trials", "0"), _store_scale),
    "ui_responsiveness": Bench("ui_responsiveness.py", ("--duration", "30"),
                               ("--duration", "5", "--cells", "3", "--baseline-cells", "2"), _ui),
    "nb201": Bench("nb201.py", ("--runs", "100", "--table", str(Path("..") / TABLE), "--plot", ""),
                   ("--runs", "2", "--strategies", "random,evolution", "--table",
                    str(Path("..") / TABLE), "--plot", ""), _nb201),
}


def _spread(values: list[float]) -> float | None:
    mid = statistics.median(values)
    return round((max(values) - min(values)) / mid, 4) if len(values) > 1 and mid else None


def timing_verdict(before: list[float], after: list[float], higher_is_better: bool,
                   tolerance: float = TOLERANCE, judged: bool = True) -> dict[str, Any]:
    """Compare the medians of two samples of one figure; ``change`` > 1 means after is better.

    Example:
        >>> timing_verdict([10.0], [9.5], higher_is_better=True)["verdict"]  # 5 % slower
        'PASS'
        >>> v = timing_verdict([1.0, 1.2, 1.1], [1.2], higher_is_better=False)
        >>> v["change"], v["verdict"], v["noise_before"], v["within_noise"]
        (0.9167, 'FAIL', 0.1818, True)
        >>> timing_verdict([2.0], [1.0], higher_is_better=True, judged=False)["verdict"]
        'info'
    """
    b, a = statistics.median(before), statistics.median(after)
    num, den = (a, b) if higher_is_better else (b, a)
    change = 1.0 if num == den else (num / den if den else math.inf)
    ok = change >= 1 - tolerance - 1e-12
    noise = max((x for x in (_spread(before), _spread(after)) if x is not None), default=None)
    return {"before": b, "after": a, "change": round(change, 4),
            "direction": "higher is better" if higher_is_better else "lower is better",
            "noise_before": _spread(before), "noise_after": _spread(after),
            "within_noise": noise is not None and 1 - change <= noise,
            "before_runs": list(before), "after_runs": list(after),
            "verdict": ("PASS" if ok else "FAIL") if judged else "info"}


def _mean_se(runs: list[list[float]]) -> tuple[list[float], float, float]:
    """Per-seed means over the repeats, their mean, and its standard error."""
    per_seed = [statistics.fmean(col) for col in zip(*runs, strict=True)]
    sd = statistics.stdev(per_seed) if len(per_seed) > 1 else 0.0
    return per_seed, statistics.fmean(per_seed), sd / math.sqrt(len(per_seed))


def quality_verdict(before: list[list[float]], after: list[list[float]],
                    z: float = QUALITY_Z) -> dict[str, Any]:
    """Compare per-run scores (one list per repeat, seeds in order) of one strategy:
    the difference of means after - before with its standard error; FAIL below -z SE.

    Example:
        >>> v = quality_verdict([[90.0, 91.0, 92.0]], [[89.0, 90.0, 91.0]])
        >>> v["difference"], v["stderr"], v["identical"], v["verdict"]
        (-1.0, 0.8165, False, 'PASS')
        >>> quality_verdict([[90.0, 90.1]], [[80.0, 80.1]])["verdict"]
        'FAIL'
    """
    _, mb, seb = _mean_se(before)
    _, ma, sea = _mean_se(after)
    diff, se = ma - mb, math.hypot(seb, sea)
    worse = diff < -z * se if se > 0 else diff < 0
    return {"before": round(mb, 4), "after": round(ma, 4), "difference": round(diff, 4),
            "stderr": round(se, 4), "identical": before[0] == after[0],
            "repeatable_before": all(r == before[0] for r in before),
            "repeatable_after": all(r == after[0] for r in after),
            "verdict": "FAIL" if worse else "PASS"}


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def _env(checkout: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(checkout)  # ahead of the venv's editable finder (a meta path hook)
    return env


def _check_import(python: str, checkout: Path) -> str:
    """The ``nasbench_ui`` a child imports from ``checkout``; raises if it is another one."""
    code = "import nasbench_ui; print(nasbench_ui.__file__)"
    got = subprocess.run([python, "-c", code], cwd=checkout, env=_env(checkout), check=True,
                         capture_output=True, text=True).stdout.strip()
    if not Path(got).resolve().is_relative_to(checkout.resolve()):
        raise RuntimeError(f"a child in {checkout} imported {got}, not its checkout's package")
    return got


def _run(python: str, checkout: Path, bench: Bench, args: tuple[str, ...], out: Path,
         timeout: float) -> dict[str, Any]:
    cmd = [python, str(Path("benchmarks") / bench.script), *args, "--out", str(out)]
    proc = subprocess.run(cmd, cwd=checkout, env=_env(checkout), capture_output=True,
                          text=True, timeout=timeout)
    if proc.returncode != 0 or not out.is_file():
        raise RuntimeError(f"{' '.join(cmd)} in {checkout} failed ({proc.returncode}):\n"
                           f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return json.loads(out.read_text())


def compare(runs: list[dict[str, Any]], tolerance: float = TOLERANCE) -> dict[str, Any]:
    """Rows (timings) and quality (nb201 accuracy) from the recorded runs, and the verdict.

    Example:
        >>> runs = [{"bench": "b", "side": s, "metrics": [["m", v, True, True]]}
        ...         for s, v in [("before", 10.0), ("after", 9.0)]]
        >>> c = compare(runs)
        >>> c["rows"][0]["change"], c["verdict"]
        (0.9, 'FAIL')
    """
    rows, quality = [], []
    for bench in dict.fromkeys(r["bench"] for r in runs):
        side = {s: [r for r in runs if r["bench"] == bench and r["side"] == s]
                for s in ("before", "after")}
        names = dict.fromkeys(m[0] for r in side["before"] for m in r["metrics"])
        for name in names:
            vals = {s: [m[1] for r in rs for m in r["metrics"] if m[0] == name
                        and m[1] is not None] for s, rs in side.items()}
            _, _, higher, judged = next(m for m in side["before"][0]["metrics"] if m[0] == name)
            if vals["before"] and vals["after"]:
                rows.append({"bench": bench, "metric": name, **timing_verdict(
                    vals["before"], vals["after"], higher, tolerance, judged)})
            elif side["after"]:  # a script gave no figure (e.g. too few trials for a rate)
                rows.append({"bench": bench, "metric": name, "before": None, "after": None,
                             "change": None, "noise_before": None, "noise_after": None,
                             "direction": "higher is better" if higher else "lower is better",
                             "before_runs": vals["before"], "after_runs": vals["after"],
                             "within_noise": False, "verdict": "FAIL" if judged else "info"})
        for strategy in side["before"][0].get("quality", {}):
            q = {s: [r["quality"][strategy] for r in rs] for s, rs in side.items()}
            if q["after"]:
                quality.append({"bench": bench, "strategy": strategy,
                                **quality_verdict(q["before"], q["after"])})
    failed = any(x["verdict"] == "FAIL" for x in rows + quality)
    return {"rows": rows, "quality": quality, "verdict": "FAIL" if failed else "PASS"}


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.1f}" if abs(x) >= 100 else f"{x:.4g}"


def table(result: dict[str, Any]) -> str:
    """The comparison as text: one line per timing row, then one per strategy's quality."""
    lines = [f"{'benchmark':18}{'metric':28}{'dir':>7}{'before':>10}{'after':>10}"
             f"{'change':>8}{'noise':>8}  verdict"]
    for r in result["rows"]:
        noise = "-" if r["noise_before"] is None else f"{r['noise_before']:.1%}"
        way = r["direction"].split()[0]
        lines.append(f"{r['bench']:18}{r['metric']:28}{way:>7}{_fmt(r['before']):>10}"
                     f"{_fmt(r['after']):>10}{_fmt(r['change']):>8}{noise:>8}  {r['verdict']}"
                     + (" (within noise)" if r["verdict"] == "FAIL" and r["within_noise"] else ""))
    if result["quality"]:
        lines.append(f"\n{'quality: strategy':28}{'before':>9}{'after':>9}{'after-before':>14}"
                     f"{'SE':>8}  identical  verdict")
        for q in result["quality"]:
            lines.append(f"{q['strategy']:28}{q['before']:>9.3f}{q['after']:>9.3f}"
                         f"{q['difference']:>+14.4f}{q['stderr']:>8.4f}  "
                         f"{'yes' if q['identical'] else 'no':9}  {q['verdict']}")
    lines.append(f"\noverall: {result['verdict']} (timings: change >= {1 - TOLERANCE:.2f}; "
                 f"quality: after - before >= -{QUALITY_Z:g} SE). noise: (max - min) / median "
                 "of the before runs; 'within noise': the loss is no larger than the spread "
                 "of either side's runs among themselves")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--before", required=True, help="git revision of the baseline")
    p.add_argument("--after", default="HEAD", help="git revision to compare (HEAD)")
    p.add_argument("--only", default=",".join(BENCHES), help="comma-separated benchmarks")
    p.add_argument("--repeats", type=int, default=3, help="runs of each script per side (3)")
    p.add_argument("--quick", action="store_true", help="short options (a smoke test)")
    p.add_argument("--python", default=sys.executable, help="the interpreter for both sides")
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds per script run")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the JSON written")
    args = p.parse_args(argv)
    args.only = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = [b for b in args.only if b not in BENCHES]
    if unknown or not args.only:
        p.error(f"unknown benchmark(s) {unknown}; known: {', '.join(BENCHES)}")
    if args.repeats < 1:
        p.error(f"--repeats must be at least 1, got {args.repeats}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Check out both revisions, run the benchmarks interleaved, print and write the
    comparison; return 1 when it fails, else 0."""
    args = parse_args(argv)
    revs = {"before": args.before, "after": args.after}
    commits = {s: _git("rev-parse", "--verify", f"{r}^{{commit}}") for s, r in revs.items()}
    result: dict[str, Any] = {
        "benchmark": "compare_checkouts", "command": " ".join(["python", *sys.argv]),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "python": args.python,
        "sides": {s: {"rev": revs[s], "commit": commits[s]} for s in revs},
        "settings": {"only": args.only, "repeats": args.repeats, "quick": args.quick,
                     "tolerance": TOLERANCE, "quality_z": QUALITY_Z},
        "runs": [], "verdict": "INCOMPLETE"}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nbui-compare-") as tmp:
        root = Path(tmp)
        (root / "shared").symlink_to((REPO.parent / "shared").resolve())
        checkouts = {s: root / s for s in revs}
        try:
            for s, path in checkouts.items():
                _git("worktree", "add", "--detach", "--quiet", str(path), commits[s])
                subprocess.run([args.python, "-m", "compileall", "-q", "nasbench_ui"],
                               cwd=path, check=True, capture_output=True)
                result["sides"][s]["imports"] = _check_import(args.python, path)
                print(f"{s}: {revs[s]} = {commits[s][:10]}, imports "
                      f"{result['sides'][s]['imports']}", flush=True)
            total, done = args.repeats * len(args.only) * 2, 0
            for rep in range(args.repeats):
                order = ("before", "after") if rep % 2 == 0 else ("after", "before")
                for name in args.only:
                    bench = BENCHES[name]
                    for s in order:
                        out = root / "out" / f"{name}-{s}-{rep}.json"
                        out.parent.mkdir(exist_ok=True)
                        t0 = time.perf_counter()
                        data = _run(args.python, checkouts[s], bench,
                                    bench.quick if args.quick else bench.full, out, args.timeout)
                        run = {"bench": name, "side": s, "repeat": rep,
                               "seconds": round(time.perf_counter() - t0, 1),
                               "load_avg_1m": round(os.getloadavg()[0], 2),
                               "metrics": [list(m) for m in bench.metrics(data)]}
                        if name == "nb201":
                            run["quality"] = {k: v["test_acc_per_run"]
                                              for k, v in data["strategies"].items()}
                        result["runs"].append(run)
                        args.out.write_text(json.dumps(result, indent=1) + "\n")
                        done += 1
                        print(f"[{done}/{total}] {name} {s} (repeat {rep + 1}): "
                              f"{run['seconds']} s, load {run['load_avg_1m']}", flush=True)
        finally:
            for path in checkouts.values():
                if path.exists():
                    _git("worktree", "remove", "--force", str(path))
            _git("worktree", "prune")
    result.update(compare(result["runs"]))
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(table(result))
    return 1 if result["verdict"] == "FAIL" else 0


if __name__ == "__main__":
    sys.exit(main())

"""The engine and store at scale: 10,000 trials of an instant estimator into SQLite.

Reports trials per second through ``Experiment.run`` (ask, create, finish with the
strategy state, tell), the process's peak RSS, and the time of ``results()`` and of a
``changes()`` poll with nothing new, on the file with 10,000 trials. Baseline in the
same run: the same number of bare SQLite inserts of the same rows (one transaction
each), so the ratio says what the engine adds on top of the database.

    python benchmarks/store_scale.py --trials 10000
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import tempfile
import time
from pathlib import Path

import nasbench_ui as nb
from nasbench_ui.estimators import Estimate


class Instant:
    NAME = "instant"
    OPTIONS: dict = {}

    def estimate(self, arch, ctx):
        v = sum(x == "nor_conv_3x3" for x in arch.values()) / 6
        return Estimate(v, {"valid_acc": v, "cost_s": 1.0})


def bare_inserts(path: Path, n: int) -> float:
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE t (n INTEGER, arch TEXT, value REAL, metrics TEXT)")
    t0 = time.perf_counter()
    for i in range(n):
        with con:
            con.execute("INSERT INTO t VALUES (?, ?, ?, ?)",
                        (i, json.dumps({"1<-0": "none"}), 0.5, json.dumps({"valid_acc": 0.5})))
        with con:
            con.execute("UPDATE t SET value = ? WHERE n = ?", (0.6, i))
    con.close()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser()
    p.add_argument("--trials", type=int, default=10_000)
    p.add_argument("--out", default="benchmarks/results/store_scale.json")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "scale.db"
        exp = nb.Experiment(nb.spaces.nb201(), strategy="random", estimator=Instant(),
                            trials=args.trials, storage=str(db), seed=0)
        t0 = time.perf_counter()
        exp.run()
        run_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        df = exp.results()
        results_s = time.perf_counter() - t0
        version, _ = exp.store.changes(exp.name, 0)
        t0 = time.perf_counter()
        for _ in range(100):
            exp.store.changes(exp.name, version)
        poll_ms = (time.perf_counter() - t0) * 10
        bare_s = bare_inserts(Path(tmp) / "bare.db", args.trials)
    out = {
        "trials": args.trials, "rows": len(df),
        "experiment_trials_per_s": round(args.trials / run_s, 1),
        "bare_sqlite_insert_update_per_s": round(args.trials / bare_s, 1),
        "ratio_engine_over_bare": round(run_s / bare_s, 2),
        "results_s": round(results_s, 3), "empty_poll_ms": round(poll_ms, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()

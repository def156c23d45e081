"""Per-trial engine cost, measured side by side with Optuna and bare SQLite in one run.

With an instant estimator (a formula of the architecture), random search on nb201:

* **in memory**: ``Experiment.run`` on a ``:memory:`` store against Optuna's in-memory
  ``study.optimize`` (RandomSampler, the six edges as six categorical parameters, an
  instant objective), ``--trials`` each: trials/s, CPU ms per trial, and the ratio
  (target: this project >= Optuna);
* **SQLite**: ``Experiment.run`` into a SQLite file against bare SQLite doing an insert
  and an update of the same trial rows (one transaction each, WAL), twice: with the
  store's ``synchronous=NORMAL`` (like for like) and with sqlite3's default ``FULL``, an
  fsync per commit (the baseline the issue's target of 0.8 was set against: 530/s
  there); and Optuna's ``sqlite:///`` storage for reference (``--optuna-sqlite-trials``,
  it is slow).

Every measurement is repeated ``--repeats`` times, interleaved, in this process; the
medians are compared. Also reported: ``results()`` and an empty ``changes()`` poll on
the file, and the peak RSS. Writes ``benchmarks/results/store_scale.json``.

    python benchmarks/store_scale.py --trials 2000 --repeats 3
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import resource
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nasbench_ui as nb
from nasbench_ui.estimators import Estimate

OPS = nb.spaces.nb201().decisions


class Instant:
    """An estimator that costs nothing: the share of 3x3 convolutions."""

    NAME = "instant"
    OPTIONS: dict = {}

    def estimate(self, arch: dict[str, Any], ctx: Any) -> Estimate:
        v = sum(x == "nor_conv_3x3" for x in arch.values()) / 6
        return Estimate(v, {"valid_acc": v, "cost_s": 1.0})


def timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """Wall and CPU seconds of ``fn()`` (garbage collected first, as each side gets)."""
    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def engine(n: int, storage: str) -> Callable[[], Any]:
    exp = nb.Experiment(nb.spaces.nb201(), strategy="random", estimator=Instant(),
                        trials=n, storage=storage, seed=0)
    exp.dataset  # noqa: B018 - loaded once per search, before its trials: not a trial's cost
    return exp.run


def optuna_study(n: int, storage: str | None) -> Callable[[], Any]:
    import optuna

    optuna.logging.set_verbosity(logging.WARNING)
    study = optuna.create_study(direction="maximize", storage=storage,
                                sampler=optuna.samplers.RandomSampler(seed=0))

    def objective(trial: Any) -> float:
        arch = {d.label: trial.suggest_categorical(d.label, list(d.choices())) for d in OPS}
        return sum(x == "nor_conv_3x3" for x in arch.values()) / 6

    return lambda: study.optimize(objective, n_trials=n)


def bare_sqlite(n: int, path: Path, synchronous: str = "NORMAL") -> Callable[[], Any]:
    """An insert of each trial row and an update at its end, one transaction each: the
    least a database of trials can do. ``NORMAL`` is the store's setting; ``FULL`` (an
    fsync at every commit) is sqlite3's default, which the issue's baseline ran with."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute(f"PRAGMA synchronous={synchronous}")
    con.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, state TEXT, arch TEXT, value REAL,"
                " metrics TEXT, started_at REAL, finished_at REAL, meta TEXT)")
    arch = json.dumps({d.label: d.choices()[0] for d in OPS})
    meta = json.dumps({"strategy": "random"})

    def run() -> None:
        for i in range(n):
            con.execute("BEGIN IMMEDIATE")
            con.execute("INSERT INTO t VALUES (?, 'RUNNING', ?, NULL, '{}', ?, NULL, ?)",
                        (i, arch, time.time(), meta))
            con.execute("COMMIT")
            con.execute("BEGIN IMMEDIATE")
            con.execute("UPDATE t SET state = 'COMPLETE', value = ?, metrics = ?,"
                        " finished_at = ? WHERE n = ?",
                        (0.5, json.dumps({"valid_acc": 0.5, "cost_s": 1.0}), time.time(), i))
            con.execute("COMMIT")
        con.close()

    return run


def summary(runs: list[tuple[float, float]], n: int) -> dict[str, float]:
    wall = statistics.median(w for w, _ in runs)
    cpu = statistics.median(c for _, c in runs)
    return {"trials": n, "trials_per_s": round(n / wall, 1),
            "cpu_ms_per_trial": round(cpu / n * 1000, 3), "wall_s": [round(w, 3) for w, _ in runs]}


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser()
    p.add_argument("--trials", type=int, default=2000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--optuna-sqlite-trials", type=int, default=200)
    p.add_argument("--out", default="benchmarks/results/store_scale.json")
    args = p.parse_args(argv)
    n = args.trials
    cells: dict[str, list[tuple[float, float]]] = {
        k: [] for k in ("engine_memory", "optuna_memory", "engine_sqlite", "bare_sqlite",
                        "bare_sqlite_full", "optuna_sqlite")}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for r in range(args.repeats):  # interleaved: load changes hit every side alike
            cells["engine_memory"].append(timed(engine(n, ":memory:")))
            cells["optuna_memory"].append(timed(optuna_study(n, None)))
            cells["engine_sqlite"].append(timed(engine(n, str(folder / f"e{r}.db"))))
            cells["bare_sqlite"].append(timed(bare_sqlite(n, folder / f"b{r}.db")))
            cells["bare_sqlite_full"].append(
                timed(bare_sqlite(n, folder / f"f{r}.db", synchronous="FULL")))
        m = args.optuna_sqlite_trials
        if m:
            cells["optuna_sqlite"].append(
                timed(optuna_study(m, f"sqlite:///{folder / 'optuna.db'}")))
        exp = nb.Experiment.load(str(folder / "e0.db"), estimator=Instant())
        t0 = time.perf_counter()
        rows = len(exp.results())
        results_s = time.perf_counter() - t0
        version, _ = exp.store.changes(exp.name, 0)
        t0 = time.perf_counter()
        for _ in range(100):
            exp.store.changes(exp.name, version)
        poll_ms = (time.perf_counter() - t0) * 10
        exp.store.close()
    counts = {"optuna_sqlite": args.optuna_sqlite_trials}
    out: dict[str, Any] = {
        "trials": n, "repeats": args.repeats,
        **{k: summary(v, counts.get(k, n)) for k, v in cells.items() if v},
    }
    out["memory_ratio_engine_over_optuna"] = round(
        out["engine_memory"]["trials_per_s"] / out["optuna_memory"]["trials_per_s"], 2)
    out["memory_cpu_ratio_optuna_over_engine"] = round(  # per-trial CPU: steadier under load
        out["optuna_memory"]["cpu_ms_per_trial"] / out["engine_memory"]["cpu_ms_per_trial"], 2)
    out["sqlite_ratio_engine_over_bare"] = round(
        out["engine_sqlite"]["trials_per_s"] / out["bare_sqlite"]["trials_per_s"], 2)
    out["sqlite_ratio_engine_over_bare_full"] = round(
        out["engine_sqlite"]["trials_per_s"] / out["bare_sqlite_full"]["trials_per_s"], 2)
    if "optuna_sqlite" in out:
        out["sqlite_ratio_engine_over_optuna"] = round(
            out["engine_sqlite"]["trials_per_s"] / out["optuna_sqlite"]["trials_per_s"], 2)
    out.update({"rows": rows, "results_s": round(results_s, 3),
                "empty_poll_ms": round(poll_ms, 3),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "load_avg": [round(x, 2) for x in os.getloadavg()]})
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2))
    print(f"{'':16}{'trials/s':>10}{'CPU ms/trial':>14}")
    for k in cells:
        if k in out:
            print(f"{k:16}{out[k]['trials_per_s']:>10}{out[k]['cpu_ms_per_trial']:>14}")
    print(f"in memory, this project / Optuna: {out['memory_ratio_engine_over_optuna']} "
          f"trials/s (target >= 1); CPU per trial, Optuna / this project: "
          f"{out['memory_cpu_ratio_optuna_over_engine']}")
    print(f"SQLite, this project / bare SQLite (synchronous=NORMAL, the store's): "
          f"{out['sqlite_ratio_engine_over_bare']}")
    print(f"SQLite, this project / bare SQLite (synchronous=FULL, the issue's baseline): "
          f"{out['sqlite_ratio_engine_over_bare_full']} (target >= 0.8)")
    return out


if __name__ == "__main__":
    main()

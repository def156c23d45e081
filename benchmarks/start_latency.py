"""How long the first ``exp.start()`` in a fresh process blocks its caller.

Each measurement is a new Python process that imports ``nasbench_ui``, builds an
experiment and times ``exp.start()`` alone (the import and the constructor are timed
too, and reported apart); the data set and the heavy imports of training belong on the
search thread. Cases: an in-memory store and a SQLite file, for the quick start's
configuration (keras_cnn on digits, ``early_stop``) and for a tabular-speed one (nb201,
``zero_cost``). Target (issue 14, point 6): ``start()`` returns within 0.1 s. Writes
``benchmarks/results/start_latency.json``; nothing here asserts a time.

    python benchmarks/start_latency.py --repeats 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

CHILD = """
import json, sys, time
t0 = time.perf_counter()
import nasbench_ui as nb
t1 = time.perf_counter()
exp = nb.Experiment({space!r}, strategy="random", estimator={estimator!r}, trials=2,
                    storage={storage!r}, seed=0, **{options!r})
t2 = time.perf_counter()
exp.start()
t3 = time.perf_counter()
exp.wait()
print(json.dumps({{"import_s": t1 - t0, "construct_s": t2 - t1, "start_s": t3 - t2,
                  "status": exp.status}}))
"""

CASES: dict[str, dict[str, Any]] = {
    "quickstart_memory": {"space": "keras_cnn", "estimator": "early_stop", "file": False,
                          "options": {"estimator_options": {"epochs": 1, "subset": 0.2}}},
    "quickstart_sqlite": {"space": "keras_cnn", "estimator": "early_stop", "file": True,
                          "options": {"estimator_options": {"epochs": 1, "subset": 0.2}}},
    "nb201_zero_cost_sqlite": {"space": "nb201", "estimator": "zero_cost", "file": True,
                               "options": {}},
}


def measure(case: dict[str, Any], folder: Path, i: int) -> dict[str, Any]:
    storage = str(folder / f"s{i}.db") if case["file"] else ":memory:"
    code = CHILD.format(space=case["space"], estimator=case["estimator"], storage=storage,
                        options=case["options"])
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=600, cwd=folder, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"the measuring process failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--out", default="benchmarks/results/start_latency.json")
    args = p.parse_args(argv)
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in CASES}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):  # interleaved cases
            for name, case in CASES.items():
                runs[name].append(measure(case, Path(tmp), len(runs[name]) + 100 * i))
    out: dict[str, Any] = {"repeats": args.repeats, "target_start_s": 0.1,
                           "load_avg": [round(x, 2) for x in os.getloadavg()]}
    for name, rs in runs.items():
        out[name] = {
            key: {"median": round(statistics.median(r[key] for r in rs), 4),
                  "max": round(max(r[key] for r in rs), 4)}
            for key in ("import_s", "construct_s", "start_s")
        }
        out[name]["statuses"] = sorted({r["status"] for r in rs})
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2))
    print(f"{'':24}{'start() median':>16}{'max':>8}{'import':>9}{'construct':>11}")
    for name in runs:
        r = out[name]
        print(f"{name:24}{r['start_s']['median']:>16}{r['start_s']['max']:>8}"
              f"{r['import_s']['median']:>9}{r['construct_s']['median']:>11}")
    return out


if __name__ == "__main__":
    main()

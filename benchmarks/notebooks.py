"""Every notebook, run headless as a class would run it: each cell's time under load.

Runs each notebook of ``notebooks/`` top to bottom with nbclient, **as written** (no
parameters injected: the defaults a teacher gets), in a fresh kernel with the default
thread settings (``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` and ``OMP_WAIT_POLICY`` removed
from its environment), while ``--load`` competing CPU-bound processes (plain Python busy
loops, default one) run on the machine. Each notebook runs in its own temporary folder,
so its stores do not land in the repository.

A cell's time is the kernel's own, from nbclient's timing metadata (``iopub.status.busy``
to ``iopub.status.idle``): the time from Run to the cell's end, as a user sees it. The
report (``--out``, JSON) holds every code cell's time, its first source line, and the
slowest cell of each notebook; the script prints the slowest cell per notebook and exits
with status 1 when one is above ``--limit`` seconds (default 20). It is a figure for
README, not a timed test: CI executes the notebooks without timing them.

Usage::

    python benchmarks/notebooks.py                       # all notebooks, one busy process
    python benchmarks/notebooks.py --only 04_workshop.ipynb --load 0

Example:
    >>> slowest([{"index": 2, "seconds": 1.5}, {"index": 5, "seconds": 3.0}])["index"]
    5
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CLEARED = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT",
           "KMP_BLOCKTIME")
BUSY = "while True:\n    pass\n"
LIMIT_S = 20.0


def _stamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def cell_seconds(cell: Any) -> float | None:
    """Seconds from the kernel going busy to idle on ``cell`` (nbclient's timing metadata).

    Example:
        >>> cell_seconds({"metadata": {"execution": {
        ...     "iopub.status.busy": "2026-01-01T00:00:00.000000Z",
        ...     "iopub.status.idle": "2026-01-01T00:00:02.500000Z"}}})
        2.5
    """
    ex = cell.get("metadata", {}).get("execution", {})
    start = ex.get("iopub.status.busy") or ex.get("iopub.execute_input")
    end = ex.get("iopub.status.idle") or ex.get("shell.execute_reply")
    if not start or not end:
        return None
    return round(_stamp(end) - _stamp(start), 3)


def slowest(cells: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The cell record with the largest ``seconds`` (None for none)."""
    timed = [c for c in cells if c.get("seconds") is not None]
    return max(timed, key=lambda c: c["seconds"]) if timed else None


def run_notebook(path: Path, timeout: int) -> dict[str, Any]:
    """Execute ``path`` as written in a temporary folder; the times of its code cells."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    env_before = {k: os.environ.pop(k) for k in CLEARED if k in os.environ}
    error = None
    t0 = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="nbui-bench-") as work:
            client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                    allow_errors=False, record_timing=True,
                                    resources={"metadata": {"path": work}})
            try:
                client.execute()
            except Exception as err:  # report it; the cells run so far keep their times
                error = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    finally:
        os.environ.update(env_before)
    wall = time.perf_counter() - t0
    cells = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
        cells.append({"index": i, "seconds": cell_seconds(cell), "source": first[:80]})
    return {"notebook": path.name, "wall_s": round(wall, 2), "error": error, "cells": cells,
            "slowest": slowest(cells)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", nargs="*", default=None, help="notebook file names to run")
    p.add_argument("--load", type=int, default=1, help="competing busy processes (default 1)")
    p.add_argument("--timeout", type=int, default=600, help="limit per cell, seconds")
    p.add_argument("--limit", type=float, default=LIMIT_S, help="slowest cell allowed, seconds")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "notebooks.json"))
    args = p.parse_args(argv)
    if args.load < 0:
        raise ValueError(f"--load must be >= 0, got {args.load}")
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    if args.only:
        unknown = sorted(set(args.only) - {q.name for q in paths})
        if unknown:
            raise ValueError(f"unknown notebooks {unknown}; they are {[q.name for q in paths]}")
        paths = [q for q in paths if q.name in args.only]
    busy = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(args.load)]
    try:
        runs = [run_notebook(q, args.timeout) for q in paths]
    finally:
        for proc in busy:
            proc.kill()
            proc.wait()
    summary = {
        "what": "each code cell's time (s), notebooks run as written, default threads, "
                f"{args.load} competing busy process(es)",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "loadavg_after": os.getloadavg()},
        "limit_s": args.limit,
        "notebooks": runs,
    }
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(summary, indent=1) + "\n")
    print(f"{'notebook':24s} {'slowest cell':>12s} {'s':>7s}  {'run all s':>9s}  first line")
    for r in runs:
        s = r["slowest"] or {"index": "-", "seconds": float("nan"), "source": ""}
        flag = " ERROR " + r["error"] if r["error"] else ""
        print(f"{r['notebook']:24s} {s['index']!s:>12s} {s['seconds']:7.1f}  {r['wall_s']:9.1f}  "
              f"{s['source']}{flag}")
    return summary


if __name__ == "__main__":
    result = main()
    over = [r for r in result["notebooks"]
            if r["error"] or (r["slowest"] and r["slowest"]["seconds"] > result["limit_s"])]
    sys.exit(1 if over else 0)

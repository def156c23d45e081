"""A fast search in its own process, followed live by a workbench in JupyterLab.

``benchmarks/ui_responsiveness.py`` runs the search in the kernel (the Start button), so
the workbench's threads share the search's interpreter lock. Here the same search (an
instant ``synthetic`` estimator, random search on nb201, a SQLite file store) runs in a
separate Python process, as ``nasbench-ui run`` or a script would, and a notebook shows
``nb.Workbench.load(store)``, which follows it read-only from the store. Measured:

- ``search``: trials per second of the external search while the page follows it, and of
  the same search (same seconds, a fresh store) with nothing following it, run after.
- ``chart_lag_s``: for every trial k, from its ``finished_at`` in the store to the moment
  the page's history chart first covered k trials (as in ui_responsiveness.py; the
  ``page_rows_*`` figures count trials covered, not the rows its thinned source holds).
- ``cpu_cores``: the cores the search process, the kernel, the server and Chromium used.

Run (needs Debian's Chromium and the ``[ui,test]`` extras)::

    .venv/bin/python benchmarks/ui_follow.py --duration 120

Example (the search script's command line):
    >>> search_command("/tmp/x.db", 5.0, "random", "run")[-4:]
    ['/tmp/x.db', '5.0', 'random', 'run']
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
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks import processes  # noqa: E402 - after the path fix
from benchmarks import ui_responsiveness as uir  # noqa: E402
from benchmarks.ui_figures import spikes  # noqa: E402

DEFAULT_OUT = REPO_ROOT / "benchmarks" / "results" / "ui_follow.json"
NAME = "follow"

# Registers the benchmark's instant estimator; the search script and the notebook run it.
SYNTHETIC = uir.SETUP_CELL.split("\nwb = ")[0]

SEARCH_SCRIPT = SYNTHETIC + """
import os, sys, time
db, seconds, strategy, mode = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
if mode == "create":
    nb.Experiment("nb201", strategy=strategy, estimator="synthetic", trials=10**6,
                  storage=db, name="follow", dataset="digits")
else:  # run until the file db + ".stop" appears, at most `seconds`
    exp = nb.Experiment.load(db, name="follow")
    exp.start()
    end = time.monotonic() + seconds
    while time.monotonic() < end and not os.path.exists(db + ".stop"):
        time.sleep(0.1)
    exp.stop()
    if exp.last_error:
        raise SystemExit(exp.last_error)
"""


def search_command(db: str, seconds: float, strategy: str, mode: str) -> list[str]:
    """The command that creates (``mode="create"``) or runs the search in ``db``."""
    return [sys.executable, "-c", SEARCH_SCRIPT, db, str(seconds), strategy, mode]


def finish_times(db: Path) -> list[float]:
    """The sorted finish times of the stored search, read read-only from the file
    ([] while it holds no experiment yet)."""
    from nasbench_ui.storage import open_store

    if not db.exists():
        return []
    store = open_store(str(db), readonly=True)
    try:
        if NAME not in store.experiment_names():
            return []
        return sorted(t.finished_at for t in store.trials(NAME) if t.finished_at is not None)
    finally:
        store.close()


def window_rate(finished: Sequence[float], t0: float, t1: float) -> float | None:
    """Trials per second that finished within ``[t0, t1)``.

    Example:
        >>> window_rate([9.0, 10.0, 10.5, 11.9, 12.5], 10.0, 12.0)
        1.5
    """
    n = sum(1 for t in finished if t0 <= t < t1)
    return round(n / (t1 - t0), 1) if t1 > t0 else None


class Search:
    """The search in its own process: ``start()`` it, ``stop()`` it (through a stop file)."""

    def __init__(self, db: Path, strategy: str, cwd: Path, limit_s: float) -> None:
        self.db, self.strategy, self.cwd, self.limit_s = db, strategy, cwd, limit_s
        self.proc: subprocess.Popen[str] | None = None
        self.created = False

    def create(self) -> None:
        """Create the experiment in the store (once; :meth:`start` does it if not done)."""
        if not self.created:
            subprocess.run(search_command(str(self.db), 0, self.strategy, "create"),
                           cwd=self.cwd, check=True, capture_output=True, timeout=300)
            self.created = True

    def start(self) -> None:
        """Create the experiment (unless done), start its search, return once trials
        finish."""
        self.create()
        self.proc = subprocess.Popen(
            search_command(str(self.db), self.limit_s, self.strategy, "run"), cwd=self.cwd,
            text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while len(finish_times(self.db)) < 10 and time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("the search process ended: "
                                   + self.proc.communicate()[1][-2000:])
            time.sleep(0.5)  # its imports and the data set, then its first trials

    def window(self, duration: float, server_pid: int | None
               ) -> tuple[float, float, dict[str, float]]:
        """Let the search go on for ``duration`` s: the window and the cores used in it."""
        assert self.proc is not None
        others = {self.proc.pid: "search"}
        before, t0 = processes.cpu_seconds(server_pid, others), time.time()
        time.sleep(duration)
        t1 = time.time()
        after = processes.cpu_seconds(server_pid, others)
        return t0, t1, processes.cpu_shares(before, after, t1 - t0)

    def stop(self) -> None:
        """Ask the search to stop and wait for its process; RuntimeError if it failed."""
        if self.proc is None or self.proc.returncode is not None:
            return
        Path(str(self.db) + ".stop").touch()
        _, err = self.proc.communicate(timeout=120)
        if self.proc.returncode:
            raise RuntimeError(f"the search process failed ({self.proc.returncode}): "
                               f"{err[-2000:]}")


def run_benchmark(duration: float = 60.0, strategy: str = "random",
                  out: Path | None = DEFAULT_OUT) -> dict[str, Any]:
    """Follow an external search in the page for ``duration`` s, then run the same search
    alone for as long; write (unless ``out`` is None) and return the summary."""
    import nbformat
    from helpers.lab_server import start_lab_server, stop_lab_server

    if not duration >= 5:
        raise ValueError(f"--duration must be at least 5 s, got {duration}")
    limit = duration + 600  # the stop file ends the search; this is a safety net
    with tempfile.TemporaryDirectory(prefix="nbui-follow-") as tmp:
        root = Path(tmp)
        followed, alone = root / "followed.db", root / "alone.db"
        cell = SYNTHETIC + f"\nwb = nb.Workbench.load({str(followed)!r}, name={NAME!r})\nwb"
        book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)],
                                        metadata={"kernelspec": uir.KERNELSPEC})
        nbformat.write(book, root / "follow.ipynb")
        search = Search(followed, strategy, root, limit)
        solo = Search(alone, strategy, root, limit)
        server = None
        try:
            # the search starts, and the search run alone later is created, while the
            # server and Chromium start and the notebook's kernel does: each waits mostly
            # for its own process's imports. The notebook's cells run once the search runs
            # (search.start returns once trials finish): the workbench follows it.
            with ThreadPoolExecutor(2) as pool:
                searching = pool.submit(search.start)
                creating = pool.submit(solo.create)
                server = start_lab_server(root)
                with uir.workbench_page(server, root / "follow.ipynb",
                                        ready=searching.result) as (page, console):
                    creating.result()  # done before the window: nothing runs beside it
                    problem = page.evaluate(uir.SAMPLER_JS, uir.HISTORY)
                    if problem:
                        raise RuntimeError(problem)
                    time.sleep(2.0)  # the page catches up with the trials before it opened
                    status = page.locator(".nbui-workbench").first.inner_text()
                    t0, t1, cores_followed = search.window(duration, server.process.pid)
                    search.stop()
                    time.sleep(3.0)  # the last pushes land
                    samples = [(float(t), int(n))
                               for t, n, _ in page.evaluate(uir.STOP_SAMPLER_JS)]
                    errors = console.errors[:20]
                    warnings = bokeh_warnings(console.messages)
                    # the kernel's collections in the window (every thread waits for each)
                    pauses = uir._kernel_json(page,
                                              f"[p for p in _nbui_gc if {t0!r} <= p[0]]")
        finally:
            search.stop()
            if server is not None:
                stop_lab_server(server)
        try:
            solo.start()
            time.sleep(2.0)
            a0, a1, cores_alone = solo.window(duration, None)
        finally:
            solo.stop()
        fin_followed, fin_alone = finish_times(followed), finish_times(alone)
    all_lags, missing = uir.chart_lags(fin_followed, samples)
    in_window = [t0 <= t < t1 for t in fin_followed]
    lags = [lag for lag, inside in zip(all_lags, in_window, strict=False) if inside]
    done = [t for t, inside in zip(fin_followed, in_window, strict=False) if inside]
    lag = {**uir.summarize(lags), "not_shown": missing,
           # the largest lags, [seconds into the window of the trial's finish, lag]
           "spikes": spikes(lags, done, t0)}
    followed_rate = window_rate(fin_followed, t0, t1)
    alone_rate = window_rate(fin_alone, a0, a1)
    ratio = round(followed_rate / alone_rate, 3) if followed_rate and alone_rate else None
    summary = {
        "benchmark": "ui_follow",
        "command": f"python benchmarks/ui_follow.py --duration {duration:g} "
                   f"--strategy {strategy}",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "load_avg_1m": round(os.getloadavg()[0], 2), **uir._versions()},
        "settings": {"duration_s": duration, "space": "nb201", "strategy": strategy,
                     "estimator": "synthetic", "storage": "sqlite file",
                     "search": "its own process; the page follows it (Workbench.load)"},
        "search": {"trials_per_s_followed": followed_rate, "trials_per_s_alone": alone_rate,
                   "ratio": ratio, "finished_followed": len(fin_followed),
                   "finished_alone": len(fin_alone)},
        "chart_lag_s": lag,
        "targets": {"ratio": 0.85, "chart_lag_s_max": uir.TARGET_LAG_S},
        "meets_targets": {"ratio": ratio is not None and ratio >= 0.85,
                          "chart_lag_s_max": (lag["max"] is not None and missing == 0
                                              and lag["max"] < uir.TARGET_LAG_S)},
        "cpu_cores": {"followed": cores_followed, "alone": cores_alone},
        # the kernel's collections of 50 ms or more: [seconds into the window, generation, s]
        "long_gc_s": [[round(t - t0, 2), g, round(d, 3)] for t, g, d in pauses if d >= 0.05],
        "window": {"start": t0, "end": t1, "trials": sum(in_window),
                   "page_samples": len(samples),
                   "page_rows_at_start": samples[0][1] if samples else 0},
        "page_rows_at_end": samples[-1][1] if samples else 0,
        "following_shown": "following" in status,
        "console_errors": errors,
        # BokehJS's warnings, such as a source holding columns of unequal lengths (a view
        # that applied a kernel's increments to rows it lacked)
        "bokeh_warnings": warnings,
    }
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def bokeh_warnings(messages: Sequence[str], limit: int = 20) -> list[str]:
    """BokehJS's console warnings among a page's ``"type: text"`` console messages.

    Example:
        >>> bokeh_warnings(["warning: [bokeh 3.9.2] data source has columns of "
        ...                 "inconsistent lengths", "log: [bokeh 3.9.2] document idle",
        ...                 "warning: other"])
        ['warning: [bokeh 3.9.2] data source has columns of inconsistent lengths']
    """
    return [m for m in messages if m.startswith("warning: [bokeh")][:limit]


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Command line entry: parse ``argv``, run, print the JSON summary and return it."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of search (60)")
    ap.add_argument("--strategy", default="random", help="search strategy (random)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON")
    args = ap.parse_args(argv)
    summary = run_benchmark(args.duration, args.strategy, args.out)
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()

"""Time from Start to the first point in the page, for the quick start, on one CPU.

The question a teacher asks in the first minute: after I press Start, how long until
something appears? This opens ``notebooks/01_quickstart.ipynb`` as it ships (its
defaults: the workbench on keras_cnn, random search, ``early_stop`` on digits) in a real
JupyterLab page in Chromium, runs its cells, and clicks Start with the mouse. The page
samples the workbench's history chart (the Bokeh source ``nbui-history``) every 10 ms;
the figure is the time from the click to the first row there. Each repeat uses a fresh
JupyterLab and kernel (the first Start in a process is the one that pays the imports).

"One CPU": the benchmark pins itself, and so the server, the kernel and Chromium it
starts, to one CPU (``os.sched_setaffinity``), as on Binder. ``--cpus all`` lifts that.

It is a figure for the README, not a timed test (target: at most 5 s)::

    .venv/bin/python benchmarks/first_point.py --repeats 3

Example (the statistics helper):
    >>> first_row_after([(10.0, 0), (10.4, 0), (12.5, 1), (13.0, 2)], 10.2)
    2.3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
for _path in (str(REPO_ROOT / "tests"), str(REPO_ROOT / "benchmarks")):
    if _path not in sys.path:  # the browser harness (tests/helpers), the page sampler
        sys.path.insert(0, _path)

from helpers import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from helpers.lab import open_notebook, run_all  # noqa: E402
from helpers.lab_server import start_lab_server, stop_lab_server  # noqa: E402
from ui_responsiveness import SAMPLER_JS, STOP_SAMPLER_JS  # noqa: E402  the same page sampler

QUICKSTART = REPO_ROOT / "notebooks" / "01_quickstart.ipynb"
DEFAULT_OUT = REPO_ROOT / "benchmarks" / "results" / "first_point.json"
TARGET_S = 5.0




def first_row_after(samples: Sequence[tuple[float, int]], t_click: float) -> float | None:
    """Seconds from ``t_click`` to the first sample with at least one row after it.

    Example:
        >>> first_row_after([(1.0, 0)], 0.5) is None
        True
    """
    for t, rows in samples:
        if t >= t_click and rows >= 1:
            return round(t - t_click, 3)
    return None


def one_run(timeout_s: float) -> dict[str, Any]:
    """A fresh JupyterLab, the quick start as it ships, one click on Start."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="nbui-first-") as tmp:
        server = start_lab_server(Path(tmp))
        try:
            nb_path = Path(server.root_dir) / QUICKSTART.name
            shutil.copy(QUICKSTART, nb_path)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM),
                                             args=list(CHROMIUM_ARGS))
                try:
                    page = browser.new_page(viewport={"width": 1280, "height": 800})
                    page.set_default_timeout(120_000)
                    open_notebook(page, server, nb_path)
                    run_all(page, timeout=300)
                    page.locator(".nbui-workbench .nbui-charts canvas").first.wait_for()
                    problem = page.evaluate(SAMPLER_JS, "nbui-history")
                    if problem:
                        raise RuntimeError(problem)
                    start = page.locator("button.nbui-start")
                    start.wait_for()
                    t_click = time.time()
                    start.click()
                    page.wait_for_function(
                        "() => (window.__nbuiSamples || []).some(s => s[1] >= 1)",
                        timeout=timeout_s * 1000)
                    samples = [(float(t), int(n)) for t, n, _ in page.evaluate(STOP_SAMPLER_JS)]
                    page.locator("button.nbui-stop").click()
                finally:
                    browser.close()
        finally:
            stop_lab_server(server)
    return {"first_point_s": first_row_after(samples, t_click)}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--cpus", choices=("one", "all"), default="one")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds to wait per run")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = p.parse_args(argv)
    if args.repeats < 1:
        p.error("--repeats must be at least 1")
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing; install it with: apt-get install -y chromium")
    if args.cpus == "one":
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    runs = [one_run(args.timeout) for _ in range(args.repeats)]
    times = [r["first_point_s"] for r in runs if r["first_point_s"] is not None]
    result = {
        "benchmark": "first_point", "notebook": str(QUICKSTART.relative_to(REPO_ROOT)),
        "cpus": sorted(os.sched_getaffinity(0)), "repeats": args.repeats,
        "first_point_s": [r["first_point_s"] for r in runs],
        "median_s": round(statistics.median(times), 3) if times else None,
        "max_s": max(times) if times else None, "target_s": TARGET_S,
        "loadavg_1min": round(os.getloadavg()[0], 2),
        "command": "python benchmarks/first_point.py " + " ".join(argv or sys.argv[1:]),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"| Start -> first point (quick start, {len(result['cpus'])} CPU) | median "
          f"{result['median_s']} s, max {result['max_s']} s over {args.repeats} runs "
          f"(target <= {TARGET_S} s) |")
    return result


if __name__ == "__main__":
    main()

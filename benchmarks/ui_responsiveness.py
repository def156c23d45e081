"""UI responsiveness of the workbench in a real JupyterLab page while a fast search runs.

A notebook registers an instant estimator (``synthetic``: a value derived from the
architecture's hash, no training), shows a :class:`nasbench_ui.Workbench` on the
NAS-Bench-201 space with it, and Chromium clicks Start. While the search feeds the
workbench as fast as this machine allows, the benchmark measures:

- ``cell_ms``: how long a trivial cell (``1+1``) takes to run, from JupyterLab's
  ``notebook:run-cell`` to its reply, timed in the page; ``--cells`` runs spread over
  the search, and ``--baseline-cells`` runs before Start (no search) as the baseline.
  Target: median < 200 ms.
- ``chart_lag_s``: for every trial k that finished during the run, the time from its
  ``finished_at`` in the store (the kernel's clock) to the moment the page's history
  chart first covered k trials: its ``nbui-history`` Bokeh source, sorted by trial
  number, first held a trial numbered k - 1 or later (up to ``DRAW_LIMIT`` trials that
  is k rows; past it the source holds only the drawn trials, every ``step``-th one).
  The page records ``Date.now()`` whenever the source changes (its BokehJS change
  signals, and a 250 ms poll besides); kernel and browser share this machine's clock.
  Target: < 1 s.
- ``search``: trials per second with the workbench showing the search, and the same
  search in the same kernel with no workbench attached, for as long. By default the
  two run interleaved (``--interleave 6``: six segments of each, W U U W W U U W ...,
  each search paused while the other runs; ``benchmarks/ui_phases.py``), since this
  machine's speed drifts by a third within minutes. ``--interleave 0``: the search
  without the workbench runs once before Start and once after Stop (for
  ``--headless-seconds``, by default ``--duration``; the mean of the two).
  ``rate_ratio`` is the first over the second; target >= 0.85. As long, because a
  search slows as its store grows. A workbench with no poller at all (``--ablate
  poll``) scored 0.89 (10 s runs before and after), 0.81 (60 s runs before and after)
  and 1.01 (interleaved) at 60 s.
- ``gc_pauses_s``: the kernel's garbage collections from Start to Stop, per generation
  (every thread waits for each).

It prints a JSON summary and writes it to ``benchmarks/results/ui_responsiveness.json``.

Run (about a minute; needs Debian's Chromium and the ``[ui,test]`` extras)::

    .venv/bin/python benchmarks/ui_responsiveness.py --duration 30

``--pin`` puts the kernel on a CPU of its own and the server and Chromium on the others
(``benchmarks/processes.py``): on Binder or a hub the page runs on the user's machine, not
on the kernel's CPUs; here it otherwise takes 0.5 to 0.7 of one of the two cores. The
JSON's ``cpus`` reads back where the kernel's threads and Chromium's may run.

Where the search runs is the workbench's default (``process=None``): in a process of its
own (``Experiment.start(process=True)``) on two CPUs or more, its estimator, defined in the
setup cell, sent there by value (``nasbench_ui/engine/by_value.py``); the search without
the workbench is started where the workbench starts its own. ``--process`` writes the
setup cell's estimator into a module beside the notebook instead (as a user keeps a part
that another process may import); ``--thread`` makes the workbench with
``process=False``, so both searches run on a kernel thread (as on one CPU, Binder).
``search.interleaved.search_in`` says where it ran, and ``search_process`` how long each
search's process ran (``run_s``) and waited for a CPU while it could run (``wait_s``) per
second of its segments, and how often a second it was preempted
(``/proc/<pid>/task/*/schedstat``): with the workbench, that wait is the page's and the
kernel's work on the same cores.

``--ablate charts`` (the charts get no trials) or ``--ablate poll`` (no store poller)
measures what that part of the workbench costs the search: its ``rate_ratio`` is then a
diagnosis, and ``meets_targets`` judges neither lag nor rate.

The figures are computed from what it records by ``benchmarks/ui_figures.py``.

Example (the notebook it runs):
    >>> "Workbench(" in SETUP_CELL and "register(" in SETUP_CELL
    True
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
for _path in (str(REPO_ROOT), str(REPO_ROOT / "tests")):  # run from a checkout: the
    if _path not in sys.path:  # interleaved phases (benchmarks/), the browser harness
        sys.path.insert(0, _path)  # (tests/helpers)

from helpers import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from helpers.lab import ConsoleLog, open_notebook, run_all, run_code  # noqa: E402
from helpers.lab_server import (  # noqa: E402
    shutdown_kernels,
    start_lab_server,
    stop_lab_server,
)

from benchmarks.processes import (  # noqa: E402
    browser_pids,
    cpu_seconds,
    cpu_shares,
    cpus_in_use,
    kernel_pids,
    pin_process,
    split_cpus,
)
from benchmarks.ui_figures import (  # noqa: E402
    chart_lags,
    gc_pauses,
    mean_rate,
    rate_ratio,
    spikes,
    summarize,
    worst,
)
from benchmarks.ui_phases import measure_interleaved  # noqa: E402

DEFAULT_OUT = REPO_ROOT / "benchmarks" / "results" / "ui_responsiveness.json"
HISTORY = "nbui-history"
TARGET_CELL_MS = 200.0
TARGET_LAG_S = 1.0
TARGET_RATE_RATIO = 0.85  # the search's rate with the workbench / without it
INTERLEAVE = 6  # segments of each search (``--interleave``)
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

SETUP_CELL = '''\
import gc, json, time, zlib
import nasbench_ui as nb

_nbui_gc = []  # (wall time at its end, generation, seconds) of each collection: pauses


def _nbui_gc_timer(phase, info, _t0=[0.0]):
    if phase == "start":
        _t0[0] = time.perf_counter()
    elif len(_nbui_gc) < 100_000:
        _nbui_gc.append((time.time(), info["generation"], time.perf_counter() - _t0[0]))


gc.callbacks.append(_nbui_gc_timer)
from nasbench_ui.estimators import Estimate, register


class Synthetic:
    """An instant estimator: value and metrics derived from the architecture's hash."""
    NAME = "synthetic"
    OPTIONS = {}

    def estimate(self, arch, ctx):
        v = zlib.crc32(json.dumps(arch, sort_keys=True, default=str).encode()) / 2**32
        ctx.report({"epoch": 1, "valid_acc": v})
        return Estimate(value=v, metrics={"valid_acc": v, "params": 1000 + int(v * 1e6),
                                          "flops": int(v * 1e8), "latency_ms": 1 + v})


register("synthetic", Synthetic, replace=True)
wb = nb.Workbench(space="nb201", strategy=STRATEGY, estimator="synthetic",
                  trials=10**6, storage="runs/ui_responsiveness.db", process=PROCESS)
wb.controls.dataset.value = "digits"  # loaded once at Start; the estimator ignores it
wb'''

# ``--process``: the setup cell's estimator goes into a module beside the notebook, as a
# user puts a part that another process may import; the workbench's default (process=None)
# then runs each search in its own process, and the search without it is started so too
SYNTHETIC_MODULE = "nbui_synthetic"
_PART = SETUP_CELL[SETUP_CELL.index("from nasbench_ui.estimators"):SETUP_CELL.index("wb = nb.")]
SYNTHETIC_SOURCE = "import json, zlib\n\n" + _PART
IMPORT_SYNTHETIC = """\
import sys
sys.path.insert(0, {folder!r})
nb.trust({module!r})  # the search's process imports it from there
from {module} import Synthetic

"""

TRIVIAL_CELL = "1+1"

# ``--ablate``: take a part of the live workbench away, to measure what it costs the
# search (the rate ratio of the rest). Chart lag is not measured then.
ABLATIONS = {
    "none": "",
    # the poller reads the store and updates the widgets, but the charts get no trials
    "charts": "wb.live.redraw.trials = lambda trials: None",
    # no poller: the workbench starts and stops the search and shows nothing of it
    "poll": "wb.live.poll_interval = 1e6",
}

# The same search with no workbench attached, in the same kernel, for comparison: run
# before Start and after Stop (this machine's speed drifts by a third within minutes),
# started where the workbench starts its own (a process of its own, or a kernel thread)
HEADLESS_RUN = """\
import time as _t
_exp = nb.Experiment("nb201", strategy=STRATEGY, estimator="synthetic", trials=10**6,
                     storage="runs/ui_responsiveness_headless_{tag}.db", dataset="digits")
_exp.start(process=wb.search.in_process(_exp)); _t.sleep({seconds})
_in = "process" if _exp.process_id else "thread"; _exp.stop()
_fin = sorted(t.finished_at for t in _exp.finished_trials() if t.finished_at is not None)
print(len(_fin), (len(_fin) - 1) / (_fin[-1] - _fin[0]) if len(_fin) > 1 else 'nan', _in)"""

# Run cell `index` of the current notebook as a user would (JupyterLab's run-cell
# command, which resolves on the kernel's reply) and time it in the page.
RUN_CELL_JS = """async ([index, ms]) => {
    const panel = window.jupyterapp.shell.currentWidget;
    const nb = panel.content;
    nb.activeCellIndex = index;
    nb.deselectAll();
    const cell = nb.widgets[index];
    const before = cell.model.executionCount;
    const t0 = performance.now();
    const late = new Promise((_, reject) => setTimeout(
        () => reject(new Error('the cell did not finish in ' + ms + ' ms')), ms));
    await Promise.race([window.jupyterapp.commands.execute('notebook:run-cell'), late]);
    const elapsed = performance.now() - t0;
    const outs = cell.model.outputs.toJSON();
    const text = outs.map((o) => (o.data && o.data['text/plain']) || o.text || o.ename || '');
    return {ms: elapsed, text: text.join(''), count: cell.model.executionCount,
            before: before};
}"""

# Record (Date.now() / 1000, trials shown, rows) of the source named `name` whenever it
# changes (its change signals; a 10 ms poll woke the page 100 times a second).
SAMPLER_JS = """(name) => {
    const find = () => {
        for (const doc of window.Bokeh?.documents ?? []) {
            const m = doc.get_model_by_name(name);
            if (m != null) { return m; }
        }
        return null;
    };
    // how many trials the chart covers: its source is sorted by trial number, and past
    // DRAW_LIMIT trials it holds only the drawn ones, so 1 + its last number. Read from
    // the number column alone: a view that rendered late can hold columns of unequal
    // lengths for a push (a patch of rows it lacks extends the patched columns only,
    // until the resync; BokehJS's get_length then warns and may give the wrong one)
    const shown = (src) => {
        const d = src?.data, nums = d instanceof Map ? d.get('number') : d?.number;
        const n = nums?.length ?? 0;
        const k = n ? Number(nums[n - 1]) + 1 : 0;
        return Number.isFinite(k) ? [k, n] : [null, n];
    };
    const src = find();
    if (src == null) { return 'no Bokeh source named ' + name + ' in the page'; }
    const [first, rows] = shown(src);
    window.__nbuiSamples = [[Date.now() / 1000, first ?? 0, rows]];
    let last = first ?? 0;
    const sample = () => {
        const [k, n] = shown(find());
        if (k !== null && k !== last) { window.__nbuiSamples.push([Date.now() / 1000, k, n]); last = k; }
    };
    // when the source changes (a stream, a patch, new data): the page wakes for the
    // charts' own updates only; and every 250 ms, for a change that came another way
    const signals = [src.change, src.streaming, src.patching, src.properties.data.change];
    for (const signal of signals) { signal.connect(sample); }
    const timer = setInterval(sample, 250);
    window.__nbuiSamplerStop = () => {
        clearInterval(timer);
        for (const signal of signals) { signal.disconnect(sample); }
    };
    return null;
}"""

STOP_SAMPLER_JS = """() => { window.__nbuiSamplerStop(); return window.__nbuiSamples; }"""


def _run_cell(page: Any, index: int, timeout_s: float = 60.0) -> float:
    out = page.evaluate(RUN_CELL_JS, [index, timeout_s * 1000])
    if out["text"].strip() != "2" or out["count"] == out["before"]:
        raise RuntimeError(f"the trivial cell did not run as expected: {out}")
    return round(float(out["ms"]), 2)


def _kernel_json(page: Any, expr: str, timeout_s: float = 120.0) -> Any:
    return json.loads(run_code(page, f"import json as _j; print(_j.dumps({expr}))",
                               timeout=timeout_s))


def _finish_times(page: Any, chunk: int = 20_000) -> list[float]:
    """The sorted finish times of the workbench's run, read in chunks: printed at once,
    100k trials (2 MB) passed the server's IOPub data rate limit (1 MB/s) and were
    dropped."""
    _kernel_json(page, "len(globals().__setitem__('_nbui_fin', sorted(t.finished_at for t in "
                       "wb.experiment.finished_trials() if t.finished_at is not None)) or '')")
    n = _kernel_json(page, "len(_nbui_fin)")
    out: list[float] = []
    for lo in range(0, n, chunk):
        out += _kernel_json(page, f"_nbui_fin[{lo}:{lo + chunk}]")
        time.sleep(0.5)  # stay under the rate limit
    return out


def _write_notebook(path: Path, strategy: str, ablate: str = "none",
                    process: bool = False, thread: bool = False) -> Path:
    import nbformat

    # --thread: the workbench keeps its search on a kernel thread (process=False);
    # otherwise it decides (None), and the search without it goes where it put its own
    setup = f"STRATEGY = {strategy!r}\nPROCESS = {False if thread else None!r}\n" + SETUP_CELL
    if process:  # the estimator from a module; the workbench's searches in processes
        (path.parent / f"{SYNTHETIC_MODULE}.py").write_text(SYNTHETIC_SOURCE)
        setup = setup.replace(_PART, IMPORT_SYNTHETIC.format(
            folder=str(path.parent.resolve()), module=SYNTHETIC_MODULE))
    if ABLATIONS[ablate]:  # before the cell's last line, which shows the workbench
        head, last = setup.rsplit("\n", 1)
        setup = f"{head}\n{ABLATIONS[ablate]}\n{last}"
    cells = [nbformat.v4.new_code_cell(setup),
             nbformat.v4.new_code_cell(TRIVIAL_CELL)]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC})
    nbformat.write(nb, path)
    return path


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("bokeh", "jupyter_bokeh", "jupyterlab", "ipywidgets", "anywidget", "playwright"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "missing"
    return out


def _check(duration: float, cells: int, baseline_cells: int,
           headless_s: float | None = None, interleave: int = 0) -> None:
    if isinstance(interleave, bool) or not isinstance(interleave, int) or interleave < 0:
        raise ValueError(f"need --interleave >= 0 (0: runs before and after), got {interleave!r}")
    if interleave and headless_s is not None:
        raise ValueError("--headless-seconds is for --interleave 0: interleaved segments "
                         "of both searches last --duration / --interleave each")
    if headless_s is not None and not headless_s > 0:
        raise ValueError(f"need --headless-seconds > 0, got {headless_s}")
    if not duration > 0 or cells < 1 or baseline_cells < 1:
        raise ValueError(f"need --duration > 0, --cells >= 1 and --baseline-cells >= 1; got "
                         f"duration={duration}, cells={cells}, baseline_cells={baseline_cells}")


def measure(page: Any, duration: float, cells: int, baseline_cells: int,
            server_pid: int | None = None, headless_s: float | None = None,
            interleave: int = 0) -> dict[str, Any]:
    """Drive an opened, rendered benchmark notebook in ``page`` and return the figures.
    ``interleave`` > 0: that many segments of each search, alternating
    (``benchmarks/ui_phases.py``); 0: the search without the workbench before Start and
    after Stop."""
    _check(duration, cells, baseline_cells, headless_s, interleave)
    baseline = []
    for _ in range(baseline_cells):
        baseline.append(_run_cell(page, 1))
        time.sleep(0.2)
    problem = page.evaluate(SAMPLER_JS, HISTORY)
    if problem:
        raise RuntimeError(problem)
    if interleave:
        return _measure_interleaved(page, duration, cells, baseline, server_pid, interleave)

    # each run without the workbench: as long as the run with it (a store that grows
    # slows the search), unless told otherwise
    seconds = round(duration if headless_s is None else headless_s, 2)
    before, _ = _headless(page, seconds, "before", server_pid)
    page.locator("button.nbui-start").click()  # a real click, as a user starts a search
    t_start = time.time()
    cpu0 = cpu_seconds(server_pid)
    during = []
    gap = duration / cells
    for i in range(cells):
        wake = t_start + (i + 0.5) * gap
        time.sleep(max(0.0, wake - time.time()))
        during.append(_run_cell(page, 1))
    time.sleep(max(0.0, t_start + duration - time.time()))
    t_click = time.time()
    cpu_ui = cpu_shares(cpu0, cpu_seconds(server_pid), t_click - t_start)
    page.locator("button.nbui-stop").click()
    deadline = time.monotonic() + 60
    while _kernel_json(page, "wb.experiment.running") and time.monotonic() < deadline:
        time.sleep(0.2)
    t_stop = time.time()
    time.sleep(3.0)  # let the last pushes land before the sampler stops
    finished = _finish_times(page)
    span = (finished[-1] - finished[0]) if len(finished) > 1 else float("nan")
    shown = _shown(page, finished, t_start, t_click, t_stop)
    after, cpu_alone = _headless(page, seconds, "after", server_pid)
    return {
        "search": {
            "finished_trials": len(finished),
            "trials_per_s": round((len(finished) - 1) / span, 1) if span > 0 else None,
            "run_s": round(t_stop - t_start, 2),
            # the mean of the two runs without it, before Start and after Stop
            "trials_per_s_without_ui": mean_rate(before["trials_per_s"], after["trials_per_s"]),
            "without_ui_run_s": seconds,
            "without_ui_finished_trials": before["finished_trials"] + after["finished_trials"],
            "without_ui_before": before,
            "without_ui_after": after,
        },
        "cell_ms": {"baseline": {**summarize(baseline), "values": baseline},
                    "during_search": {**summarize(during), "values": during}},
        **shown,
        # cores used per process group: with the workbench (Start to Stop) and during the
        # run without it (which includes the cell that runs it)
        "cpu_cores": {"with_ui": cpu_ui, "without_ui": cpu_alone},
    }


def _measure_interleaved(page: Any, duration: float, cells: int, baseline: list[float],
                         server_pid: int | None, segments: int) -> dict[str, Any]:
    """``measure`` with the two searches in alternating segments (``ui_phases``)."""
    t_start = time.time()
    res = measure_interleaved(
        page, duration, segments, cells,
        run_code=lambda code, timeout: run_code(page, code, timeout=timeout),
        run_cell=lambda: _run_cell(page, 1), ui_finish_times=lambda: _finish_times(page),
        cpu=lambda: cpu_seconds(server_pid), cpu_shares=cpu_shares)
    t_stop = time.time()
    finished = res.pop("ui_finish_times")
    during = res.pop("cells_ms")
    cores = res.pop("cores")
    threads = res.pop("kernel_threads")
    sched = res.pop("search_sched")
    shown = _shown(page, finished, t_start, t_stop, t_stop)
    return {
        "search": {
            "finished_trials": res["ui_trials"],
            "trials_per_s": res["ui_rate"],
            "run_s": round(res["segment_s"] * segments, 2),
            "trials_per_s_without_ui": res["without_rate"],
            "without_ui_run_s": round(res["segment_s"] * segments, 2),
            "without_ui_finished_trials": res["without_trials"],
            "interleaved": res,
        },
        "cell_ms": {"baseline": {**summarize(baseline), "values": baseline},
                    "during_search": {**summarize(during), "values": during}},
        **shown,
        # cores used per process group in the segments with the workbench and without
        "cpu_cores": {"with_ui": cores["U"], "without_ui": cores["W"]},
        # the kernel's cores by thread (search, poller, charts, other): the poller's and
        # the charts' share is GIL time the one-threaded search waits for
        "kernel_threads": {"with_ui": threads["U"], "without_ui": threads["W"]},
        # with --process: the search's process per second, with the workbench and without
        # (run_s, wait_s: waiting for a CPU while it could run, preempted: times a second)
        "search_process": {"with_ui": sched["U"], "without_ui": sched["W"]},
    }


def _shown(page: Any, finished: list[float], t_start: float, t_click: float,
           t_stop: float) -> dict[str, Any]:
    """What the page showed of the workbench's run (its trials' sorted ``finished``
    times): the chart lag figures, and the kernel's collections from ``t_start`` to
    ``t_stop``. Stops the page's sampler."""
    raw = page.evaluate(STOP_SAMPLER_JS)
    samples = [(float(t), int(k)) for t, k, _ in raw]
    # an ablation that shows no chart leaves the page's source empty: no lag to measure
    lags, missing = chart_lags(finished, samples) if samples else ([], len(finished))
    quarter = max(1, math.ceil(len(lags) / 4))
    pauses = _kernel_json(page, f"[p for p in _nbui_gc if {t_start!r} <= p[0] <= {t_stop!r}]")
    return {
        "chart_lag_s": {**summarize(lags), "not_shown": missing,
                        "median_by_quarter": [summarize(lags[i:i + quarter])["median"]
                                              for i in range(0, len(lags), quarter)],
                        **worst(lags, finished, t_start, t_click),
                        "spikes": spikes(lags, finished, t_start)},
        "page_trials_at_end": samples[-1][1] if samples else 0,
        "page_rows_at_end": int(raw[-1][2]) if raw else 0,  # the rows its source holds
        "page_samples": len(samples),
        # the kernel's garbage collections from Start to Stop: every thread waits for each
        "gc_pauses_s": gc_pauses(pauses),
        # collections of 50 ms or more: [seconds after Start, generation, seconds]
        "long_gc_s": [[round(t - t_start, 2), g, round(d, 3)] for t, g, d in pauses
                      if d >= 0.05],
    }


def _headless(page: Any, seconds: float, tag: str, server_pid: int | None
              ) -> tuple[dict[str, Any], dict[str, float]]:
    """Run the search without the workbench for ``seconds`` from the notebook's kernel:
    ({"trials_per_s", "finished_trials", "search_in"}, the cores each process group
    used); ``search_in``: "process" (its own) or "thread" (a kernel thread). A search in
    its own process has ended at the second reading: its cores count in "machine" only."""
    cpu0, t0 = cpu_seconds(server_pid), time.time()
    n, rate, where = run_code(page, HEADLESS_RUN.format(seconds=seconds, tag=tag),
                              timeout=seconds + 120).split()
    cores = cpu_shares(cpu0, cpu_seconds(server_pid), time.time() - t0)
    return {"trials_per_s": round(float(rate), 1) if math.isfinite(float(rate)) else None,
            "finished_trials": int(n), "search_in": where}, cores


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab server and Chromium (:func:`open_lab`), which runs of the
    benchmark may share: each opens its notebook in a page of its own and leaves neither
    a kernel nor a store behind (``run_benchmark(lab=...)``; the tests run three so)."""

    server: Any
    browser: Any


@contextlib.contextmanager
def open_lab(base_dir: Path) -> Iterator[Lab]:
    """JupyterLab (its root and state under ``base_dir``) and Chromium, both started from
    this thread (they inherit its CPUs), stopped on exit."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing; install it with: apt-get install -y chromium")
    server = start_lab_server(Path(base_dir))
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
            try:
                yield Lab(server, browser)
            finally:
                browser.close()
    finally:
        stop_lab_server(server)


@contextlib.contextmanager
def workbench_page(server: Any, notebook: Path, browser: Any = None,
                   ready: Callable[[], Any] | None = None
                   ) -> Iterator[tuple[Any, ConsoleLog]]:
    """Chromium at ``notebook`` in the running JupyterLab ``server``, every cell run and
    the workbench's charts drawn: ``(page, console)``. In ``browser`` when given (the page
    closes on exit), else in a Chromium of its own (which closes on exit). ``ready()``, when
    given, is called once the notebook is open with its kernel idle, before its cells run."""
    if browser is not None:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        try:
            yield _rendered(page, server, notebook, ready)
        finally:
            page.close()
        return
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing; install it with: apt-get install -y chromium")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            yield _rendered(page, server, notebook, ready)
        finally:
            browser.close()


def _rendered(page: Any, server: Any, notebook: Path, ready: Callable[[], Any] | None
              ) -> tuple[Any, ConsoleLog]:
    page.set_default_timeout(60_000)
    console = ConsoleLog.attach(page)
    open_notebook(page, server, notebook)
    if ready is not None:
        ready()
    run_all(page, timeout=180)
    page.locator(".nbui-workbench .nbui-charts canvas").first.wait_for()
    return page, console


def _descendants(pid: int) -> list[int]:
    import psutil

    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def _leave_no_trace(lab: Lab, notebook: Path) -> None:
    """After a run in a shared ``lab``: its kernel shut down (and gone), its stores and
    notebook removed from the server's root, so the next run starts as in a fresh lab."""
    import psutil

    kernels = []
    for pid in kernel_pids(lab.server.process.pid):
        with contextlib.suppress(psutil.Error):
            kernels.append(psutil.Process(pid))
    shutdown_kernels(lab.server)
    _, alive = psutil.wait_procs(kernels, timeout=30)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    shutil.rmtree(lab.server.root_dir / "runs", ignore_errors=True)
    (lab.server.root_dir / notebook.name).unlink(missing_ok=True)


def run_benchmark(duration: float = 30.0, cells: int = 20, baseline_cells: int = 10,
                  strategy: str = "random", out: Path | None = DEFAULT_OUT,
                  ablate: str = "none", headless_s: float | None = None,
                  interleave: int = INTERLEAVE, pin: bool = False,
                  process: bool = False, thread: bool = False,
                  lab: Lab | None = None) -> dict[str, Any]:
    """Start JupyterLab and Chromium (or use ``lab``'s, :func:`open_lab`), measure, write
    ``out`` (unless None), return the summary. ``ablate`` (a key of ``ABLATIONS``) takes a
    part of the workbench away;
    ``headless_s``: seconds of each run without it (None: ``duration``); ``interleave``:
    segments of each search, alternating (0: the runs without it before and after);
    ``pin``: the kernel on a CPU of its own, the rest on the others (``benchmarks/processes.py``);
    ``process``: the estimator in a module; ``thread``: the workbench's search on a kernel
    thread (``Workbench(process=False)``), and the search without it so too; ``lab``: a
    server and Chromium to use (their processes pinned as ``pin`` says for the run)."""
    _check(duration, cells, baseline_cells, headless_s, interleave)
    if process and thread:
        raise ValueError("--process puts the estimator in a module for a search in its own "
                         "process; --thread keeps the search on a kernel thread: give one")
    if ablate not in ABLATIONS:
        raise ValueError(f"--ablate must be one of {sorted(ABLATIONS)}, got {ablate!r}")
    own_cpus = os.sched_getaffinity(0)
    kernel_cpu, rest = split_cpus(own_cpus) if pin else (None, [])
    if lab is None and not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing; install it with: apt-get install -y chromium")
    with tempfile.TemporaryDirectory(prefix="nbui-bench-") as tmp, \
            contextlib.ExitStack() as started:
        started.callback(os.sched_setaffinity, 0, own_cpus)
        shared = lab is not None
        if pin:  # the server, its kernel and Chromium start from this thread: they inherit
            os.sched_setaffinity(0, rest)
            if shared:  # started from it already: pinned as if they had inherited them
                started.callback(lambda: [pin_process(pid, own_cpus)
                                          for pid in _descendants(os.getpid())])
                for pid in _descendants(os.getpid()):
                    pin_process(pid, rest)
        if lab is None:
            lab = started.enter_context(open_lab(Path(tmp)))
        server = lab.server
        nb_path = _write_notebook(Path(tmp) / "ui_responsiveness.ipynb", strategy,
                                  ablate, process, thread)
        if shared:
            started.callback(_leave_no_trace, lab, nb_path)
        with workbench_page(server, nb_path, lab.browser) as (page, console):
            kernels = kernel_pids(server.process.pid)
            if pin:
                if not kernels:
                    raise RuntimeError("--pin found no kernel process to pin")
                for pid in kernels:
                    pin_process(pid, [kernel_cpu])
                for pid in browser_pids():  # the GPU process pins a rasterizer
                    pin_process(pid, rest)  # thread per CPU itself: back to rest
            figures = measure(page, duration, cells, baseline_cells,
                              server.process.pid, headless_s, interleave)
            figures["console_errors"] = console.errors[:20]
            figures["cpus"] = cpus_in_use(kernels)
    med, lag = figures["cell_ms"]["during_search"]["median"], figures["chart_lag_s"]["max"]
    ratio = rate_ratio(figures["search"])
    summary = {
        "benchmark": "ui_responsiveness",
        "command": "python benchmarks/ui_responsiveness.py " + " ".join(
            [f"--duration {duration:g}", f"--cells {cells}", f"--baseline-cells {baseline_cells}",
             f"--strategy {strategy}", *([f"--ablate {ablate}"] if ablate != "none" else []),
             *([f"--headless-seconds {headless_s:g}"] if headless_s is not None else []),
             f"--interleave {interleave}", *(["--pin"] if pin else []),
             *(["--process"] if process else []), *(["--thread"] if thread else [])]),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "load_avg_1m": round(os.getloadavg()[0], 2), **_versions()},
        "settings": {"duration_s": duration, "cells": cells, "baseline_cells": baseline_cells,
                     "space": "nb201", "strategy": strategy, "estimator": "synthetic",
                     "storage": "sqlite file", "ablate": ablate,
                     "headless_s": duration if headless_s is None else headless_s,
                     "interleave": interleave, "pin": pin,
                     # with --process, "search" in kernel_threads is the thread that
                     # follows the search's process, whose cores count as the server's
                     # (its parent's parent) in cpu_cores
                     "process": process, "thread": thread},
        "targets": {"cell_ms_median": TARGET_CELL_MS, "chart_lag_s_max": TARGET_LAG_S,
                    "rate_ratio": TARGET_RATE_RATIO},
        "meets_targets": {
            "cell_ms_median": med is not None and med < TARGET_CELL_MS,
            # None: an ablation that shows no chart has no lag to judge
            "chart_lag_s_max": None if ablate != "none" else (
                lag is not None and lag < TARGET_LAG_S
                and figures["chart_lag_s"]["not_shown"] == 0),
            # an ablated workbench is a diagnosis, never the workbench's own figure
            "rate_ratio": None if ablate != "none" else (
                ratio is not None and ratio >= TARGET_RATE_RATIO),
        },
        "rate_ratio": ratio,
        **figures,
    }
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def main(argv: Sequence[str] | None = None, lab: Lab | None = None) -> dict[str, Any]:
    """Command line entry: parse ``argv``, run (in ``lab`` when given), print the JSON
    summary and return it."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=30.0, help="seconds of search (30)")
    ap.add_argument("--cells", type=int, default=20, help="trivial cells during the search")
    ap.add_argument("--baseline-cells", type=int, default=10, help="trivial cells before it")
    ap.add_argument("--strategy", default="random", help="search strategy (random)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON")
    ap.add_argument("--ablate", choices=sorted(ABLATIONS), default="none",
                    help="take a part of the workbench away to measure its cost: 'charts' "
                         "(the charts get no trials) or 'poll' (no store poller)")
    ap.add_argument("--headless-seconds", type=float, default=None,
                    help="with --interleave 0: seconds of each run without the workbench "
                         "(--duration)")
    ap.add_argument("--interleave", type=int, default=INTERLEAVE,
                    help="segments of each search, alternating W U U W ... "
                         f"(benchmarks/ui_phases.py; {INTERLEAVE}); 0: the search without "
                         "the workbench runs before Start and after Stop")
    ap.add_argument("--pin", action="store_true",
                    help="the kernel on a CPU of its own, JupyterLab's server and Chromium "
                         "on the others: the page does not share the kernel's CPUs, as on "
                         "Binder or a hub where it runs on the user's machine "
                         "(benchmarks/processes.py; Linux)")
    ap.add_argument("--process", action="store_true",
                    help="the estimator in a module (by default it is a notebook cell's, "
                         "which the search's own process gets by value); the JSON's "
                         "search_in says where each search ran")
    ap.add_argument("--thread", action="store_true",
                    help="Workbench(process=False): the search on a kernel thread, as on "
                         "one CPU (Binder); the search without the workbench so too")
    args = ap.parse_args(argv)
    summary = run_benchmark(args.duration, args.cells, args.baseline_cells, args.strategy,
                            args.out, args.ablate, args.headless_seconds, args.interleave,
                            args.pin, args.process, args.thread, lab)
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()

"""Interleaved phases for ``benchmarks/ui_responsiveness.py``: the search's rate with the
workbench and without it, measured in alternating segments of one run each.

This machine's speed drifts by a third within minutes. Measured one after the other (a
run without the workbench before Start, one with it, one after Stop), a workbench that
does nothing during the search (``--ablate poll``) scored 0.81 in a 60 s run on
2026-12-06: one run's noise was about +-0.1. Here both
searches run in the same kernel, each paused while the other runs, in the order
``W U U W W U U W ...`` (``W``: without the workbench, ``U``: the workbench's own run,
driven by clicks on its Resume and Pause buttons). Each keeps its own store, so both
stores grow alike, and a drift that is linear over four segments cancels.

Each search is started and paused once before the first segment (not measured: the
first ``start()`` loads the data set and imports scikit-learn). A segment's rate counts
the trials whose ``finished_at`` (the kernel's clock, the same machine's as the
benchmark's) falls inside the segment. While the search without it runs, the workbench
shows its paused run: its poller reads an unchanged store ten times a second.

Around each segment the kernel reports the CPU seconds of each of its threads
(``/proc/self/task``, by the thread's Python name): ``thread_cores`` splits the kernel's
cores into the running search, the workbench's poller and chart threads, and the rest.
The search is one Python thread, so the poller's and the charts' share is time it cannot
hold the GIL.

Example (the pure helpers):
    >>> schedule(4)
    ['W', 'U', 'U', 'W', 'W', 'U', 'U', 'W']
    >>> in_windows([0.5, 1.5, 2.5, 3.5], [(1.0, 2.0), (3.0, 4.0)])
    (2, 2.0)
    >>> thread_group("nasbench-random-nb201-1"), thread_group("nbui-poller")
    ('search', 'poller')
"""

from __future__ import annotations

import bisect
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.processes import sched_rates, sched_totals

__all__ = ["HEADLESS_SEGMENT", "HEADLESS_SETUP", "THREAD_CPU", "THREAD_CPU_SETUP", "UI_WARM",
           "first_delays", "in_windows", "measure_interleaved", "schedule", "thread_cores",
           "thread_group"]

# the search without the workbench, in the benchmark's kernel (its SETUP_CELL defines
# nb, STRATEGY and wb, and registers "synthetic"): made, started and paused once, not
# measured; where the workbench starts its own (a process of its own, or a kernel thread)
HEADLESS_SETUP = """\
import time as _t
_wexp = nb.Experiment("nb201", strategy=STRATEGY, estimator="synthetic", trials=10**6,
                      storage="runs/ui_responsiveness_without.db", dataset="digits")
_wexp.start(process=wb.search.in_process(_wexp)); _t.sleep({warmup})
_wend = _t.time() + 120  # on a loaded machine its process may still be starting
while not _wexp.finished_trials() and _t.time() < _wend:
    _t.sleep(0.05)
_wexp.pause()
_wwin = []
print(len(_wwin))"""

# the workbench's search, until its first trial has finished (at most 120 s)
UI_WARM = """\
_uend = _t.time() + 120
while not wb.experiment.finished_trials() and _t.time() < _uend:
    _t.sleep(0.05)
print(len(wb.experiment.finished_trials()))"""

# defines ``_nbui_thread_cpu()`` in the kernel: ``THREAD_CPU`` prints it
THREAD_CPU_SETUP = """\
def _nbui_thread_cpu():
    import json, os, threading
    tick, out = os.sysconf("SC_CLK_TCK"), {}
    for th in threading.enumerate():
        try:
            with open(f"/proc/self/task/{th.native_id}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        out[f"{th.name}#{th.native_id}"] = (int(fields[11]) + int(fields[12])) / tick
    return json.dumps(out)"""

# the CPU seconds of each of the kernel's threads, as {"name#native id": seconds}
THREAD_CPU = "print(_nbui_thread_cpu())"

#: the kernel's threads by the prefix of their Python names (the rest: "other")
THREAD_GROUPS = (("nasbench-", "search"), ("nbui-poller", "poller"), ("nbui-charts", "charts"))

# one segment of it: resume, run, pause; the window in the kernel's clock
HEADLESS_SEGMENT = """\
_a = _t.time(); _wexp.resume(); _t.sleep({seconds}); _wexp.pause(); _wwin.append((_a, _t.time()))
print(len(_wwin))"""

# its windows, each with the trials that finished inside it (counted in the kernel:
# printed, 100k finish times passed the server's IOPub data rate limit)
HEADLESS_RESULT = """\
import bisect as _b, json as _j
_wf = sorted(t.finished_at for t in _wexp.finished_trials() if t.finished_at is not None)
_wi = [(a, b, _b.bisect_left(_wf, a), _b.bisect_right(_wf, b)) for a, b in _wwin]
print(_j.dumps([[a, b, j - i, _wf[i] if j > i else None] for a, b, i, j in _wi]))"""


def schedule(segments: int) -> list[str]:
    """The order of ``segments`` segments of each kind: ``W U U W`` repeated (``W``:
    without the workbench); an odd count ends with ``W U``.

    Example:
        >>> schedule(1), schedule(3)
        (['W', 'U'], ['W', 'U', 'U', 'W', 'W', 'U'])
    """
    if isinstance(segments, bool) or not isinstance(segments, int) or segments < 1:
        raise ValueError(f"need at least one segment of each kind, got {segments!r}")
    order: list[str] = []
    for i in range(segments):
        order += ["W", "U"] if i % 2 == 0 else ["U", "W"]
    return order


def in_windows(times: Sequence[float], windows: Sequence[tuple[float, float]]
               ) -> tuple[int, float]:
    """(how many of the sorted ``times`` fall inside the ``windows``, their total length).

    Example:
        >>> in_windows([1.0, 2.0, 2.0, 9.0], [(1.0, 2.0)])
        (3, 1.0)
    """
    n, span = 0, 0.0
    for a, b in windows:
        if b < a:
            raise ValueError(f"a window ends before it starts: {(a, b)}")
        n += bisect.bisect_right(times, b) - bisect.bisect_left(times, a)
        span += b - a
    return n, span


def first_delays(times: Sequence[float], windows: Sequence[tuple[float, float]]
                 ) -> list[float | None]:
    """Seconds from each window's start to the first of the sorted ``times`` inside it
    (None when none is): how long a Resume took to reach the search.

    Example:
        >>> first_delays([0.5, 1.25, 1.5, 9.0], [(1.0, 2.0), (3.0, 4.0)])
        [0.25, None]
    """
    out: list[float | None] = []
    for a, b in windows:
        i = bisect.bisect_left(times, a)
        out.append(round(times[i] - a, 3) if i < len(times) and times[i] <= b else None)
    return out


def _add(total: dict[str, float], rates: dict[str, float], wall: float) -> None:
    """Add ``rates`` (per second) over ``wall`` seconds to the running ``total``."""
    for key, rate in rates.items():
        total[key] = total.get(key, 0.0) + rate * wall


def _per_second(totals: dict[str, dict[str, float]], walls: dict[str, float]
                ) -> dict[str, dict[str, float]]:
    """Each kind's totals (see :func:`_add`) per second of its segments ({} for a kind
    that had none).

    Example:
        >>> _per_second({"U": {"kernel": 3.0}, "W": {}}, {"U": 2.0, "W": 0.0})
        {'U': {'kernel': 1.5}, 'W': {}}
    """
    return {k: {g: round(v / walls[k], 3) for g, v in totals[k].items()} if walls[k] else {}
            for k in ("U", "W")}


def _rate(times: Sequence[float], windows: Sequence[tuple[float, float]]) -> float | None:
    n, span = in_windows(times, windows)
    return round(n / span, 1) if span > 0 else None


def thread_group(name: str) -> str:
    """The group of a kernel thread named ``name`` (``THREAD_GROUPS``, else "other")."""
    for prefix, group in THREAD_GROUPS:
        if name.startswith(prefix):
            return group
    return "other"


def thread_cores(before: dict[str, float], after: dict[str, float], wall: float
                 ) -> dict[str, float]:
    """Cores used by each thread group between two ``THREAD_CPU`` readings ``wall``
    seconds apart (a thread that started meanwhile counts from zero; one that ended
    is missed).

    Example:
        >>> thread_cores({"nbui-poller#7": 1.0}, {"nbui-poller#7": 1.5,
        ...              "nasbench-exp-1#9": 4.0}, 5.0)
        {'search': 0.8, 'poller': 0.1, 'charts': 0.0, 'other': 0.0}
    """
    cores = {g: 0.0 for _, g in THREAD_GROUPS} | {"other": 0.0}
    for key, seconds in after.items():
        used = seconds - before.get(key, 0.0)
        cores[thread_group(key.rsplit("#", 1)[0])] += used / wall if wall > 0 else 0.0
    return {g: round(c, 3) for g, c in cores.items()}


def measure_interleaved(page: Any, duration: float, segments: int, cells: int,
                        run_code: Callable[..., str], run_cell: Callable[[], float],
                        ui_finish_times: Callable[[], list[float]],
                        cpu: Callable[[], dict[str, Any]],
                        cpu_shares: Callable[..., dict[str, float]],
                        warmup: float = 2.0) -> dict[str, Any]:
    """Run both searches in alternating segments (``duration`` seconds of each in all)
    and return the rates, the windows and the cores used per kind. ``cells`` trivial
    cells (``run_cell()``, their times in ms) are spread over the workbench's segments.
    ``run_code(code, timeout=...)`` runs code in the kernel, ``ui_finish_times()``
    reads the workbench run's sorted finish times, ``cpu()`` and ``cpu_shares(a, b,
    seconds)`` are ``processes.cpu_seconds`` (bound) and ``processes.cpu_shares``."""
    order = schedule(segments)
    seg = duration / segments
    run_code(THREAD_CPU_SETUP, timeout=60)
    run_code(HEADLESS_SETUP.format(warmup=warmup), timeout=warmup + 120)
    page.locator("button.nbui-start").click()  # a real click, as a user starts a search
    time.sleep(warmup)
    # both searches warm until a trial has finished, so that no segment holds a start
    # (a loaded machine once left the first segment of a search's process empty)
    run_code(UI_WARM, timeout=150)
    # where the workbench's default put its search: a process of its own, or a thread
    search_in = run_code("print('process' if wb.experiment.process_id else 'kernel thread')",
                         timeout=60).strip()
    # each search's own process (with --process), for how long it ran and waited for a
    # CPU in its segments (/proc schedstat); on a kernel thread the kernel's threads say
    pids = {k: (int(p) if p != "None" else None) for k, p in zip("UW", run_code(
        "print(wb.experiment.process_id, _wexp.process_id)", timeout=60).split(), strict=True)}
    sched: dict[str, dict[str, float]] = {"U": {}, "W": {}}
    page.locator("button.nbui-pause").click()
    time.sleep(0.5)
    ui_windows: list[tuple[float, float]] = []
    used: dict[str, dict[str, float]] = {"U": {}, "W": {}}
    threads: dict[str, dict[str, float]] = {"U": {}, "W": {}}
    walls = {"U": 0.0, "W": 0.0}
    during: list[float] = []
    per_seg = -(-cells // segments)  # cells in each of the workbench's segments
    for kind in order:
        th0 = json.loads(run_code(THREAD_CPU, timeout=60))
        c0, s0, t0 = cpu(), sched_totals(pids[kind]), time.time()
        if kind == "W":
            run_code(HEADLESS_SEGMENT.format(seconds=seg), timeout=seg + 120)
        else:
            page.locator("button.nbui-resume").click()
            a = time.time()
            for i in range(min(per_seg, cells - len(during))):
                time.sleep(max(0.0, a + (i + 0.5) * seg / per_seg - time.time()))
                during.append(run_cell())
            time.sleep(max(0.0, a + seg - time.time()))
            page.locator("button.nbui-pause").click()
            ui_windows.append((a, time.time()))
        wall = time.time() - t0
        walls[kind] += wall
        _add(sched[kind], sched_rates(s0, sched_totals(pids[kind]), wall), wall)
        _add(used[kind], cpu_shares(c0, cpu(), wall), wall)
        th1 = json.loads(run_code(THREAD_CPU, timeout=60))
        _add(threads[kind], thread_cores(th0, th1, wall), wall)
        time.sleep(0.5)  # a paused search lets its last trial finish
    page.locator("button.nbui-stop").click()

    w_counts = json.loads(run_code(HEADLESS_RESULT, timeout=120))
    run_code("_wexp.stop()", timeout=120)
    u_times = ui_finish_times()
    w_trials = sum(n for _, _, n, _ in w_counts)
    w_span = sum(b - a for a, b, _, _ in w_counts)
    return {
        "ui_rate": _rate(u_times, ui_windows),
        "without_rate": round(w_trials / w_span, 1) if w_span > 0 else None,
        "ui_rates": [_rate(u_times, [w]) for w in ui_windows],
        "without_rates": [round(n / (b - a), 1) if b > a else None for a, b, n, _ in w_counts],
        # seconds from each segment's start (a click on Resume, or resume() in the kernel)
        # to its first finished trial: the request's way to the search, not its rate
        "ui_first_s": first_delays(u_times, ui_windows),
        "without_first_s": [None if f is None else round(f - a, 3) for a, _, _, f in w_counts],
        "order": "".join(order),
        "search_in": search_in,
        "segment_s": round(seg, 2),
        "ui_trials": in_windows(u_times, ui_windows)[0],
        "without_trials": w_trials,
        "ui_finish_times": u_times,
        "cells_ms": during,
        # cores used per process group in each kind of segment (one core: 1.0)
        "cores": _per_second(used, walls),
        # the search's own process per second of its segments: seconds run, seconds
        # waited for a CPU while it could run, preemptions (None: on a kernel thread)
        "search_sched": {k: (v or None) if pids[k] else None
                         for k, v in _per_second(sched, walls).items()},
        # cores used by each group of the kernel's threads (``thread_cores``)
        "kernel_threads": _per_second(threads, walls),
    }

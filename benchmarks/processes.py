"""The benchmark's processes: the CPU seconds of each group (the kernel, JupyterLab's
server, Chromium) for the cores each used over a window, and, for
``ui_responsiveness.py --pin``, the kernel on a CPU of its own, everything else (the
server, Chromium, Playwright, the benchmark) on the others.

On Binder or a JupyterHub the page runs on the user's machine: the kernel does not share
its CPUs with the browser. On this 2-core machine the page (Chromium) does, and took 0.5
to 0.7 of a core while the workbench drew a fast search. ``--pin`` measures the
workbench's cost to the search without that sharing: the benchmark process pins itself
(so the server, the kernel and Chromium it starts inherit the other CPUs), then moves
every thread of the kernel onto the first CPU; threads the kernel starts later (the
search's, the workbench's) inherit it from the thread that starts them. Chromium's GPU
process pins a rasterizer thread per CPU itself, so its threads are pinned back once the
page is open.

Linux only (``os.sched_setaffinity``, ``/proc``). Example (the pure helper):
    >>> split_cpus({3, 0, 1})
    (0, [1, 3])
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["affinity", "browser_pids", "cpu_seconds", "cpu_shares", "cpus_in_use",
           "kernel_pids", "pin_process", "sched_rates", "sched_totals", "split_cpus"]


def split_cpus(cpus: Iterable[int]) -> tuple[int, list[int]]:
    """(the kernel's CPU, the others') from the CPUs this process may use; ValueError
    with fewer than two."""
    ordered = sorted(set(cpus))
    if len(ordered) < 2:
        raise ValueError(f"--pin needs at least 2 CPUs to split, this process may use "
                         f"{ordered}")
    return ordered[0], ordered[1:]


def _threads(pid: int) -> list[int]:
    try:
        return [int(t) for t in os.listdir(Path("/proc") / str(pid) / "task")]
    except FileNotFoundError:
        return []


def pin_process(pid: int, cpus: Iterable[int]) -> int:
    """Pin every thread of process ``pid`` to ``cpus``; return how many were pinned (a
    thread that ends meanwhile is skipped)."""
    cpus = set(cpus)
    pinned = 0
    for tid in _threads(pid):
        try:
            os.sched_setaffinity(tid, cpus)
            pinned += 1
        except (ProcessLookupError, FileNotFoundError):
            pass
    return pinned


def sched_totals(pid: int | None) -> tuple[float, float, int]:
    """(seconds run, seconds waited for a CPU while runnable, involuntary switches) of all
    threads of process ``pid`` so far, from ``/proc/<pid>/task/*/schedstat`` and
    ``status``; zeros for None or a process that has ended."""
    run = wait = preempted = 0
    for tid in _threads(pid) if pid is not None else []:
        task = Path("/proc") / str(pid) / "task" / str(tid)
        try:
            fields = (task / "schedstat").read_text().split()
            status = (task / "status").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        run, wait = run + int(fields[0]), wait + int(fields[1])
        for line in status.splitlines():
            if line.startswith("nonvoluntary_ctxt_switches:"):
                preempted += int(line.split()[1])
    return run / 1e9, wait / 1e9, preempted


def sched_rates(before: tuple[float, float, int], after: tuple[float, float, int],
                wall_s: float) -> dict[str, float]:
    """Per second of a ``wall_s`` window, from two :func:`sched_totals`: the seconds a
    process ran, the seconds it waited for a CPU while it could run, and how often it
    was preempted.

    Example:
        >>> sched_rates((1.0, 0.1, 10), (2.8, 0.3, 210), 2.0)
        {'run_s': 0.9, 'wait_s': 0.1, 'preempted': 100.0}
    """
    return {"run_s": round((after[0] - before[0]) / wall_s, 3),
            "wait_s": round((after[1] - before[1]) / wall_s, 3),
            "preempted": round((after[2] - before[2]) / wall_s, 1)}


def affinity(pid: int) -> list[int]:
    """The CPUs any thread of process ``pid`` may use now (the union over its threads;
    [] once it has ended)."""
    cpus: set[int] = set()
    for tid in _threads(pid):
        with contextlib.suppress(ProcessLookupError, FileNotFoundError):
            cpus |= os.sched_getaffinity(tid)
    return sorted(cpus)


def cpu_seconds(server_pid: int | None, others: dict[int, str] | None = None
                ) -> dict[str, Any]:
    """CPU seconds used so far by each process of the kernel (the server's ipykernel
    children), the server, Chromium (:func:`browser_pids`), and the whole
    machine's busy time (all cores): ``{"procs": {pid: [group, seconds]}, "machine": s}``,
    for the cores each group used over a window (:func:`cpu_shares`). ``others`` adds
    processes by pid, each in its named group."""
    import psutil

    procs: dict[int, list[Any]] = {}

    def add(proc: Any, group: str) -> None:
        try:
            t = proc.cpu_times()
            procs[proc.pid] = [group, float(t.user + t.system)]
        except psutil.Error:
            pass

    if server_pid is not None:
        try:
            server = psutil.Process(server_pid)
            add(server, "server")
            for child in server.children(recursive=True):
                add(child, "kernel" if _is_kernel(child) else "server")
        except psutil.Error:
            pass
    for pid in browser_pids():
        with contextlib.suppress(psutil.Error):
            add(psutil.Process(pid), "browser")
    for pid, group in (others or {}).items():
        with contextlib.suppress(psutil.Error):
            add(psutil.Process(pid), group)
    t = psutil.cpu_times()
    return {"procs": procs, "machine": float(t.user + t.nice + t.system + t.irq + t.softirq)}


def kernel_pids(server_pid: int) -> list[int]:
    """The server's ipykernel children."""
    import psutil

    try:
        children = psutil.Process(server_pid).children(recursive=True)
    except psutil.Error:
        return []
    pids = []
    for child in children:
        with contextlib.suppress(psutil.Error):
            if _is_kernel(child):
                pids.append(child.pid)
    return pids


def _is_kernel(proc: Any) -> bool:
    """Whether a server's child process is a kernel (psutil.Error if it has ended)."""
    return "ipykernel" in " ".join(proc.cmdline())


def browser_pids() -> list[int]:
    """The processes named chrom* that this process started (its Chromium, through
    Playwright's driver), as ``cpu_seconds`` counts them. Not every one on the machine:
    beside another test worker's browser tests, ``--pin`` pinned their Chromium too, and
    one started later made the benchmark's read back as on every CPU."""
    import psutil

    try:
        mine = psutil.Process().children(recursive=True)
    except psutil.Error:
        return []
    pids = []
    for proc in mine:
        with contextlib.suppress(psutil.Error):
            if "chrom" in proc.name().lower():
                pids.append(proc.pid)
    return pids


def cpus_in_use(kernels: Sequence[int]) -> dict[str, list[int]]:
    """The CPUs the kernel's threads and Chromium's may use now (read back: ``--pin``
    keeps them apart)."""
    browser = {c for pid in browser_pids() for c in affinity(pid)}
    kernel = sorted({c for pid in kernels for c in affinity(pid)})
    return {"kernel": kernel, "browser": sorted(browser)}


def cpu_shares(before: dict[str, Any], after: dict[str, Any], wall_s: float
               ) -> dict[str, float]:
    """Cores used per group over a window of ``wall_s`` seconds, from two
    :func:`cpu_seconds`; a process started within the window counts from zero, one that
    ended within it is left out (its last seconds are unknown); ``other`` is the rest of
    the machine's busy time.

    Example:
        >>> a = {"procs": {1: ["kernel", 1.0], 2: ["browser", 3.0]}, "machine": 2.0}
        >>> b = {"procs": {1: ["kernel", 2.0], 3: ["browser", 0.5]}, "machine": 5.0}
        >>> cpu_shares(a, b, 2.0)
        {'kernel': 0.5, 'server': 0.0, 'browser': 0.25, 'machine': 1.5, 'other': 0.75}
    """
    used = {"kernel": 0.0, "server": 0.0, "browser": 0.0}
    for pid, (group, secs) in after["procs"].items():
        was = before["procs"].get(pid)
        used[group] = used.get(group, 0.0) + secs - (was[1] if was and was[0] == group else 0.0)
    out = {k: round(v / wall_s, 3) for k, v in used.items()}
    out["machine"] = round((after["machine"] - before["machine"]) / wall_s, 3)
    out["other"] = round(out["machine"] - sum(out[k] for k in used), 3)
    return out

"""CPU affinity for ``benchmarks/ui_responsiveness.py --pin``: the kernel on a CPU of its
own, everything else (JupyterLab's server, Chromium, Playwright, the benchmark) on the
others.

On Binder or a JupyterHub the page runs on the user's machine: the kernel does not share
its CPUs with the browser. On this 2-core machine the page (Chromium) does, and took 0.5
to 0.7 of a core while the workbench drew a fast search. ``--pin`` measures the
workbench's cost to the search without that sharing: the benchmark process pins itself
(so the server, the kernel and Chromium it starts inherit the other CPUs), then moves
every thread of the kernel onto the first CPU; threads the kernel starts later (the
search's, the workbench's) inherit it from the thread that starts them.

Linux only (``os.sched_setaffinity``). Example (the pure helper):
    >>> split_cpus({3, 0, 1})
    (0, [1, 3])
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

__all__ = ["affinity", "pin_process", "split_cpus"]


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


def affinity(pid: int) -> list[int]:
    """The CPUs any thread of process ``pid`` may use now (the union over its threads;
    [] once it has ended)."""
    cpus: set[int] = set()
    for tid in _threads(pid):
        with contextlib.suppress(ProcessLookupError, FileNotFoundError):
            cpus |= os.sched_getaffinity(tid)
    return sorted(cpus)

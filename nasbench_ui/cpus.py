"""What this process may use of the machine's CPUs, and how busy they are: its CPU
affinity, the cgroup CPU quota (v2 ``cpu.max``; v1 ``cpu.cfs_quota_us`` /
``cpu.cfs_period_us``) that Binder and JupyterHub pods run under, whether OpenMP's
waiting threads sleep (``OMP_WAIT_POLICY``), and the runnable tasks of ``/proc/loadavg``.
:mod:`nasbench_ui.threads` chooses a trial's torch threads from these readings.

Example:
    >>> parse_cpu_max("150000 100000"), parse_cpu_max("max 100000")
    (1.5, None)
    >>> usable_cpus() >= 1
    True
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Mapping
from pathlib import Path

__all__ = ["CGROUP_ROOT", "LOAD_SAMPLES", "PROC_CGROUP", "PROC_LOADAVG", "affinity_cpus",
           "busy_cpus", "cgroup_cpus", "parse_cfs", "parse_cpu_max", "parse_runnable",
           "passive_wait", "usable_cpus"]

CGROUP_ROOT = "/sys/fs/cgroup"
PROC_CGROUP = "/proc/self/cgroup"
PROC_LOADAVG = "/proc/loadavg"
LOAD_SAMPLES = 3


# -- usable CPUs ---------------------------------------------------------------------------

def affinity_cpus() -> int:
    """The CPUs this process may run on (``os.sched_getaffinity``, else ``os.cpu_count``)."""
    if hasattr(os, "sched_getaffinity"):  # absent on macOS and Windows
        with contextlib.suppress(OSError):
            return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def parse_cpu_max(text: str) -> float | None:
    """CPUs allowed by a cgroup v2 ``cpu.max`` (``"QUOTA PERIOD"``; ``"max ..."``: None).

    Example:
        >>> parse_cpu_max("50000 100000")
        0.5
    """
    parts = text.split()
    if not parts or parts[0] == "max":
        return None
    try:
        quota = int(parts[0])
        period = int(parts[1]) if len(parts) > 1 else 100_000
    except ValueError:
        raise ValueError(f"cpu.max must read 'QUOTA PERIOD' or 'max PERIOD', got {text!r}") \
            from None
    return quota / period if quota > 0 and period > 0 else None


def parse_cfs(quota: str, period: str) -> float | None:
    """CPUs allowed by cgroup v1 ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` (-1: None).

    Example:
        >>> parse_cfs("200000", "100000"), parse_cfs("-1", "100000")
        (2.0, None)
    """
    try:
        q, p = int(quota.strip()), int(period.strip())
    except ValueError:
        raise ValueError(f"cpu.cfs_quota_us and cpu.cfs_period_us must be integers, got "
                         f"{quota.strip()!r} and {period.strip()!r}") from None
    return q / p if q > 0 and p > 0 else None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii", errors="replace")
    except OSError:
        return None


def _dirs(mount: Path, rel: str) -> list[Path]:
    """``mount/rel`` and its parents up to ``mount`` (the quota of every level applies)."""
    out = [mount]
    parts = [p for p in rel.strip().split("/") if p and p != ".."]
    for i in range(1, len(parts) + 1):
        out.append(mount.joinpath(*parts[:i]))
    return out


def cgroup_cpus(root: str | Path = CGROUP_ROOT, proc_cgroup: str | Path = PROC_CGROUP) \
        -> float | None:
    """The cgroup CPU quota of this process in CPUs, or None when unlimited or unknown.

    Reads cgroup v2 ``cpu.max`` and v1 ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` at
    the process's cgroup (from ``proc_cgroup``) and every level above it; the smallest
    limit found applies.
    """
    root = Path(root)
    v2_rel, v1_rel = "/", "/"
    for line in (_read(Path(proc_cgroup)) or "").splitlines():
        fields = line.split(":", 2)
        if len(fields) != 3:
            continue
        if fields[0] == "0" and fields[1] == "":
            v2_rel = fields[2]
        elif "cpu" in fields[1].split(","):
            v1_rel = fields[2]
    limits: list[float] = []
    for d in _dirs(root, v2_rel):
        text = _read(d / "cpu.max")
        if text is not None:
            value = parse_cpu_max(text)
            if value is not None:
                limits.append(value)
    for mount in (root / "cpu", root / "cpu,cpuacct", root / "cpuacct,cpu"):
        for d in _dirs(mount, v1_rel):
            quota, period = _read(d / "cpu.cfs_quota_us"), _read(d / "cpu.cfs_period_us")
            if quota is not None and period is not None:
                value = parse_cfs(quota, period)
                if value is not None:
                    limits.append(value)
    return min(limits) if limits else None


def usable_cpus(root: str | Path = CGROUP_ROOT, proc_cgroup: str | Path = PROC_CGROUP) -> int:
    """The affinity's CPU count, capped by the cgroup quota rounded up (at least 1).

    Example:
        >>> usable_cpus() >= 1
        True
    """
    cpus = affinity_cpus()
    quota = cgroup_cpus(root, proc_cgroup)
    if quota is not None:
        cpus = min(cpus, max(1, math.ceil(quota - 1e-9)))
    return cpus


# -- the wait policy and the other work on the machine --------------------------------------

def passive_wait(environ: Mapping[str, str] | None = None) -> bool:
    """Whether OpenMP's waiting threads sleep: ``OMP_WAIT_POLICY=PASSIVE`` in the environment.

    OpenMP reads it when torch loads; the environment of this process is what it saw,
    unless the variable was changed since.

    Example:
        >>> passive_wait({"OMP_WAIT_POLICY": "passive"}), passive_wait({})
        (True, False)
    """
    env = os.environ if environ is None else environ
    return env.get("OMP_WAIT_POLICY", "").strip().upper() == "PASSIVE"


def parse_runnable(text: str) -> int:
    """The runnable task count of a ``/proc/loadavg`` line (its fourth field, ``R/T``).

    Example:
        >>> parse_runnable("2.84 1.60 0.70 3/129 9785")
        3
    """
    fields = text.split()
    try:
        return int(fields[3].split("/")[0])
    except (IndexError, ValueError):
        raise ValueError(f"a /proc/loadavg line reads 'L1 L5 L15 R/T PID', got {text!r}") \
            from None


def busy_cpus(path: str | Path = PROC_LOADAVG, samples: int = LOAD_SAMPLES) -> float:
    """CPUs that other runnable tasks hold now (the least of ``samples`` readings).

    Each reading counts the caller itself as runnable, so one is subtracted. Without
    ``/proc/loadavg`` the 1-minute load average stands in.
    """
    seen: list[int] = []
    for i in range(max(1, samples)):
        text = _read(Path(path))
        if text is None:
            break
        with contextlib.suppress(ValueError):
            seen.append(parse_runnable(text) - 1)
        if i + 1 < samples:
            time.sleep(0.002)
    if seen:
        return float(max(0, min(seen)))
    with contextlib.suppress(OSError, AttributeError):
        return float(os.getloadavg()[0])
    return 0.0

"""How many intra-op threads torch uses for one trial: fast on a machine that is not quiet.

torch starts one intra-op (OpenMP) thread per CPU it may use. For the small networks of
a search that is often the slowest choice, and on a busy machine by far: OpenMP's
threads spin while they wait for each other, and a spinning thread that shares its core
with another process waits for a whole time slice. Measured on a 2-core machine (eight
``early_stop`` trials of ``mlp`` on digits, 4 epochs, subset 0.5; see
``benchmarks/threads.py`` for the table with 0, 1 and 2 competing busy processes):

* 2 threads (torch's default) with two competing processes: 44-60 s;
* 2 threads with ``OMP_WAIT_POLICY=PASSIVE`` set before torch loads: 5.1 s;
* 1 thread: 2.6-4.8 s (quiet: 2.6-2.8 s; 2 threads quiet: 3.5 s).

A training step of one batch gains from a second thread only when the batch is large
work: 1 and 2 threads were level at about 1.4e8 forward FLOPs per batch (an MLP of
width 1024 on 64 digits), and 2 threads were 1.5x faster at 3.2e8 (a small CNN on
16x16 images) and 2x at 1.3e9, on a quiet machine.

The policy of :func:`choose`, applied per trial by :func:`use`:

1. **An explicit choice wins.** An estimator's ``threads`` option (default ``None``:
   auto) is set for its trials. Otherwise the count is left as it is when it is the
   user's: ``OMP_NUM_THREADS`` (or ``MKL_NUM_THREADS``) in the environment, or a
   ``torch.set_num_threads(n)`` made before the trial that differs from torch's own
   default (the count torch had when this module was imported, if that is a count
   torch picks by itself: the CPUs of the process's affinity or of the machine).
2. **Usable CPUs**: the process's CPU affinity (``os.sched_getaffinity``) capped by the
   cgroup CPU quota (cgroup v2 ``cpu.max``, v1 ``cpu.cfs_quota_us`` /
   ``cpu.cfs_period_us``), as on Binder and JupyterHub pods, which see all of the
   host's cores but may use one or a few. One usable CPU means one thread.
3. **Work per batch**: one thread per :data:`WORK_PER_THREAD` forward FLOPs of one
   batch (at least one): every model below ``2 * WORK_PER_THREAD`` trains on one
   thread, which covers ``mlp`` and ``keras_cnn`` on digits.
4. **Wait policy**: with ``OMP_WAIT_POLICY=PASSIVE`` (waiting threads sleep) the
   usable CPUs are used. Without it (threads spin) only the CPUs that no other
   runnable task holds at the start of the trial are used (the runnable count of
   ``/proc/loadavg``, the least of a few samples, less this thread), so spinning
   threads never outnumber free cores. The wait policy is read by OpenMP when torch
   loads, usually before this package: set it where the kernel starts (Binder's
   ``binder/start`` does; a kernel spec's ``env`` can).

Trials on accelerators (``device`` other than ``"cpu"``) leave the setting alone.
:func:`use` sets the count for the trial and restores the previous one afterwards,
also on an exception. An automatic count starts at one thread, so that building the
model and counting its FLOPs do not spin either; :meth:`TrialThreads.size` then sets
the count for the model's work. ``torch.set_num_threads`` is process-wide: while one trial holds
the setting, a trial entering from another thread of the process trains with it
unchanged (the search runs its trials one at a time; Dask workers set one thread
themselves, which counts as an explicit choice).

Example:
    >>> choose(work=3e6, cpus=8, passive=True, busy=0)  # a tiny model: one thread
    1
    >>> choose(work=4.5e8, cpus=8, passive=True, busy=3)  # 4 threads' worth of work
    4
    >>> choose(work=4.5e8, cpus=8, passive=False, busy=6)  # spinning: 2 cores are free
    2
    >>> parse_cpu_max("150000 100000"), parse_cpu_max("max 100000")
    (1.5, None)
    >>> import torch
    >>> before = torch.get_num_threads()
    >>> with use(option=1) as trial:
    ...     trial.count, torch.get_num_threads()
    (1, 1)
    >>> torch.get_num_threads() == before
    True
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import torch

WORK_PER_THREAD = 1e8  # forward FLOPs of one batch that make a thread worth its cost
ENV_THREADS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
CGROUP_ROOT = "/sys/fs/cgroup"
PROC_CGROUP = "/proc/self/cgroup"
PROC_LOADAVG = "/proc/loadavg"
LOAD_SAMPLES = 3

Work = float | None | Callable[[], float | None]


TORCH_AT_IMPORT = torch.get_num_threads()  # torch's own default, unless changed before


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


# -- the choice --------------------------------------------------------------------------------

def choose(work: float | None, cpus: int, passive: bool, busy: float,
           machine_cpus: int | None = None) -> int:
    """The thread count for a trial (pure: every input is given).

    ``work`` is the forward FLOPs of one batch (None: unknown, taken as small), ``cpus``
    the usable CPUs, ``passive`` the wait policy, ``busy`` the CPUs other tasks hold and
    ``machine_cpus`` the machine's CPU count (default ``cpus``).
    """
    if cpus < 1:
        raise ValueError(f"cpus must be at least 1, got {cpus}")
    worth = 1 if work is None or not math.isfinite(work) else int(work // WORK_PER_THREAD)
    n = min(cpus, max(1, worth))
    if not passive:
        free = (machine_cpus or cpus) - math.ceil(busy - 1e-9)
        n = min(n, max(1, free))
    return n


def user_threads(environ: Mapping[str, str] | None = None, current: int | None = None,
                 baseline: int | None = None) -> str | None:
    """Why the thread count is the user's, or None when it is torch's own default.

    Example:
        >>> user_threads({"OMP_NUM_THREADS": "4"}, current=4, baseline=4)
        'OMP_NUM_THREADS=4 in the environment'
        >>> user_threads({}, current=1, baseline=2)
        'torch.set_num_threads(1) was called'
    """
    env = os.environ if environ is None else environ
    for name in ENV_THREADS:
        if env.get(name, "").strip():
            return f"{name}={env[name].strip()} in the environment"
    now = torch.get_num_threads() if current is None else current
    base = TORCH_AT_IMPORT if baseline is None else baseline
    if now != base or base not in {affinity_cpus(), os.cpu_count()}:
        return f"torch.set_num_threads({now}) was called"
    return None


def check_option(threads: int | None) -> int | None:
    """An estimator's ``threads`` option: None (auto) or a positive int."""
    if threads is None:
        return None
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be None (choose per trial) or a positive int, "
                         f"got {threads!r}")
    return threads


def describe() -> str:
    """One line on the CPU threads trials will use, for the workbench's device line.

    Example:
        >>> "thread" in describe()
        True
    """
    n = torch.get_num_threads()
    why = user_threads(current=n)
    if why is not None:
        return f"{n} thread{'s' if n != 1 else ''} ({why})"
    cpus = usable_cpus()
    policy = "sleeping" if passive_wait() else "spinning"
    return (f"threads chosen per trial, 1 for small models ({cpus} usable CPU"
            f"{'s' if cpus != 1 else ''}, {policy} OpenMP threads)")


@dataclass(frozen=True)
class Machine:
    """What the choice reads from the machine: usable CPUs, wait policy, busy CPUs."""

    cpus: int
    passive: bool
    busy: float
    machine_cpus: int

    @classmethod
    def now(cls) -> Machine:
        """Read them now (the busy CPUs only where threads spin and more than one is usable).

        Example:
            >>> Machine.now().cpus >= 1
            True
        """
        cpus, passive = usable_cpus(), passive_wait()
        busy = busy_cpus() if cpus > 1 and not passive else 0.0
        return cls(cpus, passive, busy, max(cpus, os.cpu_count() or cpus))

    def threads(self, work: float | None) -> int:
        """:func:`choose` on this machine."""
        return choose(work, self.cpus, self.passive, self.busy, self.machine_cpus)


@dataclass(frozen=True)
class Decision:
    """A trial's thread count and why (``"option"``, ``"user"``, ``"device"``, ``"auto"``,
    or ``"shared"`` inside another trial's :func:`use`)."""

    threads: int
    reason: str
    detail: str = ""
    machine: Machine | None = None  # what an automatic choice read


def decide(work: Work = None, option: int | None = None, device: str = "cpu",
           machine: Machine | None = None) -> Decision:
    """What :func:`use` sets for a trial (``work`` may be a callable, called only if needed).

    Example:
        >>> decide(option=3).threads, decide(option=3).reason
        (3, 'option')
        >>> Machine(cpus=4, passive=True, busy=0.0, machine_cpus=4).threads(2.5e8)
        2
    """
    option = check_option(option)
    if option is not None:
        return Decision(option, "option")
    current = torch.get_num_threads()
    if str(device) != "cpu":
        return Decision(current, "device", f"{device}: the CPU setting is left alone")
    why = user_threads(current=current)
    if why is not None:
        return Decision(current, "user", why)
    return _auto(work, Machine.now() if machine is None else machine)


def _auto(work: Work, machine: Machine) -> Decision:
    value = work() if callable(work) else work
    detail = (f"work {value}, usable CPUs {machine.cpus}, "
              f"{'passive' if machine.passive else f'spinning, busy CPUs {machine.busy:g}'}")
    return Decision(machine.threads(value), "auto", detail, machine)


class _Holder:
    """Who holds torch's process-wide setting: one trial at a time, restored at the end."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0


_HOLDER = _Holder()


class TrialThreads:
    """The thread count of one trial, given by :func:`use`.

    The count starts at the decision without the model's work (one thread, when
    chosen automatically); :meth:`size` sets it for the model's work once that is
    known, so that building and measuring the model run on one thread too.
    """

    def __init__(self, decision: Decision, owner: bool) -> None:
        self.decision, self.owner = decision, owner

    @property
    def count(self) -> int:
        """The thread count in effect now."""
        return torch.get_num_threads()

    def size(self, work: Work) -> int:
        """Set the count for a model of ``work`` forward FLOPs per batch (auto only).

        ``work`` may be a callable, called only when the count is chosen
        automatically. Returns the count in effect.
        """
        m = self.decision.machine
        if self.owner and self.decision.reason == "auto" and m is not None:
            # not decide(): the count set at the start would read as the user's
            self.decision = _auto(work, m)
            if self.decision.threads != torch.get_num_threads():
                torch.set_num_threads(self.decision.threads)
        return self.count


@contextlib.contextmanager
def use(work: Work = None, option: int | None = None, device: str = "cpu"
        ) -> Iterator[TrialThreads]:
    """Run a trial with :func:`decide`'s thread count; restore the previous count after.

    Without ``work`` an automatic count starts at one thread; call
    :meth:`TrialThreads.size` once the model is built. Inside another :func:`use`
    (nested, or a trial on another thread of the process) the count in effect stays.
    """
    option = check_option(option)
    with _HOLDER.lock:
        outer = _HOLDER.depth == 0
        _HOLDER.depth += 1
    try:
        if not outer:
            yield TrialThreads(Decision(torch.get_num_threads(), "shared"), False)
            return
        before = torch.get_num_threads()
        decision = decide(None, option, device)
        if decision.threads != before:
            torch.set_num_threads(decision.threads)
        try:
            trial = TrialThreads(decision, True)
            if work is not None:
                trial.size(work)
            yield trial
        finally:
            if torch.get_num_threads() != before:
                torch.set_num_threads(before)
    finally:
        with _HOLDER.lock:
            _HOLDER.depth -= 1

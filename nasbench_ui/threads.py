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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import torch

from .cpus import affinity_cpus, busy_cpus, passive_wait, usable_cpus

WORK_PER_THREAD = 1e8  # forward FLOPs of one batch that make a thread worth its cost
ENV_THREADS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")

Work = float | None | Callable[[], float | None]


TORCH_AT_IMPORT = torch.get_num_threads()  # torch's own default, unless changed before


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

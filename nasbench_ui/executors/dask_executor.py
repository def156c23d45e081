"""Run trials on Dask workers: one trial per worker, the driver alone writes the store.

``Experiment(..., workers=N)`` starts a local cluster (N processes, one thread each, all
on 127.0.0.1; :func:`~nasbench_ui.executors.cluster.start_local_cluster`) for each
search and closes it when the search ends. That cluster serves no HTTP at all (Dask's
scheduler and workers otherwise answer ``/health`` and ``/metrics`` even without a
dashboard); ``executor=DaskExecutor(n_workers=N, dashboard=True)`` (or
``make_executor(workers=N, dashboard=True)``) serves the scheduler's dashboard on a free
loopback port, at :attr:`DaskExecutor.dashboard_link` while the search runs.
``executor=`` also takes a ``distributed.Client`` or a scheduler address (that
cluster is not closed). The driver, on the experiment's search thread:

* keeps one trial in flight per worker: it asks the strategy while other trials are
  pending (evolution runs asynchronously), creates the RUNNING trial, and records the
  worker that holds it (``store.set_worker``) once the scheduler has placed it;
* ships a plain task dict to :func:`~nasbench_ui.executors.worker.run_trial` and gets a
  plain result dict back; it appends the curve, finishes the trial with the strategy
  state and counters, and tells the strategy. Workers never open the store;
* sends only the history a trial reads: nothing for an estimator that declares no
  ``HISTORY``, else the declared fields of the trials finished since that worker's
  last task (:mod:`~nasbench_ui.executors.history`), so a task's size does not grow
  with the number of trials;
* treats a worker that dies mid-trial (``KilledWorker``, closed comms, a cancelled
  future) as a FAILED trial ``"worker died: ..."``, retried under ``retries``; the
  search goes on with the workers that remain. In a cluster it starts, Dask does not
  resubmit the task itself (``allowed_failures=0``), so the fault policy decides;
* on stop, cancels the pending futures (their trials end INTERRUPTED, rerun on
  resume) and sets a ``distributed.Event`` that running estimators see in
  ``ctx.should_stop()``; on pause, submits nothing new; on ``trial_timeout``, the
  worker's ``ctx.should_stop()`` turns True, and a trial that still has not answered
  ``max(10, timeout / 2)`` s later is cancelled and FAILED.

Limits: estimators travel by registry name (their module is imported on the worker,
so it must be importable there); trained models stay on the workers, so
``best_model()`` raises for Dask trials; curve points reach the store when a trial
ends, not live. In a script, start the search under ``if __name__ == "__main__":``
(worker processes are spawned and import the main module).

Example:
    >>> import nasbench_ui as nb
    >>> exp = nb.Experiment("nb201", strategy="random", estimator="early_stop",
    ...                     estimator_options={"epochs": 1, "subset": 0.1}, trials=4,
    ...                     workers=2)  # doctest: +SKIP
    >>> sorted(exp.run().results()["state"])  # doctest: +SKIP
    ['COMPLETE', 'COMPLETE', 'COMPLETE', 'COMPLETE']
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..estimators.base import history_fields
from ..runner import Control, Event, Job, Outcome, Search, SearchHost
from ..storage import TrialState
from .history import HistoryLog

log = logging.getLogger(__name__)
INSTALL_HINT = "pip install 'nasbench_ui[dask]'"
SEQUENTIAL_STRATEGIES = ("darts",)
DIED = ("KilledWorker", "CommClosedError", "StreamClosedError", "CancelledError",
        "FutureCancelledError")
NO_WORKER_WAIT_S = 60.0
POLL_S = 0.1
PLACE_POLL_S = 0.5
TRIM_KEY = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"


def require_distributed() -> Any:
    """The ``distributed`` module, or an ImportError that says how to install it."""
    try:
        import distributed
    except ImportError as err:
        raise ImportError(f"running trials on Dask needs the `distributed` package: "
                          f"{INSTALL_HINT} ({err})") from err
    return distributed


def check_device_name(device: Any) -> str:
    """Check a device name without asking this machine for it (workers resolve it).

    Example:
        >>> check_device_name("cuda:1")
        'cuda:1'
    """
    if not isinstance(device, str) or not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", device):
        raise ValueError(f"unknown device {device!r}; use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'")
    return device


def _check_workers(workers: Any) -> None:
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise ValueError(f"workers must be a positive integer (the number of Dask worker "
                         f"processes) or None, got {workers!r}")


def make_executor(workers: Any = None, executor: Any = None,
                  dashboard: bool = False) -> DaskExecutor | None:
    """A :class:`DaskExecutor` for ``workers=N`` or ``executor=``, or None (thread loop).

    ``executor`` is a ``distributed.Client``, a scheduler address, or a
    :class:`DaskExecutor` (used as it is: ``DaskExecutor(n_workers=2, dashboard=True)``
    starts a cluster with the Dask dashboard). ``dashboard=True`` with ``workers=N``
    serves the dashboard of the cluster it starts on a free loopback port
    (:attr:`DaskExecutor.dashboard_link`); by default that cluster serves no HTTP at all.

    Example:
        >>> make_executor(workers=2, dashboard=True).dashboard
        True
        >>> make_executor(dashboard=True)
        Traceback (most recent call last):
        ...
        ValueError: dashboard=True needs workers=N (the local cluster whose dashboard it serves)
    """
    _check_workers(workers)
    if not isinstance(dashboard, bool):
        raise ValueError(f"dashboard must be True or False, got {dashboard!r}")
    if dashboard and workers is None:
        raise ValueError("dashboard=True needs workers=N (the local cluster whose dashboard it "
                         "serves)")
    if workers is not None and executor is not None:
        raise ValueError("give workers=N (a local cluster) or executor= (a distributed.Client "
                         "or a scheduler address), not both")
    if workers is None and executor is None:
        return None
    require_distributed()
    if workers is not None:
        return DaskExecutor(n_workers=workers, dashboard=dashboard)
    if isinstance(executor, DaskExecutor):
        return executor
    if isinstance(executor, str):
        if not re.fullmatch(r"(tcp|tls|inproc|ucx|ws|wss)://\S+|[\w.\-]+:\d+", executor):
            raise ValueError(f"executor {executor!r} is not a scheduler address; give one such "
                             "as 'tcp://10.0.0.5:8786', or a distributed.Client")
        return DaskExecutor(address=executor)
    if callable(getattr(executor, "submit", None)) and hasattr(executor, "scheduler_info"):
        return DaskExecutor(client=executor)
    raise ValueError(f"executor must be None, a distributed.Client, a scheduler address "
                     f"('tcp://host:port') or a DaskExecutor, got {type(executor).__name__}")


class DaskExecutor:
    """Dask client holder: a cluster it starts (``n_workers``), an address, or a client.

    :meth:`start` connects (starting the cluster); :meth:`close` releases what it
    started. ``client`` is the live ``distributed.Client`` between the two. The cluster
    it starts listens on 127.0.0.1 only and serves no HTTP; ``dashboard=True`` serves
    the scheduler's Dask dashboard on a free loopback port, at :attr:`dashboard_link`
    while the cluster runs. Pass one as ``Experiment(..., executor=DaskExecutor(...))``.

    Example:
        >>> ex = DaskExecutor(n_workers=2)
        >>> ex.owned, ex.client is None, ex.dashboard_link
        (True, True, None)
        >>> DaskExecutor(n_workers=2, dashboard=True).dashboard
        True
    """

    def __init__(self, n_workers: int | None = None, address: str | None = None,
                 client: Any = None, dashboard: bool = False) -> None:
        if not isinstance(dashboard, bool):
            raise ValueError(f"dashboard must be True or False, got {dashboard!r}")
        _check_workers(n_workers)
        if dashboard and n_workers is None:
            raise ValueError("dashboard=True applies to the local cluster that workers=N "
                             "starts; a given cluster has its own dashboard settings")
        self.n_workers, self.address, self._given = n_workers, address, client
        self.dashboard = dashboard
        self.client: Any = client
        self.cluster: Any = None

    @property
    def owned(self) -> bool:
        """True when this executor starts (and closes) its own cluster."""
        return self.n_workers is not None

    def check(self, exp: SearchHost, estimator: Any) -> None:
        """Refuse, before anything is written, what cannot run on workers."""
        from .. import estimators

        if not isinstance(estimator, str):
            raise ValueError("with workers, pass the estimator by its registry name (an "
                             f"object such as {type(estimator).__name__}() cannot be shipped to "
                             "workers); register its class with nasbench_ui.estimators.register")
        history_fields(estimators.get(estimator))  # a bad HISTORY declaration: ValueError
        module = estimators.get(estimator).__module__
        if module == "__main__":
            raise ValueError(f"with workers, the estimator {estimator!r} must live in an "
                             "importable module: its class is defined in __main__, which the "
                             "worker processes cannot import; move it to a .py module")
        self.check_strategy(exp.config.strategy)

    def check_strategy(self, name: str) -> None:
        """Refuse a strategy whose trials must run one after another (ValueError)."""
        if name in SEQUENTIAL_STRATEGIES:
            raise ValueError(f"the {name!r} strategy is sequential (each trial needs the "
                             "previous one); it cannot run with workers")

    def start(self) -> Any:
        """Connect (starting the local cluster first when owned); return the client."""
        distributed = require_distributed()
        if self.client is not None and self._given is not None:
            return self.client
        if self.client is None:
            if self.owned:
                import dask

                from .cluster import start_local_cluster

                # Dask spawns workers with MALLOC_TRIM_THRESHOLD_=65536; with torch's many
                # small allocations that made a training trial take about 1.7x the CPU
                # time here, so the clusters started here keep glibc's default
                with dask.config.set({TRIM_KEY: None}):
                    self.cluster = start_local_cluster(
                        self.n_workers, dashboard=self.dashboard,
                        scheduler_options={"allowed_failures": 0})
                self.client = distributed.Client(self.cluster, set_as_default=False)
            else:
                self.client = distributed.Client(self.address, set_as_default=False)
        return self.client

    @property
    def dashboard_link(self) -> str | None:
        """The Dask dashboard's address while the cluster runs, else None.

        Only a cluster started with ``dashboard=True`` has one (on 127.0.0.1, a free
        port); for a given client or scheduler address it is that cluster's link, if any.
        """
        if self.client is None:
            return None
        try:
            link = self.cluster.dashboard_link if self.cluster is not None \
                else self.client.dashboard_link
        except Exception:  # the scheduler is gone or has no HTTP service
            log.debug("no dashboard link", exc_info=True)
            return None
        return link or None

    def close(self) -> None:
        """Close the client and cluster this executor started (a given client stays)."""
        if self._given is not None:
            return
        client, cluster, self.client, self.cluster = self.client, self.cluster, None, None
        for thing in (client, cluster):
            if thing is not None:
                try:
                    thing.close()
                except Exception:  # already gone
                    log.debug("closing %r failed", thing, exc_info=True)

    def __repr__(self) -> str:
        where = (f"LocalCluster({self.n_workers} workers)" if self.owned
                 else self.address or repr(self._given))
        return f"DaskExecutor({where})"


@dataclass
class _Pending:
    future: Any
    number: int
    job: Job
    started: float
    cost: float
    target: str | None = None
    worker: str | None = None
    placed_at: float | None = None
    task: dict[str, Any] | None = None  # what was sent, less the history (for a resend)
    resent: bool = False


def _task_spec(exp: SearchHost, stop_event: str) -> dict[str, Any]:
    from .. import estimators

    cls = estimators.get(exp.config.estimator)
    return {
        "space": exp.space.to_dict(), "estimator": exp.config.estimator,
        "estimator_options": dict(exp.config.estimator_options),
        "estimator_module": cls.__module__, "estimator_class": cls.__qualname__,
        "dataset": exp.config.dataset, "dataset_options": dict(exp.config.dataset_options),
        "seed": exp.config.seed, "device": exp.config.device, "timeout": exp.trial_timeout,
        "stop_event": stop_event,
    }


def _outcome(result: dict[str, Any]) -> Outcome:
    return Outcome(TrialState[result["state"]], result.get("value"),
                   dict(result.get("metrics") or {}), list(result.get("curve") or []),
                   result.get("error"), not_made=bool(result.get("not_made")))


def _failure(err: BaseException | None, worker: str | None) -> Outcome:
    from ..runner import error_text

    if err is None or type(err).__name__ in DIED:
        text = str(err).strip().splitlines()[0] if err is not None and str(err).strip() else ""
        text = text.split(" Inspecting worker logs")[0][:300]
        where = f" ({worker})" if worker else ""
        return Outcome(TrialState.FAILED,
                       error=f"worker died{where}: {type(err).__name__ if err else 'lost'}"
                             f"{': ' + text if text else ''}")
    return Outcome(TrialState.FAILED, error=error_text(err))


class _Driver:
    """The driver loop's state for one search."""

    def __init__(self, exp: SearchHost, control: Control, emit: Callable[[Event], None],
                 executor: DaskExecutor) -> None:
        from .worker import run_trial

        distributed = require_distributed()
        self.exp, self.control, self.emit, self.executor = exp, control, emit, executor
        self.run_trial = run_trial
        self.client = executor.start()
        self.search = Search(exp, emit, executor="dask")
        self.event_name = f"nasbench-stop-{uuid.uuid4().hex}"
        self.stop_event = distributed.Event(self.event_name, client=self.client)
        self.spec = _task_spec(exp, self.event_name)
        self.history = HistoryLog(exp.store, exp.name, history_fields(exp.estimator))
        self.data = None if exp.dataset_by_name else \
            self.client.scatter(exp.dataset, broadcast=True)
        self.pending: dict[str, _Pending] = {}
        self.workers: dict[str, list[str]] = {}
        self.halted = False
        self.wake = threading.Event()  # set by a future's done callback
        self._placed_poll = 0.0

    # ----------------------------------------------------------- workers
    def poll_workers(self, force: bool = False) -> None:
        """Ask the scheduler which worker holds each task; record newly placed ones."""
        now = time.monotonic()
        if not force and now - self._placed_poll < PLACE_POLL_S:
            return
        self._placed_poll = now
        try:
            self.workers = {str(w): [str(k) for k in keys]
                            for w, keys in self.client.processing().items()}
        except Exception:  # the scheduler is busy or gone: try again later
            log.debug("processing() failed", exc_info=True)
            return
        for addr, keys in self.workers.items():
            for key in keys:
                p = self.pending.get(key)
                if p is not None and p.worker != addr:
                    p.worker, p.placed_at = addr, now
                    self.exp.store.set_worker(self.exp.name, p.number, addr)

    def free_worker(self) -> str | None:
        busy = {p.worker or p.target for p in self.pending.values()}
        busy |= {w for w, keys in self.workers.items() if any(k in self.pending for k in keys)}
        free = [w for w in sorted(self.workers) if w not in busy]
        return free[0] if free else None

    # ------------------------------------------------------------ submit
    def fill(self) -> None:
        while not self.halted and len(self.pending) < len(self.workers):
            cost = sum(p.cost for p in self.pending.values())
            job = self.search.next_job(len(self.pending), cost)
            if job is None:
                return
            self.submit(job, cost)

    def submit(self, job: Job, pending_cost: float) -> None:
        exp = self.exp
        started = time.time()
        number = self.search.create(job, None, started)
        left = exp.budget_left_s()
        task = {**self.spec, "number": number, "arch": job.arch,
                "budget_left": None if left is None else left - pending_cost}
        self.send(_Pending(None, number, job, started, self.search.cost_of(job.arch) or 0.0,
                           task=task))

    def send(self, p: _Pending, full_history: bool = False) -> None:
        """Submit ``p``'s task to a free worker, with the history updates it lacks."""
        target = self.free_worker()
        task = dict(p.task or {})
        history = self.history.payload(target, full=full_history)
        if history is not None:
            task["history"] = history
        key = f"nasbench-{self.exp.name}-{p.number}-{uuid.uuid4().hex[:8]}"
        fut = self.client.submit(self.run_trial, task, self.data, key=key, pure=False,
                                 workers=[target] if target else None, allow_other_workers=True)
        fut.add_done_callback(lambda _f: self.wake.set())
        p.future, p.target, p.worker, p.placed_at = fut, target, None, None
        self.pending[fut.key] = p

    # ----------------------------------------------------------- results
    def collect(self) -> None:
        """Record every finished future; cancel the ones past their hard timeout."""
        for key, p in list(self.pending.items()):
            if p.future.done():
                del self.pending[key]
                self.finish(p)
        timeout = self.exp.trial_timeout
        if timeout:
            limit = timeout + max(10.0, timeout / 2)
            now = time.monotonic()
            for key, p in list(self.pending.items()):
                if p.placed_at is not None and now - p.placed_at > limit:
                    del self.pending[key]
                    p.future.cancel()
                    out = Outcome(TrialState.FAILED,
                                  error=f"timeout after {timeout:g} s: the worker {p.worker} did "
                                        f"not answer within {limit:g} s; the task was cancelled")
                    self.record(p, out, p.worker)

    def finish(self, p: _Pending) -> None:
        worker = p.worker
        if p.future.status == "finished":
            try:
                result = p.future.result()
            except Exception as err:  # lost between done() and result()
                self.record(p, _failure(err, worker), worker)
                return
            worker = result.get("worker") or worker
            self.history.ack(result.get("worker"), result.get("history_held"))
            if result.get("history_gap") and not p.resent:
                p.resent = True  # this worker lacks earlier updates: send them all
                self.send(p, full_history=True)
                return
            if worker and worker != p.worker:
                self.exp.store.set_worker(self.exp.name, p.number, worker)
            out = _outcome(result)
            for point in out.curve:
                self.exp.store.append_curve(self.exp.name, p.number, point)
                self.emit(Event("curve", self.exp.name, p.number, {"point": point}))
            self.record(p, out, worker)
            return
        err = None
        if p.future.status == "error":
            try:
                err = p.future.exception()
            except Exception as e:  # the exception itself could not be fetched
                err = e
        self.record(p, _failure(err, worker), worker)

    def record(self, p: _Pending, out: Outcome, worker: str | None) -> None:
        if not self.search.record(p.number, p.job, out, p.started, time.time(), worker):
            self.halted = True  # too many failures or a refused query: no new trials

    # -------------------------------------------------------------- loop
    def run(self) -> None:
        no_worker_since: float | None = None
        while not self.control.stop.is_set():
            self.poll_workers(force=not self.pending)
            if self.control.running.is_set():
                self.fill()
            if not self.pending:
                if self.halted or self.control.running.is_set() and self.workers:
                    break  # nothing running and nothing more allowed
                if not self.workers:
                    no_worker_since = no_worker_since or time.monotonic()
                    if time.monotonic() - no_worker_since > NO_WORKER_WAIT_S:
                        self.exp.last_error = (f"no Dask worker was available for "
                                               f"{NO_WORKER_WAIT_S:g} s; the search stopped")
                        break
                else:
                    no_worker_since = None
            self.wait()
            self.collect()

    def wait(self) -> None:
        """Sleep until a pending trial ends or ``POLL_S`` passes (a stop is seen then)."""
        self.wake.wait(POLL_S)
        self.wake.clear()

    def interrupt_pending(self) -> None:
        """Cancel what is still pending; those trials end INTERRUPTED."""
        try:
            self.stop_event.set()
        except Exception:
            log.debug("could not set the stop event", exc_info=True)
        for p in list(self.pending.values()):
            p.future.cancel()
            self.search.record(p.number, p.job,
                               Outcome(TrialState.INTERRUPTED,
                                       error="interrupted: the search was stopped"),
                               p.started, time.time(), p.worker)
        self.pending.clear()


def run_dask_loop(exp: SearchHost, control: Control, emit: Callable[[Event], None],
                  executor: DaskExecutor) -> None:
    """Run the search on Dask workers until the budget is spent, a stop is asked, or the
    strategy is done; an owned cluster is closed at the end."""
    driver = None
    try:
        driver = _Driver(exp, control, emit, executor)
        driver.run()
    finally:
        if driver is not None:
            driver.interrupt_pending()
        if executor.owned:
            executor.close()

"""``DaskTrials``: the :class:`~.base.Executor` that runs a search's trials on Dask
workers, one trial per worker; the loop alone writes the store.

* :meth:`~DaskTrials.free_slots` asks the scheduler which workers exist and which
  task each holds (at most every ``PLACE_POLL_S`` while trials run), reports newly
  placed trials (:attr:`~.base.LoopHooks.on_placed`: the loop stores the worker), and
  answers how many workers are free; with no worker for ``NO_WORKER_WAIT_S`` it raises
  :class:`~.base.ExecutorStopped`.
* :meth:`~DaskTrials.submit` ships a plain task dict to
  :func:`~.worker.run_trial` on a free worker, with only the history the estimator
  declares (``HISTORY``), as updates since that worker's last task (:mod:`.history`).
* :meth:`~DaskTrials.poll` waits until a future ends (or ``timeout``), and returns the
  finished trials: a result dict becomes an :class:`~.base.Outcome` whose curve the loop
  stores then (``curve_reported=False``); a worker that died mid-trial
  (``KilledWorker``, closed comms, a cancelled future) is a FAILED trial ``"worker
  died: ..."``, retried under ``retries``; a trial that has not answered
  ``max(10, timeout / 2)`` s after its ``trial_timeout`` is cancelled and FAILED. A
  worker that lacks earlier history updates answers ``history_gap`` and gets the task
  again with the whole log.
* :meth:`~DaskTrials.cancel` sets a ``distributed.Event`` that running estimators see
  in ``ctx.should_stop()``, cancels the futures and returns their trials INTERRUPTED;
  :meth:`~DaskTrials.close` closes the cluster its :class:`~.dask.DaskExecutor` started.

Limits: estimators travel by registry name (their module is imported on the worker);
trained models stay on the workers, so ``best_model()`` raises for Dask trials; curve
points reach the store when a trial ends, not live. In a script, start the search
under ``if __name__ == "__main__":`` (worker processes are spawned and import the main
module).

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
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

from ...config import ExperimentConfig
from ...storage import TrialState
from ..events import error_text
from .base import Executor, ExecutorStopped, Finished, LoopHooks, Outcome, Work
from .dask import DaskExecutor, require_distributed
from .history import HistoryLog

log = logging.getLogger(__name__)
DIED = ("KilledWorker", "CommClosedError", "StreamClosedError", "CancelledError",
        "FutureCancelledError")
NO_WORKER_WAIT_S = 60.0
PLACE_POLL_S = 0.5

__all__ = ["DaskTrials", "task_spec"]


@dataclass
class _Pending:
    future: Any
    work: Work
    target: str | None = None
    worker: str | None = None
    placed_at: float | None = None
    task: dict[str, Any] | None = None  # what was sent, less the history (for a resend)
    resent: bool = False


def task_spec(config: ExperimentConfig, estimator_cls: type, trial_timeout: float | None,
              stop_event: str, space: dict[str, Any]) -> dict[str, Any]:
    """What every task of a search carries (the trial's number, arch and budget aside).

    Example:
        >>> from nasbench_ui import spaces
        >>> from nasbench_ui.config import ExperimentConfig
        >>> space = spaces.nb201().to_dict()
        >>> config = ExperimentConfig(space=space, estimator="train", trials=4)
        >>> spec = task_spec(config, object, None, "stop", space)
        >>> spec["estimator"], spec["estimator_class"], spec["stop_event"]
        ('train', 'object', 'stop')
    """
    return {
        "space": space, "estimator": config.estimator,
        "estimator_options": dict(config.estimator_options),
        "estimator_module": estimator_cls.__module__,
        "estimator_class": estimator_cls.__qualname__,
        "dataset": config.dataset, "dataset_options": dict(config.dataset_options),
        "seed": config.seed, "device": config.device, "timeout": trial_timeout,
        "stop_event": stop_event,
    }


def _outcome(result: dict[str, Any]) -> Outcome:
    return Outcome(TrialState[result["state"]], result.get("value"),
                   dict(result.get("metrics") or {}), list(result.get("curve") or []),
                   result.get("error"), not_made=bool(result.get("not_made")))


def _failure(err: BaseException | None, worker: str | None) -> Outcome:
    if err is None or type(err).__name__ in DIED:
        text = str(err).strip().splitlines()[0] if err is not None and str(err).strip() else ""
        text = text.split(" Inspecting worker logs")[0][:300]
        where = f" ({worker})" if worker else ""
        return Outcome(TrialState.FAILED,
                       error=f"worker died{where}: {type(err).__name__ if err else 'lost'}"
                             f"{': ' + text if text else ''}")
    return Outcome(TrialState.FAILED, error=error_text(err))


class DaskTrials(Executor):
    """One search's trials on the workers of ``holder`` (see the module docstring).

    ``store`` and ``name`` are read (never written) for the history log;
    ``history_fields`` are the estimator's declared ``HISTORY``; ``dataset`` is shipped
    to the workers (scattered once) unless ``dataset_by_name`` (each worker loads it).
    """

    LABEL: ClassVar[str | None] = "dask"

    def __init__(self, holder: DaskExecutor, *, config: ExperimentConfig, space: Any,
                 store: Any, name: str, estimator_cls: type, history_fields: tuple[str, ...],
                 trial_timeout: float | None, dataset: Any = None,
                 dataset_by_name: bool = True) -> None:
        from .worker import run_trial

        distributed = require_distributed()
        self.holder, self.trial_timeout = holder, trial_timeout
        self.run_trial = run_trial
        self.client = holder.start()
        event_name = f"nasbench-stop-{uuid.uuid4().hex}"
        self.name = name
        self.stop_event = distributed.Event(event_name, client=self.client)
        self.spec = task_spec(config, estimator_cls, trial_timeout, event_name, space.to_dict())
        self.history = HistoryLog(store, name, history_fields)
        self.data = None if dataset_by_name else self.client.scatter(dataset, broadcast=True)
        self.pending: dict[str, _Pending] = {}
        self.workers: dict[str, list[str]] = {}
        self.wake = threading.Event()  # set by a future's done callback
        self._placed_poll = 0.0
        self._no_worker_since: float | None = None

    # ----------------------------------------------------------- workers
    def _poll_workers(self, force: bool = False) -> None:
        """Ask the scheduler which worker holds each task; report newly placed ones."""
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
        hooks = self.hooks or LoopHooks()
        for addr, keys in self.workers.items():
            for key in keys:
                p = self.pending.get(key)
                if p is not None and p.worker != addr:
                    p.worker, p.placed_at = addr, now
                    hooks.on_placed(p.work.number, addr)

    def _free_worker(self) -> str | None:
        busy = {p.worker or p.target for p in self.pending.values()}
        busy |= {w for w, keys in self.workers.items() if any(k in self.pending for k in keys)}
        free = [w for w in sorted(self.workers) if w not in busy]
        return free[0] if free else None

    def free_slots(self) -> int:
        self._poll_workers(force=not self.pending)
        if self.workers or self.pending:
            self._no_worker_since = None
        else:
            since = self._no_worker_since = self._no_worker_since or time.monotonic()
            if time.monotonic() - since > NO_WORKER_WAIT_S:
                raise ExecutorStopped(f"no Dask worker was available for {NO_WORKER_WAIT_S:g} "
                                      "s; the search stopped")
        return max(0, len(self.workers) - len(self.pending))

    # ------------------------------------------------------------ submit
    def submit(self, work: Work) -> None:
        task = {**self.spec, "number": work.number, "arch": work.job.arch,
                "budget_left": work.budget_left, "meta": dict(work.job.meta)}
        self._send(_Pending(None, work, task=task))

    def _send(self, p: _Pending, full_history: bool = False) -> None:
        """Submit ``p``'s task to a free worker, with the history updates it lacks."""
        target = self._free_worker()
        task = dict(p.task or {})
        history = self.history.payload(target, full=full_history)
        if history is not None:
            task["history"] = history
        key = f"nasbench-{self.name}-{p.work.number}-{uuid.uuid4().hex[:8]}"
        fut = self.client.submit(self.run_trial, task, self.data, key=key, pure=False,
                                 workers=[target] if target else None, allow_other_workers=True)
        fut.add_done_callback(lambda _f: self.wake.set())
        p.future, p.target, p.worker, p.placed_at = fut, target, None, None
        self.pending[fut.key] = p

    # ----------------------------------------------------------- results
    def poll(self, timeout: float) -> list[Finished]:
        """Wait until a trial ends or ``timeout`` passes; return what ended."""
        self.wake.wait(timeout)
        self.wake.clear()
        out: list[Finished] = []
        for key, p in list(self.pending.items()):
            if p.future.done():
                del self.pending[key]
                done = self._finish(p)
                if done is not None:
                    out.append(done)
        if self.trial_timeout:
            limit = self.trial_timeout + max(10.0, self.trial_timeout / 2)
            now = time.monotonic()
            for key, p in list(self.pending.items()):
                if p.placed_at is not None and now - p.placed_at > limit:
                    del self.pending[key]
                    p.future.cancel()
                    err = (f"timeout after {self.trial_timeout:g} s: the worker {p.worker} did "
                           f"not answer within {limit:g} s; the task was cancelled")
                    out.append(Finished(p.work.number, Outcome(TrialState.FAILED, error=err),
                                        p.worker))
        return out

    def _finish(self, p: _Pending) -> Finished | None:
        worker, number = p.worker, p.work.number
        if p.future.status == "finished":
            try:
                result = p.future.result()
            except Exception as err:  # lost between done() and result()
                return Finished(number, _failure(err, worker), worker)
            worker = result.get("worker") or worker
            self.history.ack(result.get("worker"), result.get("history_held"))
            if result.get("history_gap") and not p.resent:
                p.resent = True  # this worker lacks earlier updates: send them all
                self._send(p, full_history=True)
                return None
            if worker and worker != p.worker:
                (self.hooks or LoopHooks()).on_placed(number, worker)
            return Finished(number, _outcome(result), worker, curve_reported=False)
        err = None
        if p.future.status == "error":
            try:
                err = p.future.exception()
            except Exception as e:  # the exception itself could not be fetched
                err = e
        return Finished(number, _failure(err, worker), worker)

    # -------------------------------------------------------------- end
    def cancel(self) -> list[Finished]:
        """Ask running estimators to stop, cancel every future: all end INTERRUPTED."""
        try:
            self.stop_event.set()
        except Exception:
            log.debug("could not set the stop event", exc_info=True)
        out = []
        for p in list(self.pending.values()):
            p.future.cancel()
            out.append(Finished(p.work.number,
                                Outcome(TrialState.INTERRUPTED,
                                        error="interrupted: the search was stopped"), p.worker))
        self.pending.clear()
        return out

    def close(self) -> None:
        """Close the cluster the holder started for this search (a given one stays)."""
        if self.holder.owned:
            self.holder.close()

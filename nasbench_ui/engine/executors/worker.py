"""What runs on a Dask worker: one trial, from a plain task dict to a plain result dict.

The worker never opens the store. It sets torch's thread count to the worker's
``nthreads`` (1 in a ``LocalCluster`` started by ``workers=N``), picks the device
there (``resolve_device(config.device)``: CUDA where the worker has it), loads the data
set and builds the estimator from its registry name and options (both cached per
worker process, so a stateful estimator such as weight sharing keeps its state
between the trials a worker runs), runs ``estimate`` with a context whose curve
points are collected locally, and returns a JSON-able dict; the model stays on the
worker. A stop request (a ``distributed.Event``) and the per-trial deadline reach the
estimator through ``ctx.should_stop()``.

Example:
    >>> from nasbench_ui import spaces
    >>> space = spaces.mlp()
    >>> arch = space.sample(__import__("random").Random(0))
    >>> task = {"number": 0, "arch": arch, "space": space.to_dict(), "estimator": "early_stop",
    ...         "estimator_options": {"epochs": 1, "subset": 0.2, "latency_runs": 0},
    ...         "estimator_module": None, "estimator_class": None, "dataset": "digits",
    ...         "dataset_options": {}, "seed": 0, "device": "cpu"}
    >>> out = run_trial(task)
    >>> out["state"], len(out["curve"]), out["worker"]
    ('COMPLETE', 1, None)
"""

from __future__ import annotations

import importlib
import json
import time
from collections import OrderedDict
from typing import Any

from ...storage.base import _plain
from .history import HistoryGap, WorkerHistory

_DATASETS: OrderedDict[str, Any] = OrderedDict()
_ESTIMATORS: OrderedDict[str, Any] = OrderedDict()
_SPACES: OrderedDict[str, Any] = OrderedDict()
_HISTORY = WorkerHistory()  # the finished-trial logs this worker process holds
_KEEP = 2
STOP_CHECK_S = 0.5


def _remember(cache: OrderedDict[str, Any], key: str, make: Any) -> Any:
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    value = make()
    cache[key] = value
    while len(cache) > _KEEP:
        cache.popitem(last=False)
    return value


def _worker_info() -> tuple[str | None, int | None]:
    """This worker's address and thread count (None, None outside a Dask worker)."""
    try:
        from distributed import get_worker

        w = get_worker()
    except (ImportError, ValueError):
        return None, None
    state = getattr(w, "state", None)
    nthreads = getattr(state, "nthreads", None) or getattr(w, "nthreads", None) or 1
    return str(w.address), max(1, int(nthreads))


def _estimator(task: dict[str, Any]) -> Any:
    from ... import estimators

    name, module, qualname = task["estimator"], task.get("estimator_module"), \
        task.get("estimator_class")
    if name not in estimators.names() and module:
        mod = importlib.import_module(module)  # registering modules register on import
        if name not in estimators.names() and qualname:
            cls: Any = mod
            for part in qualname.split("."):
                cls = getattr(cls, part)
            estimators.register(name, cls)
    key = json.dumps([name, task["estimator_options"]], sort_keys=True)
    return _remember(_ESTIMATORS, key,
                     lambda: estimators.create(name, dict(task["estimator_options"])))


def _dataset(task: dict[str, Any]) -> Any:
    from ... import data

    key = json.dumps([task["dataset"], task["seed"], task["dataset_options"]], sort_keys=True)
    return _remember(_DATASETS, key, lambda: data.load(task["dataset"], seed=task["seed"],
                                                       **task["dataset_options"]))


def _space(task: dict[str, Any]) -> Any:
    from ...space import SearchSpace

    key = json.dumps(task["space"], sort_keys=True)
    return _remember(_SPACES, key, lambda: SearchSpace.from_dict(task["space"]))


class _StopCheck:
    """``ctx.should_stop`` on a worker: the deadline, or the driver's stop event."""

    def __init__(self, event_name: str | None, timeout: float | None) -> None:
        self.event_name = event_name
        self.deadline = time.monotonic() + timeout if timeout else None
        self.stopped = False
        self._checked = 0.0

    def timed_out(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline

    def stop_requested(self) -> bool:
        now = time.monotonic()
        if self.event_name and not self.stopped and now - self._checked >= STOP_CHECK_S:
            self._checked = now
            try:
                from distributed import Event

                self.stopped = Event(self.event_name).is_set()
            except Exception:  # no scheduler to ask: keep going
                self.stopped = False
        return self.stopped

    def __call__(self) -> bool:
        return self.timed_out() or self.stop_requested()


def run_trial(task: dict[str, Any], dataset: Any = None) -> dict[str, Any]:
    """Run one trial described by ``task`` and return a JSON-able result dict.

    ``task`` keys: number, arch, space (dict), estimator (registry name),
    estimator_options, estimator_module / estimator_class (where a user-registered
    estimator lives, imported here), dataset (name), dataset_options, seed, device, and
    optionally timeout, stop_event, history (a :meth:`~.history.HistoryLog.payload`:
    the finished trials, only the fields the estimator declares in ``HISTORY``, as
    updates to what this worker holds), budget_left and meta (the trial's meta as its
    strategy asked it, ``ctx.meta``: a scheduler's rung and budget). ``dataset`` is a ``Dataset``
    shipped by the driver (then the name is not loaded). Result keys: state, value,
    metrics, curve, error, not_made, worker, device, threads, history_held (how many
    history updates this worker holds) and, when it lacks earlier updates and so ran
    nothing, history_gap.
    """
    import torch

    from ...devices import resolve_device
    from ...estimators.base import EstimateContext, HistoryNotDeclared, history_fields
    from ...storage.trial import TrialState
    from ..events import error_text
    from ..jobs import Outcome, estimate_outcome

    start = time.perf_counter()
    address, nthreads = _worker_info()
    if nthreads is not None:  # on a worker; outside one, the caller's setting stays
        torch.set_num_threads(nthreads)
    nthreads = torch.get_num_threads()
    device = None
    timeout = task.get("timeout")
    check = _StopCheck(task.get("stop_event"), timeout)
    held: int | None = None
    try:
        device = resolve_device(task["device"])
        space = _space(task)
        data = dataset if dataset is not None else _dataset(task)
        estimator = _estimator(task)
        payload = task.get("history")
        history = _HISTORY.view(payload) if payload is not None else []
        if payload is not None:
            held = _HISTORY.held(payload["id"])

        def history_fn() -> list[Any]:
            if not history_fields(estimator):
                raise HistoryNotDeclared(estimator)
            return history

        ctx = EstimateContext(
            space=space, dataset=data, device=device, seed=task["seed"], number=task["number"],
            stop_fn=check, history_fn=history_fn,
            budget_left_fn=lambda: task.get("budget_left"),
            meta=dict(task.get("meta") or {}),  # the trial's asked facts (a rung's budget)
        )
        out = estimate_outcome(estimator, task["arch"], ctx, check.stop_requested,
                               check.timed_out, timeout)
    except HistoryGap as gap:  # the driver sends the task again with the whole history
        return {"state": TrialState.FAILED.name, "value": None, "metrics": {}, "curve": [],
                "error": str(gap), "not_made": True, "worker": address, "device": device,
                "threads": nthreads, "history_held": gap.held, "history_gap": True}
    except Exception as err:  # the worker could not even start the trial
        out = Outcome(TrialState.FAILED, error=error_text(err))
    metrics = dict(out.metrics)
    metrics.setdefault("duration_s", round(time.perf_counter() - start, 4))
    return {
        "state": out.state.name,
        "value": _plain(out.value, "value", True),
        "metrics": _plain(metrics, "metrics", True),
        "curve": _plain(list(out.curve), "curve", True),
        "error": out.error,
        "not_made": out.not_made,
        "worker": address,
        "device": device,
        "threads": nthreads,
        "history_held": held,
    }

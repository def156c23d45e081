"""The local Dask cluster that ``workers=N`` starts: loopback only, and no HTTP server.

Dask's scheduler and workers start an HTTP server even with ``dashboard_address=None``
(in distributed 2026.8 the scheduler answers ``/health`` and ``/metrics`` on
127.0.0.1:8787 and each worker on a random port): ``ServerNode.start_http_server`` is
called unconditionally. :class:`QuietScheduler` and :class:`QuietWorker` override it to
start nothing, so a cluster from :func:`start_local_cluster` listens only on its Dask
comm ports (127.0.0.1), which speak Dask's protocol, not HTTP.

``dashboard=True`` is the opt-in: the scheduler (the stock ``distributed.Scheduler``)
serves its Bokeh dashboard on a free loopback port, and
``cluster.dashboard_link`` (and :attr:`DaskExecutor.dashboard_link
<nasbench_ui.engine.executors.dask.DaskExecutor.dashboard_link>`) is its address. Workers stay quiet
either way.

Example:
    >>> cluster = start_local_cluster(1)  # doctest: +SKIP
    >>> cluster.scheduler.http_server is None, cluster.dashboard_link  # doctest: +SKIP
    (True, '')
    >>> cluster.close()  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from typing import Any

from distributed import Nanny, Scheduler, SpecCluster, Worker

LOOPBACK = "127.0.0.1"


class _NoHTTP:
    """Mixin: a Dask server node that starts no HTTP server (``http_server`` stays None)."""

    http_server: Any = None

    def start_http_server(self, routes: Any, dashboard_address: Any, default_port: int = 0,
                          ssl_options: Any = None) -> None:
        """Start nothing: this node serves no HTTP (no dashboard, /health or /metrics)."""
        self.http_server = None


class QuietScheduler(_NoHTTP, Scheduler):
    """A ``distributed.Scheduler`` without an HTTP server.

    Example:
        >>> QuietScheduler.start_http_server is QuietWorker.start_http_server
        True
    """


class QuietWorker(_NoHTTP, Worker):
    """A ``distributed.Worker`` without an HTTP server (workers use it by import path)."""


def start_local_cluster(n_workers: int, dashboard: bool = False,
                        scheduler_options: dict[str, Any] | None = None) -> Any:
    """A running ``distributed.SpecCluster`` of ``n_workers`` one-thread worker processes.

    Everything listens on 127.0.0.1. Without ``dashboard`` nothing serves HTTP; with
    it, only the scheduler's dashboard does, on a free loopback port
    (``cluster.dashboard_link``). ``scheduler_options`` are extra
    ``distributed.Scheduler`` keyword arguments (``allowed_failures``, for example).
    Each worker gets an equal share of the memory (as ``LocalCluster`` does).

    Example:
        >>> start_local_cluster(0)
        Traceback (most recent call last):
        ...
        ValueError: n_workers must be a positive integer, got 0
    """
    if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
        raise ValueError(f"n_workers must be a positive integer, got {n_workers!r}")
    if not isinstance(dashboard, bool):
        raise ValueError(f"dashboard must be True or False, got {dashboard!r}")
    options: dict[str, Any] = {"host": LOOPBACK, "protocol": "tcp://", "port": 0,
                               **(scheduler_options or {})}
    if dashboard:
        scheduler = {"cls": Scheduler, "options": {**options, "dashboard": True,
                                                   "dashboard_address": f"{LOOPBACK}:0"}}
    else:
        scheduler = {"cls": QuietScheduler, "options": {**options, "dashboard": False,
                                                        "dashboard_address": None}}
    worker = {"cls": Nanny, "options": {
        "host": LOOPBACK, "nthreads": 1, "worker_class": QuietWorker, "dashboard": False,
        "dashboard_address": None, "memory_limit": 1.0 / n_workers,
        "silence_logs": logging.CRITICAL,
    }}
    return SpecCluster(workers={i: worker for i in range(n_workers)}, scheduler=scheduler,
                       worker=worker, silence_logs=logging.CRITICAL)

"""``nasbench_ui.executors``: where trials run, re-exported from
:mod:`nasbench_ui.engine.executors` (the ``Executor`` contract, the thread executor, and
Dask: ``Experiment(..., workers=N)`` or ``executor=client_or_address`` picks
:class:`DaskExecutor` through :func:`make_executor`). Dask is an optional extra:
``pip install 'nasbench_ui[dask]'``.

The cluster that ``workers=N`` starts serves no HTTP; ``executor=DaskExecutor(n_workers=N,
dashboard=True)`` serves the Dask dashboard on a free loopback port, at
``exp.executor.dashboard_link`` while the search runs.

Example:
    >>> make_executor(workers=None, executor=None) is None
    True
    >>> make_executor(workers=0)
    Traceback (most recent call last):
    ...
    ValueError: workers must be a positive integer (the number of Dask worker processes) or None, got 0
"""

from __future__ import annotations

from ..engine.executors.base import Executor, ExecutorStopped, Finished, LoopHooks, Work
from ..engine.executors.dask import (
    DaskExecutor,
    check_device_name,
    make_executor,
    require_distributed,
)
from ..engine.executors.thread import ThreadExecutor

__all__ = ["DaskExecutor", "Executor", "ExecutorStopped", "Finished", "LoopHooks",
           "ThreadExecutor", "Work", "check_device_name", "make_executor",
           "require_distributed"]

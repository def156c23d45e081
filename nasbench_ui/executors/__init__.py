"""Where trials run: the kernel's own thread (default) or Dask workers.

The thread loop is :func:`nasbench_ui.runner.run_loop`. :class:`DaskExecutor` runs one
trial per Dask worker; ``Experiment(..., workers=N)`` or ``Experiment(...,
executor=client_or_address)`` picks it through :func:`make_executor`. Dask is an
optional extra: ``pip install 'nasbench_ui[dask]'``.

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

from .dask_executor import DaskExecutor, check_device_name, make_executor, require_distributed

__all__ = ["DaskExecutor", "check_device_name", "make_executor", "require_distributed"]

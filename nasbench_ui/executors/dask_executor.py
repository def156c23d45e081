"""``nasbench_ui.executors.dask_executor``: the Dask executor, re-exported from
:mod:`nasbench_ui.engine.executors.dask` (the client holder) and
:mod:`nasbench_ui.engine.executors.dask_trials` (a search's trials on the workers,
stepped by the same :class:`~nasbench_ui.engine.loop.Loop` as the thread executor).

Example:
    >>> check_device_name("cuda:1")
    'cuda:1'
"""

from __future__ import annotations

from ..engine.executors.dask import (
    INSTALL_HINT,
    SEQUENTIAL_STRATEGIES,
    DaskExecutor,
    check_device_name,
    make_executor,
    require_distributed,
)
from ..engine.executors.dask_trials import DIED, NO_WORKER_WAIT_S, PLACE_POLL_S, DaskTrials

__all__ = ["DIED", "INSTALL_HINT", "NO_WORKER_WAIT_S", "PLACE_POLL_S", "SEQUENTIAL_STRATEGIES",
           "DaskExecutor", "DaskTrials", "check_device_name", "make_executor",
           "require_distributed"]

"""``nasbench_ui.executors.cluster``: re-exported from
:mod:`nasbench_ui.engine.executors.cluster` (a local Dask cluster without HTTP).

Example:
    >>> LOOPBACK
    '127.0.0.1'
"""

from __future__ import annotations

from ..engine.executors.cluster import (
    LOOPBACK,
    QuietScheduler,
    QuietWorker,
    start_local_cluster,
)

__all__ = ["LOOPBACK", "QuietScheduler", "QuietWorker", "start_local_cluster"]

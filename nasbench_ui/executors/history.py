"""``nasbench_ui.executors.history``: re-exported from
:mod:`nasbench_ui.engine.executors.history` (the history a Dask trial reads).

Example:
    >>> WorkerHistory().held("none")
    0
"""

from __future__ import annotations

from ..engine.executors.history import KEEP_LOGS, HistoryGap, HistoryLog, WorkerHistory, compact

__all__ = ["KEEP_LOGS", "HistoryGap", "HistoryLog", "WorkerHistory", "compact"]

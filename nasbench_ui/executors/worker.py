"""``nasbench_ui.executors.worker``: re-exported from
:mod:`nasbench_ui.engine.executors.worker` (what runs on a Dask worker).

Example:
    >>> callable(run_trial)
    True
"""

from __future__ import annotations

from ..engine.executors.worker import STOP_CHECK_S, run_trial

__all__ = ["STOP_CHECK_S", "run_trial"]

"""``nasbench_ui.experiment``: where :class:`Experiment` was; it lives in
:mod:`nasbench_ui.engine.experiment` (this module re-exports it, the same class).

Example:
    >>> import nasbench_ui as nb
    >>> from nasbench_ui.engine.experiment import Experiment as Engine
    >>> Experiment is Engine is nb.Experiment
    True
"""

from __future__ import annotations

from .engine.checks import check_new_name
from .engine.experiment import DONE, FAILED, IDLE, PAUSED, RUNNING, STOPPING, Experiment

__all__ = ["DONE", "FAILED", "IDLE", "PAUSED", "RUNNING", "STOPPING", "Experiment",
           "check_new_name"]

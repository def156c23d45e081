"""``nasbench_ui.race``: :class:`Race` and :func:`best_curve`, re-exported from
:mod:`nasbench_ui.engine.race` (several loops stepped in turn; no UI import).

Example:
    >>> from nasbench_ui.engine.race import Race as Engine
    >>> Race is Engine
    True
"""

from __future__ import annotations

from .engine.race import DONE, IDLE, RUNNING, STOPPING, Race, best_curve

__all__ = ["DONE", "IDLE", "RUNNING", "STOPPING", "Race", "best_curve"]

"""``nasbench_ui.steering``: the steering helpers, re-exported from
:mod:`nasbench_ui.engine.steering` (where :class:`Steering` now is an object the
experiment holds) and :mod:`nasbench_ui.engine.commands`.

Example:
    >>> one_shot_estimator("darts"), strategy_for_estimator("darts_epoch")
    ('darts_epoch', 'darts')
"""

from __future__ import annotations

from .engine.commands import SetBudget, SetConstraint, SetPace, SwitchStrategy
from .engine.steering import (
    Steering,
    check_constraints,
    one_shot_estimator,
    stored_name,
    strategy_for_estimator,
)

__all__ = ["SetBudget", "SetConstraint", "SetPace", "Steering", "SwitchStrategy",
           "check_constraints", "one_shot_estimator", "stored_name", "strategy_for_estimator"]

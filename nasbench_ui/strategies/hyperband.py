"""``hyperband`` and ``bohb``: successive halving over every trade-off of n and budget.

Hyperband (Li, Jamieson, DeSalvo, Rostamizadeh and Talwalkar, "Hyperband: A Novel
Bandit-Based Approach to Hyperparameter Optimization", JMLR 2018) does not know whether
many cheap evaluations or few expensive ones pay off, so it cycles through brackets
``s = s_max, ..., 0``: bracket ``s`` starts ``ceil((s_max+1)/(s+1) * eta**s)``
configurations at budget ``max_budget * eta**-s`` and runs successive halving
(:class:`~.successive_halving.Bracket`) up to ``max_budget``. The cycle repeats until
the search's budget (trials or seconds) ends.

BOHB (Falkner, Klein and Hutter, "BOHB: Robust and Efficient Hyperparameter
Optimization at Scale", ICML 2018) keeps Hyperband's schedule and replaces the random
sampling of new configurations with a model. Here any model-based strategy proposes:
``"bohb"`` is Hyperband with ``proposer="bananas"`` by default, and
``{"proposer": "optuna"}`` gives TPE through the Optuna strategy (BOHB's own model is a
TPE-like density estimator). The proposer learns from each configuration's first
evaluation (:mod:`.fidelity`), not from a model per budget as BOHB does.

Where it lives and how to choose it: strategies named ``"hyperband"`` and ``"bohb"``
(this module, registered in :mod:`nasbench_ui.strategies`), so the workbench's strategy
dropdown lists them; CLI: ``nasbench-ui run --strategy hyperband --strategy-options
'{"eta": 2, "min_budget": 1, "max_budget": 8, "proposer": "random"}'``; config:
``"strategy": "bohb", "strategy_options": {"proposer": "optuna"}``. Each trial's meta
holds ``rung``, ``budget``, ``bracket`` and, for a promotion, ``promoted_from``.

Example:
    >>> from nasbench_ui import spaces
    >>> hb = Hyperband(spaces.nb201(), seed=0, eta=2, min_budget=1, max_budget=4)
    >>> [Bracket.sized(s, 2, 2).sizes for s in (2, 1, 0)]
    [[4, 2, 1], [3, 1], [3]]
    >>> budgets = []
    >>> for i in range(14):
    ...     arch = hb.ask(); budgets.append(hb.ask_meta()["budget"]["epochs"])
    ...     hb.tell(arch, float(i))
    >>> budgets
    [1, 1, 1, 1, 2, 2, 4, 2, 2, 2, 4, 4, 4, 4]
"""

from __future__ import annotations

from ..options import Option
from .fidelity import FIDELITY_OPTIONS
from .successive_halving import Bracket, SuccessiveHalving

__all__ = ["Bohb", "Bracket", "Hyperband"]


class Hyperband(SuccessiveHalving):
    """Hyperband: successive halving brackets ``s = s_max..0`` in turn (module docstring)."""

    NAME = "hyperband"

    def _bracket_s(self, index: int) -> int:
        return self.s_max - index % (self.s_max + 1)


class Bohb(Hyperband):
    """BOHB-style: Hyperband whose new configurations come from a model-based proposer
    (``bananas`` by default; ``optuna`` for TPE)."""

    NAME = "bohb"
    OPTIONS = {
        **FIDELITY_OPTIONS,
        "proposer": Option(str, "bananas", help="the model-based strategy that proposes new "
                                                "configurations (bananas, optuna...)"),
    }

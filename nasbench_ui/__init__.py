"""nasbench_ui: a Jupyter-native workbench for Neural Architecture Search.

Example:
    >>> import nasbench_ui as nb
    >>> nb.spaces.nb201().size()
    15625
    >>> "evolution" in nb.strategies.names() and "train" in nb.estimators.names()
    True
"""

from collections.abc import Sequence
from typing import Any

from . import benchmarks, data, estimators, spaces, strategies
from . import data as datasets
from . import race as _race  # the engine: nasbench_ui.race.Race (no UI import)
from .config import ExperimentConfig
from .experiment import Experiment
from .space import SearchSpace
from .storage import Trial, TrialState
from .trust import trust  # nb.trust(...): paths and modules a stored file may name

__version__ = "0.1.0"


def race(space: Any, strategies: Sequence[str] = ("random", "evolution", "reinforce"),
         **kwargs: Any) -> Any:
    """A :class:`~nasbench_ui.ui.race_view.RaceView` of a new
    :class:`~nasbench_ui.race.Race` (same arguments); press Start, or call
    ``view.race.start()``. Needs the ``ui`` extra (imported here, on first use).

    Example:
        >>> import nasbench_ui as nb
        >>> view = nb.race("nb201", ["random"], estimator="zero_cost", trials=1)
        >>> type(view).__name__, view.race.strategies
        ('RaceView', ['random'])
        >>> view.close()
    """
    from .ui.race_view import RaceView

    return RaceView(_race.Race(space, strategies, **kwargs))


def __getattr__(name: str):  # the widget needs the ui extra: import it on first use
    if name == "Workbench":
        from .ui.workbench import Workbench

        return Workbench
    raise AttributeError(f"module 'nasbench_ui' has no attribute {name!r}")


__all__ = [
    "Experiment", "ExperimentConfig", "SearchSpace", "Trial", "TrialState", "Workbench",
    "__version__", "benchmarks", "data", "datasets", "estimators", "race", "spaces", "strategies", "trust",
]

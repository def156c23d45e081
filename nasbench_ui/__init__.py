"""nasbench_ui: a Jupyter-native workbench for Neural Architecture Search.

Example:
    >>> import nasbench_ui as nb
    >>> nb.spaces.nb201().size()
    15625
    >>> "evolution" in nb.strategies.names() and "train" in nb.estimators.names()
    True
"""

from . import benchmarks, data, estimators, spaces, strategies
from . import data as datasets
from .config import ExperimentConfig
from .experiment import Experiment
from .race import race as race  # nb.race(...) -> a RaceView; the engine is nasbench_ui.race.Race
from .space import SearchSpace
from .storage import Trial, TrialState
from .trust import trust  # nb.trust(...): paths and modules a stored file may name

__version__ = "0.1.0"


def __getattr__(name: str):  # the widget needs the ui extra: import it on first use
    if name == "Workbench":
        from .ui.workbench import Workbench

        return Workbench
    raise AttributeError(f"module 'nasbench_ui' has no attribute {name!r}")


__all__ = [
    "Experiment", "ExperimentConfig", "SearchSpace", "Trial", "TrialState", "Workbench",
    "__version__", "benchmarks", "data", "datasets", "estimators", "race", "spaces", "strategies", "trust",
]

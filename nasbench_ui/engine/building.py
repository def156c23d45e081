"""Building an :class:`~.experiment.Experiment`'s parts from the constructor's arguments.

:func:`build_parts` checks every argument and resolves every name (space, executor,
estimator, strategy, data set, device) before anything is written to a store, so bad
input loses nothing; :func:`build_strategy` makes a strategy under the config's
constraints (also when steering switches it); :class:`DatasetSource` loads the data set
on first use; :func:`config_kwargs` turns a stored config back into constructor
arguments (``Experiment.load``).

Example:
    >>> parts = build_parts(space="nb201", estimator="zero_cost", trials=1)
    >>> parts.config.strategy, parts.config.trials, parts.device, parts.data.by_name
    ('random', 1, 'cpu', True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import data as datasets_mod
from .. import estimators as estimators_mod
from .. import strategies as strategies_mod
from ..config import ExperimentConfig
from ..devices import resolve_device
from ..estimators.base import Estimator
from ..space import SearchSpace
from ..strategies.base import Strategy
from .checks import as_space, check_new_name, check_pace, check_policy, check_seed
from .executors.dask import DaskExecutor, check_device_name, make_executor
from .steering import check_constraints, check_one_shot, stored_name


class DatasetSource:
    """The data set of an experiment: a registered name (loaded on first :meth:`get`,
    with ``seed`` and ``options``) or an object given as it is.

    Example:
        >>> source = DatasetSource("digits", seed=0, options={}); source.check()
        >>> source.by_name, source.get().num_classes
        (True, 10)
    """

    def __init__(self, dataset: Any, seed: int, options: dict[str, Any]) -> None:
        self.arg, self.seed, self.options = dataset, seed, options
        self._loaded: Any = None

    @property
    def by_name(self) -> bool:
        """True when the data set is a registered name (a worker can load it itself)."""
        return isinstance(self.arg, str)

    def check(self) -> None:
        """Check a registered name and its options without loading the data."""
        if self.by_name:
            datasets_mod.check(self.arg, self.seed, self.options)

    def get(self) -> Any:
        """The data set, loaded on the first call."""
        if self._loaded is None:
            if self.by_name:
                self._loaded = datasets_mod.load(self.arg, seed=self.seed, **self.options)
            else:
                self._loaded = self.arg
        return self._loaded


@dataclass
class Parts:
    """What :func:`build_parts` resolved: the config to store and the live objects."""

    config: ExperimentConfig
    space: SearchSpace
    executor: DaskExecutor | None
    device: str
    estimator: Estimator
    strategy: Strategy
    data: DatasetSource


def build_strategy(strategy: Any, options: dict | None, config: ExperimentConfig,
                   space: SearchSpace) -> Strategy:
    """``strategy`` (a name, class or object) with ``options``, seeded by ``config`` and
    constrained by its ``constraints``.

    Example:
        >>> space = as_space("nb201"); config = ExperimentConfig(space.to_dict(), trials=1)
        >>> type(build_strategy("random", {}, config, space)).__name__
        'RandomSearch'
    """
    from ..constraints import make_constraint

    constraint = make_constraint(config.constraints, space)
    return strategies_mod.create(strategy, space, seed=config.seed,
                                 options=options or {}, constraint=constraint)


def build_parts(
    *, space: Any = "keras_cnn", strategy: str | Any = "random", estimator: str | Any | None = None,
    dataset: str | Any = "digits", trials: int | None = None, seconds: float | None = None,
    device: str = "auto", seed: int = 0, strategy_options: dict | None = None,
    estimator_options: dict | None = None, dataset_options: dict | None = None,
    objectives: list | None = None, constraints: dict | None = None, name: str | None = None,
    new: bool = True, max_failures: int = 10, retries: int = 0,
    trial_timeout: float | None = None, workers: int | None = None, executor: Any = None,
    pace: float | None = None,
) -> Parts:
    """Check the arguments of :class:`~.experiment.Experiment` (``new``: a new one,
    whose ``name`` must be free) and build its parts; raises on the first bad one.

    Example:
        >>> build_parts(space="nb201", retries=-1)
        Traceback (most recent call last):
        ValueError: retries must be an integer >= 0 (...), got -1
    """
    space_obj = as_space(space)
    check_policy(retries, trial_timeout, max_failures)
    check_seed(seed)
    if new:
        check_new_name(name)
    dask = make_executor(workers=workers, executor=executor)
    if trials is None and seconds is None:
        trials = 20
    estimator = check_one_shot(strategy, estimator)
    check_pace(pace)
    constraints = check_constraints(constraints)
    ds_name = dataset if isinstance(dataset, str) else getattr(dataset, "name", "custom")
    config = ExperimentConfig(
        space=space_obj.to_dict(),
        strategy=stored_name(strategy), strategy_options=strategy_options or {},
        estimator=stored_name(estimator), estimator_options=estimator_options or {},
        dataset=ds_name, dataset_options=dataset_options or {},
        trials=trials, seconds=seconds, seed=seed, device=device,
        objectives=objectives or [], constraints=constraints or {},
    )
    # with Dask the device is picked on each worker (CUDA where the worker has it)
    device = resolve_device(device) if dask is None else check_device_name(device)
    est = estimators_mod.create(estimator, config.estimator_options)
    first = build_strategy(strategy, config.strategy_options, config, space_obj)
    data = DatasetSource(dataset, seed, config.dataset_options)
    data.check()
    if dask is not None:
        dask.check(estimator, config.strategy)
    return Parts(config, space_obj, dask, device, est, first, data)


def config_kwargs(config: ExperimentConfig) -> dict[str, Any]:
    """The constructor arguments that rebuild an experiment of the stored ``config``.

    Example:
        >>> config = ExperimentConfig(as_space("nb201").to_dict(), trials=5)
        >>> config_kwargs(config)["trials"], config_kwargs(config)["strategy"]
        (5, 'random')
    """
    return {
        "space": config.space, "strategy": config.strategy, "estimator": config.estimator,
        "dataset": config.dataset, "trials": config.trials, "seconds": config.seconds,
        "device": config.device, "seed": config.seed,
        "strategy_options": config.strategy_options,
        "estimator_options": config.estimator_options,
        "dataset_options": config.dataset_options,
        "objectives": config.objectives, "constraints": config.constraints,
    }

"""Building an :class:`~.experiment.Experiment`'s parts from the constructor's arguments.

:func:`build_parts` checks every argument and resolves every name (space, executor,
estimator, strategy, data set, device) before anything is written to a store, so bad
input loses nothing; :func:`build_strategy` makes a strategy under the config's
constraints (also when steering switches it); :class:`DatasetSource` loads the data set
on first use; :func:`config_kwargs` turns a stored config back into constructor
arguments and :func:`stored_config` reads one, importing its custom parts first
(``Experiment.load``; see :mod:`.parts`).

Custom parts: the config names them by import path (``imports``, :mod:`.parts`); a data
set given as a :class:`~nasbench_ui.data.Dataset` object is saved next to a file store
as an ``.npz`` of arrays (``dataset_file``, :mod:`nasbench_ui.data.npz`). A hyperparameter
of the space that nothing reads warns (:class:`~nasbench_ui.space.UnusedHyperparameterWarning`)
when a new experiment is built.

Example:
    >>> parts = build_parts(space="nb201", estimator="zero_cost", trials=1)
    >>> parts.config.strategy, parts.config.trials, parts.device, parts.data.by_name
    ('random', 1, 'cpu', True)
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import data as datasets_mod
from .. import estimators as estimators_mod
from .. import strategies as strategies_mod
from ..config import ExperimentConfig
from ..data import Dataset, DatasetFile, save_npz
from ..devices import resolve_device
from ..estimators.base import Estimator
from ..estimators.trainer import RESERVED
from ..space import SearchSpace, UnusedHyperparameterWarning
from ..storage.sqlite import SQLiteStore
from ..strategies.base import Strategy
from .checks import as_space, check_new_name, check_pace, check_policy, check_seed
from .executors.dask import DaskExecutor, check_device_name, make_executor
from .parts import collect_imports, ensure_imported, import_stored, part_name
from .steering import check_constraints, check_one_shot


def store_location(storage: Any) -> tuple[Path, str] | None:
    """``(folder, stem)`` of a file store given as a path or a :class:`SQLiteStore`;
    None for a store in memory (or any other store object).

    Example:
        >>> store_location("runs/demo.db"), store_location(":memory:")
        ((PosixPath('runs'), 'demo'), None)
    """
    if isinstance(storage, (str, os.PathLike)):
        shown = os.fspath(storage)
        if not isinstance(shown, str) or shown == ":memory:" or not shown.strip():
            return None
    elif isinstance(storage, SQLiteStore):
        shown = storage.path
    else:
        return None
    path = Path(shown).expanduser()
    return path.parent, path.stem


class DatasetSource:
    """The data set of an experiment: a registered name (loaded on first :meth:`get`,
    with ``seed`` and ``options``), a :class:`~nasbench_ui.data.DatasetFile` saved with a
    stored experiment (checked at once, read on first use) or an object given as it is.

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
        """Check a registered name and its options (or a saved file's name) without
        loading the data."""
        if self.by_name:
            datasets_mod.check(self.arg, self.seed, self.options)
        elif isinstance(self.arg, DatasetFile):
            self.arg.check()

    def get(self) -> Any:
        """The data set, loaded on the first call."""
        if self._loaded is None:
            if self.by_name:
                self._loaded = datasets_mod.load(self.arg, seed=self.seed, **self.options)
            elif isinstance(self.arg, DatasetFile):
                self._loaded = self.arg.load()
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
    pace: float | None = None, storage: Any = None,
) -> Parts:
    """Check the arguments of :class:`~.experiment.Experiment` (``new``: a new one,
    whose ``name`` must be free) and build its parts; raises on the first bad one.

    A new experiment on a file ``storage`` given a :class:`~nasbench_ui.data.Dataset`
    object (or a :class:`~nasbench_ui.data.DatasetFile` of another store or config)
    saves it next to the store (``config.dataset_file``); one whose space has a
    hyperparameter that nothing reads warns.

    Example:
        >>> build_parts(space="nb201", retries=-1)
        Traceback (most recent call last):
        ValueError: retries must be an integer >= 0 (...), got -1
    """
    for kind, part in (("dataset", dataset), ("estimator", estimator), ("strategy", strategy)):
        stored, path = part_name(kind, part) if isinstance(part, str) else ("", None)
        if path is not None:  # a name that is an import path: trusted modules only
            ensure_imported(kind, stored, path)
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
    location = store_location(storage) if new and isinstance(dataset, (Dataset, DatasetFile)) \
        else None
    config = ExperimentConfig(
        space=space_obj.to_dict(),
        strategy=part_name("strategy", strategy)[0], strategy_options=strategy_options or {},
        estimator=part_name("estimator", estimator)[0],
        estimator_options=estimator_options or {},
        dataset=ds_name, dataset_options=dataset_options or {},
        trials=trials, seconds=seconds, seed=seed, device=device,
        objectives=objectives or [], constraints=constraints or {},
        imports=collect_imports(strategy=strategy, estimator=estimator, dataset=dataset,
                                space=space_obj),
        dataset_file=dataset.file if isinstance(dataset, DatasetFile) and not new else None,
    )
    # with Dask the device is picked on each worker (CUDA where the worker has it)
    device = resolve_device(device) if dask is None else check_device_name(device)
    est = estimators_mod.create(estimator, config.estimator_options)
    est.check_space(space_obj)
    first = build_strategy(strategy, config.strategy_options, config, space_obj)
    data = DatasetSource(dataset, seed, config.dataset_options)
    data.check()
    if dask is not None:
        dask.check(estimator, config.strategy)
    if location is not None:  # every check passed: save the data set with the experiment
        arrays = dataset.load() if isinstance(dataset, DatasetFile) else dataset
        config = replace(config, dataset_file=save_npz(arrays, *location))
    note = space_obj.unused_hparams_note(RESERVED) if new else None
    if note is not None:
        warnings.warn(note, UnusedHyperparameterWarning, stacklevel=3)
    return Parts(config, space_obj, dask, device, est, first, data)


def stored_config(d: Any, given: Collection[str] = ()) -> ExperimentConfig:
    """The :class:`ExperimentConfig` of a stored (or imported) config dict, after importing
    the custom parts its ``imports`` names that this process lacks (:mod:`.parts`; inside
    :func:`~nasbench_ui.trust.untrusted`, only from trusted modules). ``given``: the
    arguments the caller gives anew (``"estimator"``, ``"strategy"``, ``"dataset"``):
    their parts are not imported.

    Example:
        >>> stored_config({"space": as_space("nb201").to_dict(), "trials": 2}).trials
        2
    """
    if isinstance(d, dict):
        import_stored(d.get("imports"), skip=[k for k in ("dataset", "estimator", "strategy")
                                              if k in given])
    return ExperimentConfig.from_dict(d)


def config_kwargs(config: ExperimentConfig, folder: str | os.PathLike[str] | None = None,
                  ) -> dict[str, Any]:
    """The constructor arguments that rebuild an experiment of the stored ``config``;
    ``folder``: the store's folder, where a saved data set's file is.

    Example:
        >>> config = ExperimentConfig(as_space("nb201").to_dict(), trials=5)
        >>> config_kwargs(config)["trials"], config_kwargs(config)["strategy"]
        (5, 'random')
    """
    dataset: Any = config.dataset
    if config.dataset_file is not None:
        if folder is None:
            raise ValueError(f"the data set {config.dataset!r} was saved as the file "
                             f"{config.dataset_file!r} next to its store; open the store by "
                             "its path so that the file can be found")
        dataset = DatasetFile(config.dataset, config.dataset_file, Path(folder))
    return {
        "space": config.space, "strategy": config.strategy, "estimator": config.estimator,
        "dataset": dataset, "trials": config.trials, "seconds": config.seconds,
        "device": config.device, "seed": config.seed,
        "strategy_options": config.strategy_options,
        "estimator_options": config.estimator_options,
        "dataset_options": config.dataset_options,
        "objectives": config.objectives, "constraints": config.constraints,
    }

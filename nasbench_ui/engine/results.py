"""Reading an experiment's outcome: its results table and the best trial's trained model.

:func:`results_table` is ``Experiment.results()``; :func:`trained_model` is
``Experiment.best_model()``: the model kept in memory by the search, else the weights
kept on disk, else a ``ValueError`` that says why no model exists.

Example:
    >>> import nasbench_ui as nb
    >>> exp = nb.Experiment("nb201", estimator="zero_cost", trials=2).run()
    >>> len(results_table(exp.trials, exp.space, []))
    2
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..storage import Trial
from .models import ModelKeeper, no_model_reason


def results_table(trials: list[Trial], space: Any, objectives: list) -> Any:
    """A pandas DataFrame with one row per trial of ``trials`` (columns of ``space``'s
    choices and of ``objectives``, the stored ``[metric, direction]`` pairs)."""
    from ..viz.tables import results_frame

    objs = [tuple(o) for o in objectives] or None
    return results_frame(trials, space, objectives=objs)


def trained_model(owner: Any, best: Callable[[], Trial], *, has_models: bool, estimator: str,
                  models: ModelKeeper, keep: int) -> Any:
    """The trained ``torch.nn.Module`` of the ``best()`` trial of ``owner`` (an
    experiment: what :func:`~nasbench_ui.weights.load_weights` reads). ``has_models``:
    whether the ``estimator`` trains models; ``models`` keeps the best ``keep`` of them.

    Example:
        >>> keeper = ModelKeeper(None, k=1, lookup=lambda n: None)
        >>> trained_model(None, lambda: None, has_models=False, estimator="zero_cost",
        ...               models=keeper, keep=1)
        Traceback (most recent call last):
        ValueError: the 'zero_cost' estimator keeps no trained model of its own ...
    """
    from ..weights import load_weights

    if models.retrained is not None:  # exp.retrain(): the retrained network
        return models.retrained.model
    if not has_models:
        raise ValueError(
            f"the {estimator!r} estimator keeps no trained model of its own "
            "(it scores architectures without training each one), so no weights exist; "
            "build the best architecture with space.build() and train it"
        )
    trial = best()
    if trial.meta.get("executor") == "dask":
        raise ValueError(
            f"best_model() is not available for trial {trial.number}: it ran on a Dask "
            "worker, and models stay on the workers (only JSON results come back); build "
            "it with exp.space.build(exp.best().arch, ...) and train it, or run without workers"
        )
    model = models.model(trial.number)
    if model is not None:
        return model
    reason = no_model_reason(trial)
    if reason is not None:
        raise ValueError(reason)
    model = load_weights(owner, trial)
    if model is None:
        raise ValueError(
            f"no weights were kept for trial {trial.number}; weights are kept for the best "
            f"{keep} trials of a search run with a file storage"
        )
    return model

"""``ModelKeeper``: the best ``k`` trained models of a search, in memory and on disk.

The loop hands each COMPLETE trial's model to :meth:`ModelKeeper.keep`; it keeps the
best ``k`` by value (and, with a file store, their weights files next to it; the files
of trials that leave the best ``k`` are deleted). The ranking carries over a resume:
it starts from the files an earlier run kept. Saving is optional: a failure (a full
disk, a read-only folder) is a warning for the trial, never an exception. It also holds
the latest ``exp.retrain()`` result (:meth:`ModelKeeper.keep_retrained`; saved with a
file store and read back after a reload), which ``best_model()`` and ``export_best()``
prefer.

Example:
    >>> from nasbench_ui.storage import MemoryStore
    >>> class Owner:  # what the weights functions read: a store without a path
    ...     store, name = MemoryStore(), "e"
    >>> keeper = ModelKeeper(Owner(), k=1, lookup=lambda n: None)
    >>> keeper.keep(0, 0.5, "model-0"), keeper.keep(1, 0.9, "model-1"), keeper.model(1)
    (None, None, 'model-1')
    >>> keeper.model(0) is None
    True
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..storage import Trial

log = logging.getLogger(__name__)


class ModelKeeper:
    """Keep the best ``k`` models of ``owner`` (an object with ``store``, ``name`` and,
    to load weights, ``space`` and ``dataset``); ``lookup(number)`` gives a stored trial."""

    def __init__(self, owner: Any, k: int, lookup: Callable[[int], Trial | None]) -> None:
        self.owner, self.k, self.lookup = owner, k, lookup
        self._models: dict[int, tuple[float, Any]] = {}
        self._ranked = False
        self._retrained: Any = None
        self._retrained_read = False

    @property
    def retrained(self) -> Any:
        """The latest finished ``exp.retrain()`` (a :class:`~.retrain.Retrained`): this
        process's, else the one saved with the file store; None when there is none."""
        if not self._retrained_read:
            from .retrain import load_retrained

            self._retrained_read = True
            self._retrained = None if self.owner is None else load_retrained(self.owner)
        return self._retrained

    def keep_retrained(self, result: Any) -> str | None:
        """Keep ``result`` (a :class:`~.retrain.Retrained`): from now on it is the
        experiment's model (``best_model()``, ``export_best()``); a warning when it could
        not be saved with the file store."""
        from .retrain import save_retrained

        self._retrained, self._retrained_read = result, True
        return save_retrained(self.owner, result)

    def keep(self, number: int, value: float, model: Any) -> str | None:
        """Keep ``model`` if it is among the best ``k``; a warning when saving failed."""
        from ..weights import kept_numbers, remove_weights, save_weights

        if not self._ranked:  # a resume: rank the files an earlier run kept
            for n in kept_numbers(self.owner):
                t = self.lookup(n)
                if n not in self._models and t is not None and t.value is not None:
                    self._models[n] = (float(t.value), None)
            self._ranked = True
        self._models[number] = (value, model)
        ranked = sorted(self._models.items(), key=lambda kv: kv[1][0], reverse=True)
        self._models = dict(ranked[: self.k])
        for n, _ in ranked[self.k:]:
            remove_weights(self.owner, n)
        if number not in self._models:
            return None
        try:
            save_weights(self.owner, number, model)
        except (OSError, RuntimeError) as err:  # torch.save wraps some OSErrors
            log.warning("trial %s: weights not saved: %s", number, err)
            return f"warning: weights not saved ({type(err).__name__}: {err})"
        return None

    def model(self, number: int) -> Any:
        """The model of trial ``number`` kept in memory, or None."""
        kept = self._models.get(number)
        return None if kept is None else kept[1]


def no_model_reason(trial: Trial) -> str | None:
    """Why ``trial`` can have no trained model of its own, or None.

    A DARTS search epoch (``darts_epoch``) trains the supernet, a mixture of every
    operation, so no network of the trial's architecture was ever trained.

    Example:
        >>> from nasbench_ui.storage import TrialState
        >>> t = Trial(2, TrialState.COMPLETE, {}, 0.9, {"darts_phase": "search"})
        >>> print(no_model_reason(t))
        trial 2 is a DARTS supernet epoch: ...
    """
    if (trial.metrics or {}).get("darts_phase") == "search":
        return (f"trial {trial.number} is a DARTS supernet epoch: DARTS trains one supernet "
                "(every operation mixed by its weights), never a network of the derived "
                "architecture, so there is no model to return; call exp.retrain(epochs=..., "
                "stack=...) to train the derived architecture from scratch (best_model() and "
                "export_best() then use it), or set the darts_epoch option retrain=True")
    return None


def best_trial(complete: list[Trial], name: str, objectives: list) -> Trial:
    """The best of the ``complete`` trials of experiment ``name`` by the first of
    ``objectives`` (``[metric, "max" | "min"]``), by value without one.

    Example:
        >>> from nasbench_ui.storage import TrialState
        >>> a = Trial(0, TrialState.COMPLETE, {}, 0.5, {"params": 9})
        >>> b = Trial(1, TrialState.COMPLETE, {}, 0.7, {"params": 20})
        >>> best_trial([a, b], "e", []).number, best_trial([a, b], "e", [["params", "min"]]).number
        (1, 0)
    """
    if not complete:
        raise ValueError(f"experiment {name!r} has no complete trial yet")
    if objectives:
        metric, direction = objectives[0]
        sign = 1 if direction == "max" else -1
        scored = [t for t in complete if t.metrics.get(metric) is not None] or complete
        return max(scored, key=lambda t: sign * float(t.metrics.get(metric, t.value or 0)))
    return max(complete, key=lambda t: t.value if t.value is not None else float("-inf"))

"""DARTS: the strategy ``darts``, which runs with the estimator ``darts_epoch``.

Liu, Simonyan & Yang, "DARTS: Differentiable Architecture Search", ICLR 2019. The two
halves talk only through trials:

* the estimator :class:`~nasbench_ui.estimators.darts_epoch.DartsEpoch`
  (``darts_epoch``; it lives in :mod:`nasbench_ui.estimators.darts_epoch` and is
  re-exported here) owns the supernet, the architecture weights ``alpha`` and the
  optimisers, runs ONE search epoch per trial and reports the softmax of ``alpha`` as
  the trial's ``alphas`` metric (the training itself is described there);
* the strategy :class:`Darts` (``darts``) reads ``alphas`` from each told trial and asks
  the architecture they derive (:func:`~nasbench_ui.space.supernet.derive`: per edge
  the strongest op other than ``none``, per input choice the ``k`` predecessors with
  the strongest such weights). ``finished`` once a trial says
  ``darts_done``. Its ``state_dict`` holds the alphas.

Because ``ask`` comes before ``estimate``, a search trial's ``arch`` is the architecture
derived when that epoch began; ``next_arch`` is the one after it (the next trial's).
Each asked trial says what it is in ``meta``: ``kind`` is ``"supernet_epoch"`` (one
search epoch of the supernet: its value is the supernet's accuracy, not the accuracy of
``arch``) or ``"derived"`` (the ``retrain=True`` trial that trains the final derived
architecture alone); ``derived_from`` says which alphas gave ``arch``: the first epoch
starts from uniform alphas, so its ``arch`` is DARTS's tie-break (the first operation of
each edge), marked ``"uniform alphas (no epoch yet)"``. ``exp.retrain()`` trains the
architecture derived after the last epoch.
The estimator checks that it is given the derived architecture, so ``darts_epoch``
under another strategy fails with a ValueError, and ``darts`` under another estimator
stops at its second ``ask`` with one. A resumed experiment (``Experiment.load``)
restarts from the alphas of the last complete search trial, with fresh supernet weights.

Example:
    >>> from nasbench_ui import spaces
    >>> s = Darts(spaces.nb201())
    >>> s.ask()["1<-0"]
    'skip_connect'
"""

from __future__ import annotations

from typing import Any

from ..estimators.darts_epoch import DartsEpoch, Weights, check_darts_space
from ..options import Option
from ..space.supernet import derive
from .base import StrategyBase

__all__ = ["Darts", "DartsEpoch", "check_darts_space"]


class Darts(StrategyBase):
    """DARTS (Liu et al., ICLR 2019): asks the architecture the told alphas derive.

    Runs with the estimator ``darts_epoch``, which holds every DARTS setting.
    """

    NAME = "darts"
    ESTIMATOR = "darts_epoch"
    OPTIONS: dict[str, Option] = {}

    def __init__(self, space: Any, seed: int = 0, constraint: Any = None, **options: Any) -> None:
        check_darts_space(space)
        super().__init__(space, seed, constraint, **options)
        self.weights: Weights | None = None
        self.epochs, self.done, self.problem = 0, False, None
        self.retrain_next = False  # the estimator said: the next trial retrains

    @property
    def finished(self) -> bool:
        return self.done

    def ask(self) -> dict[str, Any]:
        """The derived architecture (ValueError when the trials carry no alphas)."""
        if self.problem:
            raise ValueError(self.problem)
        arch = derive(self.space, self.weights)
        if not self.allowed(arch):
            raise ValueError("darts: the derived architecture violates the constraint; DARTS "
                             "derives one architecture per epoch and cannot resample: drop the constraint")
        if self.retrain_next:
            self._meta = {"kind": "derived", "derived_from": f"alphas after epoch {self.epochs}"}
        else:
            self._meta = {"kind": "supernet_epoch", "darts_epoch": self.epochs + 1,
                          "derived_from": (f"alphas after epoch {self.epochs}" if self.epochs
                                           else "uniform alphas (no epoch yet)")}
        return arch

    def tell(self, arch: dict[str, Any], value: float | None, trial: Any = None) -> None:
        metrics = getattr(trial, "metrics", None) or {}
        if value is None or trial is None:
            return  # a failed epoch is rolled back by the estimator: nothing changes
        if not isinstance(metrics.get("alphas"), dict) and metrics.get("darts_phase") != "retrain":
            self.problem = (f"darts: trial {getattr(trial, 'number', '?')} carries no architecture "
                            "weights ('alphas'); the DARTS strategy runs with the estimator "
                            f"{self.ESTIMATOR!r}: pick estimator={self.ESTIMATOR!r}")
            return
        if isinstance(metrics.get("alphas"), dict):
            self.weights = {k: {o: float(v) for o, v in w.items()} for k, w in metrics["alphas"].items()}
            self.epochs = int(metrics.get("epoch", self.epochs + 1))
        self.retrain_next = bool(metrics.get("retrain_next"))
        self.done = self.done or bool(metrics.get("darts_done"))

    def state_dict(self) -> dict[str, Any]:
        return {**self._base_state(), "alphas": self.weights, "epochs": self.epochs,
                "done": self.done, "problem": self.problem, "retrain_next": self.retrain_next}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._load_base(state, ("alphas", "epochs", "done"))
        self.weights, self.epochs = state["alphas"], int(state["epochs"])
        self.done, self.problem = bool(state["done"]), state.get("problem")
        self.retrain_next = bool(state.get("retrain_next", False))  # older snapshots lack it

"""The executor contract: where the loop's trials run.

The :class:`~nasbench_ui.engine.loop.Loop` owns the store and the strategy; an
executor only evaluates. Three methods are required:

* :meth:`Executor.submit` ``(work)``: start evaluating one :class:`Work`;
* :meth:`Executor.poll` ``(timeout)``: the :class:`Finished` evaluations (waiting up to
  ``timeout`` seconds for one; an executor that runs work on the loop's own thread
  runs it here);
* :meth:`Executor.close` ``()``: release what the executor holds.

Optional hooks with a default body: :meth:`Executor.free_slots` (how many more works
it takes now; default one at a time), :meth:`Executor.cancel` (stop what is in flight
and return it as INTERRUPTED; default: nothing is in flight between polls), and
:meth:`Executor.bind` (the loop hands over its :class:`LoopHooks` before the first
submit). An executor that can no longer run anything (no worker for a minute) raises
:class:`ExecutorStopped`; the loop ends with its message.

Example:
    >>> class Echo(Executor):
    ...     def __init__(self): self.works = []
    ...     def submit(self, work): self.works.append(work)
    ...     def poll(self, timeout):
    ...         done, self.works = self.works, []
    ...         return [Finished(w.number, Outcome(TrialState.COMPLETE, 1.0)) for w in done]
    ...     def close(self): pass
    >>> ex = Echo(); ex.free_slots()
    1
    >>> ex.submit(Work(0, Job({"op": "a"}), 0.0)); [f.number for f in ex.poll(0.1)]
    [0]
    >>> sorted(required_methods(Echo))
    ['close', 'poll', 'submit']
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ...storage import Trial, TrialState
from ..events import Control
from ..jobs import Job, Outcome

__all__ = ["Executor", "ExecutorStopped", "Finished", "LoopHooks", "Outcome", "TrialState",
           "Work", "required_methods"]


class ExecutorStopped(RuntimeError):
    """The executor cannot run anything more; the message becomes the search's error."""


@dataclass(frozen=True)
class Work:
    """One trial to evaluate: its number, its job, when it started and the budget left
    to it (seconds, None without a ``seconds`` budget; less what pending trials cost).

    Example:
        >>> Work(3, Job({"op": "a"}), 0.0).budget_left is None
        True
    """

    number: int
    job: Job
    started: float
    budget_left: float | None = None


@dataclass
class Finished:
    """An evaluation that ended: its :class:`Outcome`, the worker that ran it, and
    whether its curve points were already reported live through
    :attr:`LoopHooks.on_point` (else the loop stores ``outcome.curve`` now).

    Example:
        >>> Finished(0, Outcome(TrialState.PRUNED)).curve_reported
        True
    """

    number: int
    outcome: Outcome
    worker: str | None = None
    curve_reported: bool = True


def _no_point(number: int, point: dict[str, Any]) -> None:
    return None


def _no_worker(number: int, worker: str) -> None:
    return None


@dataclass
class LoopHooks:
    """What the loop lends an executor: its pause/stop flags, where live curve points and
    worker placements go (the loop writes them to the store and tells observers), the
    finished trials an estimator may read, and the seconds left in the budget.

    Example:
        >>> LoopHooks().budget_left() is None
        True
    """

    control: Control = field(default_factory=Control)
    on_point: Callable[[int, dict[str, Any]], None] = _no_point
    on_placed: Callable[[int, str], None] = _no_worker
    history: Callable[[], list[Trial]] = list
    budget_left: Callable[[], float | None] = lambda: None


class Executor:
    """The base of every executor: required ``submit``, ``poll`` and ``close``
    (``REQUIRED``); optional hooks with default bodies: ``bind`` (keeps the loop's
    ``hooks``), ``free_slots`` (1), ``cancel`` (nothing in flight) and ``LABEL`` (None:
    no ``meta["executor"]``). See the module docstring for the contract.
    """

    #: The three methods a subclass must implement.
    REQUIRED: ClassVar[tuple[str, ...]] = ("submit", "poll", "close")
    #: Written into each trial's ``meta["executor"]`` (None: nothing is written).
    LABEL: ClassVar[str | None] = None
    hooks: LoopHooks | None = None

    def bind(self, hooks: LoopHooks) -> None:
        """Take the loop's hooks (called once, before the first :meth:`submit`)."""
        self.hooks = hooks

    def free_slots(self) -> int:
        """How many more works :meth:`submit` takes now (default: one at a time)."""
        return 1

    @abstractmethod
    def submit(self, work: Work) -> None:
        """Start evaluating ``work``."""
        raise NotImplementedError(f"{type(self).__name__} must implement submit()")

    @abstractmethod
    def poll(self, timeout: float) -> list[Finished]:
        """The evaluations that ended (waiting up to ``timeout`` seconds for one)."""
        raise NotImplementedError(f"{type(self).__name__} must implement poll()")

    def cancel(self) -> list[Finished]:
        """Stop what is in flight; each comes back INTERRUPTED (default: none is)."""
        return []

    @abstractmethod
    def close(self) -> None:
        """Release what the executor holds (after the last poll)."""
        raise NotImplementedError(f"{type(self).__name__} must implement close()")


def required_methods(cls: type) -> list[str]:
    """The methods of :attr:`Executor.REQUIRED` that ``cls`` implements itself.

    Example:
        >>> required_methods(Executor)
        []
    """
    return [m for m in Executor.REQUIRED
            if any(m in vars(k) for k in cls.__mro__ if k is not Executor and k is not object)]

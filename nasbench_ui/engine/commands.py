"""Steering as commands: a change made on any thread waits in the loop's queue and is
applied by the loop's own thread at its next step.

A caller (the experiment's :class:`~nasbench_ui.engine.steering.Steering`) validates a
change, writes it to the stored config and puts a command in the
:class:`CommandQueue`; :meth:`Loop.step() <nasbench_ui.engine.loop.Loop.step>` drains
the queue before it asks for the next trial, so the change holds from that trial on.
Nothing else crosses threads: the loop's strategy, budget and pace are changed only
by the loop. A command applies to any :class:`CommandTarget`: the running loop, or
the experiment's idle state when no loop runs.

Example:
    >>> class Target:
    ...     budget = None
    ...     def use_budget(self, budget): self.budget = budget
    >>> queue = CommandQueue(); queue.put(SetBudget(Budget(trials=5)))
    >>> t = Target()
    >>> for command in queue.drain():
    ...     command.apply(t)
    >>> t.budget.trials, queue.drain()
    (5, [])
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ..strategies.base import Strategy
from .ledger import Budget

__all__ = ["Budget", "Command", "CommandQueue", "CommandTarget", "SetBudget", "SetConstraint",
           "SetPace", "SwitchStrategy"]


class CommandTarget(Protocol):
    """What a command changes: the running loop, or an idle experiment's state."""

    def use_budget(self, budget: Budget) -> None: ...
    def use_pace(self, pace: float | None) -> None: ...
    def use_constraint(self, fn: Callable[[dict[str, Any]], bool] | None) -> None: ...
    def use_strategy(self, strategy: Strategy, label: str) -> None: ...


class Command:
    """A change of a running search; :meth:`apply` runs on the loop's thread."""

    def apply(self, target: CommandTarget) -> None:
        """Make the change on ``target``."""
        raise NotImplementedError


@dataclass(frozen=True)
class SetBudget(Command):
    """A new budget (already checked and stored in the config).

    Example:
        >>> SetBudget(Budget(seconds=60.0)).budget.seconds
        60.0
    """

    budget: Budget

    def apply(self, target: CommandTarget) -> None:
        target.use_budget(self.budget)


@dataclass(frozen=True)
class SetPace(Command):
    """A new pace (simulated seconds per real second; None: full speed).

    Example:
        >>> SetPace(60.0).pace
        60.0
    """

    pace: float | None

    def apply(self, target: CommandTarget) -> None:
        target.use_pace(self.pace)


@dataclass(frozen=True)
class SetConstraint(Command):
    """A new constraint function for the strategy's next asks (None: none).

    Example:
        >>> SetConstraint(None).fn is None
        True
    """

    fn: Callable[[dict[str, Any]], bool] | None

    def apply(self, target: CommandTarget) -> None:
        target.use_constraint(self.fn)


@dataclass(frozen=True)
class SwitchStrategy(Command):
    """Switch to ``strategy`` (built, not yet told the history), stored as ``label``.

    Example:
        >>> SwitchStrategy(Strategy(), "custom").label
        'custom'
    """

    strategy: Strategy
    label: str

    def apply(self, target: CommandTarget) -> None:
        target.use_strategy(self.strategy, self.label)


class CommandQueue:
    """A thread-safe queue of commands: ``put`` on any thread, ``drain`` on the loop's.

    Example:
        >>> q = CommandQueue(); q.put(SetPace(None)); q.put(SetPace(2.0))
        >>> [c.pace for c in q.drain()]
        [None, 2.0]
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Command] = []

    def put(self, command: Command) -> None:
        """Queue ``command`` (applied at the loop's next step)."""
        with self._lock:
            self._items.append(command)

    def drain(self) -> list[Command]:
        """Take every queued command, oldest first."""
        with self._lock:
            items, self._items = self._items, []
        return items

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

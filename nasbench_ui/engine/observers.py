"""``Observers``: the callbacks that receive an experiment's events.

An experiment hands :meth:`Observers.emit` to its loop and its steering; every event
goes to each callback in the order they were added. A callback that raises is logged
and skipped: an observer never stops the search.

Example:
    >>> from nasbench_ui.engine.events import Event
    >>> seen = []; observers = Observers()
    >>> remove = observers.add(lambda e: seen.append(e.kind))
    >>> observers.emit(Event("status", "e", None, {"status": "running"})); remove()
    >>> observers.emit(Event("status", "e", None, {"status": "done"})); seen
    ['status']
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from .events import Event

log = logging.getLogger(__name__)


class Observers:
    """Callbacks called with each :class:`~.events.Event`, on the thread that emits it."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[Event], None]] = []

    def add(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback(event)`` on every event; returns a function that removes it.

        Example:
            >>> observers = Observers(); remove = observers.add(print)
            >>> remove(); remove()  # removing twice is harmless
        """
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None

    def emit(self, event: Event) -> None:
        """Give ``event`` to every callback; one that raises is logged and skipped.

        Example:
            >>> from nasbench_ui.engine.events import Event
            >>> observers = Observers(); _ = observers.add(lambda e: 1 / 0)
            >>> observers.emit(Event("curve", "e", 0))  # logged, not raised
        """
        for cb in list(self._callbacks):
            try:
                cb(event)
            except Exception:  # an observer never stops the search
                log.exception("observer %r failed", cb)

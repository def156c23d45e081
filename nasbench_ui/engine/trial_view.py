"""``TrialView``: an experiment's trials as read so far, folded in from ``store.changes``.

Observers and estimators ask for counts and history at every trial; reading every trial
each time made long searches O(n^2). A view keeps what it read and folds in only the
trials written since (``store.changes(name, since=version)``).

Example:
    >>> from nasbench_ui.storage import MemoryStore, TrialState
    >>> store = MemoryStore(); name = store.create_experiment("e", {})
    >>> n = store.create_trial(name, {"op": "a"})
    >>> view = TrialView(store, name); view.n_done(), view.finished()
    (0, [])
    >>> store.finish_trial(name, n, TrialState.COMPLETE, value=0.5)
    >>> view.n_done(), [t.value for t in view.finished()], view.get(0).state.name
    (1, [0.5], 'COMPLETE')
"""

from __future__ import annotations

import threading
from typing import Any

from ..storage import Trial


class TrialView:
    """The trials of experiment ``name`` in ``store``, read incrementally (thread-safe)."""

    def __init__(self, store: Any, name: str) -> None:
        self.store, self.name = store, name
        self._lock = threading.Lock()
        self._version = 0
        self._seen: dict[int, Trial] = {}  # every trial read so far, by number
        self._done: set[int] = set()
        self._retried: set[int] = set()

    def sync(self) -> None:
        """Fold in the trials written since the last call."""
        with self._lock:
            version, changed = self.store.changes(self.name, since=self._version)
            for t in changed:
                self._seen[t.number] = t
                (self._done.add if t.state.counted else self._done.discard)(t.number)
                if t.meta.get("retry_of") is not None:
                    self._retried.add(t.meta["retry_of"])
            self._version = version

    def n_done(self) -> int:
        """Finished trials that count toward ``trials`` (a FAILED trial that was retried
        does not: its retry does)."""
        self.sync()
        return len(self._done) - len(self._retried & self._done)

    def finished(self) -> list[Trial]:
        """The finished trials in number order."""
        self.sync()
        return [t for t in list(self._seen.values()) if t.finished]  # numbers arrive in order

    def get(self, number: int) -> Trial | None:
        """Trial ``number`` as last read (None: not written yet)."""
        self.sync()
        return self._seen.get(number)

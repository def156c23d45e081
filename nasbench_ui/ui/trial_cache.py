"""``TrialCache``: the trials of one run, by number and sorted, kept up to date by reading
only what changed in the store (``store.changes(name, since)``), with the counts by state
and the running trials kept as trials change -- O(changes) per read, never O(history).

Example:
    >>> from types import SimpleNamespace as T
    >>> [t.v for t in merge_sorted([T(number=0, v="a")], [T(number=1, v="b")], {})]
    ['a', 'b']
"""

from __future__ import annotations

from typing import Any

from ..storage import TrialState

__all__ = ["TrialCache", "merge_sorted"]

_NEWEST = 2**63 - 1  # a ``since`` past every version: ``changes`` returns just the version


def merge_sorted(done: list[Any], changed: list[Any], every: dict[int, Any]) -> list[Any]:
    """``every``'s trials by number, from the previous list ``done`` and the ``changed``
    trials: numbered 0, 1, 2, ... as a store numbers them, a changed trial replaces its
    slot and a new one is appended, in ``done`` itself (O(changed)); anything else sorts
    ``every`` into a new list.

    ``done`` is updated in place, not copied: a copy per poll was a new list of every
    trial, which each young garbage collection then walked whole (at 200,000 trials,
    3.6 s of collections in a 120 s run of ``benchmarks/ui_responsiveness.py``). A
    thread reading ``done`` meanwhile (the chart pusher) sees each slot old or new:
    a finished trial's slot never changes, and trials are only appended.

    Example:
        >>> from types import SimpleNamespace as T
        >>> done = [T(number=0, v="a"), T(number=1, v="b")]
        >>> new = [T(number=2, v="c"), T(number=1, v="B")]
        >>> every = {t.number: t for t in done + new}
        >>> out = merge_sorted(done, new, every)
        >>> [t.v for t in out], out is done
        (['a', 'B', 'c'], True)
    """
    out = done
    for t in sorted(changed, key=lambda t: t.number):
        n = t.number
        if 0 <= n < len(out) and out[n].number == n:
            out[n] = t
        elif n == len(out) and (not out or out[-1].number == n - 1):
            out.append(t)
        else:
            return sorted(every.values(), key=lambda t: t.number)
    return out


class TrialCache:
    """The trials of run ``name`` in ``store``, by number and sorted, kept up to date by
    reading only what changed (``store.changes(name, since)``).

    Example:
        >>> import nasbench_ui as nb
        >>> exp = nb.Experiment("nb201", estimator="zero_cost", trials=2, storage=":memory:")
        >>> cache = TrialCache(exp.store, exp.name)
        >>> _ = exp.run()
        >>> [t.number for t in cache.read()], [t.number for t in cache.sorted], cache.read()
        ([0, 1], [0, 1], [])
    """

    def __init__(self, store: Any, name: str) -> None:
        self.store, self.name = store, name
        self.by_number: dict[int, Any] = {}
        self.sorted: list[Any] = []  # by_number's trials by number (grows in place)
        self.version = 0  # the store version read so far
        #: trials by state name and the RUNNING ones, kept as trials change (O(changes))
        self.counts: dict[str, int] = {}
        self.running: dict[int, Any] = {}

    def read(self, full: bool = False) -> list[Any]:
        """Read the trials changed since the last read and return them; when ``full``,
        read every trial (once) and return them all."""
        if full:
            return self._read_full()
        version, changed = self.store.changes(self.name, self.version)
        if version < self.version:  # the run was rewritten: read it afresh
            return self._read_full()
        if changed:
            self.version = version
            for t in changed:
                self._count(self.by_number.get(t.number), t)
                self.by_number[t.number] = t
            self.sorted = merge_sorted(self.sorted, changed, self.by_number)
        return changed

    def _read_full(self) -> list[Any]:
        # the version first (a read of no trials), then every trial: a trial written
        # in between is read again by the next read, never missed
        self.version = self.store.changes(self.name, _NEWEST)[0]
        self.read_all()
        return list(self.sorted)  # a copy: ``sorted`` grows in place with later reads

    def read_all(self) -> None:
        """Read every trial of the run again."""
        trials = self.store.trials(self.name)
        self.by_number = {t.number: t for t in trials}
        self.sorted = sorted(self.by_number.values(), key=lambda t: t.number)
        self.counts, self.running = {}, {}
        for t in self.sorted:
            self._count(None, t)

    def _count(self, old: Any, new: Any) -> None:
        if old is not None:
            self.counts[old.state.name] -= 1
            self.running.pop(old.number, None)
        self.counts[new.state.name] = self.counts.get(new.state.name, 0) + 1
        if new.state is TrialState.RUNNING:
            self.running[new.number] = new.worker

    def trial(self, number: int) -> Any:
        """Trial ``number``, read from the store."""
        return self.store.trial(self.name, number)

"""LiveView's trial cache keeps the counts by state and the running trials as trials
change (O(changes) per poll), equal to a recount of every trial."""

from __future__ import annotations

import random

from nasbench_ui.storage import MemoryStore
from nasbench_ui.storage.trial import TrialState
from nasbench_ui.ui.live_view import TrialCache


def _recount(trials: list) -> tuple[dict[str, int], list]:
    counts: dict[str, int] = {}
    for t in trials:
        counts[t.state.name] = counts.get(t.state.name, 0) + 1
    return counts, sorted((t.number, t.worker) for t in trials if t.state is TrialState.RUNNING)


def test_counts_and_running_follow_the_store() -> None:
    store = MemoryStore()
    store.create_experiment("run", {})
    cache = TrialCache(store, "run")
    rng = random.Random(0)
    running: list[int] = []
    for step in range(300):
        if running and rng.random() < 0.6:
            n = running.pop(rng.randrange(len(running)))
            state = rng.choice([TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED])
            store.finish_trial("run", n, state, value=0.5 if state is TrialState.COMPLETE else None)
        else:
            running.append(store.create_trial("run", {"i": step}, worker=f"w{step % 3}"))
        if rng.random() < 0.3:
            cache.read()
            counts, run = _recount(cache.sorted)
            assert {k: v for k, v in cache.counts.items() if v} == counts
            assert sorted(cache.running.items()) == run
    cache.read(full=True)
    assert {k: v for k, v in cache.counts.items() if v} == _recount(cache.sorted)[0]


def test_a_store_replaced_by_an_older_copy_is_read_afresh() -> None:
    def store_with(n: int, state: TrialState) -> MemoryStore:
        store = MemoryStore()
        store.create_experiment("run", {})
        for i in range(n):
            store.finish_trial("run", store.create_trial("run", {"i": i}), state, value=None)
        return store

    cache = TrialCache(store_with(5, TrialState.COMPLETE), "run")
    cache.read()
    assert [t.number for t in cache.sorted] == [0, 1, 2, 3, 4]
    cache.store = store_with(1, TrialState.FAILED)  # the file replaced: its versions went back
    cache.read()
    assert [(t.number, t.state) for t in cache.sorted] == [(0, TrialState.FAILED)]
    assert {k: v for k, v in cache.counts.items() if v} == {"FAILED": 1}


class _CountingStore:
    """A MemoryStore that counts the trials each read returns; ``during_full`` runs inside
    ``trials()`` (a trial written while a full read is under way)."""

    def __init__(self, store: MemoryStore) -> None:
        self.store, self.loaded, self.during_full = store, 0, None

    def changes(self, name: str, since: int = 0) -> tuple[int, list]:
        version, trials = self.store.changes(name, since)
        self.loaded += len(trials)
        return version, trials

    def trials(self, name: str) -> list:
        if self.during_full is not None:
            self.during_full()
        trials = self.store.trials(name)
        self.loaded += len(trials)
        return trials


def test_a_full_read_loads_each_trial_once_and_misses_none_written_meanwhile() -> None:
    store = MemoryStore()
    store.create_experiment("run", {})
    for i in range(50):
        store.finish_trial("run", store.create_trial("run", {"i": i}), TrialState.COMPLETE,
                           value=float(i))
    counting = _CountingStore(store)
    cache = TrialCache(counting, "run")
    got = cache.read(full=True)
    assert counting.loaded == 50  # read once (it was read twice: the changes, then all)
    assert [t.number for t in got] == [t.number for t in cache.sorted] == list(range(50))
    assert got is not cache.sorted  # the caller's list does not grow with later reads
    # a trial created while the next full read runs is in that read or the one after it
    counting.during_full = lambda: store.create_trial("run", {"i": "late"})
    cache.read(full=True)
    counting.during_full = None
    cache.read()
    assert [t.number for t in cache.sorted] == list(range(51))
    assert {k: v for k, v in cache.counts.items() if v} == {"COMPLETE": 50, "RUNNING": 1}
    assert cache.read() == []

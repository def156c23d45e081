"""``HeapFreeze``: while a run goes on, the heap is frozen after each full collection,
and the last run to end unfreezes it (``nasbench_ui.engine.heap``)."""

from __future__ import annotations

import gc
import weakref

import pytest

import nasbench_ui as nb
from nasbench_ui.engine import heap as heap_mod
from nasbench_ui.engine import runs as runs_mod
from nasbench_ui.engine.heap import ENV, HeapFreeze


@pytest.fixture(autouse=True)
def _thawed():
    assert HeapFreeze.active() == 0, "a run of an earlier test is still going"
    gc.unfreeze()
    gc.disable()  # no automatic collection: each test says when a full one happens
    yield
    gc.enable()
    gc.unfreeze()


def test_a_run_freezes_after_a_full_collection_and_thaws_at_its_end():
    with HeapFreeze(enabled=True) as heap:
        assert heap_mod._count_full in gc.callbacks  # counts full collections meanwhile
        heap.after_step()
        assert gc.get_freeze_count() == 0 and HeapFreeze.active() == 1  # none yet
        gc.collect()
        heap.after_step()
        frozen = gc.get_freeze_count()
        assert frozen > 0
        kept = [[i] for i in range(1000)]  # what a search keeps: tracked
        heap.after_step()  # no full collection since: nothing more is frozen
        assert gc.get_freeze_count() == frozen
        gc.collect()
        heap.after_step()
        assert gc.get_freeze_count() >= frozen + len(kept)
        assert len(gc.get_objects(2)) < len(kept)  # the next full collection skips them
    assert gc.get_freeze_count() == 0 and HeapFreeze.active() == 0
    assert heap_mod._count_full not in gc.callbacks


class Node:
    """A cycle of these is freed by the collector only."""


def _cycle() -> None:
    a, b = Node(), Node()
    a.other, b.other = b, a


def test_a_slow_step_collects_what_it_dropped_before_freezing(monkeypatch):
    monkeypatch.setattr(heap_mod, "SLOW_STEP_S", 0.0)  # every step counts as slow
    with HeapFreeze(enabled=True) as heap:
        gc.collect()  # mid-step, by the collector
        _cycle()  # then the step's trial drops a model in a cycle
        heap.after_step()
        assert gc.get_freeze_count() > 0
        assert not [o for o in gc.get_objects() if type(o) is Node]  # freed, not frozen


def test_a_reader_freezes_after_a_slow_step_without_a_second_collection(monkeypatch):
    """A store reader's "steps" are its polls, a quarter second apart: each would count
    as slow and double the pause of every full collection, for no dropped model."""
    monkeypatch.setattr(heap_mod, "SLOW_STEP_S", 0.0)  # every step counts as slow
    with HeapFreeze(enabled=True, recollect=False) as heap:
        gc.collect()
        full = gc.get_stats()[2]["collections"]
        heap.after_step()
        assert gc.get_freeze_count() > 0 and gc.get_stats()[2]["collections"] == full


def test_a_fast_step_freezes_without_a_second_collection(monkeypatch):
    monkeypatch.setattr(heap_mod, "SLOW_STEP_S", 3600.0)
    with HeapFreeze(enabled=True) as heap:
        gc.collect()
        full = gc.get_stats()[2]["collections"]
        heap.after_step()
        assert gc.get_freeze_count() > 0 and gc.get_stats()[2]["collections"] == full


def test_a_step_slow_only_by_the_collection_itself_freezes_without_a_second_one(monkeypatch):
    """A full collection of a big heap pauses the step that it falls in (0.3 s in a
    notebook kernel); that pause does not make the step slow, or the freeze would come
    after a second such pause (seen in benchmarks/ui_responsiveness.py: two 0.29 s
    collections in a row, a 1.1 s chart lag)."""
    monkeypatch.setattr(heap_mod, "SLOW_STEP_S", 0.05)
    kept = [[i] for i in range(300_000)]  # a heap whose full collection takes a while
    with HeapFreeze(enabled=True) as heap:
        heap.after_step()
        before = HeapFreeze.gc_seconds
        while HeapFreeze.gc_seconds - before <= 0.06:  # collections longer than a slow step
            gc.collect()
        full = gc.get_stats()[2]["collections"]
        heap.after_step()
        assert gc.get_freeze_count() >= len(kept)
        assert gc.get_stats()[2]["collections"] == full  # frozen with no second collection


def test_two_runs_share_the_freeze_until_the_last_ends():
    first, second = HeapFreeze(enabled=True), HeapFreeze(enabled=True)
    first.__enter__()
    second.__enter__()
    gc.collect()
    first.after_step()
    assert HeapFreeze.active() == 2 and gc.get_freeze_count() > 0
    first.release()
    assert gc.get_freeze_count() > 0  # the second run still goes on
    second.release()
    first.release()  # a second release changes nothing
    assert gc.get_freeze_count() == 0 and HeapFreeze.active() == 0


def test_a_heap_frozen_by_someone_else_is_left_alone():
    gc.freeze()
    before = gc.get_freeze_count()
    with HeapFreeze(enabled=True) as heap:
        gc.collect()
        heap.after_step()
        assert HeapFreeze.active() == 0
    assert gc.get_freeze_count() == before  # not unfrozen by us


def test_the_environment_turns_it_off(monkeypatch):
    monkeypatch.setenv(ENV, "0")
    with HeapFreeze() as heap:
        gc.collect()
        heap.after_step()
        assert gc.get_freeze_count() == 0 and not heap.enabled


def test_an_early_run_collects_and_freezes_as_it_enters():
    a, b = Node(), Node()  # garbage from before the run: collected, never frozen
    a.other, b.other = b, a
    gone = weakref.ref(a)
    del a, b
    full = HeapFreeze.full_collections
    with HeapFreeze(enabled=True, early=True) as heap:
        assert gone() is None and gc.get_freeze_count() > 0
        assert HeapFreeze.full_collections == full + 1
        frozen = gc.get_freeze_count()
        heap.after_step()  # the early collection is not one more to freeze after
        assert gc.get_freeze_count() == frozen
        with HeapFreeze(enabled=True, early=True):  # a second run: frozen already
            assert HeapFreeze.full_collections == full + 1
    assert gc.get_freeze_count() == 0 and HeapFreeze.active() == 0


def _freeze_at_first_trial(monkeypatch, trials: int, background: bool) -> int:
    monkeypatch.setattr(runs_mod, "EARLY_TRIALS", 5)
    seen = []

    def on_event(event):
        if event.kind == "trial_finish" and not seen:
            seen.append(gc.get_freeze_count())

    exp = nb.Experiment("nb201", estimator="zero_cost", trials=trials, storage=":memory:",
                        seed=0)
    exp.observe(on_event)
    if background:
        exp.start().wait(60)
    else:
        exp.run()
    assert exp.n_done() == trials and gc.get_freeze_count() == 0
    return seen[0]


def test_a_long_background_search_is_frozen_before_its_first_trial(monkeypatch):
    assert _freeze_at_first_trial(monkeypatch, 5, background=True) > 0


@pytest.mark.parametrize("trials, background", [(4, True), (5, False)])
def test_a_short_or_foreground_search_is_not_frozen_early(monkeypatch, trials, background):
    assert _freeze_at_first_trial(monkeypatch, trials, background) == 0


def test_a_short_search_never_collects_nor_freezes():
    full = gc.get_stats()[2]["collections"]
    exp = nb.Experiment("nb201", estimator="zero_cost", trials=3, storage=":memory:", seed=0)
    exp.run()
    assert exp.n_done() == 3
    assert gc.get_stats()[2]["collections"] == full and gc.get_freeze_count() == 0


def test_a_search_freezes_after_a_full_collection_and_thaws_at_its_end():
    seen = []

    def on_event(event):
        if event.kind == "trial_finish":
            seen.append((HeapFreeze.active(), gc.get_freeze_count()))
            if event.number == 1:
                gc.collect()  # as the collector would, by itself, in a long search

    exp = nb.Experiment("nb201", estimator="zero_cost", trials=4, storage=":memory:", seed=0)
    exp.observe(on_event)
    exp.run()
    assert exp.n_done() == 4
    assert [a for a, _ in seen] == [1, 1, 1, 1]
    assert seen[1][1] == 0 and seen[-1][1] > 0  # frozen at the step after the collection
    assert HeapFreeze.active() == 0 and gc.get_freeze_count() == 0


def test_a_failing_search_thaws_the_heap(monkeypatch):
    exp = nb.Experiment("nb201", estimator="zero_cost", trials=5, storage=":memory:", seed=0)
    create = exp.store.create_trial

    def failing(*args, **kwargs):
        if gc.get_freeze_count():
            raise OSError("disk full")
        gc.collect()
        return create(*args, **kwargs)

    monkeypatch.setattr(exp.store, "create_trial", failing)
    with pytest.raises(OSError, match="disk full"):
        exp.run()
    assert HeapFreeze.active() == 0 and gc.get_freeze_count() == 0

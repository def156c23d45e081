"""``HeapFreeze``: a run freezes the heap after its first step and the last run to end
unfreezes it (``nasbench_ui.engine.heap``)."""

from __future__ import annotations

import gc

import pytest

import nasbench_ui as nb
from nasbench_ui.engine.heap import ENV, HeapFreeze


@pytest.fixture(autouse=True)
def _thawed():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_a_run_freezes_after_its_first_step_and_thaws_at_its_end():
    heap = HeapFreeze(enabled=True)
    with heap:
        assert gc.get_freeze_count() == 0  # nothing before the first step
        heap.after_step()
        frozen = gc.get_freeze_count()
        assert frozen > 0 and HeapFreeze.active() == 1
        heap.after_step()  # once per run
        assert HeapFreeze.active() == 1
    assert gc.get_freeze_count() == 0 and HeapFreeze.active() == 0


def test_garbage_of_the_first_step_is_collected_not_frozen():
    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle: only the collector frees it
    del a, b
    heap = HeapFreeze(enabled=True)
    with heap:
        heap.after_step()
        assert not [o for o in gc.get_objects() if type(o) is Node]


def test_two_runs_share_one_freeze_until_the_last_ends():
    first, second = HeapFreeze(enabled=True), HeapFreeze(enabled=True)
    first.after_step()
    second.after_step()
    assert HeapFreeze.active() == 2
    first.release()
    assert gc.get_freeze_count() > 0  # the second run still runs
    second.release()
    first.release()  # a second release changes nothing
    assert gc.get_freeze_count() == 0 and HeapFreeze.active() == 0


def test_the_environment_turns_it_off(monkeypatch):
    monkeypatch.setenv(ENV, "0")
    with HeapFreeze() as heap:
        heap.after_step()
        assert gc.get_freeze_count() == 0 and not heap.enabled


def test_a_search_holds_the_freeze_while_it_runs_and_releases_it():
    seen = []
    exp = nb.Experiment("nb201", estimator="zero_cost", trials=3, storage=":memory:", seed=0)
    exp.observe(lambda e: seen.append(HeapFreeze.active()) if e.kind == "trial_start" else None)
    exp.run()
    assert exp.n_done() == 3
    assert seen[0] == 0 and seen[-1] == 1  # frozen after the first step, not before
    assert HeapFreeze.active() == 0 and gc.get_freeze_count() == 0


def test_a_failing_search_releases_the_freeze(monkeypatch):
    exp = nb.Experiment("nb201", estimator="zero_cost", trials=5, storage=":memory:", seed=0)
    create = exp.store.create_trial

    def failing(*args, **kwargs):
        if HeapFreeze.active():
            raise OSError("disk full")
        return create(*args, **kwargs)

    monkeypatch.setattr(exp.store, "create_trial", failing)
    with pytest.raises(OSError, match="disk full"):
        exp.run()
    assert HeapFreeze.active() == 0 and gc.get_freeze_count() == 0


def test_a_run_freezes_again_after_each_full_collection():
    heap = HeapFreeze(enabled=True)
    with heap:
        heap.after_step()
        kept = [[i] for i in range(1000)]  # what a search keeps: tracked, in gen 0
        heap.after_step()  # no full collection since: nothing more is frozen
        frozen = gc.get_freeze_count()
        gc.collect()  # a full collection
        heap.after_step()
        assert gc.get_freeze_count() >= frozen + len(kept)
        assert len(gc.get_objects(2)) < len(kept)  # the next full collection skips them
    assert gc.get_freeze_count() == 0

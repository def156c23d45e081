"""The SQLite store answers its own recent writes from memory (``storage/sqlite_recent.py``):
what ``changes()`` returns must be what a read of the file returns, whoever else writes."""

from __future__ import annotations

import random
import threading

import pytest

from nasbench_ui.storage import SQLiteStore, TrialState
from nasbench_ui.storage import sqlite_rows as rows
from nasbench_ui.storage.sqlite_recent import CURVE, STATE, VERSION, WORKER, RecentWrites


@pytest.fixture()
def loads(monkeypatch):
    """Counts the trials read back from the file by ``changes()``."""
    seen = {"trials": 0}
    real = rows.load_trials

    def counted(con, where, params):
        out = real(con, where, params)
        seen["trials"] += len(out)
        return out

    monkeypatch.setattr(rows, "load_trials", counted)
    return seen


def _file_view(path, name: str, since: int) -> tuple[int, list]:
    """``changes()`` as a reader that wrote nothing gives it (read from the file)."""
    with SQLiteStore(path, readonly=True) as other:
        return other.changes(name, since)


def _write_some(store: SQLiteStore, name: str, rng: random.Random, n: int) -> None:
    """Random writes of every kind a search makes (and refused ones)."""
    for _ in range(n):
        running = [t.number for t in store.trials(name, [TrialState.RUNNING])]
        op = rng.random()
        if op < 0.35 or not running:
            store.create_trial(name, {"op": rng.choice(["a", "b"]), "k": rng.randint(0, 3)},
                               worker=rng.choice([None, "w1"]), meta={"i": rng.random()})
        elif op < 0.6:
            store.append_curve(name, rng.choice(running),
                               {"epoch": rng.randint(1, 9), "valid_acc": rng.random()})
        elif op < 0.65:
            store.set_worker(name, rng.choice(running), rng.choice([None, "w2"]))
        elif op < 0.7:  # refused: a finished trial is not finished again
            done = [t.number for t in store.trials(name, [TrialState.COMPLETE])]
            if done:
                with pytest.raises(ValueError, match="already COMPLETE"):
                    store.finish_trial(name, done[0], TrialState.COMPLETE, value=1.0)
        else:
            value = rng.choice([rng.random(), -0.0, 3, None, float("nan")])
            store.finish_trial(name, rng.choice(running),
                               rng.choice([TrialState.COMPLETE, TrialState.FAILED]),
                               value=value, metrics={"params": rng.randint(1, 9), "x": None},
                               error=rng.choice([None, "boom"]))


def test_changes_of_its_own_writes_come_from_memory_and_match_the_file(tmp_path, loads):
    path, rng = tmp_path / "s.db", random.Random(0)
    with SQLiteStore(path) as store:
        name = store.create_experiment("e", {})
        since = store.changes(name, 0)[0]  # the first read starts the log
        for _ in range(15):
            _write_some(store, name, rng, 12)
            loads["trials"] = 0
            latest, got = store.changes(name, since)
            assert got, "the writes changed trials"
            assert loads["trials"] == 0, "every change came from the log, none from the file"
            assert (latest, got) == _file_view(path, name, since)
            since = latest


def test_another_writer_is_read_from_the_file(tmp_path):
    path, rng = tmp_path / "s.db", random.Random(1)
    with SQLiteStore(path) as mine, SQLiteStore(path) as theirs:
        name = mine.create_experiment("e", {})
        since = mine.changes(name, 0)[0]
        for step in range(12):
            writer = mine if step % 3 else theirs  # theirs breaks the chain, or writes last
            _write_some(writer, name, rng, 6)
            if step % 4 == 0:
                _write_some(mine, name, rng, 3)  # mine after theirs: a version skipped
            latest, got = mine.changes(name, since)
            assert (latest, got) == _file_view(path, name, since)
            since = latest


def test_a_write_between_two_of_its_own_is_not_missed(tmp_path):
    """Theirs takes a version between two of mine: my log must not answer past it."""
    path = tmp_path / "s.db"
    with SQLiteStore(path) as mine, SQLiteStore(path) as theirs:
        name = mine.create_experiment("e", {})
        since = mine.changes(name, 0)[0]
        mine.create_trial(name, {"who": "mine"})
        theirs.create_trial(name, {"who": "theirs"})
        mine.create_trial(name, {"who": "mine again"})
        latest, got = mine.changes(name, since)
        assert [t.arch["who"] for t in got] == ["mine", "theirs", "mine again"]
        assert (latest, got) == _file_view(path, name, since)


def test_interrupted_deleted_and_old_reads_match_the_file(tmp_path):
    path, rng = tmp_path / "s.db", random.Random(2)
    with SQLiteStore(path) as store:
        name = store.create_experiment("e", {})
        since = store.changes(name, 0)[0]
        _write_some(store, name, rng, 20)
        store.interrupt_running(name)  # many trials at once: the log starts after them
        _write_some(store, name, rng, 10)
        for old in (0, since, since + 3):
            assert store.changes(name, old) == _file_view(path, name, old)
        store.delete_experiment(name)
        name = store.create_experiment("e", {})
        _write_some(store, name, rng, 10)
        assert store.changes(name, 0) == _file_view(path, name, 0)


def test_a_bounded_log_reads_older_changes_from_the_file(tmp_path, loads):
    path, rng = tmp_path / "s.db", random.Random(3)
    with SQLiteStore(path) as store:
        store._recent = RecentWrites(limit=3)
        name = store.create_experiment("e", {})
        since = store.changes(name, 0)[0]
        _write_some(store, name, rng, 30)
        loads["trials"] = 0
        got = store.changes(name, since)
        assert loads["trials"] > 3, "more trials changed than the log holds: read from the file"
        assert got == _file_view(path, name, since)


def test_a_poller_beside_a_writing_thread_ends_with_the_file(tmp_path):
    """The workbench's case: the search writes from its thread while a poller reads."""
    path = tmp_path / "s.db"
    with SQLiteStore(path) as store:
        name = store.create_experiment("e", {})
        done = threading.Event()

        def search() -> None:
            for i in range(300):
                n = store.create_trial(name, {"i": i})
                store.append_curve(name, n, {"epoch": 1, "valid_acc": i / 300})
                store.finish_trial(name, n, TrialState.COMPLETE, value=i / 300,
                                   metrics={"params": i})
            done.set()

        by_number, since = {}, 0
        writer = threading.Thread(target=search)
        writer.start()
        while True:
            finished = done.is_set()
            since, changed = store.changes(name, since)
            by_number.update((t.number, t) for t in changed)
            if finished:
                break
        writer.join()
        assert sorted(by_number.values(), key=lambda t: t.number) == store.trials(name)
        assert len(by_number) == 300


def test_the_log_follows_the_version_chain():
    log = RecentWrites()
    running = ("RUNNING",) + (None,) * 8 + ((),)
    assert log.answer(1, 0, counter=5) is None  # first read: starts at the snapshot's 5
    log.end(1, 6, 0, row=running)
    log.end(1, 4, 0, at=(STATE,), values=("COMPLETE",))  # before the log's start: ignored
    entries, last = log.answer(1, 5, counter=6)
    assert [(n, e[STATE]) for n, e in entries] == [(0, "RUNNING")] and last == 6
    log.end(1, 7, 1, at=(STATE,), values=("COMPLETE",))  # a trial it never saw: the log
    assert log.answer(1, 5, counter=7) is None  # starts after it
    assert log.answer(1, 7, counter=7) == ([], 7)
    log.end(1, 9, 0, at=(STATE,), values=("COMPLETE",))  # 8 was not its own: the chain broke
    assert log.answer(1, 7, counter=9) is None  # starts again from 9
    assert log.answer(1, 9, counter=9) == ([], 9)
    log.end(None, None, None)  # a failed write changes nothing
    assert log.answer(1, 9, counter=9) == ([], 9)
    log.end(1, 10, 2, row=running)
    log.end(1, 11, 2, at=(CURVE,), values=(("a",),))
    log.end(1, 12, 2, at=(CURVE, WORKER), values=(("b",), "w"))
    entries, _ = log.answer(1, 9, counter=12)
    assert [(e[CURVE], e[WORKER], e[VERSION]) for _, e in entries] == [(("a", "b"), "w", 12)]
    with pytest.raises(ValueError, match="limit"):
        RecentWrites(limit=0)

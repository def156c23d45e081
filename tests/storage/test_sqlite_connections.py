"""Opening a SQLite store while another connection holds the file's write lock."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from nasbench_ui.storage import SQLiteStore, StoreError


def _rollback_mode_store(path) -> None:
    """A store whose file is in rollback-journal mode (as after ``PRAGMA
    journal_mode=DELETE``, which people run to ship one file): opening it
    writable switches it to WAL, the step that raced with other writers."""
    with SQLiteStore(path) as store:
        store.create_experiment("e", {})
    con = sqlite3.connect(path, isolation_level=None)
    assert con.execute("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"
    con.close()


def _hold_write_lock(path) -> sqlite3.Connection:
    con = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    con.execute("BEGIN IMMEDIATE")  # a RESERVED lock, as another process's write
    return con


def test_open_waits_for_another_writer_instead_of_failing_at_the_wal_switch(tmp_path):
    # SQLite answers the WAL switch with "database is locked" at once while another
    # connection holds a write lock, whatever the busy timeout; two processes that
    # opened one new file together failed so, now and then, in CI.
    path = str(tmp_path / "runs.db")
    _rollback_mode_store(path)
    other = _hold_write_lock(path)
    releasing = threading.Event()  # set before the COMMIT: the open cannot pass first

    def release() -> None:
        time.sleep(0.3)
        releasing.set()
        other.execute("COMMIT")

    t = threading.Thread(target=release)
    t.start()
    try:
        with SQLiteStore(path, timeout=30) as store:
            assert releasing.is_set()  # it waited for the lock rather than failing
            assert store.experiment_names() == ["e"]
            store.create_trial("e", {"a": 1})
    finally:
        t.join()
        other.close()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


def test_open_gives_up_after_its_timeout_with_a_clear_error(tmp_path):
    path = str(tmp_path / "runs.db")
    _rollback_mode_store(path)
    other = _hold_write_lock(path)
    try:
        start = time.monotonic()
        with pytest.raises(StoreError, match="locked"):
            SQLiteStore(path, timeout=0.3)
        assert time.monotonic() - start >= 0.3  # it waited its timeout, then said why
    finally:
        other.execute("ROLLBACK")
        other.close()
    with SQLiteStore(path) as store:  # nothing was lost
        assert store.experiment_names() == ["e"]


# ------------------------------------------------------------------ a read-only open


def _shared_file(path, trials: int = 3):
    """A store someone wrote and closed a while ago (its -wal and -shm gone, as a copied
    or downloaded file arrives)."""
    import os

    from nasbench_ui.storage import TrialState

    with SQLiteStore(path) as store:
        name = store.create_experiment("e", {"trials": trials})
        for i in range(trials):
            n = store.create_trial(name, {"op": f"a{i}"})
            store.append_curve(name, n, {"epoch": 1})
            store.finish_trial(name, n, TrialState.COMPLETE, value=i / 10)
    old = time.time() - 3600
    os.utime(path, (old, old))
    return name


def _files(folder):
    import hashlib

    return {p.name: (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(folder.iterdir())}


def test_a_read_only_open_of_a_closed_store_leaves_no_wal_or_shm_file(tmp_path):
    """Opening a shared store to read it changes nothing beside it: a mode=ro connection
    to a WAL file made its -wal and -shm files and left them there (nasbench-ui show,
    Experiment.load and the workbench all did)."""
    from nasbench_ui.storage import open_store

    name = _shared_file(tmp_path / "shared.db")
    before = _files(tmp_path)
    assert list(before) == ["shared.db"]
    store = open_store(tmp_path / "shared.db", readonly=True)
    assert [t.value for t in store.trials(name)] == [0.0, 0.1, 0.2]
    assert store.changes(name, 0)[0] > 0 and store.load_experiment()["name"] == name
    assert store.integrity_check()
    reader = threading.Thread(target=lambda: store.trials(name))  # a connection of its own
    reader.start()
    reader.join()
    store.close()
    assert _files(tmp_path) == before


def test_a_quiet_read_only_store_follows_a_writer_that_comes_later(tmp_path):
    """The read-only store reads a closed file as it is; once a writer opens it (its -wal
    appears) or has changed it, the reader reads through SQLite's locks as before and
    sees every write."""
    from nasbench_ui.storage import TrialState

    path = tmp_path / "shared.db"
    name = _shared_file(path)
    reader = SQLiteStore(path, readonly=True)
    assert len(reader.trials(name)) == 3
    writer = SQLiteStore(path)
    n = writer.create_trial(name, {"op": "new"})
    assert [t.state for t in reader.trials(name)][-1] is TrialState.RUNNING
    writer.finish_trial(name, n, TrialState.COMPLETE, value=0.9)
    assert reader.trial(name, n).value == 0.9
    writer.close()  # checkpointed into the file: the -wal is gone again
    second = SQLiteStore(path)
    second.create_experiment("later", {})
    second.close()
    assert reader.experiment_names() == [name, "later"]
    reader.close()


def test_a_read_only_store_sees_a_writer_that_came_and_went_between_two_reads(tmp_path):
    path = tmp_path / "shared.db"
    name = _shared_file(path)
    reader = SQLiteStore(path, readonly=True)
    assert reader.experiment_names() == [name]
    with SQLiteStore(path) as writer:
        writer.create_experiment("later", {})
    assert reader.experiment_names() == [name, "later"]
    reader.close()

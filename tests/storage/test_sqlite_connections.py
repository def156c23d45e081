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

"""The store lease (one owner per running experiment) and the read-only open.

Issue 16, points 2, 8, 10 and 12: opening a store to read it never changes it; only
one live process owns an experiment; /dev/null and other non-files are refused.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from nasbench_ui.storage import Lease, LeaseHeld, MemoryStore, SQLiteStore, StoreError, TrialState
from nasbench_ui.storage.lease import is_live, live_holder, process_alive
from nasbench_ui.storage.sqlite_schema import SCHEMA_V1


def _write_v1(path: Path) -> None:
    """A schema-1 store: experiment 'old' (3 trials) and 'older' (none)."""
    con = sqlite3.connect(path, isolation_level=None)
    for ddl in SCHEMA_V1:
        con.execute(ddl)
    con.execute(
        "INSERT INTO experiments (id, name, config, strategy_state, created_at) VALUES "
        "(1, 'old', '{}', '{}', 1000.0), (2, 'older', '{}', '{}', 1001.0)"
    )
    con.executemany(
        "INSERT INTO trials (id, experiment_id, number, state, arch, value, metrics, curve, "
        "error, started_at, finished_at, version) VALUES (?, 1, ?, ?, '{}', ?, '{}', ?, "
        "NULL, 1.0, 2.0, ?)",
        [(1, 0, "COMPLETE", 0.75, '[{"epoch": 0}, {"epoch": 1}]', 1),
         (2, 1, "FAILED", None, "[]", 2), (3, 2, "RUNNING", None, "[]", 3)],
    )
    con.close()


def _stores(tmp_path: Path):
    return [MemoryStore(), SQLiteStore(tmp_path / "l.db")]


def _digest(*paths: Path) -> list[str | None]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else None for p in paths]


@pytest.mark.parametrize("kind", [0, 1])
def test_lease_excludes_a_second_owner_until_released(tmp_path, kind):
    store = _stores(tmp_path)[kind]
    name = store.create_experiment("e", {})
    clock = [1000.0]
    a = Lease(store, name, clock=lambda: clock[0])
    a.acquire()
    assert store.lease(name)["owner"] == a.owner
    b = Lease(store, name, clock=lambda: clock[0], host="other-host")
    with pytest.raises(LeaseHeld, match=rf"being run by pid {os.getpid()} on host "):
        b.acquire()
    a.release()
    assert store.lease(name) is None
    b.acquire()
    assert store.lease(name)["owner"] == b.owner and b.held


@pytest.mark.parametrize("kind", [0, 1])
def test_an_expired_heartbeat_is_taken_over_and_the_old_owner_learns_it(tmp_path, kind):
    store = _stores(tmp_path)[kind]
    name = store.create_experiment("e", {})
    clock = [1000.0]
    # an owner on another host: only its heartbeat says whether it lives
    far = Lease(store, name, clock=lambda: clock[0], host="far-away", ttl=30)
    far.acquire()
    near = Lease(store, name, clock=lambda: clock[0], ttl=30)
    clock[0] += 29
    with pytest.raises(LeaseHeld):
        near.acquire()
    clock[0] += 2  # 31 s without a heartbeat
    near.acquire()
    assert not far.beat() and "taken over" in far.lost
    assert near.beat()


def test_a_dead_owner_on_this_host_is_replaced_at_once(tmp_path):
    store = SQLiteStore(tmp_path / "d.db")
    name = store.create_experiment("e", {})
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: the pid is gone
    ghost = Lease(store, name, pid=child.pid)
    ghost.acquire()
    assert not process_alive(child.pid)
    Lease(store, name).acquire()  # heartbeat fresh, but the process is dead


def test_a_zombie_owner_counts_as_dead(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    for _ in range(200):  # exited but not reaped yet: a zombie
        if Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            break
        threading.Event().wait(0.02)
    try:
        assert not process_alive(child.pid)
    finally:
        child.wait()


def test_a_reused_pid_is_not_the_owner():
    assert process_alive(os.getpid())
    assert not process_alive(os.getpid(), pid_start="0")
    assert not process_alive(-1) and not process_alive("12")


def test_is_live_rules():
    rec = {"owner": "x", "host": "elsewhere", "pid": 1, "heartbeat": 100.0}
    assert is_live(rec, 120.0, ttl=30) and not is_live(rec, 131.0, ttl=30)
    assert not is_live(None, 0.0)


def test_only_one_of_many_racing_owners_wins(tmp_path):
    path = tmp_path / "race.db"
    SQLiteStore(path).create_experiment("e", {})
    wins, refusals = [], []
    barrier = threading.Barrier(6)

    def contend() -> None:
        store = SQLiteStore(path)
        lease = Lease(store, "e")
        barrier.wait()
        try:
            lease.acquire()
            wins.append(lease.owner)
        except LeaseHeld:
            refusals.append(1)

    threads = [threading.Thread(target=contend) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1 and len(refusals) == 5
    assert live_holder(SQLiteStore(path, readonly=True), "e")["owner"] == wins[0]


def test_heartbeat_thread_keeps_the_lease_fresh_and_reports_a_loss(tmp_path):
    store = SQLiteStore(tmp_path / "h.db")
    name = store.create_experiment("e", {})
    lost = threading.Event()
    lease = Lease(store, name, ttl=0.3)
    lease.acquire()
    first = store.lease(name)["heartbeat"]
    lease.start_heartbeat(on_lost=lambda why: lost.set())
    threading.Event().wait(0.5)
    assert store.lease(name)["heartbeat"] > first
    store.swap_lease(name, lease.owner, {"owner": "thief", "heartbeat": 0})
    assert lost.wait(2)
    lease.release()
    assert store.lease(name)["owner"] == "thief"  # a release never frees someone else's


# ------------------------------------------------------------------ read-only open


def test_a_read_only_open_never_changes_the_file(tmp_path):
    path = tmp_path / "live.db"
    writer = SQLiteStore(path)
    name = writer.create_experiment("e", {})
    writer.create_trial(name, {"op": "a"})
    before = _digest(path, Path(f"{path}-wal"))
    reader = SQLiteStore(path, readonly=True)
    assert [t.state for t in reader.trials(name)] == [TrialState.RUNNING]
    with pytest.raises(StoreError, match="opened read-only"):
        reader.interrupt_running(name)
    with pytest.raises(StoreError, match="opened read-only"):
        reader.create_experiment("x", {})
    assert _digest(path, Path(f"{path}-wal")) == before
    # the writer goes on, and the reader sees its writes (it follows a live search)
    writer.finish_trial(name, 0, TrialState.COMPLETE, value=0.5)
    assert reader.trial(name, 0).value == 0.5


def test_a_read_only_open_of_an_old_schema_reads_it_without_migrating(tmp_path):
    path = tmp_path / "v1.db"
    _write_v1(path)
    before = _digest(path)
    store = SQLiteStore(path, readonly=True)
    assert store.experiment_names() == ["old", "older"]
    assert [t.state.name for t in store.trials("old")] == ["COMPLETE", "FAILED", "RUNNING"]
    assert store.trial("old", 0).curve == [{"epoch": 0}, {"epoch": 1}]
    store.close()
    assert _digest(path) == before
    # a writing open migrates it
    SQLiteStore(path).close()
    assert _digest(path) != before


def test_a_read_only_open_of_an_empty_file_or_a_missing_one_writes_nothing(tmp_path):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    assert SQLiteStore(empty, readonly=True).experiment_names() == []
    assert empty.stat().st_size == 0
    with pytest.raises(StoreError, match="no store at"):
        SQLiteStore(tmp_path / "sub" / "missing.db", readonly=True)
    assert not (tmp_path / "sub").exists()


def test_a_read_only_store_becomes_writable_on_request(tmp_path):
    path = tmp_path / "v1.db"
    _write_v1(path)
    store = SQLiteStore(path, readonly=True)
    store.open_for_writing()
    assert store.create_trial("old", {"op": "x"}) == 3
    assert not store.readonly


@pytest.mark.parametrize("make", ["fifo", "devnull"])
def test_non_regular_files_are_refused_before_any_write(tmp_path, make):
    """Issue 16 point 12: ``--storage /dev/null``; tested through a link and a FIFO so
    the real /dev is never written to, even as root."""
    path = tmp_path / "dev.db"
    if make == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(os.devnull)
    for readonly in (False, True):
        with pytest.raises(StoreError, match="not a regular file"):
            SQLiteStore(path, readonly=readonly)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dev.db"]  # no -journal, -wal
    assert not Path(f"{os.devnull}-journal").exists()


@pytest.mark.parametrize("kind", [0, 1])
def test_delete_experiment_removes_it_with_its_trials(tmp_path, kind):
    store = _stores(tmp_path)[kind]
    a, b = store.create_experiment("a", {}), store.create_experiment("b", {})
    n = store.create_trial(a, {"op": "x"})
    store.append_curve(a, n, {"epoch": 1})
    Lease(store, a).acquire()
    store.create_trial(b, {"op": "y"})
    store.delete_experiment(a)
    assert store.experiment_names() == ["b"] and len(store.trials("b")) == 1
    with pytest.raises(ValueError, match="no experiment 'a'"):
        store.trials("a")
    assert store.create_experiment("a", {}) == "a" and store.trials("a") == []
    assert store.lease("a") is None

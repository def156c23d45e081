"""SQLiteStore specifics: files, refusals, migration, indexes, persistence."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import sqlite3
from pathlib import Path

import pytest

from nasbench_ui.storage import MemoryStore, SQLiteStore, StoreError, TrialState, open_store
from nasbench_ui.storage.sqlite_schema import SCHEMA_V1, SCHEMA_V2, SCHEMA_VERSION


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def _meta(path: Path) -> dict:
    with _raw(path) as con:
        return dict(con.execute("SELECT key, value FROM meta").fetchall())


def test_new_file_gets_current_schema_wal_and_parents(tmp_path):
    path = tmp_path / "a" / "b" / "runs.db"
    with SQLiteStore(path) as store:
        assert store.path == str(path)
        assert store.integrity_check() is True
    meta = _meta(path)
    assert meta["app"] == "nasbench_ui" and meta["schema_version"] == SCHEMA_VERSION == 2
    with _raw(path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_data_survives_reopening_and_files_hold_many_experiments(tmp_path):
    path = tmp_path / "runs.db"
    with SQLiteStore(path) as store:
        store.create_experiment("a", {"seed": 0})
        store.create_experiment("b", {"seed": 1})
        n = store.create_trial("a", {"op": "conv"}, worker="w")
        store.append_curve("a", n, {"epoch": 0, "acc": 0.5})
        store.finish_trial("a", n, TrialState.COMPLETE, value=0.5, counters={"spent_s": 3.0})
        store.create_trial("b", {"op": "skip"})
    with SQLiteStore(str(path)) as store:
        assert store.experiment_names() == ["a", "b"]
        assert store.load_experiment()["name"] == "b"
        assert store.load_experiment("a")["counters"] == {"spent_s": 3.0}
        t = store.trial("a", 0)
        assert (t.state, t.value, t.curve, t.worker) == (
            TrialState.COMPLETE,
            0.5,
            [{"epoch": 0, "acc": 0.5}],
            "w",
        )
        assert store.create_trial("a", {}) == 1  # numbering continues
        assert store.interrupt_running("b") == [0]


def test_versions_keep_increasing_after_reopen(tmp_path):
    path = tmp_path / "v.db"
    with SQLiteStore(path) as store:
        store.create_experiment("e", {})
        store.create_trial("e", {})
        v1, _ = store.changes("e")
    with SQLiteStore(path) as store:
        store.create_trial("e", {})
        v2, got = store.changes("e", since=v1)
        assert v2 > v1 and [t.number for t in got] == [1]


def test_open_store_picks_the_store(tmp_path):
    assert isinstance(open_store(":memory:"), MemoryStore)
    s = open_store(tmp_path / "x.db")
    assert isinstance(s, SQLiteStore) and s.path == str(tmp_path / "x.db")
    s.close()
    s = open_store(str(tmp_path / "y.db"))
    assert isinstance(s, SQLiteStore)
    s.close()
    with pytest.raises(ValueError, match=r"storage must be ':memory:', a file path .* got a int"):
        open_store(42)
    with pytest.raises(ValueError, match=r"storage must be ':memory:' or a file path"):
        open_store("  ")
    with pytest.raises(ValueError, match="use MemoryStore"):
        SQLiteStore(":memory:")


def _assert_refused(path: Path, pattern: str) -> None:
    before = path.read_bytes()
    siblings = sorted(p.name for p in path.parent.iterdir())
    with pytest.raises(StoreError, match=pattern):
        SQLiteStore(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == siblings


def test_text_file_is_refused_untouched(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 10)
    _assert_refused(path, r"notes\.db is not a SQLite database \(it starts with b'these are")


def test_foreign_sqlite_file_is_refused_untouched(tmp_path):
    path = tmp_path / "shop.db"
    with _raw(path) as con:
        con.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        con.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER)")
        con.execute("INSERT INTO users (name) VALUES ('ada')")
    con.close()
    _assert_refused(
        path,
        r"shop\.db is a SQLite database but not a nasbench_ui store "
        r"\(tables: orders, users\); pass another path",
    )


def test_foreign_meta_table_is_refused(tmp_path):
    path = tmp_path / "other.db"
    con = _raw(path)
    con.execute("CREATE TABLE meta (name TEXT, content TEXT)")
    con.close()
    _assert_refused(path, r"not a nasbench_ui store \(tables: meta\)")


def test_newer_schema_is_refused_untouched(tmp_path):
    path = tmp_path / "x.db"
    con = _raw(path)
    for ddl in SCHEMA_V2:
        con.execute(ddl)
    con.execute("UPDATE meta SET value = 7 WHERE key = 'schema_version'")
    con.close()
    msg = (
        f"{path} was written by a newer nasbench_ui (schema 7; this version reads up to 2); "
        "upgrade nasbench_ui"
    )
    before = path.read_bytes()
    with pytest.raises(StoreError) as err:
        SQLiteStore(path)
    assert str(err.value) == msg
    assert path.read_bytes() == before


def test_store_error_is_a_value_error():
    assert issubclass(StoreError, ValueError)


def test_path_that_is_a_directory(tmp_path):
    with pytest.raises(StoreError, match=r"cannot use .* as a store: it is a directory"):
        SQLiteStore(tmp_path)


def test_folder_that_cannot_be_created(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    path = blocker / "sub" / "runs.db"
    with pytest.raises(
        StoreError, match=r"cannot create the folder .*file\.txt/sub for the store .*runs\.db: "
    ):
        SQLiteStore(path)
    assert blocker.read_text() == "x"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(
            StoreError, match=r"cannot write the store .*runs\.db: the folder .* is read-only"
        ):
            SQLiteStore(folder / "runs.db")
    finally:
        folder.chmod(0o755)


def _write_v1(path: Path) -> None:
    con = _raw(path)
    for ddl in SCHEMA_V1:
        con.execute(ddl)
    con.execute(
        "INSERT INTO experiments (id, name, config, strategy_state, created_at) VALUES "
        "(1, 'old', '{\"trials\": 5}', '{\"told\": 2}', 1000.0), (2, 'older', '{}', '{}', 1001.0)"
    )
    rows = [
        (
            1,
            1,
            0,
            "COMPLETE",
            '{"op": "conv"}',
            0.75,
            '{"acc": 0.75}',
            '[{"epoch": 0}, {"epoch": 1}]',
            None,
            10.0,
            20.0,
            3,
        ),
        (2, 1, 1, "FAILED", '{"op": "skip"}', None, "{}", "[]", "boom", 21.0, 22.0, 4),
        (
            3,
            1,
            2,
            "RUNNING",
            '{"op": "pool"}',
            None,
            "{}",
            '[{"epoch": 0, "loss": NaN}]',
            None,
            23.0,
            None,
            6,
        ),
        (4, 2, 0, "COMPLETE", '{"op": "none"}', 0.1, "{}", "[]", None, 30.0, 31.0, 5),
    ]
    con.executemany(
        "INSERT INTO trials (id, experiment_id, number, state, arch, value, metrics, curve, error,"
        " started_at, finished_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    con.close()


def test_migration_from_schema_1_keeps_the_data(tmp_path):
    path = tmp_path / "v1.db"
    _write_v1(path)
    assert _meta(path)["schema_version"] == 1
    with SQLiteStore(path) as store:
        assert store.integrity_check() is True
        assert store.experiment_names() == ["old", "older"]
        exp = store.load_experiment("old")
        assert exp == {
            "name": "old",
            "config": {"trials": 5},
            "strategy_state": {"told": 2},
            "counters": {},
            "created_at": 1000.0,
        }
        t0, t1, t2 = store.trials("old")
        assert (t0.state, t0.arch, t0.value, t0.metrics) == (
            TrialState.COMPLETE,
            {"op": "conv"},
            0.75,
            {"acc": 0.75},
        )
        assert t0.curve == [{"epoch": 0}, {"epoch": 1}]
        assert (t0.started_at, t0.finished_at, t0.worker, t0.meta) == (10.0, 20.0, None, {})
        assert (t1.state, t1.error, t1.curve) == (TrialState.FAILED, "boom", [])
        assert t2.state is TrialState.RUNNING and t2.curve == [{"epoch": 0, "loss": None}]
        assert [t.arch for t in store.trials("older")] == [{"op": "none"}]
        # old versions still order the polls; new writes come after them
        latest, got = store.changes("old", since=4)
        assert latest == 6 and [t.number for t in got] == [2]
        store.append_curve("old", 2, {"epoch": 1})
        store.set_worker("old", 2, "w-1")
        v, got = store.changes("old", since=6)
        assert v > 6 and got[0].curve == [{"epoch": 0, "loss": None}, {"epoch": 1}]
        assert store.create_trial("old", {"op": "new"}) == 3
        store.save_counters("old", {"spent_s": 1.0})
    meta = _meta(path)
    assert meta["schema_version"] == 2 and meta["trial_version"] >= 9
    with _raw(path) as con:
        cols = [r[1] for r in con.execute("PRAGMA table_info(trials)")]
        assert "curve" not in cols and {"worker", "meta", "version"} <= set(cols)
        indexes = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {"trials_by_version", "trials_by_state"} <= indexes
    con.close()


def test_failed_migration_leaves_the_file_unchanged(tmp_path):
    path = tmp_path / "bad.db"
    _write_v1(path)
    con = _raw(path)
    con.execute("UPDATE trials SET state = 'WEIRD' WHERE id = 2")
    con.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match=r"migrating the store from schema 1 to 2 failed .*CHECK"):
        SQLiteStore(path)
    assert path.read_bytes() == before
    assert _meta(path)["schema_version"] == 1


def test_polls_use_the_version_index(tmp_path):
    """changes() must not scan the trials table: check the plan of every query it runs."""
    with SQLiteStore(tmp_path / "i.db") as store:
        store.create_experiment("e", {})
        for _ in range(3):
            store.create_trial("e", {})
        con = store._db.get()
        statements: list[str] = []
        con.set_trace_callback(statements.append)
        version, _ = store.changes("e")
        store.changes("e", since=1)
        store.changes("e", since=version)
        con.set_trace_callback(None)
        selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        assert len(selects) >= 4
        for sql in selects:
            plan = " | ".join(r[3] for r in con.execute("EXPLAIN QUERY PLAN " + sql))
            assert "SCAN t" not in plan.replace("SCAN trials", "SCAN t"), (sql, plan)
        version_plans = [
            " ".join(r[3] for r in con.execute("EXPLAIN QUERY PLAN " + s))
            for s in selects
            if "version" in s and "trials" in s
        ]
        assert version_plans and all("trials_by_version" in p for p in version_plans), version_plans


def test_integrity_check_reports_damage(tmp_path):
    path = tmp_path / "d.db"
    with SQLiteStore(path) as store:
        store.create_experiment("e", {})
        for _ in range(50):
            store.create_trial("e", {"pad": "x" * 200})
    con = _raw(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    root = con.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'trials_by_state'"
    ).fetchone()[0]
    con.close()
    with open(path, "r+b") as f:  # scribble over an index page
        f.seek((root - 1) * page_size + 8)
        f.write(b"\xff" * 64)
    before = path.read_bytes()
    # refused at open (PRAGMA quick_check), in both modes, with the way to recover, untouched
    for readonly in (False, True):
        with pytest.raises(StoreError, match=r"d\.db is damaged .*\.recover"):
            SQLiteStore(path, readonly=readonly)
    assert path.read_bytes() == before


def test_finish_trial_is_one_transaction(tmp_path):
    """Interrupt the strategy-state write inside finish_trial: nothing of it may stay."""
    with SQLiteStore(tmp_path / "tx.db") as store:
        store.create_experiment("e", {})
        n = store.create_trial("e", {})
        store.save_strategy_state("e", {"told": 0})
        con = store._db.get()
        armed: list[str] = []

        def trace(sql: str) -> None:
            if sql.startswith("UPDATE experiments SET strategy_state"):
                armed.append(sql)
            elif sql in ("ROLLBACK", "COMMIT"):
                armed.clear()

        con.set_trace_callback(trace)
        con.set_progress_handler(lambda: 1 if armed else 0, 1)
        try:
            with pytest.raises(StoreError, match=r"tx\.db: interrupted"):
                store.finish_trial(
                    "e", n, TrialState.COMPLETE, value=1.0, strategy_state={"told": 1}
                )
        finally:
            con.set_progress_handler(None, 1)
            con.set_trace_callback(None)
        t = store.trial("e", n)
        assert (t.state, t.value) == (TrialState.RUNNING, None)
        assert store.load_experiment("e")["strategy_state"] == {"told": 0}
        store.finish_trial("e", n, TrialState.COMPLETE, value=1.0, strategy_state={"told": 1})
        assert store.trial("e", n).value == 1.0
        assert store.load_experiment("e")["strategy_state"] == {"told": 1}


def _child_after_fork(store: SQLiteStore) -> None:
    n = store.create_trial("e", {"from": "child"})
    store.finish_trial("e", n, TrialState.COMPLETE, value=1.0)
    os._exit(0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_opens_its_own_connection(tmp_path):
    with SQLiteStore(tmp_path / "f.db") as store:
        store.create_experiment("e", {})
        store.create_trial("e", {"from": "parent"})
        p = mp.get_context("fork").Process(target=_child_after_fork, args=(store,))
        p.start()
        p.join(30)
        assert p.exitcode == 0
        assert [t.arch["from"] for t in store.trials("e")] == ["parent", "child"]
        assert store.trial("e", 1).value == 1.0
        assert store.integrity_check() is True


def test_stored_text_is_json(tmp_path):
    path = tmp_path / "j.db"
    with SQLiteStore(path) as store:
        store.create_experiment("e", {"a": [1, 2]})
        n = store.create_trial("e", {"op": "x"}, meta={"parent": None})
        store.append_curve("e", n, {"epoch": 0})
        store.finish_trial("e", n, TrialState.COMPLETE, value=2.0, metrics={"m": 1})
    con = _raw(path)
    row = con.execute("SELECT arch, metrics, meta FROM trials").fetchone()
    assert [json.loads(x) for x in row] == [{"op": "x"}, {"m": 1}, {"parent": None}]
    assert json.loads(con.execute("SELECT point FROM curve_points").fetchone()[0]) == {"epoch": 0}
    assert json.loads(con.execute("SELECT config FROM experiments").fetchone()[0]) == {"a": [1, 2]}
    con.close()

"""The SQLite layout of a nasbench_ui store, its history, and the checks on opening.

Schema history (``meta.schema_version``):

* **1** — ``experiments(id, name, config, strategy_state, created_at)``;
  ``trials(..., curve TEXT, version)`` with the whole curve as one JSON list that
  was rewritten on every epoch, and a store-wide ``MAX(version) + 1`` counter.
* **2** (current) — ``experiments.counters`` (spent budget and the like);
  ``trials.worker`` and ``trials.meta``; curve points in their own table
  ``curve_points(trial_id, step, point)`` so that an epoch appends one small row;
  the version counter kept in ``meta.trial_version``; an index on
  ``trials(experiment_id, version)`` so a poll with nothing new is one index probe.

:func:`prepare` checks a file before anything is written to it: a file that is not
SQLite, a SQLite file of another program, or a store written by a newer
nasbench_ui is refused with :class:`StoreError` and left byte-for-byte untouched.

Example:
    >>> import sqlite3
    >>> con = sqlite3.connect(":memory:", isolation_level=None)
    >>> prepare(con, ":memory:")
    >>> schema_version(con)
    2
"""

from __future__ import annotations

import json
import sqlite3
import time

from nasbench_ui.storage.base import StoreError, encode

SCHEMA_VERSION = 2
APP = "nasbench_ui"

#: The version-1 layout, kept so that old files can be migrated (and tested).
SCHEMA_V1: tuple[str, ...] = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value)",
    "INSERT INTO meta (key, value) VALUES ('app', 'nasbench_ui'), ('schema_version', 1)",
    """CREATE TABLE experiments (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        config TEXT NOT NULL,
        strategy_state TEXT NOT NULL DEFAULT '{}',
        created_at REAL NOT NULL)""",
    """CREATE TABLE trials (
        id INTEGER PRIMARY KEY,
        experiment_id INTEGER NOT NULL REFERENCES experiments(id),
        number INTEGER NOT NULL,
        state TEXT NOT NULL,
        arch TEXT NOT NULL,
        value REAL,
        metrics TEXT NOT NULL DEFAULT '{}',
        curve TEXT NOT NULL DEFAULT '[]',
        error TEXT,
        started_at REAL,
        finished_at REAL,
        version INTEGER NOT NULL DEFAULT 0,
        UNIQUE (experiment_id, number))""",
    "CREATE INDEX trials_version_v1 ON trials (version)",
)

_TRIALS_V2 = """CREATE TABLE {name} (
        id INTEGER PRIMARY KEY,
        experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        state TEXT NOT NULL
            CHECK (state IN ('RUNNING', 'COMPLETE', 'PRUNED', 'FAILED', 'INTERRUPTED')),
        arch TEXT NOT NULL,
        value REAL,
        metrics TEXT NOT NULL DEFAULT '{{}}',
        error TEXT,
        started_at REAL,
        finished_at REAL,
        worker TEXT,
        meta TEXT NOT NULL DEFAULT '{{}}',
        version INTEGER NOT NULL,
        UNIQUE (experiment_id, number))"""

_CURVE_POINTS = """CREATE TABLE curve_points (
        trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
        step INTEGER NOT NULL,
        point TEXT NOT NULL,
        PRIMARY KEY (trial_id, step)) WITHOUT ROWID"""

_INDEXES_V2: tuple[str, ...] = (
    "CREATE INDEX trials_by_version ON trials (experiment_id, version)",
    "CREATE INDEX trials_by_state ON trials (experiment_id, state)",
)

#: The current (version-2) layout.
SCHEMA_V2: tuple[str, ...] = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value)",
    "INSERT INTO meta (key, value) VALUES ('app', 'nasbench_ui'), ('schema_version', 2), "
    "('trial_version', 0)",
    """CREATE TABLE experiments (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        config TEXT NOT NULL,
        strategy_state TEXT NOT NULL DEFAULT '{}',
        counters TEXT NOT NULL DEFAULT '{}',
        created_at REAL NOT NULL)""",
    _TRIALS_V2.format(name="trials"),
    _CURVE_POINTS,
    *_INDEXES_V2,
)


def _migrate_1_to_2(con: sqlite3.Connection) -> None:
    """v1 -> v2: add counters/worker/meta, move curves to curve_points, keep every row.

    Follows SQLite's recipe for changing a table (new table, copy, drop, rename),
    with foreign keys off around the transaction and checked before commit.
    """
    con.execute("ALTER TABLE experiments ADD COLUMN counters TEXT NOT NULL DEFAULT '{}'")
    con.execute(_TRIALS_V2.format(name="trials_new"))
    con.execute(
        "INSERT INTO trials_new (id, experiment_id, number, state, arch, value, metrics, error,"
        " started_at, finished_at, worker, meta, version)"
        " SELECT id, experiment_id, number, state, arch, value, metrics, error,"
        " started_at, finished_at, NULL, '{}', version FROM trials"
    )
    con.execute(_CURVE_POINTS)
    for trial_id, curve in con.execute("SELECT id, curve FROM trials").fetchall():
        points = json.loads(curve or "[]")
        con.executemany(
            "INSERT INTO curve_points (trial_id, step, point) VALUES (?, ?, ?)",
            [
                (trial_id, step, encode(p, "v1 curve point", dict_only=False, nan_to_null=True))
                for step, p in enumerate(points)
            ],
        )
    con.execute("DROP TABLE trials")
    con.execute("ALTER TABLE trials_new RENAME TO trials")
    for ddl in _INDEXES_V2:
        con.execute(ddl)
    con.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES "
        "('trial_version', (SELECT COALESCE(MAX(version), 0) FROM trials))"
    )
    con.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('migrated_1_to_2_at', ?)", (time.time(),)
    )


MIGRATIONS = {1: _migrate_1_to_2}


# ------------------------------------------------------------------ checks


def _tables(con: sqlite3.Connection) -> list[str]:
    rows = con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    ).fetchall()
    return [r[0] for r in rows]


def schema_version(con: sqlite3.Connection) -> int | None:
    """The file's schema version, or ``None`` when it is not a nasbench_ui store."""
    if "meta" not in _tables(con):
        return None
    try:
        rows = dict(
            con.execute(
                "SELECT key, value FROM meta WHERE key IN ('app', 'schema_version')"
            ).fetchall()
        )
    except sqlite3.DatabaseError:
        return None  # a foreign 'meta' table with other columns
    if rows.get("app") != APP or "schema_version" not in rows:
        return None
    v = rows["schema_version"]
    if isinstance(v, str) and v.strip().isdigit():
        v = int(v)
    return v if isinstance(v, int) else None


def check_version(con: sqlite3.Connection, path: str) -> int | None:
    """The version of a usable store, ``None`` for an empty database, else StoreError."""
    tables = _tables(con)
    if not tables:
        return None
    version = schema_version(con)
    if version is None:
        raise StoreError(
            f"{path} is a SQLite database but not a nasbench_ui store "
            f"(tables: {', '.join(tables)}); pass another path"
        )
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer nasbench_ui (schema {version}; this version reads "
            f"up to {SCHEMA_VERSION}); upgrade nasbench_ui"
        )
    if version < 1:
        raise StoreError(f"{path} has an unknown nasbench_ui schema version {version}")
    return version


def prepare(con: sqlite3.Connection, path: str) -> None:
    """Check the file, then create the schema or migrate it to the current version.

    ``con`` must be in autocommit mode (``isolation_level=None``). Nothing is written
    before the checks pass; the schema work runs in one ``BEGIN IMMEDIATE``
    transaction, re-checked inside it so two processes opening one new file agree.
    """
    if check_version(con, path) == SCHEMA_VERSION:
        return
    con.execute("PRAGMA foreign_keys = OFF")  # cannot change inside a transaction
    try:
        con.execute("BEGIN IMMEDIATE")
        try:
            version = check_version(con, path)
            if version is None:
                for ddl in SCHEMA_V2:
                    con.execute(ddl)
            else:
                while version < SCHEMA_VERSION:
                    try:
                        MIGRATIONS[version](con)
                    except (sqlite3.Error, ValueError) as e:
                        raise StoreError(
                            f"{path}: migrating the store from schema {version} to "
                            f"{version + 1} failed ({e}); the file is left unchanged"
                        ) from e
                    version += 1
                    con.execute(
                        "UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,)
                    )
                bad = con.execute("PRAGMA foreign_key_check").fetchall()
                if bad:
                    raise StoreError(
                        f"{path}: migration found rows pointing at missing rows "
                        f"({bad[:3]}); the file is left unchanged"
                    )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.execute("PRAGMA foreign_keys = ON")

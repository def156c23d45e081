"""The default trial store: one SQLite file (stdlib ``sqlite3``) holding many experiments.

* WAL journal, ``synchronous=NORMAL``: readers never block the writer; a killed
  process loses at most the transaction it was in, never a committed one, and
  never corrupts the file (a power cut may lose the last few commits).
* Writes are short ``BEGIN IMMEDIATE`` transactions; other processes wait up to
  ``timeout`` seconds (``busy_timeout``) for the write lock, so several processes
  (Dask workers, two notebooks) can write one file.
* One connection per thread (created on first use), so the UI thread reads while
  the search thread writes; after a ``fork`` the child opens its own
  (:mod:`nasbench_ui.storage.sqlite_connections`, which also checks a path before
  SQLite touches it).
* Stored data is JSON text and numbers only (see :mod:`nasbench_ui.storage.base`).
* The layout, its migrations and the checks made before a file is touched live in
  :mod:`nasbench_ui.storage.sqlite_schema`; the SQL on rows (trials read into records,
  the version counter, the leases) in :mod:`nasbench_ui.storage.sqlite_rows`.
* ``changes()`` answers the trials this object wrote from memory when the file's
  version counter proves nothing else was written
  (:mod:`nasbench_ui.storage.sqlite_recent`): a live workbench polls the search it runs.

Example:
    >>> import tempfile, pathlib
    >>> from nasbench_ui.storage import TrialState
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "runs" / "demo.db"
    >>> with SQLiteStore(path) as store:
    ...     name = store.create_experiment("demo", {"trials": 1})
    ...     n = store.create_trial(name, {"op": "skip"})
    ...     store.finish_trial(name, n, TrialState.COMPLETE, value=0.5,
    ...                        strategy_state={"told": 1})
    >>> with SQLiteStore(path) as store:
    ...     store.trial("demo", 0).value, store.load_experiment()["strategy_state"]
    (0.5, {'told': 1})
"""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nasbench_ui.storage import base
from nasbench_ui.storage import sqlite_recent as recent
from nasbench_ui.storage import sqlite_rows as rows
from nasbench_ui.storage.base import StoreError
from nasbench_ui.storage.sqlite_connections import (
    Connections,
    ReadUri,
    check_location,
    check_readable,
    quick_check,
    switch_to_wal,
)
from nasbench_ui.storage.sqlite_recent import RecentWrites
from nasbench_ui.storage.sqlite_schema import SCHEMA_VERSION, check_version, prepare
from nasbench_ui.storage.trial import Trial, TrialState

# the fields a trial's end writes, in the order finish_trial gives them to the log
_FINISHED_AT = (recent.STATE, recent.VALUE, recent.METRICS, recent.ERROR, recent.FINISHED)


def _real(x: float | None) -> float | None:
    """A number as a REAL column gives it back (-0.0 reads back as 0.0)."""
    return None if x is None else float(x) + 0.0


class SQLiteStore:
    """A :class:`~nasbench_ui.storage.base.TrialStore` in a SQLite file (created if missing).

    ``timeout`` is how long a write waits for another process's write lock.
    Refuses (:class:`StoreError`, file untouched) a path that is a directory, a
    file that is not SQLite, another program's SQLite file, or a store written by a
    newer nasbench_ui; migrates an older store in place.

    Example:
        >>> import tempfile, pathlib
        >>> store = SQLiteStore(pathlib.Path(tempfile.mkdtemp()) / "a.db")
        >>> store.create_experiment(None, {}), store.integrity_check()
        ('exp-1', True)
        >>> store.close()
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 30.0,
                 readonly: bool = False) -> None:
        shown = os.fspath(path)
        if not isinstance(shown, str) or not shown or shown == ":memory:":
            raise ValueError(
                f"SQLiteStore needs a file path, got {path!r}; use MemoryStore() or "
                "open_store(':memory:') for a store in memory"
            )
        self.path = shown
        self._ids: dict[str, int] = {}
        self._file = Path(shown).expanduser()
        self._timeout = float(timeout)
        self._keeper: sqlite3.Connection | None = None  # holds an in-memory snapshot alive
        self.readonly = bool(readonly)
        #: this object's recent trial writes (None when read-only: it writes none)
        self._recent: RecentWrites | None = None if self.readonly else RecentWrites()
        if self.readonly:
            self._open_readonly()
        else:
            check_location(self._file, shown)
            self._open_writable()

    def _open_writable(self) -> None:
        shown = self.path
        self._db = Connections(self._file, shown, self._timeout)
        con = self._db.get()
        try:
            quick_check(con, shown)
            prepare(con, shown)
            switch_to_wal(con, shown, self._timeout)
        except sqlite3.DatabaseError as e:
            self.close()
            raise rows.store_error(shown, e) from e
        except BaseException:
            self.close()
            raise

    def _open_readonly(self) -> None:
        """Read without writing: the file as it is, or a migrated copy in memory when
        its schema is older (or it is empty), so the file is never rewritten."""
        shown = self.path
        check_readable(self._file, shown)
        uri = ReadUri(self._file)  # a closed file is read as it is: no -wal, no -shm made
        try:
            con = sqlite3.connect(uri.current(), uri=True, isolation_level=None,
                                  timeout=self._timeout)
        except sqlite3.Error as e:
            raise StoreError(f"cannot open the store {shown} to read it: {e}") from e
        try:
            quick_check(con, shown)
            version = check_version(con, shown)
            if version == SCHEMA_VERSION:
                self._db = Connections(self._file, shown, self._timeout, uri=uri, readonly=True)
                return
            mem = f"file:nasbench-snapshot-{uuid.uuid4().hex}?mode=memory&cache=shared"
            self._keeper = sqlite3.connect(mem, uri=True, isolation_level=None,
                                           check_same_thread=False)
            con.backup(self._keeper)
            prepare(self._keeper, shown)
            self._db = Connections(self._file, shown, self._timeout, uri=mem, readonly=True)
        except sqlite3.DatabaseError as e:
            raise rows.store_error(shown, e) from e
        finally:
            con.close()

    def open_for_writing(self) -> None:
        """Make a read-only store writable (migrating an older schema in the file);
        a no-op when it already is. ``Experiment.run()`` and ``start()`` call it."""
        if not self.readonly:
            return
        check_location(self._file, self.path)
        # the read-only connections are dropped, not closed: another thread (a
        # workbench poller) may be reading through one right now
        self._open_writable()
        self._recent = RecentWrites()
        self.readonly, self._keeper, self._ids = False, None, {}

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every thread's connection; the store cannot be used afterwards."""
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()
        if self._keeper is not None:
            self._keeper.close()
            self._keeper = None

    # ------------------------------------------------------------ lookups

    def _exp_id(self, con: sqlite3.Connection, name: Any) -> int:
        base.check_name(name)
        if name in self._ids:
            return self._ids[name]
        row = con.execute("SELECT id FROM experiments WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise ValueError(
                f"no experiment {name!r} in {self.path}; it holds: "
                f"{base.describe_names(rows.experiment_names(con))}"
            )
        self._ids[name] = row[0]
        return row[0]

    def _trial_row(self, con: sqlite3.Connection, name: str, number: Any) -> tuple[int, int, str]:
        exp_id = self._exp_id(con, name)
        return (exp_id, *rows.trial_row(con, exp_id, name, base.check_number(number)))

    # ------------------------------------------------------------ experiments

    def create_experiment(self, name: str | None, config: dict) -> str:
        """See :meth:`TrialStore.create_experiment`."""
        text = base.encode(config, "config")
        if name is not None:
            base.check_name(name)
        with self._db.transaction(write=True) as con:
            if name is None:
                i = con.execute("SELECT COUNT(*) FROM experiments").fetchone()[0] + 1
                while con.execute(
                    "SELECT 1 FROM experiments WHERE name = ?", (f"exp-{i}",)
                ).fetchone():
                    i += 1
                name = f"exp-{i}"
            elif con.execute("SELECT 1 FROM experiments WHERE name = ?", (name,)).fetchone():
                raise ValueError(
                    f"experiment {name!r} already exists in {self.path}; "
                    "pick another name or use Experiment.load"
                )
            con.execute(
                "INSERT INTO experiments (name, config, created_at) VALUES (?, ?, ?)",
                (name, text, time.time()),
            )
        return name

    def experiment_names(self) -> list[str]:
        with self._db.transaction() as con:
            return rows.experiment_names(con)

    def experiments(self) -> list[dict]:
        with self._db.transaction() as con:
            rows = con.execute(
                "SELECT e.name, e.created_at, t.state, COUNT(t.id) FROM experiments e"
                " LEFT JOIN trials t ON t.experiment_id = e.id"
                " GROUP BY e.id, t.state ORDER BY e.id"
            ).fetchall()
        out: dict[str, dict] = {}
        for name, created_at, state, count in rows:
            summary = out.setdefault(
                name,
                {
                    "name": name,
                    "created_at": created_at,
                    "n_trials": 0,
                    "states": base.empty_state_counts(),
                },
            )
            if state is not None:
                summary["states"][state] += count
                summary["n_trials"] += count
        return list(out.values())

    def load_experiment(self, name: str | None = None) -> dict:
        cols = "name, config, strategy_state, counters, created_at"
        with self._db.transaction() as con:
            if name is None:
                row = con.execute(
                    f"SELECT {cols} FROM experiments ORDER BY id DESC LIMIT 1"
                ).fetchone()
                if row is None:
                    raise ValueError(f"{self.path} holds no experiments yet; create one first")
            else:
                exp_id = self._exp_id(con, name)
                row = con.execute(
                    f"SELECT {cols} FROM experiments WHERE id = ?", (exp_id,)
                ).fetchone()
            return rows.experiment_record(row)  # checked inside: an error names the file

    def _set_column(self, name: str, column: str, text: str) -> None:
        with self._db.transaction(write=True) as con:
            exp_id = self._exp_id(con, name)
            con.execute(f"UPDATE experiments SET {column} = ? WHERE id = ?", (text, exp_id))

    def save_strategy_state(self, name: str, state: dict) -> None:
        self._set_column(name, "strategy_state", base.encode(state, "strategy_state"))

    def save_counters(self, name: str, counters: dict) -> None:
        self._set_column(name, "counters", base.encode(counters, "counters"))

    def update_config(self, name: str, config: dict) -> None:
        self._set_column(name, "config", base.encode(config, "config"))

    # ------------------------------------------------------------ trials

    def create_trial(
        self,
        name: str,
        arch: dict,
        *,
        started_at: float | None = None,
        worker: str | None = None,
        meta: dict | None = None,
        strategy_state: dict | None = None,
    ) -> int:
        arch_text = base.encode(arch, "arch")
        meta_text = base.encode({} if meta is None else meta, "meta")
        state_text = (
            None if strategy_state is None else base.encode(strategy_state, "strategy_state")
        )
        started = base.clean_time(started_at, "started_at", time.time())
        worker = base.clean_str(worker, "worker")
        with self._db.transaction(write=True) as con:
            exp_id = self._exp_id(con, name)
            number = con.execute(
                "SELECT COALESCE(MAX(number), -1) + 1 FROM trials WHERE experiment_id = ?",
                (exp_id,),
            ).fetchone()[0]
            con.execute(
                "INSERT INTO trials (experiment_id, number, state, arch, started_at, worker, meta,"
                f" version) VALUES (?, ?, 'RUNNING', ?, ?, ?, ?, {rows.NEXT_VERSION})",
                (exp_id, number, arch_text, started, worker, meta_text),
            )
            version = rows.bump_version(con)
            rows.save_experiment(con, exp_id, state_text, None)
        self._written(exp_id, version, number, row=(
            "RUNNING", arch_text, None, None, None, _real(started), None, worker, meta_text, ()))
        return number

    def _written(self, exp_id: int, version: int, number: int | None, row: tuple | None = None,
                 at: tuple[int, ...] = (), values: tuple = ()) -> None:
        """A write committed: tell the log (:meth:`RecentWrites.end`). A write that failed
        wrote nothing and tells it nothing."""
        if self._recent is not None:
            self._recent.end(exp_id, version, number, row, at, values)

    def append_curve(self, name: str, number: int, point: dict) -> None:
        text = base.encode(point, "curve point", nan_to_null=True)
        n = base.check_number(number)
        with self._db.transaction(write=True) as con:
            exp_id, trial_id, state = self._trial_row(con, name, n)
            if state != TrialState.RUNNING.name:
                raise ValueError(
                    f"trial {number} of experiment {name!r} is already {state}; "
                    "curve points go to RUNNING trials only"
                )
            con.execute(
                "INSERT INTO curve_points (trial_id, step, point) VALUES (?, (SELECT"
                " COALESCE(MAX(step), -1) + 1 FROM curve_points WHERE trial_id = ?), ?)",
                (trial_id, trial_id, text),
            )
            version = rows.bump_version(con)
            con.execute("UPDATE trials SET version = ? WHERE id = ?", (version, trial_id))
        self._written(exp_id, version, n, at=(recent.CURVE,), values=((text,),))

    def set_worker(self, name: str, number: int, worker: str | None) -> None:
        worker = base.clean_str(worker, "worker")
        n = base.check_number(number)
        with self._db.transaction(write=True) as con:
            exp_id, trial_id, _ = self._trial_row(con, name, n)
            version = rows.bump_version(con)
            con.execute("UPDATE trials SET worker = ?, version = ? WHERE id = ?",
                        (worker, version, trial_id))
        self._written(exp_id, version, n, at=(recent.WORKER,), values=(worker,))

    def finish_trial(
        self,
        name: str,
        number: int,
        state: TrialState,
        *,
        value: float | None = None,
        metrics: dict | None = None,
        error: str | None = None,
        finished_at: float | None = None,
        strategy_state: dict | None = None,
        counters: dict | None = None,
    ) -> None:
        final = base.final_state(state)
        clean = base.clean_value(value)
        metrics_text = base.encode({} if metrics is None else metrics, "metrics", nan_to_null=True)
        error = base.clean_str(error, "error")
        finished = base.clean_time(finished_at, "finished_at", time.time())
        state_text = (
            None if strategy_state is None else base.encode(strategy_state, "strategy_state")
        )
        counters_text = None if counters is None else base.encode(counters, "counters")
        n = base.check_number(number)
        with self._db.transaction(write=True) as con:
            exp_id = self._exp_id(con, name)
            done = con.execute(
                "UPDATE trials SET state = ?, value = ?, metrics = ?, error = ?, finished_at = ?,"
                f" version = {rows.NEXT_VERSION}"
                " WHERE experiment_id = ? AND number = ? AND state = 'RUNNING'",
                (final.name, clean, metrics_text, error, finished, exp_id, n),
            ).rowcount
            if not done:  # no such trial, or not RUNNING: say which (nothing is written)
                _, _, current = self._trial_row(con, name, n)
                raise ValueError(
                    f"trial {number} of experiment {name!r} is already {current}; "
                    "only a RUNNING trial can be finished"
                )
            version = rows.bump_version(con)
            rows.save_experiment(con, exp_id, state_text, counters_text)
        self._written(exp_id, version, n, at=_FINISHED_AT, values=(
            final.name, _real(clean), metrics_text, error, _real(finished)))

    def trial(self, name: str, number: int) -> Trial:
        with self._db.transaction() as con:
            _, trial_id, _ = self._trial_row(con, name, number)
            return rows.load_trials(con, "t.id = ?", (trial_id,))[0]

    def trials(self, name: str, states: Iterable[TrialState] | None = None) -> list[Trial]:
        wanted = base.as_states(states)
        with self._db.transaction() as con:
            exp_id = self._exp_id(con, name)
            if wanted is None:
                return rows.load_trials(con, "t.experiment_id = ?", (exp_id,))
            marks = ", ".join("?" * len(wanted))
            names = tuple(sorted(s.name for s in wanted))
            return rows.load_trials(
                con, f"t.experiment_id = ? AND t.state IN ({marks})", (exp_id, *names)
            )

    def changes(self, name: str, since: int = 0) -> tuple[int, list[Trial]]:
        since = base.check_since(since)
        recent = self._recent
        with self._db.transaction() as con:
            exp_id = self._exp_id(con, name)
            if recent is None:
                latest, logged = self._latest(con, exp_id), None
            else:  # no write of this object is recorded until the log has answered
                with recent.lock:
                    counter = con.execute(
                        "SELECT value FROM meta WHERE key = 'trial_version'").fetchone()[0]
                    latest = self._latest(con, exp_id)
                    logged = recent.answer(exp_id, since, counter)
            if latest <= since:
                return latest, []
            where = "t.experiment_id = ? AND t.version > ?"
            if logged is None:
                return latest, rows.load_trials(con, where, (exp_id, since))
            entries, last = logged
            # the writes after the log's last version (one in flight, another writer's)
            newer = rows.load_trials(con, where, (exp_id, max(since, last))) \
                if latest > last else []
        found = {n: row for n, row in entries}
        for t in newer:
            found.pop(t.number, None)
        return latest, sorted([*(rows.trial_from(n, row) for n, row in found.items()), *newer],
                              key=lambda t: t.number)

    @staticmethod
    def _latest(con: sqlite3.Connection, exp_id: int) -> int:
        return con.execute(
            "SELECT MAX(version) FROM trials WHERE experiment_id = ?", (exp_id,)
        ).fetchone()[0] or 0

    def interrupt_running(self, name: str) -> list[int]:
        with self._db.transaction(write=True) as con:
            exp_id = self._exp_id(con, name)
            numbers = [r[0] for r in con.execute(
                "SELECT number FROM trials WHERE experiment_id = ? AND state = 'RUNNING'"
                " ORDER BY number", (exp_id,))]
            if not numbers:
                return numbers
            version = rows.bump_version(con)
            con.execute(
                "UPDATE trials SET state = 'INTERRUPTED', error = ?, finished_at = ?,"
                " version = ? WHERE experiment_id = ? AND state = 'RUNNING'",
                (base.INTERRUPTED_ERROR, time.time(), version, exp_id),
            )
        self._written(exp_id, version, None)  # many at once: its log starts after them
        return numbers

    # ------------------------------------------------------------ maintenance

    def integrity_check(self) -> bool:
        """``True`` when SQLite finds the file sound, else :class:`StoreError` with its findings."""
        con = self._db.get()
        try:
            problems = [r[0] for r in con.execute("PRAGMA integrity_check")]
            broken = con.execute("PRAGMA foreign_key_check").fetchall()
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path} is damaged: {e}") from e
        if problems != ["ok"]:
            raise StoreError(f"{self.path} is damaged: {'; '.join(problems[:5])}")
        if broken:
            raise StoreError(f"{self.path} has rows pointing at missing rows: {broken[:5]}")
        return True

    def delete_experiment(self, name: str) -> None:
        """See :meth:`TrialStore.delete_experiment`."""
        with self._db.transaction(write=True) as con:
            exp_id = self._exp_id(con, name)
            con.execute("DELETE FROM meta WHERE key = ?", (f"lease:{exp_id}",))
            con.execute(
                "DELETE FROM curve_points WHERE trial_id IN "
                "(SELECT id FROM trials WHERE experiment_id = ?)", (exp_id,))
            con.execute("DELETE FROM trials WHERE experiment_id = ?", (exp_id,))
            con.execute("DELETE FROM experiments WHERE id = ?", (exp_id,))
        self._ids.pop(name, None)
        if self._recent is not None:
            self._recent.drop(exp_id)

    # ------------------------------------------------------------ leases

    def lease(self, name: str) -> dict | None:
        """See :mod:`nasbench_ui.storage.lease`."""
        with self._db.transaction() as con:
            return rows.read_lease(con, self._exp_id(con, name))

    def swap_lease(self, name: str, expected: str | None, new: dict | None) -> tuple[bool, dict | None]:
        """See :mod:`nasbench_ui.storage.lease`."""
        text = None if new is None else base.encode(new, "lease")
        with self._db.transaction(write=True) as con:
            swapped, held = rows.swap_lease(con, self._exp_id(con, name), expected, text)
        return (True, new) if swapped else (False, held)

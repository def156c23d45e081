"""Opening a SQLite store file safely, and one connection per thread to it.

:func:`check_location` refuses a path that cannot hold a store (a directory, a
folder that cannot be created or written, a file that is not SQLite) before SQLite
touches it. :class:`Connections` hands each thread its own connection (created on
first use, closed when its thread has ended), opens fresh ones after a ``fork``,
and runs short transactions.

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.db"
    >>> check_location(path, str(path))
    >>> db = Connections(path, str(path), timeout=5)
    >>> with db.transaction(write=True) as con:
    ...     _ = con.execute("CREATE TABLE t (x)")
    >>> db.close()
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from nasbench_ui.storage.base import RowError, StoreError

SQLITE_HEADER = b"SQLite format 3\x00"


def check_location(file: Path, shown: str) -> None:
    """Refuse a path that cannot hold a store, creating missing parent folders.

    ``shown`` is the path as the user wrote it, for messages. Nothing is written to
    an existing file here.
    """
    if file.is_dir():
        raise StoreError(
            f"cannot use {shown} as a store: it is a directory; pass a file path "
            f"such as {shown.rstrip('/')}/runs.db"
        )
    if file.exists() and not file.is_file():
        raise StoreError(
            f"cannot use {shown} as a store: it is not a regular file (a device, a pipe or "
            "a socket); pass a file path such as runs/demo.db (nothing was written)"
        )
    parent = file.parent
    if file.exists():
        _check_header(file, shown)
        if not os.access(file, os.W_OK):
            raise StoreError(f"cannot write the store {shown}: the file is read-only")
    else:
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(
                f"cannot create the folder {parent} for the store {shown}: {e.strerror or e}"
            ) from e
    if not os.access(parent, os.W_OK | os.X_OK):
        raise StoreError(
            f"cannot write the store {shown}: the folder {parent} is read-only "
            "(SQLite needs to create the file and its -wal/-shm files there)"
        )


def check_readable(file: Path, shown: str) -> None:
    """Refuse a path that cannot be read as a store, without creating or writing anything."""
    if not file.exists():
        raise StoreError(f"there is no store at {shown}: the file does not exist")
    if file.is_dir() or not file.is_file():
        raise StoreError(
            f"cannot read {shown} as a store: it is not a regular file; pass a store file "
            "such as runs/demo.db"
        )
    _check_header(file, shown)


def _check_header(file: Path, shown: str) -> None:
    """Refuse an existing file that is not empty and does not start as SQLite does."""
    try:
        with open(file, "rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except OSError as e:
        raise StoreError(f"cannot read the store {shown}: {e.strerror or e}") from e
    if head and head != SQLITE_HEADER:
        raise StoreError(
            f"{shown} is not a SQLite database (it starts with {head!r}); pass another "
            "path (nothing was written to it)"
        )


#: a file unchanged for this long, with no -wal or -journal beside it, has no writer
QUIET_S = 2.0


def _mark(file: Path) -> tuple[int, int, int]:
    st = os.stat(file)
    return st.st_ino, st.st_size, st.st_mtime_ns


class ReadUri:
    """The ``file:`` URI a read-only store reads ``file`` through, and when to change it.

    SQLite's ``mode=ro`` connection to a WAL file creates its ``-wal`` and ``-shm``
    files and leaves them there, so a shared store opened to read it (``show``,
    ``Experiment.load``, the workbench) changed the folder it came in. A file that no
    one writes now (no ``-wal`` or ``-journal`` beside it, and untouched for
    :data:`QUIET_S`: any later write then moves its modification time) is read with
    ``immutable=1``, which makes no file and takes no lock. :meth:`current` is asked
    before each transaction: once a writer has opened the file (its ``-wal`` appears)
    or changed it, the URI is ``mode=ro`` for good, read through SQLite's locks, so a
    search that starts later is followed as before. (A writer that starts and
    checkpoints inside one short read could give that read a torn page: SQLite then
    says the file is malformed, for that read only.)

    Example:
        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "s.db"; _ = f.write_bytes(b"")
        >>> ReadUri(f).current().endswith("?mode=ro")  # just written: not quiet yet
        True
    """

    def __init__(self, file: Path) -> None:
        self.file = file
        self._base = f"file:{quote(str(file.resolve()))}?mode=ro"
        self._mark: tuple[int, int, int] | None = None
        if not self._writer_near():
            mark = _mark(file)
            if mark[2] < time.time_ns() - int(QUIET_S * 1e9):
                self._mark = mark

    def _writer_near(self) -> bool:
        return any(Path(f"{self.file}{end}").exists() for end in ("-wal", "-journal"))

    @property
    def quiet(self) -> bool:
        """Whether the file is read as it is (``immutable=1``)."""
        return self._mark is not None

    def current(self) -> str:
        """The URI to read through now (see the class)."""
        if self._mark is not None and (self._writer_near() or _mark(self.file) != self._mark):
            self._mark = None
        return f"{self._base}&immutable=1" if self._mark is not None else self._base


def quick_check(con: sqlite3.Connection, shown: str) -> None:
    """``PRAGMA quick_check``: refuse a damaged file with a way to recover what it holds."""
    how = (f"nothing was written to it. To save what SQLite can still read: "
           f"sqlite3 {shown} .recover | sqlite3 recovered.db, then open recovered.db")
    try:
        problems = [r[0] for r in con.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as e:
        raise StoreError(f"{shown} is damaged ({e}); {how}") from e
    if problems != ["ok"]:
        lines = [line for p in problems for line in str(p).splitlines()]
        more = f" and {len(lines) - 2} more problems" if len(lines) > 2 else ""
        raise StoreError(f"{shown} is damaged ({'; '.join(lines[:2])}{more}); {how}")


def switch_to_wal(con: sqlite3.Connection, shown: str, timeout: float) -> None:
    """Put the file in WAL mode, waiting up to ``timeout`` seconds for other writers.

    SQLite answers the switch with "database is locked" at once, without its busy
    timeout, while another connection holds a write lock (another process creating
    its first trial, say). So the switch is retried until ``timeout`` has passed.
    A file already in WAL mode takes no lock. Raises :class:`StoreError` when
    SQLite refuses WAL mode, and lets the last "locked" error through.

    Example:
        >>> import tempfile, pathlib
        >>> con = sqlite3.connect(pathlib.Path(tempfile.mkdtemp()) / "w.db")
        >>> switch_to_wal(con, "w.db", timeout=5)
        >>> con.execute("PRAGMA journal_mode").fetchone()[0]
        'wal'
    """
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        try:
            mode = con.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            break
        except sqlite3.OperationalError as e:
            if not str(e).startswith("database is locked") or time.monotonic() >= deadline:
                raise
        time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        pause = min(pause * 2, 0.05)
    if str(mode).lower() != "wal":
        raise StoreError(f"{shown}: SQLite refused WAL mode here (got {mode!r})")


class Connections:
    """One autocommit connection per thread (and per process) to one SQLite file.

    ``uri`` (a ``file:`` URI) replaces the plain path: a read-only open
    (``mode=ro``) or a shared in-memory snapshot. ``readonly`` refuses write
    transactions with a message that says why.
    """

    def __init__(self, file: Path, shown: str, timeout: float, *,
                 uri: str | ReadUri | None = None, readonly: bool = False) -> None:
        self.file, self.shown, self.timeout = file, shown, float(timeout)
        self._uri, self.readonly = uri, readonly
        self.closed = False
        self._local = threading.local()
        self._lock = threading.Lock()
        self._cons: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._abandoned: list[sqlite3.Connection] = []  # inherited through fork: never touched
        self._pid = os.getpid()

    @property
    def uri(self) -> str | None:
        """The URI a new connection opens now (None: the plain path)."""
        return self._uri.current() if isinstance(self._uri, ReadUri) else self._uri

    def _connect(self, uri: str | None) -> sqlite3.Connection:
        try:
            con = sqlite3.connect(
                uri or str(self.file), timeout=self.timeout, isolation_level=None,
                check_same_thread=False, uri=uri is not None,
            )
            con.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            con.execute("PRAGMA foreign_keys = ON")
            if not self.readonly:
                con.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as e:
            raise StoreError(f"cannot open the store {self.shown}: {e}") from e
        return con

    def get(self) -> sqlite3.Connection:
        """This thread's connection."""
        if self.closed:
            raise StoreError(f"the store {self.shown} is closed; open it again")
        con = getattr(self._local, "con", None)
        uri = self.uri
        if con is not None and self._local.pid == os.getpid() and self._local.uri == uri:
            return con
        con = self._connect(uri)
        me = threading.current_thread()
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's connections are not ours
                self._abandoned.extend(c for _, c in self._cons)
                self._cons, self._pid = [], os.getpid()
            if self.closed:
                con.close()
                raise StoreError(f"the store {self.shown} is closed; open it again")
            alive = []
            for thread, c in self._cons:
                # a dead thread's, or this thread's through an older URI (unless it is
                # inside a transaction there)
                if thread.is_alive() and not (thread is me and not c.in_transaction):
                    alive.append((thread, c))
                else:
                    c.close()
            self._cons = [*alive, (me, con)]
        self._local.con, self._local.pid, self._local.uri = con, os.getpid(), uri
        return con

    @contextmanager
    def transaction(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` to write, a deferred transaction (a snapshot) to read.

        SQLite errors and a :class:`RowError` (a row no store writes) come out as
        :class:`StoreError` naming the file.
        """
        if write and self.readonly:
            raise StoreError(
                f"the store {self.shown} was opened read-only, to follow it without "
                "disturbing a search; run(), start() or resume take it over for writing"
            )
        con = self.get()
        try:
            con.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except sqlite3.Error as e:
            raise StoreError(f"{self.shown}: {e}") from e
        try:
            yield con
            con.execute("COMMIT")
        except BaseException as e:
            if con.in_transaction:
                con.execute("ROLLBACK")
            if isinstance(e, (sqlite3.Error, RowError)):  # a row read: name the file
                raise StoreError(f"{self.shown}: {e}") from e
            raise

    def close(self) -> None:
        """Close every thread's connection; later calls raise :class:`StoreError`."""
        with self._lock:
            self.closed = True
            cons, self._cons = self._cons, []
        for _, con in cons:
            con.close()

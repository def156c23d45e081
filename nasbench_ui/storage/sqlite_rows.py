"""The SQL that :class:`~nasbench_ui.storage.sqlite.SQLiteStore` runs on its rows:
trials read into :class:`~nasbench_ui.storage.trial.Trial` records, the trial lookups,
the trial version counter, an experiment's saved strategy state and counters, and the
lease rows. Each function takes an open connection and runs inside the caller's
transaction; the store owns the connections, the transactions and the name-to-id cache.

Example:
    >>> import sqlite3
    >>> from nasbench_ui.storage.sqlite_schema import prepare
    >>> con = sqlite3.connect(":memory:", isolation_level=None)
    >>> prepare(con, ":memory:")
    >>> _ = con.execute("INSERT INTO experiments (name, config, created_at) VALUES ('a', '{}', 0)")
    >>> _ = con.execute("INSERT INTO trials (experiment_id, number, state, arch, started_at,"
    ...                 " meta, version) VALUES (1, 0, 'RUNNING', '{\\"op\\": \\"skip\\"}', 0,"
    ...                 " '{}', 1)")
    >>> [(t.number, t.state.name, t.arch) for t in load_trials(con, "t.experiment_id = ?", (1,))]
    [(0, 'RUNNING', {'op': 'skip'})]
"""

from __future__ import annotations

import sqlite3

from nasbench_ui.storage import base
from nasbench_ui.storage.base import RowError, StoreError
from nasbench_ui.storage.trial import Trial, TrialState

__all__ = ["COLUMNS", "MOVE_VERSION", "NEXT_VERSION", "bump_version", "experiment_names",
           "experiment_record",
           "load_trials", "read_lease", "save_experiment", "store_error",
           "swap_lease", "trial_from", "trial_row"]

COLUMNS = (
    "t.id, t.number, t.state, t.arch, t.value, t.metrics, t.error, "
    "t.started_at, t.finished_at, t.worker, t.meta"
)
"""The trial columns :func:`load_trials` reads (on alias ``t``), in its order."""

# A trial's create and finish take the next version in the statement that writes the
# trial, then move the counter with bump_version, which returns that version.
NEXT_VERSION = "(SELECT value + 1 FROM meta WHERE key = 'trial_version')"
MOVE_VERSION = "UPDATE meta SET value = value + 1 WHERE key = 'trial_version'"

_STATES = {s.name: s for s in TrialState}  # by name: a dict lookup, not Enum.__getitem__


def store_error(shown: str, e: sqlite3.DatabaseError) -> StoreError:
    """The :class:`StoreError` a person reads when SQLite refuses the file ``shown``.

    Example:
        >>> import sqlite3
        >>> str(store_error("a.db", sqlite3.DatabaseError("file is not a database")))[:30]
        'a.db is not a SQLite database '
    """
    if "not a database" in str(e):
        return StoreError(f"{shown} is not a SQLite database ({e}); pass another path")
    if "malformed" in str(e):
        return StoreError(
            f"{shown} is damaged ({e}); nothing was written to it. To save what SQLite can "
            f"still read: sqlite3 {shown} .recover | sqlite3 recovered.db"
        )
    return StoreError(f"cannot use the store {shown}: {e}")


def experiment_names(con: sqlite3.Connection) -> list[str]:
    """The experiments' names, oldest first (see the module example for ``con``).

    Example:
        >>> import sqlite3
        >>> from nasbench_ui.storage.sqlite_schema import prepare
        >>> con = sqlite3.connect(":memory:", isolation_level=None); prepare(con, ":memory:")
        >>> experiment_names(con)
        []
    """
    return [r[0] for r in con.execute("SELECT name FROM experiments ORDER BY id")]


def trial_row(con: sqlite3.Connection, exp_id: int, name: str, number: int) -> tuple[int, str]:
    """(row id, state name) of trial ``number`` of experiment ``exp_id`` (called
    ``name`` in the error); ValueError naming the trials it has when there is none.

    Example:
        >>> import sqlite3
        >>> from nasbench_ui.storage.sqlite_schema import prepare
        >>> con = sqlite3.connect(":memory:", isolation_level=None); prepare(con, ":memory:")
        >>> trial_row(con, 1, "a", 0)
        Traceback (most recent call last):
        ...
        ValueError: experiment 'a' has no trial 0 (its trials: none yet)
    """
    row = con.execute(
        "SELECT id, state FROM trials WHERE experiment_id = ? AND number = ?", (exp_id, number)
    ).fetchone()
    if row is None:
        count = con.execute(
            "SELECT COUNT(*) FROM trials WHERE experiment_id = ?", (exp_id,)
        ).fetchone()[0]
        have = f"0..{count - 1}" if count else "none yet"
        raise ValueError(f"experiment {name!r} has no trial {number} (its trials: {have})")
    return row[0], row[1]


def bump_version(con: sqlite3.Connection) -> int:
    """Move the trial version counter on and return the new version (one statement; after
    a statement that took :data:`NEXT_VERSION`, the version it took).

    Example:
        >>> import sqlite3
        >>> from nasbench_ui.storage.sqlite_schema import prepare
        >>> con = sqlite3.connect(":memory:", isolation_level=None); prepare(con, ":memory:")
        >>> bump_version(con) + 1 == bump_version(con)
        True
    """
    return con.execute(MOVE_VERSION + " RETURNING value").fetchall()[0][0]


def save_experiment(con: sqlite3.Connection, exp_id: int, state_text: str | None,
                    counters_text: str | None) -> None:
    """Write the strategy state and the counters (JSON texts) that are given, in one
    statement; nothing when neither is.

    Example:
        >>> import sqlite3
        >>> from nasbench_ui.storage.sqlite_schema import prepare
        >>> con = sqlite3.connect(":memory:", isolation_level=None); prepare(con, ":memory:")
        >>> _ = con.execute("INSERT INTO experiments (name, config, created_at)"
        ...                 " VALUES ('a', '{}', 0)")
        >>> save_experiment(con, 1, '{"told": 1}', None)
        >>> con.execute("SELECT strategy_state FROM experiments").fetchone()[0]
        '{"told": 1}'
    """
    if state_text is not None and counters_text is not None:
        con.execute("UPDATE experiments SET strategy_state = ?, counters = ? WHERE id = ?",
                    (state_text, counters_text, exp_id))
    elif state_text is not None:
        con.execute("UPDATE experiments SET strategy_state = ? WHERE id = ?",
                    (state_text, exp_id))
    elif counters_text is not None:
        con.execute("UPDATE experiments SET counters = ? WHERE id = ?",
                    (counters_text, exp_id))


def load_trials(con: sqlite3.Connection, where: str, params: tuple) -> list[Trial]:
    """The trials matching ``where`` (an SQL condition on alias ``t``, with ``params``),
    with their curves, by number (see the module example). A row that no store of this
    package writes is a :class:`StoreError` (:func:`trial_from`)."""
    rows = con.execute(
        f"SELECT {COLUMNS} FROM trials t WHERE {where} ORDER BY t.number", params
    ).fetchall()
    curves: dict[int, list[str]] = {r[0]: [] for r in rows}
    if rows:
        for trial_id, point in con.execute(
            "SELECT p.trial_id, p.point FROM curve_points p JOIN trials t ON t.id = p.trial_id"
            f" WHERE {where} ORDER BY p.trial_id, p.step",
            params,
        ):
            curves[trial_id].append(point)
    return [trial_from(r[1], (*r[2:], curves[r[0]])) for r in rows]


_NUMBER = (float, int)
_TEXT = (str, type(None))


def _bad(whose: str, what: str, problem: str) -> RowError:
    return RowError(f"the {what} of {whose} is {problem}: this store was not written by "
                    "nasbench_ui or was changed by hand, and it is not read")


def _json(text: object, whose: str, what: str, *, repeats: bool = False) -> dict:
    """A JSON object column (``what``) of ``whose`` row (``"trial 3"``), decoded."""
    try:
        value = base.decode(text, {}, repeats=repeats)
    except (ValueError, TypeError, RecursionError):
        raise _bad(whose, what, "not valid JSON") from None
    if type(value) is not dict:
        raise _bad(whose, what, f"not a JSON object (a {type(value).__name__})")
    return value


def trial_from(number: int, row: tuple) -> Trial:
    """The :class:`Trial` that :func:`load_trials` reads from a row holding ``row``'s
    columns as they were written: ``(state, arch, value, metrics, error, started_at,
    finished_at, worker, meta, curve, ...)``, ``state`` a name, ``arch``, ``metrics`` and
    ``meta`` JSON texts, ``curve`` the point texts (``sqlite_recent`` keeps them).

    Each column is checked as it is read (SQLite keeps any value in any column of a table
    someone else made): a value of the wrong kind is a :class:`~nasbench_ui.storage.base.
    RowError` (a StoreError) naming the trial and the column, never a Trial that breaks
    its reader later.

    Example:
        >>> row = ("COMPLETE", '{"op":"skip"}', 0.5, None, None, 1.0, 2.0, None, "{}",
        ...        ('{"epoch":1}',))
        >>> t = trial_from(3, row); (t.number, t.state.name, t.arch, t.metrics, t.curve)
        (3, 'COMPLETE', {'op': 'skip'}, {}, [{'epoch': 1}])
        >>> trial_from(3, ("COMPLETE", "[]", *row[2:]))
        Traceback (most recent call last):
        ...
        nasbench_ui.storage.base.RowError: the arch of trial 3 is not a JSON object (a list): ...
    """
    state, arch, value, metrics, error, started, finished, worker, meta, points = row[:10]
    whose = f"trial {number}"
    if type(number) is not int:
        raise _bad(whose, "number", "not an integer")
    if state not in _STATES:
        raise _bad(whose, "state", "not a trial state")
    for what, v in (("value", value), ("started_at", started), ("finished_at", finished)):
        if v is not None and type(v) not in _NUMBER:
            raise _bad(whose, what, "not a number")
    for what, v in (("error", error), ("worker", worker)):
        if type(v) not in _TEXT:
            raise _bad(whose, what, "not a text")
    return Trial(
        number=number,
        state=_STATES[state],
        arch=_json(arch, whose, "arch", repeats=True),
        value=value,
        metrics=_json(metrics, whose, "metrics"),
        curve=[_json(p, whose, f"curve point {i}") for i, p in enumerate(points)],
        error=error,
        started_at=started,
        finished_at=finished,
        worker=worker,
        meta=_json(meta, whose, "meta", repeats=True),
    )


def experiment_record(row: tuple) -> dict:
    """The record ``load_experiment`` returns from a row of ``name, config,
    strategy_state, counters, created_at``, each column checked as :func:`trial_from`
    checks a trial's (:class:`~nasbench_ui.storage.base.RowError` naming the column).

    Example:
        >>> experiment_record(("a", '{"trials": 1}', None, "{}", 0.0))["config"]
        {'trials': 1}
        >>> experiment_record(("a", "[]", None, "{}", 0.0))
        Traceback (most recent call last):
        ...
        nasbench_ui.storage.base.RowError: the config of experiment 'a' is not a JSON object (a list): ...
    """
    name, config, state, counters, created_at = row
    if type(name) is not str:
        raise _bad("an experiment", "name", "not a text")
    whose = f"experiment {name!r}"
    if created_at is not None and type(created_at) not in _NUMBER:
        raise _bad(whose, "created_at", "not a number")
    if config is None:
        raise _bad(whose, "config", "missing")
    return {"name": name, "config": _json(config, whose, "config"),
            "strategy_state": _json(state, whose, "strategy_state"),
            "counters": _json(counters, whose, "counters"), "created_at": created_at}


def read_lease(con: sqlite3.Connection, exp_id: int) -> dict | None:
    """The lease of experiment ``exp_id`` (None: none held); see
    :mod:`nasbench_ui.storage.lease`.

    Example:
        >>> import sqlite3
        >>> from nasbench_ui.storage.sqlite_schema import prepare
        >>> con = sqlite3.connect(":memory:", isolation_level=None); prepare(con, ":memory:")
        >>> swap_lease(con, 1, None, '{"owner": "me"}'), read_lease(con, 1)
        ((True, None), {'owner': 'me'})
    """
    row = con.execute("SELECT value FROM meta WHERE key = ?", (f"lease:{exp_id}",)).fetchone()
    return None if row is None or row[0] is None else base.decode(row[0])


def swap_lease(con: sqlite3.Connection, exp_id: int, expected: str | None,
               text: str | None) -> tuple[bool, dict | None]:
    """Replace the lease of experiment ``exp_id`` with ``text`` (JSON; None: release
    it) when its owner is ``expected``: (True, the lease before); else nothing changes:
    (False, the lease held). Run it in a write transaction.

    Example:
        >>> import sqlite3
        >>> from nasbench_ui.storage.sqlite_schema import prepare
        >>> con = sqlite3.connect(":memory:", isolation_level=None); prepare(con, ":memory:")
        >>> _ = swap_lease(con, 1, None, '{"owner": "me"}')
        >>> swap_lease(con, 1, "you", None)
        (False, {'owner': 'me'})
    """
    key = f"lease:{exp_id}"
    current = read_lease(con, exp_id)
    if (current or {}).get("owner") != expected:
        return False, current
    if text is None:
        con.execute("DELETE FROM meta WHERE key = ?", (key,))
    else:
        con.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, text))
    return True, current

"""The row SQL of the SQLite store (``storage/sqlite_rows.py``), on a bare connection."""

from __future__ import annotations

import sqlite3

import pytest

from nasbench_ui.storage import StoreError, TrialState
from nasbench_ui.storage import sqlite_rows as rows
from nasbench_ui.storage.sqlite_schema import prepare


@pytest.fixture()
def con() -> sqlite3.Connection:
    con = sqlite3.connect(":memory:", isolation_level=None)
    prepare(con, ":memory:")
    for name in ("a", "b"):
        con.execute("INSERT INTO experiments (name, config, created_at) VALUES (?, '{}', 0)",
                    (name,))
    return con


def _trial(con, exp_id: int, number: int, state: str = "COMPLETE", *, points=()) -> int:
    cur = con.execute(
        "INSERT INTO trials (experiment_id, number, state, arch, value, metrics, started_at,"
        " meta, version) VALUES (?, ?, ?, ?, ?, ?, 0, '{}', ?)",
        (exp_id, number, state, f'{{"n": {number}}}', number / 10, f'{{"params": {number}}}',
         rows.bump_version(con)))
    for step, point in enumerate(points):
        con.execute("INSERT INTO curve_points (trial_id, step, point) VALUES (?, ?, ?)",
                    (cur.lastrowid, step, point))
    return cur.lastrowid


def test_load_trials_reads_the_matching_trials_by_number_with_their_curves_in_step_order(con):
    _trial(con, 1, 1, points=['{"epoch": 1}', '{"epoch": 2}'])
    _trial(con, 2, 0, points=['{"epoch": 9}'])  # another experiment's
    _trial(con, 1, 0, "RUNNING")
    got = rows.load_trials(con, "t.experiment_id = ?", (1,))
    assert [(t.number, t.state, t.arch, t.metrics) for t in got] == [
        (0, TrialState.RUNNING, {"n": 0}, {"params": 0}),
        (1, TrialState.COMPLETE, {"n": 1}, {"params": 1})]
    assert got[0].curve == [] and got[1].curve == [{"epoch": 1}, {"epoch": 2}]
    assert rows.load_trials(con, "t.experiment_id = ? AND t.number > 5", (1,)) == []


def test_trial_row_names_the_trials_an_experiment_has(con):
    trial_id = _trial(con, 1, 0)
    _trial(con, 1, 1)
    assert rows.trial_row(con, 1, "a", 0) == (trial_id, "COMPLETE")
    with pytest.raises(ValueError, match=r"experiment 'a' has no trial 7 \(its trials: 0\.\.1\)"):
        rows.trial_row(con, 1, "a", 7)


def test_versions_move_on_by_one_and_the_hot_path_statements_agree(con):
    v = rows.bump_version(con)
    assert con.execute(f"SELECT {rows.NEXT_VERSION}").fetchone()[0] == v + 1
    con.execute(rows.MOVE_VERSION)
    assert rows.bump_version(con) == v + 2


def test_save_experiment_writes_what_is_given_and_nothing_else(con):
    def saved():
        return con.execute(
            "SELECT strategy_state, counters FROM experiments WHERE id = 1").fetchone()
    rows.save_experiment(con, 1, '{"s": 1}', '{"c": 1}')
    assert saved() == ('{"s": 1}', '{"c": 1}')
    rows.save_experiment(con, 1, None, '{"c": 2}')
    assert saved() == ('{"s": 1}', '{"c": 2}')
    rows.save_experiment(con, 1, '{"s": 3}', None)
    rows.save_experiment(con, 1, None, None)
    assert saved() == ('{"s": 3}', '{"c": 2}')


def test_a_lease_changes_hands_only_from_its_expected_owner(con):
    assert rows.read_lease(con, 1) is None
    assert rows.swap_lease(con, 1, None, '{"owner": "me"}') == (True, None)
    assert rows.swap_lease(con, 1, "you", '{"owner": "you"}') == (False, {"owner": "me"})
    assert rows.read_lease(con, 1) == {"owner": "me"}
    assert rows.read_lease(con, 2) is None  # one lease per experiment
    assert rows.swap_lease(con, 1, "me", None) == (True, {"owner": "me"})
    assert rows.read_lease(con, 1) is None


@pytest.mark.parametrize(("message", "says"), [
    ("file is not a database", "is not a SQLite database"),
    ("database disk image is malformed", ".recover"),
    ("disk I/O error", "cannot use the store"),
])
def test_store_error_says_what_to_do(message, says):
    error = rows.store_error("runs.db", sqlite3.DatabaseError(message))
    assert isinstance(error, StoreError) and says in str(error) and "runs.db" in str(error)


# a column of a trial row, a value a store written by someone else may hold there, and the
# words the refusal must hold (SQLite keeps any value in any column of a hand-made table)
HOSTILE_ROWS = [
    ("arch", '"x"', "the arch of trial 0 is not a JSON object"),
    ("metrics", "[1, 2]", "the metrics of trial 0 is not a JSON object"),
    ("meta", "7", "the meta of trial 0 is not a JSON object"),
    ("metrics", "{", "the metrics of trial 0 is not valid JSON"),
    ("metrics", '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "the metrics of trial 0 is not valid JSON"),
    ("value", "abc", "the value of trial 0 is not a number"),
    ("error", 5, "the error of trial 0 is not a text"),
    ("worker", b"\x00", "the worker of trial 0 is not a text"),
    ("started_at", "yesterday", "the started_at of trial 0 is not a number"),
    ("state", "DONE", "the state of trial 0 is not a trial state"),
]


@pytest.mark.parametrize(("column", "value", "says"), HOSTILE_ROWS)
def test_a_hostile_trial_row_is_refused_with_the_trial_and_column_named(column, value, says):
    """A store file from someone else may hold anything in a row: each reader (the CLI's
    show, ``Experiment.load``, the workbench) got a TypeError, an AttributeError or a
    RecursionError far from the store; now the store refuses the row as it reads it."""
    con = sqlite3.connect(":memory:", isolation_level=None)
    con.execute("CREATE TABLE trials (id INTEGER PRIMARY KEY, experiment_id, number, state, "
                "arch, value, metrics, error, started_at, finished_at, worker, meta, version)")
    con.execute("CREATE TABLE curve_points (trial_id, step, point)")
    con.execute("INSERT INTO trials VALUES (1, 1, 0, 'COMPLETE', '{}', 0.5, '{}', NULL, 0, 1, "
                "NULL, '{}', 1)")
    con.execute(f"UPDATE trials SET {column} = ?", (value,))
    with pytest.raises(StoreError, match=says):
        rows.load_trials(con, "t.experiment_id = ?", (1,))
    with pytest.raises(StoreError, match=says):
        rows.trial_from(0, (*con.execute(f"SELECT {rows.COLUMNS} FROM trials t").fetchone()[2:],
                            ()))


def test_a_hostile_curve_point_is_refused(con):
    _trial(con, 1, 0, points=["5"])
    with pytest.raises(StoreError, match="the curve point 0 of trial 0 is not a JSON object"):
        rows.load_trials(con, "t.experiment_id = ?", (1,))

"""Issue 16: opening a store never breaks a live search, errors never vanish, refused
input writes nothing, names are names, optional side effects never abort a search.

Each test is the regression test of one numbered point of the issue.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

import nasbench_ui as nb
from nasbench_ui import cli
from nasbench_ui.storage import LeaseHeld, SQLiteStore, StoreError, TrialState

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS))
import crash_worker  # noqa: E402, F401  registers the estimator test_crash_synth

_CLI = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    import crash_worker
    from nasbench_ui.cli import main
    sys.exit(main(sys.argv[1:]))
""").format(tests=str(TESTS))


def _cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _CLI, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _run_args(db: Path, trials: int, seconds: float, *extra: str) -> list[str]:
    return ["run", "--space", "nb201", "--strategy", "random", "--estimator", "test_crash_synth",
            "--estimator-options", json.dumps({"seconds": seconds}), "--trials", str(trials),
            "--storage", str(db), "--name", "crash", "--no-progress", "--json", *extra]


def _wait_for(pred, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            raise AssertionError("timed out")
        time.sleep(0.05)


def _states(db: Path, name: str = "crash") -> list[str]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT t.state FROM trials t JOIN experiments e ON "
                           "e.id = t.experiment_id WHERE e.name = ? ORDER BY t.number",
                           (name,)).fetchall()
    except sqlite3.OperationalError as e:  # the file exists before its schema (CI saw it)
        if "no such table" not in str(e):
            raise
        return []
    finally:
        con.close()
    return [r[0] for r in rows]


# ------------------------------------------------------------- point 2: the lease


def test_reading_a_store_while_the_cli_runs_it_leaves_the_search_alone(tmp_path):
    """The repro: while `nasbench-ui run` has trial 0 running, another process loads the
    experiment and reads its results. The CLI used to die; now it finishes its budget."""
    db = tmp_path / "live.db"
    proc = _cli(*_run_args(db, 3, 3.0))
    try:
        _wait_for(lambda: db.exists() and _states(db)[:1] == ["RUNNING"])
        exp = nb.Experiment.load(db)
        assert exp.results()["state"].tolist()[0] == "RUNNING"
        assert exp.followed and exp.owner()["pid"] == proc.pid
        with pytest.raises(LeaseHeld, match=rf"pid {proc.pid} on host"):
            exp.run()  # a second owner is refused; nothing is written
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert json.loads(out)["states"] == {"COMPLETE": 3}
    assert _states(db) == ["COMPLETE"] * 3
    assert not nb.Experiment.load(db).followed


def test_a_second_resume_is_refused_in_one_line_naming_the_owner(tmp_path):
    db = tmp_path / "two.db"
    first = _cli(*_run_args(db, 100, 1.0))  # still running when the second has started
    try:
        _wait_for(lambda: db.exists() and "RUNNING" in _states(db))
        second = subprocess.run([sys.executable, "-c", _CLI, *_run_args(db, 100, 1.0, "--resume")],
                                capture_output=True, text=True, timeout=120)
        assert first.poll() is None, "the first search ended before the second started"
        first.send_signal(signal.SIGINT)  # Ctrl-C: the first stops cleanly
        out, err = first.communicate(timeout=120)
    finally:
        first.kill()
    assert second.returncode == 2
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and f"being run by pid {first.pid}" in lines[0], second.stderr
    assert first.returncode == 130, err
    states = _states(db)
    assert states[:-1] == ["COMPLETE"] * (len(states) - 1) and states[-1] == "INTERRUPTED"


def test_a_resume_right_after_a_kill_takes_over_at_once(tmp_path):
    db = tmp_path / "killed.db"
    proc = _cli(*_run_args(db, 4, 2.0))
    _wait_for(lambda: db.exists() and "RUNNING" in _states(db))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # the dead owner's heartbeat an hour ahead: a resume that waited for the lease to
    # expire would time out below, one that sees the owner dead takes over at once (no
    # time is asserted: under load the resume's imports alone took 30 s once)
    con = sqlite3.connect(db)
    with con:
        ((key, text),) = con.execute(
            "SELECT key, value FROM meta WHERE key LIKE 'lease:%'").fetchall()
        record = json.loads(text)
        assert record["pid"] == proc.pid, record
        record["heartbeat"] = time.time() + 3600
        con.execute("UPDATE meta SET value = ? WHERE key = ?", (json.dumps(record), key))
    con.close()
    done = subprocess.run([sys.executable, "-c", _CLI, *_run_args(db, 4, 0.0, "--resume")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    states = _states(db)
    assert states[0] == "INTERRUPTED" and states.count("COMPLETE") == 4


def test_load_in_the_same_process_follows_a_background_search(tmp_path):
    db = tmp_path / "bg.db"
    exp = nb.Experiment("nb201", strategy="random", estimator="test_crash_synth",
                        estimator_options={"seconds": 0.4}, trials=4, storage=db, name="bg")
    exp.start()
    try:
        _wait_for(lambda: exp.trials and exp.trials[0].state is TrialState.RUNNING)
        reader = nb.Experiment.load(db)
        assert reader.followed
        assert reader.store.readonly
        with pytest.raises(LeaseHeld):
            reader.set_budget(trials=10)  # steering is a write: only the owner's
        exp.wait(60)
    finally:
        exp.stop()
    assert exp.status == "done" and exp.last_error is None
    assert [t.state for t in exp.trials] == [TrialState.COMPLETE] * 4
    assert exp.store.lease("bg") is None  # released at the end


# ---------------------------------------------------------- point 6: fatal errors


def test_a_background_search_that_dies_says_so_and_wait_raises(tmp_path, monkeypatch):
    db = tmp_path / "locked.db"
    exp = nb.Experiment("nb201", strategy="random", estimator="test_crash_synth",
                        estimator_options={"seconds": 0.0}, trials=5, storage=db, name="locked")

    def locked(*args, **kwargs):
        raise StoreError(f"{db}: database is locked")

    monkeypatch.setattr(exp.store, "finish_trial", locked)
    exp.start()
    with pytest.raises(StoreError, match="database is locked"):
        exp.wait(30)
    assert exp.status == "failed"
    assert "database is locked" in exp.last_error
    assert [t.state for t in exp.trials] == [TrialState.INTERRUPTED]
    assert exp.store.lease("locked") is None


def test_a_blocking_run_that_dies_raises_and_is_failed(tmp_path, monkeypatch):
    exp = nb.Experiment("nb201", strategy="random", estimator="test_crash_synth",
                        estimator_options={"seconds": 0.0}, trials=3)

    def full(*args, **kwargs):
        raise StoreError("disk full")

    monkeypatch.setattr(exp.store, "create_trial", full)
    with pytest.raises(StoreError, match="disk full"):
        exp.run()
    assert exp.status == "failed" and "disk full" in exp.last_error


# ---------------------------------------------------- point 5: optional weights


def _mlp_exp(db: Path, trials: int, **kw) -> nb.Experiment:
    return nb.Experiment("mlp", strategy="random", estimator="train",
                         estimator_options={"epochs": 1, "batch_size": 256}, trials=trials,
                         storage=db, name="w", **kw)


def test_a_failed_weights_save_is_a_warning_and_the_search_goes_on(tmp_path, monkeypatch):
    db = tmp_path / "w.db"
    exp = _mlp_exp(db, 3)
    real_save = torch.save

    def disk_full(obj, f, *a, **k):
        Path(f).write_bytes(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", disk_full)
    exp.run()
    monkeypatch.setattr(torch, "save", real_save)
    trials = exp.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3
    assert all("weights not saved" in (t.error or "") for t in trials)
    folder = Path(f"{db}.weights") / "w"
    assert not list(folder.glob("*.tmp")) and not list(folder.glob("*.pt"))
    assert exp.status == "done" and exp.last_error is None


# ------------------------------------------------------------- point 11: keep_models


def test_keep_models_keeps_exactly_the_best_k_files_across_a_resume(tmp_path):
    db = tmp_path / "k.db"
    _mlp_exp(db, 6, keep_models=2).run()
    exp = nb.Experiment.load(db, keep_models=2)
    exp.set_budget(trials=10)
    exp.run()
    done = [t for t in exp.trials if t.state is TrialState.COMPLETE]
    best = sorted(done, key=lambda t: t.value, reverse=True)[:2]
    files = sorted(int(p.stem) for p in (Path(f"{db}.weights") / "w").glob("*.pt"))
    assert files == sorted(t.number for t in best)
    assert isinstance(exp.best_model(), torch.nn.Module)


# -------------------------------------------------------------- point 7: names


@pytest.mark.parametrize("name", ["../../x", "/abs/x", "", ".", "..", "a b", "x" * 101,
                                  "<img src=x>"])
def test_unsafe_new_names_are_refused_before_the_store_is_created(tmp_path, name):
    db = tmp_path / "n.db"
    with pytest.raises(ValueError, match="is not allowed"):
        nb.Experiment("nb201", estimator="zero_cost", trials=1, storage=db, name=name)
    assert not db.exists()


def test_an_old_name_still_opens_and_its_weights_stay_inside_the_folder(tmp_path):
    db = tmp_path / "old.db"
    _mlp_exp(db, 1).run()
    con = sqlite3.connect(db)
    con.execute("UPDATE experiments SET name = '../../escape' WHERE name = 'w'")
    con.commit()
    con.close()
    exp = nb.Experiment.load(db)
    assert exp.name == "../../escape"
    exp.set_budget(trials=2)
    exp.run()
    root = Path(f"{db}.weights").resolve()
    saved = [p.resolve() for p in root.rglob("*.pt")]
    assert saved and all(root in p.parents for p in saved)
    assert not (tmp_path.parent / "escape").exists()


# ------------------------------------------------ point 8: refused input writes nothing


@pytest.mark.parametrize("extra", [
    ["--seed", "-1"],
    ["--dataset-options", '{"nope": 1}'],
    ["--name", ""],
    ["--resume"],
])
def test_refused_cli_input_creates_no_store(tmp_path, capsys, extra):
    db = tmp_path / "sub" / "r.db"
    args = ["run", "--space", "nb201", "--estimator", "zero_cost", "--trials", "1",
            "--storage", str(db), "--no-progress", *extra]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("nasbench-ui: error: ") and "Traceback" not in err
    assert not db.exists() and not db.parent.exists()


def test_show_never_writes_migrates_or_needs_write_access(tmp_path, capsys):
    v1 = tmp_path / "v1.db"
    con = sqlite3.connect(v1, isolation_level=None)
    from nasbench_ui.storage.sqlite_schema import SCHEMA_V1

    for ddl in SCHEMA_V1:
        con.execute(ddl)
    space = json.dumps({"space": nb.spaces.nb201().to_dict()})
    con.execute("INSERT INTO experiments (id, name, config, created_at) VALUES (1, 'e', ?, 1.0)",
                (space,))
    con.close()
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    before = {p: p.read_bytes() for p in (v1, empty)}
    v1.chmod(0o444)
    assert cli.main(["show", str(v1)]) == 0
    assert "experiment 'e': 0 trials" in capsys.readouterr().out
    assert cli.main(["show", str(empty)]) == 2
    assert "holds no experiment" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in (v1, empty)} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db", "v1.db"]


# ------------------------------------------------- point 4: O(1) observers in the CLI


def test_the_cli_reads_the_whole_history_a_constant_number_of_times(tmp_path, monkeypatch):
    """Counted, not timed: full-history reads (store.trials) per CLI search."""
    calls = []
    real = SQLiteStore.trials

    def counting(self, name, states=None):
        calls.append(name)
        return real(self, name, states)

    monkeypatch.setattr(SQLiteStore, "trials", counting)
    counts = []
    for n in (10, 40):
        calls.clear()
        args = _run_args(tmp_path / f"o{n}.db", n, 0.0)
        args.remove("--no-progress")
        args.remove("--json")
        assert cli.main(args) == 0
        counts.append(len(calls))
    assert counts[0] == counts[1], counts


# ------------------------------------- point 3: tables only from places the user names


def _table(folder: Path) -> Path:
    import pandas as pd

    space = nb.spaces.nb201()
    keys = [space.key(a) for a in itertools.islice(space.enumerate(), 50)]
    path = folder / "t.csv"
    pd.DataFrame({"arch_str": keys, "acc": [i / 50 for i in range(50)]}).to_csv(path, index=False)
    return path


def test_a_table_named_by_a_stored_experiment_needs_trust(tmp_path):
    from nasbench_ui.trust import UntrustedError, untrust_all

    table = _table(tmp_path)
    db = tmp_path / "t.db"
    nb.Experiment("nb201", strategy="grid", estimator="tabular",
                  estimator_options={"table": str(table), "metric": "acc"}, trials=2,
                  storage=db, name="tab").run()
    try:
        with pytest.raises(UntrustedError, match=r"stored experiment 'tab' .*nb\.trust"):
            nb.Experiment.load(db)
        nb.trust(tmp_path)
        assert len(nb.Experiment.load(db).results()) == 2
    finally:
        untrust_all()


def test_a_table_named_by_a_config_file_needs_trust_on_the_cli(tmp_path, capsys):
    from nasbench_ui.config import ExperimentConfig
    from nasbench_ui.trust import untrust_all

    table = _table(tmp_path)
    cfg = ExperimentConfig(space=nb.spaces.nb201().to_dict(), strategy="grid",
                           estimator="tabular",
                           estimator_options={"table": str(table), "metric": "acc"}, trials=2)
    path = tmp_path / "shared.json"
    path.write_text(cfg.to_json())
    db = tmp_path / "c.db"
    args = ["run", "--config", str(path), "--storage", str(db), "--no-progress"]
    try:
        assert cli.main(args) == 2
        err = capsys.readouterr().err
        assert "--trust" in err and len(err.strip().splitlines()) == 1
        assert not db.exists()
        assert cli.main([*args, "--trust", str(tmp_path)]) == 0
    finally:
        untrust_all()
    secret = tmp_path / "env.csv"
    secret.write_text("SECRET_TOKEN=hunter2,other\n1,2\n")
    assert cli.main(["run", "--space", "nb201", "--estimator", "tabular", "--estimator-options",
                     json.dumps({"table": "/proc/self/environ"}), "--storage", str(db)]) == 2
    assert cli.main(["run", "--space", "nb201", "--estimator", "tabular", "--estimator-options",
                     json.dumps({"table": str(secret)}), "--storage", str(db)]) == 2
    err = capsys.readouterr().err
    assert "hunter2" not in err and "SECRET_TOKEN" not in err and "PATH=" not in err


# ----------------------------------------- issue 11's engine part: pace and refusals


def test_pace_slows_a_tabular_search_to_real_time_times_n(tmp_path):
    digits = nb.spaces.digits_cell()
    fast = nb.Experiment(digits, strategy="random", estimator="tabular",
                         estimator_options={"table": "digits"}, trials=4, seed=1)
    fast.run()  # full speed by default
    assert fast.pace is None
    charged = sum(t.metrics["cost_s"] for t in fast.trials)
    paced = nb.Experiment(digits, strategy="random", estimator="tabular",
                          estimator_options={"table": "digits"}, trials=4, seed=1,
                          pace=charged / 2.0)  # the 4 trials' simulated cost in 2 s
    t0 = time.monotonic()
    paced.run()
    assert time.monotonic() - t0 >= 1.95
    assert [t.arch for t in paced.trials] == [t.arch for t in fast.trials]
    with pytest.raises(ValueError, match="pace must be a positive number"):
        paced.set_pace(0)


def test_a_stop_ends_a_paced_wait_at_once(monkeypatch):
    """At a pace of 1e-9 the wait after the first trial is its cost_s times 1e9 seconds,
    so the search ends only if the stop ends the wait; stop's join of 30 s is a guard
    against a hang, not a bound (the stop comes once the wait has begun)."""
    import threading

    from nasbench_ui.engine import loop

    waiting = threading.Event()
    pace_wait = loop.pace_wait

    def noted(pace, metrics, started, control):
        waiting.set()
        pace_wait(pace, metrics, started, control)

    monkeypatch.setattr(loop, "pace_wait", noted)
    exp = nb.Experiment(nb.spaces.digits_cell(), strategy="random", estimator="tabular",
                        estimator_options={"table": "digits"}, trials=50, pace=1e-9)
    exp.start()
    assert waiting.wait(30)  # the first trial is in and its paced wait has begun
    exp.stop(timeout=30)
    assert exp.status == "done" and not exp.running  # the wait, years long, ended
    assert [t.state.name for t in exp.trials] == ["COMPLETE"]  # no trial after it
    assert exp.trials[0].metrics["cost_s"] > 0


def test_an_estimator_of_a_one_shot_strategy_refuses_other_strategies():
    with pytest.raises(ValueError, match="serves only the one-shot strategy 'darts'"):
        nb.Experiment("nb201", strategy="random", estimator="darts_epoch", trials=1)


# ------------------------------------------ issue 14 point 6: start() returns at once


def _register_blocking(name: str, gate, fail: bool = False):
    from nasbench_ui import data

    def loader(seed=0):
        gate.wait(30)
        if fail:
            raise ValueError("the data set 'blocked' could not be read: no such folder")
        return data.load("digits", seed=seed)

    data.register(name, loader, replace=True)


def test_start_does_not_wait_for_the_data_set_loader():
    import threading

    gate = threading.Event()
    _register_blocking("blocked", gate)
    exp = nb.Experiment("mlp", strategy="random", estimator="zero_cost", dataset="blocked",
                        trials=2)
    exp.start()  # returns although the loader blocks until the gate opens
    try:
        assert exp.running and exp.trials == []
    finally:
        gate.set()
    exp.wait(60)
    assert exp.status == "done" and len(exp.trials) == 2


def test_a_data_set_that_fails_to_load_surfaces_at_once():
    import threading

    gate = threading.Event()
    gate.set()
    _register_blocking("broken", gate, fail=True)
    exp = nb.Experiment("mlp", strategy="random", estimator="zero_cost", dataset="broken",
                        trials=2)
    exp.start()
    with pytest.raises(ValueError, match="could not be read"):
        exp.wait(30)
    assert exp.status == "failed" and "could not be read" in exp.last_error
    with pytest.raises(ValueError, match="could not be read"):
        nb.Experiment("mlp", strategy="random", estimator="zero_cost", dataset="broken",
                      trials=2).run()

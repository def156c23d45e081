"""The nasbench-ui command, run as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nasbench_ui.cli import main

BIN = Path(sys.executable).parent / "nasbench-ui"


def cli(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    cmd = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "nasbench_ui.cli"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=timeout)


def test_acceptance_command_then_show(tmp_path):
    db = tmp_path / "X.db"
    r = cli("run", "--space", "keras_cnn", "--strategy", "evolution", "--estimator", "early_stop",
            "--dataset", "digits", "--trials", "10", "--storage", str(db), "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["trials"] == 10
    assert sum(summary["states"].values()) == 10
    assert set(summary["states"]) <= {"COMPLETE", "PRUNED", "FAILED"}
    assert summary["best"]["value"] > 0.5
    from nasbench_ui.storage import open_store

    store = open_store(str(db))
    trials = store.trials(store.experiment_names()[0])
    assert len(trials) == 10 and all(t.finished for t in trials)
    r = cli("show", str(db))
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
    assert "10 trials" in lines[0]
    assert len(lines) == 1 + 1 + 10  # title, header, one row per trial


def test_list(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for word in ("nb201", "evolution", "early_stop", "digits"):
        assert word in out


@pytest.mark.parametrize("args,message", [
    (["run", "--strategy", "nope", "--trials", "1"], "unknown strategy 'nope'"),
    (["run", "--strategy-options", "{bad", "--trials", "1"], "--strategy-options is not valid JSON"),
    (["run", "--strategy", "evolution", "--strategy-options", '{"pop": 2}', "--trials", "1"], "valid options are"),
    (["run", "--trials", "0"], "trials must be a positive integer"),
    (["run", "--space", "missing.json", "--trials", "1"], "space file 'missing.json' does not exist"),
    (["show", "nothere.db"], "no store at nothere.db"),
])
def test_bad_input_is_one_clear_line(tmp_path, capsys, args, message):
    db = tmp_path / "bad.db"
    if args[0] == "run":
        args = [*args, "--storage", str(db)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not db.exists() or db.stat().st_size >= 0


def test_config_file_and_report(tmp_path):
    from nasbench_ui import spaces
    from nasbench_ui.config import ExperimentConfig

    cfg = ExperimentConfig(space=spaces.mlp().to_dict(), strategy="random", estimator="early_stop",
                           estimator_options={"epochs": 1, "subset": 0.2, "latency_runs": 0},
                           trials=2, seed=1)
    path = tmp_path / "c.json"
    path.write_text(cfg.to_json())
    report = tmp_path / "r.html"
    assert main(["run", "--config", str(path), "--storage", str(tmp_path / "c.db"),
                 "--report", str(report), "--no-progress"]) == 0
    html = report.read_text()
    assert "Bokeh" in html and "<svg" in html


def test_run_passes_retries_and_trial_timeout(tmp_path, capsys, monkeypatch):
    import nasbench_ui.experiment as experiment_mod

    seen = {}
    real = experiment_mod.Experiment

    class Spy(real):
        def __init__(self, *args, **kw):
            seen.update({k: kw.get(k) for k in ("retries", "trial_timeout", "workers")})
            super().__init__(*args, **kw)

    monkeypatch.setattr(experiment_mod, "Experiment", Spy)
    db = tmp_path / "f.db"
    assert main(["run", "--space", "mlp", "--estimator", "early_stop", "--estimator-options",
                 '{"epochs": 1, "subset": 0.2, "latency_runs": 0}', "--trials", "1",
                 "--retries", "2", "--trial-timeout", "120", "--storage", str(db), "--json"]) == 0
    assert seen == {"retries": 2, "trial_timeout": 120.0, "workers": None}
    assert json.loads(capsys.readouterr().out)["trials"] == 1
    assert main(["run", "--retries", "-1", "--trials", "1", "--storage", str(db)]) == 2
    assert "retries must be an integer >= 0" in capsys.readouterr().err
    assert main(["run", "--workers", "0", "--trials", "1", "--storage", str(db)]) == 2
    assert "workers must be a positive integer" in capsys.readouterr().err


def test_run_in_process_closes_its_store_before_it_returns(tmp_path, capsys, nb201_csv):
    """``main(["run", ...])`` from a script or a notebook leaves no open connection: the
    file is final when it returns (a later garbage collection used to checkpoint the WAL
    into it, so a reader saw the file change)."""
    import gc

    db = tmp_path / "runs.db"
    options = json.dumps({"table": str(nb201_csv), "metric": "valid_acc_12ep"})
    assert main(["run", "--space", "nb201", "--strategy", "random", "--estimator", "tabular",
                 "--estimator-options", options, "--trials", "3", "--storage", str(db),
                 "--no-progress"]) == 0
    assert not db.with_name(db.name + "-wal").exists()
    before = db.read_bytes()
    gc.collect()
    assert db.read_bytes() == before
    assert "3 trials in" in capsys.readouterr().out


def _shared_store(path: Path, *sql: str) -> Path:
    """A store of three finished nb201 trials, then changed by ``sql``: a file from
    someone else, with no -wal or -shm beside it (as a copied file arrives)."""
    import random
    import sqlite3

    from nasbench_ui import spaces
    from nasbench_ui.config import ExperimentConfig
    from nasbench_ui.storage import SQLiteStore

    space = spaces.nb201()
    with SQLiteStore(path) as store:
        name = store.create_experiment("exp-1", ExperimentConfig(
            space=space.to_dict(), trials=3).to_dict())
        for i in range(3):
            n = store.create_trial(name, space.sample(random.Random(i)))
            store.append_curve(name, n, {"epoch": 1, "valid_acc": 0.5})
            store.finish_trial(name, n, "COMPLETE", value=0.5 + i / 10,
                               metrics={"params": 1000 * (i + 1)})
    con = sqlite3.connect(path)
    for statement in sql:
        con.execute(statement)
    con.commit()
    con.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


@pytest.mark.parametrize(("sql", "says"), [
    ("UPDATE trials SET metrics = '[1, 2]' WHERE number = 0",
     "the metrics of trial 0 is not a JSON object"),
    ("UPDATE trials SET arch = '\"x\"' WHERE number = 0", "the arch of trial 0 is not a JSON"),
    ("UPDATE trials SET started_at = 'yesterday' WHERE number = 0",
     "the started_at of trial 0 is not a number"),
    ("UPDATE trials SET metrics = '{\"a\": ' || replace(hex(zeroblob(50000)), '00', '[') || "
     "replace(hex(zeroblob(50000)), '00', ']') || '}' WHERE number = 0",
     "the metrics of trial 0 is not valid JSON"),
    ("UPDATE experiments SET config = '[]'", "the config of experiment 'exp-1' is not a JSON"),
    ("UPDATE experiments SET config = '{'", "the config of experiment 'exp-1' is not valid JSON"),
    ("UPDATE experiments SET config = '{}'", "space: expected an object"),
])
def test_show_refuses_a_hostile_store_in_one_line_naming_the_file(tmp_path, capsys, sql, says):
    """A store from someone else whose rows no store writes: show printed a traceback
    (AttributeError, TypeError, KeyError 'space', RecursionError); now one line says which
    row of which file, and the file is left as it was."""
    db = _shared_store(tmp_path / "shared.db", sql)
    before = db.read_bytes()
    assert main(["show", str(db)]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
    if "space:" not in says:
        assert str(db) in err
    assert db.read_bytes() == before


def test_show_writes_a_stored_text_to_the_terminal_without_its_control_characters(tmp_path,
                                                                                  capsys):
    """Names and metrics of a shared store reach the terminal as text: an ESC or BEL in
    them was printed raw, so a store could retitle the terminal (OSC 0), write its
    clipboard (OSC 52, where the terminal allows it) or clear the screen."""
    osc = "\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[2J\u202e"
    db = _shared_store(
        tmp_path / "shared.db",
        f"UPDATE experiments SET name = 'a{osc}'",
        "INSERT INTO experiments (name, config, created_at) SELECT 'b' || name, config, "
        "created_at FROM experiments",
        f"UPDATE trials SET metrics = '{json.dumps({'params': osc})}' WHERE number = 0")
    assert main(["show", str(db), "--name", f"a{osc}"]) == 0
    assert main(["show", str(db)]) == 0
    assert main(["show", str(db), "--name", f"c{osc}"]) == 2
    out = capsys.readouterr()
    for stream in (out.out, out.err):
        assert not any(ch in stream for ch in "\x1b\x07\u202e")
    assert "\\x1b]52;c;ZWNobyBwd25lZA==\\x07" in out.out  # shown, escaped
    assert "experiments: a\\x1b" in out.out

"""Several processes on one SQLite file, and processes killed mid-write."""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import nasbench_ui.storage
from nasbench_ui.storage import SQLiteStore, TrialState

REPO = Path(nasbench_ui.storage.__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # spawned children inherit it
from store_workers import LIGHT_ENV, LIGHT_IMPORT, write_trials  # noqa: E402


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def test_two_processes_write_one_file_and_lose_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(LIGHT_ENV, "1")  # the children skip importing torch
    path = str(tmp_path / "shared" / "runs.db")
    n = 50
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [
        ctx.Process(target=write_trials, args=(path, f"p{i}", "shared", n, barrier))
        for i in range(2)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    with SQLiteStore(path) as store:
        assert store.integrity_check() is True
        assert sorted(store.experiment_names()) == ["p0", "p1", "shared"]
        total = 0
        for own in ("p0", "p1"):
            trials = store.trials(own)
            total += len(trials)
            assert [t.number for t in trials] == list(range(n))
            assert all(t.state is TrialState.COMPLETE and t.worker == own for t in trials)
            assert all(t.curve == [{"epoch": 0}, {"epoch": 1}] for t in trials)
            assert [t.value for t in trials] == [i / n for i in range(n)]
            assert store.load_experiment(own)["strategy_state"] == {"told": n}
        assert total == 2 * n
        shared = store.trials("shared")
        # both processes numbered trials of one experiment: no number lost or reused
        assert [t.number for t in shared] == list(range(n))
        owners = sorted((t.arch["owner"], t.arch["i"]) for t in shared)
        assert owners == sorted((f"p{k}", i) for k in range(2) for i in range(0, n, 2))


_CRASHING_WRITER = (
    LIGHT_IMPORT
    + """
from nasbench_ui.storage import SQLiteStore, TrialState

store = SQLiteStore(sys.argv[1])
if "crash" not in store.experiment_names():
    store.create_experiment("crash", {})
told = store.load_experiment("crash")["strategy_state"].get("told", 0)
print("ready", flush=True)
while True:
    n = store.create_trial("crash", {"told_before": told})
    for e in range(3):
        store.append_curve("crash", n, {"epoch": e, "n": n})
    told += 1
    store.finish_trial(
        "crash", n, TrialState.COMPLETE, value=n / 1000, metrics={"number": n, "epochs": 3},
        strategy_state={"told": told}, counters={"spent_s": told * 1.5},
    )
"""
)


def test_killed_writers_leave_a_sound_file(tmp_path):
    path = tmp_path / "crash.db"
    rng = random.Random()
    seed = rng.randrange(1 << 30)
    rng.seed(seed)
    delays = []
    for _ in range(5):
        proc = subprocess.Popen(
            [sys.executable, "-c", _CRASHING_WRITER, str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_env(),
            text=True,
        )
        try:
            line = proc.stdout.readline()
            assert line.strip() == "ready", proc.stderr.read()
            delays.append(rng.uniform(0.01, 0.25))
            time.sleep(delays[-1])
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        assert proc.returncode == -signal.SIGKILL
    info = f"seed {seed}, delays {delays}"
    with SQLiteStore(path) as store:
        assert store.integrity_check() is True
        trials = store.trials("crash")
        assert trials, info
        assert [t.number for t in trials] == list(range(len(trials))), info
        complete = [t for t in trials if t.state is TrialState.COMPLETE]
        running = [t.number for t in trials if t.state is TrialState.RUNNING]
        assert len(complete) + len(running) == len(trials), info
        assert len(running) <= 5, info  # at most one per killed process
        for t in complete:
            assert t.value == t.number / 1000, info
            assert t.metrics == {"number": t.number, "epochs": 3}, info
            assert t.curve == [{"epoch": e, "n": t.number} for e in range(3)], info
        for n in running:
            curve = store.trial("crash", n).curve
            assert curve == [{"epoch": e, "n": n} for e in range(len(curve))], info
        exp = store.load_experiment("crash")
        # the strategy state was saved with every finished trial, never apart from it
        assert exp["strategy_state"] == {"told": len(complete)}, info
        assert exp["counters"] == {"spent_s": len(complete) * 1.5}, info
        assert store.interrupt_running("crash") == running, info
        assert store.trials("crash", [TrialState.RUNNING]) == []
        assert all(
            store.trial("crash", n).error == "interrupted: the process stopped mid-trial"
            for n in running
        )


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_killed_reader_does_not_block_writers(tmp_path):
    path = tmp_path / "r.db"
    with SQLiteStore(path) as store:
        store.create_experiment("e", {})
        store.create_trial("e", {})
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            LIGHT_IMPORT + "from nasbench_ui.storage import SQLiteStore\n"
            "s = SQLiteStore(sys.argv[1])\nprint('ready', flush=True)\n"
            "while True:\n    s.changes('e')\n",
            str(path),
        ],
        stdout=subprocess.PIPE,
        env=_env(),
        text=True,
    )
    assert reader.stdout.readline().strip() == "ready"
    time.sleep(0.05)
    reader.kill()
    reader.wait(30)
    with SQLiteStore(path, timeout=5) as store:
        store.finish_trial("e", 0, TrialState.COMPLETE, value=1.0)
        assert store.trial("e", 0).value == 1.0

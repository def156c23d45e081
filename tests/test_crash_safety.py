"""A search SIGKILLed at random moments, resumed each time, loses nothing.

A fork server (``crash_worker.serve`` started with ``python -c``) forks one child per
round; the child resumes the experiment from the SQLite file and runs trials until
the test SIGKILLs it 0.2-1.5 s later. After every kill the test snapshots the
finished trials; at the end it resumes once more in this process and checks the file:
nothing finished was lost or changed, numbers are contiguous, SQLite finds the file
sound, the trials left RUNNING by a kill were marked INTERRUPTED and their
architectures ran again, and the spent-budget counter matches the finished trials
(it is written in the same transaction as each trial's end).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import nasbench_ui as nb
from nasbench_ui.storage import SQLiteStore, TrialState

pytestmark = pytest.mark.slow

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
KILLS = 20
sys.path.insert(0, str(TESTS))
import crash_worker  # noqa: E402  (registers test_crash_synth here too)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _snapshot(db: Path) -> dict[int, tuple]:
    with SQLiteStore(db) as store:
        if crash_worker.NAME not in store.experiment_names():
            return {}
        return {t.number: (t.state, t.value, t.arch, t.curve)
                for t in store.trials(crash_worker.NAME) if t.finished}


def test_random_sigkills_lose_nothing(tmp_path):
    db = tmp_path / "crash.db"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(TESTS), env.get("PYTHONPATH", "")])
    server = subprocess.Popen(
        [sys.executable, "-c", "import crash_worker; crash_worker.serve()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    )
    rng = random.Random(20)
    finished: dict[int, tuple] = {}
    running_at_kill: set[int] = set()
    try:
        assert server.stdout.readline().strip() == "ready"
        for _ in range(KILLS):
            server.stdin.write(f"go {db}\n")
            server.stdin.flush()
            pid = int(server.stdout.readline())
            time.sleep(rng.uniform(0.2, 1.5))
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.005)
            assert not _alive(pid)
            now = _snapshot(db)
            for number, rec in finished.items():  # nothing finished is lost or changed
                assert now.get(number) == rec, f"trial {number} changed after a kill"
            finished.update(now)
            with SQLiteStore(db) as store:
                running_at_kill |= {t.number for t in store.trials(crash_worker.NAME)
                                    if t.state is TrialState.RUNNING}
    finally:
        server.stdin.close()
        server.wait(10)

    exp = nb.Experiment.load(db, name=crash_worker.NAME)
    exp.set_budget(trials=exp.n_done() + 3)
    exp.run()
    trials = exp.trials
    with SQLiteStore(db) as store:
        assert store.integrity_check()
    assert [t.number for t in trials] == list(range(len(trials)))
    assert len(trials) > KILLS, "the children made progress between kills"
    for number, rec in finished.items():
        t = trials[number]
        assert (t.state, t.value, t.arch, t.curve) == rec
    assert all(t.finished for t in trials)
    complete = [t for t in trials if t.state is TrialState.COMPLETE]
    assert all(t.value == crash_worker.value_of(t.arch) for t in complete)
    assert all(len(t.curve) == 2 for t in complete)

    # trials a kill left RUNNING were marked INTERRUPTED, and their architectures ran again
    assert len(running_at_kill) >= KILLS // 2, "most kills landed mid-trial"
    for number in running_at_kill:
        t = trials[number]
        assert t.state is TrialState.INTERRUPTED and "interrupted" in t.error
        assert any(u.arch == t.arch for u in trials[number + 1:]), f"trial {number} not rerun"
    reruns = [t for t in trials if "rerun_of" in t.meta]
    assert reruns and all(trials[t.meta["rerun_of"]].arch == t.arch for t in reruns)
    assert all(trials[t.meta["rerun_of"]].state is TrialState.INTERRUPTED for t in reruns)

    print(f"{len(trials)} trials, {len(running_at_kill)} of {KILLS} kills mid-trial, "
          f"{len(reruns)} reruns")
    # the spent-budget counter is written with each trial's end: it matches them exactly
    counted = [t for t in trials if t.state in (TrialState.COMPLETE, TrialState.FAILED)]
    assert exp.spent_s() == float(len(counted))

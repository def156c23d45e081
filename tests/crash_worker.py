"""A fork server for the crash-safety test: each child runs a search until it is killed.

``serve()`` imports nasbench_ui (and torch) once, prints ``ready``, then for each
``go`` line on stdin forks a child that opens the SQLite store and runs (or resumes)
the experiment ``crash``; the parent prints the child's pid. The test SIGKILLs the
child at a random moment. Forking skips the 2-4 s interpreter start per kill while
the child still runs the real code path, from ``Experiment.load`` to the trials.

Importing this module registers the estimator ``test_crash_synth`` (fast, seeded by
the architecture only, so a stored value can be checked against it).

Example:
    >>> value_of({"1<-0": "avg_pool_3x3", "2<-0": "none"})
    0.375
"""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Any

from nasbench_ui import estimators
from nasbench_ui.estimators import Estimate, EstimateContext
from nasbench_ui.options import Option

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
NAME = "crash"


def value_of(arch: dict[str, Any]) -> float:
    """The objective: 0.75 times the mean op index of the edges over the largest index."""
    return sum(OPS.index(v) for v in arch.values()) / (4 * len(arch)) * 0.75


class CrashSynth:
    """Two epochs of ``seconds`` / 2 each (checking for a stop), then :func:`value_of`."""

    NAME = "test_crash_synth"
    OPTIONS = {"seconds": Option(float, 0.04, low=0.0, help="time one trial takes"),
               "gate": Option(str, "", help="a file path: each trial waits until it exists")}

    def __init__(self, seconds: float = 0.04, gate: str = "") -> None:
        self.seconds, self.gate = seconds, gate

    def estimate(self, arch: dict[str, Any], ctx: EstimateContext) -> Estimate:
        while self.gate and not os.path.exists(self.gate):  # a test opens it when ready
            time.sleep(0.05)
            ctx.check_stop()
        for epoch in (1, 2):
            time.sleep(self.seconds / 2)
            ctx.check_stop()
            ctx.report({"epoch": epoch, "valid_acc": value_of(arch) * epoch / 2})
        return Estimate(value_of(arch), {"valid_acc": value_of(arch), "cost_s": 1.0})


estimators.register("test_crash_synth", CrashSynth, replace=True)


def run_search(db: str) -> None:
    """Resume the experiment ``crash`` in ``db`` (create it the first time) and run it."""
    import nasbench_ui as nb
    from nasbench_ui.storage import SQLiteStore

    with SQLiteStore(db) as store:
        exists = NAME in store.experiment_names()
    if exists:
        exp = nb.Experiment.load(db, name=NAME)
    else:
        exp = nb.Experiment("nb201", strategy="random", estimator="test_crash_synth",
                            trials=1_000_000, storage=db, name=NAME, seed=0)
    exp.run()


def serve() -> None:
    """Fork one search per ``go DB`` line; print each child's pid."""
    from nasbench_ui import data

    data.load("digits")  # the imports (torch, scikit-learn) are paid once, here

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # killed children are reaped at once
    print("ready", flush=True)
    for line in sys.stdin:
        cmd, _, db = line.strip().partition(" ")
        if cmd != "go":
            break
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                run_search(db)
            except BaseException:
                import traceback

                traceback.print_exc()
                code = 1
            os._exit(code)
        print(pid, flush=True)

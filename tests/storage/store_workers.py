"""Code run in child processes by test_sqlite_processes.py.

Imported in a spawned child whose environment has ``LIGHT_ENV=1`` set, it loads
``nasbench_ui.storage`` without running ``nasbench_ui/__init__.py`` (which imports
torch, about 2 s a process): the storage needs none of it. In the test process
itself the real package is imported.
"""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LIGHT_ENV = "NASBENCH_UI_TEST_LIGHT_IMPORT"

#: The same light import, as source for ``python -c`` children.
LIGHT_IMPORT = f"""
import sys, types
if "nasbench_ui" not in sys.modules:
    _pkg = types.ModuleType("nasbench_ui")
    _pkg.__path__ = [{str(REPO / "nasbench_ui")!r}]
    sys.modules["nasbench_ui"] = _pkg
"""

if os.environ.get(LIGHT_ENV) == "1" and "nasbench_ui" not in sys.modules:
    _pkg = types.ModuleType("nasbench_ui")
    _pkg.__path__ = [str(REPO / "nasbench_ui")]
    sys.modules["nasbench_ui"] = _pkg

from nasbench_ui.storage import SQLiteStore, TrialState  # noqa: E402


def write_trials(path: str, own: str, shared: str, n: int, barrier) -> None:
    """Its own experiment with ``n`` trials, plus ``n / 2`` trials in a shared one.

    The barriers make the processes create the new file, then write, at the same time.
    """
    barrier.wait(60)
    with SQLiteStore(path) as store:
        store.create_experiment(own, {"owner": own})
        try:
            store.create_experiment(shared, {})
        except ValueError as e:
            assert "already exists" in str(e)
        barrier.wait(60)
        for i in range(n):
            t = store.create_trial(own, {"i": i}, worker=own)
            for e in range(2):
                store.append_curve(own, t, {"epoch": e})
            store.finish_trial(
                own, t, TrialState.COMPLETE, value=i / n, strategy_state={"told": i + 1}
            )
            if i % 2 == 0:
                s = store.create_trial(shared, {"owner": own, "i": i}, worker=own)
                store.finish_trial(shared, s, TrialState.COMPLETE, value=float(i))

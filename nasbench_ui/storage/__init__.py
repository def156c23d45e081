"""Trials, their states, and the stores that keep them (SQLite by default, memory for tests).

Example:
    >>> from nasbench_ui.storage import open_store, TrialState
    >>> store = open_store(":memory:")
    >>> name = store.create_experiment("demo", {"trials": 1})
    >>> n = store.create_trial(name, {"op": "skip"})
    >>> store.finish_trial(name, n, TrialState.COMPLETE, value=0.75)
    >>> [(t.number, t.state.name, t.value) for t in store.trials(name)]
    [(0, 'COMPLETE', 0.75)]
"""

from __future__ import annotations

import os
from typing import Any

from nasbench_ui.storage.base import PROTOCOL_METHODS, StoreError, TrialStore
from nasbench_ui.storage.lease import Lease, LeaseHeld
from nasbench_ui.storage.memory import MemoryStore
from nasbench_ui.storage.sqlite import SQLiteStore
from nasbench_ui.storage.trial import Trial, TrialState

__all__ = [
    "Lease",
    "LeaseHeld",
    "MemoryStore",
    "SQLiteStore",
    "StoreError",
    "Trial",
    "TrialState",
    "TrialStore",
    "open_store",
]


def open_store(path_or_store: Any, *, readonly: bool = False) -> TrialStore:
    """A store from ``":memory:"``, a file path (str or ``Path``), or a store itself.

    A path opens (or creates) a :class:`SQLiteStore`; ``readonly=True`` opens an
    existing file to read it without creating, migrating or writing anything. An
    object that already has the store methods is returned as is.

    Example:
        >>> open_store(":memory:").path
        ':memory:'
    """
    if isinstance(path_or_store, (str, os.PathLike)):
        path = os.fspath(path_or_store)
        if path == ":memory:":
            return MemoryStore()
        if not isinstance(path, str) or not path.strip():
            raise ValueError(
                f"storage must be ':memory:' or a file path such as 'runs/demo.db', "
                f"got {path_or_store!r}"
            )
        return SQLiteStore(path, readonly=readonly)
    missing = [m for m in PROTOCOL_METHODS if not callable(getattr(path_or_store, m, None))]
    if missing:
        raise ValueError(
            f"storage must be ':memory:', a file path such as 'runs/demo.db', or a store; "
            f"got a {type(path_or_store).__name__} without {', '.join(missing[:4])}"
            f"{'...' if len(missing) > 4 else ''}"
        )
    return path_or_store

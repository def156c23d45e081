"""Fixtures of the executor tests.

- ``sleepy``: imports ``dask_estimators`` (registering ``test_sleepy``, ``test_median``,
  ``test_nosy`` and ``test_bad_history``) from a folder that spawned Dask worker
  processes can import it from, and unregisters them afterwards.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from nasbench_ui import estimators

HERE = str(Path(__file__).resolve().parent)


@pytest.fixture(scope="module")
def sleepy():
    """The ``dask_estimators`` module, importable by spawned workers (module ``sys.path``)."""
    if HERE not in sys.path:
        sys.path.insert(0, HERE)  # spawned worker processes inherit sys.path
    import dask_estimators

    for cls in (dask_estimators.Sleepy, dask_estimators.Median, dask_estimators.Nosy,
                dask_estimators.BadHistory):
        estimators.register(cls.NAME, cls, replace=True)  # re-register after a cleanup
    yield dask_estimators
    for name in dask_estimators.NAMES:
        estimators._REGISTRY.pop(name, None)

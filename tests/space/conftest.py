"""The space tests build and train small networks directly (not through a trial, whose
thread count :mod:`nasbench_ui.threads` chooses): one torch thread for each module, as
``tests/conftest.py``'s ``one_torch_thread`` gives. On the shared 2-core CI machine,
torch's default two spinning threads made one epoch of a small DARTS network on digits
take 93 s instead of 6 s, and 20 steps of a one-cell stack 40 s instead of 0.3 s."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module", autouse=True)
def _one_thread_for_the_module(one_torch_thread: None) -> None:
    """Every module here trains on one torch thread (restored after the module)."""

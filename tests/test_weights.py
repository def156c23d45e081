"""Where a store keeps its trials' weights (``nasbench_ui/weights.py``)."""

from __future__ import annotations

import os

import pytest

from nasbench_ui.weights import weights_dir


def test_a_weights_folder_that_is_a_symbolic_link_is_refused(tmp_path):
    """A shared folder shipping runs.db.weights as a link to elsewhere made saving
    write (and replace) weights there (found by an attacker's pass)."""
    victim = tmp_path / "victim"
    victim.mkdir()
    shared = tmp_path / "shared"
    shared.mkdir()
    os.symlink(victim, shared / "runs.db.weights")
    with pytest.raises(ValueError, match=r"runs\.db\.weights is a symbolic link .*victim"):
        weights_dir(shared / "runs.db", "exp-1")
    assert list(victim.iterdir()) == []
    real = weights_dir(tmp_path / "own.db", "exp-1")
    assert real == tmp_path / "own.db.weights" / "exp-1"

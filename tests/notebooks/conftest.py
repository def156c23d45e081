"""Fixtures for notebook tests; the runner itself is ``helpers.notebooks``.

Usage in a test::

    from helpers.notebooks import execute_notebook, outputs_text

    def test_quickstart(notebooks_dir, tmp_path):
        nb = execute_notebook(notebooks_dir / "01_quickstart.ipynb",
                              parameters={"TRIALS": 3}, cwd=tmp_path)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import REPO_ROOT


@pytest.fixture(scope="session")
def notebooks_dir() -> Path:
    """The repository's ``notebooks/`` folder."""
    return REPO_ROOT / "notebooks"

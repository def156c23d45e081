"""Every notebook in notebooks/ executes with nbclient, with small budgets (in CI, in the
fresh Binder venv of tests/binder instead: once is enough)."""

from __future__ import annotations

import pytest
from helpers import REPO_ROOT
from helpers.notebooks import SMALL, check_outputs, execute_notebook, run_in_the_binder_venv

pytestmark = pytest.mark.notebooks


def test_every_notebook_is_listed():
    found = sorted(p.name for p in (REPO_ROOT / "notebooks").glob("*.ipynb"))
    assert found == sorted(SMALL), "add the new notebook and its small parameters to SMALL"


@pytest.mark.skipif(run_in_the_binder_venv(), reason=(
    "each notebook runs in the fresh Binder venv instead, with these checks "
    "(tests/binder/test_binder_requirements.py)"))
@pytest.mark.parametrize("name", sorted(SMALL))
def test_notebook_executes(name, tmp_path):
    nb = execute_notebook(REPO_ROOT / "notebooks" / name, parameters=SMALL[name], cwd=tmp_path,
                          timeout=600)
    check_outputs(name, nb, tmp_path)

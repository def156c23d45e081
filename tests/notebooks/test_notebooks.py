"""Every notebook in notebooks/ executes with nbclient, with small budgets."""

from __future__ import annotations

import pytest
from helpers import REPO_ROOT
from helpers.notebooks import SMALL, execute_notebook, outputs_text

pytestmark = pytest.mark.notebooks


def test_every_notebook_is_listed():
    found = sorted(p.name for p in (REPO_ROOT / "notebooks").glob("*.ipynb"))
    assert found == sorted(SMALL), "add the new notebook and its small parameters to SMALL"


@pytest.mark.parametrize("name", sorted(SMALL))
def test_notebook_executes(name, tmp_path):
    nb = execute_notebook(REPO_ROOT / "notebooks" / name, parameters=SMALL[name], cwd=tmp_path,
                          timeout=600)
    text = "\n".join(outputs_text(c) for c in nb.cells if c.cell_type == "code")
    if name == "01_quickstart.ipynb":
        assert "3 rows" in text or "COMPLETE" in text or "PRUNED" in text
        assert (tmp_path / "runs" / "quickstart.db").exists()
    if name == "03_strategies.ipynb":
        assert "reinforce" in text and "evolution" in text

"""``notebooks/01_quickstart.ipynb``: the results cell says to run it again after a search.

Its output does not update by itself: run before the search (as Run All does), it says
there is no search yet; the reader must be told to run it again once the search has run.
"""

from __future__ import annotations

import nbformat
import pytest
from helpers import REPO_ROOT
from helpers.notebooks import execute_notebook, outputs_text

NAME = "01_quickstart.ipynb"


def _results_index(nb: nbformat.NotebookNode) -> int:
    found = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and "wb.results()" in c.source]
    assert len(found) == 1, found
    return found[0]


def test_the_text_above_the_results_cell_says_to_run_it_again():
    nb = nbformat.read(REPO_ROOT / "notebooks" / NAME, as_version=4)
    i = _results_index(nb)
    above = " ".join(nb.cells[i - 1].source.split())
    assert nb.cells[i - 1].cell_type == "markdown"
    assert "run it again once the search has run" in above, above


@pytest.mark.notebooks
def test_before_a_search_the_results_cell_says_to_run_it_again(tmp_path):
    nb = execute_notebook(REPO_ROOT / "notebooks" / NAME,
                          parameters={"TRIALS": 3, "AUTO_RUN": False}, cwd=tmp_path,
                          timeout=300)
    text = " ".join(outputs_text(nb.cells[_results_index(nb)]).split())
    assert "press Start above, then run this cell again to see its results" in text, text

"""The nbclient runner: parameter injection, error reports, the kernel it uses."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from helpers.notebooks import NotebookError, execute_notebook, inject_parameters, outputs_text

pytestmark = pytest.mark.notebooks

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def _write(path: Path, *cells: nbformat.NotebookNode) -> Path:
    nbformat.write(nbformat.v4.new_notebook(cells=list(cells), metadata={"kernelspec": KERNELSPEC}),
                   path)
    return path


def _params_cell(source: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(source, metadata={"tags": ["parameters"]})


def test_parameters_override_defaults_and_kernel_is_this_venv(tmp_path):
    nb_path = _write(
        tmp_path / "params.ipynb",
        nbformat.v4.new_code_cell("import os, sys\nprint(os.getcwd())"),
        _params_cell("TRIALS = 30\nNAME = 'default'\nSEED: int = 0"),
        nbformat.v4.new_code_cell("print(TRIALS, NAME, SEED, sys.prefix)"),
    )
    workdir = tmp_path / "work"
    workdir.mkdir()
    nb = execute_notebook(nb_path, parameters={"TRIALS": 3, "NAME": "x y"}, cwd=workdir)

    assert nb.cells[2].metadata["tags"] == ["injected-parameters"]
    assert outputs_text(nb.cells[0]).strip() == str(workdir)
    assert outputs_text(nb.cells[3]).split() == ["3", "x", "y", "0", sys.prefix]
    # The notebook on disk is left as it was.
    assert len(nbformat.read(nb_path, as_version=4).cells) == 3


def test_without_parameters_the_notebook_runs_as_written(tmp_path):
    nb_path = _write(
        tmp_path / "plain.ipynb",
        _params_cell("TRIALS = 30"),
        nbformat.v4.new_code_cell("print(TRIALS * 2)"),
    )
    nb = execute_notebook(nb_path)
    assert len(nb.cells) == 2
    assert outputs_text(nb.cells[1]) == "60\n"


def test_error_cell_raises_with_cell_source(tmp_path):
    nb_path = _write(
        tmp_path / "boom.ipynb",
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("values = {}\nvalues['missing_key']"),
        nbformat.v4.new_code_cell("print('never')"),
    )
    with pytest.raises(NotebookError) as caught:
        execute_notebook(nb_path)
    message = str(caught.value)
    assert "boom.ipynb: cell 1 failed" in message
    assert "values['missing_key']" in message
    assert "KeyError" in message
    assert "\x1b[" not in message  # colours stripped


def test_unknown_parameter_is_rejected_with_its_name():
    nb = nbformat.v4.new_notebook(cells=[_params_cell("TRIALS = 30")])
    with pytest.raises(ValueError, match=r"\['TRIAL'\] are not assigned.*\['TRIALS'\]"):
        inject_parameters(nb, {"TRIAL": 3}, name="demo.ipynb")


def test_missing_parameters_cell_is_reported():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("TRIALS = 30")])
    with pytest.raises(ValueError, match="demo.ipynb has no cell tagged 'parameters'"):
        inject_parameters(nb, {"TRIALS": 3}, name="demo.ipynb")


def test_non_literal_parameter_is_rejected():
    nb = nbformat.v4.new_notebook(cells=[_params_cell("DEVICE = 'cpu'")])
    with pytest.raises(ValueError, match="DEVICE=.*is not a plain literal"):
        inject_parameters(nb, {"DEVICE": object()}, name="demo.ipynb")


def test_missing_notebook_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        execute_notebook(tmp_path / "nope.ipynb")

"""Execute notebooks headlessly with nbclient, papermill-style parameters included.

A notebook marks the cell that holds its knobs (``TRIALS = 30``) with the cell
tag ``parameters``. :func:`execute_notebook` inserts a cell right after it that
assigns the overrides, runs every cell in the ``python3`` kernel (this
interpreter: jupyter_client starts ``sys.executable`` for a ``python`` argv), and
raises :class:`NotebookError` on the first error, with the cell's source.

Example:
    >>> nb = execute_notebook(Path("notebooks/01_quickstart.ipynb"),   # doctest: +SKIP
    ...                       parameters={"TRIALS": 3}, cwd=tmp_path)
    >>> outputs_text(nb.cells[-1])                                      # doctest: +SKIP
    '...'
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

SMALL: dict[str, dict[str, Any]] = {
    "01_quickstart.ipynb": {"TRIALS": 3, "AUTO_RUN": True},
    "02_search_spaces.ipynb": {"SAMPLES": 2},
    "03_strategies.ipynb": {"TRIALS": 4, "SEEDS": 2, "TABLE_TRIALS": 10, "WAIT_S": 120},
    "04_workshop.ipynb": {"AUTO_RUN": True, "PACE": 1000, "RACE_TRIALS": 20, "SEEDS": 2,
                          "CELLS": 8, "EPOCHS": 1, "DARTS_EPOCHS": 2, "WAIT_S": 120},
    "dashboard.ipynb": {"TRIALS": 2, "AUTO_RUN": True},
}
"""Small-budget parameters for every notebook in ``notebooks/`` (CI and the Binder check)."""

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class NotebookError(AssertionError):
    """A notebook cell failed (or left an error output); the message shows where."""


def _assigned_names(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets = [node.target]
        for target in targets:
            names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


def inject_parameters(
    nb: nbformat.NotebookNode, parameters: dict[str, Any], name: str = "notebook"
) -> nbformat.NotebookNode:
    """Insert a cell assigning ``parameters`` after the cell tagged ``parameters``.

    Every name must already be assigned in that cell (so a typo is caught) and
    every value must be a literal that ``repr`` writes back as Python.

    Example:
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        ...     "TRIALS = 30", metadata={"tags": ["parameters"]})])
        >>> inject_parameters(nb, {"TRIALS": 3}).cells[1].source
        '# injected by the tests\\nTRIALS = 3'
    """
    index = next(
        (i for i, cell in enumerate(nb.cells)
         if PARAMETERS_TAG in cell.get("metadata", {}).get("tags", [])),
        None,
    )
    if index is None:
        raise ValueError(
            f"{name} has no cell tagged {PARAMETERS_TAG!r}; tag the cell that assigns "
            f"{sorted(parameters)} (cell metadata: tags: ['parameters'])"
        )
    known = _assigned_names(nb.cells[index].source)
    unknown = sorted(set(parameters) - known)
    if unknown:
        raise ValueError(
            f"{name}: parameters {unknown} are not assigned in its 'parameters' cell, "
            f"which assigns {sorted(known)}; fix the name or add it to that cell"
        )
    lines = ["# injected by the tests"]
    for key, value in parameters.items():
        text = repr(value)
        try:
            same = ast.literal_eval(text) == value
        except (ValueError, SyntaxError):
            same = False
        if not same:
            raise ValueError(
                f"{name}: parameter {key}={text} is not a plain literal; pass numbers, "
                "strings, booleans, None, or lists/dicts/tuples of them"
            )
        lines.append(f"{key} = {text}")
    cell = nbformat.v4.new_code_cell("\n".join(lines), metadata={"tags": [INJECTED_TAG]})
    nb.cells.insert(index + 1, cell)
    return nb


def outputs_text(cell: nbformat.NotebookNode) -> str:
    """Return a code cell's stream text and ``text/plain`` results, concatenated."""
    parts: list[str] = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(str(out.get("data", {}).get("text/plain", "")))
        elif out.output_type == "error":
            parts.append(_ANSI.sub("", "\n".join(out.traceback)))
    return "".join(parts)


def _raise_on_error_outputs(nb: nbformat.NotebookNode, name: str) -> None:
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                raise NotebookError(
                    f"{name}: cell {i} holds an error output {out.ename}: {out.evalue}\n"
                    f"--- cell source ---\n{cell.source}\n--- traceback ---\n"
                    + _ANSI.sub("", "\n".join(out.traceback))
                )


def execute_notebook(
    path: Path,
    parameters: dict[str, Any] | None = None,
    timeout: int = 600,
    cwd: Path | None = None,
    kernel_name: str = "python3",
) -> nbformat.NotebookNode:
    """Run the notebook at ``path`` top to bottom and return it with its outputs.

    ``parameters`` override the values of the cell tagged ``parameters``.
    ``timeout`` is the limit per cell in seconds. ``cwd`` is the kernel's working
    folder (default: the notebook's folder); pass a temporary folder so a run's
    files do not land in the repository. Raises :class:`NotebookError` naming the
    cell, its source and the traceback when a cell fails.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"notebook {path} does not exist; pass the path of an .ipynb file")
    nb = nbformat.read(path, as_version=4)
    if parameters:
        inject_parameters(nb, parameters, name=path.name)
    workdir = Path(cwd) if cwd is not None else path.parent
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel_name,
        allow_errors=False,
        resources={"metadata": {"path": str(workdir)}},
    )
    try:
        client.execute()
    except CellExecutionError as exc:
        failed = next(
            (i for i, cell in enumerate(nb.cells)
             if any(o.output_type == "error" for o in cell.get("outputs", []))),
            "?",
        )
        raise NotebookError(
            f"{path.name}: cell {failed} failed:\n{_ANSI.sub('', str(exc))}"
        ) from exc
    _raise_on_error_outputs(nb, path.name)
    return nb


def check_outputs(name: str, nb: nbformat.NotebookNode, workdir: Path) -> None:
    """What an executed notebook must show beyond running without an error (raises
    ``AssertionError`` saying what is missing). Run on each notebook wherever it runs:
    ``tests/notebooks`` in this venv, or the Binder check in the Binder venv.

    Example:
        >>> check_outputs("02_search_spaces.ipynb", nbformat.v4.new_notebook(), Path("."))
    """
    text = "\n".join(outputs_text(c) for c in nb.cells if c.cell_type == "code")
    if name == "01_quickstart.ipynb":
        assert "3 rows" in text or "COMPLETE" in text or "PRUNED" in text, text[-2000:]
        assert (Path(workdir) / "runs" / "quickstart.db").exists(), "no runs/quickstart.db"
    if name == "03_strategies.ipynb":
        assert "reinforce" in text and "evolution" in text, text[-2000:]
        # the trials it shows read as a table: each decision a column, no column of
        # architecture dicts (one tall wrapped cell a row) and none elided by pandas
        shown = [outputs_text(c) for c in nb.cells if c.cell_type == "code"
                 and c.source.rstrip().endswith(("tail(3)", "head(3)"))]
        assert len(shown) == 2, shown
        for table in shown:
            assert "{'" not in table and "..." not in table, table
            assert "units_1" in table and "learning_rate" in table, table


def run_in_the_binder_venv() -> bool:
    """True when the Binder check (``tests/binder``) executes every notebook in a fresh
    Binder venv (``NASBENCH_BINDER_TEST=1``, or CI): ``tests/notebooks`` then leaves
    them to it instead of running each twice.

    Example:
        >>> isinstance(run_in_the_binder_venv(), bool)
        True
    """
    return os.environ.get("NASBENCH_BINDER_TEST") == "1" or \
        os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


"""Every docstring example in the package runs (the examples are part of the docs)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import nasbench_ui

MODULES = sorted(m.name for m in pkgutil.walk_packages(nasbench_ui.__path__, "nasbench_ui."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             verbose=False, report=True)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed (above)"


def test_public_names_have_examples() -> None:
    """The top-level names users start from carry a runnable example."""
    for obj in (nasbench_ui.Experiment, nasbench_ui.Workbench, nasbench_ui.race,
                nasbench_ui.benchmarks.digits, nasbench_ui.SearchSpace):
        doc = importlib.import_module(obj.__module__).__doc__ or ""
        assert ">>>" in (obj.__doc__ or "") or ">>>" in doc, obj

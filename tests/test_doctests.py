"""Every docstring example in the package and in the benchmarks runs (the examples are
part of the docs)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import sys

import pytest
from helpers import REPO_ROOT

import nasbench_ui

if str(REPO_ROOT) not in sys.path:  # the benchmarks import as a package of the checkout
    sys.path.insert(0, str(REPO_ROOT))

MODULES = sorted(m.name for m in pkgutil.walk_packages(nasbench_ui.__path__, "nasbench_ui."))
# every benchmark module of a checkout; a leading underscore marks a local scratch file
BENCHMARKS = ["benchmarks"] + sorted(
    f"benchmarks.{p.stem}" for p in (REPO_ROOT / "benchmarks").glob("*.py")
    if not p.stem.startswith("_"))


def test_the_benchmarks_are_all_listed() -> None:
    assert {"benchmarks.peers", "benchmarks.processes", "benchmarks.ui_responsiveness"} \
        <= set(BENCHMARKS)


@pytest.mark.parametrize("name", MODULES + BENCHMARKS)
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

"""Every docstring example of the benchmarks runs (``tests/test_doctests.py`` covers the
package; the benchmarks' pure helpers document themselves the same way)."""

from __future__ import annotations

import doctest
import importlib
import sys

import pytest
from helpers import REPO_ROOT

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

# every benchmark module of a checkout; a leading underscore marks a local scratch file
MODULES = ["benchmarks"] + sorted(
    f"benchmarks.{p.stem}" for p in (REPO_ROOT / "benchmarks").glob("*.py")
    if not p.stem.startswith("_"))


def test_the_benchmarks_are_all_listed() -> None:
    assert {"benchmarks.peers", "benchmarks.processes", "benchmarks.ui_responsiveness"} \
        <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             verbose=False, report=True)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed (above)"

"""Fixtures shared by the whole test suite.

- ``repo_root``: the repository root.
- ``shared_dir``: the read-only ``../shared`` folder beside the repository
  (benchmark tables); tests that need it are skipped, with the reason, when it is
  missing (outside CI) and fail in CI.
- ``nb201_csv``: ``../shared/benchmarks/nb201/nb201_cifar10.csv``.
- ``artifacts_dir``: ``artifacts/`` (screenshots, logs; git-ignored).
- ``browser``: Debian's Chromium driven by Playwright (sync API), one per test
  module. Skipped when ``/usr/bin/chromium`` is missing, except in CI where that
  fails. Module scope on purpose: Playwright's sync API allows one running
  instance per thread, so a test module must not hold one while another starts;
  use this fixture rather than starting ``sync_playwright()`` in a test module.

Helpers for tests live in ``tests/helpers`` and are imported as ``helpers``.

The suite runs on two pytest-xdist workers (``pyproject.toml``'s ``-n auto --dist
loadfile --no-loadscope-reorder``; :func:`pytest_xdist_auto_num_workers` makes ``auto``
two, or one on one CPU): each test module stays on one worker, so its module fixtures
start once. :func:`pytest_collection_modifyitems` puts the modules that hold slow,
browser, notebook or Dask tests first (xdist keeps that order), so the long ones start
early and the quick ones fill in around them. ``-n 0`` runs everything in this process,
in the same order.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:  # so that `import helpers` works from any test folder
    sys.path.insert(0, _TESTS_DIR)

from helpers import (  # noqa: E402
    ARTIFACTS_DIR,
    CHROMIUM,
    CHROMIUM_ARGS,
    REPO_ROOT,
    SHARED_DIR,
    in_ci,
)

_LONG = ("slow", "browser", "notebooks", "dask")  # markers of the tests that take seconds
WORKERS = 2  # the CI machine's cores; more would only make timing-bound tests wait longer


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: two workers, or one where this process may use one CPU only (its
    affinity and cgroup quota, as :func:`nasbench_ui.cpus.usable_cpus` counts them)."""
    from nasbench_ui.cpus import usable_cpus

    return max(1, min(WORKERS, usable_cpus()))


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    """Modules holding long tests first, each module's tests in their own order (stable:
    every xdist worker collects the same list)."""
    long = {item.nodeid.split("::")[0] for item in items
            if any(item.get_closest_marker(m) for m in _LONG)}
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in long)


def _unavailable(reason: str) -> None:
    if in_ci():
        pytest.fail(f"{reason} (CI=true, so this is an error, not a skip)")
    pytest.skip(reason)


def _need(path: Path, what: str) -> Path:
    if path.exists():
        return path
    message = (
        f"{what} not found at {path}; this test reads the shared folder that sits "
        "beside the repository as ../shared"
    )
    _unavailable(message)
    return path


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (holds ``pyproject.toml``)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ``../shared`` folder beside the repository; skip (fail in CI) when absent."""
    return _need(SHARED_DIR, "the shared folder")


@pytest.fixture(scope="session")
def nb201_csv(shared_dir: Path) -> Path:
    """The NAS-Bench-201 CIFAR-10 table (15,625 rows) in the shared folder."""
    return _need(
        shared_dir / "benchmarks" / "nb201" / "nb201_cifar10.csv", "the NAS-Bench-201 table"
    )


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """``artifacts/`` in the repository, created on demand."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR


@pytest.fixture(scope="session")
def chromium_binary() -> Path:
    """Debian's Chromium; a skip where it is missing, an error under CI=true."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing; install it with: apt-get install -y chromium")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium_binary):
    """Chromium (Debian's binary, never a Playwright download) for one test module."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed; pip install -e '.[test]'")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def one_torch_thread():
    """torch on one intra-op thread for a module's tests (small networks gain nothing
    from more, and the CI machine is shared); the setting before is restored after.
    Use with ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

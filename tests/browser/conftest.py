"""Fixtures for real-browser tests: an isolated JupyterLab server and Chromium.

- ``jupyter_server`` (session): a ``LabServer`` from ``helpers.lab_server``.
- ``browser`` comes from ``tests/conftest.py`` (Debian's Chromium, one per module).
- ``page``: a fresh 1400x900 page per test; on a failed test a screenshot is saved
  as ``artifacts/FAILED-<test>.png``; afterwards every kernel is shut down.
- ``console_log``: the page's console errors (``helpers.lab.ConsoleLog``).

Drive the page with ``helpers.lab``: ``open_notebook``, ``run_all``, ``run_code``,
``bokeh_source_length``, ``assert_clean``, ``save_screenshot``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


@pytest.fixture(scope="session")
def jupyter_server(tmp_path_factory: pytest.TempPathFactory):
    """A JupyterLab server for this test session, stopped by its PID at the end."""
    from helpers.lab_server import start_lab_server, stop_lab_server

    server = start_lab_server(tmp_path_factory.mktemp("jupyterlab"))
    yield server
    stop_lab_server(server)


@pytest.fixture
def page(browser, jupyter_server, request: pytest.FixtureRequest) -> Iterator:
    """A fresh page; screenshot on failure; all kernels shut down afterwards."""
    from helpers import artifact_path
    from helpers.lab_server import shutdown_kernels

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    if request.node.stash.get(_FAILED, False):
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        try:
            pg.screenshot(path=str(artifact_path(f"FAILED-{name}.png")))
        except Exception as exc:  # a crashed page must not hide the test's own failure
            print(f"could not save a failure screenshot: {exc}")
    context.close()
    shutdown_kernels(jupyter_server)


@pytest.fixture
def console_log(page):
    """Console errors and page errors of ``page``, recorded from its creation."""
    from helpers.lab import ConsoleLog

    return ConsoleLog.attach(page)

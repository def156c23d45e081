"""Small helpers shared by the test suite (not part of the package).

``tests/conftest.py`` puts ``tests/`` on ``sys.path``, so a test imports them as
``from helpers import REPO_ROOT`` or ``from helpers.lab import run_all``.

Example:
    >>> from helpers import REPO_ROOT
    >>> (REPO_ROOT / "pyproject.toml").is_file()
    True
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The repository root (the folder holding ``pyproject.toml``)."""

SHARED_DIR = REPO_ROOT.parent / "shared"
"""The read-only folder beside the repository (benchmark tables, notes)."""

ARTIFACTS_DIR = REPO_ROOT / "artifacts"
"""Where tests save screenshots and logs (git-ignored; CI keeps it)."""

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's Chromium; tests never download a browser (no `playwright install`)."""

CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
"""Flags seen working for headless Chromium as root on a closed network."""


def in_ci() -> bool:
    """Return True when the environment variable ``CI`` is set to a true value.

    Example:
        >>> isinstance(in_ci(), bool)
        True
    """
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def artifact_path(name: str) -> Path:
    """Return ``artifacts/<name>``, creating the folder; ``name`` is a plain file name.

    Example:
        >>> artifact_path("demo.png").name
        'demo.png'
    """
    if not name or Path(name).name != name:
        raise ValueError(
            f"artifact name {name!r} must be a plain file name such as 'workbench.png', "
            "without folders"
        )
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR / name


def wait_for(pred, timeout: float = 60.0, every: float = 0.02) -> bool:
    """Poll ``pred()`` until it is true (True) or ``timeout`` seconds pass (its last value).

    Example:
        >>> wait_for(lambda: True)
        True
    """
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(every)
    return bool(pred())

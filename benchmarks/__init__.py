"""The project's benchmarks (run each as ``python benchmarks/<name>.py``), and what they share.

Example:
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "sub" / "r.json"
    >>> write_json(out, {"a": 1}); out.read_text()
    '{\\n "a": 1\\n}'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_json(out: str | Path, summary: dict[str, Any]) -> None:
    """Write ``summary`` to ``out`` (indented JSON), creating its folder."""
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(summary, indent=1), encoding="utf-8")

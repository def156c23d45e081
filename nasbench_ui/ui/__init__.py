"""The notebook widgets: graph editor, controls, live charts, architecture view, workbench.

Needs the ``ui`` extra (``pip install 'nasbench_ui[ui]'``).

Example:
    >>> from nasbench_ui.ui import Workbench  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

__all__ = ["ArchView", "GraphEditor", "LiveCharts", "Workbench"]


def __getattr__(name: str) -> Any:
    if name == "Workbench":
        from .workbench import Workbench

        return Workbench
    if name == "GraphEditor":
        from .graph_editor import GraphEditor

        return GraphEditor
    if name == "ArchView":
        from .arch_view import ArchView

        return ArchView
    if name == "LiveCharts":
        from .charts import LiveCharts

        return LiveCharts
    raise AttributeError(name)

"""Charts of trials: pure data functions (``tables``), Bokeh renderers (``figures``), the
HTML report (``report``) and the SVG drawing of an architecture (``arch_svg``).

``tables``, ``frame``, ``pareto`` and ``arch_svg`` need no Bokeh; ``figures`` and
``report`` need the ``ui`` extra (``pip install 'nasbench_ui[ui]'``): ``write_report`` and
``best_trial`` are imported on first use, and raise ImportError saying so without Bokeh.

Example:
    >>> from nasbench_ui.viz import pareto_front
    >>> pareto_front([(1, 1), (2, 0), (0, 0)], ["max", "max"])
    [0, 1]
"""

from typing import Any

from .arch_svg import arch_svg
from .frame import results_frame
from .pareto import pareto_front
from .tables import (
    curves_data,
    history_data,
    op_frequency,
    scatter_data,
)

__all__ = [
    "arch_svg", "best_trial", "curves_data", "history_data", "op_frequency", "pareto_front",
    "results_frame", "scatter_data", "write_report",
]


def __getattr__(name: str) -> Any:
    if name in ("write_report", "best_trial"):
        from . import report

        return getattr(report, name)
    raise AttributeError(f"module 'nasbench_ui.viz' has no attribute {name!r}")

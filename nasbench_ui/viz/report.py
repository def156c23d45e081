"""A standalone HTML report of an experiment: history, accuracy vs cost, best architecture.

BokehJS is embedded INLINE (``bokeh.resources.INLINE``), so the file opens offline.

Example:
    >>> import tempfile, os
    >>> from nasbench_ui import spaces
    >>> from nasbench_ui.storage.trial import Trial, TrialState
    >>> s = spaces.nb201()
    >>> a = spaces.nb201_arch("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|")
    >>> path = os.path.join(tempfile.mkdtemp(), "report.html")
    >>> p = write_report(path, [Trial(0, TrialState.COMPLETE, a, 0.9, {"params": 1000})], s)
    >>> "nor_conv_3x3" in p.read_text()
    True
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nasbench_ui.storage.trial import Trial
from nasbench_ui.viz import tables
from nasbench_ui.viz.arch_svg import arch_svg
from nasbench_ui.viz.trials import check_trials

INSTALL_HINT = "pip install 'nasbench_ui[ui]'"
try:  # at import, so that a caller can catch ImportError where it imports the report
    from bokeh.embed import file_html
    from bokeh.layouts import row
    from bokeh.resources import INLINE

    from nasbench_ui.viz import figures
except ImportError as e:
    raise ImportError(f"the HTML report needs bokeh ({e}); {INSTALL_HINT}") from e

__all__ = ["best_trial", "write_report"]
# a Jinja template on Bokeh's own page (``{% extends base %}`` is prepended by Bokeh):
# the summary, the drawing and the table are plain HTML around the charts
TEMPLATE = """
{% block postamble %}<style>
  body { font-family: sans-serif; padding: 12px 20px; color: #222; }
  .nbui-top { border-collapse: collapse; font-size: 12px; }
  .nbui-top th, .nbui-top td { padding: 2px 8px; border-bottom: 1px solid #ddd; }
</style>{% endblock %}
{% block contents %}
{{ nbui_header }}
{{ super() }}
<div class="nbui-best-arch">{{ nbui_drawing }}</div>
{{ nbui_table }}
{% endblock %}
"""


def best_trial(trials: Sequence[Trial], maximize: bool = True) -> Trial | None:
    """The COMPLETE trial with the best value (lowest number on ties), or None."""
    done = [t for t in trials if t.state.name == "COMPLETE"
            and not math.isnan(tables.metric(t, "value"))]
    if not done:
        return None
    sign = -1.0 if maximize else 1.0
    return min(done, key=lambda t: (sign * tables.metric(t, "value"), t.number))


def _summary(trials: Sequence[Trial], best: Trial | None, title: str) -> str:
    counts: dict[str, int] = {}
    for t in trials:
        counts[t.state.name] = counts.get(t.state.name, 0) + 1
    states = ", ".join(f"{k}: {v}" for k, v in counts.items()) or "no trials"
    head = f"<h1>{html.escape(title)}</h1><p>{len(trials)} trials ({html.escape(states)})</p>"
    if best is None:
        return head + "<p><i>No COMPLETE trial yet: no best architecture.</i></p>"
    return head + (f"<p>Best: trial {best.number}, value {best.value:.4g}<br>"
                   f"<small>{html.escape(tables.metrics_text(best.metrics, 400))}</small></p>")


def _top_table(trials: Sequence[Trial], space: Any, maximize: bool, n: int = 10) -> str:
    df = tables.results_frame(trials, space)
    df = df[df["state"] == "COMPLETE"].sort_values("value", ascending=not maximize).head(n)
    if df.empty:
        return ""
    df = df.drop(columns=["arch", "error"])
    return f"<h3>Top {len(df)} trials</h3>" + df.to_html(index=False, float_format="{:.4g}".format,
                                                        border=0, classes="nbui-top")


def write_report(
    path: str | Path, trials: Sequence[Trial], space: Any, title: str = "nasbench_ui report",
    best_arch_svg: str | None = None, maximize: bool = True, scatter_x: str = "params",
) -> Path:
    """Write the report to ``path`` (parent folders are created) and return it as a Path.

    ``best_arch_svg`` replaces the drawing of the best trial's architecture that is
    otherwise made with :func:`nasbench_ui.viz.arch_svg.arch_svg`.
    """
    if not isinstance(path, (str, Path)) or not str(path):
        raise ValueError(f"path must be a file path (str or Path), got {path!r}")
    trials = check_trials(trials)
    if best_arch_svg is not None and not (
            isinstance(best_arch_svg, str) and best_arch_svg.lstrip().startswith("<svg")):
        raise ValueError("best_arch_svg must be an SVG document string starting with '<svg'")
    out = Path(path)
    if out.is_dir():
        raise ValueError(f"report path {str(out)!r} is a folder; give a file name like report.html")
    best = best_trial(trials, maximize)
    svg = best_arch_svg
    if svg is None and best is not None and space is not None:
        svg = arch_svg(space, best.arch, title=f"best architecture (trial {best.number})")
    hist_fig, _ = figures.history_figure(tables.history_data(trials, maximize=maximize))
    sc_fig, _ = figures.scatter_figure(scatter_x, tables.scatter_data(
        trials, x=scatter_x, maximize_y=maximize))
    drawing = svg if svg is not None else "<p><i>No architecture to draw.</i></p>"
    text = file_html(row(hist_fig, sc_fig), INLINE, title, template=TEMPLATE, template_variables={
        "nbui_header": _summary(trials, best, title), "nbui_drawing": drawing,
        "nbui_table": _top_table(trials, space, maximize)})
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out

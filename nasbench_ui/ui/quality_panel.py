"""``QualityPanel``: how well the running estimator ranks architectures, live.

For the finished COMPLETE trials of a search it looks up each architecture's true
value in a :class:`~nasbench_ui.quality.GroundTruth` and shows Kendall's tau,
Spearman's rho and the top-k overlap (:func:`~nasbench_ui.quality.rank_quality`)
above a Bokeh scatter of estimate (x) against truth (y), one dot per trial.

It follows :class:`~nasbench_ui.ui.charts.LiveCharts`: ``update(trials)`` takes the
FULL current list of trials and only records it (cheap: call it from any thread, as
often as you like); its :class:`~nasbench_ui.ui.pusher.ChartPusher` pushes it at most
once every ``interval`` seconds, ``flush()`` pushes now (document changes under
``self.lock``, echoes dropped, the source re-sent whole to a late view). New dots are
streamed with :func:`~nasbench_ui.viz.figures.sync_source`.

The scatter's source is ``panel.source`` (named ``nbui-quality``; columns ``number``,
``estimate``, ``truth``, ``arch_text``); the last figures are ``panel.quality``.

Example:
    >>> from nasbench_ui import spaces
    >>> from nasbench_ui.quality import GroundTruth
    >>> from nasbench_ui.storage import Trial, TrialState
    >>> space = spaces.nb201()
    >>> a = space.sample(__import__("random").Random(0))
    >>> panel = QualityPanel(space, GroundTruth(space, {space.key(a): 0.9}))
    >>> panel.update([Trial(0, TrialState.COMPLETE, a, 0.5)]); panel.flush()
    >>> panel.source.data["truth"], panel.quality["n"]
    ([0.9], 1)
    >>> panel.close()
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import ipywidgets as w
from bokeh.models import ColumnDataSource, HoverTool
from bokeh.plotting import figure

from ..quality import GroundTruth, rank_quality
from ..storage import Trial, TrialState
from ..viz.figures import HEIGHT, TOOLS, WIDTH, sync_source
from ..viz.notebook import prepare_display
from .pusher import ChartPusher
from .text import SafeHTML, markup

__all__ = ["QualityPanel"]


def _fmt(x: float) -> str:
    return "–" if x is None or math.isnan(x) else f"{x:.3f}"


class QualityPanel(w.VBox):
    """Rank quality of an estimator against a ground truth. See the module docstring.

    ``k``: the top-k of the overlap. ``interval``: seconds between pushes.
    """

    def __init__(self, space: Any, truth: GroundTruth, k: int = 10,
                 interval: float = 0.25) -> None:
        if not isinstance(truth, GroundTruth):
            raise ValueError(f"truth must be a nasbench_ui.quality.GroundTruth, got "
                             f"{type(truth).__name__}")
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be an integer >= 1, got {k!r}")
        self.space, self.truth, self.k = space, truth, k
        self.quality: dict[str, Any] = rank_quality([], [], k)
        self.unknown = 0  # COMPLETE trials whose truth is not known
        self._pending: list[Trial] = []
        self.source = ColumnDataSource({"number": [], "estimate": [], "truth": [],
                                        "arch_text": []}, name="nbui-quality")
        self.figure = figure(title=f"Estimate vs truth ({truth.metric})", width=WIDTH,
                             height=HEIGHT, sizing_mode="fixed", tools=TOOLS,
                             x_axis_label="estimate", y_axis_label=f"truth: {truth.metric}")
        self.figure.toolbar.logo = None
        dots = self.figure.scatter("estimate", "truth", source=self.source, size=7, alpha=0.7,
                                   color="#1f77b4")
        self.figure.add_tools(HoverTool(renderers=[dots], tooltips=[
            ("trial", "@number"), ("estimate", "@estimate"), ("truth", "@truth"),
            ("arch", "@arch_text")]))
        self.pusher = ChartPusher(self.figure, self._push, interval=interval,
                                  name="nbui-quality", css_class="nbui-quality-chart")
        self.model = self.pusher.make_model()
        self.numbers = SafeHTML()
        super().__init__([self.numbers, self.model])
        self.add_class("nbui-quality")
        self._show_numbers()

    # ------------------------------------------------------------- display
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        prepare_display(self)
        return super()._repr_mimebundle_(**kwargs)

    def close(self) -> None:
        """Stop the updater thread and close the widgets."""
        pusher = getattr(self, "pusher", None)  # None: the constructor failed before it
        if pusher is not None:
            pusher.close()
        super().close()

    @property
    def lock(self) -> Any:
        """The lock every change to the document is made under."""
        return self.pusher.lock

    @property
    def pushes(self) -> int:
        """Document pushes so far."""
        return self.pusher.pushes

    # ------------------------------------------------------------- updates
    def update(self, trials: Sequence[Trial]) -> None:
        """Record the full current list of trials (any states); pushed soon."""
        self._pending = trials if isinstance(trials, list) else list(trials)
        self.pusher.poke()

    def flush(self) -> None:
        """Compute the figures of the recorded trials and push them now."""
        self.pusher.flush()

    def _push(self) -> bool:
        data = self._rows(self._pending)
        kind = sync_source(self.source, data)
        self.quality = rank_quality(data["estimate"], data["truth"], self.k)
        self._show_numbers()
        return kind != "none"

    def _rows(self, trials: list[Trial]) -> dict[str, list]:
        rows: dict[str, list] = {"number": [], "estimate": [], "truth": [], "arch_text": []}
        unknown = 0
        for t in sorted(trials, key=lambda t: t.number):
            if t.state is not TrialState.COMPLETE or t.value is None or math.isnan(t.value):
                continue
            true = self.truth(t.arch)
            if true is None:
                unknown += 1
                continue
            rows["number"].append(t.number)
            rows["estimate"].append(float(t.value))
            rows["truth"].append(true)
            rows["arch_text"].append(self._key(t.arch))
        self.unknown = unknown
        return rows

    def _key(self, arch: dict[str, Any]) -> str:
        try:
            return str(self.space.key(arch))
        except ValueError:
            return str(arch)

    def _show_numbers(self) -> None:
        q = self.quality
        unknown = (f" ({self.unknown} trial(s) not in the ground truth)" if self.unknown else "")
        self.numbers.value = markup(
            "Kendall τ <b>{}</b> · Spearman ρ <b>{}</b> · top-{} overlap <b>{}</b> · "
            "{} trials vs {}{}", _fmt(q["kendall_tau"]), _fmt(q["spearman"]), q["k"] or self.k,
            _fmt(q["top_k_overlap"]), q["n"], self.truth.source, unknown)

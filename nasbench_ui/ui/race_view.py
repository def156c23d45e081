"""``RaceView``: a live best-so-far chart of a :class:`~nasbench_ui.race.Race`.

One Bokeh figure with one best-so-far line per strategy (x: finished trials, the budget
spent; y: the best value so far), in one ``jupyter_bokeh.BokehModel``, above Start and
Stop buttons and a status line. It follows :mod:`nasbench_ui.ui.charts`:

* Race events (trial finishes, status changes) only poke its
  :class:`~nasbench_ui.ui.pusher.ChartPusher`; its updater thread reads the store and
  pushes at most once every ``interval`` seconds (a burst of trials is one push).
  ``flush()`` pushes now, in the caller's thread.
* Every change to the document happens under ``self.lock``, echoes are dropped, and a
  view that renders late gets every source re-sent whole (the pusher's wiring); new
  points are streamed with :func:`~nasbench_ui.viz.figures.sync_source`.

Each strategy's source is named ``nbui-race-{strategy}`` (columns ``trial``,
``number``, ``best``) and is in ``view.sources[strategy]``. The legend's swatches are
drawn from one-row key sources (``viz.figures.key_source``), so they show before Start.

Every strategy runs with the race's one seed, so a strategy that starts by sampling at
random (evolution's first ``population``) tries exactly the architectures random search
tries first, and the two lines overlap there. That is expected, not faked apart: once it
happens, ``view.note`` (under the status line) says so, counting the shared trials
(:func:`shared_start`).

Example:
    >>> from nasbench_ui.race import Race
    >>> view = RaceView(Race("nb201", ["random", "evolution"], estimator="zero_cost", trials=1))
    >>> sorted(view.sources), view.sources["random"].name
    (['evolution', 'random'], 'nbui-race-random')
    >>> view.close()
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import ipywidgets as w
from bokeh.models import ColumnDataSource, HoverTool, Legend, LegendItem
from bokeh.palettes import Category10_10
from bokeh.plotting import figure

from ..race import Race, best_curve
from ..viz.figures import HEIGHT, TOOLS, WIDTH, key_source, sync_source
from ..viz.notebook import prepare_display
from .pusher import ChartPusher
from .text import ERROR_COLOR, SafeHTML, bokeh_text, join, markup, paragraph, status_html

if TYPE_CHECKING:
    from ..runner import Event

__all__ = ["RaceView", "shared_start"]


def _fmt(x: float) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4g}"


def shared_start(a: list[Any], b: list[Any]) -> int:
    """How many of the first trials of ``a`` and ``b`` tried the same architectures, in
    the same order (numbered alike).

    Example:
        >>> from nasbench_ui.storage.trial import Trial, TrialState as S
        >>> ts = [Trial(i, S.COMPLETE, {"op": op}, 0.5) for i, op in enumerate("xyz")]
        >>> shared_start(ts, ts[:2] + [Trial(2, S.COMPLETE, {"op": "w"}, 0.5)])
        2
    """
    n = 0
    for x, y in zip(a, b, strict=False):
        if x.number != y.number or x.arch != y.arch:
            break
        n += 1
    return n


class RaceView(w.VBox):
    """The race widget. See the module docstring. ``interval``: seconds between pushes."""

    def __init__(self, race: Race, interval: float = 0.25) -> None:
        if not isinstance(race, Race):
            raise ValueError(f"RaceView needs a nasbench_ui.race.Race, got {type(race).__name__}")
        self.race = race
        self.figure = figure(title=f"Best so far: {', '.join(race.strategies)}", width=WIDTH + 180,
                             height=HEIGHT + 40, sizing_mode="fixed", tools=TOOLS,
                             x_axis_label="finished trials", y_axis_label="best value")
        self.figure.toolbar.logo = None
        self.sources: dict[str, ColumnDataSource] = {}
        items = []
        for i, s in enumerate(race.strategies):
            src = ColumnDataSource({"trial": [], "number": [], "best": []},
                                   name=f"nbui-race-{s}")
            color = Category10_10[i % len(Category10_10)]
            line = self.figure.step("trial", "best", source=src, mode="after", line_width=2,
                                    color=color)
            # the legend's swatch is drawn from a key of one row: BokehJS draws an item
            # from its renderer's first row, so the live line gave none before Start
            key = self.figure.line("x", "y", source=key_source(), line_width=2, color=color)
            items.append(LegendItem(label=s, renderers=[key, line]))  # a click hides both
            self.figure.add_tools(HoverTool(renderers=[line], tooltips=[
                ("strategy", bokeh_text(s)), ("trials", "@trial"), ("best", "@best")],
                mode="vline"))
            self.sources[s] = src
        self.figure.add_layout(Legend(items=items, location="bottom_right", click_policy="hide",
                                      background_fill_alpha=0.6, name="nbui-race-legend"))
        self.pusher = ChartPusher(self.figure, self._push, interval=interval, name="nbui-race",
                                  css_class="nbui-race-chart")
        self.model = self.pusher.make_model()
        self.start_button = w.Button(description="Start", icon="play", button_style="success",
                                     layout=w.Layout(width="100px"))
        self.stop_button = w.Button(description="Stop", icon="stop", button_style="danger",
                                    layout=w.Layout(width="100px"), disabled=True)
        self.status = SafeHTML()
        #: why two lines overlap at first (shown once they do): see :func:`shared_start`
        self.note = SafeHTML(layout=w.Layout(display="none", max_width=f"{WIDTH + 180}px"))
        self.note.add_class("nbui-race-note")
        self.start_button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: self.stop())
        self._unobserve = race.observe(self._on_event)
        super().__init__([w.HBox([self.start_button, self.stop_button]), self.model,
                          self.status, self.note])
        self.add_class("nbui-race")
        self.flush()

    # ------------------------------------------------------------- display
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        prepare_display(self)
        return super()._repr_mimebundle_(**kwargs)

    # ------------------------------------------------------------- control
    def start(self) -> None:
        """Start (or continue) the race in the background."""
        if not self.race.running:
            self.race.start()
        self.pusher.poke()

    def stop(self) -> None:
        """Ask the race to stop after its running trial (does not block)."""
        self.race.stop(wait=False)
        self.pusher.poke()

    def close(self) -> None:
        """Stop listening and close the widgets (the race is not stopped)."""
        # (getattr: either is None when the constructor failed before making it)
        unobserve, pusher = getattr(self, "_unobserve", None), getattr(self, "pusher", None)
        if unobserve is not None:
            unobserve()
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
    def _on_event(self, event: Event) -> None:
        if event.kind in ("trial_finish", "status"):
            self.pusher.poke()

    def flush(self) -> None:
        """Read every strategy's trials from the store and push them to the chart now."""
        self.pusher.flush()

    def _push(self) -> bool:
        # (under the pusher's lock: a later read of the store is never pushed first)
        trials = {s: exp.trials for s, exp in self.race.experiments.items()}
        curves = {s: best_curve(ts) for s, ts in trials.items()}
        self._show_note(trials)
        kinds = {sync_source(self.sources[s], {"trial": [c[0] for c in curve],
                                               "number": [c[1] for c in curve],
                                               "best": [c[2] for c in curve]})
                 for s, curve in curves.items()}
        self._show_status(curves)
        return kinds != {"none"}

    def _show_note(self, trials: dict[str, list]) -> None:
        """Say why two lines overlap at first, when they do: every strategy gets the race's
        seed, and one that starts by sampling at random (evolution's first population)
        draws the very architectures random search draws."""
        names = list(trials)
        base = "random" if "random" in trials else names[0]
        lines = []
        for s in names:
            n = shared_start(trials[base], trials[s]) if s != base else 0
            if n >= 2:
                lines.append(markup(
                    "<b>{}</b>'s first {} trials are the architectures <b>{}</b> tried first, "
                    "so their lines overlap there: the race gives every strategy the same "
                    "seed ({}), and {} starts by sampling at random, as {} does.",
                    s, n, base, self.race.seed, s, base))
        self.note.value = paragraph(join("<br>", lines))
        self.note.layout.display = None if lines else "none"

    def _show_status(self, curves: dict[str, list]) -> None:
        race = self.race
        running = race.status in ("running", "stopping")
        self.start_button.disabled = running
        self.stop_button.disabled = not running
        budget = (f"{race.trials} trials" if race.trials is not None else "") + \
                 (" / " if race.trials is not None and race.seconds is not None else "") + \
                 (f"{race.seconds:g} s" if race.seconds is not None else "")
        parts = []
        for s, curve in curves.items():
            best = curve[-1][2] if curve else math.nan
            exp = race.experiments[s]
            err = race.errors.get(s) or exp.last_error
            text = markup("<b>{}</b> {} trials, best {}", s, len(curve), _fmt(best))
            if exp.status == "failed":  # its search thread died: say so, in red
                text += markup(" {}", status_html(exp.status))
            if err:
                text += markup(" <span class='nbui-error' style='color:{}'>({})</span>",
                               ERROR_COLOR, err)
            parts.append(text)
        # a race named "race" (the default) reads "race: idle", not "race race: idle"
        who = markup("race") if race.name == "race" else markup("race <code>{}</code>", race.name)
        self.status.value = markup("{}: {}, budget {} each<br>{}", who,
                                   status_html(race.status), budget, join(" · ", parts))

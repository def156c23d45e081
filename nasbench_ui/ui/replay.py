"""Replay: a scrubber over the trials of an experiment (running, finished or loaded).

Trials are numbered from 0 in the store. Replay position ``k`` (0..n) shows exactly
the first ``k`` trials, i.e. trial numbers ``0 .. k-1`` -- "trials 1..k" counted from
one -- and selects the k-th of them (number ``k - 1``). Position 0 shows none. The
"live" box returns to following the search (every trial, the latest selected).

The widget knows nothing of the workbench: it calls ``on_seek(k)`` with the position
(``None`` for live), and the workbench rewinds its charts (``LiveCharts.set_view``),
table and architecture view. ``set_count(n)`` tells it how many trials exist.
Playing is an ``ipywidgets.Play`` that moves the slider in the browser (a one-way link:
Play drives the slider); its interval follows the speed picker. The link goes one way so
that a live search, which moves the slider every second, sends the kernel nothing back:
a two-way link made the page copy each slider move into Play and send Play's new value
to the kernel, a message a second, each turning the kernel busy and idle in JupyterLab.
Play starts from where the replay was last put (a drag, a typed position, ``seek``).

Example:
    >>> seen = []
    >>> r = Replay(seen.append)
    >>> r.set_count(5)
    >>> r.position is None, r.slider.max, r.slider.value
    (True, 5, 5)
    >>> r.seek(2)
    >>> seen, r.position, r.live.value
    ([2], 2, False)
    >>> r.follow(); seen[-1] is None
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w

from .text import SafeHTML, markup

#: speed choices: label -> milliseconds between two steps of Play
SPEEDS = (("0.5x", 1000), ("1x", 500), ("2x", 250), ("4x", 120), ("8x", 60))


class Replay(w.HBox):
    """Slider + Play + speed + live box; see the module docstring."""

    def __init__(self, on_seek: Callable[[int | None], Any]) -> None:
        if not callable(on_seek):
            raise ValueError(f"Replay needs a callable on_seek, got {type(on_seek).__name__}")
        self._on_seek = on_seek
        self._quiet = False
        self.slider = w.IntSlider(value=0, min=0, max=0, description="replay",
                                  continuous_update=True, layout=w.Layout(width="360px"),
                                  style={"description_width": "50px"})
        self.play = w.Play(value=0, min=0, max=0, step=1, interval=500, description="play")
        self.speed = w.Dropdown(options=list(SPEEDS), value=500, description="speed",
                                layout=w.Layout(width="150px"), style={"description_width": "45px"})
        self.live = w.Checkbox(value=True, description="live", indent=False,
                               layout=w.Layout(width="70px"))
        self.label = SafeHTML("")
        self._links = [w.jsdlink((self.play, "value"), (self.slider, "value")),
                       w.dlink((self.speed, "value"), (self.play, "interval"))]
        self.slider.observe(self._on_slider, "value")
        self.live.observe(self._on_live, "value")
        super().__init__([self.play, self.slider, self.speed, self.live, self.label],
                         layout=w.Layout(align_items="center", flex_flow="row wrap"))
        self.add_class("nbui-replay")
        self._show_label()

    @property
    def count(self) -> int:
        """How many trials there are (the slider's end)."""
        return int(self.slider.max)

    @property
    def position(self) -> int | None:
        """The replay position ``k`` (trials numbered below ``k`` shown), None when live."""
        return None if self.live.value else int(self.slider.value)

    def set_count(self, n: int) -> None:
        """``n`` trials exist now; live, the slider moves to the end."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"a trial count must be an int >= 0, got {n!r}")
        self._quiet = True
        try:
            self.slider.max = self.play.max = n
            if self.live.value:
                # the slider only: Play stays where the replay was last put. Setting Play
                # here too, with the old two-way link, echoed an older slider value back
                # while a fast search moved on, which read as a user's drag.
                self.slider.value = n
        finally:
            self._quiet = False
        self._show_label()

    def seek(self, k: int) -> None:
        """Rewind to position ``k`` (0..count): trials numbered 0..k-1 are shown."""
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= self.count:
            raise ValueError(f"replay position must be an int in 0..{self.count}, got {k!r}")
        if self.slider.value == k and not self.live.value:
            return
        self._quiet = True
        try:
            self.live.value = False
            self.slider.value = k
        finally:
            self._quiet = False
        self._play_from(k)
        self._seek(k)

    def follow(self) -> None:
        """Go live: show every trial and follow the search."""
        if self.live.value:  # already live: no change event, so reset the view here
            self._seek(None)
        else:
            self.live.value = True

    def _on_slider(self, change: dict[str, Any]) -> None:
        if self._quiet:
            return
        self._quiet = True
        try:
            self.live.value = False
        finally:
            self._quiet = False
        if not self.play.playing:  # a drag or a typed position; while Play plays, the
            self._play_from(int(change["new"]))  # slider follows Play: leave Play alone
        self._seek(int(change["new"]))

    def _play_from(self, k: int) -> None:
        """Play goes on from position ``k`` (after the slider: the page's link then copies
        Play's value to a slider that already holds it, and nothing comes back)."""
        if self.play.value != k:
            self.play.value = k

    def _on_live(self, change: dict[str, Any]) -> None:
        if self._quiet:
            return
        if change["new"]:
            self._quiet = True
            try:
                self.slider.value = self.slider.max
            finally:
                self._quiet = False
            self._seek(None)
        else:
            self._seek(int(self.slider.value))

    def _seek(self, k: int | None) -> None:
        self._show_label()
        self._on_seek(k)

    def _show_label(self) -> None:
        n, k = self.count, self.position
        self.label.value = (markup("<small>live · {} trials</small>", n) if k is None else
                            markup("<small>trials 1..{} of {} (numbers 0..{})</small>", k, n, k - 1)
                            if k else markup("<small>no trials (of {})</small>", n))


__all__ = ["SPEEDS", "Replay"]

"""RaceView (nasbench_ui.ui.race_view) headless: one line per strategy, growing live."""

from __future__ import annotations

import json
import time

import pandas as pd
import pytest
from bokeh.events import DocumentReady

import nasbench_ui as nb
from nasbench_ui.race import Race
from nasbench_ui.ui.race_view import RaceView


def score(arch):
    ops = ["none", "skip_connect", "avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3"]
    return sum(ops.index(v) * (i + 1) for i, v in enumerate(arch.values())) / 84


@pytest.fixture(scope="module")
def frame():
    space = nb.spaces.nb201()
    keys, accs = [], []
    for a in space.enumerate():
        keys.append(space.key(a))
        accs.append(score(a))
    return pd.DataFrame({"arch_str": keys, "acc": accs})


def make(frame, strategies=("random", "evolution", "reinforce"), trials=4):
    race = Race("nb201", list(strategies), estimator="tabular", estimator_frame=frame,
                estimator_options={"metric": "acc"}, trials=trials,
                strategy_options={"evolution": {"population": 3, "sample_size": 2}}
                if "evolution" in strategies else None)
    return RaceView(race, interval=0.05)


def test_one_legend_line_per_strategy(frame):
    view = make(frame)
    try:
        assert list(view.sources) == ["random", "evolution", "reinforce"]
        assert [s.name for s in view.sources.values()] == [
            "nbui-race-random", "nbui-race-evolution", "nbui-race-reinforce"]
        labels = [item.label["value"] for item in view.figure.legend[0].items]
        assert labels == ["random", "evolution", "reinforce"]
        lines = [r for r in view.figure.renderers if r.data_source in view.sources.values()]
        assert len(lines) == 3
        assert len({r.glyph.line_color for r in lines}) == 3
        assert all(len(s.data["trial"]) == 0 for s in view.sources.values())
        assert view.model in view.children and view.stop_button.disabled
    finally:
        view.close()


def test_the_legend_shows_a_swatch_per_strategy_before_start(frame):
    """Before Start the legend listed the strategies with no swatches: BokehJS draws an
    item from its renderer's first row, and the lines had none yet."""
    view = make(frame, strategies=("random", "evolution"))
    try:
        (legend,) = view.figure.legend
        assert [i.label["value"] for i in legend.items] == ["random", "evolution"]
        lines = {s: r for r in view.figure.renderers for s, src in view.sources.items()
                 if r.data_source is src}
        for item, s in zip(legend.items, view.sources, strict=True):
            key = item.renderers[0]
            assert len(key.data_source.data["x"]) == 1  # a row to draw the swatch from
            assert key.glyph.line_color == lines[s].glyph.line_color
            assert lines[s] in item.renderers  # a click on the item hides the line too
    finally:
        view.close()


def test_the_view_says_why_random_and_evolution_overlap_at_first(frame):
    """Random and evolution drew the same first architectures: one seed for the race, and
    evolution's first population is sampled at random. The lines overlapped with no word
    of why; the note says it, with the count, and nothing is made to differ."""
    view = make(frame, strategies=("random", "evolution"), trials=6)
    try:
        assert view.note.layout.display == "none"  # nothing to explain yet
        view.race.run()
        view.flush()
        random_, evolution = (view.race.experiments[s].trials for s in ("random", "evolution"))
        assert [t.arch for t in random_[:3]] == [t.arch for t in evolution[:3]]  # population 3
        assert random_[3].arch != evolution[3].arch  # then evolution mutates
        note = view.note.value
        assert view.note.layout.display is None
        assert "<b>evolution</b>'s first 3 trials are the architectures <b>random</b> tried " \
               "first" in note and "same seed (0)" in note
    finally:
        view.close()


def test_lines_grow_as_trials_finish(frame):
    view = make(frame, trials=3)
    seen = []

    def on_event(event):  # on the race thread, right after each trial is stored
        if event.kind == "trial_finish":
            view.flush()
            seen.append({s: len(src.data["trial"]) for s, src in view.sources.items()})

    view.race.observe(on_event)
    try:
        view.race.run()
        view.flush()
        # round-robin: after each finish exactly one line has grown by one point
        assert len(seen) == 9
        totals = [sum(d.values()) for d in seen]
        assert totals == list(range(1, 10))
        assert seen[2] == {"random": 1, "evolution": 1, "reinforce": 1}
        df = view.race.best_so_far()
        for s, src in view.sources.items():
            part = df[df.strategy == s]
            assert src.data["trial"] == [1, 2, 3]
            assert src.data["best"] == part.best.tolist()
            assert src.data["number"] == part.number.tolist()
            assert src.data["best"] == sorted(src.data["best"])  # best so far never drops
        assert "done" in view.status.value and "3 trials" in view.status.value
        assert not view.start_button.disabled and view.stop_button.disabled
    finally:
        view.close()


def test_each_display_sends_the_next_pushes_whole_until_a_view_is_ready(frame):
    view = make(frame, strategies=("random",), trials=2)
    try:
        view.figure.document.callbacks.trigger_event(DocumentReady())
        view.flush()
        assert view.pusher._whole_until < time.monotonic()
        bundle = view._repr_mimebundle_()
        assert "application/vnd.jupyter.widget-view+json" in bundle
        assert view.pusher._whole_until > time.monotonic()  # the display's new view
    finally:
        view.close()


def test_new_points_are_streamed_to_the_notebook(frame):
    view = make(frame, strategies=("random",), trials=2)
    sent = []
    view.model.send = lambda msg, buffers=None: sent.append(msg)  # what would reach the page
    try:
        view.figure.document.callbacks.trigger_event(DocumentReady())  # a view rendered
        view.flush()
        view.race.run()
        view.flush()
        texts = [json.dumps(m) for m in sent]
        assert any("ColumnsStreamed" in t for t in texts)
        assert view.sources["random"].data["trial"] == [1, 2]
    finally:
        view.close()


def test_background_start_updates_through_the_throttle(frame):
    view = make(frame, strategies=("random", "evolution"), trials=3)
    try:
        view.start()  # no flush from here on: events poke the throttle thread
        view.race.wait(timeout=60)
        deadline = time.monotonic() + 30

        def lengths():
            return [len(s.data["trial"]) for s in view.sources.values()]

        while (lengths() != [3, 3] or "done" not in view.status.value) \
                and time.monotonic() < deadline:
            time.sleep(0.01)
        assert lengths() == [3, 3] and "done" in view.status.value
        assert view.pusher.throttle.calls >= 1
    finally:
        view.close()


def test_nb_race_returns_a_view_and_rejects_a_non_race():
    view = nb.race("nb201", ["random"], estimator="zero_cost", trials=1)
    try:
        assert isinstance(view, RaceView) and view.race.strategies == ["random"]
    finally:
        view.close()
    with pytest.raises(ValueError, match="needs a nasbench_ui.race.Race"):
        RaceView("random")


def test_the_status_names_a_race_once():
    """The default name "race" read "race race: idle"; a name of one's own is shown."""
    plain = RaceView(Race("nb201", ["random"], estimator="zero_cost", trials=2))
    named = RaceView(Race("nb201", ["random"], estimator="zero_cost", trials=2, name="mine"))
    try:
        assert plain.status.value.startswith("race: ") and "race race" not in plain.status.value
        assert named.status.value.startswith("race <code>mine</code>: ")
    finally:
        plain.close()
        named.close()

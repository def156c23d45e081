"""Replay: the scrubber rewinds charts, table and architecture view to the first k trials."""

from __future__ import annotations

import pytest
from ipywidgets.widgets import widget_link

import nasbench_ui as nb
from nasbench_ui.estimators import Estimate
from nasbench_ui.ui.replay import Replay


class Count:
    NAME = "count_convs"
    OPTIONS: dict = {}

    def estimate(self, arch, ctx):
        v = sum(1 for x in arch.values() if x == "nor_conv_3x3") / 6
        ctx.report({"epoch": 1, "valid_acc": v})
        return Estimate(v, {"valid_acc": v, "params": 100 + 10 * v})


@pytest.fixture
def loaded(tmp_path):
    nb.estimators.register("count_convs", Count, replace=True)
    db = tmp_path / "r.db"
    exp = nb.Experiment("nb201", estimator="count_convs", trials=8, seed=1, storage=str(db))
    exp.run()
    wb = nb.Workbench.load(db)
    yield wb, exp
    wb.charts.close()


def test_replay_widget_alone():
    seen = []
    r = Replay(seen.append)
    r.set_count(4)
    assert r.position is None and r.slider.value == 4
    assert r.play.value == 0  # live: Play is not moved with the slider (see below)
    r.slider.value = 1  # a drag leaves live mode
    assert seen == [1] and r.position == 1 and r.live.value is False
    assert r.play.value == 1  # and Play goes on from there
    r.play.playing = True  # while Play plays, the slider it moves does not move it back
    r.slider.value = 2
    assert r.play.value == 1 and seen[-1] == 2
    r.play.playing = False
    r.seek(3)
    assert r.play.value == 3 and r.slider.value == 3
    r.set_count(6)  # new trials while replaying do not move the slider
    assert r.slider.value == 3 and r.slider.max == 6 == r.play.max
    r.live.value = True
    assert seen[-1] is None and r.slider.value == 6
    # Play drives the slider in the page, one way: a slider moved by a live search
    # sends nothing back (tests/browser/test_replay_e2e.py)
    link = r._links[0]
    assert isinstance(link, widget_link.DirectionalLink)
    assert (link.source, link.target) == ((r.play, "value"), (r.slider, "value"))
    with pytest.raises(ValueError, match="0..6"):
        r.seek(7)
    r.speed.value = 120
    assert r.play.interval == 120
    with pytest.raises(ValueError):
        Replay("not callable")


def test_replay_at_k_shows_exactly_the_first_k_trials(loaded):
    wb, exp = loaded
    trials = exp.trials
    assert [t.number for t in trials] == list(range(8))  # the store numbers from 0
    assert wb.replay.count == 8
    for k in (3, 1, 6):
        wb.replay.seek(k)
        want = list(range(k))
        assert list(wb.charts.sources["history"].data["number"]) == want
        assert list(wb.charts.sources["scatter"].data["number"]) == want
        assert sorted(set(wb.charts.sources["curves"].data["number"])) == want
        assert list(wb.table.frame["number"]) == want
        assert wb.selected == k - 1 and wb.arch_view.arch == trials[k - 1].arch
        assert f"trial {k - 1} " in wb.arch_view.title
        assert wb.charts.selected == k - 1
        assert sorted(wb.diff.trials) == want
    wb.replay.seek(0)
    assert list(wb.charts.sources["history"].data["number"]) == []
    assert len(wb.table.frame) == 0 and wb.arch_view.arch is None and wb.selected is None
    wb.refresh(full=True)  # a refresh while replaying keeps the replay
    assert len(wb.table.frame) == 0
    wb.replay.follow()
    assert list(wb.charts.sources["history"].data["number"]) == list(range(8))
    assert len(wb.table.frame) == 8 and wb.selected == 7


def test_replay_of_a_running_search_then_live(loaded):
    wb, _ = loaded
    wb.controls.trials.value = 12  # a new, longer run from the workbench
    exp = wb.start()
    assert exp is not None, wb.controls.status.value
    exp.wait(60)
    wb.refresh(full=True)
    assert wb.replay.count == 12 and wb.replay.position is None
    wb.replay.slider.value = 5
    assert list(wb.table.frame["number"]) == list(range(5))
    assert list(wb.charts.sources["history"].data["number"]) == list(range(5))
    wb.replay.live.value = True
    assert len(wb.table.frame) == 12

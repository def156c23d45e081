"""The replay's Play button in a real JupyterLab page: while a search runs live the page
sends the kernel nothing about the replay (a slider the kernel moves every second used
to come back as Play's value, a message a second that turned the kernel busy and idle in
JupyterLab's toolbar); a click on Play then replays the run in the kernel, trial by trial,
and the live box follows the search again."""

from __future__ import annotations

import time

import pytest
from helpers import wait_for
from helpers.lab import (
    assert_clean,
    kernel_json,
    open_notebook,
    run_all,
    save_screenshot,
    write_notebook,
)

pytestmark = pytest.mark.browser

SETUP = """\
import json, time, zlib
import nasbench_ui as nb
from nasbench_ui.estimators import Estimate, register

class Steady:
    NAME, OPTIONS = "steady", {}
    def estimate(self, arch, ctx):
        time.sleep(0.01)
        v = zlib.crc32(json.dumps(arch, sort_keys=True).encode()) / 2**32
        return Estimate(v, {"params": 1000 + int(v * 1e6)})

register("steady", Steady, replace=True)
wb = nb.Workbench(space="nb201", strategy="random", estimator="steady", trials=300,
                  storage=":memory:")
_from_page = []  # Play's values that came from the page (the kernel never sets it live)
wb.replay.play.observe(lambda c: _from_page.append(c["new"]), "value")
wb"""


def test_a_live_search_sends_no_replay_messages_and_play_replays(page, jupyter_server,
                                                                 console_log, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 800})
    open_notebook(page, jupyter_server, write_notebook(tmp_path / "replay.ipynb", SETUP))
    run_all(page, timeout=180)
    page.locator("button.nbui-start").click()
    # the slider follows the search for several seconds, one kernel update a second
    assert wait_for(lambda: kernel_json(page, "wb.replay.count") >= 120, 90, 0.5), "no 120 trials"
    live = kernel_json(page, "[wb.replay.position, wb.replay.slider.value, _from_page]")
    assert live[0] is None and live[1] >= 120, live
    assert live[2] == [], f"the page sent Play's value back while live: {live[2][:10]}"
    assert wait_for(lambda: kernel_json(page, "wb.live.experiment.status") == "done", 120, 0.5)

    # ▶ plays from the start: while live, Play stayed at 0
    page.locator(".nbui-replay .widget-play button").first.click()
    assert wait_for(lambda: (kernel_json(page, "wb.replay.position") or 0) > 0, 60, 0.5), \
        "Play did not move the replay"
    first = kernel_json(page, "wb.replay.position")
    assert wait_for(lambda: kernel_json(page, "wb.replay.position") > first + 2, 60, 0.5), \
        "Play did not go on"
    later = kernel_json(page, "wb.replay.position")
    shown = kernel_json(
        page, "[wb.replay.position, len(wb.charts.sources['history'].data['number'])]")
    assert 0 < shown[1] <= shown[0] and later > first, shown  # the charts show the replay
    save_screenshot(page, "replay_playing")
    page.locator(".nbui-replay .widget-play button").first.click()  # ▶ is ⏸ now: pause
    paused = kernel_json(page, "wb.replay.position")
    time.sleep(1.5)  # three steps at 1x
    assert kernel_json(page, "wb.replay.position") == paused
    page.locator(".nbui-replay .widget-checkbox input[type=checkbox]").check()  # live
    assert wait_for(lambda: kernel_json(page, "wb.replay.position") is None, 30, 0.5), \
        "the live box did not follow the search again"
    assert kernel_json(page, "len(wb.charts.sources['history'].data['number'])") == 300
    assert_clean(page, console_log)
